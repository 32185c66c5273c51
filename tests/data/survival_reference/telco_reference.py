"""Reference values for tests/test_survival_{km,logrank,cox,rmst,analysis}.py from an independent implementation
(lifelines).

Data: ../shared/data/real/telco_ibm/WA_Fn-UseC_-Telco-Customer-Churn.csv (IBM "Telco Customer
Churn", 7,043 customers), duration = tenure (months), event = Churn == "Yes".

lifelines pins pandas < 3, so this runs in its own environment, never in the kit's:

    python3 -m venv /tmp/ref-venv
    /tmp/ref-venv/bin/pip install lifelines 'pandas<3'
    /tmp/ref-venv/bin/python tests/data/survival_reference/telco_reference.py

It writes telco_reference.json beside itself (values, settings and package versions).

Conventions matched on purpose (see the retention_utils/survival/ modules):
* KM intervals: lifelines' default "exponential Greenwood" = log(-log) transform.
* Cox: Efron ties (lifelines' only method), no penalty; categorical covariates as 0/1 dummies
  against the most frequent level; numeric covariates as they are.
* RMST: lifelines.utils.restricted_mean_survival_time (area under the KM curve).
* PH test: lifelines.statistics.proportional_hazard_test with time_transform="km" (the
  Grambsch-Therneau approximation R's cox.zph used before 2020).
"""
from __future__ import annotations

import importlib.metadata as md
import json
import platform
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
CSV = HERE.parents[3] / "shared" / "data" / "real" / "telco_ibm" / "WA_Fn-UseC_-Telco-Customer-Churn.csv"
CATEGORICAL = ["Contract", "InternetService", "PaperlessBilling"]
BINARY = ["SeniorCitizen"]
NUMERIC = ["MonthlyCharges"]
HORIZONS = [24, 60]


def km_frame(kmf) -> dict:
    sf = kmf.survival_function_.iloc[:, 0]
    ci = kmf.confidence_interval_
    lo = ci.filter(like="lower").iloc[:, 0]
    hi = ci.filter(like="upper").iloc[:, 0]
    ev = kmf.event_table
    keep = ev["observed"].reindex(sf.index).fillna(0).to_numpy() > 0  # event times only
    return {"duration_months": sf.index[keep].tolist(), "survival": sf[keep].tolist(),
            "ci_lower": lo[keep].tolist(), "ci_upper": hi[keep].tolist(),
            "median_months": float(kmf.median_survival_time_)}


def main() -> None:
    # imported here, so that collecting this file in the kit's test run (no lifelines there) does nothing
    from lifelines import CoxPHFitter, KaplanMeierFitter
    from lifelines.statistics import multivariate_logrank_test, pairwise_logrank_test, proportional_hazard_test
    from lifelines.utils import restricted_mean_survival_time

    df = pd.read_csv(CSV)
    T = df["tenure"].astype(float)
    E = (df["Churn"] == "Yes").astype(int)
    out: dict = {"data": str(CSV.relative_to(HERE.parents[3])), "n_customers": int(len(df)), "n_events": int(E.sum())}

    # Kaplan-Meier, overall and by Contract
    km = {"all customers": km_frame(KaplanMeierFitter().fit(T, E))}
    for g, idx in df.groupby("Contract").groups.items():
        km[g] = km_frame(KaplanMeierFitter().fit(T[idx], E[idx]))
    out["km"] = km

    # log-rank: across Contract and across InternetService, pairwise for Contract
    lr = {}
    for col in ("Contract", "InternetService"):
        r = multivariate_logrank_test(T, df[col], E)
        lr[col] = {"statistic": float(r.test_statistic), "p_value": float(r.p_value), "df": int(r.degrees_of_freedom)}
    pw = pairwise_logrank_test(T, df["Contract"], E).summary
    lr["Contract_pairwise"] = [{"group_a": a, "group_b": b, "statistic": float(r["test_statistic"]),
                                "p_value": float(r["p"])} for (a, b), r in pw.iterrows()]
    out["logrank"] = lr

    # Cox (Efron) with dummies against the most frequent level
    X = pd.DataFrame({"duration_months": T, "event": E})
    refs = {}
    for col in CATEGORICAL:
        counts = df[col].value_counts()
        ref = sorted(counts.index, key=lambda lv: (-counts[lv], lv))[0]
        refs[col] = ref
        for lv in sorted(set(df[col]) - {ref}):
            X[f"{col}[{lv}]"] = (df[col] == lv).astype(float)
    for col in BINARY + NUMERIC:
        X[col] = df[col].astype(float)
    cph = CoxPHFitter().fit(X, duration_col="duration_months", event_col="event")
    s = cph.summary
    out["cox"] = {
        "covariates": CATEGORICAL + BINARY + NUMERIC, "reference_levels": refs,
        "terms": [{"term": t, "coef": float(r["coef"]), "std_err": float(r["se(coef)"]),
                   "hazard_ratio": float(r["exp(coef)"]), "ci_lower": float(r["exp(coef) lower 95%"]),
                   "ci_upper": float(r["exp(coef) upper 95%"]), "p_value": float(r["p"])} for t, r in s.iterrows()],
        "log_likelihood": float(cph.log_likelihood_),
    }
    ph = proportional_hazard_test(cph, X, time_transform="km").summary
    out["ph_test_km"] = [{"term": t, "statistic": float(r["test_statistic"]), "p_value": float(r["p"])}
                         for t, r in ph.iterrows()]

    # RMST by Contract and overall
    rm = []
    for h in HORIZONS:
        rm.append({"group": "all customers", "horizon_months": h,
                   "rmst_months": float(restricted_mean_survival_time(KaplanMeierFitter().fit(T, E), t=h))})
        for g, idx in df.groupby("Contract").groups.items():
            k = KaplanMeierFitter().fit(T[idx], E[idx])
            rm.append({"group": g, "horizon_months": h, "rmst_months": float(restricted_mean_survival_time(k, t=h))})
    out["rmst"] = rm

    out["versions"] = {"python": platform.python_version(),
                       **{p: md.version(p) for p in ("lifelines", "pandas", "numpy", "scipy", "autograd")}}
    (HERE / "telco_reference.json").write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print("wrote", HERE / "telco_reference.json")


if __name__ == "__main__":
    main()
