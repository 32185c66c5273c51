"""The CRM data contract: mapping, parsing, validation and data-quality accounting.

Why this module is long (about 1,100 lines): it holds the whole contract of one unit in one pass:
the column rules, typing and value mappings, the hard errors, the row accounting, the report-month
rules and the snapshot loader share the mapped tables and their messages, and every error message
a user sees about their data is written here, side by side, so that their wording stays one voice.
Backend-specific calls are in :mod:`retention_utils.backend`; calendar arithmetic in
:mod:`retention_utils.calendar`.

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

Report month (:func:`future_dated_limit`): the default is the last complete month
with orders of the whole export once future-dated orders are set aside; an
explicit month after the data is an error; a partly covered one sets
``UnitData.month_warning``.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import ibis
import pandas as pd

from . import backend
from .config import CANONICAL_COLUMNS, Product, SourceSpec, UnitConfig, parse_month
from .calendar import DAYS_PER_MONTH, month_end  # DAYS_PER_MONTH: a tenure in days or a span of dates becomes months
from .errors import ConfigError, DataError, examples_text
from .sources import RawSource, connect, read_source

__all__ = ["CONTRACT", "ColumnRule", "canonical_schema", "enforce_schema", "DataQuality", "UnitData", "load_unit_data",
           "contract_frame", "future_dated_limit", "run_date"]


@dataclass(frozen=True)
class ColumnRule:
    """Type and rules of one canonical column."""

    kind: str  # id | text | category | date | number | flag
    required: bool = False
    allowed: tuple[str, ...] | None = None
    description: str = ""


CONTRACT: dict[str, dict[str, ColumnRule]] = {
    "customers": {
        "customer_id": ColumnRule("id", True, description="unique customer key"),
        "business_unit": ColumnRule("text", description="unit the customer belongs to"),
        "signup_date": ColumnRule("date", True, description="date the customer was acquired"),
        "churn_date": ColumnRule("date", description="explicit cancellation date (empty while active)"),
        "churn_type": ColumnRule("category", allowed=("voluntary", "involuntary"), description="why the contract ended"),
        "churn_reason": ColumnRule("text", description="free-text or coded churn reason"),
    },
    "orders": {
        "order_id": ColumnRule("id", description="order (invoice) key; lines sharing it are combined; without it each row is an order"),
        "customer_id": ColumnRule("id", True, description="buyer"),
        "order_date": ColumnRule("date", True, description="date of the order"),
        "amount": ColumnRule("number", description="revenue; negative = refund; without it every order is a purchase"),
        "business_unit": ColumnRule("text", description="unit of the order when customers are not given"),
        "category": ColumnRule("text", description="product category"),
        "channel": ColumnRule("text", description="sales channel"),
        "discount": ColumnRule("number", description="discount amount"),
        "returned": ColumnRule("flag", description="order returned (true/false)"),
    },
    "interactions": {
        "customer_id": ColumnRule("id", True, description="customer"),
        "date": ColumnRule("date", True, description="date of the contact"),
        "kind": ColumnRule("category", True, description="support_ticket, complaint, survey, visit ..."),
        "score": ColumnRule("number", description="survey score, e.g. NPS 0-10"),
    },
    "campaigns": {
        "customer_id": ColumnRule("id", True, description="contacted (or held-out) customer"),
        "campaign_id": ColumnRule("text", True, description="campaign key"),
        "sent_date": ColumnRule("date", True, description="date of the contact"),
        "group": ColumnRule("category", True, allowed=("treatment", "control"), description="randomized arm"),
        "cost": ColumnRule("number", description="cost of the contact"),
    },
    # one row per customer (no order history): read through sources.snapshot instead of orders
    "snapshot": {
        "customer_id": ColumnRule("id", True, description="unique customer key"),
        "business_unit": ColumnRule("text", description="unit the customer belongs to"),
        "tenure": ColumnRule("number", description="months (or days, tenure_unit) as a customer; or give start_date"),
        "start_date": ColumnRule("date", description="start of the contract (tenure from the dates when no tenure)"),
        "end_date": ColumnRule("date", description="end of the contract, empty while active"),
        "churned": ColumnRule("flag", description="churned (yes/no, true/false, 1/0); default: end_date given"),
        "churn_type": ColumnRule("category", allowed=("voluntary", "involuntary"), description="why the contract ended"),
        "churn_reason": ColumnRule("text", description="free-text or coded churn reason"),
    },
}
assert all(set(CONTRACT[t]) == set(CANONICAL_COLUMNS[t]) for t in CONTRACT)

DATE_COLUMN = {"customers": "signup_date", "orders": "order_date", "interactions": "date", "campaigns": "sent_date"}
_TRUE = ("true", "t", "1", "yes", "y")
_FALSE = ("false", "f", "0", "no", "n")


def contract_frame() -> pd.DataFrame:
    """The contract as a tidy table: ``table, column, kind, required, allowed, description``."""
    rows = [
        {"table": t, "column": c, "kind": r.kind, "required": r.required,
         "allowed": ", ".join(r.allowed) if r.allowed else "", "description": r.description}
        for t, cols in CONTRACT.items() for c, r in cols.items()
    ]
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class DataQuality:
    """Row accounting of one unit run.

    Attributes
    ----------
    rows : DataFrame
        ``table, source, outcome, reason, rows`` where outcome is ``used``,
        ``excluded`` (legitimately out of scope) or ``dropped`` (a data problem).
        Per table the rows add up to ``inputs``.
    inputs : DataFrame
        ``table, source, rows``: rows read from each source.
    notes : DataFrame
        ``table, note, rows``: adjustments that keep the row (lines combined, ...).
    """

    rows: pd.DataFrame
    inputs: pd.DataFrame
    notes: pd.DataFrame

    def balanced(self) -> bool:
        """True when, for every table, the accounted rows equal the rows read."""
        got = self.rows.groupby("table")["rows"].sum()
        want = self.inputs.set_index("table")["rows"]
        return bool((got.reindex(want.index).fillna(-1) == want).all())

    def summary_frame(self) -> pd.DataFrame:
        """``rows`` with each row's ``share`` of its table's input."""
        out = self.rows.copy()
        totals = self.inputs.set_index("table")["rows"]
        out["share"] = out["rows"] / out["table"].map(totals).where(lambda s: s > 0)
        return out


@dataclass(frozen=True)
class UnitData:
    """Canonical, validated tables of one unit as of the report month.

    ``kind`` is ``"orders"`` (an order history: ``customers`` and ``orders`` are set) or
    ``"snapshot"`` (one row per customer: ``snapshot`` is set, the other tables are None).
    ``has_amounts`` is False when the orders export has no amount column (every dated order is
    a purchase; ``orders.amount`` is NULL). ``month_warning`` is a plain sentence when the report
    month is only partly covered by the data, else None. ``cache`` holds frames analyses derive once
    and reuse (keyed by name; a mutable dict on the frozen record).
    """

    config: UnitConfig
    con: Any
    customers: ibis.Table | None
    orders: ibis.Table | None
    interactions: ibis.Table | None
    campaigns: ibis.Table | None
    month: dt.date
    month_end: dt.date
    data_start: dt.date
    quality: DataQuality
    files: tuple = field(default_factory=tuple)
    kind: str = "orders"
    snapshot: ibis.Table | None = None
    has_amounts: bool = True
    month_warning: str | None = None
    #: derived frames analyses memoize (e.g. ``"monthly_kpis"``); the runner's snapshot carries them to the
    #: notebooks (:mod:`retention_utils.unit`), so a table is computed once per unit
    cache: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def month_label(self) -> str:
        return self.month.strftime("%Y-%m")


# ----------------------------------------------------------------------------- pandera schemas


def canonical_schema(table: str, columns: list[str] | tuple[str, ...]) -> Any:
    """The pandera (Ibis backend) schema of a canonical table, built from :data:`CONTRACT`.

    It is the last gate before any analysis: types, required keys not null,
    allowed values. The row-level checks above it produce the user-facing
    messages; this guard catches anything they would miss.
    """
    import ibis.expr.datatypes as idt
    import pandera.ibis as pa

    kinds = {"id": idt.String(), "text": idt.String(), "category": idt.String(), "date": idt.Date(),
             "number": idt.Float64(), "flag": idt.Boolean()}
    cols = {}
    for col in columns:
        rule = CONTRACT[table].get(col)
        if rule is None:
            continue
        checks = [pa.Check.isin(list(rule.allowed))] if rule.allowed else []
        nullable = not (rule.required or (table, col) == ("orders", "order_id"))
        if table == "interactions" and col == "date":
            nullable = False
        cols[col] = pa.Column(kinds[rule.kind], checks=checks, nullable=nullable)
    if "customer_key" in columns:  # derived at load (customer_keys), never missing
        cols["customer_key"] = pa.Column(idt.Int32(), nullable=False)
    if "tenure_months" in columns:  # snapshot units: derived at load, negative tenures are dropped before
        cols["tenure_months"] = pa.Column(idt.Float64(), checks=[pa.Check.ge(0)], nullable=False)
    if table == "snapshot" and "churned" in columns:
        cols["churned"] = pa.Column(idt.Boolean(), nullable=False)
    return pa.DataFrameSchema(cols, strict=False, name=table)


def enforce_schema(table_name: str, table: ibis.Table, *, label: str) -> None:
    """Validate a canonical table with its pandera schema; raise :class:`DataError` on failure."""
    import pandera.errors

    if int(table.count().to_pyarrow().as_py()) == 0:
        return  # pandera's Ibis backend reports nulls on an empty table; an empty table has nothing to check
    schema = canonical_schema(table_name, table.columns)
    try:
        schema.validate(table, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        found = [item["error"] for group in exc.message.values() for items in group.values() for item in items]
        raise DataError(f"{label}: the {table_name} table breaks the data contract after loading: "
                        f"{'; '.join(found[:5])}. Please report this with the file.") from None


# ----------------------------------------------------------------------------- typing


def _blank_to_null(x: ibis.Value) -> ibis.Value:
    return x.cast("string").strip().nullif("")


#: spellings of "no value" that exports write into date, number and flag columns; read as empty (and then
#: counted as missing), never as a number: DuckDB would read 'NaN' as a float that poisons every sum
MISSING_TOKENS = ("nan", "na", "n/a", "#n/a", "null", "none", "nat")


def _present(x: ibis.Value) -> ibis.Value:
    """True where a date/number/flag cell holds a value: not blank and not a missing-value token."""
    s = _blank_to_null(x)
    return s.notnull() & ~s.lower().isin(MISSING_TOKENS)


def _finite(v: ibis.Value) -> ibis.Value:
    """A float with NaN and infinities made NULL (so that a present 'inf' counts as unparseable)."""
    return ibis.ifelse(v.isnan() | v.isinf(), ibis.null("float64"), v)


def _with_values(col: ibis.Value, rule: ColumnRule, mapping: dict[str, str]) -> ibis.Value:
    """``col`` (trimmed text) with the export's values replaced by canonical ones (params ``values:``).

    Values not in ``mapping`` stay as they are, so the checks after it still report them. Categories
    and flags are matched case-insensitively (they are compared lower-cased anyway).
    """
    s = _blank_to_null(col)
    if rule.kind in ("category", "flag"):
        s = s.lower()
        mapping = {str(k).strip().lower(): str(v).strip().lower() for k, v in mapping.items()}
    else:
        mapping = {str(k).strip(): str(v).strip() for k, v in mapping.items()}
    return s.substitute(mapping, else_=s) if mapping else s


def _typed(col: ibis.Value, rule: ColumnRule, spec: SourceSpec) -> ibis.Value:
    dtype = col.type()
    if rule.kind == "id":
        if dtype.is_floating():
            return ibis.ifelse(col == col.floor(), col.cast("int64").cast("string"), col.cast("string"))
        # an id exported through a float column ("17850.0") keeps its integer spelling
        return _blank_to_null(col).re_replace(r"^(\d+)\.0+$", r"\1")
    if rule.kind == "text":
        return _blank_to_null(col)
    if rule.kind == "category":
        return _blank_to_null(col).lower()
    if rule.kind == "date":
        if dtype.is_timestamp() or dtype.is_date():
            return col.cast("date")
        s = _blank_to_null(col)
        if spec.date_format.upper() == "ISO":
            return s.try_cast("timestamp").cast("date")
        return backend.try_strptime(s, spec.date_format).cast("date")
    if rule.kind == "number":
        if dtype.is_numeric():
            return _finite(col.cast("float64"))
        s = _blank_to_null(col)
        if spec.decimal == ",":
            s = s.replace(".", "").replace(",", ".")
        return _finite(s.try_cast("float64"))
    if rule.kind == "flag":
        if dtype.is_boolean():
            return col
        s = _blank_to_null(col).lower()  # one simple CASE on s: the string is trimmed and lowered once
        return s.substitute({**{v: True for v in _TRUE}, **{v: False for v in _FALSE}}, else_=ibis.null("boolean"))
    raise AssertionError(rule.kind)


def _expected(rule: ColumnRule, spec: SourceSpec) -> str:
    if rule.kind == "date":
        if spec.date_format.upper() == "ISO":
            return ("ISO dates like 2024-01-31 (or 2024-01-31 13:45:00); if the file uses another format set "
                    "date_format in params, e.g. date_format: '%d/%m/%Y'")
        return f"dates in the format {spec.date_format!r} named in params (date_format)"
    if rule.kind == "number":
        return "numbers like 1234.50" + (" (decimal comma)" if spec.decimal == "," else
                                         "; for a decimal comma set decimal: ',' in params")
    if rule.kind == "flag":
        return "true/false, yes/no or 1/0"
    return ""


@dataclass
class _Mapped:
    name: str
    src: RawSource
    spec: SourceSpec
    table: ibis.Table  # _row + canonical columns (typed) + attributes
    present: tuple[str, ...]
    attributes: tuple[str, ...]


def _snake(name: str) -> str:
    """An export's column name as a snake_case attribute name (camelCase words split).

    Examples
    --------
    >>> [_snake(c) for c in ("InternetService", "customerID", "Total Charges", "HTTPServer", "plan", "NPS")]
    ['internet_service', 'customer_id', 'total_charges', 'http_server', 'plan', 'nps']
    """
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", str(name).strip())
    out = "".join(ch.lower() if ch.isalnum() else "_" for ch in text)
    while "__" in out:
        out = out.replace("__", "_")
    return out.strip("_") or "attribute"


def _map_and_type(src: RawSource, spec: SourceSpec, problems: list[str]) -> _Mapped | None:
    name = src.name
    raw = src.table
    rules = CONTRACT[name]
    exprs: dict[str, ibis.Value] = {"_row": raw._row}
    checks: list[tuple[str, str, ibis.Value, ibis.Value]] = []  # canon, source label, raw, typed
    present = []
    missing = []
    for canon, rule in rules.items():
        mapped = spec.columns.get(canon)
        if isinstance(mapped, Product):
            absent = [c for c in mapped.product if c not in src.columns]
            if absent:
                missing.append((canon, " x ".join(mapped.product), absent))
                continue
            parts = [_typed(raw[c], ColumnRule("number"), spec) for c in mapped.product]
            for c, p in zip(mapped.product, parts):
                checks.append((canon, c, raw[c], p))
            exprs[canon] = parts[0] * parts[1]
            present.append(canon)
            continue
        source_col = mapped if mapped is not None else canon
        if source_col not in src.columns:
            if rule.required or mapped is not None:
                missing.append((canon, source_col, [source_col]))
            continue
        value = raw[source_col]
        if spec.values.get(canon):
            value = _with_values(value, rule, spec.values[canon])
        typed = _typed(value, rule, spec)
        exprs[canon] = typed
        present.append(canon)
        if rule.kind in ("date", "number", "flag"):
            checks.append((canon, source_col, raw[source_col], typed))
    attributes = []
    if name in ("customers", "snapshot"):
        wanted = list(spec.attributes)
        if name == "snapshot" and wanted == ["*"]:  # every column not mapped to a canonical one
            used_cols = {c for canon, c in spec.columns.items() if isinstance(c, str)} | set(present)
            used_cols |= {c for v in spec.columns.values() if isinstance(v, Product) for c in v.product}
            wanted = [c for c in src.columns if c not in used_cols]
        for col in wanted:
            if col not in src.columns:
                missing.append((_snake(col), col, [col]))
                continue
            attr = _snake(col)
            exprs[attr] = _blank_to_null(raw[col])
            attributes.append(attr)
    for canon, label, absent in missing:
        close = [c for c in src.columns if _snake(c) == _snake(absent[0])]
        hint = f" Did you mean {close[0]!r}?" if close else ""
        problems.append(
            f"{src.label}: required column {absent[0]!r} (canonical '{canon}') not found.{hint} Columns present: "
            f"{examples_text(src.columns, limit=12)}. Map it in params under sources.{name}.columns, "
            f"e.g. {canon}: <your column name>.")
    if name == "snapshot":  # either a tenure or a start date; either a churn flag or an end date
        for need, alt, what in (("tenure", "start_date", "the time as a customer"),
                                ("churned", "end_date", "whether the customer churned")):
            if need not in present and alt not in present and not any(x[0] in (need, alt) for x in missing):
                problems.append(
                    f"{src.label}: no column {need!r} ({what}) and no {alt!r} found. Columns present: "
                    f"{examples_text(src.columns, limit=12)}. Map one in params under sources.snapshot.columns, "
                    f"e.g. {need}: <your column name> (or {alt}: <your column name>).")
                missing.append((need, need, [need]))
    if missing:
        return None
    if name == "orders" and "amount" not in present:  # no amounts: every dated order is a purchase
        exprs["amount"] = ibis.null("float64")
    if name == "orders" and "order_id" not in present:  # an event log: each row is one order
        exprs["order_id"] = raw._row.cast("string")
    if name == "orders":  # an exact duplicate repeats every field of the source row, not just the mapped ones
        everything = [raw[c] for c in src.columns]
        exprs["_dup"] = ibis.row_number().over(ibis.window(group_by=everything, order_by=raw._row)) > 0
    # one pass over the raw rows: typed columns, plus for each parsed column whether the file had a value
    for i, (canon, _label, rawcol, typedcol) in enumerate(checks):
        exprs[f"_has_{i}"] = _present(rawcol)
        if canon not in exprs or exprs[canon] is not typedcol:  # a factor of a product: keep it to check it
            exprs[f"_val_{i}"] = typedcol
    con = raw._find_backend()
    table = backend.temp_table(con, f"map_{name}", raw.select(**exprs))
    # unparseable values: present in the file, empty after parsing
    if checks:
        def typed_of(i: int, canon: str) -> ibis.Value:
            return table[f"_val_{i}"] if f"_val_{i}" in table.columns else table[canon]

        flags = {f"bad_{i}": (table[f"_has_{i}"] & typed_of(i, canon).isnull()).cast("int64").sum()
                 for i, (canon, _, _, _) in enumerate(checks)}
        flags.update({f"has_{i}": table[f"_has_{i}"].cast("int64").sum() for i in range(len(checks))})
        counts = table.aggregate(**flags).to_pandas().iloc[0]
        for i, (canon, label, rawcol, typedcol) in enumerate(checks):
            if src.n_rows and not int(counts[f"has_{i}"] or 0) and canon in _NEVER_ALL_EMPTY.get(name, {}):
                problems.append(f"{src.label}: column {label!r} is empty on all {src.n_rows:,} rows; "
                                f"{_NEVER_ALL_EMPTY[name][canon]}")
                continue
            n_bad = int(counts[f"bad_{i}"] or 0)
            if not n_bad:
                continue
            bad = table.filter(table[f"_has_{i}"] & typed_of(i, canon).isnull())
            rows = bad.order_by(bad._row).select("_row").limit(5).to_pandas()._row.tolist()
            ex = raw.filter(raw._row.isin(rows)).order_by(raw._row).select(raw._row, v=rawcol.cast("string")).to_pandas()
            rule = CONTRACT[name].get(canon, ColumnRule("number"))
            if canon != label and isinstance(spec.columns.get(canon), Product):
                rule = ColumnRule("number")
            kind = {"date": "dates", "number": "numbers", "flag": "true/false values"}[rule.kind]
            problems.append(
                f"{src.label}: column {label!r} has {n_bad:,} unparseable {kind} (data rows "
                f"{examples_text(ex._row.tolist())}: {examples_text(ex.v.tolist())}); expected {_expected(rule, spec)}.")
    # allowed values
    for canon, rule in rules.items():
        if rule.allowed and canon in present:
            col = table[canon]
            bad = table.filter(col.notnull() & ~col.isin(rule.allowed))
            n_bad = int(bad.count().to_pyarrow().as_py())
            if n_bad:
                ex = bad.order_by(bad._row).select("_row", canon).limit(5).to_pandas()
                problems.append(
                    f"{src.label}: column {(spec.columns.get(canon) or canon)!r} has {n_bad:,} values outside "
                    f"{{{', '.join(rule.allowed)}}} (data rows {examples_text(ex._row.tolist())}: "
                    f"{examples_text(ex[canon].tolist())}); recode them in the export, map them to allowed "
                    f"values under sources.{name}.values.{canon} in params (e.g. {ex[canon].iloc[0]}: "
                    f"<{' or '.join(rule.allowed)}>), or map the column to the right field.")
    return _Mapped(name, src, spec, table, tuple(present), tuple(attributes))


# ----------------------------------------------------------------------------- rules

#: columns that, when present, must have a value on some row: an all-empty one is named as such
_NEVER_ALL_EMPTY = {
    "orders": {
        "amount": ("the kit needs the order value there: fill it in the export, or map "
                   "sources.orders.columns.amount to the column that holds it (an export without any amounts "
                   "needs no amount column: leave it out and every dated order counts as a purchase, without "
                   "money figures)."),
        "order_date": ("every order needs a date: fill it in the export, or map sources.orders.columns.order_date "
                       "to the column that holds it."),
    },
    "snapshot": {
        "tenure": ("every customer needs a tenure: fill it in the export, or map sources.snapshot.columns.tenure "
                   "to the right column (or map start_date and end_date instead)."),
    },
}


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
    if m.name != "customers":
        if all_ids is not None:
            cases.append((~t.customer_id.isin(all_ids.customer_id), "unknown customer"))
        if unit_ids is not None and not has_bu:
            cases.append((~t.customer_id.isin(unit_ids.customer_id), "other business unit"))
        elif unit_ids is not None:
            cases.append((~t.customer_id.isin(unit_ids.customer_id), "unknown customer"))
        cases.append((t[date_col].isnull(), f"missing {date_col}"))
    if m.name == "orders":
        cases.append((t._dup, "exact duplicate row"))
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
        An Ibis DuckDB backend to use; a new in-process one by default.
    today
        The run date (orders dated later are future-dated); the clock's today by default.

    Returns
    -------
    UnitData
        Canonical tables (Ibis, in the engine) with the report month and the
        data-quality accounting. ``customers`` has ``customer_id, signup_date``
        (+ ``churn_date, churn_type, churn_reason`` and attributes when given);
        ``orders`` has one row per order: ``order_id, customer_id, order_date,
        amount, n_lines`` (+ optional columns; ``amount`` is NULL when the export has
        none, ``has_amounts`` False). Every table also has ``customer_key``,
        the integer key of the customer (:func:`customer_keys`). A snapshot unit
        (``sources.snapshot``) has ``kind == "snapshot"`` and only ``snapshot``
        (:func:`_load_snapshot`).

    Raises
    ------
    DataError
        Every hard contract violation found, in one message.
    """
    con = con if con is not None else connect(cfg.engine)
    run_day = today or run_date()
    if cfg.sources.snapshot is not None:
        return _load_snapshot(cfg, con)
    problems: list[str] = []
    raws: dict[str, RawSource] = {}
    for name in ("customers", "orders", "interactions", "campaigns"):
        if getattr(cfg.sources, name) is not None:
            raws[name] = read_source(con, cfg, name)
            if raws[name].n_rows == 0 and name in ("customers", "orders"):
                raise DataError(_no_rows(raws[name]))
    mapped: dict[str, _Mapped] = {}
    for name, src in raws.items():
        m = _map_and_type(src, getattr(cfg.sources, name), problems)
        if m is not None:
            mapped[name] = m
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
        classified[name] = backend.temp_table(con, f"cls_{name}", m.table.mutate(_reason=r))
    if cust is None:  # customers derived from the unit's orders
        o = classified["orders"]
        used = o.filter(o._reason.startswith("used"))
        derived = used.group_by("customer_id").aggregate(signup_date=used.order_date.min())
        unit_ids = derived.select("customer_id")
        for name in ("interactions", "campaigns"):
            if name in mapped:
                m = mapped[name]
                r = _reasons(m, unit_value=unit_value, unit_ids=unit_ids, all_ids=None, month_end=end)
                classified[name] = backend.temp_table(con, f"cls_{name}", m.table.mutate(_reason=r))
    for name, t in classified.items():
        m = mapped[name]
        counts = t.group_by("_reason").aggregate(rows=t.count()).to_pandas()
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
    for c in ("category", "channel"):
        if c in orders.present:
            agg[c] = o[c].arbitrary()
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
        cols = ["customer_id", "signup_date"] + [x for x in ("churn_date", "churn_type", "churn_reason")
                                                  if x in cust.present] + list(cust.attributes)
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
        backend.drop_tables(con, *(f"{prefix}{name}" for prefix in ("raw_", "map_", "cls_")))
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
    counts = cls.group_by("_reason").aggregate(rows=cls.count()).to_pandas()
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
    backend.drop_tables(con, *(f"{prefix}snapshot" for prefix in ("raw_", "map_", "cls_")))
    return UnitData(config=cfg, con=con, customers=None, orders=None, interactions=None, campaigns=None,
                    month=month, month_end=end, data_start=data_start, quality=quality, files=src.files,
                    kind="snapshot", snapshot=snap, has_amounts=False, month_warning=None)


def _no_rows(src: RawSource) -> str:
    return (f"{src.label}: has column names but no data rows ({examples_text(src.columns, limit=8)}); export the "
            f"{src.name} table with its rows, or point sources.{src.name}.path at the right file.")


def _no_unit_column(cfg: UnitConfig, holders: list[_Mapped]) -> str:
    first = holders[0]
    files = " and ".join(m.src.label for m in holders)
    verb = "have" if len(holders) > 1 else "has"
    return (f"{first.src.label}: business_unit_value is {cfg.business_unit_value!r} in the params of unit "
            f"{cfg.unit!r}, but {files} {verb} no business-unit column to select it with. Columns present: "
            f"{examples_text(first.src.columns, limit=12)}. Map the column that names the unit under "
            f"sources.{first.name}.columns.business_unit (e.g. business_unit: Country), or remove "
            "business_unit_value if the export holds this unit only.")


def _duplicate_ids(m: _Mapped) -> list[str]:
    """The hard error for a one-row-per-customer table (customers, snapshot) that repeats customer ids."""
    t = m.table
    nn = t.filter(t.customer_id.notnull())
    dup = nn.group_by("customer_id").aggregate(n=nn.count(), first_rows=nn._row.collect()).filter(lambda x: x.n > 1)
    n_dup = int(dup.count().to_pyarrow().as_py())
    if not n_dup:
        return []
    ex = dup.order_by("customer_id").limit(5).to_pandas()
    shown = "; ".join(f"{cid!r} on rows {examples_text(sorted(rows), limit=3)}"
                      for cid, rows in zip(ex.customer_id, ex.first_rows))
    return [f"{m.src.label}: column {(m.spec.columns.get('customer_id') or 'customer_id')!r} has {n_dup:,} duplicate "
            f"customer ids ({shown}); each customer must appear once: deduplicate the export or map the right key "
            "column."]


def _no_orders_message(cfg: UnitConfig, orders: _Mapped, cust: _Mapped | None, classified: ibis.Table,
                       acc_rows: list[dict[str, Any]], month: dt.date) -> str:
    """Why a unit has no usable order, from the row accounting: the largest reason, with examples."""
    counts = {r["reason"]: r["rows"] for r in acc_rows if r["table"] == "orders"}
    total = sum(counts.values())
    head = f"{orders.src.label}: unit {cfg.unit!r} has no usable orders on or before the report month {month:%Y-%m}"
    unknown = counts.get("unknown customer", 0)
    if cust is not None and unknown and unknown >= max(counts.values()):
        ex_o = classified.filter(classified._reason == "unknown customer").select("customer_id").distinct() \
            .order_by("customer_id").limit(5).to_pandas().customer_id.tolist()
        ex_c = cust.table.filter(cust.table.customer_id.notnull()).select("customer_id").distinct() \
            .order_by("customer_id").limit(5).to_pandas().customer_id.tolist()
        return (f"{head}: {unknown:,} of its {total:,} order rows name a customer id that is not in "
                f"{cust.src.label} (orders: {examples_text(ex_o)}; customers: {examples_text(ex_c)}). Check that "
                "both files use the same customer key, with the same spelling (leading zeros, prefixes), or map "
                "the right columns under sources.<table>.columns.customer_id.")
    shown = ", ".join(f"{reason} {n:,}" for reason, n in sorted(counts.items(), key=lambda kv: -kv[1])[:5])
    return (f"{head} (order rows by reason: {shown}); choose a later --month or check the unit's rows "
            "(retention validate prints the full accounting).")


def customer_keys(con: Any, tables: list[ibis.Table], *, name: str = "_customer_keys") -> ibis.Table:
    """A temporary engine table numbering the distinct ``customer_id`` values of ``tables``.

    ``customer_id, customer_key``: keys 1, 2, ... in id order (int32), so that a customer has the
    same key in every table of the unit. The engine groups and joins customers by the key
    (:func:`retention_utils.engine.customer_key`): hashing a 4-byte integer instead of a text id
    makes customer-level reductions about twice as fast (``benchmarks/bench_cohorts.py``).

    Examples
    --------
    >>> con = backend.connect()
    >>> a = con.create_table("a", pd.DataFrame({"customer_id": ["z", "b"]}))
    >>> b = con.create_table("b", pd.DataFrame({"customer_id": ["b", "b", "q"], "x": [1, 2, 3]}))
    >>> keys = customer_keys(con, [a, b])
    >>> with_key(a, keys).order_by("customer_id").to_pandas().to_dict("list")
    {'customer_id': ['b', 'z'], 'customer_key': [1, 3]}
    >>> with_key(b, keys).order_by("x").to_pandas()["customer_key"].tolist()
    [1, 1, 2]
    >>> with_key(b, customer_keys(con, [b])).order_by("x").to_pandas()["customer_key"].tolist()
    [1, 1, 2]
    """
    ids = tables[0].select("customer_id")
    for t in tables[1:]:
        ids = ids.union(t.select("customer_id"))
    ids = ids.distinct().filter(lambda t: t.customer_id.notnull())  # one distinct over all the tables
    return backend.temp_table(con, name, ids.mutate(
        customer_key=(ibis.row_number().over(order_by=ids.customer_id) + 1).cast("int32")))


def with_key(table: ibis.Table, keys: ibis.Table) -> ibis.Table:
    """``table`` with the ``customer_key`` of its ``customer_id`` (from :func:`customer_keys`) as the last column."""
    return table.left_join(keys, "customer_id").drop("customer_id_right")


def _join(cfg: UnitConfig, problems: list[str]) -> str:
    head = f"unit {cfg.unit!r}: the input breaks the data contract ({len(problems)} problem" + \
           ("s" if len(problems) > 1 else "") + "); nothing was analysed:"
    return head + "\n" + "\n".join(f"  - {p}" for p in problems)
