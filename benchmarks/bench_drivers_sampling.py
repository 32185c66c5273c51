"""Does sampling the churn models' training rows change their out-of-time accuracy?

The churn-drivers analysis fits its models on a sample of at most ``max_train_rows`` training rows
(drawn within each cut-off and outcome, :func:`retention_utils.drivers.fitting.stratified_sample`).
This script measures what the sample costs: for each sample size it fits the logistic regression and
the calibrated gradient boosting exactly as :func:`~retention_utils.drivers.churn_drivers` does, on
the same training panel, and reports the ROC AUC on the evaluation cut-off (customers and a period
the models never saw), the fit seconds and the difference to the largest size. Size 0 means every
training row.

Usage (a unit of a params folder, e.g. the 1M-customer demo of bench_monthly_run.py)::

    python benchmarks/bench_drivers_sampling.py --params /work/bench1m/params --unit retail \\
        --sizes 50000,100000,250000,0 --seeds 0,1

Results are printed and written to ``benchmarks/results/bench_drivers_sampling-<date>.json``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--params", required=True, help="params folder")
    ap.add_argument("--unit", required=True)
    ap.add_argument("--sizes", default="50000,100000,250000,0", help="training-row sample sizes; 0 = all rows")
    ap.add_argument("--seeds", default="0", help="sampling and fitting seeds, comma separated")
    args = ap.parse_args()

    from sklearn.metrics import roc_auc_score

    from retention_utils.config import load_config
    from retention_utils.contract import load_unit_data
    from retention_utils.drivers.leakage import _usable_numeric
    from retention_utils.drivers.fitting import _fit_all, _predict, stratified_sample
    from retention_utils.drivers.labels import plan_cutoffs, training_panel
    from retention_utils.drivers.models import OverdueRule
    from retention_utils.engine.features import FEATURES, check_attributes

    params = Path(args.params).resolve()
    os.chdir(params)
    cfg = load_config(params, args.unit)
    t0 = time.perf_counter()
    data = load_unit_data(cfg)
    spec, ch = cfg.drivers, cfg.churn
    attributes = check_attributes(data.customers, spec.attributes)
    history = max(90, ch.inactivity_days) if ch.method == "inactivity" else 90
    plan = plan_cutoffs(month_end=data.month_end, data_start=data.data_start, horizon_days=spec.horizon_days,
                        n_cutoffs=spec.n_cutoffs, min_history_days=history)
    panel = training_panel(data, plan.all_labelled(), horizon_days=spec.horizon_days, attributes=attributes)
    print(f"load + panel: {time.perf_counter() - t0:.1f} s, {len(panel):,} rows", flush=True)
    cut = panel["cutoff"].dt.date
    train = panel[cut.isin(plan.train).to_numpy()]
    evald = panel[(cut == plan.evaluate).to_numpy()]
    y_tr, y_ev = train["churned"].to_numpy(dtype=int), evald["churned"].to_numpy(dtype=int)
    strata = pd.factorize(train["cutoff"])[0] * 2 + y_tr
    numeric = _usable_numeric(train, [c for c in FEATURES if c in train.columns])
    categorical = [a for a in attributes if train[a].nunique() > 1]
    feats = numeric + categorical
    print(f"training rows {len(train):,} ({len(plan.train)} cut-offs), evaluation rows {len(evald):,}", flush=True)

    rows = []
    for seed in (int(s) for s in args.seeds.split(",")):
        for size in (int(s) for s in args.sizes.split(",")):
            n = len(train) if size == 0 or size >= len(train) else size
            idx = stratified_sample(strata, n, np.random.default_rng(seed))
            tr = train.iloc[idx]
            t = time.perf_counter()
            models = _fit_all(tr, y_tr[idx], numeric, categorical, seed=seed, groups=tr["customer_id"].to_numpy(),
                              baseline=OverdueRule())
            fit_s = time.perf_counter() - t
            preds = _predict(models, evald, feats)
            row = {"seed": seed, "size": size, "rows": n, "fit_seconds": round(fit_s, 1),
                   **{f"auc_{m}": round(float(roc_auc_score(y_ev, p)), 5) for m, p in preds.items()}}
            rows.append(row)
            print(row, flush=True)
    for r in rows:  # difference to the largest size of the same seed
        ref = max((x for x in rows if x["seed"] == r["seed"]), key=lambda x: x["rows"])
        for m in ("logit", "hgb"):
            r[f"delta_{m}"] = round(r[f"auc_{m}"] - ref[f"auc_{m}"], 5)
    print(f"\n{'seed':>4} {'rows':>10} {'fit s':>7} {'AUC logit':>10} {'d logit':>8} {'AUC hgb':>8} {'d hgb':>8}")
    for r in rows:
        print(f"{r['seed']:>4} {r['rows']:>10,} {r['fit_seconds']:>7.1f} {r['auc_logit']:>10.4f} "
              f"{r['delta_logit']:>+8.4f} {r['auc_hgb']:>8.4f} {r['delta_hgb']:>+8.4f}")
    out = HERE / "results" / f"bench_drivers_sampling-{dt.date.today():%Y-%m-%d}.json"
    out.write_text(json.dumps({"params": str(params), "unit": args.unit, "training_rows": len(train),
                               "evaluation_rows": len(evald), "results": rows}, indent=2))
    print(f"written {out}")


if __name__ == "__main__":
    main()
