"""The lifetimes table every survival model reads: from an order history or a one-row-per-customer snapshot.

:func:`lifetimes` applies the unit's churn definition (the query itself is
:func:`retention_utils.engine.customer_lifetimes`) and adds the customer attributes and the
left-truncation rule; :func:`add_early_features` adds the early-life features
(:data:`~retention_utils.survival.base.DERIVED_FEATURES`, queries in
:mod:`retention_utils.engine.lifetimes`); :func:`lifetimes_from_snapshot` and
:func:`snapshot_lifetimes` build the same table from a tenure and a churn flag.

Left truncation (documented rule): under the inactivity definition, a customer
whose first purchase in the data falls within the first ``inactivity_days`` of
the data may have bought before the data starts, so their life's start is
unknown; they are left out of lifetime analyses and counted
(``n_left_truncated``). Under the explicit definition the signup date is known,
so nobody is left out.

When the rule would leave nobody (every customer was first seen inside that
warm-up window, e.g. an event log that starts with the customers' first
purchases), the customers are kept instead and their lives are counted from
their first purchase in the data; ``warm_up_kept`` says how many, and the
reports explain that a life that began before the data would be counted short.

Early-life features (``early_complaint``, ``nps_detractor``, ``discount_user``) use only
what happened in the first ``early_days`` of a life, and never after its end or after the
report month; a Cox model that uses them is a landmark model (see
:mod:`retention_utils.survival.cox`).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

from ..calendar import DAYS_PER_MONTH, EPOCH
from ..contract import UnitData
from ..engine import customer_lifetimes
from ..engine.lifetimes import early_complaints, early_discounts, first_survey_scores
from ..errors import ConfigError, DataError

__all__ = ["Lifetimes", "lifetimes", "add_early_features", "lifetimes_from_snapshot", "snapshot_lifetimes"]


@dataclass(frozen=True)
class Lifetimes:
    """Lifetimes of a unit's customers.

    Attributes
    ----------
    table : DataFrame
        ``customer_id, start, stop, duration_days, duration_months, event`` plus
        ``churn_type, churn_reason`` (explicit units) and the customer attributes.
    n_left_truncated : int
        Customers left out because their history may start before the data.
    rule : str
        Plain-language statement of the churn definition used.
    warm_up_kept : int
        Customers first seen in the warm-up window who are kept because every customer
        started there (see the module docstring); 0 otherwise.
    """

    table: pd.DataFrame
    n_left_truncated: int
    rule: str
    warm_up_kept: int = 0


def lifetimes(data: UnitData, *, attributes: bool = True) -> Lifetimes:
    """Lifetimes of the unit's customers as of the report month (see the module docstring).

    ``attributes`` False leaves out the customers' attribute columns (the sensitivity check needs only
    the durations and events).
    """
    ch = data.config.churn
    life = customer_lifetimes(data.orders, data.customers, method=ch.method,
                              inactivity_days=ch.inactivity_days, end=data.month_end).to_pandas()
    if attributes:
        keep = [c for c in data.customers.columns if c not in ("signup_date", "churn_date")]
        table = life.merge(data.customers.select(*keep).to_pandas(), on="customer_id", how="left")
    else:
        table = life
    n_trunc = kept = 0
    if ch.method == "inactivity":
        cutoff = pd.Timestamp(data.data_start + dt.timedelta(days=ch.inactivity_days))
        trunc = pd.to_datetime(table["start"]) < cutoff
        rule = (f"a customer's life runs from the first purchase to the last purchase before a gap of more "
                f"than {ch.inactivity_days} days without buying; customers whose window has not elapsed are "
                "censored at their latest purchase")
        if len(table) and trunc.all():
            kept = len(table)
            rule += (f"; every customer was first seen in the first {ch.inactivity_days} days of the data (the "
                     "warm-up window), so all are kept and their lives are counted from their first purchase in "
                     "the data: a customer who bought before the data starts is counted from later than their "
                     "true start, so lifetimes may be somewhat short")
        else:
            n_trunc = int(trunc.sum())
            table = table[~trunc]
            rule += (f"; customers first seen in the first {ch.inactivity_days} days of data are left out (they "
                     "may have bought before the data starts)")
    else:
        table = table.assign(churn_type=table.get("churn_type"), churn_reason=table.get("churn_reason"))
        rule = "a customer's life runs from signup to the recorded cancellation date, censored at the report date"
    table = table.assign(duration_months=table["duration_days"] / DAYS_PER_MONTH,
                         event=table["event"].astype(bool)).reset_index(drop=True)
    return Lifetimes(table=table, n_left_truncated=n_trunc, rule=rule, warm_up_kept=kept)


def add_early_features(data: UnitData, life: Lifetimes, *, early_days: int) -> Lifetimes:
    """Add the early-life features of each lifetime (see :data:`DERIVED_FEATURES`).

    A feature uses only rows dated from the start of the life up to
    ``early_days - 1`` days later, not after the life's end (``stop``) and not
    after the report month (the data are cut there on loading).

    * ``early_complaint``: an interaction of kind ``complaint`` in the window.
    * ``nps_detractor``: the first interaction of kind ``survey`` with a score in
      the window scored 6 or lower (customers without a survey count as not
      detractors).
    * ``discount_user``: a purchase with a discount > 0 in the window (only when
      the orders carry a ``discount`` column).

    Features whose source table is missing are not added.

    Parameters
    ----------
    data : UnitData
        The unit's canonical tables.
    life : Lifetimes
        Its lifetimes (:func:`lifetimes`).
    early_days : int
        Length of the early-life window (``survival.early_days``).

    Returns
    -------
    Lifetimes
        The same lifetimes with boolean columns added to ``table``.
    """
    t = life.table
    epoch = pd.Timestamp(EPOCH)
    keys = pd.DataFrame({
        "customer_id": t["customer_id"].astype(str).to_numpy(),
        "start_n": ((pd.to_datetime(t["start"]) - epoch).dt.days).astype("int64").to_numpy(),
        "stop_n": ((pd.to_datetime(t["stop"]) - epoch).dt.days).astype("int64").to_numpy(),
    })
    if len(keys) == 0:
        return life
    k = ibis.memtable(keys)
    flags: dict[str, pd.Series] = {}
    if data.interactions is not None:
        comp = early_complaints(data.interactions, k, early_days).to_pandas()
        flags["early_complaint"] = pd.Series(True, index=comp["customer_id"].astype(str))
        sv = first_survey_scores(data.interactions, k, early_days).to_pandas()
        flags["nps_detractor"] = pd.Series(sv["score"].to_numpy() <= 6, index=sv["customer_id"].astype(str))
    if "discount" in data.orders.columns:
        disc = early_discounts(data.orders, k, early_days).to_pandas()
        flags["discount_user"] = pd.Series(True, index=disc["customer_id"].astype(str))
    ids = t["customer_id"].astype(str)
    add = {name: ids.map(s[s]).fillna(False).astype(bool).to_numpy() if len(s) else np.zeros(len(t), bool)
           for name, s in flags.items()}
    return dataclasses.replace(life, table=t.assign(**add))


def lifetimes_from_snapshot(df: pd.DataFrame, *, duration: str, event: str, customer_id: str | None = None,
                            time_unit: str = "months") -> pd.DataFrame:
    """Lifetimes table from a one-row-per-customer export (tenure and a churn flag).

    For exports without dates, e.g. the IBM telco sample (``tenure`` in months,
    ``Churn`` Yes/No): every other column is kept as a covariate.

    Parameters
    ----------
    df : DataFrame
        One row per customer; not modified.
    duration : str
        Column with the length of the customer's life so far (non-negative).
    event : str
        Column telling whether the customer churned: booleans, 0/1, or text
        yes/no, true/false, y/n, 1/0 (any case).
    customer_id : str, optional
        Column with the customer key; the row number when not given.
    time_unit : {"months", "days"}
        Unit of ``duration``.

    Returns
    -------
    DataFrame
        ``customer_id, duration_days, duration_months, event`` followed by the
        other columns of ``df``.

    Raises
    ------
    DataError
        Missing columns, negative or missing durations, event values that are
        not a yes/no flag (with up to five examples).

    Examples
    --------
    >>> raw = pd.DataFrame({"tenure": [1, 12, 30], "Churn": ["Yes", "No", "yes"]})
    >>> lifetimes_from_snapshot(raw, duration="tenure", event="Churn")[["duration_months", "event"]]
       duration_months  event
    0              1.0   True
    1             12.0  False
    2             30.0   True
    """
    if time_unit not in ("months", "days"):
        raise ConfigError(f"The 'time_unit' parameter of lifetimes_from_snapshot must be one of "
                          f"{{'months', 'days'}}. Got {time_unit!r} instead.")
    wanted = [c for c in (duration, event, customer_id) if c is not None]
    missing = [c for c in wanted if c not in df.columns]
    if missing:
        raise DataError(f"lifetimes_from_snapshot: column(s) {missing} not found; the frame has "
                        f"{list(df.columns)[:20]}.")
    dur = pd.to_numeric(df[duration], errors="coerce")
    bad = dur.isna() | (dur < 0)
    if bad.any():
        rows = list(df.index[bad][:5])
        raise DataError(f"lifetimes_from_snapshot: column {duration!r} has {int(bad.sum())} missing, non-numeric "
                        f"or negative value(s) (rows {rows}); durations must be numbers >= 0.")
    ev = df[event]
    if pd.api.types.is_bool_dtype(ev):
        flag = ev.astype(bool)
    else:
        text = ev.astype("string").str.strip().str.lower()
        mapping = {"yes": True, "y": True, "true": True, "t": True, "1": True, "1.0": True,
                   "no": False, "n": False, "false": False, "f": False, "0": False, "0.0": False}
        flag = text.map(mapping)
        bad = flag.isna()
        if bad.any():
            examples = sorted(set(ev[bad].astype(str)))[:5]
            raise DataError(f"lifetimes_from_snapshot: column {event!r} has {int(bad.sum())} value(s) that are not "
                            f"a yes/no flag (e.g. {examples}); use yes/no, true/false or 1/0.")
        flag = flag.astype(bool)
    months = dur.astype(float) if time_unit == "months" else dur.astype(float) / DAYS_PER_MONTH
    ids = df[customer_id].astype(str) if customer_id else pd.Series(np.arange(len(df)).astype(str), index=df.index)
    out = pd.DataFrame({"customer_id": ids.to_numpy(), "duration_days": (months * DAYS_PER_MONTH).to_numpy(),
                        "duration_months": months.to_numpy(), "event": flag.to_numpy()})
    rest = df.drop(columns=[c for c in wanted]).reset_index(drop=True)
    return pd.concat([out, rest], axis=1)


def snapshot_lifetimes(data: UnitData) -> Lifetimes:
    """Lifetimes of a snapshot unit (``data.kind == "snapshot"``): one row per customer.

    The recorded tenure (``tenure_months``) is the length of each life; a customer
    flagged ``churned`` ended it, the others are still customers (censored at the
    snapshot). Built with :func:`lifetimes_from_snapshot`; the other columns
    (``churn_type, churn_reason`` and the attributes) are kept, dates and internal
    keys are not (they are not covariates).
    """
    if getattr(data, "kind", "orders") != "snapshot" or getattr(data, "snapshot", None) is None:
        raise ConfigError(f"unit {data.config.unit!r} is not a snapshot unit (sources.snapshot); use "
                          "survival_analysis for an order history.")
    df = data.snapshot.to_pandas()
    df = df.drop(columns=[c for c in ("customer_key", "business_unit", "start_date", "end_date") if c in df.columns])
    table = lifetimes_from_snapshot(df, duration="tenure_months", event="churned", customer_id="customer_id")
    rule = ("a customer's life is the tenure recorded in the snapshot table (months); it ended in churn when the "
            "churn flag is set, otherwise the customer is still active and counted as censored at the snapshot")
    return Lifetimes(table=table, n_left_truncated=0, rule=rule)
