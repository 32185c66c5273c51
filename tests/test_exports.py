"""Safe CSV files (issue 9, items 5 and 12): formula cells neutralised, numbers kept, stable bytes.

Expected cells are written out by hand from the OWASP rule (a text cell starting
with = + - @ tab or CR gets a leading apostrophe) and read back with the csv
module; ``QUOTE_NONNUMERIC`` reading turns every unquoted cell into a float, so
a number that came back as text would fail the comparison.
"""
from __future__ import annotations

import csv
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from retention_utils import drivers as drv
from retention_utils.exports import neutralise, restore_text, write_csv

PAYLOADS = ["=cmd|' /C calc'!A0", "@SUM(1+1)", "+1", "-2", "\t=1+1", "\r=1+1", "plain, with a comma",
            'say "hi"', "x;=cmd|' /C calc'!A0", "'already"]
EXPECTED = ["'=cmd|' /C calc'!A0", "'@SUM(1+1)", "'+1", "'-2", "'\t=1+1", "'\r=1+1", "plain, with a comma",
            'say "hi"', "x;=cmd|' /C calc'!A0", "''already"]


def _read(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_formula_cells_get_an_apostrophe_and_numbers_stay_numbers(tmp_path):
    frame = pd.DataFrame({"attr": PAYLOADS, "amount": [-2.5, -2.0, 0.0, 3.25, 1e6, -0.5, 7.0, 8.0, 9.0, 10.0],
                          "n": np.arange(-3, 7)})
    path = write_csv(frame, tmp_path / "x.csv")
    rows = _read(path)
    assert rows[0] == ["attr", "amount", "n"]
    assert [r[0] for r in rows[1:]] == EXPECTED
    assert [r[1] for r in rows[1:]] == ["-2.5", "-2", "0", "3.25", "1000000", "-0.5", "7", "8", "9", "10"]
    assert [r[2] for r in rows[1:]] == ["-3", "-2", "-1", "0", "1", "2", "3", "4", "5", "6"]
    # the numbers are written bare (numbers), every text cell quoted: read as the csv module's numbers
    with open(path, newline="", encoding="utf-8") as fh:
        typed = list(csv.reader(fh, quoting=csv.QUOTE_NONNUMERIC))
    assert typed[1] == ["'=cmd|' /C calc'!A0", -2.5, -3.0] and typed[4] == ["'-2", 3.25, 0.0]
    assert all(isinstance(r[1], float) and isinstance(r[2], float) for r in typed[1:])
    # the raw text: a negative number is not quoted (not text), the text "-2" is
    text = path.read_text(encoding="utf-8")
    assert "\"'-2\",3.25,0\n" in text and "\"'=cmd|' /C calc'!A0\",-2.5,-3\n" in text
    # the value with a semicolon stays one quoted cell, so a ';' locale cannot start a new cell inside it
    assert "\"x;=cmd|' /C calc'!A0\"" in text


def test_column_names_are_neutralised_too(tmp_path):
    path = write_csv(pd.DataFrame({"=HYPERLINK(\"x\")": [1], "@a": ["b"], "ok": [2.0]}), tmp_path / "h.csv")
    assert _read(path)[0] == ["'=HYPERLINK(\"x\")", "'@a", "ok"]


def test_restore_gives_back_the_original_values(tmp_path):
    path = write_csv(pd.DataFrame({"v": PAYLOADS}), tmp_path / "r.csv")
    back = pd.read_csv(path, dtype=str, keep_default_na=False)["v"].map(restore_text).tolist()
    assert back == PAYLOADS
    assert neutralise("abc") == "abc" and restore_text(neutralise("=1")) == "=1"


def test_missing_values_dates_and_the_caller_frame(tmp_path):
    frame = pd.DataFrame({"d": [dt.date(2026, 1, 1), None], "t": pd.to_datetime(["2026-01-02", None]),
                          "x": [np.nan, 1.5], "s": [None, "a"], "i": pd.array([1, None], dtype="Int64")})
    before = frame.copy()
    rows = _read(write_csv(frame, tmp_path / "m.csv", money=["x"]))
    assert rows[1:] == [["2026-01-01", "2026-01-02", "", "", "1"], ["", "", "1.5", "a", ""]]
    pd.testing.assert_frame_equal(frame, before)


def test_money_to_cents_and_rates_to_a_millionth(tmp_path):
    frame = pd.DataFrame({"revenue": [1182.5199999999998, 0.1 + 0.2, -0.004], "p": [1 / 3, 0.1 + 0.2, 2e-7]})
    rows = _read(write_csv(frame, tmp_path / "s.csv", money=["revenue"], rates=["p"]))
    assert rows[1:] == [["1182.52", "0.333333"], ["0.3", "0.3"], ["0", "0"]]
    with pytest.raises(KeyError, match="column 'nope' to round is not in the frame"):
        write_csv(frame, tmp_path / "s.csv", money=["nope"])


def _warning(ids, reasons, probs, values):
    n = len(ids)
    scores = pd.DataFrame({"customer_id": ids, "probability": probs, "tier": ["high"] * n, "score": [50.0] * n,
                           "reasons": reasons, "value_at_risk": values, "revenue_12m": [2365.0399999999995] * n,
                           "as_of": [dt.date(2026, 1, 1)] * n, "horizon_days": [90] * n})
    return drv.EarlyWarning(scores, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), pd.DataFrame(),
                            dt.date(2026, 1, 1), 90, "logit", "EUR")


def test_at_risk_list_neutralises_hostile_values(tmp_path):
    ew = _warning(["=cmd|' /C calc'!A0", "+4915112345", "C3"],
                  ["plan: @SUM(1+1)", "-2", "no purchase for 120 days; plan: =1+1"],
                  [0.9, 0.8, 0.123456789], [1182.5199999999998, -2.0, 0.5])
    path = drv.write_at_risk_list(ew, tmp_path)
    rows = _read(path)
    assert rows[0] == ["customer_id", "probability", "tier", "score", "reasons", "value_at_risk", "revenue_12m",
                       "as_of", "horizon_days"]
    assert rows[1] == ["'=cmd|' /C calc'!A0", "0.9", "high", "50", "plan: @SUM(1+1)", "1182.52", "2365.04",
                       "2026-01-01", "90"]
    assert rows[2][0] == "'+4915112345" and rows[2][4] == "'-2" and rows[2][5] == "-2"
    assert rows[3][1] == "0.123457"


def test_at_risk_list_is_byte_identical_across_runs(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    # the same numbers reached by two summation orders differ in the last binary digit
    v1 = sum([0.1] * 10) * 1182.52
    v2 = 1182.52 * 1.0
    assert v1 != v2
    drv.write_at_risk_list(_warning(["A", "B"], ["", "x"], [0.1 + 0.2, 0.3], [v1, 5.0]), a)
    drv.write_at_risk_list(_warning(["A", "B"], ["", "x"], [0.3, 0.30000000000000004], [v2, 5.0]), b)
    assert (a / drv.AT_RISK_FILE).read_bytes() == (b / drv.AT_RISK_FILE).read_bytes()
    assert b'"A",0.3,"high",50,"",1182.52,2365.04,2026-01-01,90\n' in (a / drv.AT_RISK_FILE).read_bytes()


def test_closed_loop_reads_back_neutralised_ids(tmp_path):
    """A list written with an id such as '-P' (neutralised to "'-P") still matches its customer a month later."""
    from retention_utils import load_config, load_unit_data
    from tests.conftest import write_unit

    # D = 31, report month 2024-05; list scored as of 2024-03-01, 60 days. -P bought 02-20 only: churns 03-23;
    # +Q buys every two weeks: stays
    orders = ("order_id,customer_id,order_date,amount\n1,-P,2024-02-20,10\n2,+Q,2024-02-15,10\n3,+Q,2024-03-01,10\n"
              "4,+Q,2024-03-15,10\n5,+Q,2024-04-01,10\n6,+Q,2024-04-15,10\n7,+Q,2024-05-01,10\n")
    params = write_unit(tmp_path, files={"orders.csv": orders}, sources={"orders": {"path": "../orders.csv"}},
                        unit_yaml="report_month: '2024-05'\ndrivers:\n  horizon_days: 60\n")
    data = load_unit_data(load_config(params, "shop"))
    folder = tmp_path / "reports" / "2024-02" / "shop"
    folder.mkdir(parents=True)
    ew = _warning(["-P", "+Q"], ["", ""], [0.8, 0.6], [8.0, 6.0])
    ew = drv.EarlyWarning(ew.scores.assign(as_of=dt.date(2024, 3, 1), horizon_days=60), *list(ew.__dict__.values())[1:])
    drv.write_at_risk_list(ew, folder)
    assert _read(folder / drv.AT_RISK_FILE)[1][0] == "'-P"
    loop = drv.closed_loop(data, reports_dir=tmp_path / "reports")
    b = loop.by_tier.set_index("tier")
    assert loop.n_not_found == 0 and b.loc["high", "n_customers"] == 2 and b.loc["high", "n_churned"] == 1
