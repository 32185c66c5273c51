"""The survival report in words and tables (retention_utils.display.survival): escaping, CSS classes only,
every section from the analysis or from its part, formatting of missing values."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retention_utils import load_config, load_unit_data
from retention_utils import survival as sv
from retention_utils.display import survival as ds
from tests.conftest import write_unit

XSS = "<script>alert(1)</script>"


def _explicit_unit(tmp_path, channel: str = XSS):
    """120 subscription customers, half with the channel ``channel`` (explicit churn, churn types recorded)."""
    rng = np.random.default_rng(7)
    rows = []
    for i in range(120):
        start = pd.Timestamp("2023-01-01") + pd.Timedelta(days=int(rng.integers(0, 300)))
        churn = start + pd.Timedelta(days=int(rng.integers(20, 600))) if rng.random() < 0.7 else None
        rows.append(f"K{i},shop,{start:%Y-%m-%d},{'' if churn is None else f'{churn:%Y-%m-%d}'},"
                    f"{channel if i % 2 else 'web'},voluntary\n")
    cust = "customer_id,business_unit,signup_date,churn_date,channel,churn_type\n" + "".join(rows)
    orders = "order_id,customer_id,order_date,amount\n" + "".join(f"{i},K{i},2023-01-01,10\n" for i in range(120))
    params = write_unit(tmp_path, files={"customers.csv": cust, "orders.csv": orders},
                        sources={"customers": {"path": "../customers.csv", "attributes": ["channel"]},
                                 "orders": {"path": "../orders.csv"}},
                        unit_yaml="report_month: '2025-05'\nchurn:\n  method: explicit\nsurvival:\n"
                                  "  group_by: channel\n  covariates: [channel]\n")
    return sv.survival_analysis(load_unit_data(load_config(params, "shop")))


@pytest.fixture(scope="module")
def explicit(tmp_path_factory) -> sv.SurvivalAnalysis:
    return _explicit_unit(tmp_path_factory.mktemp("explicit"))


def test_data_derived_text_is_escaped(explicit):
    xss, a = XSS, explicit  # a channel named like a script
    assert xss in a.km.groups and len(a.cox.hazard_ratios) == 1
    pages = [ds.headline_html(a), ds.km_table_html(a.km), ds.logrank_html(a.logrank), ds.cox_html(a.cox),
             ds.rmst_html(a.rmst), ds.competing_html(a), ds.about_html(a)]
    assert any("&lt;script&gt;" in p.data for p in pages)
    assert not any("<script" in p.data for p in pages)


def test_result_html_has_every_section_and_no_inline_style(explicit):
    page = ds.result_html(explicit).data
    assert page == explicit._repr_html_()
    for title, render in ds.SECTIONS:
        assert f"<h3>{title}</h3>" in page.replace("&#x27;", "'")
        assert render(explicit).data in page
    assert "style=" not in page and "<style" not in page
    assert "class='rk-table'" in page and "class='rk-headline'" in page and "class='rk-footnote'" in page
    assert "&lt;script&gt;" in page and "<script" not in page
    assert "months (30.44 days)" in page  # calendar.DAYS_PER_MONTH, two decimals


def test_sections_take_the_analysis_or_its_part(explicit):
    a = explicit
    assert ds.km_table_html(a).data == ds.km_table_html(a.km).data
    assert ds.logrank_html(a).data == ds.logrank_html(a.logrank).data
    assert ds.cox_html(a).data == ds.cox_html(a.cox).data
    assert ds.rmst_html(a).data == ds.rmst_html(a.rmst).data
    assert ds.competing_html(a).data == ds.competing_html(a.competing).data
    assert ds.hazard_html(a).data == ds.hazard_html(a.hazard).data
    assert ds.reasons_html(a).data in ds.competing_html(a).data


def test_missing_values_print_as_words_not_nan():
    t = pd.DataFrame({"duration_months": [1.0, 2, 3, 4, 5, 6], "event": [True] * 6,
                      "plan": ["a", "a", "a", "b", "b", "b"]})
    km = sv.kaplan_meier(t, group_by="plan", times=(3, 24))
    page = ds.km_table_html(km).data
    assert ds.NOT_ESTIMABLE in page and "nan" not in page  # 24 months: beyond the follow-up
    lr = sv.logrank(t.assign(event=[True, True, True, False, False, False]), group_by="plan")
    assert "nan" not in ds.logrank_html(lr).data
    assert ds._median_text(float("nan"), 1, 2, 10) == "not reached"


def test_headline_of_a_unit_without_customers():
    empty = sv.kaplan_meier(pd.DataFrame({"duration_months": [], "event": []}))
    a = type("A", (), {"km_all": empty})()
    assert ds.headline_sentences(a) == ["No customer lifetimes to analyse in this unit yet."]


def test_a_clear_hazard_ratio_never_shows_a_range_touching_no_effect():
    """0.86-0.996 is clear of 1: the words say 'likely 0.4% to 14%' and the table '0.86-0.996', never a limit
    rounded onto no effect ('0% to 14%', '1.00') beside 'Clear? yes' (page review finding)."""
    import types

    from retention_utils.display.formats import side_kept as _side_kept
    from retention_utils.display.survival import _hr_sentence

    row = types.SimpleNamespace(covariate="channel", kind="categorical", level="referral", reference="web",
                                hazard_ratio=0.93, ci_lower=0.86, ci_upper=0.996)
    text = _hr_sentence(row, 30)
    assert "leave 7% more slowly" in text and "(likely 0.4% to 14%)" in text
    assert _side_kept(1, 2)(0.996) == "0.996" and _side_kept(1, 2)(0.86) == "0.86" and _side_kept(1, 2)(1.0) == "1.00"
