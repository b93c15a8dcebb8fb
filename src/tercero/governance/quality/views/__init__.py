"""Quality assurance pages: the analyst's workspace and evaluation panel, results and
disputes, coaching, and the managers' scorecards and sampling rules."""
