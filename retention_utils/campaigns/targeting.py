"""Whom to contact next: the uplift model from past randomised campaigns, its out-of-time check, the list.

1. Training rows: the contacts of the measured retention campaigns (control group, sound randomisation,
   horizon elapsed) who were at risk on the send date; outcome: lost within the horizon (``outcome_h``); features:
   what was known before sending (:data:`~retention_utils.engine.campaigns.PRE_COLUMNS` and the customer
   attributes).
   Two learners (:data:`LEARNERS`): the two-model learner, and the effect by band of predicted risk
   (:class:`RiskBandUplift`); the one that ranks better on the newest training campaigns, fitted on the
   older ones, is used.
2. Out of time: the model is fitted on the older campaigns and checked on the latest
   ``holdout_campaigns`` with a Qini curve against random targeting; the effect per third of predicted
   risk on those campaigns shows where contacts help.
3. Only when the model beats random on the holdout is a list recommended: refitted on every campaign
   (the closed loop: each month's measured outcomes enter the next month's model), every customer at
   risk today is scored, and the budget's contacts go to the largest expected saving (uplift, times
   the customer's CLV when the value report ran), side by side with contacting the highest-risk customers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..engine.campaigns import PRE_COLUMNS
from .contacts import scoring_contacts
from .effects import effects_frame, proportion_effect

__all__ = ["Targeting", "targeting_analysis", "write_recommended", "RECOMMENDED_FILE"]

_THIRDS = ("lowest third", "middle third", "highest third")


@dataclass(frozen=True)
class Targeting:
    """The uplift model's check and next month's list (``learner``: which of :data:`LEARNERS` was chosen).

    Attributes
    ----------
    status : str
        ``recommended``, ``no_lift`` (the model does not beat random on the holdout: no list),
        ``too_few`` (not enough randomised contacts) or ``none`` (no measured campaign).
    sentence : str
        Plain words for the headline.
    train_campaigns, holdout_campaigns : tuple of str
    qini : DataFrame
        :func:`~retention_utils.campaigns.uplift.qini_curve` of the holdout.
    qini_area, qini_perfect_area : float
    comparison : DataFrame
        :func:`~retention_utils.campaigns.uplift.targeting_comparison` on the holdout.
    by_risk : DataFrame
        ``segment`` (third of predicted risk) and the effect columns of churn within the horizon.
    recommended : DataFrame
        ``rank, customer_id, uplift, risk, value, expected_saved`` (empty without a list).
    budget_contacts : int
    expected_saved_uplift, expected_saved_risk, extra_saved : float
        Expected customers saved by the list, by the same number of highest-risk customers, and the difference.
    """

    status: str
    sentence: str
    train_campaigns: tuple[str, ...] = ()
    holdout_campaigns: tuple[str, ...] = ()
    qini: pd.DataFrame = field(default_factory=pd.DataFrame)
    qini_area: float = float("nan")
    qini_perfect_area: float = float("nan")
    qini_p: float = float("nan")
    comparison: pd.DataFrame = field(default_factory=pd.DataFrame)
    by_risk: pd.DataFrame = field(default_factory=pd.DataFrame)
    recommended: pd.DataFrame = field(default_factory=pd.DataFrame)
    budget_contacts: int = 0
    expected_saved_uplift: float = float("nan")
    expected_saved_risk: float = float("nan")
    extra_saved: float = float("nan")
    value_based: bool = False
    learner: str = ""


class RiskBandUplift:
    """Expected effect of a contact by band of predicted churn risk (cross-fitted), on top of the two-model learner.

    The two-model learner's difference ``p_control - p_treated`` is two noisy models subtracted: with the
    effects retention campaigns have (a few points), the noise wins (measured on the 1M-customer benchmark:
    Qini -0.0003 of a perfect 0.357 on 164,000 holdout contacts). Here the control model only ranks customers
    by risk, which it does well, and the effect is measured within each band of that risk as the observed
    churn difference treated - control, which pools the noise. To keep a customer's own outcome out of the
    risk that places them in a band, the bands are cross-fitted: two halves, each scored by the model of the
    other. scikit-learn contract: ``__init__`` stores, ``fit`` returns self, fitted attributes end in ``_``.

    Parameters
    ----------
    n_bands : int
        Most bands of equal size in predicted risk (10: deciles); fewer when the control contacts are few, so
        that each band holds at least ``min_control`` of them (a band's effect is a difference of two rates).
    min_control : int
    random_state : int
    """

    def __init__(self, n_bands: int = 10, *, min_control: int = 500, random_state: int = 0) -> None:
        self.n_bands = n_bands
        self.min_control = min_control
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, treated: Any, y: Any) -> "RiskBandUplift":
        from .uplift import TwoModelUplift

        t, yy = np.asarray(treated, bool), np.asarray(y, int)
        rng = np.random.default_rng(self.random_state)
        fold = rng.random(len(t)) < 0.5
        oof = np.empty(len(t))
        for f in (True, False):
            m = TwoModelUplift(random_state=self.random_state).fit(X[fold != f], t[fold != f], yy[fold != f])
            oof[fold == f] = m.predict_risk(X[fold == f])
        k = int(np.clip((~t).sum() // self.min_control, 2, self.n_bands))
        self.edges_ = np.unique(np.quantile(oof, np.linspace(0, 1, k + 1)[1:-1]))
        band = np.searchsorted(self.edges_, oof, side="right")
        eff = np.zeros(len(self.edges_) + 1)
        for b in range(len(eff)):
            s = band == b
            nt, nc = int((s & t).sum()), int((s & ~t).sum())
            eff[b] = (yy[s & ~t].mean() - yy[s & t].mean()) if nt and nc else 0.0
        self.band_effect_ = eff
        self.model_ = TwoModelUplift(random_state=self.random_state).fit(X, t, yy)
        return self

    def predict_risk(self, X: pd.DataFrame) -> np.ndarray:
        return self.model_.predict_risk(X)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Expected reduction of the churn probability by a contact: the effect measured in the customer's band."""
        return self.band_effect_[np.searchsorted(self.edges_, self.predict_risk(X), side="right")]


#: The learners tried: the two-model learner, and the effect by band of predicted risk built on it.
LEARNERS: tuple[str, ...] = ("two_model", "risk_bands")


def _learner(name: str, seed: int) -> Any:
    from .uplift import TwoModelUplift

    return TwoModelUplift(random_state=seed) if name == "two_model" else RiskBandUplift(random_state=seed)


def _choose_learner(train: pd.DataFrame, attrs: list[str], k: int, seed: int) -> str:
    """The learner whose ranking saves more on the newest training campaigns when fitted on the older ones.

    Chosen out of time inside the training campaigns (the holdout stays unseen, so its check is still
    honest). Neither learner wins everywhere: the two-model learner where effects are large, the risk bands
    where they are a few points.
    """
    from .uplift import qini_coefficient, qini_curve

    ids = list(dict.fromkeys(train.sort_values("sent_date")["campaign_id"]))
    if len(ids) < 2 * max(k, 1):
        return "risk_bands"
    old, new = train[train["campaign_id"].isin(ids[:-k])], train[train["campaign_id"].isin(ids[-k:])]
    Xo = _features(old, attrs)
    Xn = _align(_features(new, attrs), Xo)
    best, score = "risk_bands", -np.inf
    for name in LEARNERS:
        try:
            m = _learner(name, seed).fit(Xo, old["treated"].to_numpy(), old["outcome_h"].to_numpy(int))
        except ValueError:
            continue
        q = qini_coefficient(qini_curve(m.predict(Xn), new["treated"].to_numpy(), new["outcome_h"].to_numpy(int)))
        if q > score:
            best, score = name, q
    return best


def _measured_at(comp: pd.DataFrame, share: float) -> str:
    """The check campaigns' customers saved by the top ``share`` by expected effect vs by risk (observed)."""
    c = comp[comp["share_targeted"].round(2) == share].set_index("policy") if len(comp) else comp
    if not {"uplift", "risk"} <= set(c.index):
        return ""
    u, r = c.loc["uplift"], c.loc["risk"]
    return (f"; on the check campaigns, the {share:.0%} it ranks first saved {u['saved']:,.0f} customers "
            f"({u['ci_lower']:,.0f} to {u['ci_upper']:,.0f}) against {r['saved']:,.0f} ({r['ci_lower']:,.0f} to "
            f"{r['ci_upper']:,.0f}) for the {share:.0%} at highest risk")


def _no_lift_sentence(comp: pd.DataFrame, p: float) -> str:
    """What the check campaigns show when the model does not beat random targeting (and no list follows)."""
    s = ("The model of whom a contact helps does not beat random targeting on the latest campaigns"
         + (f" (p = {p:.2f})" if np.isfinite(p) else "") + ", so no contact list is recommended from it")
    return s + _measured_at(comp, 0.2) + ". Keep a control group in every campaign."


def _features(frame: pd.DataFrame, attrs: list[str]) -> pd.DataFrame:
    cols = [c for c in PRE_COLUMNS if c in frame.columns and frame[c].notna().any()]
    X = frame[cols].astype(float)
    for a in attrs:
        if a in frame.columns:
            X[a] = frame[a].astype("category")
    return X


def _align(X: pd.DataFrame, like: pd.DataFrame) -> pd.DataFrame:
    """``X`` with the training frame's columns and category levels (unknown levels become missing)."""
    out = pd.DataFrame(index=X.index)
    for c in like.columns:
        if isinstance(like[c].dtype, pd.CategoricalDtype):
            out[c] = pd.Categorical(X[c] if c in X else None, categories=like[c].cat.categories)
        else:
            out[c] = X[c].astype(float) if c in X else np.nan
    return out


def targeting_analysis(data: Any, spec: Any, cd: Any, camp: pd.DataFrame, *, attributes: list[str], seed: int = 0,
                       scores: pd.DataFrame | None = None, value: pd.DataFrame | None = None) -> Targeting:
    """Fit, check out of time, and (when it beats random) recommend next month's contacts."""
    from .uplift import qini_curve, qini_summary, recommend_contacts, targeting_comparison

    ok = camp[(camp["kind"] == "retention") & (camp["status"] == "measured")].sort_values("sent_date")
    if ok.empty:
        return Targeting("none", "")
    c = cd.contacts
    rows = c[c["campaign_id"].isin(ok["campaign_id"]) & c["at_risk"] & c["observed_h"]]
    ids = list(ok["campaign_id"])
    k = min(spec.holdout_campaigns, max(len(ids) - 1, 0))
    train_ids, hold_ids = tuple(ids[: len(ids) - k]), tuple(ids[len(ids) - k:])
    attrs = [a for a in attributes if a in c.columns]
    train, hold = rows[rows["campaign_id"].isin(train_ids)], rows[rows["campaign_id"].isin(hold_ids)]
    X = _features(train, attrs)
    try:
        learner = _choose_learner(train, attrs, k, seed)
        model = _learner(learner, seed).fit(X, train["treated"].to_numpy(), train["outcome_h"].to_numpy(int))
    except ValueError as exc:
        return Targeting("too_few", f"No uplift targeting yet: {exc}", train_ids, hold_ids)
    if hold.empty:
        return Targeting("too_few", "No uplift targeting yet: no later campaign to check the model on.",
                         train_ids, hold_ids)
    Xh = _align(_features(hold, attrs), X)
    up, risk = model.predict(Xh), model.predict_risk(Xh)
    th, yh = hold["treated"].to_numpy(), hold["outcome_h"].to_numpy(int)
    curve = qini_curve(up, th, yh)
    summ = qini_summary(up, th, yh)
    comp = targeting_comparison(up, risk, th, yh, shares=(0.1, 0.2, 0.3, 0.5))
    thirds = pd.qcut(pd.Series(risk).rank(method="first"), 3, labels=list(_THIRDS))
    parts = []
    for name in _THIRDS:
        sel = (thirds == name).to_numpy()
        t, y = th[sel], yh[sel].astype(bool)
        if t.sum() >= spec.min_group and (~t).sum() >= spec.min_group:
            parts.append(effects_frame([proportion_effect(y[t], y[~t], metric="lost_h")]).assign(segment=name))
    by_risk = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    s0 = summ.iloc[0]
    base: dict[str, Any] = dict(train_campaigns=train_ids, holdout_campaigns=hold_ids, qini=curve,
                qini_area=float(s0["qini_coefficient"]), qini_perfect_area=float(s0["perfect_qini_coefficient"]),
                qini_p=float(s0["p_value"]), comparison=comp, by_risk=by_risk, learner=learner)
    if not bool(s0["beats_random"]):
        return Targeting("no_lift", _no_lift_sentence(comp, float(s0["p_value"])), **base)
    # refit on every measured campaign (the closed loop) and score today's customers
    Xall = _features(rows, attrs)
    model = _learner(learner, seed).fit(Xall, rows["treated"].to_numpy(), rows["outcome_h"].to_numpy(int))
    now = scoring_contacts(data, spec, attributes=attrs)
    if now.empty:
        return Targeting("too_few", "No customer at risk to score.", **base)
    Xn = _align(_features(now, attrs), Xall)
    sc = pd.DataFrame({"customer_id": now["customer_id"].to_numpy(), "uplift": model.predict(Xn),
                       "risk": model.predict_risk(Xn)})
    if scores is not None and len(scores):
        p = scores[["customer_id", "probability"]].astype({"customer_id": str})
        sc = sc.merge(p, on="customer_id", how="left")
        sc["risk"] = sc["probability"].fillna(sc["risk"])
        sc = sc.drop(columns="probability")
    value_based = value is not None and len(value) > 0
    if value_based:
        v = value[["customer_id", "clv_if_stays"]].astype({"customer_id": str}).rename(columns={"clv_if_stays": "value"})
        sc = sc.merge(v, on="customer_id", how="left")
        sc["value"] = sc["value"].fillna(0.0)
    budget = spec.budget_contacts
    if budget is None and spec.budget is not None:
        cost = c.loc[c["treated"] & c["campaign_id"].isin(ok["campaign_id"]), "cost"].mean()
        budget = int(spec.budget // cost) if cost and np.isfinite(cost) and cost > 0 else None
    if budget is None:
        budget = int(round(ok["n_treated"].mean()))
    budget = max(1, min(int(budget), len(sc)))
    rec = recommend_contacts(sc, budget_contacts=budget)
    cmp_ = rec.comparison.set_index("policy")
    s_up, s_risk = float(cmp_.loc["uplift", "expected_saved"]), float(cmp_.loc["risk", "expected_saved"])
    extra = s_up - s_risk
    measured = _measured_at(comp, 0.2)
    sentence = (f"Next month: the model predicts that contacting the {len(rec.contacts):,} customers with the largest "
                f"expected effect saves about {s_up:,.0f} customers, {extra:,.0f} more than as many highest-risk "
                f"customers ({s_risk:,.0f}){measured}" + (
                    f"; the budget allows {budget:,}, but the model expects no good from contacting the others"
                    if len(rec.contacts) < budget else "") + ".")
    contacts = rec.contacts.assign(expected_saved=rec.contacts["uplift"])
    return Targeting("recommended", sentence, **base, recommended=contacts, budget_contacts=budget,
                     expected_saved_uplift=s_up, expected_saved_risk=s_risk, extra_saved=extra,
                     value_based=value_based)


RECOMMENDED_FILE = "recommended_contacts.csv"


def write_recommended(result: Any, output_dir: Any) -> Any:
    """Write next month's list ``recommended_contacts.csv`` into ``output_dir`` (nothing without a list).

    Through :func:`retention_utils.exports.write_csv` (formula cells neutralised, rates rounded). Returns the
    path, or None for an interactive run (``output_dir`` empty) or when no list is recommended.
    """
    from pathlib import Path

    from ..errors import ConfigError
    from ..exports import write_csv

    t = getattr(result, "targeting", result)
    if not output_dir or t is None or getattr(t, "status", "") != "recommended" or t.recommended.empty:
        return None
    out = Path(output_dir)
    if not out.is_dir():
        raise ConfigError(f"output_dir {str(out)!r} is not a folder; the report runner passes the unit's report "
                          "folder, leave it empty in interactive runs.")
    return write_csv(t.recommended, out / RECOMMENDED_FILE, money=["value"] if "value" in t.recommended else [],
                     rates=["uplift", "risk", "expected_saved"])
