"""View builders for the lab: small functions that return HTML and inline-SVG strings.

Every string that may come from a ledger (or any other outside source) is escaped where it is
put into HTML (:func:`constraintlab.views.html.esc`). No view imports plotly: the lab's charts
are inline SVG (``instruments``, ``ledger_charts``, ``montecarlo``), so the page loads no chart
library and asks no outside server for anything.
"""
