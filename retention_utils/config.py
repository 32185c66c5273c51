"""Typed, validated parameters of a business unit.

A params folder holds ``defaults.yaml`` plus one ``<unit>.yaml`` per business
unit. A unit's settings are the defaults deep-merged with its own file; the
result is validated by :class:`UnitConfig` (pydantic), with unknown keys
rejected and every error naming the file and the key.

Relative source paths are resolved against the params folder. Database
credentials never appear in params: a database source names the environment
variable that holds its connection URL (``url_env``), and so does a PostgreSQL engine (``engine.url_env``).

Why this module is long: it is the one schema of ``params/`` (every section of every analysis, the
sources and the engine), so that a reader finds every key, its default and its check in one file;
``docs/params.md`` documents the same keys in the same order.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ConfigError

__all__ = [
    "SourceSpec",
    "Sources",
    "ChurnSpec",
    "Thresholds",
    "CohortSpec",
    "SurvivalSpec",
    "DriversSpec",
    "ValueSpec",
    "CampaignSpec",
    "ExperimentSpec",
    "UnitConfig",
    "list_units",
    "load_config",
    "parse_month",
    "NOTEBOOKS",
]

#: Notebooks of the monthly run, in report order.
NOTEBOOKS: tuple[str, ...] = ("kpi_overview", "cohort_retention", "survival", "churn_drivers", "customer_value",
                              "campaign_effect")

UNIT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

#: Canonical columns a source may map, per table (see docs/data-contract.md).
CANONICAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": (
        "customer_id", "business_unit", "signup_date", "churn_date", "churn_type", "churn_reason", "referred_by",
    ),
    "orders": (
        "order_id", "customer_id", "order_date", "amount", "business_unit",
        "category", "channel", "discount", "returned",
    ),
    "interactions": ("customer_id", "date", "kind", "score"),
    "campaigns": ("customer_id", "campaign_id", "sent_date", "group", "cost"),
    # one row per customer, no order history (e.g. the IBM telco sample): tenure or start/end dates, a
    # churn flag; read through ``sources.snapshot`` instead of ``orders`` (survival and drivers reports)
    "snapshot": (
        "customer_id", "business_unit", "tenure", "start_date", "end_date", "churned", "churn_type",
        "churn_reason",
    ),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Product(_Strict):
    """A derived numeric column: the product of two source columns (e.g. quantity x price)."""

    product: tuple[str, str]


class SourceSpec(_Strict):
    """Where one input table lives and how to read it.

    ``columns`` maps canonical names (left) to the export's own column names
    (right); a numeric column may instead be ``{product: [Quantity, UnitPrice]}``.
    ``attributes`` lists further customer columns to keep (kept under their own
    names, snake-cased).
    """

    path: str | None = None
    format: Literal["csv", "parquet", "excel", "duckdb", "database", "table"] | None = None
    table: str | None = None
    sheet: str | int | None = None
    url_env: str | None = None
    delimiter: str | None = None
    encoding: str = "utf-8"
    decimal: Literal[".", ","] = "."
    date_format: str = "ISO"
    columns: dict[str, str | Product] = Field(default_factory=dict)
    # canonical column -> {value in the export: canonical value}, applied before validation, e.g.
    # churn_type: {customer_request: voluntary, payment_failed: involuntary}
    values: dict[str, dict[str, str]] = Field(default_factory=dict)
    attributes: list[str] = Field(default_factory=list)
    tenure_unit: Literal["months", "days"] = "months"  # snapshot sources: unit of the 'tenure' column

    @model_validator(mode="after")
    def _where(self) -> "SourceSpec":
        if self.format == "table":
            if not self.table:
                raise ValueError("a table source needs 'table' (schema.table in the engine's own database)")
        elif self.format == "database":
            if not self.url_env or not self.table:
                raise ValueError("a database source needs 'url_env' (the name of an environment variable "
                                 "holding the connection URL) and 'table'")
        elif not self.path:
            raise ValueError("a file source needs 'path' (a file or a glob, relative to the params folder)")
        if self.format == "duckdb" and not self.table:
            raise ValueError("a DuckDB source needs 'table'")
        if self.url_env and not re.fullmatch(r"[A-Z_][A-Z0-9_]*", self.url_env):
            raise ValueError("'url_env' is the NAME of an environment variable (e.g. RETENTION_DB_URL), "
                             "never the URL or a password itself")
        return self

    def resolved_format(self) -> str:
        """The source format, inferred from the path's extension when not given."""
        if self.format:
            return self.format
        suffix = Path(str(self.path)).suffix.lower()
        by_suffix = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet",
                     ".xlsx": "excel", ".xls": "excel", ".duckdb": "duckdb", ".db": "duckdb"}
        if suffix not in by_suffix:
            raise ConfigError(f"source {self.path!r}: cannot tell the format from the extension {suffix!r}; "
                              "set 'format' to one of csv, parquet, excel, duckdb, database.")
        return by_suffix[suffix]


class Sources(_Strict):
    """The unit's input tables: ``orders`` (an order history), or ``snapshot`` (one row per customer)."""

    orders: SourceSpec | None = None
    customers: SourceSpec | None = None
    interactions: SourceSpec | None = None
    campaigns: SourceSpec | None = None
    snapshot: SourceSpec | None = None

    @model_validator(mode="after")
    def _columns(self) -> "Sources":
        if self.orders is None and self.snapshot is None:
            raise ValueError("sources need 'orders' (an order history) or 'snapshot' (one row per customer "
                             "with tenure and a churn flag)")
        if self.orders is not None and self.snapshot is not None:
            raise ValueError("give either 'orders' or 'snapshot', not both: a snapshot unit has no order "
                             "history (write 'orders: null' in the unit's file to drop the defaults' orders)")
        for name in ("orders", "customers", "interactions", "campaigns", "snapshot"):
            spec = getattr(self, name)
            if spec is None:
                continue
            for key, what in (("columns", spec.columns), ("values", spec.values)):
                unknown = sorted(set(what) - set(CANONICAL_COLUMNS[name]))
                if unknown:
                    raise ValueError(f"sources.{name}.{key}: unknown canonical column(s) {unknown}; "
                                     f"allowed: {list(CANONICAL_COLUMNS[name])}")
        return self


class ChurnSpec(_Strict):
    """How a customer is declared churned.

    ``inactivity``: a customer with no purchase for more than ``inactivity_days``
    is churned (as of the day the window elapses). ``explicit``: the
    customers table's ``churn_date`` is the churn. ``dormant_days``: no purchase
    for longer than this (but not churned) counts as dormant.
    """

    method: Literal["inactivity", "explicit"] = "inactivity"
    inactivity_days: int = Field(90, ge=31, le=3650)
    dormant_days: int = Field(45, ge=1, le=3650)

    @model_validator(mode="after")
    def _order(self) -> "ChurnSpec":
        if self.method == "inactivity" and self.dormant_days >= self.inactivity_days:
            raise ValueError(f"churn.dormant_days ({self.dormant_days}) must be smaller than "
                             f"churn.inactivity_days ({self.inactivity_days})")
        return self


class Thresholds(_Strict):
    """Sample-size limits below which a number is flagged instead of plotted."""

    min_customers: int = Field(30, ge=1)


#: Headline KPIs a target may be set for, and whether higher is better (the keys of ``kpis.KPI_LABELS``;
#: a test keeps the two in step; config cannot import kpis, which imports the data contract).
TARGET_KPIS: dict[str, bool] = {"n_active": True, "n_new": True, "churn_rate": False, "net_revenue": True,
                                "aov": True, "revenue_per_active": True, "repurchase_rate": True}


class Target(_Strict):
    """A traffic light of a headline KPI on the unit summary: green at ``good`` or better, red at ``bad`` or worse.

    Rates are fractions (``churn_rate: {good: 0.05, bad: 0.08}`` = green up to 5%, red from 8%), amounts in the
    unit's currency, counts in customers.
    """

    good: float
    bad: float


class CohortSpec(_Strict):
    """Settings of the cohort report (notebook ``cohort_retention``); None = the unit's natural choice."""

    by: Literal["first_purchase", "signup"] | None = None  # default: signup (explicit churn), else first purchase
    period: Literal["month", "quarter", "week"] = "month"
    definition: Literal["period", "unbounded", "subscribed"] | None = None  # default: subscribed / period
    split_by: str | None = None  # customer attribute for retention curves by group
    n_recent: int = Field(3, ge=1, le=24)  # latest cohorts compared with the trailing ones
    n_trailing: int = Field(12, ge=1, le=60)
    max_periods: int = Field(24, ge=1, le=120)


class SurvivalSpec(_Strict):
    """Settings of the survival analysis (notebook ``survival``)."""

    group_by: str | None = None  # customer attribute for Kaplan-Meier curves and log-rank tests
    covariates: list[str] = Field(default_factory=list)  # Cox covariates: attributes or derived features
    horizon_months: int = Field(24, ge=1, le=240)  # restricted mean survival time horizon
    early_days: int = Field(90, ge=1, le=3650)  # window after the start of life for early complaints / NPS
    # categorical covariate -> its reference level in Cox (default: the most frequent level)
    reference_levels: dict[str, str] = Field(default_factory=dict)


class Tiers(_Strict):
    """Churn-probability thresholds of the risk tiers (high >= high, medium >= medium)."""

    high: float = Field(0.5, gt=0, lt=1)
    medium: float = Field(0.2, gt=0, lt=1)

    @model_validator(mode="after")
    def _order(self) -> "Tiers":
        if self.medium >= self.high:
            raise ValueError(f"drivers.tiers.medium ({self.medium}) must be below drivers.tiers.high ({self.high})")
        return self


class DriversSpec(_Strict):
    """Settings of the churn model and early warning (notebook ``churn_drivers``)."""

    horizon_days: int = Field(90, ge=7, le=730)  # label: churned within this many days after the cut-off
    n_cutoffs: int = Field(6, ge=1, le=36)  # monthly training cut-offs before the evaluation cut-off
    attributes: list[str] = Field(default_factory=list)  # categorical customer attributes used as features
    tiers: Tiers = Field(default_factory=Tiers)
    top_n: int = Field(25, ge=1, le=1000)  # rows of the at-risk list shown in the HTML
    # categorical driver -> its reference level (default: the most frequent level)
    reference_levels: dict[str, str] = Field(default_factory=dict)
    exclude: list[str] = Field(default_factory=list)  # features never used by the churn model


class RfmSegment(_Strict):
    """One named RFM segment: the score ranges (inclusive) a customer must fall in; the first match wins."""

    name: str = Field(min_length=1, max_length=40)
    r: tuple[int, int] = (1, 5)  # recency score range
    fm: tuple[int, int] = (1, 5)  # frequency-monetary score range (the rounded mean of F and M)


class RfmSpec(_Strict):
    """RFM scores and segments (see :mod:`retention_utils.segments`)."""

    bins: int = Field(5, ge=2, le=10)  # score levels (5 = quintile scores 1..5)
    segments: list[RfmSegment] | None = None  # None = the documented default map (segments.DEFAULT_SEGMENTS)
    churn_window_months: int = Field(3, ge=1, le=12)  # segment churn rate: churned within this many months


class LifecycleSpec(_Strict):
    """Lifecycle stages (see :mod:`retention_utils.engine.value`)."""

    months: int = Field(12, ge=1, le=36)  # months of stage counts shown
    trend_days: int = Field(90, ge=14, le=365)  # spend of the last trend_days vs the trend_days before
    decline_ratio: float = Field(0.5, gt=0, lt=1)  # declining: recent spend below this share of the spend before
    mature_days: int = Field(365, ge=30, le=3650)  # growing until this many days after acquisition, then mature


class ScreenWeights(_Strict):
    """Weights of the high-quality customer screen's criteria (any non-negative numbers; normalised)."""

    value: float = Field(0.4, ge=0)
    behaviour: float = Field(0.2, ge=0)
    satisfaction: float = Field(0.15, ge=0)
    loyalty: float = Field(0.15, ge=0)
    referrals: float = Field(0.1, ge=0)


class ValueSpec(_Strict):
    """Settings of the customer-value report (notebook ``customer_value``)."""

    margin: float = Field(0.3, gt=0, le=1)  # share of revenue kept as margin (CLV is margin, not revenue)
    horizon_months: int = Field(12, ge=1, le=120)  # CLV horizon
    monthly_discount_rate: float = Field(0.01, ge=0, lt=1)  # discount rate per month of future value
    holdout_months: int = Field(6, ge=1, le=24)  # months held out to check the CLV model
    holdout_max_error: float = Field(0.2, gt=0, lt=1)  # |aggregate holdout error| above this: the model does not fit
    high_value_share: float = Field(0.2, gt=0, lt=1)  # top share of customers by CLV called "high value"
    top_n: int = Field(25, ge=1, le=1000)  # rows of the lists shown in the HTML
    rfm: RfmSpec = Field(default_factory=RfmSpec)
    lifecycle: LifecycleSpec = Field(default_factory=LifecycleSpec)
    screen_weights: ScreenWeights = Field(default_factory=ScreenWeights)
    screen_share: float = Field(0.1, gt=0, lt=1)  # share of customers the quality screen lists
    persona_k: tuple[int, int] = (2, 6)  # range of persona counts tried (chosen by silhouette)
    crosssell_min_customers: int = Field(30, ge=1)  # a rule needs at least this many customers buying both
    crosssell_min_lift: float = Field(1.2, ge=1)


class ExperimentSpec(_Strict):
    """An experiment exported as one row per customer (an A/B or holdout result), read as a source of its own.

    ``outcomes`` maps each outcome column to its kind: ``proportion`` (0/1, yes/no) or ``mean`` (a number,
    e.g. spend); ``covariates`` are pre-period columns for the balance check (numeric, or categorical
    one-hot encoded) and CUPED (the first numeric one).
    """

    name: str = Field("Experiment", min_length=1, max_length=80)  # how the report names it
    source: SourceSpec
    group_column: str
    control_label: str
    treatment_labels: list[str] = Field(default_factory=list)  # empty: every other label
    outcomes: dict[str, Literal["proportion", "mean"]]
    covariates: list[str] = Field(default_factory=list)
    treatment_share: float | None = Field(None, gt=0, lt=1)  # intended share of each treatment arm
    customer_column: str | None = None  # duplicates of this key are reported

    @field_validator("outcomes")
    @classmethod
    def _outcomes(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError("name at least one outcome column and its kind, e.g. {conversion: proportion}")
        return value


class CampaignSpec(_Strict):
    """The ``campaigns`` params section: campaign effects against control groups, uplift targeting, win-back.

    ``treatment_share`` maps campaign ids or shell-style patterns (``RET-*``) to the intended share of
    treatment in the randomisation; campaigns matching none are not tested for a sample-ratio mismatch
    (the report says so). ``budget_contacts`` (or ``budget`` in the currency, divided by the cost of a
    treatment contact) sets next month's contact list; None: the mean treatment group of the past
    randomised retention campaigns.
    """

    windows: list[int] = Field(default_factory=lambda: [30, 60, 90])  # days after sending
    pre_days: int = Field(90, ge=7, le=730)  # pre-period of the balance check and CUPED
    treatment_share: dict[str, float] = Field(default_factory=dict)
    srm_alpha: float = Field(0.001, gt=0, lt=0.5)  # sample-ratio mismatch flagged below this p-value
    balance_threshold: float = Field(0.1, gt=0, le=1)  # |standardised mean difference| flagged above this
    min_group: int = Field(30, ge=2)  # smallest treatment or control group with an effect estimate
    segment_by: list[str] = Field(default_factory=list)  # customer attributes for effects per segment
    budget_contacts: int | None = Field(None, ge=1)
    budget: float | None = Field(None, gt=0)
    holdout_campaigns: int = Field(3, ge=1, le=24)  # latest complete randomised campaigns validating uplift
    top_n: int = Field(25, ge=1, le=1000)  # rows of the recommended list shown in the HTML
    experiment: ExperimentSpec | None = None

    @field_validator("windows")
    @classmethod
    def _windows(cls, value: list[int]) -> list[int]:
        if not value or any(int(w) < 1 or int(w) > 730 for w in value):
            raise ValueError(f"windows must be 1 to 730 days after sending, e.g. [30, 60, 90]; got {value}")
        return sorted({int(w) for w in value})

    @field_validator("treatment_share")
    @classmethod
    def _shares(cls, value: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in value.items() if not 0 < float(v) < 1}
        if bad:
            raise ValueError(f"treatment_share values are shares between 0 and 1 (0.8 = 80% treatment); got {bad}")
        return value

    def intended_share(self, campaign_id: str) -> float | None:
        """The intended treatment share of a campaign: an exact key first, then the first matching pattern."""
        import fnmatch

        if campaign_id in self.treatment_share:
            return float(self.treatment_share[campaign_id])
        for pattern, share in self.treatment_share.items():
            if fnmatch.fnmatchcase(campaign_id, pattern):
                return float(share)
        return None


MEMORY_RE = re.compile(r"^\s*(\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)|\d{1,2}\s*%)\s*$", re.IGNORECASE)


class EngineSpec(_Strict):
    """Settings of the engine of a unit run: the in-process DuckDB (default), PostgreSQL or Spark.

    ``memory_limit`` caps the engine's memory (e.g. ``2GB`` or ``25%`` of the machine's RAM;
    None = DuckDB's default, 80% of RAM). Work that does not fit spills to ``temp_directory``
    (None = a fresh folder in the system's temporary directory, removed when the run ends).
    When several units run in parallel (``retention run --jobs N``) each unit without a limit
    gets 80%/N.
    """

    backend: Literal["duckdb", "postgres", "spark"] = "duckdb"
    memory_limit: str | None = None
    threads: int | None = Field(None, ge=1, le=256)  # None = all cores
    temp_directory: str | None = None
    # postgres: the URL comes from this environment variable (never from params), the run's shared tables
    # go to this schema, and every statement is cancelled after statement_timeout seconds (0 = never)
    url_env: str | None = None
    work_schema: str = "retention_work"
    statement_timeout: int = Field(0, ge=0)
    work_mem: str | None = None
    # spark: the master URL and any spark.* settings (no credentials here: the cluster's own config has them)
    spark_master: str = "local[2]"
    spark_config: dict[str, str] = Field(default_factory=dict)
    # spark on a cluster: storage every executor and the notebooks reach (hdfs://..., s3a://...) for the run's
    # validated tables; None = the run's staging folder, right for local[N]
    work_dir: str | None = None

    @model_validator(mode="after")
    def _cluster_work_dir(self) -> "EngineSpec":
        if self.backend == "spark" and not self.spark_master.startswith("local") and not self.work_dir:
            raise ValueError(f"spark_master {self.spark_master!r} is a cluster: set engine.work_dir to storage every "
                             "executor and the notebooks reach (e.g. hdfs:///tmp/retention or s3a://bucket/work); the "
                             "run's validated tables are written there")
        return self

    @field_validator("url_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Z_][A-Z0-9_]*", value):
            raise ValueError("'url_env' is the NAME of an environment variable (e.g. RETENTION_PG_URL) that holds "
                             "the URL; never put the URL itself in params")
        return value

    @field_validator("spark_config")
    @classmethod
    def _spark_keys(cls, value: dict[str, str]) -> dict[str, str]:
        secret = [k for k in value if re.search(r"secret|passw|token|credential|private|keyfile|\.key(\.|$)|"
                                                r"access\.key|\.sas\.", k, re.I)]
        if secret:
            raise ValueError(f"spark_config has credential settings ({', '.join(secret)}); keep credentials in the "
                             "environment or the cluster's configuration, never in params")
        return value

    @field_validator("memory_limit")
    @classmethod
    def _memory(cls, value: str | None) -> str | None:
        if value is not None and not MEMORY_RE.match(str(value)):
            raise ValueError(f"{value!r} is not an amount of memory; write it like '2GB', '512MB' or '25%'")
        return value


class UnitConfig(_Strict):
    """All settings of one business unit (defaults merged with the unit's file)."""

    unit: str
    display_name: str | None = None
    business_unit_value: str | None = None
    report_month: str | None = None
    currency: str = "EUR"
    churn: ChurnSpec = Field(default_factory=ChurnSpec)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    targets: dict[str, Target] = Field(default_factory=dict)
    sources: Sources
    show_customer_ids: bool = False
    cohorts: CohortSpec = Field(default_factory=CohortSpec)
    survival: SurvivalSpec = Field(default_factory=SurvivalSpec)
    drivers: DriversSpec = Field(default_factory=DriversSpec)
    value: ValueSpec = Field(default_factory=ValueSpec)
    campaigns: CampaignSpec = Field(default_factory=CampaignSpec)
    engine: EngineSpec = Field(default_factory=EngineSpec)
    params_dir: Path = Path(".")

    @field_validator("unit")
    @classmethod
    def _unit(cls, value: str) -> str:
        if not UNIT_RE.match(value):
            raise ValueError(f"unit name {value!r} must be letters, digits, '_' or '-' (at most 64, no "
                             "path separators or dots), because it names the report folder")
        return value

    @field_validator("targets")
    @classmethod
    def _targets(cls, value: dict[str, Target]) -> dict[str, Target]:
        for kpi, t in value.items():
            if kpi not in TARGET_KPIS:
                raise ValueError(f"targets: {kpi!r} is not a headline KPI; use one of {', '.join(TARGET_KPIS)}")
            higher = TARGET_KPIS[kpi]
            if t.good == t.bad or (t.good < t.bad) == higher:
                better = "above" if higher else "below"
                raise ValueError(f"targets.{kpi}: higher is {'better' if higher else 'worse'} for this KPI, so "
                                 f"'good' ({t.good:g}) must lie {better} 'bad' ({t.bad:g})")
        return value

    @field_validator("report_month")
    @classmethod
    def _month(cls, value: str | None) -> str | None:
        if value is not None and not (isinstance(value, str) and MONTH_RE.match(value)):
            raise ValueError("not a month; write it as YYYY-MM in quotes, e.g. '2025-03'")
        return value

    @property
    def label(self) -> str:
        """Display name (free text, escape before putting it in HTML)."""
        return self.display_name or self.unit

    @property
    def unit_value(self) -> str:
        """The value of the business-unit column that selects this unit's rows."""
        return self.business_unit_value if self.business_unit_value is not None else self.unit

    def resolve_path(self, path: str) -> Path:
        """A source path resolved against the params folder."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else (self.params_dir / p)


def parse_month(value: str, *, where: str = "month") -> dt.date:
    """Parse ``YYYY-MM`` into the first day of that month.

    Examples
    --------
    >>> parse_month("2025-03")
    datetime.date(2025, 3, 1)
    """
    if not isinstance(value, str) or not MONTH_RE.match(value):
        raise ConfigError(f"{where}: {value!r} is not a month; write it as YYYY-MM, e.g. 2025-03.")
    return dt.date(int(value[:4]), int(value[5:7]), 1)



def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc}).") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys to values at the top level.")
    return data


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key != "columns":
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _near_key(loc: tuple) -> str | None:
    """The known key closest to a misspelt one at ``loc`` (``churn.inactivty_days`` -> ``inactivity_days``)."""
    import difflib
    import typing

    model: Any = UnitConfig
    for part in loc[:-1]:
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return None
        ann = fields[part].annotation
        options = [a for a in (typing.get_args(ann) or (ann,)) if isinstance(a, type) and hasattr(a, "model_fields")]
        if not options:
            return None
        model = options[0]
    known = list(getattr(model, "model_fields", {}))
    match = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.75)
    return match[0] if match else None


def _has_path(data: dict[str, Any], loc: tuple[Any, ...]) -> bool:
    node: Any = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return False
    return True


def list_units(params_dir: str | Path) -> list[str]:
    """Names of the business units configured in ``params_dir`` (one YAML file each)."""
    params_dir = Path(params_dir)
    if not params_dir.is_dir():
        raise ConfigError(f"params folder {str(params_dir)!r} does not exist; pass --params DIR.")
    names = sorted(p.name[:-len(".yaml")] for p in params_dir.iterdir()
                   if p.name.endswith(".yaml") and p.is_file() and p.name != "defaults.yaml")
    bad = [n for n in names if not UNIT_RE.match(n)]
    if bad:
        raise ConfigError(f"params folder {str(params_dir)!r}: the file name of a unit is its name and names its "
                          f"report folder, so it must be letters, digits, '_' or '-': rename "
                          f"{', '.join(repr(n + '.yaml') for n in bad[:5])}.")
    return names


def load_config(params_dir: str | Path, unit: str, *, month: str | None = None) -> UnitConfig:
    """Load and validate the settings of ``unit`` from ``params_dir``.

    Parameters
    ----------
    params_dir
        Folder with ``defaults.yaml`` and ``<unit>.yaml`` files.
    unit
        Business unit name (the file stem).
    month
        Report month ``YYYY-MM`` overriding the params' ``report_month``;
        empty or None keeps the params value (None there means the last complete
        month in the data).

    Raises
    ------
    ConfigError
        Unknown unit, unknown key, wrong type; the message names file and key.
    """
    params_dir = Path(params_dir)
    if not UNIT_RE.match(str(unit)):
        raise ConfigError(f"unit name {unit!r} is not allowed: use letters, digits, '_' or '-' only "
                          "(it names the report folder, so no '/', '..' or spaces).")
    units = list_units(params_dir)
    if unit not in units:
        raise ConfigError(f"unknown unit {unit!r}: no file {params_dir / (unit + '.yaml')}; "
                          f"units configured: {', '.join(units) or 'none'}.")
    defaults_path = params_dir / "defaults.yaml"
    unit_path = params_dir / f"{unit}.yaml"
    defaults = _read_yaml(defaults_path) if defaults_path.exists() else {}
    own = _read_yaml(unit_path)
    for name, data in ((defaults_path, defaults), (unit_path, own)):
        if "params_dir" in data:
            raise ConfigError(f"{name}: key 'params_dir' is set by the kit, remove it.")
    if own.get("unit", unit) != unit:
        raise ConfigError(f"{unit_path}: key 'unit' is {own['unit']!r} but the file is named {unit!r}; "
                          "make them equal.")
    merged = _deep_merge(defaults, own)
    merged["unit"] = unit
    merged["params_dir"] = params_dir.resolve()
    if month:
        parse_month(month, where="--month")
        merged["report_month"] = month
    try:
        return UnitConfig.model_validate(merged)
    except ValidationError as exc:
        problems = []
        for err in exc.errors()[:5]:
            loc = tuple(p for p in err["loc"] if not isinstance(p, int) or True)
            key = ".".join(str(p) for p in loc) or "(top level)"
            where = unit_path if _has_path(own, loc) else (defaults_path if _has_path(defaults, loc) else unit_path)
            if err["type"] == "extra_forbidden":
                near = _near_key(loc)
                msg = (f"{where}: unknown key '{key}'" + (f"; did you mean '{near}'?" if near else "") +
                       "; the keys are listed in docs/params.md")
            elif err["type"] == "missing":
                msg = f"{where}: required key '{key}' is missing"
            else:
                msg = f"{where}: key '{key}': {err['msg']} (got {err.get('input')!r})"
            problems.append(msg)
        more = f" (and {exc.error_count() - 5} more)" if exc.error_count() > 5 else ""
        raise ConfigError("; ".join(problems) + more + ".") from None
