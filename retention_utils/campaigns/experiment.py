"""Experiments exported as one row per customer: the estimates (params ``campaigns.experiment``).

Many teams receive an A/B or holdout result as one table: a customer, the group drawn for them,
pre-period covariates and the outcomes in the window (e.g. the MineThatData e-mail experiment:
``segment`` = Mens E-Mail / Womens E-Mail / No E-Mail, covariates ``recency, history, channel ...``,
outcomes ``visit, conversion, spend``). Reading and checking the file are
:mod:`retention_utils.campaigns.experiment_data` (:func:`read_experiment`, :func:`validate_experiment`,
re-exported here); :func:`experiment_analysis` estimates each treatment arm against the control group
for each outcome with the campaign statistics (:mod:`retention_utils.campaigns.effects`: Newcombe
intervals for proportions, Welch and CUPED for means, Holm across arms x outcomes) and runs the design
checks of :mod:`retention_utils.campaigns.design` (sample ratio per arm, covariate balance, minimum
detectable effects).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..config import ExperimentSpec
from ..datamodel import _snake
from ..errors import ConfigError, examples_text
from ..results import AnalysisResult, notes_frame, summary_rows
from ..stats import holm
from .design import balance_table, mde_mean, mde_proportion, sample_ratio_test
from .effects import Effect, mean_effect, proportion_effect
from .experiment_data import KEY, QUALITY_COLUMNS, read_experiment, validate_experiment

__all__ = ["ExperimentResult", "read_experiment", "validate_experiment", "experiment_analysis",
           "EFFECT_COLUMNS", "QUALITY_COLUMNS"]

#: Columns of :attr:`ExperimentResult.effects`.
EFFECT_COLUMNS = ["arm", "outcome", "kind", "n_treated", "n_control", "treated_value", "control_value", "estimate",
                  "ci_lower", "ci_upper", "relative_lift", "p_value", "p_holm", "method", "primary",
                  "variance_reduction", "note"]
#: A categorical covariate keeps its most frequent levels for the balance table; the rest become "(other)".
MAX_LEVELS = 20

# --- analysis ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExperimentResult(AnalysisResult):
    """Effects and design checks of an experiment exported as one row per customer (:func:`experiment_analysis`).

    Attributes
    ----------
    name : str
        How the report names the experiment (``campaigns.experiment.name``).
    control_label : str
    arms : tuple of str
        The treatment labels, each compared with the control group.
    groups : DataFrame
        ``group, role`` (``control``/``treatment``), ``n_customers, share`` (of the analysed customers).
    effects : DataFrame
        One row per arm, outcome and method (:data:`EFFECT_COLUMNS`): ``arm, outcome, kind``
        (``proportion``/``mean``), ``n_treated, n_control, treated_value, control_value`` (rates, or means;
        CUPED-adjusted means for ``cuped``), ``estimate`` (treated minus control: a difference of
        proportions in fractions, 0.077 = 7.7 points, or of means), ``ci_lower, ci_upper`` (its ``1 - alpha``
        interval), ``relative_lift`` (estimate / control_value; NaN when the control value is 0),
        ``p_value``, ``p_holm`` (Holm-adjusted over the primary rows: every arm x outcome; NaN on other
        rows), ``method`` (``newcombe``, ``welch``, ``cuped``), ``primary`` (the row the headline and the
        summary use: CUPED where it applies, else the only row), ``variance_reduction`` (CUPED: 1 -
        var(adjusted) / var(outcome); NaN otherwise), ``note`` (why a value is NaN, a design warning).
    srm : DataFrame
        Sample-ratio test per arm: ``arm, n_treated, n_control, expected_share, observed_share, chi2, p_value,
        flagged``; empty without ``treatment_share`` (a note says so).
    balance : DataFrame
        ``arm, feature, mean_treated, mean_control, smd, flagged``; categorical covariates one-hot
        (``channel=Web``); empty without covariates.
    mde : DataFrame
        Minimum detectable effect per arm and outcome (power 0.8 at ``alpha``): ``arm, outcome, kind,
        n_treated, n_control, control_value, mde`` (in the estimate's unit), ``mde_relative`` (mde /
        control_value), ``method``, ``note``.
    quality : DataFrame
        ``reason, rows``: how every input row is used.
    alpha : float
    cuped_covariate : str or None
        The pre-period covariate of the CUPED adjustment (the first numeric covariate), if any.
    notes : DataFrame
        ``section, subject, note``.
    """

    name: str
    control_label: str
    arms: tuple[str, ...]
    groups: pd.DataFrame
    effects: pd.DataFrame
    srm: pd.DataFrame
    balance: pd.DataFrame
    mde: pd.DataFrame
    quality: pd.DataFrame
    alpha: float
    cuped_covariate: str | None
    notes: pd.DataFrame = field(default_factory=notes_frame)
    _display: ClassVar[str] = "retention_utils.display.experiment"

    def primary(self) -> pd.DataFrame:
        """The effects the headline, the summary and Holm use: one row per arm and outcome."""
        return self.effects[self.effects["primary"]].reset_index(drop=True)

    @property
    def headline(self) -> str:
        """One sentence in plain words on the first outcome named in params, every arm against the control.

        E.g. "Mens E-Mail raised the visit rate by 7.7 points (7.2 to 8.2) and Womens E-Mail raised it by 4.5
        points (4.0 to 5.0) against No E-Mail." An arm "raised"/"lowered" the outcome when its interval
        excludes zero, else it "made no clear difference"; an arm whose split failed the sample-ratio test
        is named as suspect.
        """
        p = self.primary()
        first = p[p.outcome == p.outcome.iloc[0]].sort_values("estimate", ascending=False, na_position="last")
        clauses = [_clause(r, first_clause=i == 0) for i, r in enumerate(first.itertuples())]
        text = clauses[0] if len(clauses) == 1 else ", ".join(clauses[:-1]) + " and " + clauses[-1]
        text += f" against {self.control_label}"
        bad = self.srm[self.srm.flagged] if len(self.srm) else self.srm
        if len(bad):
            text += (f"; the split of {examples_text(bad.arm.tolist())} against {self.control_label} is not the "
                     "intended one (sample-ratio mismatch), so " + ("that effect is" if len(bad) == 1 else
                                                                   "those effects are") + " suspect")
        return text + "."

    def summary_frame(self) -> pd.DataFrame:
        """Headline rows (``analysis="experiment"``).

        ``experiment_customers`` (analysed), ``experiment_rows_set_aside``, one ``effect_<outcome>_<arm>``
        row per arm and outcome (value: the primary estimate with its interval; unit ``share`` for a
        difference of proportions in fractions, ``per customer`` for a difference of means),
        ``srm_p_value_<arm>`` where tested, ``balance_flagged`` (covariates with |SMD| above the threshold)
        and the ``headline`` sentence (unit ``sentence``).
        """
        n = int(self.groups.n_customers.sum())
        aside = int(self.quality.loc[self.quality.reason != "used", "rows"].sum())
        rows: list[dict[str, Any]] = [
            {"metric": "experiment_customers", "label": f"Customers analysed in {self.name}", "value": n,
             "unit": "customers"},
            {"metric": "experiment_rows_set_aside", "label": "Rows set aside (see the data-quality accounting)",
             "value": aside, "unit": "rows", "higher_is_better": False}]
        for r in self.primary().itertuples():
            rows.append({"metric": f"effect_{_snake(r.outcome)}_{_snake(r.arm)}",
                         "label": f"{_outcome_words(r.outcome, r.kind, article=False)}: {r.arm} vs {self.control_label} "
                                  "(difference)",
                         "value": r.estimate, "ci_lower": r.ci_lower, "ci_upper": r.ci_upper,
                         "unit": "share" if r.kind == "proportion" else "per customer"})
        for r in self.srm.itertuples():
            rows.append({"metric": f"srm_p_value_{_snake(r.arm)}", "unit": "p-value", "value": r.p_value,
                         "label": f"Split of {r.arm} vs {self.control_label} against the intended "
                                  f"{r.expected_share:.1%} (sample-ratio test)"})
        if len(self.balance):
            rows.append({"metric": "balance_flagged", "unit": "features", "higher_is_better": False,
                         "value": int(self.balance.flagged.sum()),
                         "label": "Covariates out of balance (|standardised mean difference| above the threshold)"})
        rows.append({"metric": "headline", "label": self.headline, "value": math.nan, "unit": "sentence"})
        return summary_rows(rows, analysis="experiment")


def _outcome_words(outcome: str, kind: str, *, article: bool = True) -> str:
    """'the visit rate' (a proportion) or 'mean spend per customer' (a mean); 'Visit rate' without article."""
    words = outcome.replace("_", " ").strip()
    if kind == "proportion":
        return f"the {words} rate" if article else f"{words[:1].upper()}{words[1:]} rate"
    return f"mean {words} per customer" if article else f"Mean {words} per customer"


def _amount(v: float) -> str:
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:,.2f}" if abs(v) >= 1 else f"{v:.3g}"


def _clause(r: Any, *, first_clause: bool) -> str:
    """'Mens E-Mail raised the visit rate by 7.7 points (7.2 to 8.2)' for one primary effect row."""
    what = _outcome_words(r.outcome, r.kind) if first_clause else "it"
    if not np.isfinite(r.estimate) or not np.isfinite(r.ci_lower):
        return f"{r.arm} could not be measured on {_outcome_words(r.outcome, r.kind)} ({r.note or 'no estimate'})"
    scale, unit = (100.0, " points") if r.kind == "proportion" else (1.0, "")

    def fmt(v: float) -> str:
        return f"{v * scale:.1f}" if r.kind == "proportion" else _amount(v)

    if r.ci_lower > 0 or r.ci_upper < 0:
        verb = "raised" if r.estimate > 0 else "lowered"
        lo, hi = sorted((abs(r.ci_lower), abs(r.ci_upper)))
        return f"{r.arm} {verb} {what} by {fmt(abs(r.estimate))}{unit} ({fmt(lo)} to {fmt(hi)})"
    sign = "+" if r.estimate >= 0 else "-"
    return (f"{r.arm} made no clear difference to {what} ({sign}{fmt(abs(r.estimate))}{unit}, {fmt(r.ci_lower)} "
            f"to {fmt(r.ci_upper)})")


def _one_hot(frame: pd.DataFrame, covariates: list[str]) -> tuple[pd.DataFrame, list[tuple[str, str, str]]]:
    """Balance features: numeric covariates as they are, categorical ones as 0/1 columns ``col=level``.

    A row with a missing category is missing in every indicator (skipped by the balance table); levels
    beyond the :data:`MAX_LEVELS` - 1 most frequent are pooled as ``(other)``, with a note.
    """
    parts, notes = [], []
    for col in covariates:
        s = frame[col]
        if pd.api.types.is_float_dtype(s):
            parts.append(s.rename(col))
            continue
        counts = s.value_counts(dropna=True)
        if len(counts) > MAX_LEVELS:
            keep = set(counts.index[:MAX_LEVELS - 1])
            s = s.where(~s.notna() | s.isin(keep), "(other)")
            notes.append(("balance", col, f"{len(counts):,} levels: the {MAX_LEVELS - 1} most frequent are compared "
                                          f"one by one, the other {len(counts) - MAX_LEVELS + 1:,} together as "
                                          "'(other)'"))
        dummies = pd.get_dummies(s, prefix=col, prefix_sep="=", dtype=float)
        dummies[s.isna().to_numpy()] = np.nan
        parts.append(dummies)
    features = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=frame.index)
    return features, notes


def experiment_analysis(frame: pd.DataFrame, spec: ExperimentSpec, *, quality: pd.DataFrame | None = None,
                        alpha: float = 0.05, srm_alpha: float = 0.001, balance_threshold: float = 0.1,
                        min_group: int = 30, power: float = 0.8) -> ExperimentResult:
    """Each treatment arm against the control group, per outcome, with the design checks.

    Proportion outcomes: difference of proportions with Newcombe's interval and the score test
    (:func:`~retention_utils.campaigns.effects.proportion_effect`). Mean outcomes: Welch's difference of
    means, and, when a covariate is numeric, CUPED on the first numeric covariate (the primary row; the
    Welch row stays for comparison, and ``variance_reduction`` shows what the adjustment saved). Holm's
    adjustment runs over every arm x outcome. Design checks: the sample-ratio test per arm (arm vs control
    only, against ``s / (s + c)`` where ``s = treatment_share`` is each arm's intended share and
    ``c = 1 - k s`` the control's, ``k`` arms), the balance of the covariates per arm, the minimum
    detectable effect per arm and outcome. The checks use the analysed rows, so an arm that loses
    outcomes unevenly also shows as a mismatch.

    Parameters
    ----------
    frame : DataFrame
        One row per customer: :func:`read_experiment`'s frame, or a raw table (it is checked again with
        :func:`validate_experiment`; the clean frame passes unchanged). Not modified.
    spec : ExperimentSpec
        The ``campaigns.experiment`` params section.
    quality : DataFrame, optional
        :func:`read_experiment`'s accounting of the file; by default that of the check of ``frame``.
    alpha : float
        1 - coverage of the intervals, and the level of the minimum detectable effects.
    srm_alpha : float
        Flag a sample-ratio mismatch below this p-value (``campaigns.srm_alpha``).
    balance_threshold : float
        Flag covariates with |standardised mean difference| above this (``campaigns.balance_threshold``).
    min_group : int
        Smallest treated or control group with an estimate (``campaigns.min_group``); smaller: NaN with a note.
    power : float
        Power of the minimum detectable effects.

    Returns
    -------
    ExperimentResult

    Raises
    ------
    ConfigError
        ``treatment_share`` times the number of arms of 1 or more (no share left for the control group),
        and the spec contradictions of :func:`validate_experiment`.
    DataError
        The problems of :func:`validate_experiment`.

    Examples
    --------
    >>> spec = ExperimentSpec(source={"path": "ab.csv"}, group_column="g", control_label="ctl",
    ...                       outcomes={"visit": "proportion"})
    >>> raw = pd.DataFrame({"g": ["ctl", "mail", "ctl", "mail", "ctl", "mail"],
    ...                     "visit": ["no", "yes", "yes", "yes", "no", "no"]})
    >>> r = experiment_analysis(raw, spec, min_group=2)
    >>> r.effects[["arm", "treated_value", "control_value", "estimate"]].round(4).to_dict("records")
    [{'arm': 'mail', 'treated_value': 0.6667, 'control_value': 0.3333, 'estimate': 0.3333}]
    >>> r.headline
    'mail made no clear difference to the visit rate (+33.3 points, -31.6 to 71.8) against ctl.'
    """
    clean, checked = validate_experiment(frame, spec, label=str(frame.attrs.get("source") or "experiment"))
    quality = checked if quality is None else quality
    g = clean[spec.group_column].to_numpy(dtype=object)
    control = g == spec.control_label
    arms = tuple(spec.treatment_labels) if spec.treatment_labels else \
        tuple(sorted(set(g[~control].tolist())))
    share = spec.treatment_share
    if share is not None and len(arms) * share >= 1:
        raise ConfigError(f"{KEY}.treatment_share: {share:g} for each of the {len(arms)} treatment arm(s) leaves no "
                          "share for the control group; give the intended share of ONE treatment arm (e.g. 0.333 for "
                          "two arms and a control group of equal size).")
    notes: list[tuple[str, str, str]] = []
    n_total = int(quality.rows.sum())
    aside = quality[quality.reason != "used"]
    if len(aside):
        notes.append(("data", "rows set aside", f"{len(clean):,} of {n_total:,} rows analysed; set aside: " +
                      "; ".join(f"{r} ({n:,})" for r, n in zip(aside.reason, aside.rows))))
    if frame.attrs.get("read_note"):
        notes.append(("data", str(frame.attrs.get("source") or "file"), str(frame.attrs["read_note"])))

    cuped = _cuped_covariate(clean, spec, notes)
    effects = _effects(clean, spec, g, control, arms, cuped, alpha=alpha, min_group=min_group)
    prim = effects["primary"].to_numpy(dtype=bool)
    effects.loc[prim, "p_holm"] = holm(effects.loc[prim, "p_value"].to_numpy(dtype=float))
    n_tests = int(effects.loc[prim, "p_value"].notna().sum())
    if n_tests > 1:
        notes.append(("effects", "p_holm", f"p-values adjusted for {n_tests} comparisons (arms x outcomes) by Holm's "
                                           "method; the intervals are not adjusted"))
    srm = _srm(g, control, arms, share, srm_alpha, notes)
    for arm in srm.arm[srm.flagged]:
        hit = (effects.arm == arm).to_numpy()
        effects.loc[hit, "note"] = [(f"{n}; " if n else "") + "sample-ratio mismatch: the effect may be biased"
                                    for n in effects.loc[hit, "note"]]
    balance = _balance(clean, spec, g, control, arms, balance_threshold, notes)
    mde = _mde_frame(effects, clean, g, control, arms, spec, alpha=alpha, power=power)
    counts = pd.Series(g).value_counts()
    labels = [spec.control_label, *arms]
    groups = pd.DataFrame({"group": labels, "role": ["control"] + ["treatment"] * len(arms),
                           "n_customers": [int(counts.get(k, 0)) for k in labels]})
    groups["share"] = groups.n_customers / max(int(groups.n_customers.sum()), 1)
    return ExperimentResult(name=spec.name, control_label=spec.control_label, arms=arms, groups=groups,
                            effects=effects, srm=srm, balance=balance, mde=mde, quality=quality, alpha=alpha,
                            cuped_covariate=cuped, notes=notes_frame(notes))


def _cuped_covariate(clean: pd.DataFrame, spec: ExperimentSpec, notes: list[tuple[str, str, str]]) -> str | None:
    """The first numeric covariate, when it is known for every analysed customer (else None, with a note)."""
    numeric = [c for c in spec.covariates if pd.api.types.is_float_dtype(clean[c])]
    means = any(k == "mean" for k in spec.outcomes.values())
    if not numeric:
        if means and spec.covariates:
            notes.append(("effects", "CUPED", "no numeric covariate, so mean outcomes are not adjusted (Welch only)"))
        return None
    n_miss = int(np.isnan(clean[numeric[0]].to_numpy(dtype=float)).sum())
    if n_miss:
        if means:
            notes.append(("effects", numeric[0], f"CUPED not used: the covariate is missing on {n_miss:,} analysed "
                                                 "rows (Welch's difference of means instead)"))
        return None
    if means:
        notes.append(("effects", numeric[0], f"mean outcomes also adjusted for the pre-period covariate "
                                             f"{numeric[0]!r} (CUPED, the primary estimate); the Welch row is kept "
                                             "for comparison"))
    return numeric[0]


def _effects(clean: pd.DataFrame, spec: ExperimentSpec, g: np.ndarray, control: np.ndarray, arms: tuple[str, ...],
             cuped: str | None, *, alpha: float, min_group: int) -> pd.DataFrame:
    """One row per arm and outcome (two for a CUPED-adjusted mean: Welch, then CUPED as the primary row)."""
    rows: list[dict[str, Any]] = []
    x = clean[cuped].to_numpy(dtype=float) if cuped else None
    for arm in arms:
        treated = g == arm
        for col, kind in spec.outcomes.items():
            y = clean[col].to_numpy(dtype=float)
            yt, yc = y[treated], y[control]
            small = [name for name, n in (("treated", len(yt)), ("control", len(yc))) if n < min_group]
            if small:
                why = (f"fewer than {min_group} customers in the {' and '.join(small)} group"
                       f"{'s' if len(small) > 1 else ''} ({KEY.split('.')[0]}.min_group)")
                method = "newcombe" if kind == "proportion" else ("cuped" if cuped else "welch")
                rows.append(_row(arm, kind, Effect(col, method, len(yt), len(yc),
                                                   float(yt.mean()) if len(yt) else math.nan,
                                                   float(yc.mean()) if len(yc) else math.nan, math.nan, math.nan,
                                                   math.nan, math.nan, why), primary=True))
            elif kind == "proportion":
                rows.append(_row(arm, kind, proportion_effect(yt, yc, metric=col, alpha=alpha), primary=True))
            else:
                welch, adjusted = mean_effect(yt, yc, metric=col, alpha=alpha), None
                if x is not None:
                    adjusted = mean_effect(yt, yc, pre_treated=x[treated], pre_control=x[control], metric=col,
                                           alpha=alpha)
                    if not adjusted.method.startswith("cuped"):  # a constant covariate: the same as Welch
                        welch, adjusted = adjusted, None
                rows.append(_row(arm, kind, welch, primary=adjusted is None))
                if adjusted is not None and x is not None:
                    rows.append(_row(arm, kind, adjusted, primary=True,
                                     reduction=_reduction(yt, yc, x[treated], x[control])))
    return pd.DataFrame(rows, columns=EFFECT_COLUMNS)


def _srm(g: np.ndarray, control: np.ndarray, arms: tuple[str, ...], share: float | None, srm_alpha: float,
         notes: list[tuple[str, str, str]]) -> pd.DataFrame:
    """Sample-ratio test of each arm against the control group (see :func:`experiment_analysis`)."""
    columns = ["arm", "n_treated", "n_control", "expected_share", "observed_share", "chi2", "p_value", "flagged"]
    if share is None:
        notes.append(("design", "sample ratio", f"no intended split in params ({KEY}.treatment_share), so the group "
                                                "sizes are not tested for a sample-ratio mismatch"))
        return pd.DataFrame(columns=columns)
    expected = share / (share + 1 - len(arms) * share)
    rows = []
    for arm in arms:
        check = sample_ratio_test(int((g == arm).sum()), int(control.sum()), treatment_share=expected,
                                  threshold=srm_alpha)
        rows.append({"arm": arm, **{k: getattr(check, k) for k in columns[1:]}})
        if check.flagged:
            notes.append(("design", arm, f"sample-ratio mismatch: {check.n_treated:,} vs {check.n_control:,} "
                                         f"customers, {check.observed_share:.1%} in {arm} against the intended "
                                         f"{check.expected_share:.1%} (p = {check.p_value:.2g}); customers were "
                                         "lost or added unevenly, so this arm's effects may be biased"))
    return pd.DataFrame(rows, columns=columns)


def _balance(clean: pd.DataFrame, spec: ExperimentSpec, g: np.ndarray, control: np.ndarray, arms: tuple[str, ...],
             threshold: float, notes: list[tuple[str, str, str]]) -> pd.DataFrame:
    """Standardised mean differences of the covariates (categories one-hot), each arm against the control group."""
    columns = ["arm", "feature", "mean_treated", "mean_control", "smd", "flagged"]
    if not spec.covariates:
        notes.append(("design", "balance", f"no pre-period covariates named ({KEY}.covariates), so the balance of the "
                                           "groups is not checked and mean outcomes are not CUPED-adjusted"))
        return pd.DataFrame(columns=columns)
    features, level_notes = _one_hot(clean, list(spec.covariates))
    notes += level_notes
    parts = []
    for arm in arms:
        rows = (g == arm) | control
        part = balance_table(features[rows], list(features.columns), (g == arm)[rows], threshold=threshold)
        parts.append(part.assign(arm=arm)[columns])
        flagged = part[part.flagged]
        if len(flagged):
            notes.append(("design", arm, f"{len(flagged)} covariate(s) out of balance against {spec.control_label} "
                                         f"(|SMD| > {threshold:g}): {examples_text(flagged.feature.tolist())}"))
    return pd.concat(parts, ignore_index=True)


def _row(arm: str, kind: str, e: Effect, *, primary: bool, reduction: float = math.nan) -> dict[str, Any]:
    lift = e.estimate / e.control_value if e.control_value not in (0.0,) and np.isfinite(e.control_value) \
        else math.nan
    return {"arm": arm, "outcome": e.metric, "kind": kind, "n_treated": e.n_treated, "n_control": e.n_control,
            "treated_value": e.treated_value, "control_value": e.control_value, "estimate": e.estimate,
            "ci_lower": e.ci_lower, "ci_upper": e.ci_upper, "relative_lift": lift, "p_value": e.p_value,
            "p_holm": math.nan, "method": e.method, "primary": primary, "variance_reduction": reduction,
            "note": e.note}


def _reduction(yt: np.ndarray, yc: np.ndarray, xt: np.ndarray, xc: np.ndarray) -> float:
    """1 - var(y_adj) / var(y) of CUPED over both groups pooled (the number in the effect's note)."""
    y, x = np.concatenate([yt, yc]), np.concatenate([xt, xc])
    xc_, yc_ = x - x.mean(), y - y.mean()
    sxx, syy = float(xc_ @ xc_), float(yc_ @ yc_)
    if sxx <= 0 or syy <= 0:
        return math.nan
    return float((xc_ @ yc_) ** 2 / (sxx * syy))  # the squared correlation: what theta * x removes


def _mde_frame(effects: pd.DataFrame, clean: pd.DataFrame, g: np.ndarray, control: np.ndarray, arms: tuple[str, ...],
               spec: ExperimentSpec, *, alpha: float, power: float) -> pd.DataFrame:
    """Minimum detectable effect per arm and outcome; mean outcomes with the (CUPED-adjusted) pooled SD."""
    rows = []
    prim = effects[effects.primary]
    for arm in arms:
        treated = g == arm
        nt, nc = int(treated.sum()), int(control.sum())
        for col, kind in spec.outcomes.items():
            y = clean[col].to_numpy(dtype=float)
            row = prim[(prim.arm == arm) & (prim.outcome == col)].iloc[0]
            value, note, mde = float(y[control].mean()) if nc else math.nan, "", math.nan
            if nt < 1 or nc < 1:
                note = "a group is empty"
            elif kind == "proportion":
                if 0 < value < 1:
                    mde = mde_proportion(nt, nc, value, alpha=alpha, power=power)
                else:
                    note = f"the control rate is {value:.0%}, so no variance to base a detectable effect on"
            else:
                both = y[treated | control]
                sd = float(both.std(ddof=1)) if len(both) > 1 else math.nan
                if np.isfinite(row.variance_reduction):
                    sd *= math.sqrt(max(1 - row.variance_reduction, 0.0))
                    note = "with the CUPED-adjusted standard deviation"
                if sd > 0:
                    mde = mde_mean(nt, nc, sd, alpha=alpha, power=power)
                else:
                    note = "the outcome does not vary, so no detectable effect can be computed"
            rows.append({"arm": arm, "outcome": col, "kind": kind, "n_treated": nt, "n_control": nc,
                         "control_value": value, "mde": mde, "mde_relative": mde / value if value else math.nan,
                         "method": row.method, "note": note})
    return pd.DataFrame(rows, columns=["arm", "outcome", "kind", "n_treated", "n_control", "control_value", "mde",
                                       "mde_relative", "method", "note"])
