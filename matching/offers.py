"""Organizations' resource offers for micro-wishes: the same machinery with another candidate set.

An offer's remaining stock is its capacity (each wish takes one unit); a wish takes one offer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from matching.assign import solve_assignment
from matching.candidates import VolunteerIndex
from matching.data import TargetArrays
from matching.engine import Assignment, Ranking
from matching.model import PriorScorer, explanation_from, score_pairs

OFFER_FEATURE_NAMES = ("distance_km", "category_match", "past_category_work", "past_work", "stock", "urgency",
                       "days_until_needed")
OFFER_LABELS_ZH = {
    "distance_km": "距离（公里）", "category_match": "物资/服务类别对口", "past_category_work": "曾完成同类心愿",
    "past_work": "曾完成的心愿数", "stock": "剩余数量", "urgency": "紧急程度", "days_until_needed": "距需要日期的天数",
}
OFFER_LABELS_EN = {
    "distance_km": "distance (km)", "category_match": "category match", "past_category_work": "past wishes of this kind",
    "past_work": "wishes fulfilled before", "stock": "stock left", "urgency": "urgency",
    "days_until_needed": "days until needed",
}
# weight, centre, scale per feature, in OFFER_FEATURE_NAMES order.
OFFER_PRIOR = np.array([
    (-0.6, 5.0, 5.0), (1.5, 0.5, 0.5), (0.5, 1.0, 2.0), (0.3, 3.0, 5.0), (0.2, 3.0, 5.0), (0.3, 0.5, 0.3),
    (-0.1, 7.0, 7.0),
])


@dataclass(eq=False)
class OfferArrays:
    """Open resource offers (index o ↔ ids[o]).

    organization int64[o]; lat, lon float[o] (the organization's place; NaN = not a candidate);
    category int64[o] (-1 = any kind); remaining int64[o] stock; category_history float[o,K]
    wishes of each category the organization fulfilled before.
    """

    ids: np.ndarray
    organization: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    category: np.ndarray
    remaining: np.ndarray
    category_history: np.ndarray | None = None
    _cache: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.ids = np.asarray(self.ids, np.int64).reshape(-1)
        o = self.ids.shape[0]
        self.organization = np.asarray(self.organization, np.int64).reshape(o)
        self.lat = np.asarray(self.lat, float).reshape(o)
        self.lon = np.asarray(self.lon, float).reshape(o)
        self.category = np.asarray(self.category, np.int64).reshape(o)
        self.remaining = np.maximum(np.asarray(self.remaining, np.int64).reshape(o), 0)
        hist = np.zeros((o, 1)) if self.category_history is None else np.asarray(self.category_history, float)
        self.category_history = hist.reshape(o, -1) if hist.size else np.zeros((o, 1))

    def __len__(self) -> int:
        return int(self.ids.shape[0])


def offer_prior() -> PriorScorer:
    """The transparent prior for offers (hand-set weights over OFFER_FEATURE_NAMES)."""
    return PriorScorer(weights=OFFER_PRIOR[:, 0], center=OFFER_PRIOR[:, 1], scale=OFFER_PRIOR[:, 2]).fit(
        np.zeros((1, len(OFFER_FEATURE_NAMES))))


def offer_features(offers: OfferArrays, wishes: TargetArrays, oi, wj, distance_km, *, now: float) -> np.ndarray:
    """float[P, len(OFFER_FEATURE_NAMES)] for offer × wish pairs."""
    oi = np.asarray(oi, np.int64)
    wj = np.asarray(wj, np.int64)
    X = np.empty((oi.size, len(OFFER_FEATURE_NAMES)))
    cat = wishes.category[wj]
    X[:, 0] = distance_km
    X[:, 1] = (offers.category[oi] < 0) | (offers.category[oi] == cat)
    hist = offers.category_history
    ok = (cat >= 0) & (cat < hist.shape[1])
    X[:, 2] = np.where(ok, hist[oi, np.clip(cat, 0, hist.shape[1] - 1)], 0.0)
    X[:, 3] = hist.sum(axis=1)[oi]
    X[:, 4] = offers.remaining[oi]
    X[:, 5] = wishes.urgency[wj]
    X[:, 6] = np.maximum((wishes.needed_by[wj] - now) / 86400.0, 0.0)
    return X


def _pairs(offers: OfferArrays, wishes: TargetArrays, radius_km: float, k: int):
    index = offers._cache.get("index") or VolunteerIndex(offers.lat, offers.lon)
    offers._cache["index"] = index
    pairs = index.query(wishes.lat, wishes.lon, radius_km=radius_km, k=k)
    ok = (offers.remaining[pairs.volunteer] > 0) & (wishes.capacity_remaining[pairs.target] > 0)
    return pairs.take(ok)


def _explain(model, X, s):
    contrib = model.explain(X)
    return contrib, [explanation_from(contrib[i], float(s[i]), names=OFFER_FEATURE_NAMES, labels_zh=OFFER_LABELS_ZH,
                                      labels_en=OFFER_LABELS_EN) for i in range(len(s))]


def rank_offers(offers: OfferArrays, wishes: TargetArrays, model=None, *, wish_index: int = 0, top_k: int = 10,
                now: float | None = None, radius_km: float = 20.0) -> Ranking:
    """Best offers for one wish; in the Ranking, `volunteer` holds offer indexes."""
    now = time.time() if now is None else float(now)
    model = offer_prior() if model is None else model
    out = Ranking(target_index=int(wish_index))
    if len(offers) == 0 or not (0 <= wish_index < len(wishes)):
        return out
    one = wishes.subset([wish_index])
    pairs = _pairs(offers, one, radius_km, len(offers))
    out.n_considered = out.n_eligible = len(pairs)
    if len(pairs) == 0:
        return out
    X = offer_features(offers, one, pairs.volunteer, pairs.target, pairs.distance_km, now=now)
    s = score_pairs(model, X)
    order = np.lexsort((pairs.distance_km, -s))[:top_k]
    out.volunteer, out.volunteer_ids = pairs.volunteer[order], offers.ids[pairs.volunteer[order]]
    out.score, out.distance_km, out.features = s[order], pairs.distance_km[order], X[order]
    out.contributions, out.explanations = _explain(model, X[order], s[order])
    return out


def match_offers(offers: OfferArrays, wishes: TargetArrays, model=None, *, now: float | None = None,
                 radius_km: float = 20.0, neighbours: int = 32) -> Assignment:
    """Optimal offers for many wishes: each wish one offer, each offer up to its remaining stock.
    In the Assignment, `volunteer` holds offer indexes."""
    now = time.time() if now is None else float(now)
    model = offer_prior() if model is None else model
    out = Assignment(feature_names=OFFER_FEATURE_NAMES, labels_zh=dict(OFFER_LABELS_ZH), labels_en=dict(OFFER_LABELS_EN))
    if len(offers) == 0 or len(wishes) == 0:
        return out
    pairs = _pairs(offers, wishes, radius_km, neighbours)
    out.n_candidates = out.n_eligible = len(pairs)
    if len(pairs) == 0:
        return out
    X = offer_features(offers, wishes, pairs.volunteer, pairs.target, pairs.distance_km, now=now)
    u = score_pairs(model, X)
    big = int(offers.remaining.max()) + 1
    res = solve_assignment(pairs.volunteer, pairs.target, u, wishes.capacity_remaining, k_per_day=big,
                           volunteer_capacity=offers.remaining)
    c = res.chosen
    out.volunteer, out.target = pairs.volunteer[c], pairs.target[c]
    out.volunteer_ids, out.target_ids = offers.ids[out.volunteer], wishes.ids[out.target]
    out.score, out.distance_km, out.features = u[c], pairs.distance_km[c], X[c]
    out.contributions = model.explain(X[c]) if c.size else np.zeros((0, len(OFFER_FEATURE_NAMES)))
    out.total_utility = out.unfair_utility = float(u[c].sum())
    out.status = res.status
    return out


__all__ = ("OfferArrays", "OFFER_FEATURE_NAMES", "OFFER_LABELS_ZH", "OFFER_LABELS_EN", "offer_prior",
           "offer_features", "rank_offers", "match_offers")
