"""Cross-sell rules (retention_utils.crosssell): equal a naive count, respect thresholds, read correctly.

Reference: a pure-Python loop over the hand basket table ``tests/data/crosssell/baskets.csv`` (its
README holds the hand counts).
"""
from __future__ import annotations

import re
from itertools import permutations

import numpy as np
import pandas as pd
import pytest

from retention_utils.crosssell import RULE_COLUMNS, category_rules
from retention_utils.errors import ConfigError, DataError
from tests.conftest import ROOT

BASKETS = ROOT / "tests" / "data" / "crosssell" / "baskets.csv"


@pytest.fixture
def baskets() -> pd.DataFrame:
    return pd.read_csv(BASKETS)


def naive_rules(pairs: pd.DataFrame) -> dict[tuple[str, str], dict[str, float]]:
    """Every ordered pair of categories, counted with plain loops."""
    bought: dict[object, set[str]] = {}
    for cid, cat in zip(pairs["customer_id"], pairs["category"]):
        bought.setdefault(cid, set()).add(cat)
    n = len(bought)
    cats = sorted({c for s in bought.values() for c in s})
    out = {}
    for a, b in permutations(cats, 2):
        n_a = sum(1 for s in bought.values() if a in s)
        n_b = sum(1 for s in bought.values() if b in s)
        n_ab = sum(1 for s in bought.values() if a in s and b in s)
        if n_ab == 0:
            continue
        out[(a, b)] = {"n_antecedent": n_a, "n_consequent": n_b, "n_both": n_ab, "support": n_ab / n,
                       "confidence": n_ab / n_a, "lift": (n_ab / n_a) / (n_b / n)}
    return out


def test_hand_counts_of_the_readme(baskets):
    ref = naive_rules(baskets)
    assert ref[("garden", "home")] == pytest.approx({"n_antecedent": 4, "n_consequent": 6, "n_both": 3,
                                                     "support": 0.3, "confidence": 0.75, "lift": 1.25})
    cs = category_rules(baskets, min_customers=3)
    assert cs.rules[["antecedent", "consequent"]].values.tolist() == [["garden", "home"], ["home", "garden"]]
    assert cs.rules["lift"].tolist() == pytest.approx([1.25, 1.25])
    assert cs.n_customers == 10 and cs.n_rules_found == 2
    assert list(cs.rules.columns) == list(RULE_COLUMNS)


def test_every_rule_equals_the_naive_count(baskets):
    ref = naive_rules(baskets)
    cs = category_rules(baskets, min_customers=1, min_confidence=0.0, min_lift=0.0, max_rules=100)
    got = {(r["antecedent"], r["consequent"]): r for r in cs.rules.to_dict("records")}
    assert set(got) == set(ref)
    for key, want in ref.items():
        for col, v in want.items():
            assert got[key][col] == pytest.approx(v, rel=1e-12), (key, col)


@pytest.mark.parametrize("min_customers, min_confidence, min_lift", [(1, 0.0, 0.0), (2, 0.3, 0.8), (3, 0.6, 1.1),
                                                                      (1, 0.5, 1.0), (4, 0.0, 0.0)])
def test_thresholds_are_respected_and_nothing_else_is_dropped(baskets, min_customers, min_confidence, min_lift):
    ref = naive_rules(baskets)
    want = {k for k, r in ref.items()
            if r["n_both"] >= min_customers and r["confidence"] >= min_confidence and r["lift"] >= min_lift}
    cs = category_rules(baskets, min_customers=min_customers, min_confidence=min_confidence, min_lift=min_lift,
                        max_rules=100)
    assert set(zip(cs.rules["antecedent"], cs.rules["consequent"])) == want
    if not want:
        assert cs.rules.empty and "no cross-sell rules" in " ".join(cs.notes["note"])


def test_sorted_by_lift_then_customers_and_cut_at_max_rules(baskets):
    cs = category_rules(baskets, min_customers=1, min_confidence=0.0, min_lift=0.0, max_rules=100)
    keys = list(zip(-cs.rules["lift"].round(12), -cs.rules["n_both"]))
    assert keys == sorted(keys)
    top = category_rules(baskets, min_customers=1, min_confidence=0.0, min_lift=0.0, max_rules=3)
    assert len(top.rules) == 3 and top.n_rules_found == len(cs.rules)
    pd.testing.assert_frame_equal(top.rules, cs.rules.head(3))
    assert "The 3 rules with the highest lift" in " ".join(top.notes["note"])


def test_ties_in_lift_go_to_more_customers():
    # a -> b, b -> a, c -> d and d -> c all have lift 3; c & d with 4 customers, a & b with 2
    rows = [(0, "a"), (1, "a"), (0, "b"), (1, "b"), (2, "b"), (3, "b")] \
        + [(i, c) for i in range(4, 8) for c in "cd"] + [(i, "e") for i in range(8, 12)]
    cs = category_rules(pd.DataFrame(rows, columns=["customer_id", "category"]), min_customers=1, min_lift=1.0)
    assert cs.rules[["antecedent", "consequent", "n_both"]].values.tolist() == [
        ["c", "d", 4], ["d", "c", 4], ["a", "b", 2], ["b", "a", 2]]
    assert cs.rules["lift"].tolist() == pytest.approx([3.0] * 4)


def test_sentence_states_lift_against_all_customers(baskets):
    cs = category_rules(baskets, min_customers=3)
    s = cs.rules.loc[0, "sentence"]
    assert s == ("Customers who buy garden are 1.25 times as likely as customers overall to also buy home "
                 "(75% of them do, against 60% of all customers).")
    for r in category_rules(baskets, min_customers=1, min_confidence=0, min_lift=0, max_rules=100).rules \
            .to_dict("records"):
        m = re.fullmatch(r"Customers who buy (\w+) are ([\d.]+) times as likely as customers overall to also buy "
                         r"(\w+) \((\d+)% of them do, against (\d+)% of all customers\)\.", r["sentence"])
        assert m, r["sentence"]
        assert (m[1], m[3]) == (r["antecedent"], r["consequent"])
        decimals = len(m[2].partition(".")[2])
        assert abs(float(m[2]) - r["lift"]) <= 0.5 * 10 ** -decimals + 1e-12
        assert int(m[4]) == round(100 * r["confidence"])
        base = r["n_consequent"] / 10
        assert int(m[5]) == round(100 * base)
        assert float(m[4]) / float(m[5]) == pytest.approx(r["lift"], rel=0.02)


def test_order_lines_duplicates_blanks_and_missing_give_the_same_rules(baskets):
    lines = pd.concat([baskets, baskets.head(5),
                       pd.DataFrame({"customer_id": [1, 2, 99], "category": [None, "  ", np.nan]})],
                      ignore_index=True)
    lines["category"] = lines["category"].where(lines.index % 3 != 0, lines["category"].astype(str) + " ")
    lines.loc[lines.index[-3:], "category"] = [None, "  ", np.nan]
    a = category_rules(baskets, min_customers=1, min_lift=0.0, max_rules=100)
    b = category_rules(lines, min_customers=1, min_lift=0.0, max_rules=100)
    pd.testing.assert_frame_equal(a.rules, b.rules)
    assert b.n_customers == 10  # customer 99 has no category
    assert "3 rows without a category were skipped" in " ".join(b.notes["note"])


def test_the_caller_frame_is_not_changed(baskets):
    before = baskets.copy()
    category_rules(baskets, min_customers=1)
    pd.testing.assert_frame_equal(baskets, before)


def test_no_category_column_one_category_and_few_customers_give_a_note(baskets):
    cs = category_rules(baskets[["customer_id"]])
    assert cs.rules.empty and list(cs.rules.columns) == list(RULE_COLUMNS)
    assert "no 'category' column" in cs.notes["note"].iloc[0]
    one = category_rules(pd.DataFrame({"customer_id": [1, 2, 3], "category": ["a", "a", "a"]}), min_customers=1)
    assert one.rules.empty and "no pairs to compare" in one.notes["note"].iloc[0]
    few = category_rules(baskets)  # 10 customers, min_customers 30
    assert few.rules.empty and "Only 10 customers" in " ".join(few.notes["note"])
    assert category_rules(baskets, column="product").notes["note"].iloc[0].startswith("The orders carry no 'product'")


def test_category_cap_keeps_the_most_bought(baskets):
    cs = category_rules(baskets, min_customers=1, min_lift=0.0, max_categories=2, max_rules=100)
    assert cs.categories[["category", "n_customers", "used"]].values.tolist() == [
        ["home", 6, True], ["garden", 4, True], ["toys", 4, False], ["books", 3, False]]
    assert set(cs.rules["antecedent"]) | set(cs.rules["consequent"]) == {"home", "garden"}
    assert "Only the 2 most bought of 4 category values were paired" in " ".join(cs.notes["note"])
    # the base of support and lift stays every customer with a category
    assert cs.n_customers == 10 and cs.rules["lift"].tolist() == pytest.approx([1.25, 1.25])


def test_rates_are_shares_and_counts_are_consistent(baskets):
    r = category_rules(baskets, min_customers=1, min_confidence=0, min_lift=0, max_rules=100).rules
    assert ((r["support"] > 0) & (r["support"] <= 1) & (r["confidence"] > 0) & (r["confidence"] <= 1)).all()
    assert (r["n_both"] <= np.minimum(r["n_antecedent"], r["n_consequent"])).all()


def test_errors_say_what_and_how_to_fix(baskets):
    with pytest.raises(DataError, match=r"pairs: no 'customer_id' column; columns present: 'category'"):
        category_rules(baskets[["category"]])
    with pytest.raises(ConfigError, match=r"The 'min_confidence' parameter of category_rules must be a number "
                                          r"in \[0.0, 1.0\]. Got 1.5 instead."):
        category_rules(baskets, min_confidence=1.5)
    with pytest.raises(ConfigError, match=r"The 'min_customers' parameter .* must be an int >= 1. Got 0 instead."):
        category_rules(baskets, min_customers=0)
