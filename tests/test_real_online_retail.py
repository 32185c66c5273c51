"""The shipped online-retail example on the real UCI export, checked against plain pandas."""
from __future__ import annotations

import pandas as pd
import pytest

from retention_utils import load_config, load_unit_data, monthly_kpis
from tests.conftest import ROOT

PARAMS = ROOT / "examples" / "online_retail" / "params"


@pytest.fixture(scope="module")
def retail_raw(real_data_module):
    return pd.read_parquet(real_data_module / "online_retail" / "online_retail.parquet")


@pytest.fixture(scope="module")
def real_data_module():
    from tests.conftest import REAL

    if not REAL.is_dir():
        pytest.skip(f"real data sets not found at {REAL}")
    return REAL


def _independent(raw: pd.DataFrame, country: str):
    """The documented rules, written again in pandas."""
    unit = raw[raw.Country == country]
    missing = unit.CustomerID.isna()
    dup = raw.duplicated() & (raw.Country == country)
    keep = unit[~missing & ~dup.loc[unit.index]].copy()
    keep["date"] = pd.to_datetime(keep.InvoiceDate)
    after = keep.date >= "2011-12-01"
    used = keep[~after].copy()
    used["amount"] = used.Quantity * used.UnitPrice
    used["cid"] = used.CustomerID.astype("int64").astype(str)
    orders = used.groupby(["InvoiceNo", "cid", used.date.dt.normalize()], as_index=False).amount.sum()
    return {"other": int((raw.Country != country).sum()), "missing": int(missing.sum()),
            "dup": int((dup.loc[unit.index] & ~missing).sum()), "after": int(after.sum()),
            "used": len(used), "orders": orders}


@pytest.mark.parametrize("unit,country", [("united_kingdom", "United Kingdom"), ("germany", "Germany")])
def test_accounting_and_november_kpis_match_pandas(unit, country, retail_raw):
    data = load_unit_data(load_config(PARAMS, unit))
    assert data.month_label == "2011-11"  # December 2011 is partial
    q = data.quality.rows.groupby("reason")["rows"].sum()
    ref = _independent(retail_raw, country)
    assert data.quality.inputs.rows.iloc[0] == len(retail_raw) == 541_909
    assert data.quality.balanced()
    assert q.get("other business unit", 0) == ref["other"]
    assert q.get("missing customer_id", 0) == ref["missing"]
    assert q.get("exact duplicate row", 0) == ref["dup"]
    assert q.get("after report month", 0) == ref["after"]
    assert q[q.index.str.startswith("used")].sum() == ref["used"]
    o = ref["orders"]
    nov = o[(o.date >= "2011-11-01") & (o.date < "2011-12-01")]
    k = monthly_kpis(data).set_index("month").loc[pd.Timestamp("2011-11-01")]
    assert k.n_active == nov[nov.amount > 0].cid.nunique()
    assert k.n_orders == (nov.amount > 0).sum()
    assert k.net_revenue == pytest.approx(nov.amount.sum(), rel=1e-9)
    assert k.aov == pytest.approx(nov.amount[nov.amount > 0].mean(), rel=1e-9)


@pytest.mark.slow
def test_notebook_renders_on_real_data(tmp_path, real_data_module, monkeypatch):
    """Germany (95 customers) as an executive reads it: clean figures, no placeholder, one name one number."""
    from retention_utils.pages import page_text
    from retention_utils.plots.check import CHECK_ENV
    from retention_utils.report import run_month
    from tests.test_pages import PLACEHOLDER, _named_numbers, _without_glossary

    check = tmp_path / "figures.jsonl"
    monkeypatch.setenv(CHECK_ENV, str(check))
    result = run_month(PARAMS, tmp_path / "reports", units=["germany"], notebooks_dir=ROOT / "notebooks")
    assert result.ok, [u.error for u in result.units]
    unit = tmp_path / "reports" / "2011-11" / "germany"
    html = (unit / "kpi_overview.html").read_text()
    assert "Online Retail — Germany" in html and "Data quality" in html
    cohort = (unit / "cohort_retention.html").read_text()
    # every chart is drawn or replaced by the sentence saying what is missing
    assert "Cohort retention" in cohort and "Traceback" not in cohort
    assert cohort.count("data:image/png") + cohort.count("rk-shortfall") >= 5
    assert "Traceback" not in html and "GBP" in html
    assert not check.exists() or check.read_text().strip() == ""
    seen: dict[str, set[str]] = {}
    value = (unit / "customer_value.html").read_text()
    assert "Customer lifetime value" in value and "holdout" in value and "Traceback" not in value
    for page in ("index", "kpi_overview", "cohort_retention", "survival", "churn_drivers", "customer_value"):
        text = page_text((unit / f"{page}.html").read_text())
        assert PLACEHOLDER.findall(text) == [], page
        for name, numbers in _named_numbers(page_text(_without_glossary((unit / f"{page}.html").read_text()))).items():
            seen.setdefault(name, set()).update(numbers)
    assert {n: v for n, v in seen.items() if len(v) > 1} == {}


@pytest.mark.parametrize("unit,country", [("germany", "Germany"), ("united_kingdom", "United Kingdom")])
def test_cohort_table_matches_pandas(unit, country, retail_raw):
    from retention_utils.cohorts import cohort_analysis

    data = load_unit_data(load_config(PARAMS, unit))
    t = cohort_analysis(data, data.config.cohorts.model_copy(update={"max_periods": None})).table
    o = _independent(retail_raw, country)["orders"]
    buys = o[o.amount > 0].copy()
    buys["m"] = buys.date.dt.to_period("M")
    buys["cohort"] = buys.groupby("cid").m.transform("min")
    buys["k"] = (buys.m - buys.cohort).apply(lambda x: x.n)
    ref = buys.drop_duplicates(["cid", "m"]).groupby(["cohort", "k"]).cid.nunique()
    sizes = buys.drop_duplicates("cid").groupby("cohort").cid.nunique()
    got_sizes = t.groupby("cohort").cohort_size.first()
    assert got_sizes.tolist() == sizes.tolist()
    obs = t[t.observable & (t.n_retained > 0)]
    got = {(c.strftime("%Y-%m"), k): int(n) for c, k, n in zip(obs.cohort, obs.period, obs.n_retained)}
    want = {(str(c), int(k)): int(n) for (c, k), n in ref.items()}
    assert got == want
    assert t[~t.observable].retention_rate.isna().all()
