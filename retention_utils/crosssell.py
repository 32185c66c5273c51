"""Cross-sell: which categories customers buy together (issue 13, item 7).

:func:`category_rules` works on customer-level baskets: a customer "buys" a category if they ever
bought it, whatever the number of orders. The frequent category pairs come from mlxtend's
``apriori`` (``max_len=2``, ``low_memory=True``: vectorised, about a second for a million customers
and fifty categories; its ``fpgrowth`` builds a Python tree and takes tens of seconds there) and the
rules ``A -> B`` from mlxtend's ``association_rules``. Counts are the primary numbers; support,
confidence and lift are computed from them, so that they equal a plain count exactly:

* ``support = n_both / n_customers``;
* ``confidence = n_both / n_antecedent`` (the share of A's buyers who also buy B);
* ``lift = confidence / (n_consequent / n_customers)``: how many times as likely A's buyers are to
  buy B as customers overall (not "as customers who do not buy A", which would be a larger ratio).

``n_customers`` counts the customers with at least one category.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from mlxtend.frequent_patterns import apriori, association_rules

from .errors import ConfigError, DataError, examples_text
from .results import notes_frame

__all__ = ["CrossSell", "category_rules", "RULE_COLUMNS", "rule_sentence"]

#: Columns of :attr:`CrossSell.rules`.
RULE_COLUMNS: tuple[str, ...] = ("antecedent", "consequent", "n_antecedent", "n_consequent", "n_both", "support",
                                 "confidence", "lift", "sentence")
_SECTION = "cross_sell"
_BLOCK = 64


@dataclass(frozen=True)
class CrossSell:
    """Category rules of one unit.

    Attributes
    ----------
    rules : DataFrame
        The top rules, sorted by ``lift`` then ``n_both`` (both descending): ``antecedent``,
        ``consequent`` (category names); ``n_antecedent``, ``n_consequent`` (customers who bought
        each), ``n_both`` (customers who bought both); ``support`` (``n_both / n_customers``),
        ``confidence`` (``n_both / n_antecedent``), ``lift`` (``confidence`` over the consequent's
        share of all customers); ``sentence`` (plain words).
    categories : DataFrame
        ``category, n_customers, share, used``: every category with the customers who bought it
        (most bought first); ``used`` is False beyond the ``max_categories`` cap.
    notes : DataFrame
        ``section, subject, note``: missing column, capped categories, no rules and why.
    n_customers : int
        Customers with at least one category (the base of support and lift).
    n_rules_found : int
        Rules meeting every threshold, before the ``max_rules`` cut.
    """

    rules: pd.DataFrame
    categories: pd.DataFrame
    notes: pd.DataFrame
    n_customers: int
    n_rules_found: int


def _share_words(x: float) -> str:
    if x <= 0:
        return "0%"
    if x < 0.01:
        return "under 1%"
    if 0.99 < x < 1:
        return "over 99%"
    return f"{100 * x:.0f}%"


def rule_sentence(antecedent: str, consequent: str, confidence: float, lift: float, base_rate: float) -> str:
    """A rule in plain words: lift against customers overall, with the two shares it compares.

    Examples
    --------
    >>> rule_sentence("garden", "home", 0.31, 2.4, 0.31 / 2.4)
    'Customers who buy garden are 2.4 times as likely as customers overall to also buy home (31% of them do, against 13% of all customers).'
    """
    times = f"{lift:.2f}" if lift < 1.995 else f"{lift:.1f}" if lift < 9.95 else f"{lift:.0f}"
    return (f"Customers who buy {antecedent} are {times} times as likely as customers overall to also buy "
            f"{consequent} ({_share_words(confidence)} of them do, against {_share_words(base_rate)} of all customers).")


def _check(name: str, value: object, low: float, high: float | None = None, *, integer: bool = False) -> None:
    ok_type = (isinstance(value, (int, np.integer)) if integer else isinstance(value, (int, float, np.number)))
    if isinstance(value, bool) or not ok_type or value < low or (high is not None and value > high):
        kind = "an int" if integer else "a number"
        rng = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ConfigError(f"The '{name}' parameter of category_rules must be {kind} {rng}. Got {value!r} instead.")


def _empty_rules() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c.startswith("n_") else object if c in
                                      ("antecedent", "consequent", "sentence") else float) for c in RULE_COLUMNS})


def category_rules(pairs: pd.DataFrame, *, min_customers: int = 30, min_confidence: float = 0.1,
                   min_lift: float = 1.1, max_rules: int = 10, max_categories: int = 50,
                   column: str = "category") -> CrossSell:
    """Association rules ``A -> B`` between categories bought by the same customers.

    Parameters
    ----------
    pairs : DataFrame
        ``customer_id`` and ``column`` (e.g. one row per order line, or the distinct pairs): a
        customer buys a category if any row pairs them. Rows with a missing category are skipped.
    min_customers : int
        A rule needs at least this many customers who bought both categories.
    min_confidence : float
        A rule needs at least this share of the antecedent's buyers to buy the consequent.
    min_lift : float
        A rule needs at least this lift.
    max_rules : int
        Rules kept (the highest lifts).
    max_categories : int
        Only the most bought categories are paired (the rest are listed with ``used`` False).
    column : str
        The category (or product) column.

    Returns
    -------
    CrossSell
        See :class:`CrossSell`; without the column, with one category or no rule, ``rules`` is
        empty and a note says why.

    Raises
    ------
    DataError
        ``pairs`` has no ``customer_id`` column.
    ConfigError
        A parameter out of range.

    Examples
    --------
    >>> pairs = pd.DataFrame({"customer_id": [1, 1, 2, 2, 3, 4],
    ...                       "category": ["garden", "home", "garden", "home", "home", "toys"]})
    >>> cs = category_rules(pairs, min_customers=2, min_lift=1.0)
    >>> cs.rules[["antecedent", "consequent", "n_both", "confidence", "lift"]].to_dict("records")[0]
    {'antecedent': 'garden', 'consequent': 'home', 'n_both': 2, 'confidence': 1.0, 'lift': 1.3333333333333333}
    """
    _check("min_customers", min_customers, 1, integer=True)
    _check("min_confidence", min_confidence, 0.0, 1.0)
    _check("min_lift", min_lift, 0.0)
    _check("max_rules", max_rules, 1, integer=True)
    _check("max_categories", max_categories, 2, integer=True)
    if "customer_id" not in pairs.columns:
        raise DataError("pairs: no 'customer_id' column; columns present: "
                        f"{examples_text(map(str, pairs.columns), limit=10)}.")
    notes: list[tuple[str, str, str]] = []
    empty_categories = pd.DataFrame({"category": pd.Series(dtype=object), "n_customers": pd.Series(dtype="int64"),
                                     "share": pd.Series(dtype=float), "used": pd.Series(dtype=bool)})
    if column not in pairs.columns:
        notes.append((_SECTION, column, f"The orders carry no '{column}' column: no cross-sell rules."))
        return CrossSell(_empty_rules(), empty_categories, notes_frame(notes), int(pairs["customer_id"].nunique()), 0)

    # work on integer codes: order lines can be millions of rows, their distinct names a few hundred
    cat_codes, names = pd.factorize(pairs[column], use_na_sentinel=True)
    clean = pd.Series(names, dtype=object).map(lambda v: str(v).strip())
    clean_codes, clean_names = pd.factorize(clean.where(clean != "", None))
    cat_codes = np.where(cat_codes >= 0, clean_codes[np.maximum(cat_codes, 0)] if len(names) else -1, -1)
    cust_codes, _ = pd.factorize(pairs["customer_id"], use_na_sentinel=True)
    missing = cat_codes < 0
    if missing.any():
        notes.append((_SECTION, column, f"{int(missing.sum()):,} rows without a {column} were skipped."))
    ok = ~missing & (cust_codes >= 0)
    n_cat = len(clean_names)
    cust_all, cat_all = cust_codes[ok], cat_codes[ok]
    n_rows = int(cust_all.max()) + 1 if len(cust_all) else 0
    # customers per category without sorting millions of (customer, category) pairs: a customer x category
    # bool matrix, a block of categories at a time (memory n_rows * _BLOCK bytes)
    bought = np.zeros(n_cat, dtype=np.int64)
    has_any = np.zeros(n_rows, dtype=bool)
    for start in range(0, n_cat, _BLOCK):
        sel = (cat_all >= start) & (cat_all < start + _BLOCK)
        block = np.zeros((n_rows, min(_BLOCK, n_cat - start)), dtype=bool)
        block[cust_all[sel], cat_all[sel] - start] = True
        bought[start:start + block.shape[1]] = block.sum(axis=0)
        has_any |= block.any(axis=1)
    n = int(has_any.sum())
    counts = pd.DataFrame({"category": pd.Series(clean_names, dtype=object), "n_customers": bought})
    counts = counts.sort_values(["n_customers", "category"], ascending=[False, True], kind="stable",
                                ignore_index=True)
    counts["share"] = counts["n_customers"] / n if n else np.nan
    counts["used"] = counts.index < max_categories
    if len(counts) < 2:
        notes.append((_SECTION, column, f"{'Only one' if len(counts) else 'No'} {column} in the orders: no pairs "
                                        "to compare."))
        return CrossSell(_empty_rules(), counts, notes_frame(notes), n, 0)
    if len(counts) > max_categories:
        notes.append((_SECTION, column, f"Only the {max_categories} most bought of {len(counts):,} {column} values "
                                        "were paired."))
    if n < min_customers:
        notes.append((_SECTION, "rules", f"Only {n:,} customers bought a {column} (a rule needs {min_customers:,} "
                                         "buying both): no cross-sell rules."))
        return CrossSell(_empty_rules(), counts, notes_frame(notes), n, 0)
    kept = counts.loc[counts["used"], "category"].tolist()
    column_of = np.full(n_cat, -1)
    column_of[pd.Index(clean_names).get_indexer(kept)] = np.arange(len(kept))
    col = column_of[cat_all]
    row_of = np.cumsum(has_any) - 1  # customers without any category are not rows
    onehot = np.zeros((n, len(kept)), dtype=bool)
    onehot[row_of[cust_all[col >= 0]], col[col >= 0]] = True
    basket = pd.DataFrame(onehot, columns=kept)

    # a little below min_customers / n, so that float rounding never drops a pair at the threshold
    frequent = apriori(basket, min_support=(min_customers - 0.5) / n, use_colnames=True, max_len=2,
                       low_memory=True)
    if not (frequent["itemsets"].map(len) == 2).any():
        notes.append((_SECTION, "rules", f"No two {column} values were bought by the same {min_customers:,} "
                                         "customers: no cross-sell rules."))
        return CrossSell(_empty_rules(), counts, notes_frame(notes), n, 0)
    found = association_rules(frequent, num_itemsets=n, metric="confidence", min_threshold=0.0,
                              return_metrics=["support"])
    found = found[(found["antecedents"].map(len) == 1) & (found["consequents"].map(len) == 1)]
    n_of = dict(zip(counts["category"], counts["n_customers"]))
    a = found["antecedents"].map(lambda s: next(iter(s))).astype(object)
    c = found["consequents"].map(lambda s: next(iter(s))).astype(object)
    rules = pd.DataFrame({"antecedent": a.to_numpy(), "consequent": c.to_numpy()})
    rules["n_antecedent"] = rules["antecedent"].map(n_of).astype("int64")
    rules["n_consequent"] = rules["consequent"].map(n_of).astype("int64")
    rules["n_both"] = np.rint(found["support"].to_numpy() * n).astype("int64")
    rules["support"] = rules["n_both"] / n
    rules["confidence"] = rules["n_both"] / rules["n_antecedent"]
    rules["lift"] = rules["confidence"] / (rules["n_consequent"] / n)
    rules = rules[(rules["n_both"] >= min_customers) & (rules["confidence"] >= min_confidence)
                  & (rules["lift"] >= min_lift)]
    # equal lifts reached by different fractions (0.5 / 0.6 and 0.25 / 0.3) differ in the last bits: they tie
    rules = (rules.assign(_lift=rules["lift"].round(10))
             .sort_values(["_lift", "n_both", "antecedent", "consequent"], ascending=[False, False, True, True],
                          kind="stable", ignore_index=True).drop(columns="_lift"))
    n_found = len(rules)
    if not n_found:
        notes.append((_SECTION, "rules", f"No rule reaches a confidence of {min_confidence:.0%} and a lift of "
                                         f"{min_lift:g} with {min_customers:,} customers buying both: no cross-sell "
                                         "rules."))
        return CrossSell(_empty_rules(), counts, notes_frame(notes), n, 0)
    rules = rules.head(max_rules).copy()
    if n_found > max_rules:
        notes.append((_SECTION, "rules", f"The {max_rules} rules with the highest lift of {n_found:,} found."))
    rules["sentence"] = [rule_sentence(r.antecedent, r.consequent, r.confidence, r.lift, r.n_consequent / n)
                         for r in rules.itertuples(index=False)]
    return CrossSell(rules[list(RULE_COLUMNS)], counts, notes_frame(notes), n, n_found)
