"""Organizations' offers for wishes: stock is capacity, each wish gets at most one offer."""

import numpy as np
from matching_factories import MONDAY, targets

from matching.offers import OfferArrays, match_offers, rank_offers


def offers(o=3, **overrides):
    values = dict(ids=np.arange(1, o + 1), organization=np.arange(o), lat=np.full(o, 33.9),
                  lon=118.3 + 0.01 * np.arange(o), category=np.zeros(o, int), remaining=np.full(o, 2),
                  category_history=np.zeros((o, 3)))
    values.update(overrides)
    return OfferArrays(**values)


def wishes(m=5, **overrides):
    values = dict(capacity_remaining=np.ones(m, int), kind="wish")
    values.update(overrides)
    return targets(m, **values)


def test_stock_limits_how_many_wishes_an_offer_fulfils():
    a = match_offers(offers(2, remaining=[1, 2]), wishes(5), now=MONDAY)
    assert len(a) == 3
    assert np.bincount(a.volunteer, minlength=2).tolist() == [1, 2]
    assert np.bincount(a.target, minlength=5).max() == 1
    assert "距离" in a.explanations()[0].text_zh or "类别" in a.explanations()[0].text_zh


def test_matching_category_ranks_first_and_is_explained():
    r = rank_offers(offers(2, category=[1, 0], lon=[118.3, 118.31]), wishes(1, category=[0]), now=MONDAY)
    assert r.volunteer.tolist()[0] == 1
    assert "类别" in r.explanations[0].text_zh and "category match" in r.explanations[0].text_en


def test_no_offers_or_no_stock_or_no_location_gives_empty_results():
    assert len(match_offers(offers(0), wishes(), now=MONDAY)) == 0
    assert len(match_offers(offers(2, remaining=[0, 0]), wishes(), now=MONDAY)) == 0
    assert len(rank_offers(offers(1, lat=[np.nan], lon=[np.nan]), wishes(), now=MONDAY)) == 0
