"""The campaign page: headline, campaigns at a glance (design checks and verdicts), effects, win-back, uplift
targeting with its Qini check, the recommended list against risk-only targeting, the closed loop.
Data-derived text is escaped by the toolkit (:mod:`.html`); customer ids are masked unless ``show_customer_ids``.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from .drivers_words import mask_id
from .formats import count, money, month_name, pct, pp, pvalue
from .html import HTML, headline_list, join, notes_list, paragraph, small_print, table

__all__ = ["subtitle", "headline_html", "overview_html", "design_html", "effects_html", "winback_html",
           "targeting_html", "recommended_html", "loop_html", "quality_html", "result_html"]

_STATUS = {"measured": "measured", "no_control": "no control group: not attributable",
           "broken": "broken randomisation: not trusted", "too_small": "too small to measure",
           "not_yet": "window not over yet", "no_treatment": "control customers only: nothing to measure"}
_KIND = {"retention": "retention", "win_back": "win-back", "no_control": "no control group",
         "no_treatment": "no treated customers"}


def _metric_label(metric: str, horizon: int, lost: str = "") -> str:
    if metric.startswith("retained_"):
        return f"Still a customer {metric.split('_')[1]} days after sending"
    if metric.startswith("reactivated_"):
        return f"Bought again within {metric.split('_')[1]} days"
    return {"lost_h": (lost or f"lost within {horizon} days").capitalize(), "purchases_h": f"Purchases per customer in {horizon} days",
            "revenue_h": f"Revenue per customer in {horizon} days", "churn_hazard_ratio": "Churn hazard ratio",
            "rmst_days": f"Days as a customer within {horizon} days", "revenue_window": "Revenue per customer"}.get(
        metric, metric)


def subtitle(result: Any) -> str:
    return (f"Retention actions up to the end of {month_name(result.month)}: each campaign's treated customers "
            f"against its randomised control group; effects within {result.horizon_days} days of sending, "
            "95% intervals.")


def headline_html(result: Any) -> HTML:
    lines = list(result.headline) or [n for n in result.notes["note"]] or ["No campaign to measure."]
    return join(headline_list(lines))


def _rng(lo: Any, hi: Any, f: Any) -> str:
    return "" if pd.isna(lo) or pd.isna(hi) else f"{f(lo)} to {f(hi)}"


_LEARNER = {"two_model": "two churn models (one on treated, one on control customers; gradient boosting)",
            "risk_bands": "the effect measured within bands of predicted churn risk (a churn model of the control "
                          "customers ranks them)"}
_NB = str.maketrans({"-": "\u2011", " ": "\u00a0"})  # ids and dates never wrap inside a cell
_SHOWN = 12  # campaigns shown before the rest fold away


def _x(v: float) -> str:
    """A multiple with one decimal, never '-0.0'."""
    return f"{round(float(v), 1) + 0.0:.1f}"


def _nb(v: Any) -> str:
    return str(v).translate(_NB)


def _fold(show: pd.DataFrame, keep: pd.Series, what: str, **kw: Any) -> str:
    """The rows in ``keep`` as a table, the others in a closed <details> block."""
    out = table(show[keep.to_numpy()], **kw)
    rest = show[~keep.to_numpy()]
    if len(rest):
        out += f"<details><summary>{len(rest)} older {what}</summary>" + table(rest, **kw) + "</details>"
    return out


def overview_html(result: Any) -> HTML:
    """One row per campaign: kind, size, status, customers saved, payback, and the verdict."""
    c = result.campaigns
    if c is None or c.empty:
        return join(paragraph("No campaign in the data."))
    c = c.sort_values("sent_date", ascending=False)
    cur = result.currency
    show = pd.DataFrame({
        "Campaign": c["campaign_id"].map(_nb), "Sent": c["sent_date"].dt.strftime("%d %b %Y").map(_nb),
        "Kind": c["kind"].map(_KIND), "Treated": c["n_treated"].map(count), "Control": c["n_control"].map(count),
        "Status": c["status"].map(_STATUS),
        "Customers saved (95% interval)": [
            "" if pd.isna(r.customers_saved) else f"{r.customers_saved:,.0f} ({r.saved_lower:,.0f} to {r.saved_upper:,.0f})"
            for r in c.itertuples()],
        f"Extra revenue ({cur})": [
            "" if pd.isna(r.incremental_revenue) else
            f"{money(r.incremental_revenue)} ({money(r.revenue_lower)} to {money(r.revenue_upper)})" for r in c.itertuples()],
        f"Cost ({cur})": c["cost"].map(lambda v: "" if pd.isna(v) else money(v)),
        "Margin returned per unit of cost": [
            "" if pd.isna(r.payback) else f"{_x(r.payback)}x ({_x(r.payback_lower)} to {_x(r.payback_upper)})"
            for r in c.itertuples()],
    })
    verdicts = [v for v in c["verdict"]]
    keep = pd.Series(range(len(c))) < _SHOWN
    return join(_fold(show, keep, "campaigns", text=["Sent", "Kind", "Status"]),
                small_print(f"Customers saved = fewer treated customers {result.outcome_label} than the control "
                            "group's rate predicts. Extra revenue = revenue per treated customer "
                            f"above control (adjusted for each customer's revenue in the {result.pre_days} days before sending) x treated; "
                            f"margin returned = extra revenue x {pct(result.margin, 0)} margin / cost, within the "
                            "window only (a saved customer's later value is not counted)."),
                "<details><summary>Each campaign in one sentence</summary>" + headline_list(verdicts) + "</details>")


def design_html(result: Any) -> HTML:
    """Design checks: sample ratio, balance, contamination, minimum detectable effect."""
    c = result.campaigns
    if c is None or c.empty:
        return join("")
    c = c.sort_values("sent_date", ascending=False)
    show = pd.DataFrame({
        "Campaign": c["campaign_id"].map(_nb),
        "Intended treated share": c["intended_share"].map(lambda v: "not set" if pd.isna(v) else pct(v, 0)),
        "Actual treated share": c["observed_share"].map(lambda v: pct(v, 1)),
        "Sample-ratio p-value": [("" if pd.isna(r.srm_p) else pvalue(r.srm_p)) + (" FLAGGED" if r.srm_flagged else "")
                                 for r in c.itertuples()],
        "Largest pre-period difference (SMD)": [
            ("" if pd.isna(r.max_abs_smd) else f"{r.max_abs_smd:.2f}") + (" FLAGGED" if r.balance_flagged else "")
            for r in c.itertuples()],
        "Controls reached by another campaign": [
            "" if r.kind == "no_control" else f"{r.n_control_contaminated:,} ({pct(r.contaminated_share, 0)})"
            for r in c.itertuples()],
        "Smallest detectable churn change (80% power)": c["mde_churn"].map(lambda v: "" if pd.isna(v) else pp(v, 1, sign=False)),
        "Not measured (already churned / still active)": c["n_not_measured"].map(count),
    })
    flagged = (c["srm_flagged"].astype(bool) | c["balance_flagged"].astype(bool)).reset_index(drop=True)
    keep = (pd.Series(range(len(c))) < _SHOWN) | flagged
    return join(_fold(show, keep, "campaigns without a flag"), small_print(
        "Sample ratio: chi-square test of the group sizes against the intended split in params "
        f"(campaigns.treatment_share), flagged when p < {result.srm_alpha:g}. Balance: standardised mean difference "
        f"of what was known before sending (tenure, recency, purchases and revenue of the last {result.pre_days} "
        f"days, complaints, latest survey score), flagged when above {result.balance_threshold:g} and beyond chance "
        "at the same level. A flagged campaign's numbers are not trusted. "
        "Controls reached by another campaign within the window still count as control (intention to treat): "
        "they make the effect look smaller."))


def effects_html(result: Any, campaign: str | None = None) -> HTML:
    """All effects of one campaign (default: the latest measured one)."""
    e = result.effects
    m = result.measured()
    m = m[m["kind"] == "retention"]
    if e is None or e.empty or m.empty:
        return join(paragraph("No retention campaign could be measured yet."))
    cid = campaign or str(m.sort_values("sent_date")["campaign_id"].iloc[-1])
    f = e[(e["campaign_id"] == cid) & (e["segment"] == "all")]
    cur = result.currency

    def val(metric: str, v: Any) -> str:
        if pd.isna(v):
            return ""
        if metric in ("lost_h",) or metric.startswith(("retained_", "reactivated_")):
            return pct(v)
        if metric.startswith("revenue"):
            return money(v, cur)
        return f"{v:,.2f}" if metric == "churn_hazard_ratio" else f"{v:,.1f}"

    def diff(r: Any) -> str:
        if pd.isna(r.estimate):
            return r.note
        if r.metric == "churn_hazard_ratio":
            return f"x{r.estimate:.2f} ({r.ci_lower:.2f} to {r.ci_upper:.2f})"
        if r.metric in ("lost_h",) or r.metric.startswith(("retained_", "reactivated_")):
            return f"{pp(r.estimate)} ({pp(r.ci_lower)} to {pp(r.ci_upper)})"
        return f"{val(r.metric, r.estimate)} ({val(r.metric, r.ci_lower)} to {val(r.metric, r.ci_upper)})"

    show = pd.DataFrame({
        "Measure": [_metric_label(x, result.horizon_days, result.outcome_label) for x in f["metric"]],
        "Treated": [val(r.metric, r.treated_value) if r.metric != "churn_hazard_ratio" else "" for r in f.itertuples()],
        "Control": [val(r.metric, r.control_value) if r.metric != "churn_hazard_ratio" else "" for r in f.itertuples()],
        "Difference, treated - control (95% interval)": [diff(r) for r in f.itertuples()],
        "p-value": f["p_value"].map(lambda v: "" if pd.isna(v) else pvalue(v)),
        "Customers (treated / control)": [f"{int(r.n_treated):,} / {int(r.n_control):,}" for r in f.itertuples()],
    })
    seg = e[(e["campaign_id"] == cid) & (e["segment"] != "all")]
    parts = [paragraph(f"Campaign {cid}: treated against control, customers not churned on the send date."),
             table(show, text=["Measure"]),
             small_print("Revenue and purchases are adjusted for each customer's pre-period (CUPED), so treated and "
                         "control values are adjusted means. A ratio below 1: treated customers churned more "
                         "slowly (Cox model over the window).")]
    if len(seg):
        parts += [paragraph("By segment (params campaigns.segment_by):"),
                  _lost_table(result, seg, "Segment", seg["segment_by"] + " = " + seg["segment"])]
    return join(*parts)


def _lost_table(result: Any, e: pd.DataFrame, label: str, groups: pd.Series) -> str:
    """Share lost, treated vs control, with the difference and its interval: one row per group of ``e``."""
    lost = result.outcome_label.capitalize()
    return table(pd.DataFrame({
        label: groups, f"{lost}, treated": e["treated_value"].map(pct), f"{lost}, control": e["control_value"].map(pct),
        "Difference (95% interval)": [f"{pp(r.estimate)} ({pp(r.ci_lower)} to {pp(r.ci_upper)})"
                                      for r in e.itertuples()],
        "Customers (treated / control)": [f"{int(r.n_treated):,} / {int(r.n_control):,}" for r in e.itertuples()]}))


def winback_html(result: Any) -> HTML:
    w = result.winback
    if w is None or w.empty or "metric" not in w:
        return join(paragraph("No win-back campaign (a campaign most of whose contacts had already lapsed) to measure."))
    cur = result.currency
    rows = []
    for r in w.itertuples():
        is_rate = r.metric.startswith("reactivated_")
        f = pct if is_rate else (lambda v: money(v, cur))
        d = (f"{pp(r.estimate)} ({pp(r.ci_lower)} to {pp(r.ci_upper)})" if is_rate
             else f"{money(r.estimate, cur)} ({money(r.ci_lower, cur)} to {money(r.ci_upper, cur)})")
        rows.append({"Campaign": r.campaign_id, "Measure": _metric_label(r.metric, result.horizon_days),
                     "Reached": f(r.treated_value), "Not reached (control)": f(r.control_value),
                     "Difference (95% interval)": d if pd.notna(r.estimate) else r.note,
                     "Customers (reached / control)": f"{int(r.n_treated):,} / {int(r.n_control):,}"})
    return join(table(pd.DataFrame(rows), text=["Measure"]),
                small_print("Lapsed customers (churned or dormant on the send date) reached by the win-back against "
                            "its randomised control group; the chart shows the share who bought again by each day "
                            "(Kaplan-Meier, customers still to be observed are censored)."))


def targeting_html(result: Any) -> HTML:
    t = result.targeting
    if t is None or t.status == "none":
        return join(paragraph("No measured retention campaign to learn whom to target from."))
    parts = [paragraph(t.sentence)] if t.sentence else []
    if t.holdout_campaigns:
        parts.append(paragraph(
            f"Model: {_LEARNER.get(t.learner, 'two churn models')}, fitted on {len(t.train_campaigns)} earlier "
            f"campaigns and checked on the latest {len(t.holdout_campaigns)} ({', '.join(t.holdout_campaigns)}), "
            "which it never saw. Expected effect of a contact = chance of being lost without contact - with it."))
    if len(t.comparison):
        c = t.comparison
        show = pd.DataFrame({"Contacted share": c["share_targeted"].map(lambda v: pct(v, 0)),
                             "Chosen by": c["policy"].map({"uplift": "largest expected effect", "risk": "highest risk",
                                                           "random": "at random"}),
                             "Customers": c["n_targeted"].map(count),
                             "Customers saved on the check campaigns (95% interval)": [
                                 f"{r.saved:,.0f} ({r.ci_lower:,.0f} to {r.ci_upper:,.0f})" for r in c.itertuples()]})
        parts += [paragraph("On the check campaigns: customers saved had only the chosen share been contacted."),
                  table(show, text=["Chosen by"])]
    if len(t.by_risk):
        parts += [paragraph("Where contacts help: the check campaigns' effect by third of predicted churn risk "
                            "(predicted from before sending by the model of earlier campaigns)."),
                  _lost_table(result, t.by_risk, "Predicted risk before sending", t.by_risk["segment"])]
    return join(*parts)


def recommended_html(result: Any) -> HTML:
    t = result.targeting
    if t is None or t.status != "recommended" or t.recommended is None or t.recommended.empty:
        return join(paragraph("No list is recommended this month (see above)."))
    top = t.recommended.head(result.top_n)
    show = {"Rank": top["rank"].map(count),
            "Customer": top["customer_id"].astype(str) if result.show_customer_ids
            else top["customer_id"].astype(str).map(mask_id),
            "Expected effect of a contact": top["uplift"].map(lambda v: pp(v, 1, sign=False)),
            "Churn risk": top["risk"].map(pct)}
    if t.value_based and "value" in top:
        show[f"CLV if they stay ({result.currency})"] = top["value"].map(money)
    return join(paragraph(
        f"Budget: {t.budget_contacts:,} contacts; listed: {len(t.recommended):,}. Customers saved as the model "
        "predicts them: "
        f"{t.expected_saved_uplift:,.0f} with this list, {t.expected_saved_risk:,.0f} with as many highest-risk "
        "customers "
        f"({t.extra_saved:+,.0f})."), table(pd.DataFrame(show)),
        small_print("Expected savings are the model's predictions for today's customers; what such a ranking "
                    "actually saved on the check campaigns is in the table above. The full list is "
                    "recommended_contacts.csv in the unit's report folder. Keep a random control group in every "
                    "campaign: it is what lets next month's report measure it."))


def loop_html(result: Any) -> HTML:
    loop = result.loop
    if loop is None or loop.status == "none":
        note = loop.notes[0] if loop is not None and loop.notes else (
            "No earlier at-risk list to check (interactive run or the first month).")
        return join(paragraph(note))
    b = loop.by_tier

    def eff(r: Any) -> str:
        if pd.isna(r.effect):
            return "no control group" if r.n_treated else ""
        return f"{pp(r.effect)} ({pp(r.effect_lower)} to {pp(r.effect_upper)})"

    show = pd.DataFrame({"Risk tier on the list": b["tier"], "Listed customers": b["n_customers"].map(count),
                         "Predicted churn": b["predicted_rate"].map(pct), "Churned since": b["realized_rate"].map(pct),
                         "Treated / control": [f"{int(r.n_treated):,} / {int(r.n_control):,}" for r in b.itertuples()],
                         "Churned, treated": b["realized_rate_treated"].map(pct),
                         "Churned, control": b["realized_rate_control"].map(pct),
                         "Effect of the action (95% interval)": [eff(r) for r in b.itertuples()]})
    return join(paragraph(f"The at-risk list of {loop.source_month} against what happened in the {loop.observed_days} "
                          "days since: listed customers a campaign treated against listed customers its random "
                          "control group held back."), table(show), notes_list(list(loop.notes)),
                small_print("How the result feeds back: the uplift model is refitted every month on every measured "
                            "campaign, so these outcomes shape next month's recommended list."))


def quality_html(result: Any) -> HTML:
    q = result.quality
    if q is None or q.empty:
        return join(small_print("Every campaign row was read; who was measured in each campaign is in the design "
                                "checks (not measured: already churned on the send date)."))
    return join(table(q.rename(columns={"reason": "Campaign rows not measured", "rows": "Rows"}).assign(
        Rows=lambda d: d["Rows"].map(count))))


def result_html(result: Any) -> HTML:
    return join(headline_html(result), overview_html(result))
