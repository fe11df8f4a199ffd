"""View builders for the lab: small functions that return HTML strings or plotly figures.

Every string that may come from a ledger (or any other outside source) is escaped where it is
put into HTML (:func:`constraintlab.views.html.esc`). ``html``, ``scorecards``, ``journey`` and
``questions`` import nothing heavy; ``charts`` imports plotly, so import it only where a page
is drawn.
"""
