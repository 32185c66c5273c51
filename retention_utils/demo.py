"""Reproducible demo CRM data with known, planted truths.

Why this module is long (about 1,370 lines): it is one simulation whose parts share the planted
truth and the random stream (signups, lifetimes per unit, orders, interactions, campaigns, referrals;
the BG/NBD + Gamma-Gamma simulator of the CLV tests has its own); about
half of it is the documented :class:`PlantedTruth` the tests assert against. It is test and demo
tooling, not part of any analysis.

:func:`generate_demo` simulates 36 calendar months (2023-01 .. 2025-12) of a
company with three business units -- ``subscriptions`` (monthly invoices,
explicit cancellations), ``retail`` (one-off purchases, churn visible only as
inactivity) and ``b2b`` (a few large accounts) -- and returns the four input
tables of the kit (customers, orders, interactions, campaigns) together with the
latent truth they were drawn from. :func:`write_demo` writes the same tables as
CSV files plus ``truth.json`` and ``truth_customers.csv``.

Every number the simulation uses lives in one place, the frozen
:data:`PLANTED` (a :class:`PlantedTruth`); ``truth.json`` serialises it, so
tests of the analysis modules can assert that an analysis recovers, e.g., the
premium-plan hazard ratio of 0.6 or the campaign's hazard ratio of 0.5 for medium-risk customers.

The simulation is vectorised with numpy: a Python loop runs over the 36 months,
never over customers or orders, so a million customers (about ten million
orders) take seconds. The same ``seed`` gives identical tables.

Simulation, in short (the exact numbers are in :class:`PlantedTruth`):

* **Customers** sign up over the window with monthly growth and seasonality
  (more in January and Q4); units are assigned in fixed shares (at least
  ``min_b2b_customers`` b2b accounts); ids ``C0000001`` .. follow signup order.
* **Time at risk.** A customer is at risk from the day after signup. Within a
  calendar month the hazard is constant, so in a month with ``e`` days at risk
  out of ``D`` the probability to churn is ``1 - exp(-H * e / D)`` where ``H``
  is the month's cumulative hazard; the churn (dropout) day is uniform over the
  days at risk. ``churn_date`` is the first day without the service.
* **subscriptions**: ``H = baseline_hazard * hazard_seasonality[calendar month]
  * renewal_hr (tenure months 11, 12, 23, 24, 35) * plan_hr * channel_hr
  * early_complaint_hr (if flagged) * nps_detractor_hr (if a detractor)
  * campaign_hr_by_risk[tier] (in the 3 months from a treatment contact)``. One invoice per
  month on the signup day of month (clipped to 28), the first on the signup
  date, none on or after ``churn_date``.
* **retail** and **b2b**: each customer has a latent monthly purchase rate
  (Gamma) and a latent monthly dropout probability ``q`` (Beta). Retail:
  ``H = -log(1 - q) * channel_hr * early_complaint_hr * campaign_hr_by_risk[tier]``, i.e. the
  monthly dropout probability is ``1 - (1 - q) ** HR`` for a full month; b2b:
  ``H = -log(1 - q)`` (no covariate effects). The first order is on the signup
  date, then Poisson orders on uniform days while alive (retail rates x1.6 in
  November and December).
* **Interactions**: the early complaint of flagged customers (within 14 days of
  signup), support tickets while alive, the onboarding NPS survey (day 7-30;
  e-mailed, so it is answered even by customers who have cancelled meanwhile;
  logged if dated within the window) and random later surveys (from day 31).
* **Campaigns** (all sent on the 1st of a month): from 2023-04 each month 10 % of
  the subscriptions and retail customers alive and not contacted in the 3 months
  before are contacted (``RET-YYYY-MM``); 80 % of them at random are
  ``treatment`` (cost 1.50), whose hazard is multiplied for 3 months by a ratio
  that depends on the customer's risk tier (none for low risk, 0.5 for medium,
  0.85 for high), the rest ``control`` (cost 0). ``RET-2025-03`` has a broken
  randomisation (medium and high risk all treated), ``LOYALTY-2025-06`` has no
  control group, and ``WINBACK-2024-10/2025-04/2025-08`` contact lapsed retail
  customers (half treated: a tripled purchase rate for two months if not gone).
* **Planted data-quality problems**, counted exactly in
  ``truth["data_quality"]``: orders of unknown customers (ids ``U...``), exact
  duplicate order rows, and retail refunds (separate negative rows).
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from .errors import ConfigError

__all__ = [
    "START",
    "END",
    "END_MONTH",
    "N_MONTHS",
    "UNITS",
    "PlantedTruth",
    "PLANTED",
    "DemoData",
    "generate_demo",
    "write_demo",
    "simulate_bgnbd_gg",
    "BGNBD_SIM_COLUMNS",
    "CUSTOMER_COLUMNS",
    "ORDER_COLUMNS",
    "INTERACTION_COLUMNS",
    "CAMPAIGN_COLUMNS",
    "TRUTH_CUSTOMER_COLUMNS",
]

#: First day of the simulated window.
START: str = "2023-01-01"
#: Last day of the simulated window; nothing is dated after it.
END: str = "2025-12-31"
#: Last calendar month of the window (``YYYY-MM``).
END_MONTH: str = "2025-12"
#: Number of calendar months in the window.
N_MONTHS: int = 36

#: Business units, in code order.
UNITS: tuple[str, ...] = ("subscriptions", "retail", "b2b")

#: Columns of each table, in file order.
CUSTOMER_COLUMNS: tuple[str, ...] = (
    "customer_id", "business_unit", "signup_date", "channel", "region", "plan", "segment",
    "churn_date", "churn_type", "churn_reason", "referred_by",
)
ORDER_COLUMNS: tuple[str, ...] = (
    "order_id", "customer_id", "order_date", "amount", "category", "channel", "discount", "returned",
)
INTERACTION_COLUMNS: tuple[str, ...] = ("customer_id", "date", "kind", "score")
CAMPAIGN_COLUMNS: tuple[str, ...] = ("customer_id", "campaign_id", "sent_date", "group", "cost")
BGNBD_SIM_COLUMNS: tuple[str, ...] = (
    "customer_id", "frequency", "recency", "T", "monetary_mean", "frequency_holdout", "monetary_holdout",
    "alive",
)
TRUTH_CUSTOMER_COLUMNS: tuple[str, ...] = (
    "customer_id", "business_unit", "true_churn_date", "early_complaint", "nps_detractor",
    "nps_score", "purchase_rate", "dropout_prob", "mean_order_value",
)

_FILES: dict[str, str] = {
    "customers": "customers.csv",
    "orders": "orders.csv",
    "interactions": "interactions.csv",
    "campaigns": "campaigns.csv",
    "truth_customers": "truth_customers.csv",
    "truth": "truth.json",
}


def _frozen(mapping: dict[str, Any]) -> Any:
    """A dataclass field whose default is a read-only copy of ``mapping``."""
    return field(default_factory=lambda: MappingProxyType(dict(mapping)))


@dataclass(frozen=True)
class PlantedTruth:
    """Every number of the demo simulation: the truths analyses must recover.

    Mappings are read-only; shares and probabilities within a mapping sum to 1.
    Monthly quantities refer to one full calendar month at risk; a partial month
    (the signup month, the churn month) scales the cumulative hazard by the
    fraction of its days at risk. "Tenure month" ``t`` counts calendar months
    since the signup month (the signup month is ``t = 0``).

    Attributes
    ----------
    unit_shares : Mapping[str, float]
        Share of customers per business unit: subscriptions 0.45, retail 0.52,
        b2b 0.03. Counts are exact: ``round(n * share)`` for subscriptions,
        ``max(min_b2b_customers, round(n * share))`` for b2b, retail the rest.
    min_b2b_customers : int
        Minimum number of b2b accounts (40).
    signup_monthly_growth : float
        Signups grow by this factor per month (1.03, about +43 % a year).
    signup_seasonality : tuple of float
        Signup multiplier per calendar month Jan..Dec (January 1.25, Q4 1.05,
        1.3, 1.4; otherwise 1).
    acquisition_channel_mix : Mapping[str, float]
        Acquisition channel of subscriptions and retail customers; b2b accounts
        all come through ``sales``.
    region_mix : Mapping[str, float]
        Region shares; region has no effect on anything (a planted null).
    plan_mix : Mapping[str, float]
        Plan shares among subscriptions (basic 0.5, standard 0.35, premium 0.15).
    plan_price : Mapping[str, float]
        Monthly invoice amount per plan before discount.
    segment_mix_b2b : Mapping[str, float]
        Segment shares among b2b accounts (others are ``consumer``); no effect.
    baseline_hazard : float
        Monthly cumulative churn hazard of a subscription in the reference group
        (basic plan, organic channel, no complaint, no detractor score, no
        campaign, seasonality 1, no renewal): 0.035 per month.
    hazard_seasonality : tuple of float
        Subscription hazard multiplier per calendar month Jan..Dec (January 1.2,
        February 1.1, December 0.9, otherwise 1).
    renewal_hr : float
        Hazard multiplier 2.0 in the months around the annual renewal: tenure
        months ``t >= 11`` with ``t % 12`` in {11, 0}, i.e. 11, 12, 23, 24, 35.
    plan_hr : Mapping[str, float]
        Hazard ratios of the plans, basic the reference: standard 0.8, premium 0.6.
    channel_hr : Mapping[str, float]
        Hazard ratios of the acquisition channels, organic the reference:
        paid_search 1.5, referral 0.7, partner 1.0. Applies to subscriptions and
        retail.
    early_complaint_rate : float
        Share of customers (all units) flagged at signup as early complainers
        (0.15); each logs one ``complaint`` interaction within
        ``early_complaint_days`` of signup (never on or after the churn date).
    early_complaint_days : int
        The early complaint is dated 0..13 days after signup (14-day window).
    early_complaint_hr : float
        Hazard ratio 1.8 of early complainers, from signup on (subscriptions
        and retail).
    nps_response_rate : float
        Share of customers (all units) who answer the onboarding NPS survey (0.6).
    nps_survey_days : tuple of int
        The onboarding survey is dated uniformly 7..30 days after signup.
    nps_score_probs : tuple of float
        Probabilities of the scores 0..10 (34 % detractors <= 6, 32 % passives,
        34 % promoters); used for all surveys.
    nps_detractor_max_score : int
        Respondents with an onboarding score <= 6 are detractors.
    nps_detractor_hr : float
        Hazard ratio 1.5 of detractors, from signup on, subscriptions only
        (no effect in retail: a planted null); non-respondents are baseline.
    involuntary_share : float
        Share of subscription churners whose churn is ``involuntary`` (0.25).
    voluntary_reasons, involuntary_reasons : Mapping[str, float]
        Distribution of ``churn_reason`` within each churn type (independent
        of every covariate).
    invoice_discount_rate, invoice_discount_fraction : float
        5 % of subscription invoices carry a 20 % discount.
    campaign_first_month : str
        First retention campaign month (``2023-04``, the 4th month); one campaign a
        month after that, id ``RET-YYYY-MM``, sent on the 1st of the month.
    campaign_target_share : float
        Each customer of a campaign unit alive on the send date (signed up
        before it, not churned) and not contacted by a retention campaign in
        the ``campaign_cooldown_months`` before is contacted with probability 0.10.
    campaign_cooldown_months : int
        A customer contacted in month ``m`` is not contacted again by a
        retention campaign before month ``m + 4`` (3 months of rest), so the
        effect windows of two contacts never overlap.
    campaign_treatment_share : float
        A contacted customer is ``treatment`` with probability 0.8, else
        ``control`` (randomised; the intended split the params name).
    campaign_risk_quantiles : tuple of float
        The customers of each campaign unit are cut into risk tiers ``low``,
        ``medium``, ``high`` at these quantiles (thirds) of their static
        monthly hazard (``base_h``: plan, channel, early complaint, NPS
        detractor for subscriptions; the latent dropout, channel and early
        complaint for retail); ``truth_customers.risk_tier``.
    campaign_hr_by_risk : Mapping[str, float]
        Heterogeneous effect: hazard ratio of a treatment contact by risk tier
        -- none for ``low`` (1.0), strong for ``medium`` (0.5), little for
        ``high`` (0.85) -- in each of the ``campaign_effect_months`` calendar
        months from the send month on (90 days from the send date). Control
        contacts have no effect; ``truth_customers.campaign_hr``.
    campaign_effect_months : int
        Length of the treatment effect window (3 months: the send month and the
        two after it).
    campaign_cost : float
        Cost of a treatment contact (1.50); control contacts cost 0.
    campaign_units : tuple of str
        Units that receive campaigns (subscriptions, retail).
    broken_campaign_month : str
        Broken randomisation: in this month's retention campaign every
        contacted medium- and high-risk customer is put in ``treatment``; only
        low-risk contacts keep the 80/20 split (a sample-ratio mismatch and
        treated customers riskier than the controls).
    uncontrolled_campaign_month, uncontrolled_target_share, uncontrolled_cost
        ``LOYALTY-2025-06``: 20 % of the retail customers alive on the 1st of
        that month, all ``treatment`` (no control group), cost 0.80, no effect.
    winback_months : tuple of str
        Win-back campaigns ``WINBACK-YYYY-MM`` (retail), sent on the 1st.
    winback_lapsed_days : int
        A retail customer whose latest purchase is at least 75 days before the
        send date (dormant, churned or silently gone) is a win-back target.
    winback_target_share, winback_treatment_share : float
        Half of the targets are contacted, half of those are ``treatment``.
    winback_rate_multiplier, winback_effect_months : float, int
        A treatment contact multiplies the purchase rate of a customer who has
        not dropped out by 3.0 in the send month and the next (2 months);
        customers who have dropped out do not respond.
    winback_cost : float
        Cost of a win-back treatment contact (2.00).
    retail_rate_mean, retail_rate_shape : float
        Latent monthly purchase rate of a retail customer ~ Gamma with mean 0.8
        and shape 1.5.
    retail_purchase_seasonality : tuple of float
        Purchase-rate multiplier per calendar month Jan..Dec (1.6 in November
        and December).
    retail_dropout_mean, retail_dropout_beta_a : float
        Latent monthly dropout probability ``q`` ~ Beta(a, b) with a = 2 and
        mean 0.06.
    retail_amount_mean : float
        Mean gross order value (45): a customer's log-mean ~ Normal with sd
        ``retail_amount_sigma_customer`` (0.5), an order's log amount ~ Normal
        around it with sd ``retail_amount_sigma_order`` (0.6); gross amounts
        are at least 1.00.
    retail_discount_rate, retail_discount_fractions
        12 % of retail orders get a discount of 10, 20 or 30 % (equally likely).
    retail_category_mix : Mapping[str, float]
        Category of a retail order. Subscription invoices have category
        ``subscription``, b2b orders ``wholesale``.
    order_channel_mix : Mapping[str, Mapping[str, float]]
        Sales channel of an order, per unit.
    refund_rate : float
        1.5 % of retail orders dated before the last day get a refund row: a
        new order id, the same customer, category and channel, amount =
        -(original amount), discount 0, ``returned`` true, dated 1..14 days
        later (at most the last day of the window).
    refund_max_delay_days : int
        Longest refund delay (14 days).
    b2b_rate_mean, b2b_rate_shape : float
        Monthly order rate of a b2b account ~ Gamma(mean 2, shape 4).
    b2b_dropout_mean, b2b_dropout_beta_a : float
        Monthly dropout probability of a b2b account ~ Beta(a=2, mean 0.015).
    b2b_amount_mean, b2b_amount_sigma_customer, b2b_amount_sigma_order : float
        Mean gross b2b order value 5000 (log-normal as for retail).
    b2b_discount_rate, b2b_discount_fraction : float
        20 % of b2b orders carry a 5 % discount.
    ticket_rate : float
        Support tickets per month alive ~ Poisson(0.1), all units.
    ticket_rate_complainer_multiplier : float
        Early complainers file 3 times as many tickets, their whole life.
    later_survey_rate : float
        Probability (per month alive, from day ``later_survey_min_days``) of a
        further NPS survey (0.02).
    later_survey_min_days : int
        Later surveys are dated at least 31 days after signup, so they never
        fall in the onboarding survey window.
    unknown_customer_share, unknown_customer_min : float, int
        ``max(3, round(0.0005 * ordinary orders))`` orders of unknown customers
        (ids ``U0000001``...; about two rows per unknown id), dated uniformly
        in the window.
    duplicate_share, duplicate_min : float, int
        ``max(3, round(0.0005 * ordinary orders))`` ordinary orders appear
        twice (an exact copy, same order id, next to the original).
    bgnbd_r, bgnbd_alpha, bgnbd_a, bgnbd_b : float
        Planted BG/NBD parameters of :func:`simulate_bgnbd_gg` (a separate,
        non-contractual simulation; the demo tables above do not use them).
        Time in weeks: a customer's purchase rate lambda ~ Gamma(shape r =
        0.75, rate alpha = 6 weeks), mean 0.125 a week (about 6.5 a year);
        after each repeat purchase she drops out with probability
        p ~ Beta(a = 0.8, b = 2.5), mean 0.24.
    referral_weight : Mapping[str, str]
        Who refers the customers acquired through the ``referral`` channel (their
        ``referred_by``): a customer of the same unit who signed up before them, drawn
        with probability proportional to the unit's weight (``rate``: the latent
        monthly purchase rate, so heavy buyers refer more: a referrer's mean rate is the
        size-biased mean ``E[rate^2] / E[rate]``, 0.8 x (1 + 1 / 1.5) = 1.33 in retail;
        ``price``: the plan price in subscriptions). The draw uses its own random
        stream, so every other column is as without it. The first customer of a unit
        has nobody to name and stays empty.
    gg_p, gg_q, gg_gamma : float
        Planted Gamma-Gamma spend parameters of :func:`simulate_bgnbd_gg`:
        transaction values ~ Gamma(shape p = 6, rate nu), nu ~ Gamma(shape
        q = 4, rate gamma = 15); mean spend per transaction p gamma / (q - 1)
        = 30.
    """

    # --- customers -------------------------------------------------------------
    unit_shares: Mapping[str, float] = _frozen({"subscriptions": 0.45, "retail": 0.52, "b2b": 0.03})
    min_b2b_customers: int = 40
    signup_monthly_growth: float = 1.03
    signup_seasonality: tuple[float, ...] = (1.25, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.05, 1.3, 1.4)
    acquisition_channel_mix: Mapping[str, float] = _frozen(
        {"organic": 0.40, "paid_search": 0.30, "referral": 0.15, "partner": 0.15})
    region_mix: Mapping[str, float] = _frozen({"north": 0.30, "south": 0.25, "east": 0.20, "west": 0.25})
    plan_mix: Mapping[str, float] = _frozen({"basic": 0.50, "standard": 0.35, "premium": 0.15})
    plan_price: Mapping[str, float] = _frozen({"basic": 9.99, "standard": 19.99, "premium": 39.99})
    segment_mix_b2b: Mapping[str, float] = _frozen({"smb": 0.75, "enterprise": 0.25})
    # --- subscription churn hazard ------------------------------------------------
    baseline_hazard: float = 0.035
    hazard_seasonality: tuple[float, ...] = (1.2, 1.1, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.9)
    renewal_hr: float = 2.0
    plan_hr: Mapping[str, float] = _frozen({"basic": 1.0, "standard": 0.8, "premium": 0.6})
    channel_hr: Mapping[str, float] = _frozen(
        {"organic": 1.0, "paid_search": 1.5, "referral": 0.7, "partner": 1.0})
    early_complaint_rate: float = 0.15
    early_complaint_days: int = 14
    early_complaint_hr: float = 1.8
    nps_response_rate: float = 0.60
    nps_survey_days: tuple[int, int] = (7, 30)
    nps_score_probs: tuple[float, ...] = (
        0.03, 0.02, 0.03, 0.04, 0.05, 0.07, 0.10, 0.14, 0.18, 0.16, 0.18)
    nps_detractor_max_score: int = 6
    nps_detractor_hr: float = 1.5
    involuntary_share: float = 0.25
    voluntary_reasons: Mapping[str, float] = _frozen({
        "price": 0.35, "switched_to_competitor": 0.20, "not_using": 0.25,
        "service_issues": 0.12, "moved": 0.08})
    involuntary_reasons: Mapping[str, float] = _frozen({"payment_failed": 0.70, "card_expired": 0.30})
    invoice_discount_rate: float = 0.05
    invoice_discount_fraction: float = 0.20
    # --- campaigns -------------------------------------------------------------------
    campaign_first_month: str = "2023-04"
    campaign_target_share: float = 0.10
    campaign_cooldown_months: int = 3
    campaign_treatment_share: float = 0.8
    campaign_risk_quantiles: tuple[float, float] = (1 / 3, 2 / 3)
    campaign_hr_by_risk: Mapping[str, float] = _frozen({"low": 1.0, "medium": 0.5, "high": 0.85})
    campaign_effect_months: int = 3
    campaign_cost: float = 1.50
    campaign_units: tuple[str, ...] = ("subscriptions", "retail")
    broken_campaign_month: str = "2025-03"
    uncontrolled_campaign_month: str = "2025-06"
    uncontrolled_target_share: float = 0.2
    uncontrolled_cost: float = 0.80
    winback_months: tuple[str, ...] = ("2024-10", "2025-04", "2025-08")
    winback_lapsed_days: int = 75
    winback_target_share: float = 0.5
    winback_treatment_share: float = 0.5
    winback_rate_multiplier: float = 3.0
    winback_effect_months: int = 2
    winback_cost: float = 2.0
    # --- retail ------------------------------------------------------------------------
    retail_rate_mean: float = 0.8
    retail_rate_shape: float = 1.5
    retail_purchase_seasonality: tuple[float, ...] = (
        1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.6, 1.6)
    retail_dropout_mean: float = 0.06
    retail_dropout_beta_a: float = 2.0
    retail_amount_mean: float = 45.0
    retail_amount_sigma_customer: float = 0.5
    retail_amount_sigma_order: float = 0.6
    retail_discount_rate: float = 0.12
    retail_discount_fractions: tuple[float, ...] = (0.10, 0.20, 0.30)
    retail_category_mix: Mapping[str, float] = _frozen({
        "home": 0.22, "fashion": 0.28, "electronics": 0.15, "beauty": 0.15, "grocery": 0.20})
    order_channel_mix: Mapping[str, Mapping[str, float]] = field(default_factory=lambda: MappingProxyType({
        "subscriptions": MappingProxyType({"web": 0.55, "app": 0.45, "store": 0.0, "phone": 0.0}),
        "retail": MappingProxyType({"web": 0.40, "app": 0.25, "store": 0.30, "phone": 0.05}),
        "b2b": MappingProxyType({"web": 0.50, "app": 0.0, "store": 0.0, "phone": 0.50}),
    }))
    refund_rate: float = 0.015
    refund_max_delay_days: int = 14
    # --- b2b -------------------------------------------------------------------------------
    b2b_rate_mean: float = 2.0
    b2b_rate_shape: float = 4.0
    b2b_dropout_mean: float = 0.015
    b2b_dropout_beta_a: float = 2.0
    b2b_amount_mean: float = 5000.0
    b2b_amount_sigma_customer: float = 0.6
    b2b_amount_sigma_order: float = 0.4
    b2b_discount_rate: float = 0.20
    b2b_discount_fraction: float = 0.05
    # --- interactions -------------------------------------------------------------------
    ticket_rate: float = 0.10
    ticket_rate_complainer_multiplier: float = 3.0
    later_survey_rate: float = 0.02
    later_survey_min_days: int = 31
    # --- planted data-quality problems -------------------------------------------------
    unknown_customer_share: float = 0.0005
    unknown_customer_min: int = 3
    duplicate_share: float = 0.0005
    duplicate_min: int = 3
    # --- referrals (customers.referred_by) -------------------------------------------------
    referral_weight: Mapping[str, str] = _frozen({"subscriptions": "price", "retail": "rate", "b2b": "rate"})
    # --- CLV models (simulate_bgnbd_gg only) -------------------------------------------
    bgnbd_r: float = 0.75
    bgnbd_alpha: float = 6.0
    bgnbd_a: float = 0.8
    bgnbd_b: float = 2.5
    gg_p: float = 6.0
    gg_q: float = 4.0
    gg_gamma: float = 15.0

    def to_dict(self) -> dict[str, Any]:
        """Return the planted values as plain, JSON-serialisable Python objects.

        Examples
        --------
        >>> PLANTED.to_dict()["plan_hr"]
        {'basic': 1.0, 'standard': 0.8, 'premium': 0.6}
        """
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


#: The planted truths of the demo data (see :class:`PlantedTruth`).
PLANTED = PlantedTruth()


@dataclass(frozen=True, eq=False, repr=False)
class DemoData:
    """The demo tables and their planted truth.

    Attributes
    ----------
    customers : pandas.DataFrame
        One row per customer, columns :data:`CUSTOMER_COLUMNS`: ``customer_id``
        (str), ``business_unit``, ``channel``, ``region``, ``plan`` (missing
        outside subscriptions), ``segment``, ``churn_type``, ``churn_reason``
        (categoricals; churn fields only for churned subscriptions),
        ``signup_date``, ``churn_date`` (datetime64, NaT if not churned).
    orders : pandas.DataFrame
        One row per order line, columns :data:`ORDER_COLUMNS`: ``order_id``,
        ``customer_id`` (str), ``order_date`` (datetime64), ``amount`` (float,
        net of discount, negative for refunds), ``category``, ``channel``
        (categoricals), ``discount`` (float >= 0), ``returned`` (bool, true on
        refund rows). Includes the planted unknown-customer rows, duplicate
        rows and refunds.
    interactions : pandas.DataFrame
        Columns :data:`INTERACTION_COLUMNS`: ``customer_id``, ``date``,
        ``kind`` (``support_ticket``, ``complaint``, ``survey``), ``score``
        (Int8, NPS 0-10 for surveys, missing otherwise).
    campaigns : pandas.DataFrame
        One row per contact, columns :data:`CAMPAIGN_COLUMNS`: ``customer_id``,
        ``campaign_id`` (``RET-YYYY-MM``), ``sent_date``, ``group``
        (``treatment`` or ``control``), ``cost`` (float).
    truth_customers : pandas.DataFrame
        Latent truth per customer, columns :data:`TRUTH_CUSTOMER_COLUMNS`:
        ``true_churn_date`` (churn date of subscriptions, dropout date --
        first day inactive -- of retail and b2b; NaT if none),
        ``early_complaint``, ``nps_detractor`` (bool), ``nps_score`` (the
        onboarding score, missing for non-respondents, Int8),
        ``purchase_rate`` (monthly, before seasonality), ``dropout_prob``
        (monthly ``q`` before hazard ratios) and ``mean_order_value`` (gross),
        the last three for retail and b2b only.
    truth : dict
        JSON-serialisable: ``generator``, ``window``, ``planted``
        (:meth:`PlantedTruth.to_dict`), ``customers``, ``orders``, ``churn``,
        ``interactions``, ``campaigns`` and ``data_quality`` (exact counts of
        ``unknown_customer_orders``, ``unknown_customer_ids``,
        ``duplicate_order_rows``, ``refund_rows``).
    """

    customers: pd.DataFrame
    orders: pd.DataFrame
    interactions: pd.DataFrame
    campaigns: pd.DataFrame
    truth_customers: pd.DataFrame
    truth: dict[str, Any]

    def __repr__(self) -> str:
        sizes = ", ".join(
            f"{name}={len(getattr(self, name)):,} rows"
            for name in ("customers", "orders", "interactions", "campaigns", "truth_customers")
        )
        gen = self.truth.get("generator", {})
        return f"DemoData(n_customers={gen.get('n_customers')}, seed={gen.get('seed')}: {sizes})"

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write the tables as CSV files and the truth as JSON into ``out_dir``.

        Parameters
        ----------
        out_dir : str or Path
            Folder to write into; created with its parents if missing.
            Existing files of the same names are overwritten.

        Returns
        -------
        dict of str to Path
            Paths keyed ``customers``, ``orders``, ``interactions``,
            ``campaigns``, ``truth_customers`` (CSV: UTF-8, comma-separated,
            header row, ISO dates ``YYYY-MM-DD``, booleans ``true``/``false``,
            an empty field for a missing value) and ``truth`` (``truth.json``).
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {key: out / name for key, name in _FILES.items()}
        for key in ("customers", "orders", "interactions", "campaigns", "truth_customers"):
            _write_csv(getattr(self, key), paths[key])
        paths["truth"].write_text(json.dumps(self.truth, indent=2) + "\n", encoding="utf-8")
        return paths


# ----------------------------------------------------------------------------------------
# public functions
# ----------------------------------------------------------------------------------------

def generate_demo(
    *, n_customers: int = 3000, seed: int = 7, planted: PlantedTruth = PLANTED
) -> DemoData:
    """Simulate the demo CRM data set in memory.

    Parameters
    ----------
    n_customers : int, default 3000
        Number of customers, at least 100 (of which at least 40 are b2b).
        Orders grow about tenfold: a million customers give about ten million
        order rows.
    seed : int, default 7
        Seed of ``numpy.random.default_rng``; the same seed and size give
        identical tables.
    planted : PlantedTruth, default PLANTED
        The numbers to simulate with; pass a modified copy
        (``dataclasses.replace(PLANTED, renewal_hr=1.0)``) to plant other
        truths.

    Returns
    -------
    DemoData
        Frames ``customers``, ``orders``, ``interactions``, ``campaigns``,
        ``truth_customers`` and the dict ``truth`` (see :class:`DemoData` for
        the columns).

    Raises
    ------
    ConfigError
        If ``n_customers`` or ``seed`` is not an integer in range, or
        ``planted`` is not a :class:`PlantedTruth`.

    Examples
    --------
    >>> data = generate_demo(n_customers=300, seed=1)
    >>> sorted(data.customers["business_unit"].unique())
    ['b2b', 'retail', 'subscriptions']
    >>> int((data.customers["business_unit"] == "b2b").sum())
    40
    >>> data.truth["data_quality"]["duplicate_order_rows"]
    3
    >>> data.orders["order_date"].max() <= pd.Timestamp(END)
    True
    """
    n = _check_int("n_customers", n_customers, minimum=100)
    seed = _check_int("seed", seed, minimum=0)
    if not isinstance(planted, PlantedTruth):
        raise ConfigError(
            "The 'planted' parameter of generate_demo must be a PlantedTruth "
            f"(e.g. demo.PLANTED). Got {type(planted).__name__} instead."
        )
    return _Simulation(n, seed, planted).run()


def write_demo(out_dir: str | Path, *, n_customers: int = 3000, seed: int = 7) -> dict[str, Path]:
    """Generate the demo data set and write it to ``out_dir``.

    Same as ``generate_demo(n_customers=..., seed=...).write(out_dir)``.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write into; created if missing.
    n_customers : int, default 3000
        Number of customers (see :func:`generate_demo`).
    seed : int, default 7
        Random seed.

    Returns
    -------
    dict of str to Path
        Paths of ``customers.csv``, ``orders.csv``, ``interactions.csv``,
        ``campaigns.csv``, ``truth_customers.csv`` and ``truth.json``, keyed
        by table name (``truth`` for the JSON).

    Raises
    ------
    ConfigError
        If ``n_customers`` or ``seed`` is invalid.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = write_demo(tmp, n_customers=200, seed=3)
    ...     header = paths["orders"].read_text(encoding="utf-8").splitlines()[0]
    >>> header
    'order_id,customer_id,order_date,amount,category,channel,discount,returned'
    >>> sorted(paths)
    ['campaigns', 'customers', 'interactions', 'orders', 'truth', 'truth_customers']
    """
    return generate_demo(n_customers=n_customers, seed=seed).write(out_dir)


def simulate_bgnbd_gg(n_customers: int, *, T_weeks: float | tuple[float, float] = 52.0,
                      holdout_weeks: float = 0.0, seed: int = 0, planted: PlantedTruth = PLANTED,
                      day_resolution: bool = True) -> pd.DataFrame:
    """Customer summaries drawn from the BG/NBD and Gamma-Gamma processes with planted parameters.

    Separate from :func:`generate_demo` (its own random stream): it is the planted truth the
    CLV models (:mod:`retention_utils.clv`) must recover. Time is in weeks. Each customer makes
    a first purchase at time 0, then repeat purchases at Poisson rate lambda ~ Gamma(r, alpha);
    after each repeat purchase she drops out with probability p ~ Beta(a, b) (the J-th repeat
    purchase is her last, J ~ Geometric(p)). Her repeat transaction values are Gamma(gg_p, nu),
    nu ~ Gamma(gg_q, gg_gamma) (rates). Drawn exactly, without a loop: N ~ Poisson(lambda T)
    purchases of an immortal customer, x = min(N, J), and the time of the x-th of N uniform
    purchase times is T * Beta(x, N - x + 1); the mean of x values is Gamma(gg_p x, nu) / x.

    Parameters
    ----------
    n_customers : int
        Customers to draw (>= 1).
    T_weeks : float or (float, float), default 52.0
        Calibration length T of every customer, or a range: T ~ Uniform(low, high) (first
        purchases spread over the window).
    holdout_weeks : float, default 0.0
        Length of a holdout period after T; its purchases and spend follow the same process.
    seed : int, default 0
    planted : PlantedTruth, default PLANTED
        ``bgnbd_r, bgnbd_alpha, bgnbd_a, bgnbd_b, gg_p, gg_q, gg_gamma`` are used.
    day_resolution : bool, default True
        Record ``recency`` and ``T`` in whole days (rounded down, in weeks), as an order log
        dates them; identical summaries then repeat, as in real data. False keeps exact times:
        use it to test recovery, since the rounding itself moves a fit on a million customers by
        a few standard errors (alpha 5.88 instead of 6; exact times give 6.00 +/- 0.02).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`BGNBD_SIM_COLUMNS`: ``customer_id`` (``S0000001`` ...), ``frequency``
        x (repeat purchases in (0, T]), ``recency`` t_x (weeks; 0 when x = 0), ``T`` (weeks),
        ``monetary_mean`` (mean value of the x repeat purchases; 0 when x = 0),
        ``frequency_holdout`` and ``monetary_holdout`` (repeat purchases and their total value in
        (T, T + holdout_weeks]; 0 without a holdout), ``alive`` (bool: not dropped out at T).

    Examples
    --------
    >>> sim = simulate_bgnbd_gg(1000, seed=1)
    >>> bool((sim["recency"] <= sim["T"]).all()), bool((sim.loc[sim.frequency == 0, "recency"] == 0).all())
    (True, True)
    """
    n = _check_int("n_customers", n_customers, minimum=1)
    rng = np.random.default_rng(_check_int("seed", seed, minimum=0))
    pl = planted
    if np.ndim(T_weeks) == 0:
        T = np.full(n, float(T_weeks))
    else:
        low, high = (float(v) for v in T_weeks)
        T = rng.uniform(low, high, n)
    if day_resolution:
        T = np.floor(T * 7) / 7
    lam = rng.gamma(pl.bgnbd_r, 1 / pl.bgnbd_alpha, n)
    p = rng.beta(pl.bgnbd_a, pl.bgnbd_b, n)
    J = rng.geometric(p)  # the repeat purchase after which the customer drops out
    N = rng.poisson(lam * T)
    x = np.minimum(N, J)
    rep = x > 0
    tx = np.zeros(n)
    tx[rep] = T[rep] * rng.beta(x[rep], N[rep] - x[rep] + 1)
    if day_resolution:
        tx = np.minimum(np.floor(tx * 7) / 7, T)
    alive = J > N
    nu = rng.gamma(pl.gg_q, 1 / pl.gg_gamma, n)
    m = np.zeros(n)
    m[rep] = rng.gamma(pl.gg_p * x[rep], 1 / nu[rep]) / x[rep]
    y = np.zeros(n, dtype=np.int64)
    spend = np.zeros(n)
    if holdout_weeks > 0:
        y = np.where(alive, np.minimum(rng.poisson(lam * holdout_weeks), J - N), 0)
        buy = y > 0
        spend[buy] = rng.gamma(pl.gg_p * y[buy], 1 / nu[buy])
    ids = np.char.add("S", np.char.zfill(np.arange(1, n + 1).astype(str), 7))
    return pd.DataFrame({"customer_id": ids, "frequency": x, "recency": tx, "T": T, "monetary_mean": m,
                         "frequency_holdout": y, "monetary_holdout": spend, "alive": alive})


# ----------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------

_SUB, _RET, _B2B = 0, 1, 2
_RISK_TIERS = ("low", "medium", "high")
_CAMPAIGN_KINDS = ("RET", "LOYALTY", "WINBACK")
_BIG = np.int32(2**30)  # "never": end offset of customers still alive
_DAY0 = np.datetime64(START, "D")
_MONTH_BOUNDS = (
    np.arange(np.datetime64("2023-01", "M"), np.datetime64("2026-02", "M"))[: N_MONTHS + 1]
    .astype("datetime64[D]") - _DAY0
).astype(np.int32)
_LAST_DAY = int(_MONTH_BOUNDS[-1] - 1)  # offset of END

_CHANNELS = ("organic", "paid_search", "referral", "partner", "sales")
_REGIONS = ("north", "south", "east", "west")
_PLANS = ("basic", "standard", "premium")
_SEGMENTS = ("consumer", "smb", "enterprise")
_ORDER_CHANNELS = ("web", "app", "store", "phone")
_KINDS = ("support_ticket", "complaint", "survey")
_CHURN_TYPES = ("voluntary", "involuntary")


def _check_int(name: str, value: object, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ConfigError(
            f"The '{name}' parameter of generate_demo must be an int >= {minimum}. "
            f"Got {value!r} instead."
        )
    return int(value)


def _choice(rng: np.random.Generator, size: int, probs: Any) -> np.ndarray:
    """Draw ``size`` category codes (int8) with probabilities ``probs``."""
    cum = np.cumsum(np.asarray(list(probs), dtype=np.float64))
    cum /= cum[-1]
    codes = np.searchsorted(cum, rng.random(size), side="right")
    return np.minimum(codes, len(cum) - 1).astype(np.int8)


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.StringArray:
    """Fixed-width ids like ``C0000042`` built without Python string formatting."""
    x = np.array(numbers, dtype=np.uint64 if width > 9 else np.uint32)  # a copy we may modify
    n = x.size
    w = width + 1
    buf = np.empty((n, w), dtype=np.uint8)
    buf[:, 0] = ord(prefix)
    q = np.empty_like(x)
    for k in range(width, 0, -1):
        np.floor_divide(x, 10, out=q)
        x -= q * 10
        buf[:, k] = x
        buf[:, k] += 48
        x, q = q, x
    del x, q
    if n * w < 2**31:
        offsets = np.arange(0, (n + 1) * w, w, dtype=np.int32)
        return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(buf))
    offsets64 = np.arange(0, (n + 1) * w, w, dtype=np.int64)
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets64), pa.py_buffer(buf))


def _str_series(arr: pa.Array) -> pd.Series:
    return pd.Series(arr, dtype="str")


def _dates(offsets: np.ndarray) -> np.ndarray:
    """Day offsets from START to datetime64[ns]; offsets >= _BIG become NaT."""
    off = np.asarray(offsets)
    out = (_DAY0 + off.astype("timedelta64[D]")).astype("datetime64[ns]")
    missing = off >= _BIG
    if missing.any():
        out[missing] = np.datetime64("NaT")
    return out


def _cat(codes: np.ndarray, categories: tuple[str, ...] | list[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int16), categories=list(categories))


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    """Fast CSV: unquoted header and values (none contains a separator), ISO dates."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    for i, col in enumerate(table.schema):
        if pa.types.is_dictionary(col.type):
            table = table.set_column(i, col.name, table.column(i).cast(pa.string()))
        elif pa.types.is_timestamp(col.type):
            table = table.set_column(i, col.name, table.column(i).cast(pa.date32()))
    table = table.replace_schema_metadata(None)
    with open(path, "wb") as fh:
        fh.write((",".join(table.column_names) + "\n").encode("utf-8"))
        pa_csv.write_csv(
            table, fh,
            write_options=pa_csv.WriteOptions(include_header=False, quoting_style="none"),
        )


def _month_index(month: str) -> int:
    year, mon = (int(p) for p in month.split("-"))
    return (year - 2023) * 12 + mon - 1


# ----------------------------------------------------------------------------------------
# the simulation
# ----------------------------------------------------------------------------------------

class _Simulation:
    """One run of the simulation; arrays are indexed by customer position."""

    def __init__(self, n: int, seed: int, planted: PlantedTruth) -> None:
        self.n = n
        self.seed = seed
        self.p = planted
        self.rng = np.random.default_rng(seed)

    # -- customers --------------------------------------------------------------------
    def _draw_customers(self) -> None:
        p, rng, n = self.p, self.rng, self.n
        shares = p.unit_shares
        n_b2b = max(p.min_b2b_customers, round(n * shares["b2b"]))
        n_sub = round(n * shares["subscriptions"])
        n_ret = n - n_sub - n_b2b
        unit = np.repeat(np.array([_SUB, _RET, _B2B], dtype=np.int8), [n_sub, n_ret, n_b2b])
        self.unit = rng.permutation(unit)

        months = np.arange(N_MONTHS)
        weight = p.signup_monthly_growth ** months * np.asarray(p.signup_seasonality)[months % 12]
        smonth = _choice(rng, n, weight / weight.sum()).astype(np.int16)
        dim = np.diff(_MONTH_BOUNDS)
        sday = _MONTH_BOUNDS[smonth] + (rng.random(n) * dim[smonth]).astype(np.int32)
        order = np.argsort(sday, kind="stable")
        self.sday = sday[order].astype(np.int32)
        self.smonth = smonth[order]
        self.dom = (self.sday - _MONTH_BOUNDS[self.smonth] + 1).astype(np.int16)

        is_sub, is_b2b = self.unit == _SUB, self.unit == _B2B
        channel = _choice(rng, n, [p.acquisition_channel_mix[c] for c in _CHANNELS[:4]])
        channel[is_b2b] = _CHANNELS.index("sales")
        self.channel = channel
        self.region = _choice(rng, n, [p.region_mix[r] for r in _REGIONS])
        plan = _choice(rng, n, [p.plan_mix[k] for k in _PLANS])
        plan[~is_sub] = -1
        self.plan = plan
        seg = 1 + _choice(rng, n, [p.segment_mix_b2b[s] for s in _SEGMENTS[1:]])
        seg[~is_b2b] = 0
        self.segment = seg

        self.early = rng.random(n) < p.early_complaint_rate
        self.nps_resp = rng.random(n) < p.nps_response_rate
        score = _choice(rng, n, p.nps_score_probs)
        self.nps_score = score
        self.detractor = self.nps_resp & (score <= p.nps_detractor_max_score)
        lo, hi = p.nps_survey_days
        self.survey_day = self.sday + rng.integers(lo, hi + 1, size=n, dtype=np.int32)
        self.complaint_day = self.sday + rng.integers(0, p.early_complaint_days, size=n, dtype=np.int32)

        # latent purchase behaviour (retail and b2b)
        is_ret = self.unit == _RET
        shape = np.where(is_b2b, p.b2b_rate_shape, p.retail_rate_shape)
        mean = np.where(is_b2b, p.b2b_rate_mean, p.retail_rate_mean)
        rate = rng.gamma(shape, mean / shape)
        qa = np.where(is_b2b, p.b2b_dropout_beta_a, p.retail_dropout_beta_a)
        qm = np.where(is_b2b, p.b2b_dropout_mean, p.retail_dropout_mean)
        q = rng.beta(qa, qa * (1.0 - qm) / qm)
        sc = np.where(is_b2b, p.b2b_amount_sigma_customer, p.retail_amount_sigma_customer)
        so = np.where(is_b2b, p.b2b_amount_sigma_order, p.retail_amount_sigma_order)
        am = np.where(is_b2b, p.b2b_amount_mean, p.retail_amount_mean)
        mu = np.log(am) - 0.5 * (sc**2 + so**2) + sc * rng.standard_normal(n)
        self.rate = np.where(is_sub, np.nan, rate)
        self.q = np.where(is_sub, np.nan, q)
        self.mu = mu
        self.sigma_order = so
        self.mean_value = np.where(is_sub, np.nan, np.exp(mu + 0.5 * so**2))

        # static part of the monthly cumulative hazard
        ch_hr = np.array([p.channel_hr.get(c, 1.0) for c in _CHANNELS])[channel]
        plan_hr = np.array([p.plan_hr[k] for k in _PLANS] + [1.0])[plan]  # -1 -> last = 1.0
        early_hr = np.where(self.early, p.early_complaint_hr, 1.0)
        det_hr = np.where(self.detractor, p.nps_detractor_hr, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            h_q = -np.log1p(-np.where(is_sub, 0.0, q))
        self.base_h = np.select(
            [is_sub, is_ret],
            [p.baseline_hazard * plan_hr * ch_hr * early_hr * det_hr, h_q * ch_hr * early_hr],
            default=h_q,
        )
        self.campaign_unit = np.isin(self.unit, [UNITS.index(u) for u in p.campaign_units])
        # risk tiers (thirds of the static hazard within each campaign unit) and the planted effect
        tier = np.full(n, -1, dtype=np.int8)
        for u in p.campaign_units:
            inu = self.unit == UNITS.index(u)
            if inu.any():
                thr = np.quantile(self.base_h[inu], p.campaign_risk_quantiles)
                tier[inu] = (self.base_h[inu] > thr[0]).astype(np.int8) + (self.base_h[inu] > thr[1])
        self.risk_tier = tier
        hr_tier = np.array([p.campaign_hr_by_risk[t] for t in _RISK_TIERS] + [1.0])
        self.campaign_hr = hr_tier[tier]  # tier -1 -> last = 1.0

    # -- the month loop ---------------------------------------------------------------
    def _simulate(self) -> None:
        p, rng, n = self.p, self.rng, self.n
        end = np.full(n, _BIG, dtype=np.int32)
        treated_until = np.full(n, -1, dtype=np.int16)
        inv_dom = np.minimum(self.dom, 28).astype(np.int32)
        sub_season = np.asarray(p.hazard_seasonality)
        buy_season = np.asarray(p.retail_purchase_seasonality)
        first_campaign = _month_index(p.campaign_first_month)
        broken = _month_index(p.broken_campaign_month)
        loyalty = _month_index(p.uncontrolled_campaign_month)
        winback = {_month_index(x) for x in p.winback_months}
        last_contact = np.full(n, -99, dtype=np.int16)
        boosted_until = np.full(n, -1, dtype=np.int16)
        last_buy = self.sday.copy()  # the first order is on the signup date (invoices are not tracked)
        is_ret_all = self.unit == _RET
        # the campaigns draw from their own stream: changing a campaign's design leaves the rest as it was
        crng = np.random.default_rng([self.seed, 14])
        ticket_mult = np.where(self.early, p.ticket_rate_complainer_multiplier, 1.0) * p.ticket_rate

        orders_c, orders_d = [np.arange(n, dtype=np.int32)], [self.sday]  # first invoice / order
        tick_c, tick_d = [], []
        surv_c, surv_d = [], []
        self._camp: list[tuple[int, int, np.ndarray, np.ndarray]] = []

        for m in range(N_MONTHS):
            ms, me = int(_MONTH_BOUNDS[m]), int(_MONTH_BOUNDS[m + 1])
            dim = me - ms
            cal = m % 12
            hi = int(np.searchsorted(self.sday, me, side="left"))
            idx = np.flatnonzero(end[:hi] == _BIG).astype(np.int32)
            if idx.size == 0:
                continue
            s = self.sday[idx]
            u = self.unit[idx]
            is_sub = u == _SUB
            a = np.maximum(ms, s + 1)  # first day at risk in this month
            expo = (me - a) / dim
            tenure = m - self.smonth[idx].astype(np.int32)
            mult = np.where(is_sub, sub_season[cal], 1.0)
            renewal = is_sub & (tenure >= 11) & np.isin(tenure % 12, (11, 0))
            mult[renewal] *= p.renewal_hr
            # campaigns, sent on the 1st (day ms) to customers alive then and signed up before
            if m >= first_campaign:
                elig = self.campaign_unit[idx] & (s < ms) & (last_contact[idx] < m - p.campaign_cooldown_months)
                sel = np.flatnonzero(elig & (crng.random(idx.size) < p.campaign_target_share))
                who = idx[sel]
                treat = crng.random(sel.size) < p.campaign_treatment_share
                if m == broken:  # agents overrode the split for the customers they judged at risk
                    treat |= self.risk_tier[who] >= 1
                last_contact[who] = m
                treated_until[who[treat]] = m + p.campaign_effect_months - 1
                self._contact(0, m, who, treat)
            if m == loyalty:
                who = idx[np.flatnonzero(is_ret_all[idx] & (s < ms)
                                         & (crng.random(idx.size) < p.uncontrolled_target_share))]
                self._contact(1, m, who, np.ones(who.size, bool))
            if m in winback:
                lapsed = np.flatnonzero(is_ret_all & (self.sday < ms) & (last_buy <= ms - p.winback_lapsed_days))
                who = lapsed[crng.random(lapsed.size) < p.winback_target_share].astype(np.int32)
                treat = crng.random(who.size) < p.winback_treatment_share
                boosted_until[who[treat]] = m + p.winback_effect_months - 1
                self._contact(2, m, who, treat)
            mult[treated_until[idx] >= m] *= self.campaign_hr[idx][treated_until[idx] >= m]
            prob = -np.expm1(-self.base_h[idx] * mult * expo)
            churn = rng.random(idx.size) < prob
            b = np.full(idx.size, me, dtype=np.int32)  # first day not alive (exclusive end)
            ci = np.flatnonzero(churn)
            b[ci] = a[ci] + (rng.random(ci.size) * (me - a[ci])).astype(np.int32)
            end[idx[ci]] = b[ci]
            alive = np.maximum(b - a, 0)
            frac = alive / dim

            # subscription invoices after the signup month
            inv = ms + inv_dom[idx] - 1
            keep = is_sub & (tenure > 0) & (inv < b)
            orders_c.append(idx[keep])
            orders_d.append(inv[keep].astype(np.int32))

            # retail and b2b orders: Poisson on uniform days while alive
            boost = np.where(boosted_until[idx] >= m, p.winback_rate_multiplier, 1.0)
            lam = np.where(is_sub, 0.0, self.rate[idx] * np.where(u == _RET, buy_season[cal], 1.0) * frac * boost)
            k = rng.poisson(np.nan_to_num(lam))
            n_before = len(orders_c)
            self._events(rng, idx, a, alive, k, orders_c, orders_d)
            if len(orders_c) > n_before:
                np.maximum.at(last_buy, orders_c[-1], orders_d[-1])

            # support tickets
            k = rng.poisson(ticket_mult[idx] * frac)
            self._events(rng, idx, a, alive, k, tick_c, tick_d)

            # later surveys (from day 31 after signup)
            a2 = np.maximum(a, s + p.later_survey_min_days)
            span2 = np.maximum(b - a2, 0)
            hit = np.flatnonzero(rng.random(idx.size) < p.later_survey_rate * span2 / dim)
            surv_c.append(idx[hit])
            surv_d.append((a2[hit] + (rng.random(hit.size) * span2[hit]).astype(np.int32)).astype(np.int32))


        self.end = end
        self.order_c = np.concatenate(orders_c)
        self.order_d = np.concatenate(orders_d)
        self.tick_c, self.tick_d = np.concatenate(tick_c), np.concatenate(tick_d)
        self.surv_c, self.surv_d = np.concatenate(surv_c), np.concatenate(surv_d)
        parts = self._camp
        self.camp_k = np.concatenate([np.full(w.size, k, np.int8) for k, _, w, _ in parts] or [np.empty(0, np.int8)])
        self.camp_m = np.concatenate([np.full(w.size, m, np.int16) for _, m, w, _ in parts] or [np.empty(0, np.int16)])
        self.camp_c = np.concatenate([w for *_, w, _ in parts] or [np.empty(0, np.int32)])
        self.camp_t = np.concatenate([t for *_, t in parts] or [np.empty(0, bool)])

    def _contact(self, kind: int, month: int, who: np.ndarray, treat: np.ndarray) -> None:
        """Record the contacts of one campaign (kind: index in _CAMPAIGN_KINDS)."""
        self._camp.append((kind, month, who.astype(np.int32), np.asarray(treat, bool)))

    @staticmethod
    def _events(rng: np.random.Generator, idx: np.ndarray, a: np.ndarray, span: np.ndarray,
                k: np.ndarray, out_c: list, out_d: list) -> None:
        """Append ``k[i]`` events of customer ``idx[i]`` on uniform days in ``[a, a + span)``."""
        sel = np.flatnonzero(k)
        if sel.size == 0:
            return
        reps = k[sel]
        c = np.repeat(idx[sel], reps)
        d = np.repeat(a[sel], reps) + (rng.random(c.size) * np.repeat(span[sel], reps)).astype(np.int32)
        out_c.append(c)
        out_d.append(d.astype(np.int32))

    # -- tables -------------------------------------------------------------------------
    def run(self) -> DemoData:
        self._draw_customers()
        self._simulate()
        self._churn_details()
        self.cust_width = max(7, len(str(self.n)))
        self.cust_ids = _ids("C", np.arange(1, self.n + 1), self.cust_width)
        orders, dq, orders_by_unit = self._orders()
        interactions, inter_counts = self._interactions()
        campaigns = self._campaigns()
        customers = self._customers_frame()
        truth_customers = self._truth_customers()
        truth = self._truth(customers, orders, interactions, campaigns, dq, orders_by_unit, inter_counts)
        return DemoData(
            customers=customers, orders=orders, interactions=interactions,
            campaigns=campaigns, truth_customers=truth_customers, truth=truth,
        )

    def _churn_details(self) -> None:
        p, rng, n = self.p, self.rng, self.n
        churned = (self.unit == _SUB) & (self.end < _BIG)
        invol = rng.random(n) < p.involuntary_share
        vol_reasons, inv_reasons = list(p.voluntary_reasons), list(p.involuntary_reasons)
        vr = _choice(rng, n, p.voluntary_reasons.values()).astype(np.int16)
        ir = len(vol_reasons) + _choice(rng, n, p.involuntary_reasons.values()).astype(np.int16)
        self.churn_type = np.where(churned, invol.astype(np.int16), -1)
        self.churn_reason = np.where(churned, np.where(invol, ir, vr), -1)
        self.reasons = vol_reasons + inv_reasons

    def _orders(self) -> tuple[pd.DataFrame, dict[str, int], dict[str, int]]:
        p, rng, n = self.p, self.rng, self.n
        c, d = self.order_c, self.order_d
        del self.order_c, self.order_d
        uo = self.unit[c]
        nb = c.size
        is_sub, is_ret = uo == _SUB, uo == _RET

        # amounts: plan price or a log-normal draw around the customer's log-mean
        prices = np.array([p.plan_price[k] for k in _PLANS] + [0.0])
        gross = rng.standard_normal(nb)
        gross *= self.sigma_order[c]
        gross += self.mu[c]
        np.exp(gross, out=gross)
        np.maximum(gross, 1.0, out=gross)
        gross[is_sub] = prices[self.plan[c[is_sub]]]
        gross = np.round(gross, 2)
        frac = np.asarray(p.retail_discount_fractions)[
            rng.integers(0, len(p.retail_discount_fractions), nb)]
        frac[is_sub] = p.invoice_discount_fraction
        frac[uo == _B2B] = p.b2b_discount_fraction
        disc_rate = np.array([p.invoice_discount_rate, p.retail_discount_rate, p.b2b_discount_rate])
        frac[rng.random(nb) >= disc_rate[uo]] = 0.0
        discount = np.round(gross * frac, 2)
        del frac
        amount = np.round(gross - discount, 2)
        del gross

        # categories and sales channels
        cats = list(p.retail_category_mix) + ["subscription", "wholesale"]
        category = _choice(rng, nb, p.retail_category_mix.values())
        category[is_sub] = cats.index("subscription")
        category[uo == _B2B] = cats.index("wholesale")
        chan = np.empty(nb, dtype=np.int8)
        for code, unit in enumerate(UNITS):
            mask = uo == code
            chan[mask] = _choice(rng, int(mask.sum()), [p.order_channel_mix[unit][x] for x in _ORDER_CHANNELS])
        by_unit = {unit: int((uo == code).sum()) for code, unit in enumerate(UNITS)}
        del is_sub, uo

        # refunds of retail orders (not of orders on the last day)
        eligible = is_ret & (d < _LAST_DAY)
        del is_ret
        pick = np.flatnonzero(eligible & (rng.random(nb) < p.refund_rate))
        del eligible
        room = np.minimum(p.refund_max_delay_days, _LAST_DAY - d[pick])
        ref_d = d[pick] + 1 + (rng.random(pick.size) * room).astype(np.int32)

        # orders of unknown customers (about two rows per unknown id)
        n_unk = max(p.unknown_customer_min, round(p.unknown_customer_share * nb))
        n_unk_ids = max(1, n_unk // 2)
        unk_code = rng.integers(0, n_unk_ids, n_unk)
        unk_d = rng.integers(0, _LAST_DAY + 1, n_unk).astype(np.int32)
        sd = p.retail_amount_sigma_order
        unk_amount = np.round(np.maximum(np.exp(
            np.log(p.retail_amount_mean) - 0.5 * sd**2 + sd * rng.standard_normal(n_unk)), 1.0), 2)
        unk_cat = _choice(rng, n_unk, p.retail_category_mix.values())
        unk_chan = _choice(rng, n_unk, [p.order_channel_mix["retail"][x] for x in _ORDER_CHANNELS])

        # all rows in (date, customer) order; kind 0 ordinary, 1 refund, 2 unknown customer
        cust = np.concatenate([c, c[pick], (n + unk_code).astype(np.int32)])
        day = np.concatenate([d, ref_d, unk_d])
        del c, d
        key = day.astype(np.int64)
        key *= n + n_unk_ids + 1
        key += cust
        perm = np.argsort(key, kind="stable").astype(np.int32)
        del key
        total = perm.size
        kind = np.concatenate([np.zeros(nb, np.int8), np.ones(pick.size, np.int8), np.full(n_unk, 2, np.int8)])

        # exact duplicates of ordinary rows, placed right after their original
        n_dup = max(p.duplicate_min, round(p.duplicate_share * nb))
        ordinary = np.flatnonzero(kind[perm] == 0)
        dup_pos = np.sort(ordinary[rng.choice(ordinary.size, size=n_dup, replace=False)])
        del ordinary
        counts = np.ones(total, dtype=np.int8)
        counts[dup_pos] = 2
        rows = np.repeat(perm, counts)
        del perm
        order_ids = _ids("O", np.repeat(np.arange(1, total + 1, dtype=np.int64), counts),
                         max(8, len(str(total))))
        del counts

        unk_ids = _ids("U", np.arange(1, n_unk_ids + 1), self.cust_width)
        customer_ids = pa.concat_arrays([self.cust_ids, unk_ids]).take(pa.array(cust[rows]))
        del cust
        columns = {
            "order_id": _str_series(order_ids),
            "customer_id": _str_series(customer_ids),
            "order_date": _dates(day[rows]),
        }
        del day
        columns["amount"] = np.concatenate([amount, -amount[pick], unk_amount])[rows]
        del amount
        columns["category"] = _cat(np.concatenate([category, category[pick], unk_cat])[rows], cats)
        columns["channel"] = _cat(np.concatenate([chan, chan[pick], unk_chan])[rows], _ORDER_CHANNELS)
        columns["discount"] = np.concatenate([discount, np.zeros(pick.size + n_unk)])[rows]
        columns["returned"] = kind[rows] == 1
        orders = pd.DataFrame(columns, copy=False)
        dq = {
            "unknown_customer_orders": int(n_unk),
            "unknown_customer_ids": int(np.unique(unk_code).size),
            "duplicate_order_rows": int(n_dup),
            "refund_rows": int(pick.size),
        }
        return orders, dq, by_unit

    def _interactions(self) -> tuple[pd.DataFrame, dict[str, int]]:
        p = self.p
        # early complaints: never on/after the churn date nor after the window
        ec = np.flatnonzero(self.early)
        ec_d = np.minimum(np.minimum(self.complaint_day[ec], _LAST_DAY), self.end[ec] - 1)
        # onboarding NPS survey, logged when dated within the window
        ns = np.flatnonzero(self.nps_resp & (self.survey_day <= _LAST_DAY))
        later_score = _choice(self.rng, self.surv_c.size, p.nps_score_probs)
        c = np.concatenate([self.tick_c, ec, ns, self.surv_c]).astype(np.int64)
        d = np.concatenate([self.tick_d, ec_d, self.survey_day[ns], self.surv_d]).astype(np.int64)
        kind = np.concatenate([
            np.zeros(self.tick_c.size, np.int8), np.ones(ec.size, np.int8),
            np.full(ns.size + self.surv_c.size, 2, np.int8)])
        score = np.concatenate([
            np.zeros(self.tick_c.size + ec.size, np.int8), self.nps_score[ns], later_score])
        perm = np.lexsort((kind, c, d))
        kind_p = kind[perm]
        frame = pd.DataFrame({
            "customer_id": _str_series(self.cust_ids.take(pa.array(c[perm]))),
            "date": _dates(d[perm]),
            "kind": _cat(kind_p, _KINDS),
            "score": pd.arrays.IntegerArray(score[perm], kind_p != 2),
        })
        counts = {k: int((kind == i).sum()) for i, k in enumerate(_KINDS)}
        counts["onboarding_surveys"] = int(ns.size)
        return frame, counts

    def _campaigns(self) -> pd.DataFrame:
        p = self.p
        perm = np.lexsort((self.camp_c, self.camp_k, self.camp_m))
        cm = self.camp_m[perm].astype(np.int64)
        ck = self.camp_k[perm].astype(np.int64)
        treat = self.camp_t[perm]
        code = cm * len(_CAMPAIGN_KINDS) + ck
        uniq, inv = np.unique(code, return_inverse=True)
        names = [f"{_CAMPAIGN_KINDS[c % len(_CAMPAIGN_KINDS)]}-{2023 + c // len(_CAMPAIGN_KINDS) // 12}-"
                 f"{c // len(_CAMPAIGN_KINDS) % 12 + 1:02d}" for c in uniq]
        cost = np.array([p.campaign_cost, p.uncontrolled_cost, p.winback_cost])[ck]
        return pd.DataFrame({
            "customer_id": _str_series(self.cust_ids.take(pa.array(self.camp_c[perm]))),
            "campaign_id": _cat(inv, names),
            "sent_date": _dates(_MONTH_BOUNDS[cm]),
            "group": _cat(np.where(treat, 0, 1), ("treatment", "control")),
            "cost": np.where(treat, cost, 0.0),
        })

    def _customers_frame(self) -> pd.DataFrame:
        sub_end = np.where(self.unit == _SUB, self.end, _BIG)
        return pd.DataFrame({
            "customer_id": _str_series(self.cust_ids),
            "business_unit": _cat(self.unit, UNITS),
            "signup_date": _dates(self.sday),
            "channel": _cat(self.channel, _CHANNELS),
            "region": _cat(self.region, _REGIONS),
            "plan": _cat(self.plan, _PLANS),
            "segment": _cat(self.segment, _SEGMENTS),
            "churn_date": _dates(sub_end),
            "churn_type": _cat(self.churn_type, _CHURN_TYPES),
            "churn_reason": _cat(self.churn_reason, self.reasons),
            "referred_by": self._referrers(),
        })

    def _referrers(self) -> pd.Series:
        """``referred_by`` of every customer (see ``PlantedTruth.referral_weight``); own random stream."""
        rng = np.random.default_rng([self.seed, 1013])
        out = np.full(self.n, -1, dtype=np.int64)
        referred = self.channel == _CHANNELS.index("referral")
        prices = np.array([self.p.plan_price[k] for k in _PLANS])
        for u, name in enumerate(UNITS):
            members = np.flatnonzero(self.unit == u)  # in signup order (ids follow it)
            if members.size < 2:
                continue
            if self.p.referral_weight[name] == "price":
                w = prices[np.clip(self.plan[members], 0, len(_PLANS) - 1)]
            else:
                w = np.nan_to_num(self.rate[members], nan=0.0)
            cum = np.cumsum(w)
            js = np.flatnonzero(referred[members])
            js = js[js > 0]
            js = js[cum[js - 1] > 0]  # somebody earlier who can refer
            # a draw below cum[j - 1] lands on one of the j earlier customers, with probability w / cum[j - 1]
            k = np.searchsorted(cum, rng.random(js.size) * cum[js - 1], side="right")
            out[members[js]] = members[np.minimum(k, js - 1)]
        ids = _str_series(self.cust_ids).to_numpy(dtype=object)
        return pd.Series(np.where(out >= 0, ids[np.maximum(out, 0)], None), dtype="str")

    def _truth_customers(self) -> pd.DataFrame:
        return pd.DataFrame({
            "customer_id": _str_series(self.cust_ids),
            "business_unit": _cat(self.unit, UNITS),
            "true_churn_date": _dates(self.end),
            "early_complaint": self.early,
            "nps_detractor": self.detractor,
            "nps_score": pd.arrays.IntegerArray(self.nps_score.astype(np.int8), ~self.nps_resp),
            "purchase_rate": np.round(self.rate, 6),
            "dropout_prob": np.round(self.q, 6),
            "mean_order_value": np.round(self.mean_value, 2),
            "risk_tier": pd.Categorical.from_codes(self.risk_tier, categories=list(_RISK_TIERS)),
            "campaign_hr": self.campaign_hr,
        })

    def _truth(self, customers: pd.DataFrame, orders: pd.DataFrame, interactions: pd.DataFrame,
               campaigns: pd.DataFrame, dq: dict[str, int], orders_by_unit: dict[str, int],
               inter_counts: dict[str, int]) -> dict[str, Any]:
        unit, ended = self.unit, self.end < _BIG
        sub_churn = (unit == _SUB) & ended
        treat = int(self.camp_t.sum())
        first = _month_index(self.p.campaign_first_month)
        return {
            "generator": {"module": __name__, "function": "generate_demo",
                          "n_customers": self.n, "seed": self.seed},
            "window": {"start": START, "end": END, "end_month": END_MONTH, "n_months": N_MONTHS},
            "planted": self.p.to_dict(),
            "customers": {
                "total": self.n,
                "by_unit": {u: int((unit == i).sum()) for i, u in enumerate(UNITS)},
                "early_complaint": int(self.early.sum()),
                "nps_respondents": int(self.nps_resp.sum()),
                "nps_detractors": int(self.detractor.sum()),
            },
            "orders": {
                "rows": len(orders),
                "ordinary_rows": int(sum(orders_by_unit.values())),
                "by_unit": orders_by_unit,
            },
            "churn": {
                "subscriptions": {
                    "churned": int(sub_churn.sum()),
                    "voluntary": int((self.churn_type == 0).sum()),
                    "involuntary": int((self.churn_type == 1).sum()),
                },
                "retail": {"dropped_out": int(((unit == _RET) & ended).sum())},
                "b2b": {"dropped_out": int(((unit == _B2B) & ended).sum())},
            },
            "interactions": {"rows": len(interactions), **inter_counts},
            "campaigns": {
                "rows": len(campaigns),
                "treatment": treat,
                "control": int(self.camp_t.size - treat),
                "n_campaigns": int(campaigns["campaign_id"].nunique()),
                "n_retention_campaigns": N_MONTHS - first,
                "first_campaign": f"RET-{self.p.campaign_first_month}",
                "last_campaign": f"RET-{END_MONTH}",
                "broken_randomisation": f"RET-{self.p.broken_campaign_month}",
                "no_control_group": f"LOYALTY-{self.p.uncontrolled_campaign_month}",
                "win_back": [f"WINBACK-{m}" for m in self.p.winback_months],
                "risk_tier_customers": {t: int((self.risk_tier == i).sum()) for i, t in enumerate(_RISK_TIERS)},
            },
            "data_quality": dq,
        }
