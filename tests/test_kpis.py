"""Tests of retention_utils.kpis: the monthly KPI table, the headline KPIs and the Wilson interval.

References used here:

* TINY (``tests/data/tiny``): every number written out below was computed by hand from the
  eleven order rows (the derivation is in the comments next to each column).
* Demo data (``write_demo(n_customers=1500, seed=7)``): compared with :func:`naive_kpis`, an
  independent plain-Python loop over each customer's sorted purchase dates that implements the
  definitions of the ``kpis`` and ``engine`` module docstrings from the raw CSV files (it shares
  no code with the library: no Ibis, no DuckDB, no ``purchase_spells``).
* Invariances: shifting every date by four calendar years (month boundaries and every day
  difference unchanged, 2024-02-29 maps to 2028-02-29), and duplicating every customer.
"""
from __future__ import annotations

import bisect
import datetime as dt
import math
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from retention_utils import load_config, load_unit_data
from retention_utils.kpis import KPI_LABELS, headline_kpis, monthly_kpis

from tests.conftest import TINY, copy_repo_params, demo_layout, write_unit

N_CUSTOMERS = 1500
SEED = 7
Z95 = 1.959963984540054  # standard normal 97.5 % quantile

COUNT_COLUMNS = ["n_active", "n_new", "n_reactivated", "n_churned", "n_customers_start", "n_active_end",
                 "n_dormant_end", "n_churned_total_end", "n_orders", "n_returning"]
MONEY_COLUMNS = ["purchase_revenue", "refunds", "net_revenue"]
RATE_COLUMNS = ["churn_rate", "aov", "revenue_per_active", "repurchase_rate"]
TABLE_COLUMNS = ["month", "n_active", "n_new", "n_reactivated", "n_churned", "n_customers_start", "churn_rate",
                 "churn_rate_ci_lower", "churn_rate_ci_upper", "n_active_end", "n_dormant_end",
                 "n_churned_total_end", "n_orders", "purchase_revenue", "refunds", "net_revenue", "aov",
                 "revenue_per_active", "n_returning", "repurchase_rate", "warm_up"]


def kpis_of(params: Path, unit: str, month: str | None = None):
    data = load_unit_data(load_config(params, unit, month=month))
    return data, monthly_kpis(data)


# ============================================================================ TINY, by hand


@pytest.fixture(scope="module")
def tiny():
    return kpis_of(TINY / "params", "shop")


def test_tiny_table_is_the_hand_computed_one(tiny):
    """TINY, unit shop, inactivity 31 days, dormant 10, report month 2024-04.

    Rows used after the contract: A buys 2024-01-05 (100) and 2024-02-01 (50; its exact duplicate
    is dropped, the 2024-05-02 order is after the report month); B buys 2024-01-20 (80) and is
    refunded 2024-01-25 (-20); C buys 2024-02-10 (30) and 2024-04-15 (40). D (other unit), Z
    (unknown) and the order without customer are not used.

    Spells (churn day = last purchase + 32, dormant from last purchase + 11):
    A: 01-05 -> 02-01 (gap 27 <= 31); after 02-01 dormant from 02-12, churned 03-04.
       After 01-05 dormant 01-16 .. 02-01 (the next purchase).
    B: after 01-20 dormant from 01-31, churned 02-21 (the refund is not a purchase).
    C: after 02-10 dormant from 02-21, churned 03-13; 04-15 is a reactivation (gap 65 > 31);
       dormant again from 04-26, would churn 05-17 (after the report month: not counted).
    """
    _, k = tiny
    assert list(k.columns) == TABLE_COLUMNS
    assert list(k.month) == list(pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"]))
    nan = np.nan
    expected = {
        # buyers in the month: Jan A,B; Feb A,C; Mar nobody; Apr C
        "n_active": [2, 2, 0, 1],
        # first purchase month: A Jan, B Jan, C Feb
        "n_new": [2, 1, 0, 0],
        # C's 04-15 purchase comes 65 days after 02-10
        "n_reactivated": [0, 0, 0, 1],
        # churn days: B 02-21 (Feb), A 03-04 and C 03-13 (Mar); C's 05-17 is after the report month
        "n_churned": [0, 1, 2, 0],
        # acquired and not churned on the 1st: Feb A,B; Mar A,C; Apr nobody (C churned 03-13)
        "n_customers_start": [0, 2, 2, 0],
        # n_churned / n_customers_start, NaN when nobody is at risk
        "churn_rate": [nan, 1 / 2, 2 / 2, nan],
        # at every month end nobody bought within the last 10 days
        "n_active_end": [0, 0, 0, 0],
        # Jan 31: A (since 01-16), B (since 01-31); Feb 29: A (since 02-12), C (since 02-21);
        # Mar 31: all churned; Apr 30: C (since 04-26)
        "n_dormant_end": [2, 2, 0, 1],
        # Jan 0; Feb B; Mar A,B,C; Apr A,B (C reactivated)
        "n_churned_total_end": [0, 1, 3, 2],
        # purchases (refunds are not orders): Jan A 100, B 80; Feb A 50, C 30; Apr C 40
        "n_orders": [2, 2, 0, 1],
        "purchase_revenue": [180.0, 80.0, 0.0, 40.0],
        # B's refund of 20 in January, as a positive amount
        "refunds": [20.0, 0.0, 0.0, 0.0],
        # purchases minus refunds
        "net_revenue": [160.0, 80.0, 0.0, 40.0],
        # purchase revenue / purchases: 180/2, 80/2, no orders, 40/1
        "aov": [90.0, 40.0, nan, 40.0],
        # net revenue / active customers: 160/2, 80/2, nobody active, 40/1
        "revenue_per_active": [80.0, 40.0, nan, 40.0],
        # active customers who bought in an earlier month: Feb A; Apr C
        "n_returning": [0, 1, 0, 1],
        # n_returning / n_active
        "repurchase_rate": [0.0, 0.5, nan, 1.0],
        # data start 2024-01-05 + 31 days = 2024-02-05: months starting before it (Jan, Feb)
        "warm_up": [True, True, False, False],
    }
    for col, values in expected.items():
        np.testing.assert_array_equal(k[col].to_numpy(), np.array(values), err_msg=col)
    for col in COUNT_COLUMNS:
        assert pd.api.types.is_integer_dtype(k[col]), col


def test_inactivity_window_boundary(tmp_path):
    """D = 31: a gap of exactly 31 days keeps the customer; a gap of 32 is a churn and a reactivation.

    A buys 2024-01-01 and 2024-02-01 (gap 31); B buys 2024-01-01 and 2024-02-02 (gap 32: B counts
    as churned on 01-01 + 32 = 02-02 and is reactivated by the purchase of that same day).
    """
    params = write_unit(tmp_path, files={
        "orders.csv": "order_id,customer_id,order_date,amount\n1,A,2024-01-01,10\n2,A,2024-02-01,10\n"
                      "3,B,2024-01-01,10\n4,B,2024-02-02,10\n"},
        sources={"orders": {"path": "../orders.csv"}}, unit_yaml="report_month: '2024-02'\n")
    _, k = kpis_of(params, "shop")
    assert list(k.n_new) == [2, 0]
    assert list(k.n_churned) == [0, 1] and list(k.n_reactivated) == [0, 1]
    assert list(k.n_customers_start) == [0, 2] and list(k.churn_rate.fillna(-1)) == [-1, 0.5]
    # month ends: Jan 31 both 30 days since 01-01 (> 10: dormant); Feb 29 A 28 days, B 27 days
    assert list(k.n_dormant_end) == [2, 2] and list(k.n_active_end) == [0, 0]
    assert list(k.n_churned_total_end) == [0, 0]
    assert list(k.n_returning) == [0, 2]


def test_tiny_churn_interval_is_wilson_of_churned_over_start(tiny):
    _, k = tiny
    # Feb 1/2: the Wilson interval of p = 1/2 is centred on 1/2 with half width
    # z / (1 + z^2/n) * sqrt(p(1-p)/n + z^2/(4 n^2)).
    n, z = 2, Z95
    half = z / (1 + z**2 / n) * math.sqrt(0.25 / n + z**2 / (4 * n**2))
    assert k.churn_rate_ci_lower[1] == pytest.approx(0.5 - half, rel=1e-9)
    assert k.churn_rate_ci_upper[1] == pytest.approx(0.5 + half, rel=1e-9)
    # Mar 2/2: count = nobs gives lower = n / (n + z^2), upper = 1
    assert k.churn_rate_ci_lower[2] == pytest.approx(2 / (2 + z**2), rel=1e-9)
    assert k.churn_rate_ci_upper[2] == pytest.approx(1.0)
    # nobody at risk: no interval
    assert k.churn_rate_ci_lower[[0, 3]].isna().all() and k.churn_rate_ci_upper[[0, 3]].isna().all()


# ============================================================================ demo data vs a naive loop


def _write_unit_root(root: Path, customers: pd.DataFrame, orders: pd.DataFrame) -> Path:
    """Demo-like layout: ``root/data/demo/*.csv`` and the repo's params (without interactions and
    campaigns, which the KPIs do not read) in ``root/params``. Frames are written as text, as given."""
    data = root / "data" / "demo"
    data.mkdir(parents=True)
    customers.to_csv(data / "customers.csv", index=False)
    orders.to_csv(data / "orders.csv", index=False)
    return copy_repo_params(root, drop_sources=("interactions", "campaigns"))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo data set in the repo's layout: ``data/demo`` beside a verbatim copy of ``params``."""
    root = tmp_path_factory.mktemp("demo")
    demo_layout(root, n_customers=N_CUSTOMERS, seed=SEED)
    raw = {name: pd.read_csv(root / "data" / "demo" / f"{name}.csv", dtype=str, keep_default_na=False)
           for name in ("customers", "orders")}
    return root, raw


@pytest.fixture(scope="module")
def demo_kpis(demo):
    root, _ = demo
    return {unit: kpis_of(root / "params", unit) for unit in ("retail", "subscriptions")}


def _date(s: str) -> dt.date | None:
    return dt.date.fromisoformat(s) if s else None


def _midx(d: dt.date) -> int:
    return d.year * 12 + d.month - 1


def _month_end(idx: int) -> dt.date:
    first_next = dt.date((idx + 1) // 12, (idx + 1) % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def naive_kpis(raw_customers: pd.DataFrame, raw_orders: pd.DataFrame, *, unit: str, method: str,
               inactivity_days: int, dormant_days: int, report_month: dt.date) -> pd.DataFrame:
    """The KPI table by the documented definitions, one customer at a time.

    Inputs are the raw CSV frames (all text). The data contract is applied in its simplest form
    (the demo has no other problems): customers of the unit, orders of those customers, exact
    duplicate rows dropped, nothing after the report month; under the explicit method customers
    who signed up after the report month are left out and later churn dates count as not churned.
    A customer's status at a day E (after at least one purchase, or signup under the explicit
    method): churned if (inactivity) E - last purchase > D or (explicit) churn_date <= E; else
    dormant if E - last purchase > dormant_days (explicit: the signup date stands in for a missing
    purchase); else active. Start-of-month stock = acquired and not churned the day before.
    """
    end = _month_end(_midx(report_month))
    cust = raw_customers[raw_customers.business_unit == unit]
    ids = set(cust.customer_id)
    orders = []
    seen = set()
    for row in raw_orders.itertuples(index=False):
        key = tuple(row)
        if key in seen or row.customer_id not in ids:
            continue
        seen.add(key)
        day = _date(row.order_date)
        if day <= end:
            orders.append((row.order_id, row.customer_id, day, float(row.amount)))
    assert len({o[0] for o in orders}) == len(orders), "naive_kpis assumes one row per order"
    data_start = min(o[2] for o in orders)
    months = list(range(_midx(data_start), _midx(report_month) + 1))
    r = {m: defaultdict(float) for m in months}

    purchases: dict[str, set[dt.date]] = defaultdict(set)
    for _, cid, day, amount in orders:
        row = r[_midx(day)]
        if amount > 0:
            row["n_orders"] += 1
            row["purchase_revenue"] += amount
            purchases[cid].add(day)
        elif amount < 0:
            row["refunds"] += -amount
        row["net_revenue"] += amount
    days = {cid: sorted(ds) for cid, ds in purchases.items()}

    def bump(m: int, col: str) -> None:
        if m in r:  # flows before the first month only move the stock
            r[m][col] += 1

    for cid, ds in days.items():
        for m in sorted({_midx(d) for d in ds}):
            bump(m, "n_active")
            if m > _midx(ds[0]):
                bump(m, "n_returning")
    signup, churn = {}, {}
    if method == "inactivity":
        for cid, ds in days.items():
            bump(_midx(ds[0]), "n_new")
            for prev, cur in zip(ds, ds[1:]):
                if (cur - prev).days > inactivity_days:
                    bump(_midx(cur), "n_reactivated")
            for i, d in enumerate(ds):
                nxt = ds[i + 1] if i + 1 < len(ds) else None
                if nxt is None or (nxt - d).days > inactivity_days:
                    churn_day = d + dt.timedelta(days=inactivity_days + 1)
                    if churn_day <= end:
                        bump(_midx(churn_day), "n_churned")
    else:
        for row in cust.itertuples(index=False):
            s = _date(row.signup_date)
            if s > end:
                continue
            c = _date(row.churn_date)
            signup[row.customer_id] = s
            churn[row.customer_id] = c if c is not None and c <= end else None
            bump(_midx(s), "n_new")
            if churn[row.customer_id] is not None:
                bump(_midx(churn[row.customer_id]), "n_churned")

    def status(cid: str, day: dt.date) -> str | None:
        ds = days.get(cid, [])
        last = ds[bisect.bisect_right(ds, day) - 1] if ds and ds[0] <= day else None
        if method == "inactivity":
            if last is None:
                return None
            if (day - last).days > inactivity_days:
                return "churned"
        else:
            if signup[cid] > day:
                return None
            if churn[cid] is not None and churn[cid] <= day:
                return "churned"
            last = last or signup[cid]
        return "dormant" if (day - last).days > dormant_days else "active"

    people = list(days) if method == "inactivity" else list(signup)
    for m in months:
        e = _month_end(m)
        before = dt.date(m // 12, m % 12 + 1, 1) - dt.timedelta(days=1)
        for cid in people:
            st = status(cid, e)
            if st is not None:
                r[m]["n_" + ("churned_total" if st == "churned" else st) + "_end"] += 1
            if status(cid, before) in ("active", "dormant"):
                r[m]["n_customers_start"] += 1

    rows = []
    for m in months:
        row = {"month": pd.Timestamp(m // 12, m % 12 + 1, 1)}
        row.update({c: int(r[m][c]) for c in COUNT_COLUMNS})
        row.update({c: float(r[m][c]) for c in MONEY_COLUMNS})
        div = lambda a, b: a / b if b else np.nan  # noqa: E731
        row["churn_rate"] = div(row["n_churned"], row["n_customers_start"])
        row["aov"] = div(row["purchase_revenue"], row["n_orders"])
        row["revenue_per_active"] = div(row["net_revenue"], row["n_active"])
        row["repurchase_rate"] = div(row["n_returning"], row["n_active"])
        window = inactivity_days if method == "inactivity" else None
        row["warm_up"] = (row["month"].date() < data_start + dt.timedelta(days=window)) if window else None
        rows.append(row)
    return pd.DataFrame(rows)


def assert_tables_equal(got: pd.DataFrame, expected: pd.DataFrame, columns: list[str]) -> None:
    assert len(got) == len(expected)
    for col in columns:
        g, e = got[col].reset_index(drop=True), expected[col].reset_index(drop=True)
        if col in COUNT_COLUMNS or col in ("month", "warm_up"):
            bad = np.flatnonzero(g.to_numpy() != e.to_numpy())
            assert bad.size == 0, (f"{col}: {bad.size} months differ, first "
                                   + ", ".join(f"{got.month.iloc[i]:%Y-%m} got {g[i]} expected {e[i]}"
                                               for i in bad[:5]))
        else:
            np.testing.assert_allclose(g.to_numpy(float), e.to_numpy(float), rtol=1e-9, atol=1e-9,
                                       err_msg=col)


COMPARED = ["month"] + COUNT_COLUMNS + MONEY_COLUMNS + RATE_COLUMNS


@pytest.mark.parametrize("unit", ["retail", "subscriptions"])
def test_monthly_kpis_match_naive_loop_on_demo(demo, demo_kpis, unit):
    _, raw = demo
    data, k = demo_kpis[unit]
    churn = data.config.churn
    assert (churn.method, churn.inactivity_days, churn.dormant_days) == {
        "retail": ("inactivity", 90, 45), "subscriptions": ("explicit", 90, 45)}[unit]
    assert data.month == dt.date(2025, 12, 1)  # last complete month of the demo window
    naive = naive_kpis(raw["customers"], raw["orders"], unit=unit, method=churn.method,
                       inactivity_days=churn.inactivity_days, dormant_days=churn.dormant_days,
                       report_month=data.month)
    assert len(k) == len(naive) == 36
    assert_tables_equal(k, naive, COMPARED)
    if churn.method == "inactivity":
        assert_tables_equal(k, naive, ["warm_up"])
        assert k.warm_up.sum() == 3  # data start 2023-01-01 + 90 days = 2023-04-01
    # the naive table is not trivial: every flow occurs
    for col in ("n_new", "n_churned", "n_dormant_end", "refunds") if unit == "retail" else ("n_new", "n_churned"):
        assert naive[col].sum() > 0, col
    if unit == "retail":
        assert naive.n_reactivated.sum() > 0


@pytest.fixture(scope="module")
def gappy_subscriptions(demo, tmp_path_factory):
    """Subscriptions with 40 % of the invoices after each customer's first one removed (seed 0).

    The demo invoices every month, so no subscriber is ever dormant; the gaps exercise the explicit
    method's dormancy (dormant from last invoice + 46 days until the next invoice or the churn date).
    """
    _, raw = demo
    o = raw["orders"]
    subs = raw["customers"].customer_id[raw["customers"].business_unit == "subscriptions"]
    rng = np.random.default_rng(0)
    drop = o.customer_id.isin(subs) & o.customer_id.duplicated() & (rng.random(len(o)) < 0.4)
    orders = o[~drop]
    params = _write_unit_root(tmp_path_factory.mktemp("gaps"), raw["customers"], orders)
    return orders, kpis_of(params, "subscriptions")


def test_explicit_dormancy_matches_naive_loop(demo, gappy_subscriptions):
    _, raw = demo
    orders, (data, k) = gappy_subscriptions
    naive = naive_kpis(raw["customers"], orders, unit="subscriptions", method="explicit", inactivity_days=90,
                       dormant_days=45, report_month=data.month)
    assert naive.n_dormant_end.sum() > 100  # dormancy really occurs
    assert_tables_equal(k, naive, COMPARED)


def test_explicit_signup_without_purchase_counts_as_dormant(tmp_path):
    """Explicit method: B signs up 2024-01-01 and first buys 2024-03-20 (dormant_days 45).

    By the engine's definition ("Dormant: not churned, and no purchase for more than
    dormant_days") and by ``customer_snapshot`` (which measures from the signup date when there
    is no purchase yet), B is dormant at 2024-02-29 (59 days without a purchase). A is invoiced
    on the 1st of every month and is always active.
    """
    params = write_unit(tmp_path, files={
        "customers.csv": "customer_id,signup_date,churn_date\nA,2024-01-01,\nB,2024-01-01,\n",
        "orders.csv": "order_id,customer_id,order_date,amount\n1,A,2024-01-01,10\n2,A,2024-02-01,10\n"
                      "3,A,2024-03-01,10\n4,B,2024-03-20,10\n"},
        sources={"customers": {"path": "../customers.csv"}, "orders": {"path": "../orders.csv"}},
        unit_yaml="report_month: '2024-03'\nchurn:\n  method: explicit\n  dormant_days: 45\n")
    _, k = kpis_of(params, "shop")
    assert list(k.n_new) == [2, 0, 0]  # both signed up in January
    assert list(k.n_active) == [1, 1, 2]  # buyers: A; A; A and B
    # Jan 31: B 30 days since signup (active); Feb 29: 59 days (dormant); Mar 31: bought 03-20
    assert list(k.n_dormant_end) == [0, 1, 0]
    assert list(k.n_active_end) == [2, 1, 2]


# ============================================================================ invariants


@pytest.mark.parametrize("unit", ["retail", "subscriptions"])
def test_rates_in_unit_interval_and_stock_flow_identity(demo_kpis, tiny, unit):
    for _, k in (demo_kpis[unit], tiny):
        for col in ("churn_rate", "churn_rate_ci_lower", "churn_rate_ci_upper", "repurchase_rate"):
            v = k[col].dropna()
            assert ((v >= 0) & (v <= 1)).all(), col
        ok = k.n_customers_start > 0
        assert (k.churn_rate_ci_lower[ok] <= k.churn_rate[ok]).all()
        assert (k.churn_rate[ok] <= k.churn_rate_ci_upper[ok]).all()
        flow = k.n_new + k.n_reactivated - k.n_churned
        np.testing.assert_array_equal(k.n_customers_start.to_numpy()[1:],
                                      (k.n_customers_start + flow).to_numpy()[:-1])
        # the month-end statuses partition the acquired customers
        alive_end = k.n_customers_start + flow
        np.testing.assert_array_equal((k.n_active_end + k.n_dormant_end).to_numpy(), alive_end.to_numpy())
        assert (k[COUNT_COLUMNS] >= 0).all().all()
        assert (k.n_returning <= k.n_active).all() and (k.n_new[~k.warm_up] >= 0).all()


def _shift_dates(frame: pd.DataFrame, columns: list[str], offset: pd.DateOffset) -> pd.DataFrame:
    out = frame.copy()
    for col in columns:
        filled = out[col] != ""
        shifted = pd.to_datetime(out.loc[filled, col]) + offset
        out.loc[filled, col] = shifted.dt.strftime("%Y-%m-%d")
    return out


@pytest.fixture(scope="module")
def shifted_kpis(demo, tmp_path_factory):
    """Every date of the raw CSV files four calendar years earlier (2023-01-01 -> 2019-01-01).

    A multiple of four years maps every date onto the same day of the same month and keeps every
    difference in days (2024 and 2020 are both leap years), so every count must be unchanged. (Earlier,
    not later: orders dated after the run date are set aside as future-dated.)
    """
    _, raw = demo
    offset = pd.DateOffset(years=-4)
    customers = _shift_dates(raw["customers"], ["signup_date", "churn_date"], offset)
    orders = _shift_dates(raw["orders"], ["order_date"], offset)
    assert customers.signup_date.min() == "2019-01-01" and orders.order_date.max() == "2021-12-31"
    params = _write_unit_root(tmp_path_factory.mktemp("shifted"), customers, orders)
    return {unit: kpis_of(params, unit) for unit in ("retail", "subscriptions")}


@pytest.mark.parametrize("unit", ["retail", "subscriptions"])
def test_shifting_all_dates_by_whole_years_changes_nothing(demo_kpis, shifted_kpis, unit):
    _, k = demo_kpis[unit]
    data_s, ks = shifted_kpis[unit]
    assert data_s.month == dt.date(2021, 12, 1)
    assert list(ks.month) == [m - pd.DateOffset(years=4) for m in k.month]
    cols = [c for c in TABLE_COLUMNS if c != "month"]
    assert_tables_equal(ks, k, cols)


@pytest.fixture(scope="module")
def doubled_kpis(demo, tmp_path_factory):
    """Every customer twice: a copy under id ``X<id>`` with copies of its orders (ids ``X<id>``)."""
    _, raw = demo
    c2 = raw["customers"].copy()
    c2["customer_id"] = "X" + c2.customer_id
    o2 = raw["orders"].copy()
    o2["customer_id"] = "X" + o2.customer_id
    o2["order_id"] = "X" + o2.order_id
    params = _write_unit_root(tmp_path_factory.mktemp("doubled"), pd.concat([raw["customers"], c2]),
                              pd.concat([raw["orders"], o2]))
    return {unit: kpis_of(params, unit) for unit in ("retail", "subscriptions")}


@pytest.mark.parametrize("unit", ["retail", "subscriptions"])
def test_duplicating_every_customer_doubles_counts_and_keeps_rates(demo_kpis, doubled_kpis, unit):
    _, k = demo_kpis[unit]
    _, k2 = doubled_kpis[unit]
    assert list(k2.month) == list(k.month)
    for col in COUNT_COLUMNS:
        np.testing.assert_array_equal(k2[col].to_numpy(), 2 * k[col].to_numpy(), err_msg=col)
    for col in MONEY_COLUMNS:
        np.testing.assert_allclose(k2[col].to_numpy(), 2 * k[col].to_numpy(), rtol=1e-9, err_msg=col)
    for col in RATE_COLUMNS:
        np.testing.assert_allclose(k2[col].to_numpy(float), k[col].to_numpy(float), rtol=1e-9, err_msg=col)
    assert (k2.warm_up == k.warm_up).all()
    # twice the observations: the churn interval is narrower (or equal where it is degenerate)
    ok = k.n_customers_start > 0
    width, width2 = (k.churn_rate_ci_upper - k.churn_rate_ci_lower)[ok], (k2.churn_rate_ci_upper -
                                                                           k2.churn_rate_ci_lower)[ok]
    assert (width2 <= width + 1e-12).all()


# ============================================================================ headline_kpis


def _synthetic_kpis() -> pd.DataFrame:
    """Months 2023-01 .. 2024-05, warm-up 2023-01 .. 2023-03, filler values except where set below."""
    months = pd.date_range("2023-01-01", "2024-05-01", freq="MS")
    n = len(months)
    k = pd.DataFrame({
        "month": months,
        "n_active": np.arange(n) + 50, "n_new": np.arange(n) + 10,
        "churn_rate": np.full(n, 0.2), "churn_rate_ci_lower": np.full(n, 0.1),
        "churn_rate_ci_upper": np.full(n, 0.3), "net_revenue": np.full(n, 1000.0),
        "aov": np.full(n, 30.0), "revenue_per_active": np.full(n, 20.0), "repurchase_rate": np.full(n, 0.4),
        "warm_up": months < pd.Timestamp("2023-04-01"),
    })
    at = {  # month: n_active, n_new, churn_rate, ci, net_revenue, aov, revenue_per_active, repurchase_rate
        "2024-05-01": (120, 30, 0.05, 0.03, 0.08, 5000.0, 50.0, 45.0, 0.75),
        "2024-04-01": (100, 40, 0.04, 0.02, 0.07, 4000.0, 40.0, 40.0, 0.70),
        "2023-05-01": (60, 20, 0.10, 0.05, 0.18, 2500.0, 50.0, 0.0, 0.50),
        "2023-03-01": (7, 7, 0.9, 0.5, 1.0, 7.0, 7.0, 7.0, 0.9),  # warm-up: never a comparison
    }
    cols = ["n_active", "n_new", "churn_rate", "churn_rate_ci_lower", "churn_rate_ci_upper", "net_revenue",
            "aov", "revenue_per_active", "repurchase_rate"]
    for month, values in at.items():
        k.loc[k.month == pd.Timestamp(month), cols] = values
    return k


def test_headline_deltas_by_hand():
    k = _synthetic_kpis()
    before = k.copy()
    h = headline_kpis(k).set_index("kpi")  # default: the last month, 2024-05
    pd.testing.assert_frame_equal(k, before)  # the caller's frame is not modified
    assert list(h.index) == list(KPI_LABELS)
    for kpi, (label, kind, better) in KPI_LABELS.items():
        assert (h.at[kpi, "label"], h.at[kpi, "kind"], bool(h.at[kpi, "higher_is_better"])) == (label, kind, better)
    # kpi: value, previous (2024-04), delta, pct, last year (2023-05), delta, pct
    expected = {
        "n_active": (120, 100, 20, 0.20, 60, 60, 1.0),
        "n_new": (30, 40, -10, -0.25, 20, 10, 0.5),
        # rates: deltas are differences of fractions (percentage points), never a percent change
        "churn_rate": (0.05, 0.04, 0.01, np.nan, 0.10, -0.05, np.nan),
        "net_revenue": (5000, 4000, 1000, 0.25, 2500, 2500, 1.0),
        "aov": (50, 40, 10, 0.25, 50, 0, 0.0),
        # a year ago 0: no percent change
        "revenue_per_active": (45, 40, 5, 0.125, 0, 45, np.nan),
        "repurchase_rate": (0.75, 0.70, 0.05, np.nan, 0.50, 0.25, np.nan),
    }
    cols = ["value", "previous", "delta_previous", "pct_previous", "last_year", "delta_last_year",
            "pct_last_year"]
    for kpi, values in expected.items():
        np.testing.assert_allclose(h.loc[kpi, cols].to_numpy(float), np.array(values, float), rtol=1e-12,
                                   atol=1e-12, err_msg=kpi)
    assert (h.at["churn_rate", "ci_lower"], h.at["churn_rate", "ci_upper"]) == (0.03, 0.08)
    assert h.drop(index="churn_rate")[["ci_lower", "ci_upper"]].isna().all().all()


def test_headline_never_compares_with_warm_up_months():
    k = _synthetic_kpis()
    # 2024-03: previous 2024-02 (filler), last year 2023-03 is a warm-up month -> no comparison
    h = headline_kpis(k, month=dt.date(2024, 3, 1)).set_index("kpi")
    assert h.at["n_active", "value"] == 50 + 14 and h.at["n_active", "previous"] == 50 + 13
    assert h.at["n_active", "delta_previous"] == 1
    assert h[["last_year", "delta_last_year", "pct_last_year"]].isna().all().all()
    # 2023-04: the previous month is a warm-up month, and there is no 2022-04
    h = headline_kpis(k, month=dt.date(2023, 4, 1)).set_index("kpi")
    assert h[["previous", "delta_previous", "pct_previous", "last_year", "delta_last_year",
              "pct_last_year"]].isna().all().all()
    assert h.at["n_active", "value"] == 53


def test_headline_on_tiny_uses_only_non_warm_up_months(tiny):
    _, k = tiny
    h = headline_kpis(k).set_index("kpi")  # April; March is not a warm-up month
    assert h.at["n_active", "value"] == 1 and h.at["n_active", "previous"] == 0
    assert h.at["n_active", "delta_previous"] == 1 and np.isnan(h.at["n_active", "pct_previous"])
    assert np.isnan(h.at["churn_rate", "value"])  # nobody at risk in April
    h = headline_kpis(k, month=dt.date(2024, 3, 1)).set_index("kpi")  # February is a warm-up month
    assert h.previous.isna().all()
    assert h.at["churn_rate", "value"] == 1.0


def test_small_churn_base_is_flagged_in_headline_not_reported_as_a_rate():
    from retention_utils.display.kpis import headline_html, headline_sentences
    from retention_utils.kpis import kpi_analysis

    data = load_unit_data(load_config(TINY / "params", "shop", month="2024-03"))
    res = kpi_analysis(data)
    head = res.headline
    assert head.set_index("kpi").n_obs["churn_rate"] == 2 and res.min_customers == 30
    text = " ".join(headline_sentences(res))
    sentence = ("Not shown: the monthly churn rate needs at least 30 customers; there are 2 at the start of March 2024 "
                "(28 more needed).")
    assert sentence in text and "95% interval" not in text and "100.0%" not in text
    page = headline_html(res).data
    assert "too few customers" in page and "2 at the start of the month; 30 needed" in page
    assert "95% interval" not in page
    assert list(res.notes["note"])[-1] == sentence
    # the executive sentence says what is missing instead of a rate
    head = res.summary_frame().query("metric == 'headline'")
    assert len(head) == 1 and head.unit.iloc[0] == "sentence" and np.isnan(head.value.iloc[0])
    assert "no churn rate: only 2 customers at the start of March 2024 (30 needed)" in head.label.iloc[0]


def test_kpi_labels_are_the_vocabulary_names():
    """Issue 12 item 1: the month's buyers are never called "active customers" (that is another population)."""
    from retention_utils import vocabulary

    assert KPI_LABELS["n_active"][0] == "Customers who bought in the month" == vocabulary.name("buyers", capital=True)
    assert KPI_LABELS["n_new"][0] == "New customers in the month"
    assert KPI_LABELS["churn_rate"][0] == "Monthly churn rate"
    assert not any("active" in label.lower() for label, _, _ in KPI_LABELS.values())


@pytest.fixture(scope="module")
def retail_demo(demo_units):
    from retention_utils import kpi_analysis

    return kpi_analysis(demo_units["retail"])  # the demo as make demo writes it (conftest), on any fresh clone


def test_retail_page_names_each_population_and_reconciles_them(retail_demo):
    """Demo retail, December 2025: 539 bought in the month, 645 active and 148 dormant at month end (793 at the
    end), 711 at the start, 65 churned, 93 new, 54 reactivated; 711 - 65 + 93 + 54 = 793."""
    from retention_utils.display.kpis import headline_html, headline_sentences, kpi_table_html, reconciliation

    k = retail_demo
    assert headline_sentences(k)[0].startswith("539 customers who bought in December 2025 (+36 (+7.2%) on November")
    assert headline_sentences(k)[1].startswith(
        "The monthly churn rate was 9.1%: 65 churned customers of the 711 customers at the start of December 2025")
    assert reconciliation(k).startswith(
        "How the counts add up: 645 active at month end + 148 dormant at month end = 793 customers at the end of "
        "December 2025 = 711 customers at the start of December 2025 − 65 churned + 93 new + 54 reactivated. "
        "The 539 customers who bought in December 2025 are a different count")
    cards = headline_html(k).data
    assert "<div class='rk-l'>Customers who bought in the month</div><div class='rk-v'>539</div>" in cards
    assert "Active customers" not in cards
    table = kpi_table_html(k).data
    for header in ("Customers who bought in the month", "Active at month end", "Dormant at month end",
                   "Customers at the start of the month", "Monthly churn rate"):
        assert f">{header}</th>" in table
    assert "n/a" not in table and "nan" not in table


def test_kpi_summary_has_one_headline_sentence(retail_demo):
    s = retail_demo.summary_frame()
    head = s[s.metric == "headline"]
    assert len(head) == 1 and head.unit.iloc[0] == "sentence" and np.isnan(head.value.iloc[0])
    assert head.label.iloc[0] == ("539 customers who bought in December 2025 (+7.2% on November), a monthly churn "
                                  "rate of 9.1% (65 of the 711 customers at the start of December 2025, up 0.8 pp "
                                  "on November) and net revenue of EUR 52,376 (+109.5% on a year before).")
    assert s.loc[s.metric == "n_customers_start", "label"].iloc[0] == "Customers at the start of the month"


def test_export_without_amounts_counts_every_order_and_shows_no_money(tmp_path):
    """Issue 9, item 11: customer and date only; every dated order is a purchase, money is missing, not zero."""
    from retention_utils import cohorts, load_config, load_unit_data
    from retention_utils.display.kpis import NO_AMOUNTS, headline_sentences
    from retention_utils.kpis import kpi_analysis
    from tests.conftest import write_unit

    rows = "cust,date\nA,2024-01-05\nA,2024-02-03\nB,2024-01-20\nB,2024-03-01\nC,2024-03-15\nA,2024-03-20\n"
    params = write_unit(tmp_path, files={"log.csv": rows}, sources={"orders": {
        "path": "../log.csv", "columns": {"customer_id": "cust", "order_date": "date"}}},
        unit_yaml="report_month: '2024-03'\n")
    data = load_unit_data(load_config(params, "shop"))
    k = monthly_kpis(data)
    # hand count: Jan A, B; Feb A; Mar B, C, A
    assert k["n_active"].tolist() == [2, 1, 3] and k["n_orders"].tolist() == [2, 1, 3]
    assert k["n_new"].tolist() == [2, 0, 1]
    for col in ("purchase_revenue", "refunds", "net_revenue", "aov", "revenue_per_active"):
        assert k[col].isna().all(), col
    head = headline_kpis(k)
    assert set(head["kpi"]) == {"n_active", "n_new", "churn_rate", "repurchase_rate"}
    sentences = headline_sentences(kpi_analysis(data))
    assert sentences[-1] == NO_AMOUNTS and not any("EUR" in s for s in sentences)
    res = cohorts.cohort_analysis(data)
    assert not res.has_amounts and res.table["net_revenue_retention"].isna().all()
    assert res.table.loc[res.table.observable, "n_retained"].notna().all()
