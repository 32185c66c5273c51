"""Every notebook rendered through the real runner on small, odd but valid units (issue 9, item 3).

One ``run_month`` call renders all five reports for five generated units (each unit costs about
a minute of notebook execution, so the oddities share units):

==============  ===========================================================================
unit            what is odd about it
==============  ===========================================================================
nochurn         nobody churns in the last months (everyone still buys every month)
onecohort       every customer's first purchase is in the same month, the data's first (so every
                customer starts in the warm-up window); an event log of customer and date only,
                without amounts (like the grocery log)
onetime         every customer bought exactly once
subs / shop     one export, two units: 600 subscription accounts with explicit
                cancellations beside 400 inactivity-churn shop customers, about 9k invoices
                together (the export that crashed ``churn_drivers`` in ``plot_calibration``);
                in the shop one channel and one category hold about 97% of customers and orders
                (a few hundred customers, one dominant level)
==============  ===========================================================================

Each report must render (status ok in the run result and the manifest), say in plain words where a
section cannot apply, and carry no placeholder text (``nan``, ``None``, ``n/a of customers``) or
traceback into the HTML.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from retention_utils.config import NOTEBOOKS
from retention_utils.report import run_month
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

START = dt.date(2023, 1, 1)
MONTH = "2024-12"
END = dt.date(2024, 12, 31)
N_DAYS = (END - START).days  # the last day offset that may carry an order
CHANNELS = ("web", "store", "app")
CATEGORIES = ("food", "home", "toys")
REASONS = ("price", "moved away", "service", "competitor")


def _day(offset: int) -> str:
    return (START + dt.timedelta(days=int(offset))).isoformat()


def _shop_orders(rng: np.random.Generator, cid: str, first: int, n_orders: int, gap: float,
                 category_p: tuple[float, ...]) -> list[dict]:
    """``n_orders`` purchases from day ``first``, exponential gaps of mean ``gap`` days, stopping at the end."""
    out, day = [], first
    for _ in range(n_orders):
        if day > N_DAYS:
            break
        out.append({"customer_id": cid, "order_date": _day(day), "amount": round(float(rng.lognormal(3.5, 0.5)), 2),
                    "category": CATEGORIES[rng.choice(3, p=category_p)]})
        day += 1 + int(rng.exponential(gap))
    return out


def _inactivity_unit(rng: np.random.Generator, prefix: str, n: int, *, first_days: np.ndarray,
                     n_orders: np.ndarray, gap: float = 35.0, channel_p=(0.5, 0.3, 0.2),
                     category_p=(0.5, 0.3, 0.2)) -> tuple[pd.DataFrame, pd.DataFrame]:
    customers, orders = [], []
    for i in range(n):
        cid = f"{prefix}{i:04d}"
        first = int(first_days[i])
        customers.append({"customer_id": cid, "signup_date": _day(first),
                          "channel": CHANNELS[rng.choice(3, p=channel_p)]})
        orders += _shop_orders(rng, cid, first, int(n_orders[i]), gap, category_p)
    return pd.DataFrame(customers), pd.DataFrame(orders)


def _write(folder: Path, name: str, customers: pd.DataFrame, orders: pd.DataFrame) -> dict:
    orders = orders.reset_index(drop=True)
    orders.insert(0, "order_id", [f"{name}-{i}" for i in range(len(orders))])
    customers.to_csv(folder / f"{name}_customers.csv", index=False)
    orders.to_csv(folder / f"{name}_orders.csv", index=False)
    return {"customers": {"path": f"../{name}_customers.csv", "attributes": ["channel"]},
            "orders": {"path": f"../{name}_orders.csv"}}


def _subscriptions(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Monthly invoices from signup to the recorded cancellation (about 3.5% cancel each month)."""
    customers, orders = [], []
    for i in range(n):
        cid = f"S{i:04d}"
        start = int(rng.integers(0, N_DAYS - 20))
        months = int(rng.geometric(0.035))
        stop = start + 30 * months
        row = {"customer_id": cid, "business_unit": "subs", "signup_date": _day(start), "churn_date": "",
               "churn_type": "", "churn_reason": "", "channel": CHANNELS[rng.choice(3, p=(0.6, 0.3, 0.1))]}
        if stop <= N_DAYS:
            row.update(churn_date=_day(stop), churn_type=str(rng.choice(["voluntary", "involuntary"], p=(0.7, 0.3))),
                       churn_reason=str(rng.choice(REASONS)))
        customers.append(row)
        for day in range(start, min(stop, N_DAYS + 1), 30):
            orders.append({"customer_id": cid, "order_date": _day(day), "amount": 29.0, "category": "plan",
                           "business_unit": "subs"})
    return pd.DataFrame(customers), pd.DataFrame(orders)


def write_units(root: Path) -> Path:
    """Write the five odd units (CSV files and a params folder) under ``root``; returns the params folder."""
    rng = np.random.default_rng(9)
    params = root / "params"
    params.mkdir(parents=True)
    (params / "defaults.yaml").write_text(yaml.safe_dump({
        "currency": "EUR", "report_month": MONTH,
        "churn": {"method": "inactivity", "inactivity_days": 90, "dormant_days": 45},
        "drivers": {"n_cutoffs": 4}}), encoding="utf-8")
    units: dict[str, dict] = {}

    # nobody churns in the last months: 20% stop within the first year, the rest buy every month to the end
    n = 200
    first = rng.integers(0, 300, n)
    loyal = rng.random(n) < 0.8
    c, o = _inactivity_unit(rng, "N", n, first_days=first, n_orders=np.where(loyal, 60, rng.integers(1, 4, n)),
                            gap=12.0)
    o = o[(pd.to_datetime(o.order_date) < pd.Timestamp("2024-01-01")) | o.customer_id.isin(c.customer_id[loyal])]
    units["nochurn"] = {"sources": _write(root, "nochurn", c, o)}

    # an event log like the grocery one: customer and date only (no amounts, no order ids, no customers
    # file), every first purchase in the same month, which is also the data's first (the warm-up window)
    n = 200
    c, o = _inactivity_unit(rng, "C", n, first_days=rng.integers(365, 396, n), n_orders=rng.geometric(0.25, n))
    o[["customer_id", "order_date"]].rename(columns={"customer_id": "cust", "order_date": "date"}).to_csv(
        root / "onecohort_events.csv", index=False)
    units["onecohort"] = {"sources": {"orders": {"path": "../onecohort_events.csv",
                                                 "columns": {"customer_id": "cust", "order_date": "date"}}}}

    n = 300
    c, o = _inactivity_unit(rng, "O", n, first_days=rng.integers(0, N_DAYS, n), n_orders=np.ones(n, int))
    units["onetime"] = {"sources": _write(root, "onetime", c, o)}

    # one export, two units (the crash case): subscriptions with cancellations beside an inactivity shop
    sc, so = _subscriptions(rng, 600)
    n = 400
    hc, ho = _inactivity_unit(rng, "H", n, first_days=rng.integers(0, N_DAYS, n), n_orders=rng.geometric(0.18, n),
                              channel_p=(0.97, 0.02, 0.01), category_p=(0.98, 0.01, 0.01))
    hc = hc.assign(business_unit="shop", churn_date="", churn_type="", churn_reason="")
    ho = ho.assign(business_unit="shop")
    both_c = pd.concat([sc, hc[sc.columns]], ignore_index=True)
    both_o = pd.concat([so, ho], ignore_index=True)
    both_o.insert(0, "order_id", [f"INV{i:05d}" for i in range(len(both_o))])
    both_c.to_csv(root / "crm_customers.csv", index=False)
    both_o.to_csv(root / "crm_invoices.csv", index=False)
    crm = {"customers": {"path": "../crm_customers.csv", "attributes": ["channel"]},
           "orders": {"path": "../crm_invoices.csv"}}
    units["subs"] = {"sources": crm, "churn": {"method": "explicit", "dormant_days": 45},
                     "survival": {"group_by": "channel"}}
    units["shop"] = {"sources": crm, "survival": {"group_by": "channel", "covariates": ["channel"]},
                     "cohorts": {"split_by": "channel"}, "drivers": {"attributes": ["channel"]}}
    for name, spec in units.items():
        (params / f"{name}.yaml").write_text(yaml.safe_dump({"display_name": f"Odd {name}", **spec}),
                                             encoding="utf-8")
    return params


UNITS = ("nochurn", "onecohort", "onetime", "subs", "shop")


@pytest.fixture(scope="module")
def odd_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("odd")
    params = write_units(root)
    reports = root / "reports"
    # two units at a time: this render is the suite's longest step, and the other test worker is done
    # with its own render long before it ends, so a second job uses the otherwise idle core
    result = run_month(params, reports, jobs=2, notebooks_dir=ROOT / "notebooks")
    return reports, result


#: Text that must never reach a report: placeholders for missing numbers, Python's own spellings, traces.
BAD = re.compile(r"n/a of customers|\bn/a (with|of|months)\b|\bnan\b|\bNaN\b|\bNone\b(?! of)|Traceback|Error:|\binf\b")


def _text(page: Path) -> str:
    """The visible text of a rendered report (tags, styles and embedded images removed)."""
    body = page.read_text(encoding="utf-8")
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", body)


def test_every_unit_and_notebook_renders(odd_run):
    reports, result = odd_run
    failed = {(u.unit, nb["name"]): nb.get("error", "") for u in result.units for nb in u.notebooks
              if nb["status"] != "ok"}
    failed.update({(u.unit, "validation"): u.error for u in result.units if u.failed_step == "validation"})
    assert not failed, failed
    assert sorted(u.unit for u in result.units) == sorted(UNITS)
    manifest = json.loads((reports / MONTH / "manifest.json").read_text())
    assert {u["unit"]: u["status"] for u in manifest["units"]} == dict.fromkeys(UNITS, "ok")


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_no_placeholder_reaches_the_page(odd_run, unit, notebook):
    reports, _ = odd_run
    page = reports / MONTH / unit / f"{notebook}.html"
    assert page.exists(), f"{unit}/{notebook} was not rendered"
    text = _text(page)
    bad = sorted({m.group(0) for m in BAD.finditer(text)})
    assert not bad, f"{unit}/{notebook}: {bad} in: " + " | ".join(
        text[max(0, m.start() - 120):m.end() + 60] for m in BAD.finditer(text))[:3000]


#: Where a section cannot apply, the page says why in plain words (unit, notebook) -> sentences.
SAYS_WHY = {
    ("onecohort", "kpi_overview"): ["The export has no amounts, so revenue", "is only partly covered"],
    ("onecohort", "cohort_retention"): ["Not enough cohorts to compare.",
                                        "revenue retention and cohort value are not shown",
                                        "No customer attribute is configured for this comparison"],
    ("onecohort", "survival"): ["customer lives followed", "warm-up window",
                                "counted from the first purchase in the data"],
    ("onetime", "survival"): ["never bought again after their first purchase", "cannot be estimated yet",
                              "not estimable"],
    ("subs", "survival"): ["this unit records cancellation dates", "Churn reasons"],
    ("shop", "survival"): ["Not shown: a comparison by channel needs at least 2 groups with 30 customers each",
                           "dropped: only one level ('web')",
                           "Not applicable: this unit's churn is inferred from inactivity"],
}


@pytest.mark.parametrize("unit,notebook", sorted(SAYS_WHY))
def test_sections_that_cannot_apply_say_why(odd_run, unit, notebook):
    reports, _ = odd_run
    text = _text(reports / MONTH / unit / f"{notebook}.html")
    text = text.replace("&#x27;", "'").replace("&amp;", "&")
    missing = [s for s in SAYS_WHY[unit, notebook] if s not in text]
    assert not missing, f"{unit}/{notebook} lacks {missing}"


def test_month_warning_on_top_of_every_page_of_a_partly_covered_month(odd_run):
    """The onecohort log ends on 30 December: every page of that unit opens with the warning."""
    reports, _ = odd_run
    for nb in NOTEBOOKS:
        text = _text(reports / MONTH / "onecohort" / f"{nb}.html")
        title = text.index("Odd onecohort — December 2024")
        warning = text.index("Warning: The data end on 30 December 2024")
        assert 0 <= warning - title < 300, nb  # right under the title block
