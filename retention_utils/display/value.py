"""The customer-value page: headline, RFM segments, lifecycle, CLV with its holdout check, value at risk,
the quality screen, personas and cross-sell. Every section takes the analyses' results; data-derived text
is escaped by the toolkit (:mod:`.html`); customer ids are masked unless ``show_customer_ids``.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from .. import vocabulary
from .drivers_words import mask_id
from .formats import count, month_name, money, pct
from .html import HTML, footnote, headline_list, join, notes_list, paragraph, small_print, table

__all__ = ["subtitle", "headline_html", "rfm_html", "lifecycle_html", "clv_html", "holdout_html", "at_risk_html",
           "screen_html", "personas_html", "crosssell_html", "result_html"]

_METHOD = {"bgnbd_gg": "BG/NBD purchase model with Gamma-Gamma spend model",
           "bgnbd": "BG/NBD purchase model (no amounts: purchases, not money)",
           "sbg": "shifted beta-geometric retention model", "historical": "historical run rate (model does not fit)"}


def subtitle(clv: Any) -> str:
    if clv.method == "bgnbd" or not clv.customers["clv"].notna().any():
        return (f"Customer value as of the end of {month_name(clv.month)}: the export has no amounts, so the report "
                f"counts expected purchases over the next {clv.horizon_months} months instead of money.")
    what = ("margin of the last 12 months scaled to the next " if clv.method == "historical"
            else "expected margin over the next ")
    return (f"Customer value as of the end of {month_name(clv.month)}; CLV = {what}{clv.horizon_months} months "
            f"({pct(clv.margin, 0)} margin), {_METHOD.get(clv.method, clv.method)}.")


def headline_html(value: Any) -> HTML:
    """The report's headline sentences."""
    return join(headline_list(value.headline or ["No customer value could be computed for this unit."]))


def _m(v: Any) -> str:
    """An amount, or empty when there is none (a segment without customers, an export without amounts)."""
    return "" if pd.isna(v) else money(v)


def _p(v: Any, digits: int = 1) -> str:
    return "" if pd.isna(v) else pct(v, digits)


def _ids(ids: pd.Series, show: bool) -> pd.Series:
    return ids.astype(str) if show else ids.map(mask_id)


def rfm_html(rfm: Any) -> HTML:
    """Segment sizes, revenue share, change and churn rate."""
    s = rfm.segments
    s = s[(s["n_customers"] > 0) | (s["n_customers_prev"] > 0)]
    cur = rfm.currency

    def churn(r: Any) -> str:
        if pd.isna(r.churn_rate):
            return "too few" if r.churn_base else ""
        return f"{pct(r.churn_rate)} ({pct(r.churn_rate_ci_lower)} to {pct(r.churn_rate_ci_upper)})"

    show = pd.DataFrame({
        "Segment": s["segment"], "Customers": s["n_customers"].map(count),
        "Change vs last month": s["delta"].map(lambda v: f"{int(v):+,}"),
        "Share of customers": s["share"].map(_p),
        "Share of revenue to date": s["revenue_share"].map(_p),
        f"Revenue per customer ({cur})": s["mean_monetary"].map(_m),
        f"Churned within {rfm.churn_window_months} months (95% interval)": [churn(r) for r in s.itertuples()],
    })
    if s["revenue"].isna().all():  # an export without amounts
        show = show.drop(columns=["Share of revenue to date", f"Revenue per customer ({cur})"])
    ranges = rfm.score_ranges
    words = []
    for dim, label in (("recency_days", "days since the last purchase"), ("frequency", "purchases"),
                       ("monetary", f"net revenue ({cur})")):
        r = ranges[ranges["dimension"] == dim]
        if len(r):
            words.append(f"{label}: " + ", ".join(f"score {int(x.score)} = {x['min']:,.0f} to {x['max']:,.0f}"
                                                   for _, x in r.iterrows()))
    return join(table(show, text=["Segment"]),
                footnote(f"Customers who bought by the end of {month_name(rfm.month)}. Churn rate: of the segment's "
                         f"customers not churned {rfm.churn_window_months} months earlier, the share churned since."),
                small_print("Score ranges (ties share a score) — " + "; ".join(words) + "."),
                notes_list(rfm.notes))


def lifecycle_html(life: Any) -> HTML:
    """Customers per stage this month and last month, and where last month's customers went."""
    now = life.at()
    months = sorted(life.counts["month"].unique())
    prev = life.at(months[-2]) if len(months) > 1 else None
    show = pd.DataFrame({"Stage": now.index, f"End of {month_name(life.month)}": now.map(count).to_numpy()})
    if prev is not None:
        show[f"End of {month_name(months[-2])}"] = prev.map(count).to_numpy()
        show["Change"] = (now - prev).map(lambda v: f"{int(v):+,}").to_numpy()
    return join(table(show, text=["Stage"]),
                footnote("Churned, dormant and the five active stages use the KPI overview's churn definition: "
                         "churned + dormant + active stages = all customers acquired so far."),
                notes_list(life.notes))


def clv_html(clv: Any) -> HTML:
    """The model's parameters, the spend model's independence check and the top customers by CLV."""
    cur = clv.currency
    parts = [paragraph(f"Method: {_METHOD.get(clv.method, clv.method)}.")]
    if len(clv.params) and clv.method != "historical":  # a model that does not fit shows no parameters
        p = clv.params
        ci = ["not estimable" if pd.isna(a) or pd.isna(b) else f"{a:,.3f} to {b:,.3f}"
              for a, b in zip(p["ci_lower"], p["ci_upper"])]
        parts.append(table(pd.DataFrame({"Model": p["model"], "Parameter": p["parameter"],
                                         "Estimate": p["estimate"].map(lambda v: f"{v:,.3f}"), "95% interval": ci}),
                           text=["Model", "Parameter"]))
    if clv.independence:
        parts.append(paragraph(clv.independence))
    top = clv.customers.head(clv.top_n)
    if len(top) and top["clv"].isna().all() and top["expected_purchases"].notna().any():
        show = pd.DataFrame({"Customer": _ids(top["customer_id"], clv.show_customer_ids),
                             f"Expected purchases, next {clv.horizon_months} months":
                                 top["expected_purchases"].map(lambda v: "" if pd.isna(v) else f"{v:,.1f}"),
                             "Chance they still buy": top["p_alive"].map(lambda v: _p(v, 0))})
        parts += [paragraph(f"The {len(top):,} customers expected to buy most often:"), table(show, text=["Customer"])]
    elif len(top) and top["clv"].notna().any():
        ci = [("" if pd.isna(a) else f"{money(a)} to {money(b)}") for a, b in zip(top["clv_lower"], top["clv_upper"])]
        show = pd.DataFrame({"Customer": _ids(top["customer_id"], clv.show_customer_ids),
                             f"CLV ({cur})": top["clv"].map(_m), "95% interval": ci,
                             "Chance they still buy": top["p_alive"].map(lambda v: _p(v, 0)),
                             f"Margin to date ({cur})": top["historical_margin"].map(_m)})
        masked = "" if clv.show_customer_ids else " Customer ids are masked (params show_customer_ids: false)."
        how = (f"CLV here = the margin of the last 12 months scaled to {clv.horizon_months} months (no model, no "
               "interval)." if clv.method == "historical" else
               f"CLV = expected margin over the next {clv.horizon_months} months, discounted; the interval comes "
               "from the uncertainty of the model's parameters.")
        parts += [paragraph(f"The {len(top):,} customers with the highest CLV:"), table(show, text=["Customer"]),
                  footnote(how + masked)]
    parts.append(notes_list(clv.notes))
    return join(*parts)


def holdout_html(clv: Any) -> HTML:
    """Predicted against actual in the held-out months, by calibration frequency and in all."""
    h = clv.holdout
    if not len(h):
        return join(paragraph("No holdout check: too little history before the holdout period."))
    counts = h[h["bucket"] != "spend"]
    subs = clv.method == "sbg" or "0" not in set(h["bucket"])
    what = "Subscribers still subscribed" if subs else "Repeat purchases"
    first = "Subscribers at the start of the holdout" if subs else "Repeat purchases before the holdout"
    show = pd.DataFrame({first: counts["bucket"].replace({"all": "All customers"}),
                         "Customers": counts["n_customers"].map(count),
                         f"{what}, actual": counts["actual"].map(count),
                         f"{what}, predicted": counts["predicted"].map(count),
                         "Error": counts["error"].map(lambda v: "" if pd.isna(v) else f"{v:+.0%}")})
    cal = month_name(clv.calibration_end) if clv.calibration_end else ""
    parts = [table(show, text=[first])]
    spend = h[h["bucket"] == "spend"]
    if len(spend):
        r = spend.iloc[0]
        err = "" if pd.isna(r["error"]) else f" ({r['error']:+.0%})"
        parts.append(paragraph(f"Spend in the holdout: {money(r['actual'], clv.currency)} actual, "
                               f"{money(r['predicted'], clv.currency)} predicted{err}."))
    parts.append(footnote(f"The model was refitted on the data up to the end of {cal} and predicted the months after "
                          f"it up to {month_name(clv.month)}; the error is predicted minus actual, relative to actual."))
    return join(*parts)


def at_risk_html(value: Any) -> HTML:
    """The 2 x 2 value-risk view and the top customers by CLV at risk."""
    cur = value.currency
    if not len(value.at_risk):
        return join(notes_list(value.notes[value.notes["section"] == "value at risk"]))
    q = value.quadrants
    show = pd.DataFrame({"Value": q["value"].map({"high": "High value", "low": "Other"}),
                         "Risk": q["risk"].map({"high": "High or medium risk", "low": "Low risk"}),
                         "Customers": q["n_customers"].map(count),
                         f"CLV ({cur})": q["clv"].map(_m),
                         f"CLV at risk ({cur})": q["clv_at_risk"].map(_m)})
    top = value.at_risk.head(value.top_n)
    lst = pd.DataFrame({"Customer": _ids(top["customer_id"], value.show_customer_ids),
                        f"CLV ({cur})": top["clv"].map(_m),
                        "Churn probability": top["probability"].map(lambda v: pct(v, 0)),
                        f"CLV at risk ({cur})": top["clv_at_risk"].map(_m),
                        "Why at risk": top["reasons"].fillna("")})
    masked = "" if value.show_customer_ids else " Customer ids are masked (params show_customer_ids: false)."
    return join(table(show, text=["Value", "Risk"]),
                footnote(f"High value: a value if they stay of {money(value.high_value_threshold, cur)} or more (the top "
                         f"customers scored); high or medium risk: churn probability of {pct(value.risk_threshold, 0)} "
                         "or more (churn-drivers report). CLV at risk = churn probability x the CLV the customer brings "
                         "if they stay."),
                table(lst, text=["Customer", "Why at risk"]),
                footnote(f"Top {len(top):,} of {len(value.at_risk):,} customers scored; the full list with clv and "
                         f"clv_at_risk columns is at_risk_customers.csv.{masked}"))


def screen_html(value: Any) -> HTML:
    """The top of the high-quality customer screen and the criteria each meets."""
    s = value.screen[value.screen["listed"]].head(value.top_n)
    if not len(s):
        return join(paragraph("No customer to screen."))
    show = pd.DataFrame({"Rank": s["rank"].map(count), "Customer": _ids(s["customer_id"], value.show_customer_ids),
                         "Quality score": s["quality_score"].map(lambda v: f"{v:.2f}"),
                         "Criteria met": s["meets"].replace("", "none at the top 20%")})
    who = vocabulary.name("customers_end", month=value.month)
    parts = [table(show, text=["Customer", "Criteria met"]),
             footnote(f"{int(value.screen['listed'].sum()):,} of the {len(value.screen):,} {who} are listed "
                      "in high_quality_customers.csv. The score weighs value, behaviour, satisfaction, loyalty and "
                      "referrals (params value.screen_weights); a criterion is met in the top 20% of customers.")]
    if len(value.referrals):
        r = value.referrals.head(10)
        parts.append(table(pd.DataFrame({"Referrer": _ids(r["referrer"], value.show_customer_ids),
                                         "Customers referred": r["n_referred"].map(count),
                                         f"Their CLV ({value.currency})": r["referred_value"].map(_m)}),
                           text=["Referrer"]))
    parts.append(notes_list(value.notes[value.notes["section"] == "quality screen"]))
    return join(*parts)


def personas_html(value: Any) -> HTML:
    """Each persona in plain words with its size, value share and expected churn."""
    p = value.personas
    if p is None or p.k == 0:
        return join(notes_list(p.notes if p is not None else []))
    prof = p.profiles.merge(value.persona_risk, on="persona", how="left") if len(value.persona_risk) else p.profiles
    show = pd.DataFrame({"Persona": prof["name"], "What they are like": prof["description"],
                         "Customers": prof["n_customers"].map(count), "Share": prof["share"].map(pct),
                         "Share of value": prof["value_share"].map(_p)})
    if "expected_churn" in prof:
        show["Expected churn (mean probability)"] = prof["expected_churn"].map(_p)
    stab = f"{p.stability:.2f}" if pd.notna(p.stability) else "not measured"
    main = p.notes[p.notes["subject"] == "stability"]
    method = p.notes[p.notes["subject"] != "stability"]
    return join(table(show, text=["Persona", "What they are like"]), notes_list(main),
                small_print("How the personas were found: " + " ".join(method["note"])) if len(method) else "",
                footnote(f"k-means on standardised behaviour of the {vocabulary.name('customers_end', month=value.month)}; "
                         f"{p.k} personas chosen by "
                         f"silhouette; stability across seeds (adjusted Rand index, 1 = identical) {stab}."))


def crosssell_html(value: Any) -> HTML:
    """The top category rules in plain words."""
    cs = value.crosssell
    if cs is None:
        return join(notes_list(value.notes[value.notes["section"] == "cross-sell"]))
    if not len(cs.rules):
        return join(notes_list(cs.notes) if len(cs.notes) else paragraph("No category pair is bought together more "
                                                                           "often than chance with enough customers."))
    r = cs.rules
    # lift is symmetric: show each pair once, in the direction with the higher share buying
    pair = r.apply(lambda x: tuple(sorted((str(x["antecedent"]), str(x["consequent"])))), axis=1)
    r = r.assign(_pair=pair).sort_values("confidence", ascending=False, kind="stable").drop_duplicates("_pair")
    r = r.sort_values(["lift", "n_both"], ascending=False, kind="stable")
    show = pd.DataFrame({"Rule": r["sentence"], "Customers buying both": r["n_both"].map(count),
                         "Times as likely as all customers": r["lift"].map(lambda v: f"{v:.2f}")})
    return join(table(show, text=["Rule"]), footnote("A customer buys a category if they ever bought it; shown are pairs "
                                                    "bought together more often than chance by enough customers."),
                notes_list(cs.notes))


def result_html(result: Any) -> HTML:
    """Any of the customer-value results, shown by itself in a notebook."""
    name = type(result).__name__
    if name == "RfmResult":
        return rfm_html(result)
    if name == "LifecycleResult":
        return lifecycle_html(result)
    if name == "ClvResult":
        return join(clv_html(result), holdout_html(result))
    return join(headline_html(result), at_risk_html(result))
