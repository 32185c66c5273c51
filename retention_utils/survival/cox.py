"""Cox proportional hazards model: hazard ratios with 95% intervals, and a proportional-hazards check.

Conventions:

* **Reference level** of a categorical covariate: ``survival.reference_levels``
  when set (a level not present is a ConfigError listing the levels present),
  else its most frequent level (ties broken alphabetically), so hazard ratios
  compare with the typical customer.
* **Landmark**: early-life features (``early_complaint``, ``nps_detractor``,
  ``discount_user``) are only known once their window has passed, so a Cox model
  that uses them includes the customers still active ``early_days`` after their
  start and counts their risk from that day on (delayed entry): customers who left
  before the window closed cannot bias the comparison (no immortal-time bias). The
  notes say how many customers this leaves out.
* **Terms** without variation, or fully determined by earlier terms (e.g. a sales
  channel used only by one segment), are dropped with a note.
* **Fit**: Newton-Raphson on the Efron partial likelihood (statsmodels ``PHReg``). When it
  does not converge (or a level has no churn at all, so its ratio runs to zero
  or infinity), the model is refitted with a ridge penalty of
  ``RIDGE_PENALTY / 2 * sum(coef**2)`` on the log partial likelihood (a normal
  prior with standard deviation 1 on each log hazard ratio); its intervals use
  the inverse of the penalized information, which shrinks extreme ratios
  toward 1. The result says so in ``explanation``.
* **Proportional hazards check**: per model term, the correlation of the scaled
  Schoenfeld residuals with the Kaplan-Meier transform of time, and the
  Grambsch-Therneau chi-square test (1 degree of freedom) in the approximate
  form used by R ``cox.zph`` before 2020 and by lifelines.
* A Cox model needs :data:`~retention_utils.survival.base.EVENTS_PER_TERM` churn events per term.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.hazard_regression import PHReg, PHRegResults
from statsmodels.duration.survfunc import SurvfuncRight

from ..calendar import DAYS_PER_MONTH
from ..errors import ConfigError, DataError
from ..results import notes_frame
from .base import (
    DERIVED_FEATURES,
    EVENTS_PER_TERM,
    MIN_EVENTS,
    RIDGE_PENALTY,
    _arrays,
    _available,
    _check_table,
    _Displayed,
    _labels,
    _merge_rare,
    _note,
    _order_levels,
)

__all__ = ["CoxResult", "cox_hazard_ratios", "term_label"]



@dataclass(frozen=True)
class CoxResult(_Displayed):
    """Cox proportional hazards model (see :func:`cox_hazard_ratios`).

    Attributes
    ----------
    hazard_ratios : DataFrame
        One row per model term: ``term, covariate, level, reference, kind,
        hazard_ratio, ci_lower, ci_upper, p_value, coef, std_err, n_customers,
        n_events`` (customers and churn events with the level; for numeric
        covariates all rows). ``kind`` is categorical, binary or numeric.
    ph_check : DataFrame
        ``term, covariate, rho, statistic, p_value, violation, suggestion``.
    notes : DataFrame
        ``section, subject, note``: covariates and levels merged or dropped, rows
        left out, the landmark, the fallback fit.
    fit : DataFrame
        One row: ``status, method, n_customers, n_events, n_terms, landmark_days,
        log_likelihood, penalty``.
    status : str
        ``ok``, ``penalized`` (fallback fit), ``too_few_events`` or
        ``no_covariates``.
    explanation : str
        Plain-language statement of what was fitted, and why when not ``ok``.
    """

    hazard_ratios: pd.DataFrame
    ph_check: pd.DataFrame
    notes: pd.DataFrame
    fit: pd.DataFrame
    status: str
    explanation: str


_HR_COLS = ["term", "covariate", "level", "reference", "kind", "hazard_ratio", "ci_lower", "ci_upper", "p_value",
            "coef", "std_err", "n_customers", "n_events"]
_PH_COLS = ["term", "covariate", "rho", "statistic", "p_value", "violation", "suggestion"]


def _check_reference(cov: str, ref: str, present: list[str]) -> None:
    if ref not in present:
        shown = ", ".join(repr(lv) for lv in present[:10]) + (" ..." if len(present) > 10 else "")
        raise ConfigError(f"survival.reference_levels: the reference level {ref!r} of covariate {cov!r} is not "
                          f"present in this unit's customers; levels present: {shown}. Set "
                          f"survival.reference_levels.{cov} in the unit's params to one of them (or remove it to use "
                          "the most frequent level).")


def _design(table: pd.DataFrame, covariates: list[str], min_count: int,
            reference_levels: dict[str, str] | None = None
            ) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, list[dict[str, str]]]:
    """Design matrix (0/1 dummies and numeric columns), term metadata, rows kept, notes."""
    refs = dict(reference_levels or {})
    unknown = sorted(set(refs) - set(covariates))
    if unknown:
        raise ConfigError(f"survival.reference_levels: {unknown} {'is' if len(unknown) == 1 else 'are'} not among "
                          f"the Cox covariates {list(covariates)} (survival.covariates); a reference level is set "
                          "only for a modelled covariate.")
    notes: list[dict[str, str]] = []
    keep = np.ones(len(table), dtype=bool)
    cols: dict[str, np.ndarray] = {}
    meta = []
    for cov in covariates:
        if cov not in table.columns:
            raise ConfigError(f"survival.covariates: {cov!r} is neither a customer attribute nor a derived feature "
                              f"of this unit; available: {_available(table)}. Remove it or fix the spelling in the "
                              "unit's params.")
        x = table[cov]
        is_bin = pd.api.types.is_bool_dtype(x) or (pd.api.types.is_numeric_dtype(x) and x.dropna().isin([0, 1]).all()
                                                   and x.notna().all())
        if is_bin:
            v = x.astype(float).to_numpy()
            n1, n0 = int(v.sum()), int(len(v) - v.sum())
            ref = str(refs.get(cov, "no")).lower()
            if cov in refs:
                _check_reference(cov, ref, ["no", "yes"] if pd.api.types.is_bool_dtype(x) else ["0", "1"])
                ref = {"0": "no", "1": "yes"}.get(ref, ref)
            if min(n1, n0) < min_count:
                notes.append(_note("Cox", cov, f"dropped: only {min(n1, n0)} customers are "
                                                f"{'with' if n1 < n0 else 'without'} it (fewer than {min_count})."))
                continue
            level = "no" if ref == "yes" else "yes"
            cols[cov] = 1.0 - v if ref == "yes" else v
            meta.append({"term": cov, "covariate": cov, "level": level, "reference": ref, "kind": "binary"})
        elif pd.api.types.is_numeric_dtype(x):
            if cov in refs:
                raise ConfigError(f"survival.reference_levels: covariate {cov!r} is numeric (one hazard ratio per "
                                  "unit), so it has no reference level; remove it from survival.reference_levels.")
            v = x.astype(float).to_numpy()
            bad = ~np.isfinite(v)
            if bad.all() or np.nanstd(v) == 0:
                notes.append(_note("Cox", cov, "dropped: no variation (or no values) in this unit."))
                continue
            if bad.any():
                notes.append(_note("Cox", cov, f"{int(bad.sum())} customers without a value left out of the model."))
                keep &= ~bad
            cols[cov] = np.where(bad, 0.0, v)
            meta.append({"term": cov, "covariate": cov, "level": "per unit", "reference": "", "kind": "numeric"})
        else:
            labels, more = _merge_rare(_labels(x), min_count, section="Cox", name=cov)
            notes += more
            if labels.isna().any():
                keep &= labels.notna().to_numpy()
            levels = _order_levels(labels)
            if cov in refs:
                _check_reference(cov, str(refs[cov]), levels)
                levels = [str(refs[cov])] + [lv for lv in levels if lv != str(refs[cov])]
            if len(levels) < 2:
                only = f"'{levels[0]}'" if levels else "none"
                notes.append(_note("Cox", cov, f"dropped: only one level ({only}) in this unit."))
                continue
            ref = levels[0]
            for lv in levels[1:]:
                name = f"{cov}[{lv}]"
                cols[name] = (labels == lv).to_numpy(dtype=float)
                meta.append({"term": name, "covariate": cov, "level": lv, "reference": ref, "kind": "categorical"})
    X = pd.DataFrame(cols, index=table.index)
    return X, pd.DataFrame(meta, columns=["term", "covariate", "level", "reference", "kind"]), keep, notes


def _drop_aliased(X: pd.DataFrame, meta: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list[dict[str, str]]]:
    """Drop terms without variation or fully determined by earlier terms (collinear dummies), with notes.

    Works on the centred cross-product matrix (the Cox model has no intercept,
    so a constant column is not identified either); terms are tried in model
    order, so the later of two aliased terms is dropped.
    """
    notes: list[dict[str, str]] = []
    if X.shape[1] == 0:
        return X, meta, notes
    xa = X.to_numpy(dtype=float)
    xc = xa - xa.mean(axis=0)
    C = xc.T @ xc
    kept: list[int] = []
    for j in range(xa.shape[1]):
        cjj = C[j, j]
        if cjj <= 1e-9 * max(len(xa), 1):
            notes.append(_note("Cox", meta["term"].iloc[j], "dropped: no variation among the modelled customers."))
            continue
        if kept:
            ck = C[np.ix_(kept, kept)]
            coef = np.linalg.lstsq(ck, C[kept, j], rcond=None)[0]
            resid = cjj - C[j, kept] @ coef
            if resid <= 1e-8 * cjj:
                others = ", ".join(meta["term"].iloc[kept][np.abs(coef) > 1e-6][:5])
                notes.append(_note("Cox", meta["term"].iloc[j], f"dropped: fully determined by other terms "
                                                                 f"({others}); the same customers, so its ratio is "
                                                                 "not identifiable."))
                continue
        kept.append(j)
    return X.iloc[:, kept], meta.iloc[kept].reset_index(drop=True), notes


def _fit_is_sound(res: PHRegResults) -> str:
    """Empty when the fit looks sound, else the reason."""
    p, se = np.asarray(res.params), np.asarray(res.bse)
    if not np.all(np.isfinite(p)) or not np.all(np.isfinite(se)):
        return "some estimates are not finite"
    if np.any(np.abs(p) > 10) or np.any(se > 5):
        return "some hazard ratios run off to zero or infinity (a level with no churn, or perfect separation)"
    return ""


def _ridge(model: PHReg, penalty: float, start: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Ridge-penalized partial likelihood by Newton's method with step halving."""
    k = model.exog.shape[1]
    beta = np.where(np.isfinite(start) & (np.abs(start) < 10), start, 0.0)

    def obj(b: np.ndarray) -> float:
        return float(model.loglike(b) - 0.5 * penalty * b @ b)

    cur = obj(beta)
    for _ in range(100):
        g = model.score(beta) - penalty * beta
        H = model.hessian(beta) - penalty * np.eye(k)
        step = np.linalg.solve(H, -g)
        t = 1.0
        while t > 1e-8:
            new = beta + t * step
            val = obj(new)
            if np.isfinite(val) and val >= cur - 1e-12:
                break
            t /= 2
        beta, done = new, abs(val - cur) < 1e-10
        cur = val
        if done:
            break
    cov = np.linalg.inv(-(model.hessian(beta) - penalty * np.eye(k)))
    return beta, cov, float(model.loglike(beta))


def _km_transform(time: np.ndarray, event: np.ndarray) -> np.ndarray:
    """1 - KM(t) at each time (the 'km' time transform of the PH test)."""
    sf = SurvfuncRight(time, event.astype(float))
    i = np.searchsorted(sf.surv_times, time, side="right") - 1
    s = np.where(i >= 0, sf.surv_prob[np.maximum(i, 0)], 1.0)
    return 1.0 - s


def _ph_check(res: PHRegResults, meta: pd.DataFrame, time: np.ndarray, event: np.ndarray,
              alpha: float = 0.05) -> pd.DataFrame:
    """Scaled Schoenfeld residuals against the KM transform of time, per term."""
    sch = np.asarray(res.schoenfeld_residuals)
    ev = event & np.all(np.isfinite(sch), axis=1)
    V = np.asarray(res.cov_params())
    d = int(event.sum())
    if ev.sum() < 3:
        return pd.DataFrame(columns=_PH_COLS)
    scaled = d * sch[ev] @ V + np.asarray(res.params)
    g = _km_transform(time, event)[ev]
    gc = g - g.mean()
    rows = []
    for j, m in enumerate(meta.itertuples()):
        num = (gc * scaled[:, j]).sum() ** 2
        stat = num / (d * V[j, j] * (gc ** 2).sum()) if (gc ** 2).sum() > 0 else np.nan
        p = float(stats.chi2.sf(stat, 1)) if np.isfinite(stat) else np.nan
        with np.errstate(all="ignore"):
            rho = float(np.corrcoef(g, scaled[:, j])[0, 1]) if np.std(scaled[:, j]) > 0 else np.nan
        bad = bool(np.isfinite(p) and p < alpha)
        trend = "grows" if rho > 0 else "fades"
        if not bad:
            sugg = "none needed: the hazard ratio is stable over the customer life"
        elif m.kind == "categorical":
            sugg = (f"the effect {trend} with tenure: stratify by {m.covariate} (a separate baseline per level) or "
                    "split follow-up time (e.g. first 12 months vs later) and report a ratio per period")
        else:
            sugg = (f"the effect {trend} with tenure: split follow-up time (e.g. first 12 months vs later) and report "
                    "a ratio per period; the single ratio is an average over the customer life")
        rows.append({"term": m.term, "covariate": m.covariate, "rho": rho, "statistic": float(stat), "p_value": p,
                     "violation": bad, "suggestion": sugg})
    return pd.DataFrame(rows, columns=_PH_COLS)


def _empty_cox(status: str, why: str, notes: list[dict[str, str]], base: dict[str, Any]) -> CoxResult:
    fit = pd.DataFrame([{"status": status, **base}])
    return CoxResult(pd.DataFrame(columns=_HR_COLS), pd.DataFrame(columns=_PH_COLS),
                     notes_frame(notes + [_note("Cox", status.replace("_", " "), why)]), fit, status, why)


def cox_hazard_ratios(table: pd.DataFrame, *, covariates: list[str] | tuple[str, ...],
                      min_level_customers: int = 30, landmark_days: int | None = None,
                      alpha: float = 0.05, reference_levels: dict[str, str] | None = None) -> CoxResult:
    """Cox proportional hazards model (Efron ties): hazard ratios, intervals, and a PH check.

    Parameters
    ----------
    table : DataFrame
        Lifetimes with ``duration_months, event`` (and ``duration_days`` when
        ``landmark_days`` is given) and the covariate columns; not modified.
    covariates : list of str
        Columns: text → categorical (dummies against the most frequent level),
        booleans or 0/1 → binary, other numbers → linear per unit.
    min_level_customers : int
        Levels with fewer customers are merged into ``"other (rare)"``; binary
        covariates with fewer customers on either side are dropped.
    landmark_days : int, optional
        Fit on the customers still active this many days after their start,
        with risk counted from that day (delayed entry); used when covariates
        describe the early life (see the module docstring).
    alpha : float
        1 - coverage of the intervals; level of the PH-check flag.
    reference_levels : dict of str to str, optional
        Covariate -> its reference level (``survival.reference_levels``); default the
        most frequent level (``no`` for binary covariates).

    Returns
    -------
    CoxResult

    Raises
    ------
    ConfigError
        A covariate that is not a column of ``table``; a reference level that is not
        present among the (rare-merged) levels, or set for a numeric covariate or one
        not modelled.

    Examples
    --------
    >>> t = pd.DataFrame({"duration_months": [1.0, 2, 3, 4, 5, 6, 7, 8], "event": [True] * 8,
    ...                   "vip": [0, 1, 0, 1, 0, 1, 1, 0]})
    >>> res = cox_hazard_ratios(t, covariates=["vip"], min_level_customers=1)
    >>> res.status, res.hazard_ratios.term.tolist()
    ('too_few_events', [])
    """
    _check_table(table, "cox_hazard_ratios")
    notes: list[dict[str, str]] = []
    work = table
    entry = None
    if landmark_days:
        if "duration_days" not in table.columns:
            raise DataError("cox_hazard_ratios: landmark_days needs a duration_days column in the lifetimes table.")
        alive = table["duration_days"].to_numpy() > landmark_days
        n_out = int((~alive).sum())
        notes.append(_note("Cox", "landmark", f"early-life features are known only after {landmark_days} days, so the "
                                               f"model uses the {int(alive.sum()):,} customers still active "
                                               f"{landmark_days} days after their start and counts their risk from "
                                               f"then on; {n_out:,} customers who left earlier are not in it."))
        work = table[alive]
        entry = np.full(len(work), landmark_days / DAYS_PER_MONTH)
    X, meta, keep, more = _design(work, list(covariates), min_level_customers, reference_levels)
    notes += more
    time, event = _arrays(work)
    if not keep.all():
        notes.append(_note("Cox", "rows", f"{int((~keep).sum()):,} customers left out of the model (see above)."))
        X, time, event = X[keep], time[keep], event[keep]
        entry = entry[keep] if entry is not None else None
    X, meta, more = _drop_aliased(X, meta)
    notes += more
    n, d, k = len(time), int(event.sum()), X.shape[1]
    base = {"method": "", "n_customers": n, "n_events": d, "n_terms": k,
            "landmark_days": landmark_days or 0, "log_likelihood": np.nan, "penalty": 0.0}

    if k == 0:
        return _empty_cox("no_covariates", "No covariate is left to model (see the notes), so no hazard ratios.",
                          notes, base)
    need = max(EVENTS_PER_TERM * k, MIN_EVENTS)
    if d < need:
        return _empty_cox("too_few_events", f"Too few events: {d} churn events for {k} model terms; a Cox model "
                                            f"needs about {EVENTS_PER_TERM} events per term ({need}), so no hazard "
                                            "ratios are shown.", notes, base)
    Xa = X.to_numpy(dtype=float)
    model = PHReg(time, Xa, status=event.astype(float), entry=entry, ties="efron")
    status, method, penalty = "ok", "Cox proportional hazards, Efron ties (statsmodels PHReg)", 0.0
    explanation = (f"Cox proportional hazards model on {n:,} customers and {d:,} churn events; each ratio compares "
                   "customers who differ only in that trait (the other traits held equal). Ratios describe "
                   "associations in the data, not proof of cause.")
    reason = ""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = model.fit()
        conv = [w for w in caught if "converge" in str(w.message).lower()]
        reason = "the optimizer did not converge" if conv else _fit_is_sound(res)
    except (np.linalg.LinAlgError, ValueError, FloatingPointError) as exc:
        reason, res = f"the fit failed ({type(exc).__name__}: {exc})", None
    if reason:
        start = np.asarray(res.params) if res is not None else np.zeros(k)
        beta, cov, ll = _ridge(model, RIDGE_PENALTY, start)
        res = PHRegResults(model, beta, cov)
        status, penalty = "penalized", RIDGE_PENALTY
        method = f"ridge-penalized Cox (penalty {RIDGE_PENALTY:g}), Efron ties"
        explanation = (f"The standard Cox fit was not usable ({reason}), so the ratios come from a ridge-penalized "
                       f"fit (penalty {RIDGE_PENALTY:g}: a normal prior with standard deviation 1 on each log hazard "
                       "ratio). It shrinks extreme ratios toward 1; intervals are approximate.")
        notes.append(_note("Cox", "fallback", explanation))
    params, se = np.asarray(res.params), np.asarray(res.bse)
    z = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(all="ignore"):
        pv = 2 * stats.norm.sf(np.abs(params / se))
    n_lv = (Xa != 0).sum(axis=0)
    d_lv = ((Xa != 0) & event[:, None]).sum(axis=0)
    hr = meta.assign(hazard_ratio=np.exp(params), ci_lower=np.exp(params - z * se), ci_upper=np.exp(params + z * se),
                     p_value=pv, coef=params, std_err=se, n_customers=n_lv, n_events=d_lv)
    num = (meta["kind"] == "numeric").to_numpy()
    hr.loc[num, "n_customers"], hr.loc[num, "n_events"] = n, d
    ph = _ph_check(res, meta, time, event, alpha)
    base.update(method=method, log_likelihood=float(model.loglike(params)), penalty=penalty)
    fit = pd.DataFrame([{"status": status, **base}])
    return CoxResult(hr[_HR_COLS].reset_index(drop=True), ph, notes_frame(notes), fit, status, explanation)


def term_label(row: Any, early_days: int) -> str:
    """Short plain-text label of a Cox term, e.g. ``plan: premium (vs basic)``.

    ``row`` is a row of :attr:`CoxResult.hazard_ratios` (``covariate, kind, level, reference``);
    ``early_days`` fills in the window of a derived feature.

    Examples
    --------
    >>> from types import SimpleNamespace as R
    >>> term_label(R(covariate="early_complaint", kind="binary", level="yes", reference="no"), 30)
    'a complaint in their first 30 days (yes vs no)'
    >>> term_label(R(covariate="plan", kind="categorical", level="premium", reference="basic"), 30)
    'plan: premium (vs basic)'
    """
    if row.covariate in DERIVED_FEATURES:
        return DERIVED_FEATURES[row.covariate].format(days=early_days) + " (yes vs no)"
    if row.kind == "binary":
        return f"{row.covariate} (yes vs no)"
    if row.kind == "numeric":
        return f"{row.covariate} (per unit)"
    return f"{row.covariate}: {row.level} (vs {row.reference})"
