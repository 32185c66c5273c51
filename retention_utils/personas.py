"""Customer personas: k-means on standardised behaviour, described in plain words (issue 13, item 6).

:func:`fit_personas` takes one row per customer (behaviour columns plus the outcomes ``value`` and
``churned``, which describe the personas but never shape them) and returns a :class:`PersonaFit`:

1. behaviour columns that are absent, all missing, not numeric or constant are dropped (with a note);
   remaining gaps are filled with the column's median (with a note);
2. non-negative, right-skewed columns with values above 1 (money, counts, days: skewness above
   :data:`SKEW_LOG`) are put through ``log1p``; then every column becomes a z-score;
3. k-means (scikit-learn, ``n_init`` starts) for each k of ``k_min..k_max`` on at most
   ``max_fit_rows`` sampled customers; k is the one with the highest mean silhouette on a seeded
   sample of at most :data:`SILHOUETTE_ROWS` of them; the stability of the chosen k is the mean
   adjusted Rand index between fits started from ``n_seeds`` different seeds;
4. every customer is assigned to the nearest centre; personas are numbered 1..k by value share,
   largest first, and named and described from the features whose persona mean stands out
   (``|z| >= STANDOUT_Z``).

The silhouette is computed here rather than by ``sklearn.metrics.silhouette_score`` because one pass
over the sample's distance matrix serves every k at once (about ten times faster on 10,000 rows);
``tests/test_personas.py`` checks it against scikit-learn.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from .errors import ConfigError, DataError, examples_text
from .results import notes_frame
from .stats import wilson_interval

__all__ = ["PersonaFit", "fit_personas", "silhouette_by_k", "PROFILE_COLUMNS", "SKEW_LOG", "STANDOUT_Z",
           "SILHOUETTE_ROWS"]

#: Outcome columns: they describe the personas and never shape them.
OUTCOMES: tuple[str, ...] = ("value", "churned")
#: A persona mean this many standard deviations from the customers' mean "stands out".
STANDOUT_Z: float = 0.5
#: Skewness above which a non-negative column with values above 1 is put through ``log1p``.
SKEW_LOG: float = 1.0
#: The silhouette is the mean over a seeded sample of at most this many customers.
SILHOUETTE_ROWS: int = 10_000
#: Mean adjusted Rand index under which the personas are said to move between runs.
STABLE_ARI: float = 0.8
#: ``profiles`` columns before the feature means (which come next, then ``description``).
PROFILE_COLUMNS: tuple[str, ...] = ("persona", "name", "n_customers", "share", "value", "value_share",
                                    "churn_rate", "churn_rate_ci_lower", "churn_rate_ci_upper")
_SECTION = "personas"


class _Words(NamedTuple):
    """How a feature reads when a persona is high / low on it: a phrase, and (adjective, noun) for names."""

    high: str
    low: str
    high_name: tuple[str, str]
    low_name: tuple[str, str]


_FREQ = _Words("buy often", "buy rarely", ("frequent", "frequent buyers"), ("occasional", "occasional buyers"))
_MONEY = _Words("spend much", "spend little", ("high-spending", "big spenders"), ("low-spending", "small spenders"))
_TICKETS = _Words("often contact support", "rarely contact support",
                  ("support-heavy", "support-heavy customers"), ("self-sufficient", "self-sufficient customers"))
#: Plain words of the behaviour columns the report passes (and their usual aliases).
WORDS: dict[str, _Words] = {
    "recency_days": _Words("have not bought for a long time", "bought recently",
                           ("lapsed", "lapsed customers"), ("recent", "recent buyers")),
    "frequency": _FREQ, "n_orders": _FREQ,
    "monetary": _MONEY, "revenue": _MONEY,
    "tenure_days": _Words("long-standing customers", "joined recently",
                          ("long-standing", "long-standing customers"), ("new", "newcomers")),
    "n_tickets": _TICKETS, "n_tickets_365": _TICKETS,
    "nps": _Words("give high NPS scores", "give low NPS scores", ("satisfied", "promoters"),
                  ("unhappy", "detractors")),
    "discount_share": _Words("buy mostly on discount", "rarely use discounts",
                             ("discount-driven", "bargain hunters"), ("full-price", "full-price buyers")),
}


def _words(feature: str) -> _Words:
    if feature in WORDS:
        return WORDS[feature]
    w = feature.replace("_", " ")
    return _Words(f"high {w}", f"low {w}", (f"high-{w}", f"customers with high {w}"),
                  (f"low-{w}", f"customers with low {w}"))


@dataclass(frozen=True)
class PersonaFit:
    """Personas of one unit: who is in which, what each looks like, and how k was chosen.

    Attributes
    ----------
    assignments : DataFrame
        ``customer_id, persona`` (int, 1..k): one row per input customer, in input order.
    profiles : DataFrame
        One row per persona, ordered by ``persona``: ``persona``; ``name`` (short, unique);
        ``n_customers``; ``share`` (of the customers); ``value`` (sum of ``value``, NaN without
        that column); ``value_share`` (of the total value); ``churn_rate`` (among customers with a
        known ``churned``) with its 95% Wilson interval ``churn_rate_ci_lower``,
        ``churn_rate_ci_upper``; then one column per feature used, named as in the input, holding
        the persona's mean of the raw values (missing values skipped); ``description`` (plain words,
        e.g. "Buy often and spend much; bought recently").
    centers : DataFrame
        Long form of the feature means: ``persona, feature, mean`` (raw) and ``z`` (mean of the
        standardised values: how many standard deviations the persona sits from the customers' mean,
        after ``log1p`` where ``scaling.log1p``). Descriptions use the features with ``|z| >= 0.5``.
    selection : DataFrame
        ``k, silhouette, inertia, chosen``: one row per k tried (silhouette on at most 10,000
        sampled customers, inertia on the fit rows).
    stability : float
        Mean adjusted Rand index, over every pair of the chosen k's fits from ``n_seeds`` seeds, of
        their labels on the silhouette sample (1: the same personas every time; NaN without a fit or
        with one seed).
    scaling : DataFrame
        ``feature, log1p, center, scale, n_filled, fill_value``: how each feature was standardised
        (``z = (f(x) - center) / scale`` with ``f = log1p`` where ``log1p``), and how many missing
        values were filled with ``fill_value`` (the median).
    notes : DataFrame
        ``section, subject, note``: dropped and filled columns, transforms, samples, small units.
    k : int
        Number of personas (0 without a fit).
    n_customers : int
        Customers in the input.
    n_fit : int
        Customers the k-means fits saw (the rest were assigned to the nearest centre).
    """

    assignments: pd.DataFrame
    profiles: pd.DataFrame
    centers: pd.DataFrame
    selection: pd.DataFrame
    stability: float
    scaling: pd.DataFrame
    notes: pd.DataFrame
    k: int
    n_customers: int
    n_fit: int


def _check_int(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ConfigError(f"The '{name}' parameter of fit_personas must be an int >= {low}. Got {value!r} instead.")
    return int(value)


def _churn_flags(s: pd.Series) -> np.ndarray:
    """``churned`` as floats 0/1/NaN; anything else is a :class:`DataError`."""
    v = pd.to_numeric(s.astype("object").where(s.notna(), np.nan), errors="coerce").to_numpy(dtype=float)
    bad = ~np.isnan(v) & (v != 0) & (v != 1)
    bad |= s.notna().to_numpy() & np.isnan(v)
    if bad.any():
        raise DataError(f"features: column 'churned' has {int(bad.sum())} values other than 0, 1 or missing "
                        f"({examples_text(s[bad].unique())}); expected 0/1 flags.")
    return v


def silhouette_by_k(x: np.ndarray, labels: Sequence[np.ndarray], *, chunk_rows: int = 1_000) -> list[float]:
    """Mean silhouette (Euclidean) of each labelling of the same rows, from one pass over the distances.

    Same definition as ``sklearn.metrics.silhouette_score``: a row in a cluster of its own scores 0;
    a labelling with fewer than two clusters gives NaN.

    Parameters
    ----------
    x : ndarray of shape (n, p)
    labels : sequence of int arrays of shape (n,)
        Cluster numbers 0..k-1 of each labelling.
    chunk_rows : int
        Rows of the distance matrix held at once (memory ``chunk_rows * n * 8`` bytes).

    Returns
    -------
    list of float
        One mean silhouette per labelling.

    Examples
    --------
    >>> x = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> [round(s, 4) for s in silhouette_by_k(x, [np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1])])]
    [0.8997, 0.0263]
    """
    x = np.asarray(x, dtype=float)
    n = len(x)
    labels = [np.asarray(lab, dtype=np.int64) for lab in labels]
    sizes = [int(lab.max()) + 1 if n else 0 for lab in labels]
    onehot = np.zeros((n, sum(sizes)))
    offsets = np.cumsum([0] + sizes)
    for lab, off in zip(labels, offsets):
        onehot[np.arange(n), off + lab] = 1.0
    sq = np.einsum("ij,ij->i", x, x)
    sums = np.empty((n, onehot.shape[1]))
    for start in range(0, n, chunk_rows):
        stop = min(start + chunk_rows, n)
        d = sq[start:stop, None] + sq[None, :] - 2.0 * (x[start:stop] @ x.T)
        np.maximum(d, 0.0, out=d)
        np.sqrt(d, out=d)
        d[np.arange(stop - start), np.arange(start, stop)] = 0.0
        sums[start:stop] = d @ onehot
    out = []
    rows = np.arange(n)
    for lab, off, k in zip(labels, offsets, sizes):
        counts = onehot[:, off:off + k].sum(axis=0)
        if (counts > 0).sum() < 2:
            out.append(float("nan"))
            continue
        s = sums[:, off:off + k]
        own = counts[lab]
        a = s[rows, lab] / np.maximum(own - 1, 1)
        mean_other = np.where(counts > 0, s / np.where(counts > 0, counts, 1), np.inf)
        mean_other[rows, lab] = np.inf
        b = mean_other.min(axis=1)
        denom = np.maximum(a, b)
        sil = np.where(denom > 0, (b - a) / np.where(denom > 0, denom, 1), 0.0)
        sil[own <= 1] = 0.0
        out.append(float(sil.mean()))
    return out


def _empty(n_customers: int, notes: list[tuple[str, str, str]], scaling: pd.DataFrame | None = None) -> PersonaFit:
    return PersonaFit(
        assignments=pd.DataFrame({"customer_id": pd.Series(dtype=object), "persona": pd.Series(dtype="int64")}),
        profiles=pd.DataFrame(columns=[*PROFILE_COLUMNS, "description"]),
        centers=pd.DataFrame(columns=["persona", "feature", "mean", "z"]),
        selection=pd.DataFrame(columns=["k", "silhouette", "inertia", "chosen"]),
        stability=float("nan"),
        scaling=scaling if scaling is not None else pd.DataFrame(
            columns=["feature", "log1p", "center", "scale", "n_filled", "fill_value"]),
        notes=notes_frame(notes), k=0, n_customers=n_customers, n_fit=0)


def _prepare(features: pd.DataFrame, notes: list) -> tuple[list[str], np.ndarray, pd.DataFrame, pd.DataFrame]:
    """Usable behaviour columns, their z-scores (n x p), the raw values and the scaling table."""
    candidates = [c for c in features.columns if c != "customer_id" and c not in OUTCOMES]
    used, rows, raw_cols, z_cols = [], [], {}, []
    for c in candidates:
        s = features[c]
        if pd.api.types.is_bool_dtype(s):
            s = s.astype(float)
        if not pd.api.types.is_numeric_dtype(s):
            notes.append((_SECTION, c, f"'{c}' is not numeric ({s.dtype}): left out of the personas."))
            continue
        v = s.to_numpy(dtype=float, na_value=np.nan).copy()
        v[~np.isfinite(v)] = np.nan
        ok = ~np.isnan(v)
        if not ok.any():
            notes.append((_SECTION, c, f"'{c}' has no values: left out of the personas."))
            continue
        if np.nanmin(v) == np.nanmax(v):
            notes.append((_SECTION, c, f"'{c}' is the same for every customer: left out of the personas."))
            continue
        n_missing = int((~ok).sum())
        fill = float(np.median(v[ok]))
        raw_cols[c] = v.copy()
        if n_missing:
            v[~ok] = fill
            notes.append((_SECTION, c, f"'{c}': {n_missing:,} missing values ({n_missing / len(v):.1%}) filled "
                                       f"with the median, {fill:g}."))
        log = bool(v.min() >= 0 and v.max() > 1 and pd.Series(v).skew() > SKEW_LOG)
        t = np.log1p(v) if log else v
        center, scale = float(t.mean()), float(t.std())
        z_cols.append((t - center) / scale)
        used.append(c)
        rows.append({"feature": c, "log1p": log, "center": center, "scale": scale, "n_filled": n_missing,
                     "fill_value": fill})
    scaling = pd.DataFrame(rows, columns=["feature", "log1p", "center", "scale", "n_filled", "fill_value"])
    logged = scaling.loc[scaling["log1p"].astype(bool), "feature"].tolist() if len(scaling) else []
    if used:
        notes.append((_SECTION, "scaling", "Features standardised to z-scores"
                      + (f" after log1p on the skewed non-negative columns {', '.join(logged)}." if logged
                         else "; no column was skewed enough for a log transform.")))
    z = np.column_stack(z_cols) if z_cols else np.empty((len(features), 0))
    return used, z, pd.DataFrame(raw_cols, index=features.index), scaling


def _describe(z: pd.Series) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Plain-words description and the name parts (strongest first) of one persona from its ``z`` by feature."""
    out = z[z.abs() >= STANDOUT_Z]
    out = out.reindex(out.abs().sort_values(ascending=False, kind="stable").index)
    phrases: list[str] = []
    names: list[tuple[str, str]] = []
    for f, v in out.items():
        w = _words(str(f))
        phrases.append(w.high if v > 0 else w.low)
        names.append(w.high_name if v > 0 else w.low_name)
    # "buy often and spend much" reads better than two phrases
    pair = [p for p in phrases if p in (_FREQ.high, _FREQ.low)], [p for p in phrases if p in (_MONEY.high, _MONEY.low)]
    if len(pair[0]) == 1 and len(pair[1]) == 1:
        i, j = sorted((phrases.index(pair[0][0]), phrases.index(pair[1][0])))
        phrases[i] = f"{pair[0][0]} and {pair[1][0]}"
        del phrases[j]
    text = "; ".join(phrases) if phrases else "close to the average customer on every feature"
    return text[0].upper() + text[1:], tuple(names)


def _names(parts: list[tuple[tuple[str, str], ...]]) -> list[str]:
    """Short unique names: the second-strongest feature's adjective before the strongest one's noun."""
    names = []
    for p in parts:
        if not p:
            n = "average customers"
        elif len(p) == 1:
            n = p[0][1]
        else:
            n = f"{p[1][0]} {p[0][1]}"
        names.append(n[0].upper() + n[1:])
    seen: dict[str, int] = {}
    out = []
    for i, n in enumerate(names):
        seen[n] = seen.get(n, 0) + 1
        out.append(n if names.count(n) == 1 or seen[n] == 1 else f"{n} ({i + 1})")
    # a name made unique by its number could still clash with another name: number it too
    while len(set(out)) < len(out):
        out = [n if out.count(n) == 1 else f"{n} ({i + 1})" for i, n in enumerate(out)]
    return out


def fit_personas(features: pd.DataFrame, *, k_min: int = 2, k_max: int = 6, n_seeds: int = 5, seed: int = 0,
                 min_customers: int = 200, max_fit_rows: int = 50_000, n_init: int = 4) -> PersonaFit:
    """Group customers into k personas by behaviour; size, value share and churn rate of each.

    Parameters
    ----------
    features : DataFrame
        One row per customer: ``customer_id``; numeric behaviour columns (e.g. ``recency_days,
        frequency, monetary, tenure_days, n_tickets, nps, discount_share``; absent, empty,
        non-numeric or constant ones are left out with a note); and the outcomes ``value``
        (money, e.g. revenue or CLV) and ``churned`` (0/1, missing where unknown), which describe
        the personas and are never clustered on. Either outcome may be absent (its columns are NaN).
    k_min, k_max : int
        Range of numbers of personas tried (``2 <= k_min <= k_max``).
    n_seeds : int
        Seeds whose fits at the chosen k are compared for :attr:`PersonaFit.stability`.
    seed : int
        Seed of the samples and of the first fit (fits for stability use ``seed + 1, ...``).
    min_customers : int
        Fewer customers than this: no personas, empty frames and a note.
    max_fit_rows : int
        The k-means fits see at most this many sampled customers; everyone is then assigned to
        the nearest centre.
    n_init : int
        k-means starts per fit (the best is kept).

    Returns
    -------
    PersonaFit
        See :class:`PersonaFit` for every frame and column.

    Raises
    ------
    DataError
        No ``customer_id`` column, repeated customers, or ``churned`` values other than 0/1.
    ConfigError
        A parameter out of range.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> n = 300
    >>> big = np.arange(n) < 100
    >>> f = pd.DataFrame({"customer_id": np.arange(n),
    ...                   "frequency": np.where(big, 20, 2) + rng.poisson(1, n),
    ...                   "monetary": np.where(big, 900.0, 50.0) * rng.uniform(0.8, 1.2, n),
    ...                   "value": np.where(big, 5000.0, 100.0), "churned": (~big).astype(int)})
    >>> fit = fit_personas(f, k_max=3, seed=0)
    >>> fit.k, fit.profiles["name"].tolist(), fit.profiles["n_customers"].tolist()
    (2, ['High-spending frequent buyers', 'Low-spending occasional buyers'], [100, 200])
    >>> fit.profiles.loc[0, "description"]
    'Buy often and spend much'
    """
    k_min = _check_int("k_min", k_min, 2)
    k_max = _check_int("k_max", k_max, k_min)
    n_seeds = _check_int("n_seeds", n_seeds, 1)
    seed = _check_int("seed", seed, 0)
    min_customers = _check_int("min_customers", min_customers, 0)
    max_fit_rows = _check_int("max_fit_rows", max_fit_rows, 2)
    n_init = _check_int("n_init", n_init, 1)
    if not isinstance(features, pd.DataFrame):
        raise DataError(f"features must be a pandas DataFrame with one row per customer. Got {type(features).__name__}.")
    if "customer_id" not in features.columns:
        raise DataError("features: no 'customer_id' column; columns present: "
                        f"{examples_text(map(str, features.columns), limit=10)}.")
    dup = features["customer_id"].duplicated()
    if dup.any():
        raise DataError(f"features: {int(dup.sum())} repeated customer_id values "
                        f"({examples_text(features.loc[dup, 'customer_id'].unique())}); expected one row per customer.")
    n = len(features)
    notes: list[tuple[str, str, str]] = []
    if n < min_customers:
        notes.append((_SECTION, "customers", f"Only {n:,} customers (personas need at least {min_customers:,}): "
                                             "no personas for this unit."))
        return _empty(n, notes)
    churned = _churn_flags(features["churned"]) if "churned" in features.columns else np.full(n, np.nan)
    if "value" in features.columns:
        value = pd.to_numeric(features["value"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    else:
        value = np.full(n, np.nan)
        notes.append((_SECTION, "value", "No 'value' column: personas are ordered by size, without value shares."))
    if "churned" not in features.columns:
        notes.append((_SECTION, "churned", "No 'churned' column: no churn rates."))
    used, z, raw, scaling = _prepare(features, notes)
    if not used:
        notes.append((_SECTION, "features", "No usable behaviour column: no personas for this unit."))
        return _empty(n, notes, scaling)

    rng = np.random.default_rng(seed)
    fit_rows = np.sort(rng.choice(n, max_fit_rows, replace=False)) if n > max_fit_rows else np.arange(n)
    x_fit = z[fit_rows]
    if len(fit_rows) < n:
        notes.append((_SECTION, "sample", f"k-means fitted on a random sample of {len(fit_rows):,} of the {n:,} "
                                          "customers; every customer is then assigned to the nearest persona."))
    eval_rows = (np.sort(rng.choice(len(x_fit), SILHOUETTE_ROWS, replace=False)) if len(x_fit) > SILHOUETTE_ROWS
                 else np.arange(len(x_fit)))
    x_eval = x_fit[eval_rows]
    distinct = len(np.unique(x_fit, axis=0))
    ks = [k for k in range(k_min, k_max + 1) if k < distinct]
    if not ks:
        notes.append((_SECTION, "k", f"Only {distinct} distinct customer profiles: too few for {k_min} personas."))
        return _empty(n, notes, scaling)
    if ks[-1] < k_max:
        notes.append((_SECTION, "k", f"Only {distinct} distinct customer profiles: k tried up to {ks[-1]}."))

    models = {k: KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(x_fit) for k in ks}
    eval_labels = {k: models[k].predict(x_eval) for k in ks}
    sil = silhouette_by_k(x_eval, [eval_labels[k] for k in ks])
    scores = np.nan_to_num(np.array(sil), nan=-np.inf)
    best = ks[int(np.argmax(scores))]
    selection = pd.DataFrame({"k": ks, "silhouette": sil, "inertia": [float(models[k].inertia_) for k in ks],
                              "chosen": [k == best for k in ks]})
    if len(eval_rows) < len(x_fit):
        notes.append((_SECTION, "k", f"Silhouette measured on a random sample of {len(eval_rows):,} customers."))

    runs = [eval_labels[best]] + [KMeans(n_clusters=best, n_init=n_init, random_state=seed + i).fit(x_fit)
                                  .predict(x_eval) for i in range(1, n_seeds)]
    stability = (float(np.mean([adjusted_rand_score(a, b) for a, b in combinations(runs, 2)])) if n_seeds > 1
                 else float("nan"))
    if stability < STABLE_ARI:
        notes.append((_SECTION, "stability", f"The personas move between runs (mean adjusted Rand index "
                                             f"{stability:.2f} across {n_seeds} seeds): read them as rough groups."))

    cluster = models[best].predict(z)
    counts = np.bincount(cluster, minlength=best)
    value_sum = np.bincount(cluster, weights=np.nan_to_num(value), minlength=best)
    has_value = not np.isnan(value).all()
    order = sorted(range(best), key=lambda c: ((-value_sum[c] if has_value else 0.0), -counts[c], c))
    persona_of = np.empty(best, dtype=np.int64)
    persona_of[order] = np.arange(1, best + 1)
    persona = persona_of[cluster]

    known = ~np.isnan(churned)
    n_known = np.bincount(persona - 1, weights=known.astype(float), minlength=best)
    n_churn = np.bincount(persona - 1, weights=np.where(known, churned, 0.0), minlength=best)
    lo, hi = wilson_interval(n_churn, n_known)
    total_value = float(np.nansum(value)) if has_value else float("nan")
    vsum = np.bincount(persona - 1, weights=np.nan_to_num(value), minlength=best) if has_value else np.full(best, np.nan)
    sizes = np.bincount(persona - 1, minlength=best)
    profiles = pd.DataFrame({
        "persona": np.arange(1, best + 1), "n_customers": sizes, "share": sizes / n, "value": vsum,
        "value_share": vsum / total_value if has_value and total_value != 0 else np.full(best, np.nan),
        "churn_rate": np.where(n_known > 0, n_churn / np.where(n_known > 0, n_known, 1), np.nan),
        "churn_rate_ci_lower": lo, "churn_rate_ci_upper": hi})
    means = raw.groupby(persona).mean().reindex(range(1, best + 1))
    zmeans = pd.DataFrame(z, columns=used).groupby(persona).mean().reindex(range(1, best + 1))
    described = [_describe(zmeans.loc[p]) for p in range(1, best + 1)]
    profiles.insert(1, "name", _names([d[1] for d in described]))
    for c in used:
        profiles[c] = means[c].to_numpy()
    profiles["description"] = [d[0] for d in described]
    centers = pd.DataFrame({"persona": np.repeat(np.arange(1, best + 1), len(used)),
                            "feature": used * best,
                            "mean": means[used].to_numpy().ravel(),
                            "z": zmeans[used].to_numpy().ravel()})
    assignments = pd.DataFrame({"customer_id": features["customer_id"].to_numpy(), "persona": persona})
    return PersonaFit(assignments=assignments, profiles=profiles, centers=centers, selection=selection,
                      stability=stability, scaling=scaling, notes=notes_frame(notes), k=best, n_customers=n,
                      n_fit=len(fit_rows))
