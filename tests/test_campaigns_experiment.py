"""Experiments exported as one row per customer (retention_utils/campaigns/experiment.py).

References:
* ``tests/data/experiment_small.csv`` (20 rows, Hillstrom-like: 8 No E-Mail, 6 Mens E-Mail, 6 Womens E-Mail): rates,
  means and differences computed by hand in the comments; intervals and p-values against naive formulas written
  in this file (Wilson/Newcombe hybrid score, Welch-Satterthwaite t, Pearson's score z, Holm's step-down loop, CUPED
  theta from plain sums), independent of the statsmodels/scipy calls the kit makes;
* ``tests/data/experiment_messy.csv`` (14 rows, ';' delimited, decimal comma, yes/no outcomes): every row's fate
  worked out by hand (see ``test_messy_file_rows_accounted_by_reason``);
* a simulated Hillstrom-like table (21,000 customers, seeded) with planted visit rates 0.106 / 0.151 / 0.183 and
  planted spend 45 x visit on average: coverage of the planted differences over 20 seeds.
"""
from __future__ import annotations

import math
import re
import shutil

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from retention_utils.campaigns.experiment import (EFFECT_COLUMNS, QUALITY_COLUMNS, experiment_analysis,
                                                  read_experiment, validate_experiment)
from retention_utils.config import ExperimentSpec
from retention_utils.errors import ConfigError, DataError
from retention_utils.results import SUMMARY_COLUMNS
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data"
Z = 1.959963984540054


def small_spec(**kw) -> ExperimentSpec:
    base = dict(name="Hillstrom sample", source={"path": "experiment_small.csv"}, group_column="segment",
                control_label="No E-Mail", outcomes={"visit": "proportion", "spend": "mean"},
                covariates=["history", "channel"], customer_column="customer_id")
    base.update(kw)
    return ExperimentSpec(**base)


def messy_spec(**kw) -> ExperimentSpec:
    base = dict(source={"path": "experiment_messy.csv", "decimal": ","}, group_column="group",
                control_label="control", treatment_labels=["treatment"],
                outcomes={"spend": "mean", "converted": "proportion"}, covariates=["recency"], customer_column="id")
    base.update(kw)
    return ExperimentSpec(**base)


# --- naive reference implementations -----------------------------------------------------------------------


def wilson(x: int, n: int) -> tuple[float, float]:
    p = x / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return centre - half, centre + half


def newcombe(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """Newcombe (1998) method 10: hybrid score interval of p1 - p2 from the two Wilson intervals."""
    p1, p2 = x1 / n1, x2 / n2
    (l1, u1), (l2, u2) = wilson(x1, n1), wilson(x2, n2)
    d = p1 - p2
    return d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def score_p(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-sided score test of p1 = p2 (Pearson's chi-square without continuity correction)."""
    p = (x1 + x2) / (n1 + n2)
    z = (x1 / n1 - x2 / n2) / math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    return math.erfc(abs(z) / math.sqrt(2))


def welch(a: list[float], b: list[float]) -> tuple[float, float, float, float]:
    """Difference of means, its 95% Welch interval and p-value, from the textbook formulas."""
    na, nb = len(a), len(b)
    ma, mb = sum(a) / na, sum(b) / nb
    va = sum((v - ma) ** 2 for v in a) / (na - 1)
    vb = sum((v - mb) ** 2 for v in b) / (nb - 1)
    se = math.sqrt(va / na + vb / nb)
    df = (va / na + vb / nb) ** 2 / ((va / na) ** 2 / (na - 1) + (vb / nb) ** 2 / (nb - 1))
    q = stats.t.ppf(0.975, df)
    d = ma - mb
    return d, d - q * se, d + q * se, 2 * stats.t.sf(abs(d) / se, df)


def holm_loop(p: list[float]) -> list[float]:
    order = sorted(range(len(p)), key=lambda i: p[i])
    out, running = [0.0] * len(p), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p) - rank) * p[i]))
        out[i] = running
    return out


# --- the hand-made file --------------------------------------------------------------------------------------

# experiment_small.csv, by hand:
#   No E-Mail (8):     visit 1,0,0,1,0,0,0,0 -> 2/8 = 0.25;  spend 20,0,... -> 2.5;  history sum 800 -> 100
#   Mens E-Mail (6):   visit 1,1,0,1,1,0     -> 4/6;         spend 40,0,0,20,0,0 -> 10; history 650/6
#   Womens E-Mail (6): visit 0,1,0,1,0,1     -> 3/6 = 0.5;   spend 0,10,0,0,0,5 -> 2.5; history 560/6
SPEND = {"No E-Mail": [20, 0, 0, 0, 0, 0, 0, 0], "Mens E-Mail": [40, 0, 0, 20, 0, 0],
         "Womens E-Mail": [0, 10, 0, 0, 0, 5]}
HISTORY = {"No E-Mail": [100, 50, 80, 300, 20, 60, 40, 150], "Mens E-Mail": [200, 90, 30, 250, 70, 10],
           "Womens E-Mail": [60, 120, 40, 220, 30, 90]}


@pytest.fixture(scope="module")
def small():
    frame, quality = read_experiment(small_spec(), DATA)
    return frame, quality, experiment_analysis(frame, small_spec(), quality=quality, min_group=2)


def test_small_file_reads_typed_rows(small):
    frame, quality, _ = small
    assert list(frame.columns) == ["customer_id", "segment", "visit", "spend", "history", "channel"]
    assert len(frame) == 20 and frame.customer_id.tolist() == [str(i) for i in range(1, 21)]
    assert frame.visit.dtype == float and set(frame.visit) == {0.0, 1.0}
    assert frame.history.dtype == float and frame.history.sum() == 800 + 650 + 560
    assert quality.to_dict("records") == [{"reason": "used", "rows": 20}]
    assert frame.attrs["source"] == "experiment_small.csv"
    assert "delimiter ',' (detected)" in frame.attrs["read_note"]


def test_small_file_rates_and_differences(small):
    r = small[2]
    assert r.arms == ("Mens E-Mail", "Womens E-Mail")  # every other label, sorted
    assert list(r.effects.columns) == EFFECT_COLUMNS
    assert r.groups.to_dict("records") == [
        {"group": "No E-Mail", "role": "control", "n_customers": 8, "share": 0.4},
        {"group": "Mens E-Mail", "role": "treatment", "n_customers": 6, "share": 0.3},
        {"group": "Womens E-Mail", "role": "treatment", "n_customers": 6, "share": 0.3}]
    visit = r.effects[r.effects.outcome == "visit"].set_index("arm")
    for arm, x, n in (("Mens E-Mail", 4, 6), ("Womens E-Mail", 3, 6)):
        row = visit.loc[arm]
        assert (row.kind, row.method, row.n_treated, row.n_control) == ("proportion", "newcombe", n, 8)
        assert row.treated_value == pytest.approx(x / n) and row.control_value == 0.25
        assert row.estimate == pytest.approx(x / n - 0.25)
        assert row.relative_lift == pytest.approx((x / n - 0.25) / 0.25)  # 5/3 and 1.0
        lo, hi = newcombe(x, n, 2, 8)
        assert (row.ci_lower, row.ci_upper) == (pytest.approx(lo, abs=1e-9), pytest.approx(hi, abs=1e-9))
        assert row.p_value == pytest.approx(score_p(x, n, 2, 8), rel=1e-9)
    assert visit.loc["Mens E-Mail", "estimate"] == pytest.approx(5 / 12)


def test_small_file_welch_and_cuped(small):
    r = small[2]
    spend = r.effects[r.effects.outcome == "spend"]
    for arm, diff in (("Mens E-Mail", 7.5), ("Womens E-Mail", 0.0)):
        w = spend[(spend.arm == arm) & (spend.method == "welch")].iloc[0]
        d, lo, hi, p = welch(SPEND[arm], SPEND["No E-Mail"])
        assert d == pytest.approx(diff) and w.estimate == pytest.approx(d)
        assert (w.treated_value, w.control_value) == (pytest.approx(sum(SPEND[arm]) / 6), 2.5)
        assert (w.ci_lower, w.ci_upper, w.p_value) == (pytest.approx(lo), pytest.approx(hi), pytest.approx(p))
        assert not w.primary and math.isnan(w.p_holm)
        # CUPED on history (the first numeric covariate), theta over this arm and the control group pooled
        c = spend[(spend.arm == arm) & (spend.method == "cuped")].iloc[0]
        y = SPEND[arm] + SPEND["No E-Mail"]
        x = HISTORY[arm] + HISTORY["No E-Mail"]
        mx, my = sum(x) / len(x), sum(y) / len(y)
        theta = sum((a - mx) * (b - my) for a, b in zip(x, y)) / sum((a - mx) ** 2 for a in x)
        adj_t = [b - theta * (a - mx) for a, b in zip(HISTORY[arm], SPEND[arm])]
        adj_c = [b - theta * (a - mx) for a, b in zip(HISTORY["No E-Mail"], SPEND["No E-Mail"])]
        d, lo, hi, p = welch(adj_t, adj_c)
        assert c.primary and c.estimate == pytest.approx(d) and (c.ci_lower, c.ci_upper) == (
            pytest.approx(lo), pytest.approx(hi))
        rho2 = (sum((a - mx) * (b - my) for a, b in zip(x, y))) ** 2 / (
            sum((a - mx) ** 2 for a in x) * sum((b - my) ** 2 for b in y))
        assert c.variance_reduction == pytest.approx(rho2)
        assert f"variance -{100 * rho2:.0f}%" in c.note
    assert r.cuped_covariate == "history"
    assert spend[spend.method == "cuped"].iloc[0].variance_reduction == pytest.approx(0.2246, abs=1e-4)


def test_small_file_holm_over_arms_and_outcomes(small):
    r = small[2]
    prim = r.primary()
    assert len(prim) == 4 and set(prim.method) == {"newcombe", "cuped"}
    assert prim.p_holm.tolist() == pytest.approx(holm_loop(prim.p_value.tolist()))
    assert "4 comparisons" in r.notes.set_index("subject").loc["p_holm", "note"]


def test_small_file_design_checks(small):
    r = small[2]
    assert r.srm.empty and "treatment_share" in " ".join(r.notes.note)
    b = r.balance.set_index(["arm", "feature"])
    assert list(r.balance.columns) == ["arm", "feature", "mean_treated", "mean_control", "smd", "flagged"]
    sd_t, sd_c = np.std(HISTORY["Mens E-Mail"], ddof=1), np.std(HISTORY["No E-Mail"], ddof=1)
    assert b.loc[("Mens E-Mail", "history"), "smd"] == pytest.approx((650 / 6 - 100) / math.sqrt((sd_t ** 2 + sd_c ** 2) / 2))
    # channel one-hot: Web is 4/8 in control, 3/6 in both arms; Multichannel 1/8 in control, 0/6 in Womens
    assert b.loc[("Mens E-Mail", "channel=Web"), ["mean_treated", "mean_control", "smd"]].tolist() == [0.5, 0.5, 0.0]
    assert b.loc[("Womens E-Mail", "channel=Multichannel"), "mean_treated"] == 0.0
    assert bool(b.loc[("Womens E-Mail", "channel=Multichannel"), "flagged"])
    # minimum detectable difference of the visit rate: (z_.975 + z_.8) sqrt(p (1 - p) (1/6 + 1/8)), p = 0.25
    m = r.mde.set_index(["arm", "outcome"])
    expected = (Z + stats.norm.ppf(0.8)) * math.sqrt(0.25 * 0.75 * (1 / 6 + 1 / 8))
    assert m.loc[("Mens E-Mail", "visit"), "mde"] == pytest.approx(expected)
    assert m.loc[("Mens E-Mail", "visit"), "mde_relative"] == pytest.approx(expected / 0.25)
    sd = np.std(SPEND["Mens E-Mail"] + SPEND["No E-Mail"], ddof=1)
    rv = r.effects[(r.effects.arm == "Mens E-Mail") & (r.effects.method == "cuped")].variance_reduction.iloc[0]
    assert m.loc[("Mens E-Mail", "spend"), "mde"] == pytest.approx(
        (Z + stats.norm.ppf(0.8)) * sd * math.sqrt(1 - rv) * math.sqrt(1 / 6 + 1 / 8))


def test_small_file_headline_and_summary(small):
    r = small[2]
    assert r.headline == ("Mens E-Mail made no clear difference to the visit rate (+41.7 points, -8.4 to 71.3) and "
                          "Womens E-Mail made no clear difference to it (+25.0 points, -21.2 to 61.0) against No E-Mail.")
    s = r.summary_frame()
    assert list(s.columns) == list(SUMMARY_COLUMNS) and set(s.analysis) == {"experiment"}
    assert s.metric.tolist() == ["experiment_customers", "experiment_rows_set_aside", "effect_visit_mens_e_mail",
                                 "effect_spend_mens_e_mail", "effect_visit_womens_e_mail", "effect_spend_womens_e_mail",
                                 "balance_flagged", "headline"]
    row = s.set_index("metric").loc["effect_visit_mens_e_mail"]
    assert (row.value, row.unit) == (pytest.approx(5 / 12), "share")
    assert row.label == "Visit rate: Mens E-Mail vs No E-Mail (difference)"
    assert s.set_index("metric").loc["effect_spend_womens_e_mail", "unit"] == "per customer"
    assert s.set_index("metric").loc["experiment_customers", "value"] == 20
    assert s.set_index("metric").loc["balance_flagged", "value"] == int(r.balance.flagged.sum())


def test_groups_below_min_group_get_no_estimate(small):
    frame, quality, _ = small
    r = experiment_analysis(frame, small_spec(), quality=quality)  # min_group defaults to 30 as in params
    assert r.effects.estimate.isna().all() and r.effects.primary.all()
    assert r.effects.note.str.contains(r"fewer than 30 customers in the treated and control groups \(campaigns.min_group\)").all()
    assert "could not be measured" in r.headline


def test_checking_a_clean_frame_changes_nothing(small):
    frame, _, _ = small
    again, quality = validate_experiment(frame, small_spec())
    pd.testing.assert_frame_equal(again, frame)
    assert quality.to_dict("records") == [{"reason": "used", "rows": 20}]


def test_raw_frame_is_checked_and_not_modified(small):
    raw = pd.read_csv(DATA / "experiment_small.csv")  # typed by pandas: ints, not text
    before = raw.copy()
    r = experiment_analysis(raw, small_spec(), min_group=2)
    pd.testing.assert_frame_equal(raw, before)
    cols = ["arm", "outcome", "method", "estimate", "ci_lower", "ci_upper", "p_value"]
    pd.testing.assert_frame_equal(r.effects[cols], small[2].effects[cols])


@pytest.mark.parametrize("fmt", ["parquet", "excel"])
def test_parquet_and_excel_read_the_same(tmp_path, small, fmt):
    raw = pd.read_csv(DATA / "experiment_small.csv")
    path = tmp_path / ("ab.parquet" if fmt == "parquet" else "ab.xlsx")
    raw.to_parquet(path) if fmt == "parquet" else raw.to_excel(path, index=False)
    frame, quality = read_experiment(small_spec(source={"path": path.name}), tmp_path)
    pd.testing.assert_frame_equal(frame, small[0], check_dtype=False)
    assert frame.attrs["read_note"] == "" and quality.rows.sum() == 20


def test_pattern_reads_every_matching_file(tmp_path):
    lines = (DATA / "experiment_small.csv").read_text().splitlines()
    (tmp_path / "ab").mkdir()
    (tmp_path / "ab" / "part1.csv").write_text("\n".join(lines[:11]) + "\n")
    (tmp_path / "ab" / "part2.csv").write_text("\n".join(lines[:1] + lines[11:]) + "\n")
    frame, quality = read_experiment(small_spec(source={"path": "ab/*.csv", "delimiter": ","}), tmp_path)
    assert len(frame) == 20 and frame.attrs["source"] == "ab/*.csv (2 files)"
    assert frame.attrs["read_note"].startswith("read as CSV: delimiter ',' (from params), encoding utf-8 (the default")
    assert frame.customer_id.tolist() == [str(i) for i in range(1, 21)]


# --- the messy file: options and the data-quality accounting ------------------------------------------------


def test_messy_file_rows_accounted_by_reason():
    # row by row (data rows): 1 used; 2 used; 3 no group; 4 'holdout2' not in treatment_labels; 5 no spend;
    # 6 no 'converted'; 7 and 8 share id 7 (both set aside); 9 used ('No'); 10 no id; 11 converted 'NA';
    # 12 used ('3,5', 'YES'); 13 used; 14 used
    frame, quality = read_experiment(messy_spec(), DATA)
    assert list(quality.columns) == QUALITY_COLUMNS
    assert quality.to_dict("records") == [
        {"reason": "used", "rows": 6}, {"reason": "missing customer key", "rows": 1},
        {"reason": "duplicate customer key", "rows": 2}, {"reason": "missing group", "rows": 1},
        {"reason": "group not in the experiment", "rows": 1}, {"reason": "missing outcome 'spend'", "rows": 1},
        {"reason": "missing outcome 'converted'", "rows": 2}]
    assert quality.rows.sum() == 14  # every input row accounted for
    assert frame.id.tolist() == ["1", "2", "8", "10", "11", "12"]
    assert frame.spend.tolist() == [12.5, 0.0, 0.0, 3.5, 7.0, 0.0]  # decimal comma
    assert frame.converted.tolist() == [1.0, 0.0, 0.0, 1.0, 1.0, 0.0]  # yes/no/true/false, any case
    assert "delimiter ';' (detected)" in frame.attrs["read_note"]
    r = experiment_analysis(frame, messy_spec(), quality=quality, min_group=2)
    assert r.quality is quality
    conv = r.effects[r.effects.outcome == "converted"].iloc[0]
    assert (conv.treated_value, conv.control_value, conv.estimate) == (1.0, 0.25, 0.75)
    w = r.effects[(r.effects.outcome == "spend") & (r.effects.method == "welch")].iloc[0]
    assert (w.treated_value, w.control_value, w.estimate) == (9.75, 0.875, pytest.approx(8.875))
    note = r.notes.set_index("subject").loc["rows set aside", "note"]
    assert note.startswith("6 of 14 rows analysed; set aside: missing customer key (1); duplicate customer key (2)")
    assert r.summary_frame().set_index("metric").loc["experiment_rows_set_aside", "value"] == 8


def test_unknown_labels_are_arms_without_treatment_labels():
    frame, quality = read_experiment(messy_spec(treatment_labels=[], customer_column=None), DATA)
    assert "group not in the experiment" not in set(quality.reason)
    r = experiment_analysis(frame, messy_spec(treatment_labels=[], customer_column=None), min_group=1)
    assert r.arms == ("holdout2", "treatment")


# --- errors: what, where, which, how many, how to fix ------------------------------------------------------


def write(tmp_path, text: str, name: str = "ab.csv"):
    (tmp_path / name).write_text(text)
    return tmp_path


def test_missing_columns_are_named_with_what_is_present(tmp_path):
    write(tmp_path, "customer_id,Segment,visits,spend\n1,a,1,2\n")
    spec = small_spec(source={"path": "ab.csv"}, covariates=[])
    msg = (r"ab.csv: columns 'segment' \(group_column; did you mean 'Segment'\?\), 'visit' \(outcome; did you mean "
           r"'visits'\?\) named in campaigns.experiment not found. Columns present: 'customer_id', 'Segment', "
           r"'visits', 'spend'. Write the names under campaigns.experiment")
    with pytest.raises(DataError, match=msg):
        read_experiment(spec, tmp_path)


def test_absent_control_label_lists_the_labels_found(tmp_path):
    write(tmp_path, "g,visit\nMens,1\nWomens,0\nMens,1\nnone,0\n")
    spec = ExperimentSpec(source={"path": "ab.csv"}, group_column="g", control_label="No E-Mail",
                          outcomes={"visit": "proportion"})
    msg = (r"ab.csv: column 'g' has no rows with the control label 'No E-Mail' \(campaigns.experiment.control_label\); "
           r"labels found: 'Mens' \(2 rows\), 'Womens' \(1 rows\), 'none' \(1 rows\). Set control_label")
    with pytest.raises(DataError, match=msg):
        read_experiment(spec, tmp_path)
    # a group may be called 'none': it is a label, not a missing value
    frame, _ = read_experiment(spec.model_copy(update={"control_label": "none"}), tmp_path)
    assert sorted(frame.g.unique()) == ["Mens", "Womens", "none"]


def test_absent_treatment_label_and_only_control(tmp_path):
    write(tmp_path, "g,visit\nctl,1\nctl,0\n")
    spec = ExperimentSpec(source={"path": "ab.csv"}, group_column="g", control_label="ctl",
                          treatment_labels=["mail"], outcomes={"visit": "proportion"})
    with pytest.raises(DataError, match=r"no rows with the treatment label\(s\) 'mail' "
                                        r"\(campaigns.experiment.treatment_labels\); labels found: 'ctl' \(2 rows\)"):
        read_experiment(spec, tmp_path)
    with pytest.raises(DataError, match=r"holds only the control label 'ctl'; an experiment needs at least one"):
        read_experiment(spec.model_copy(update={"treatment_labels": []}), tmp_path)


def test_proportion_outcome_that_is_not_yes_no(tmp_path):
    rows = "".join(f"{'ctl' if i % 2 else 'mail'},{v}\n" for i, v in
                   enumerate(["1", "2", "yes", "maybe", "0", "", "7", "x", "9", "10", "11"], start=1))
    write(tmp_path, "g,visit\n" + rows)
    spec = ExperimentSpec(source={"path": "ab.csv"}, group_column="g", control_label="ctl",
                          outcomes={"visit": "proportion"})
    msg = (r"ab.csv: column 'visit' \(a proportion outcome\) has 7 value\(s\) that are not 0/1, yes/no or true/false "
           r"\(data rows 2, 4, 7, 8, 9, …: '2', 'maybe', '7', 'x', '9', …\). Recode them in the export, or declare the "
           r"outcome as mean")
    with pytest.raises(DataError, match=msg):
        read_experiment(spec, tmp_path)


def test_mean_outcome_that_is_not_numeric_and_several_problems_at_once(tmp_path):
    write(tmp_path, "g,spend,visit\nctl,1.5,1\nmail,12 EUR,0\nctl,n/a,maybe\nmail,3,1\n")
    spec = ExperimentSpec(source={"path": "ab.csv"}, group_column="g", control_label="ctl",
                          outcomes={"spend": "mean", "visit": "proportion"})
    with pytest.raises(DataError) as err:
        read_experiment(spec, tmp_path)
    text = str(err.value)
    assert text.startswith("ab.csv: the experiment export cannot be analysed (2 problems); nothing was analysed:")
    assert re.search(r"column 'spend' \(a mean outcome\) has 1 value\(s\) that are not numbers \(data rows 2: "
                     r"'12 EUR'\); expected numbers like 1234.50; for a decimal comma set "
                     r"campaigns.experiment.source.decimal: ','", text)  # 'n/a' is a missing value, not a bad number
    assert "column 'visit' (a proportion outcome) has 1 value(s)" in text


def test_file_errors(tmp_path):
    spec = small_spec(source={"path": "nowhere/*.csv"})
    with pytest.raises(DataError, match=r"campaigns.experiment.source.path: no file matches .*nowhere/\*.csv' "
                                        r"\(relative paths are taken from the params folder"):
        read_experiment(spec, tmp_path)
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(DataError, match=r"is a folder, not a file"):
        read_experiment(small_spec(source={"path": "folder.csv"}), tmp_path)
    write(tmp_path, "  \n", "blank.csv")
    with pytest.raises(DataError, match=r"blank.csv: the file is empty"):
        read_experiment(small_spec(source={"path": "blank.csv"}), tmp_path)
    write(tmp_path, "customer_id,segment,history,channel,visit,spend\n", "header.csv")
    with pytest.raises(DataError, match=r"header.csv: the table has column names but no data rows"):
        read_experiment(small_spec(source={"path": "header.csv"}), tmp_path)
    write(tmp_path, "not parquet", "bad.parquet")
    with pytest.raises(DataError, match=r"bad.parquet: cannot be read as parquet \(.*\). Check campaigns.experiment"):
        read_experiment(small_spec(source={"path": "bad.parquet"}), tmp_path)


def test_no_usable_row(tmp_path):
    write(tmp_path, "g,visit\nctl,\nmail,\n")
    spec = ExperimentSpec(source={"path": "ab.csv"}, group_column="g", control_label="ctl",
                          outcomes={"visit": "proportion"})
    with pytest.raises(DataError, match=r"ab.csv: none of the 2 rows can be analysed \(missing outcome 'visit': 2\)"):
        read_experiment(spec, tmp_path)


def test_config_errors(tmp_path):
    shutil.copy(DATA / "experiment_small.csv", tmp_path / "ab.csv")
    with pytest.raises(ConfigError, match=r"campaigns.experiment.source.format: an experiment is read from a CSV, "
                                          r"Parquet or Excel file; got 'duckdb'"):
        read_experiment(small_spec(source={"path": "ab.duckdb", "table": "t"}), tmp_path)
    with pytest.raises(ConfigError, match=r"campaigns.experiment.source.columns: not used for an experiment"):
        read_experiment(small_spec(source={"path": "ab.csv", "columns": {"customer_id": "id"}}), tmp_path)
    with pytest.raises(ConfigError, match=r"treatment_labels: 'No E-Mail' is also the control_label"):
        read_experiment(small_spec(source={"path": "ab.csv"}, treatment_labels=["No E-Mail"]), tmp_path)
    with pytest.raises(ConfigError, match=r"column 'spend' is named as outcome and as covariate"):
        read_experiment(small_spec(source={"path": "ab.csv"}, covariates=["spend"]), tmp_path)
    frame, _ = read_experiment(small_spec(source={"path": "ab.csv"}), tmp_path)
    with pytest.raises(ConfigError, match=r"treatment_share: 0.5 for each of the 2 treatment arm\(s\) leaves no share "
                                          r"for the control group"):
        experiment_analysis(frame, small_spec(treatment_share=0.5))


# --- a simulated Hillstrom-like experiment -----------------------------------------------------------------

VISIT = {"No E-Mail": 0.106, "Womens E-Mail": 0.151, "Mens E-Mail": 0.183}
MEAN_HISTORY, BASE_AMOUNT, SLOPE = 250.0, 20.0, 0.1  # spend of a visitor: 20 + 0.1 history + noise -> 45 on average


def hillstrom_like(seed: int, n: int = 21_000) -> pd.DataFrame:
    """Randomised thirds; visit with the planted rates; spend = visit x (20 + 0.1 history + N(0, 10))."""
    rng = np.random.default_rng(seed)
    segment = rng.choice(list(VISIT), size=n)
    history = rng.exponential(MEAN_HISTORY, n)
    visit = rng.random(n) < np.vectorize(VISIT.get)(segment)
    return pd.DataFrame({
        "customer": np.arange(n), "recency": rng.integers(1, 13, n), "history": history,
        "channel": rng.choice(["Web", "Phone", "Multichannel"], size=n, p=[0.44, 0.44, 0.12]),
        "segment": segment, "visit": visit.astype(int),
        "spend": np.where(visit, BASE_AMOUNT + SLOPE * history + rng.normal(0, 10, n), 0.0)})


def hillstrom_spec(**kw) -> ExperimentSpec:
    base = dict(name="E-mail test", source={"path": "hillstrom.csv"}, group_column="segment",
                control_label="No E-Mail", outcomes={"visit": "proportion", "spend": "mean"},
                covariates=["history", "recency", "channel"], treatment_share=1 / 3, customer_column="customer")
    base.update(kw)
    return ExperimentSpec(**base)


def test_simulated_hillstrom_intervals_cover_the_planted_differences():
    truth = {("Mens E-Mail", "visit"): 0.183 - 0.106, ("Womens E-Mail", "visit"): 0.151 - 0.106}
    mean_amount = BASE_AMOUNT + SLOPE * MEAN_HISTORY  # E[spend | arm] = rate x 45
    truth.update({(arm, "spend"): (VISIT[arm] - VISIT["No E-Mail"]) * mean_amount for arm, _ in list(truth)})
    covered = {k: 0 for k in truth}
    flagged_srm, flagged_balance, headlines = 0, 0, []
    for seed in range(20):
        r = experiment_analysis(hillstrom_like(seed), hillstrom_spec())
        prim = r.primary().set_index(["arm", "outcome"])
        for key, value in truth.items():
            covered[key] += bool(prim.loc[key, "ci_lower"] <= value <= prim.loc[key, "ci_upper"])
        assert set(prim.method) == {"newcombe", "cuped"}
        flagged_srm += int(r.srm.flagged.sum())
        flagged_balance += int(r.balance.flagged.sum())
        headlines.append(r.headline)
    rates = {k: v / 20 for k, v in covered.items()}
    assert all(v >= 18 for v in covered.values()), f"coverage over 20 seeds: {rates}"
    assert flagged_srm == 0  # randomised thirds: p < 0.001 by chance in about 1 test in 1,000
    assert flagged_balance == 0  # |SMD| > 0.1 needs about 7 standard errors at 7,000 per group
    assert re.fullmatch(r"Mens E-Mail raised the visit rate by \d\.\d points \(\d\.\d to \d\.\d\) and Womens E-Mail "
                        r"raised it by \d\.\d points \(\d\.\d to \d\.\d\) against No E-Mail\.", headlines[0]), headlines[0]


def test_simulated_hillstrom_design_checks_and_summary():
    r = experiment_analysis(hillstrom_like(0), hillstrom_spec())
    assert r.srm.expected_share.tolist() == pytest.approx([0.5, 0.5])  # (1/3) / (1/3 + 1/3) per arm
    assert len(r.balance) == 2 * (2 + 3)  # history, recency and channel's three levels, per arm
    m = r.mde.set_index(["arm", "outcome"])
    nt, nc = m.loc[("Mens E-Mail", "visit"), ["n_treated", "n_control"]]
    pc = m.loc[("Mens E-Mail", "visit"), "control_value"]
    assert m.loc[("Mens E-Mail", "visit"), "mde"] == pytest.approx(
        (Z + stats.norm.ppf(0.8)) * math.sqrt(pc * (1 - pc) * (1 / nt + 1 / nc)))
    assert m.loc[("Mens E-Mail", "visit"), "mde"] < 0.077 - 0.045  # the design can tell the two arms' effects apart
    s = r.summary_frame().set_index("metric")
    assert s.loc["srm_p_value_mens_e_mail", "value"] == pytest.approx(r.srm.p_value.iloc[0])
    assert s.loc["effect_visit_mens_e_mail", "value"] == pytest.approx(
        r.effects.query("arm == 'Mens E-Mail' and outcome == 'visit'").estimate.iloc[0])


# --- sample-ratio mismatch ---------------------------------------------------------------------------------


def split_frame(n_treated: int, n_control: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.array(["mail"] * n_treated + ["ctl"] * n_control)
    return pd.DataFrame({"g": rng.permutation(g), "visit": (rng.random(len(g)) < 0.2).astype(int)})


SRM_SPEC = ExperimentSpec(source={"path": "ab.csv"}, group_column="g", control_label="ctl",
                          outcomes={"visit": "proportion"}, treatment_share=0.5)


def test_srm_planted_split_is_flagged_and_a_balanced_one_is_not():
    ok = experiment_analysis(split_frame(5000, 5000), SRM_SPEC)
    assert ok.srm[["n_treated", "n_control", "observed_share", "chi2", "flagged"]].to_dict("records") == [
        {"n_treated": 5000, "n_control": 5000, "observed_share": 0.5, "chi2": 0.0, "flagged": False}]
    assert "sample-ratio" not in ok.headline
    bad = experiment_analysis(split_frame(6000, 4000), SRM_SPEC)
    row = bad.srm.iloc[0]
    assert row.chi2 == pytest.approx(2 * 1000 ** 2 / 5000)  # (6000-5000)^2/5000 + (4000-5000)^2/5000 = 400
    assert row.flagged and row.p_value < 1e-80
    assert bad.effects.note.str.contains("sample-ratio mismatch: the effect may be biased").all()
    assert bad.headline.endswith("; the split of 'mail' against ctl is not the intended one (sample-ratio mismatch), "
                                 "so that effect is suspect.")
    assert "6,000 vs 4,000 customers, 60.0% in mail against the intended 50.0%" in " ".join(bad.notes.note)


def test_srm_expected_share_per_arm():
    # an 80/20 design: 800 vs 200 is the plan; 3 arms of 25% each against a 25% control: each pair is 50/50
    r = experiment_analysis(split_frame(800, 200), SRM_SPEC.model_copy(update={"treatment_share": 0.8}))
    assert r.srm.expected_share.iloc[0] == pytest.approx(0.8) and not r.srm.flagged.iloc[0]
    rng = np.random.default_rng(1)
    g = rng.permutation(np.repeat(["ctl", "a", "b", "c"], 2500))
    frame = pd.DataFrame({"g": g, "visit": (rng.random(10_000) < 0.2).astype(int)})
    r = experiment_analysis(frame, SRM_SPEC.model_copy(update={"treatment_share": 0.25}))
    assert r.arms == ("a", "b", "c") and r.srm.expected_share.tolist() == [0.5, 0.5, 0.5]
    assert r.srm.chi2.tolist() == [0.0, 0.0, 0.0] and not r.srm.flagged.any()
