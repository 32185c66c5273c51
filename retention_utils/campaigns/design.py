"""Checks of a campaign's design, made before any effect is shown.

* :func:`sample_ratio_test`: are the group sizes what the randomisation promised? A sample ratio
  mismatch means customers were added to or lost from one group for a reason that may be tied to the
  outcome, and every effect of the campaign is then suspect.
* :func:`balance_table`: do treated and control customers look alike before the campaign
  (standardised mean differences of pre-period features)?
* :func:`mde_proportion`, :func:`mde_mean`: the smallest effect the groups were large enough to
  detect, so that "no significant effect" is read for what it is.

The minimum detectable effects use the normal-approximation closed form
``(z[1 - alpha/2] + z[power]) * se`` (the textbook formula, e.g. Chow, Shao & Wang, *Sample Size
Calculations in Clinical Research*), written here rather than statsmodels' ``NormalIndPower`` because
it states the proportion's variance explicitly (the control group's ``p (1 - p)`` in both arms);
statsmodels' solver agrees with :func:`mde_mean` (``tests/test_campaigns_design.py``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataError

__all__ = ["SrmCheck", "sample_ratio_test", "balance_table", "mde_proportion", "mde_mean"]

#: Columns of :func:`balance_table`.
BALANCE_COLUMNS = ["feature", "mean_treated", "mean_control", "smd", "flagged"]


@dataclass(frozen=True)
class SrmCheck:
    """Sample ratio test (see :func:`sample_ratio_test`).

    Attributes
    ----------
    n_treated, n_control : int
        Customers in each group.
    expected_share : float
        Share of customers the design put in the treatment group.
    observed_share : float
        ``n_treated / (n_treated + n_control)``.
    chi2 : float
        Chi-square goodness-of-fit statistic (1 degree of freedom).
    p_value : float
    flagged : bool
        ``p_value < threshold``: the split is not what the randomisation promised.
    """

    n_treated: int
    n_control: int
    expected_share: float
    observed_share: float
    chi2: float
    p_value: float
    flagged: bool


def _check_open_unit(value: float, name: str, where: str) -> None:
    if not (isinstance(value, (int, float, np.number)) and 0 < value < 1):
        raise ValueError(f"The '{name}' parameter of {where} must be in (0, 1). Got {value!r} instead.")


def _check_count(value: int, name: str, where: str, minimum: int = 0) -> None:
    if not (isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= minimum):
        raise ValueError(f"The '{name}' parameter of {where} must be a whole number of customers >= {minimum}. "
                         f"Got {value!r} instead.")


def sample_ratio_test(n_treated: int, n_control: int, *, treatment_share: float,
                      threshold: float = 0.001) -> SrmCheck:
    """Sample ratio mismatch: chi-square test of the observed split against the designed one.

    The usual threshold is strict (0.001) because the test is run on every campaign and a false alarm
    hides a real result, while a true mismatch is usually far beyond it.

    Parameters
    ----------
    n_treated, n_control : int
        Customers in each group.
    treatment_share : float
        Share of customers the design assigned to treatment (e.g. 0.8 for an 80/20 split).
    threshold : float
        Flag when the p-value is below this.

    Returns
    -------
    SrmCheck

    Raises
    ------
    ValueError
        Negative or non-integer counts, no customers, a share or threshold outside (0, 1).

    Examples
    --------
    >>> r = sample_ratio_test(933, 67, treatment_share=0.8)  # expected 800 / 200
    >>> round(r.chi2, 5), r.flagged
    (110.55625, True)
    """
    where = "sample_ratio_test"
    _check_count(n_treated, "n_treated", where)
    _check_count(n_control, "n_control", where)
    _check_open_unit(treatment_share, "treatment_share", where)
    _check_open_unit(threshold, "threshold", where)
    total = n_treated + n_control
    if total == 0:
        raise ValueError(f"{where}: both groups are empty; there is no split to test.")
    expected = [total * treatment_share, total * (1 - treatment_share)]
    chi2, p = stats.chisquare([n_treated, n_control], f_exp=expected)
    return SrmCheck(int(n_treated), int(n_control), float(treatment_share), n_treated / total, float(chi2),
                    float(p), bool(p < threshold))


def balance_table(frame: pd.DataFrame, features: list[str], treated: str | np.ndarray | pd.Series, *,
                  threshold: float = 0.1) -> pd.DataFrame:
    """Standardised mean differences of pre-period features between treated and control customers.

    ``smd = (mean_treated - mean_control) / sqrt((s_t**2 + s_c**2) / 2)`` with sample standard
    deviations (``ddof=1``); booleans count as 0/1; missing values are skipped feature by feature. An
    ``|smd|`` above 0.1 is the customary sign of imbalance (Austin 2009). Randomised groups of ``n``
    customers each exceed it by chance with probability about ``2 * (1 - Phi(0.1 * sqrt(n / 2)))``: for
    32% of features at 200 customers per group, 5% at 800, 0.2% at 2,000.

    Parameters
    ----------
    frame : DataFrame
        One row per customer. Not modified.
    features : list of str
        Numeric or boolean columns (one-hot encode categories first, e.g. ``pd.get_dummies``).
    treated : str or array-like of bool
        Column of ``frame`` or an array, True for the treatment group.
    threshold : float
        Flag features with ``|smd|`` above this.

    Returns
    -------
    DataFrame
        One row per feature, in the order given: ``feature``, ``mean_treated``, ``mean_control``,
        ``smd`` (NaN when both standard deviations are 0, or a group has fewer than 2 non-missing values),
        ``flagged`` (``|smd| > threshold``; also True when both groups are constant at different values,
        the most extreme imbalance).

    Raises
    ------
    DataError
        A feature or the treated column is missing from ``frame``, a feature is not numeric or boolean,
        ``treated`` has missing values or values other than True/False.
    ValueError
        ``threshold`` negative, or an array ``treated`` of the wrong length.

    Examples
    --------
    >>> f = pd.DataFrame({"orders": [1.0, 3.0, 2.0, 2.0], "g": [True, True, False, False]})
    >>> balance_table(f, ["orders"], "g")[["mean_treated", "mean_control", "smd"]].to_dict("records")
    [{'mean_treated': 2.0, 'mean_control': 2.0, 'smd': 0.0}]
    """
    where = "balance_table"
    if not (threshold >= 0):
        raise ValueError(f"The 'threshold' parameter of {where} must be >= 0. Got {threshold!r} instead.")
    missing = [f for f in features if f not in frame.columns]
    if isinstance(treated, str) and treated not in frame.columns:
        missing.append(treated)
    if missing:
        raise DataError(f"{where}: column(s) {missing[:5]} not in the frame; it has {list(frame.columns)[:12]}.")
    if isinstance(treated, str):
        group = frame[treated]
        label = f"column {treated!r}"
    else:
        values = np.asarray(treated)
        if values.ndim != 1 or len(values) != len(frame):
            raise ValueError(f"{where}: treated has {values.size} values for {len(frame)} rows; give one per row.")
        group = pd.Series(values, index=frame.index)
        label = "treated"
    if group.isna().any() or not group.isin([True, False]).all():
        odd = group[group.isna() | ~group.isin([True, False])]
        shown = ", ".join(repr(v) for v in odd.unique()[:5])
        raise DataError(f"{where}: {label} must be True/False for every customer; it has {len(odd)} other value(s) "
                        f"({shown}).")
    is_t = group.astype(bool).to_numpy()
    rows = []
    for feature in features:
        col = frame[feature]
        if pd.api.types.is_bool_dtype(col):
            col = col.astype("float64")
        elif not pd.api.types.is_numeric_dtype(col):
            raise DataError(f"{where}: feature {feature!r} is {col.dtype}, not numeric or boolean; one-hot encode "
                            "categories first (pd.get_dummies) and pass the indicator columns.")
        values = col.to_numpy(dtype=float, na_value=np.nan)
        vt, vc = values[is_t], values[~is_t]
        vt, vc = vt[~np.isnan(vt)], vc[~np.isnan(vc)]
        mt = float(vt.mean()) if len(vt) else math.nan
        mc = float(vc.mean()) if len(vc) else math.nan
        st = float(vt.std(ddof=1)) if len(vt) > 1 else math.nan
        sc = float(vc.std(ddof=1)) if len(vc) > 1 else math.nan
        pooled = math.sqrt((st ** 2 + sc ** 2) / 2)
        smd = (mt - mc) / pooled if pooled > 0 else math.nan
        flagged = bool(abs(smd) > threshold) if not math.isnan(smd) else bool(pooled == 0 and mt != mc)
        rows.append({"feature": feature, "mean_treated": mt, "mean_control": mc, "smd": smd, "flagged": flagged})
    return pd.DataFrame(rows, columns=BALANCE_COLUMNS)


def _z_sum(alpha: float, power: float, where: str) -> float:
    _check_open_unit(alpha, "alpha", where)
    _check_open_unit(power, "power", where)
    return float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))


def mde_proportion(n_treated: int, n_control: int, p_control: float, *, alpha: float = 0.05,
                   power: float = 0.8) -> float:
    """Smallest absolute difference in proportions a two-sided test detects with the given power.

    ``(z[1 - alpha/2] + z[power]) * sqrt(p (1 - p) (1/n_t + 1/n_c))`` with ``p = p_control``: the
    normal approximation with the control group's variance in both groups (the power contributed by the
    opposite tail is ignored; below 1e-4 at usual settings).

    Parameters
    ----------
    n_treated, n_control : int
        Customers in each group (at least 1).
    p_control : float
        The control group's (expected) proportion, in (0, 1).
    alpha : float
        Two-sided significance level.
    power : float
        Probability of detecting an effect of that size.

    Returns
    -------
    float
        In proportion units (0.05 = 5 percentage points).

    Raises
    ------
    ValueError
        A count below 1, a proportion, alpha or power outside (0, 1).

    Examples
    --------
    >>> round(mde_proportion(1000, 1000, 0.2), 4)
    0.0501
    """
    where = "mde_proportion"
    _check_count(n_treated, "n_treated", where, 1)
    _check_count(n_control, "n_control", where, 1)
    _check_open_unit(p_control, "p_control", where)
    return _z_sum(alpha, power, where) * math.sqrt(p_control * (1 - p_control) * (1 / n_treated + 1 / n_control))


def mde_mean(n_treated: int, n_control: int, sd: float, *, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest absolute difference in means a two-sided test detects with the given power.

    ``(z[1 - alpha/2] + z[power]) * sd * sqrt(1/n_t + 1/n_c)`` (normal approximation, the same
    standard deviation in both groups). Pass the standard deviation of the CUPED-adjusted outcome,
    ``sd * sqrt(1 - rho**2)``, when the effect will be estimated with a pre-period covariate.

    Parameters
    ----------
    n_treated, n_control : int
        Customers in each group (at least 1).
    sd : float
        Standard deviation of the outcome per customer (> 0).
    alpha : float
        Two-sided significance level.
    power : float
        Probability of detecting an effect of that size.

    Returns
    -------
    float
        In the outcome's unit.

    Raises
    ------
    ValueError
        A count below 1, ``sd`` not positive, alpha or power outside (0, 1).

    Examples
    --------
    >>> round(mde_mean(500, 500, 10.0), 3)
    1.772
    """
    where = "mde_mean"
    _check_count(n_treated, "n_treated", where, 1)
    _check_count(n_control, "n_control", where, 1)
    if not (isinstance(sd, (int, float, np.number)) and sd > 0 and math.isfinite(sd)):
        raise ValueError(f"The 'sd' parameter of {where} must be a positive number. Got {sd!r} instead.")
    return _z_sum(alpha, power, where) * sd * math.sqrt(1 / n_treated + 1 / n_control)
