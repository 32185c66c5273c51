"""The experiment section: an A/B or holdout result exported as one row per customer (labelled by its name)."""
from __future__ import annotations

from typing import Any

import pandas as pd

from .formats import count, pct, pp, pvalue
from .html import HTML, headline_list, join, notes_list, paragraph, small_print, table

__all__ = ["experiment_html", "result_html"]


def _value(kind: str, v: Any) -> str:
    return "" if pd.isna(v) else (pct(v) if kind == "proportion" else f"{v:,.2f}")


def _diff(r: Any) -> str:
    if pd.isna(r.estimate):
        return r.note
    if r.kind == "proportion":
        return f"{pp(r.estimate)} ({pp(r.ci_lower)} to {pp(r.ci_upper)})"
    return f"{r.estimate:+,.2f} ({r.ci_lower:+,.2f} to {r.ci_upper:+,.2f})"


def experiment_html(exp: Any) -> HTML:
    """Headline, groups, design checks and effects of the experiment; a sentence when none is configured."""
    if exp is None:
        return join(small_print("No experiment table in params (campaigns.experiment): an A/B or holdout result "
                                "exported as one row per customer can be measured here too."))
    g = exp.groups
    groups = pd.DataFrame({"Group": g["group"], "Role": g["role"], "Customers": g["n_customers"].map(count),
                           "Share": g["share"].map(pct)})
    p = exp.primary()
    eff = pd.DataFrame({"Arm": p["arm"], "Outcome": p["outcome"], "Treated": [_value(r.kind, r.treated_value)
                                                                             for r in p.itertuples()],
                        exp.control_label: [_value(r.kind, r.control_value) for r in p.itertuples()],
                        "Difference (95% interval)": [_diff(r) for r in p.itertuples()],
                        "p-value (Holm)": p["p_holm"].map(lambda v: "" if pd.isna(v) else pvalue(v))})
    parts = [paragraph(f"Experiment: {exp.name} (read from its own one-row-per-customer table)."),
             headline_list([exp.headline]), table(groups, text=["Role"]), table(eff, text=["Outcome"])]
    if len(exp.srm):
        s = exp.srm
        parts.append(table(pd.DataFrame({"Arm": s["arm"], "Intended share": s["expected_share"].map(pct),
                                         "Actual share": s["observed_share"].map(pct),
                                         "Sample-ratio p-value": [pvalue(v) + (" FLAGGED" if f else "")
                                                                  for v, f in zip(s["p_value"], s["flagged"])]})))
    if len(exp.balance):
        b = exp.balance[exp.balance["flagged"].astype(bool)]
        parts.append(paragraph(f"Before the experiment: {len(b)} of {len(exp.balance)} covariate comparisons differ "
                               "by more than 0.1 standard deviations." if len(b) else
                               "Before the experiment the groups were alike on every covariate given."))
    q = exp.quality
    parts.append(table(q.rename(columns={"reason": "Rows of the experiment table", "rows": "Rows"}).assign(
        Rows=lambda d: d["Rows"].map(count))))
    parts.append(notes_list(exp.notes))
    return join(*parts)


def result_html(result: Any) -> HTML:
    return experiment_html(result)
