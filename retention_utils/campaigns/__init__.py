"""Did the retention actions work? Campaign effects against control groups, uplift targeting, win-back.

One module per step: ``effects`` (effect estimates with intervals), ``design`` (checks before any effect is
shown), ``uplift`` (whom to contact next), ``analysis`` (the report's analysis).
"""
