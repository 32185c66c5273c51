"""The contract's data model: the column rules, typing of the mapped exports, the validated unit.

Split from :mod:`retention_utils.contract` (which runs the load, the row accounting and the
report-month rules): :data:`CONTRACT` and :class:`ColumnRule` (what each canonical table must hold),
the typing of one mapped source (:func:`_map_and_type`), :class:`DataQuality` and :class:`UnitData`
(what an analysis receives), the customer keys, and the wording of the contract's hard errors.
Import the public names from :mod:`retention_utils.contract`.

Why this module is long: the typing of a mapped export is one pass over the raw rows whose parts
(the column rules, the typing and whitespace rules, the checks with their examples, the exact-duplicate
search) share the same helpers; split further, each part would import the others.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import ibis
import pandas as pd

from . import backend
from .config import CANONICAL_COLUMNS, Product, SourceSpec, UnitConfig
from .errors import DataError, examples_text
from .sources import RawSource


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
        "referred_by": ColumnRule("id", description="customer_id of the customer who referred this one (empty: none)"),
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


def _strip(x: ibis.Value) -> ibis.Value:
    """``x`` without leading and trailing whitespace.

    The engine's trim with an explicit character set costs four times a check of the first and last
    characters (10M order rows: 5.3 s against 1.2 s for three columns), and exported cells seldom
    have whitespace to strip: trim only those whose first or last character is a space or a control
    character.
    """
    return ibis.ifelse((x.ascii_str() <= 32) | (x.reverse().ascii_str() <= 32), x.strip(), x)


def _blank_to_null(x: ibis.Value) -> ibis.Value:
    return _strip(x.cast("string")).nullif("")


#: spellings of "no value" that exports write into date, number and flag columns; read as empty (and then
#: counted as missing), never as a number: DuckDB would read 'NaN' as a float that poisons every sum
MISSING_TOKENS = ("nan", "na", "n/a", "#n/a", "null", "none", "nat")


def _present(x: ibis.Value) -> ibis.Value:
    """True where a date/number/flag cell holds a value: not blank and not a missing-value token.

    A typed column (Parquet, a database table) holds no text to inspect: a value is present where it
    is not null (and, for floats, not NaN), with no cast of every cell to text.
    """
    dtype = x.type()
    if dtype.is_floating():
        return x.notnull() & ~x.isnan()
    if dtype.is_numeric() or dtype.is_temporal() or dtype.is_boolean():
        return x.notnull()
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
        # ("17850,0" where the export writes numbers with a decimal comma, decimal: ',')
        sep = "," if spec.decimal == "," else "."
        s = _blank_to_null(col)  # the pattern only where the separator can match (a regular expression per cell is slow)
        return ibis.ifelse(s.contains(sep), s.re_replace(rf"^(\d+)\{sep}0+$", r"\1"), s)
    if rule.kind == "text":
        return _blank_to_null(col)
    if rule.kind == "category":
        return _blank_to_null(col).lower()
    if rule.kind == "date":
        if dtype.is_timestamp() or dtype.is_date():
            return col.cast("date")
        s = _blank_to_null(col)
        if spec.date_format.upper() == "ISO":
            return backend.parse_iso_date(s)
        return backend.parse_date(s, spec.date_format)
    if rule.kind == "number":
        if dtype.is_numeric():
            return _finite(col.cast("float64"))
        s = _blank_to_null(col)
        if spec.decimal == ",":
            s = s.replace(".", "").replace(",", ".")
        return _finite(backend.parse_number(s))
    if rule.kind == "flag":
        if dtype.is_boolean():
            return col
        s = _blank_to_null(col).lower()  # one simple CASE on s: the string is trimmed and lowered once
        return s.substitute({**{v: True for v in _TRUE}, **{v: False for v in _FALSE}}, else_=ibis.null("boolean"))
    raise AssertionError(rule.kind)


def _parse_distinct(raw: ibis.Table, value: ibis.Value) -> bool:
    """Parse a text date column's distinct values once, not every row: on the server engines.

    There a date is parsed by regular expressions that the SQL repeats wherever a part of the date is used
    (``backends/portable.py``; about 30 microseconds a value on PostgreSQL), while an export holds a few
    thousand distinct dates over millions of rows. DuckDB parses every row in its own fast parser.
    """
    return value.type().is_string() and backend.engine_name(raw._find_backend()) != "duckdb"


def _parsed_once(raw: ibis.Table, value: ibis.Value, rule: ColumnRule, spec: SourceSpec, name: str,
                 lookups: list) -> ibis.Value:
    """The date of ``value`` looked up in a temporary table of its distinct texts, each parsed once."""
    key = _blank_to_null(value)
    texts = raw.select(v=key).filter(lambda t: t.v.notnull()).distinct()
    parsed = backend.temp_table(raw._find_backend(), name, texts.mutate(d=_typed(texts.v, rule, spec)))
    lookups.append((key, parsed))
    return parsed.d


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
    table: ibis.Table  # _row + canonical columns (typed) + attributes (+ check columns _has_*, _val_*, _h)
    present: tuple[str, ...]
    attributes: tuple[str, ...]
    dup_rows: ibis.Table | None = None  # orders: _row of the exact duplicate rows

    @property
    def columns(self) -> list[str]:
        """The columns the analyses may use: ``_row``, the canonical ones and the attributes."""
        return [c for c in self.table.columns if not c.startswith(("_has_", "_val_")) and c != "_h"]


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
    lookups: list[tuple[ibis.Value, ibis.Table]] = []  # (text of a date column, its distinct values parsed)
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
        if rule.kind == "date" and _parse_distinct(raw, value):
            typed = _parsed_once(raw, value, rule, spec, f"dates_{name}_{len(lookups)}", lookups)
        else:
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
    if name == "orders":  # an exact duplicate repeats every field of the source row: hash them all (see below)
        exprs["_h"] = backend.row_hash(raw, src.columns)
    # one pass over the raw rows: typed columns, plus for each parsed column whether the file had a value
    for i, (canon, _label, rawcol, typedcol) in enumerate(checks):
        exprs[f"_has_{i}"] = _present(rawcol)
        if canon not in exprs or exprs[canon] is not typedcol:  # a factor of a product: keep it to check it
            exprs[f"_val_{i}"] = typedcol
    con = raw._find_backend()
    source = raw
    for key, parsed in lookups:  # each text date column's parsed values, looked up by their text
        source = source.left_join(parsed, key == parsed.v)
    table = backend.temp_table(con, f"map_{name}", source.select(**exprs))
    backend.drop_tables(con, *(p.get_name() for _, p in lookups))
    dup_rows = _exact_duplicates(con, name, raw, table, src.columns) if name == "orders" else None
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
    return _Mapped(name, src, spec, table, tuple(present), tuple(attributes), dup_rows)


def _exact_duplicates(con: Any, name: str, raw: ibis.Table, table: ibis.Table, columns: tuple[str, ...]) -> ibis.Table:
    """Temporary table ``dup_<name>``: the ``_row`` of every row that repeats an earlier row field for field.

    A window over all the columns sorts every row by every field (13 s on 10M order rows); instead
    the rows are grouped by the hash of all their fields (``_h``, computed in the mapping pass) and
    only rows whose hash is shared, the duplicates plus the rare collisions, are compared field by
    field. Same result, a few seconds (``benchmarks/bench_monthly_run.py``).
    """
    shared = table.group_by("_h").aggregate(_n=table.count()).filter(lambda x: x._n > 1).select("_h")
    rows = table.semi_join(shared, "_h").select("_row")
    cand = raw.semi_join(rows, "_row")
    order = ibis.row_number().over(ibis.window(group_by=[cand[c] for c in columns], order_by=cand._row))
    return backend.temp_table(con, f"dup_{name}", cand.select("_row", _k=order).filter(lambda x: x._k > 0)
                              .select("_row"))


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
