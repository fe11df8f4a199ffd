"""The model of the constraints: the design space, the scenario, one module per constraint.

:mod:`.design` (controls and their ranges), :mod:`.scenario` (every constant), one module per
constraint (:mod:`.accuracy`, :mod:`.serving`, :mod:`.privacy`, :mod:`.robustness`,
:mod:`.carbon`, :mod:`.uptime`, :mod:`.training` for the fine-tuning job), :mod:`.engine`
(one design -> a scorecard), :mod:`.vectorized` (many designs as numpy arrays) and
:mod:`.explain` (a scorecard -> its derivation lines). Light to import: nothing here loads
marimo or plotly.
"""
