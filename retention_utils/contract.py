"""The CRM data contract: mapping, parsing, validation and data-quality accounting.

:func:`load_unit_data` turns the raw sources of one business unit into the
canonical tables every analysis reads (``customers``, ``orders``,
``interactions``, ``campaigns``; or, for a snapshot unit, ``snapshot``), in the
engine, after checking the contract. Export values are first recoded with the
params' ``values:`` mappings.

Hard errors (stop the unit with one :class:`~retention_utils.errors.DataError`
that lists every problem found, each with file, column, count, up to five
examples and a fix): missing required column, unparseable dates / numbers /
flags, values outside an allowed set, duplicate customer ids, empty customer
signup dates, a business unit with no rows, an explicit churn definition without
a churn-date column, an amount or order-date column empty on every row, an
empty file, ``business_unit_value`` without a business-unit column, an explicit
report month after the data.

Soft rules (the row is counted with its reason, never silently lost):

===========================  =========  ==================================================
reason                       outcome    rule
===========================  =========  ==================================================
other business unit          excluded   the row belongs to another unit
missing business_unit        dropped    no unit value, so it belongs to no unit
missing customer_id          dropped    cannot be linked to a customer
unknown customer             dropped    customer id absent from the customers table
missing <date column>        dropped    no date, cannot be placed in time
exact duplicate row          dropped    every field equals an earlier row (first kept)
future-dated                 dropped    after the run date, or isolated far beyond the data
signed up after report month excluded   not yet a customer as of the report
after report month           excluded   dated after the report month (no look-ahead)
used: purchase / refund ...  used       kept; orders split by sign of amount
used: purchase (no amounts)  used       an export without amounts: every order a purchase
===========================  =========  ==================================================

Order lines that share ``order_id``, customer and date are combined into one
order (amounts summed); a churn date after the report month is treated as
"not churned yet". Both are listed as notes.

The column rules, the typing of each mapped source, :class:`UnitData`, :class:`DataQuality` and the
wording of the hard errors live in :mod:`retention_utils.datamodel` (re-exported here).

Report month (:func:`future_dated_limit`): the default is the last complete month
with orders of the whole export once future-dated orders are set aside; an
explicit month after the data is an error; a partly covered one sets
``UnitData.month_warning``.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import pandas as pd

from . import backend, progress
from .config import UnitConfig, parse_month
from .calendar import DAYS_PER_MONTH, month_end  # DAYS_PER_MONTH: a tenure in days or a span of dates becomes months
from .datamodel import (
    CONTRACT,
    DATE_COLUMN,
    ColumnRule,
    DataQuality,
    UnitData,
    _duplicate_ids,
    _join,
    _map_and_type,
    _Mapped,
    _no_orders_message,
    _no_rows,
    _no_unit_column,
    canonical_schema,
    contract_frame,
    customer_keys,
    enforce_schema,
    with_key,
)
from .errors import ConfigError, DataError, examples_text
from .sources import RawSource, connect, read_source

__all__ = ["CONTRACT", "ColumnRule", "canonical_schema", "enforce_schema", "DataQuality", "UnitData", "load_unit_data",
           "contract_frame", "future_dated_limit", "run_date"]


def _last_complete_month(max_date: dt.date) -> dt.date:
    if max_date == month_end(max_date):
        return max_date.replace(day=1)
    prev = max_date.replace(day=1) - dt.timedelta(days=1)
    return prev.replace(day=1)


def _day(d: dt.date) -> str:
    """``14 June 2025`` (no zero padding, on every platform)."""
    return f"{d.day} {d:%B %Y}"


#: future-dated orders: a tail of the data after a gap of more than FUTURE_GAP_DAYS days without orders
#: that holds under FUTURE_MAX_SHARE of the dated orders is isolated far beyond the rest (docs/data-contract.md)
FUTURE_GAP_DAYS = 180
FUTURE_MAX_SHARE = 0.01


def run_date() -> dt.date:
    """The run date: today on the clock (:func:`load_unit_data` takes ``today=`` to fix it in tests)."""
    return dt.date.today()


def future_dated_limit(dates: list[dt.date], counts: list[int], *, today: dt.date) -> tuple[dt.date, bool]:
    """The last order date that is not future-dated, and whether an isolated tail was cut off.

    Orders dated after ``today`` (the run date) are future-dated. So are orders isolated far beyond
    the rest of the data: those after a gap of more than :data:`FUTURE_GAP_DAYS` (180) days without
    any order, when they hold less than :data:`FUTURE_MAX_SHARE` (1%) of the dated orders up to
    ``today``. The earliest such gap counts, so several stray dates are all caught.

    Parameters
    ----------
    dates
        The distinct order dates, ascending.
    counts
        Number of orders on each date.
    today
        The run date.

    Returns
    -------
    (limit, isolated)
        Orders dated after ``limit`` are future-dated; ``isolated`` is True when ``limit`` is the
        last date before such a gap (else ``limit`` is ``today``).

    Examples
    --------
    >>> d = [dt.date(2025, 1, 1), dt.date(2025, 6, 14), dt.date(2030, 1, 3)]
    >>> future_dated_limit(d, [60, 40, 1], today=dt.date(2035, 1, 1))
    (datetime.date(2025, 6, 14), True)
    >>> future_dated_limit(d, [60, 40, 1], today=dt.date(2025, 7, 1))
    (datetime.date(2025, 7, 1), False)
    >>> future_dated_limit(d, [1, 1, 1], today=dt.date(2035, 1, 1))  # one order in three is not a stray
    (datetime.date(2035, 1, 1), False)
    """
    kept = [(d, int(n)) for d, n in zip(dates, counts) if d <= today]
    total = sum(n for _, n in kept)
    after = total
    for (d0, n0), (d1, _) in zip(kept, kept[1:]):
        after -= n0  # orders dated after d0
        if (d1 - d0).days > FUTURE_GAP_DAYS and after < FUTURE_MAX_SHARE * total:
            return d0, True
    return today, False


def _value_counts_text(table: ibis.Table, col: str) -> str:
    vc = table[col].value_counts().to_pandas()
    vc = vc.sort_values(vc.columns[1], ascending=False).head(8)
    return ", ".join(f"{v!r} ({n:,})" for v, n in zip(vc.iloc[:, 0], vc.iloc[:, 1]))


def _reasons(m: _Mapped, *, unit_value: str, unit_ids: ibis.Table | None, all_ids: ibis.Table | None,
             month_end: dt.date | None, future_after: dt.date | None = None) -> ibis.Value:
    t = m.table
    date_col = DATE_COLUMN[m.name]
    cases = []
    has_bu = "business_unit" in m.present and m.name in ("customers", "orders")
    if has_bu:
        cases.append((t.business_unit.isnull(), "missing business_unit"))
        cases.append((t.business_unit != unit_value, "other business unit"))
    cases.append((t.customer_id.isnull(), "missing customer_id"))

    # "not among" as NOT EXISTS, never NOT IN (subquery): Spark plans the latter as a nested loop (orders x
    # customers: 622 s at 300k orders against 32 s) and PostgreSQL as a row-by-row subplan once the ids outgrow
    # work_mem. Same answer here: ids and row numbers are never null, and a null customer_id is caught above.
    def among(ids: ibis.Table, col: str) -> ibis.BooleanValue:
        return (ids[col] == t[col]).any()

    if m.name != "customers":
        if all_ids is not None:
            cases.append((~among(all_ids, "customer_id"), "unknown customer"))
        if unit_ids is not None and not has_bu:
            cases.append((~among(unit_ids, "customer_id"), "other business unit"))
        elif unit_ids is not None:
            cases.append((~among(unit_ids, "customer_id"), "unknown customer"))
        cases.append((t[date_col].isnull(), f"missing {date_col}"))
    if m.name == "orders":
        cases.append((among(m.dup_rows, "_row"), "exact duplicate row"))
        if future_after is not None:
            cases.append((t.order_date > ibis.literal(future_after), "future-dated"))
    if month_end is not None:
        label = "signed up after report month" if m.name == "customers" else "after report month"
        cases.append((t[date_col] > ibis.literal(month_end), label))
    if m.name == "orders" and "amount" not in m.present:
        return ibis.cases(*cases, else_="used: purchase (no amounts)")
    if m.name == "orders":
        cases.append((t.amount > 0, "used: purchase"))
        cases.append((t.amount < 0, "used: refund (negative amount)"))
        cases.append((t.amount == 0, "used: zero amount (not a purchase)"))
        return ibis.cases(*cases, else_="missing amount")
    return ibis.cases(*cases, else_="used")


def _outcome(reason: str) -> str:
    if reason.startswith("used") or reason == "used":
        return "used"
    if reason in ("other business unit", "after report month", "signed up after report month",
                  "started after report month"):
        return "excluded"
    return "dropped"


def load_unit_data(cfg: UnitConfig, *, con: Any = None, today: dt.date | None = None) -> UnitData:
    """Read, validate and prepare the canonical tables of one business unit.

    Parameters
    ----------
    cfg
        The unit's configuration (:func:`retention_utils.config.load_config`).
    con
        An Ibis engine connection to use; by default the one ``cfg.engine`` names, opened here and closed
        again if the unit fails.
    today
        The run date (orders dated later are future-dated); the clock's today by default.

    Returns
    -------
    UnitData
        Canonical tables (Ibis, in the engine) with the report month and the data-quality accounting.
        ``customers`` has ``customer_id, signup_date`` (+ ``churn_date, churn_type, churn_reason`` and
        attributes when given); ``orders`` has one row per order: ``order_id, customer_id, order_date,
        amount, n_lines`` (+ optional columns; ``amount`` is NULL when the export has none, ``has_amounts``
        False). Every table also has ``customer_key``, the integer key of the customer (:func:`customer_keys`).
        A snapshot unit (``sources.snapshot``) has ``kind == "snapshot"`` and only ``snapshot``.

    Raises
    ------
    DataError
        Every hard contract violation found, in one message.
    """
    own = con is None
    con = connect(cfg.engine) if own else con
    try:
        return _load_unit_data(cfg, con, today or run_date())
    except BaseException:
        if own:  # the engine it opened is not left holding a session for a failed unit
            backend.disconnect(con)
        raise


def _load_unit_data(cfg: UnitConfig, con: Any, run_day: dt.date) -> UnitData:
    if cfg.sources.snapshot is not None:
        return _load_snapshot(cfg, con)
    problems: list[str] = []
    raws: dict[str, RawSource] = {}
    mapped: dict[str, _Mapped] = {}
    for name in ("customers", "orders", "interactions", "campaigns"):
        if getattr(cfg.sources, name) is None:
            continue
        with progress.reading_source(cfg, name, con):
            src = raws[name] = read_source(con, cfg, name)
        if src.n_rows == 0 and name in ("customers", "orders"):
            raise DataError(_no_rows(src))
        with progress.stage(f"[{cfg.unit}] checking and typing {src.label}", nbytes=progress.files_size(src.files),
                            con=con):
            m = _map_and_type(src, getattr(cfg.sources, name), problems)
        if m is not None:
            mapped[name] = m
            # typed and checked: the raw copy is no longer needed (only one source's raw copy is ever held)
            backend.drop_tables(con, f"raw_{name}", f"_load_{name}")
    holders = [mapped[n] for n in ("customers", "orders") if n in mapped]
    if (cfg.business_unit_value is not None and len(holders) == len([n for n in ("customers", "orders") if n in raws])
            and not any("business_unit" in m.present for m in holders)):
        problems.append(_no_unit_column(cfg, holders))
    if problems:
        raise DataError(_join(cfg, problems))

    unit_value = cfg.unit_value
    cust = mapped.get("customers")
    orders = mapped["orders"]
    has_amounts = "amount" in orders.present
    if cfg.churn.method == "explicit" and (cust is None or "churn_date" not in cust.present):
        raise DataError(f"unit {cfg.unit!r}: churn.method is 'explicit' but "
                        f"{cust.src.label if cust else 'no customers source'} has no churn_date column; map "
                        "sources.customers.columns.churn_date, or use churn.method: inactivity.")
    # hard rules on customers
    if cust is not None:
        t = cust.table
        nulls = t.filter(t.customer_id.notnull() & t.signup_date.isnull())
        n_null = int(nulls.count().to_pyarrow().as_py())
        if n_null:
            ex = nulls.order_by("_row").limit(5).to_pandas()
            problems.append(f"{cust.src.label}: column {(cust.spec.columns.get('signup_date') or 'signup_date')!r} "
                            f"is empty on {n_null:,} rows (data rows {examples_text(ex._row.tolist())}); every "
                            "customer needs a signup date: fill it in the export (e.g. the first order date).")
        problems += _duplicate_ids(cust)
        if "business_unit" in cust.present:
            n_unit = int(t.filter(t.business_unit == unit_value).count().to_pyarrow().as_py())
            if n_unit == 0:
                problems.append(f"{cust.src.label}: no rows have business_unit = {unit_value!r} (unit {cfg.unit!r}). "
                                f"Values present: {_value_counts_text(t, 'business_unit')}. Set "
                                "business_unit_value in the unit's params file to one of them.")
    if cust is None and "business_unit" in orders.present:
        t = orders.table
        n_unit = int(t.filter(t.business_unit == unit_value).count().to_pyarrow().as_py())
        if n_unit == 0:
            problems.append(f"{orders.src.label}: no rows have business_unit = {unit_value!r} (unit {cfg.unit!r}). "
                            f"Values present: {_value_counts_text(t, 'business_unit')}. Set "
                            "business_unit_value in the unit's params file to one of them.")
    if problems:
        raise DataError(_join(cfg, problems))

    # customer keys of the unit (before the month rule: used for linking only)
    all_ids = unit_ids = None
    if cust is not None:
        t = cust.table
        all_ids = t.filter(t.customer_id.notnull()).select("customer_id").distinct()
        keep = t.customer_id.notnull()
        if "business_unit" in cust.present:
            keep = keep & (t.business_unit == unit_value)
        unit_ids = t.filter(keep).select("customer_id").distinct()

    # report month: params, else the last complete month with orders of the orders export (all units: the
    # export's extent, so that a unit whose last invoice falls on the 28th still reports that month), once
    # future-dated orders are set aside
    ot = orders.table
    dated = ot.filter(ot.order_date.notnull())
    daily = dated.group_by("order_date").aggregate(n=dated.count()).order_by("order_date").to_pyarrow().to_pydict()
    if not daily["order_date"]:
        raise DataError(f"{orders.src.label}: no order has a date, so there is no month to report.")
    limit, isolated = future_dated_limit(daily["order_date"], daily["n"], today=run_day)
    kept = [d for d in daily["order_date"] if d <= limit]
    if not kept:
        raise DataError(f"{orders.src.label}: every order is dated after the run date ({_day(run_day)}), the "
                        f"first on {_day(daily['order_date'][0])}; check date_format in params (day and month "
                        "swapped?) and the computer's clock.")
    data_end = kept[-1]
    if cfg.churn.method == "explicit" and cust is not None:
        # a subscription unit's data also reach its latest signup or cancellation (months without invoices
        # still hold churn events); dates after the run date are scheduled, not data
        ct = cust.table
        for col in ("signup_date", "churn_date"):
            if col in cust.present:
                latest = ct.filter(ct[col] <= ibis.literal(limit))[col].max().to_pyarrow().as_py()
                if latest is not None and latest > data_end:
                    data_end = latest
    last_complete = _last_complete_month(data_end)
    n_future = sum(n for d, n in zip(daily["order_date"], daily["n"]) if d > limit)
    if cfg.report_month:
        month = parse_month(cfg.report_month, where="report_month")
        if month > data_end:
            later = (f" ({n_future:,} order{' was' if n_future == 1 else 's were'} dated later and set aside as "
                     "future-dated)" if n_future else "")
            what = (f"the last order is dated {_day(data_end)}" if data_end == kept[-1] else
                    f"the data end on {_day(data_end)} (the last order is dated {_day(kept[-1])})")
            raise DataError(f"{orders.src.label}: the report month {month:%Y-%m} is after the data: {what}"
                            f"{later}, so the last complete month is "
                            f"{last_complete:%Y-%m}. Choose --month {last_complete:%Y-%m} or earlier (or give no "
                            "month to get the last complete one).")
    else:
        upto = [d for d in kept if d <= month_end(last_complete)]
        month = upto[-1].replace(day=1) if upto else last_complete
    end = month_end(month)
    month_warning = (f"The data end on {_day(data_end)}: {month:%B %Y} is only partly covered, so its numbers "
                     "are incomplete." if month <= data_end < end else None)
    future_after = limit if n_future else None

    # classify every row, count, and keep the used ones
    acc_rows = []
    inputs = []
    notes = []
    classified: dict[str, ibis.Table] = {}
    for name in ("customers", "orders", "interactions", "campaigns"):
        if name not in mapped:
            continue
        m = mapped[name]
        if name in ("interactions", "campaigns") and cust is None:
            continue  # linked below, once the customers are derived from orders
        r = _reasons(m, unit_value=unit_value, unit_ids=unit_ids, all_ids=all_ids, month_end=end,
                     future_after=future_after)
        classified[name] = backend.temp_table(con, f"cls_{name}", m.table.select(*m.columns, _reason=r))
    if cust is None:  # customers derived from the unit's orders
        o = classified["orders"]
        used = o.filter(o._reason.startswith("used"))
        derived = used.group_by("customer_id").aggregate(signup_date=used.order_date.min())
        unit_ids = derived.select("customer_id")
        for name in ("interactions", "campaigns"):
            if name in mapped:
                m = mapped[name]
                r = _reasons(m, unit_value=unit_value, unit_ids=unit_ids, all_ids=None, month_end=end)
                classified[name] = backend.temp_table(con, f"cls_{name}", m.table.select(*m.columns, _reason=r))
    # classified: the typed copies are no longer needed (customers' stays for the no-orders message)
    backend.drop_tables(con, *(f"map_{name}" for name in classified if name != "customers"))
    for name, t in classified.items():
        m = mapped[name]
        counts = t.group_by("_reason").aggregate(rows=t.count()).order_by("_reason").to_pandas()
        for reason, n in zip(counts["_reason"], counts["rows"]):
            acc_rows.append({"table": name, "source": m.src.label, "outcome": _outcome(reason),
                             "reason": reason, "rows": int(n)})
        inputs.append({"table": name, "source": m.src.label, "rows": m.src.n_rows})
    fut = classified["orders"].filter(classified["orders"]._reason == "future-dated")
    n_fut_unit = int(fut.count().to_pyarrow().as_py())
    if n_fut_unit:
        ex = fut.order_by("_row").select("_row", "order_date").limit(5).to_pyarrow().to_pydict()
        rule = (f"dated after {limit:%Y-%m-%d}, isolated far beyond the rest of the data (after more than "
                f"{FUTURE_GAP_DAYS} days without orders, under {FUTURE_MAX_SHARE:.0%} of the orders) or after the "
                f"run date {run_day:%Y-%m-%d}" if isolated else f"dated after the run date {run_day:%Y-%m-%d}")
        notes.append({"table": "orders", "note": f"future-dated orders set aside: {rule} (data rows "
                      f"{examples_text(ex['_row'])}: {examples_text(ex['order_date'])})",
                      "rows": n_fut_unit})

    # canonical tables, each created once with the customer key joined in
    used = {name: (t.filter(t._reason.startswith("used")) if name == "orders" else t.filter(t._reason == "used"))
            for name, t in classified.items()}
    keys = customer_keys(con, list(used.values()))
    o = used["orders"]
    agg = {"amount": o.amount.sum(), "n_lines": o.count()}
    for c in ("discount",):
        if c in orders.present:
            agg[c] = o[c].sum()
    if "returned" in orders.present:
        agg["returned"] = o.returned.any()
    for c in ("category", "channel"):  # lines of one order that differ: the first in alphabetical order
        if c in orders.present:        # (deterministic on every engine, unlike "any value")
            agg[c] = o[c].min()
    orders_u = backend.temp_table(con, "orders_u", with_key(o.group_by(["order_id", "customer_id", "order_date"])
                                                            .aggregate(**agg), keys))
    n_used_lines = int(o.count().to_pyarrow().as_py())
    n_orders = int(orders_u.count().to_pyarrow().as_py())
    if "order_id" not in orders.present:
        notes.append({"table": "orders", "note": "no order_id column: each row is one order (its data row number "
                      "is its order id)", "rows": n_orders})
    if not has_amounts:
        notes.append({"table": "orders", "note": "no amount column: every dated order counts as a purchase; money "
                      "figures (revenue, value) are left out", "rows": n_orders})
    if n_used_lines != n_orders:
        notes.append({"table": "orders", "note": f"{n_used_lines:,} used order lines combined into "
                      f"{n_orders:,} orders (same order_id, customer and date)", "rows": n_used_lines - n_orders})
    if cust is not None:
        c = used["customers"]
        cols = ["customer_id", "signup_date"] + [x for x in ("churn_date", "churn_type", "churn_reason",
                                                                 "referred_by") if x in cust.present] + list(cust.attributes)
        c = c.select(*cols)
        if "churn_date" in cust.present:
            future = int(c.filter(c.churn_date > ibis.literal(end)).count().to_pyarrow().as_py())
            if future:
                notes.append({"table": "customers", "note": "churn date after the report month: treated as "
                              "not churned yet", "rows": future})
            after = c.churn_date > ibis.literal(end)
            c = c.mutate(churn_date=ibis.ifelse(after, ibis.null("date"), c.churn_date),
                         **({"churn_type": ibis.ifelse(after, ibis.null("string"), c.churn_type)}
                            if "churn_type" in cust.present else {}))
        customers_u = backend.temp_table(con, "customers_u", with_key(c, keys))
    else:
        o2 = orders_u
        customers_u = backend.temp_table(
            con, "customers_u", o2.group_by("customer_id", "customer_key").aggregate(signup_date=o2.order_date.min()))
    extra = {}
    for name in ("interactions", "campaigns"):
        if name in used:
            t = used[name].drop("_reason", "_row")
            extra[name] = backend.temp_table(con, f"{name}_u", with_key(t, keys))
    backend.drop_tables(con, keys.get_name())
    enforce_schema("orders", orders_u, label=orders.src.label)
    enforce_schema("customers", customers_u, label=cust.src.label if cust else orders.src.label)
    for name, t in extra.items():
        enforce_schema(name, t, label=mapped[name].src.label)
    data_start = orders_u.order_date.min().to_pyarrow().as_py()
    if data_start is None or data_start > end:
        raise DataError(_no_orders_message(cfg, orders, cust, classified["orders"], acc_rows, month))
    notes += [{"table": name, "note": src.read_note, "rows": src.n_rows}  # how each sniffed CSV was read
              for name, src in raws.items() if src.read_note and name in classified]
    quality = DataQuality(
        rows=pd.DataFrame(acc_rows, columns=["table", "source", "outcome", "reason", "rows"]),
        inputs=pd.DataFrame(inputs, columns=["table", "source", "rows"]),
        notes=pd.DataFrame(notes, columns=["table", "note", "rows"]),
    )
    files = tuple(f for src in raws.values() for f in src.files)
    for name in raws:  # free the engine's intermediate copies
        backend.drop_tables(con, *(f"{prefix}{name}" for prefix in ("map_", "cls_", "dup_")))
    return UnitData(config=cfg, con=con, customers=customers_u, orders=orders_u,
                    interactions=extra.get("interactions"), campaigns=extra.get("campaigns"),
                    month=month, month_end=end, data_start=data_start, quality=quality, files=files,
                    kind="orders", has_amounts=has_amounts, month_warning=month_warning)



def _load_snapshot(cfg: UnitConfig, con: Any) -> UnitData:
    """Read and validate a one-row-per-customer table (``sources.snapshot``) as a snapshot unit.

    ``snapshot`` has ``customer_id, tenure_months (float64), churned (bool)`` plus ``churn_type,
    churn_reason, start_date, end_date`` when mapped and the attributes (snake-cased).
    ``tenure_months`` is the ``tenure`` column (months, or days / (365.25 / 12) with ``tenure_unit: days``),
    else the months from ``start_date`` to ``end_date`` (an empty or later end date: still active,
    censored at the end of the report month). ``churned`` is the churn flag when mapped, else "has an
    end date on or before the report month's end".
    """
    spec = cfg.sources.snapshot
    others = [n for n in ("customers", "interactions", "campaigns") if getattr(cfg.sources, n) is not None]
    if others:
        raise ConfigError(f"unit {cfg.unit!r}: a snapshot unit reads only sources.snapshot, but params also set "
                          f"{', '.join('sources.' + n for n in others)}; set them to null in the unit's file "
                          f"(e.g. {others[0]}: null under sources) or move them out of defaults.yaml.")
    with progress.reading_source(cfg, "snapshot", con):
        src = read_source(con, cfg, "snapshot")
    if src.n_rows == 0:
        raise DataError(_no_rows(src))
    problems: list[str] = []
    m = _map_and_type(src, spec, problems)
    if m is not None and cfg.business_unit_value is not None and "business_unit" not in m.present:
        problems.append(_no_unit_column(cfg, [m]))
    if problems:
        raise DataError(_join(cfg, problems))
    t = m.table
    unit_value = cfg.unit_value
    problems += _duplicate_ids(m)
    if "business_unit" in m.present and not int(t.filter(t.business_unit == unit_value).count().to_pyarrow().as_py()):
        problems.append(f"{src.label}: no rows have business_unit = {unit_value!r} (unit {cfg.unit!r}). Values "
                        f"present: {_value_counts_text(t, 'business_unit')}. Set business_unit_value in the unit's "
                        "params file to one of them.")
    if problems:
        raise DataError(_join(cfg, problems))

    dates = [c for c in ("end_date", "start_date") if c in m.present]
    if cfg.report_month:
        month = parse_month(cfg.report_month, where="report_month")
    elif dates:
        last = max((d for d in (t[c].max().to_pyarrow().as_py() for c in dates) if d is not None), default=None)
        if last is None:
            raise DataError(f"{src.label}: no row has a start or end date, so there is no month to report; set "
                            "report_month in the unit's params (the month the snapshot was taken, e.g. '2025-03').")
        month = _last_complete_month(last)
    else:
        raise ConfigError(f"unit {cfg.unit!r}: {src.label} is a snapshot without dates, so the kit cannot tell "
                          "which month it describes; set report_month in the unit's params (the month the "
                          "snapshot was taken, e.g. report_month: '2025-03').")
    end = month_end(month)
    end_lit = ibis.literal(end)

    # tenure in months, churn flag, as of the end of the report month
    ended = (t.end_date.notnull() & (t.end_date <= end_lit)) if "end_date" in m.present else None
    if "tenure" in m.present:
        tenure = t.tenure.cast("float64") / (DAYS_PER_MONTH if spec.tenure_unit == "days" else 1.0)
        missing_tenure = (t.tenure.isnull(), "missing tenure")
    else:
        stop = ibis.ifelse(ended, t.end_date, end_lit) if ended is not None else end_lit
        tenure = stop.delta(t.start_date, unit="day").cast("float64") / DAYS_PER_MONTH
        missing_tenure = (t.start_date.isnull(), "missing start_date")
    churned = t.churned if "churned" in m.present else ended
    cases = []
    if "business_unit" in m.present:
        cases += [(t.business_unit.isnull(), "missing business_unit"),
                  (t.business_unit != unit_value, "other business unit")]
    cases += [(t.customer_id.isnull(), "missing customer_id"), missing_tenure]
    if "start_date" in m.present:
        cases.append((t.start_date > end_lit, "started after report month"))
    cases.append((tenure < 0, "negative tenure"))
    if "churned" in m.present:
        cases.append((t.churned.isnull(), "missing churned"))
    cls = backend.temp_table(con, "cls_snapshot", t.mutate(_reason=ibis.cases(*cases, else_="used"), _tenure=tenure,
                                                           _churned=churned))
    counts = cls.group_by("_reason").aggregate(rows=cls.count()).order_by("_reason").to_pandas()
    acc_rows = [{"table": "snapshot", "source": src.label, "outcome": _outcome(r), "reason": r, "rows": int(n)}
                for r, n in zip(counts["_reason"], counts["rows"])]
    notes = []
    if src.read_note:
        notes.append({"table": "snapshot", "note": src.read_note, "rows": src.n_rows})
    used = cls.filter(cls._reason == "used")
    cols: dict[str, ibis.Value] = {"customer_id": used.customer_id, "tenure_months": used._tenure,
                                   "churned": used._churned}
    for c in ("churn_type", "churn_reason", "start_date", "end_date"):
        if c in m.present:
            cols[c] = used[c]
    if "end_date" in m.present:
        later = used.end_date > end_lit
        n_later = int(used.filter(later).count().to_pyarrow().as_py())
        if n_later:
            notes.append({"table": "snapshot", "note": "end date after the report month: treated as still active "
                          "(censored at the end of the report month)", "rows": n_later})
            cols["end_date"] = ibis.ifelse(later, ibis.null("date"), used.end_date)
    for a in m.attributes:
        if a not in cols:
            cols[a] = used[a]
    snap = backend.temp_table(con, "snapshot_u", used.select(**cols))
    enforce_schema("snapshot", snap, label=src.label)
    n_used = int(snap.count().to_pyarrow().as_py())
    if not n_used:
        raise DataError(f"{src.label}: unit {cfg.unit!r} has no usable rows (see the reasons: "
                        f"{', '.join(f'{r} ({n:,})' for r, n in zip(counts['_reason'], counts['rows']))}).")
    if "start_date" in m.present:
        data_start = snap.start_date.min().to_pyarrow().as_py()
    else:
        longest = float(snap.tenure_months.max().to_pyarrow().as_py() or 0.0)
        data_start = end - dt.timedelta(days=round(longest * DAYS_PER_MONTH))
    quality = DataQuality(
        rows=pd.DataFrame(acc_rows, columns=["table", "source", "outcome", "reason", "rows"]),
        inputs=pd.DataFrame([{"table": "snapshot", "source": src.label, "rows": src.n_rows}],
                            columns=["table", "source", "rows"]),
        notes=pd.DataFrame(notes, columns=["table", "note", "rows"]),
    )
    backend.drop_tables(con, *(f"{prefix}snapshot" for prefix in ("raw_", "_load_", "map_", "cls_")))
    return UnitData(config=cfg, con=con, customers=None, orders=None, interactions=None, campaigns=None,
                    month=month, month_end=end, data_start=data_start, quality=quality, files=src.files,
                    kind="snapshot", snapshot=snap, has_amounts=False, month_warning=None)

