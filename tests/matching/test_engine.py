"""rank_candidates and match_batch: never an exception on bad input, never a rule broken."""

import numpy as np
import pytest
from matching_factories import MONDAY, local, targets, volunteers

from matching import (
    Commitments, FEATURE_NAMES,
    PAIR_RULES,
    batch_conflicts,
    match_batch,
    prior_scorer,
    rank_candidates,
    rule_failures,
)
from matching.synth import make_district


@pytest.fixture(scope="module")
def district():
    return make_district(1500, 250, seed=11)


def test_ranking_is_best_first_with_explanations(district):
    r = rank_candidates(district.volunteers, district.targets, None, target_index=0, top_k=10, now=district.now,
                        commitments=district.commitments, why_not=True)
    assert 0 < len(r) <= 10
    assert np.all(np.diff(r.score) <= 1e-12)
    assert len(r.explanations) == len(r) and r.explanations[0].text_zh
    assert not rule_failures(district.volunteers, district.targets, r.volunteer, np.zeros(len(r), int),
                             district.commitments).any()
    assert len(r.excluded) == len(r.excluded_reasons) == min(100, r.n_considered - r.n_eligible)
    assert all(set(codes) <= set(PAIR_RULES) and codes for codes in r.excluded_reasons)


def test_why_not_for_named_volunteers_explains_each_of_them(district):
    nowhere = int(np.flatnonzero(np.isnan(district.volunteers.lat))[0])
    r = rank_candidates(district.volunteers, district.targets, None, target_index=0, now=district.now,
                        why_not=[nowhere])
    assert r.excluded.tolist() == [nowhere] and r.excluded_reasons[0][0] == "no_location"


def test_bad_input_gives_empty_results_not_exceptions():
    no_one = volunteers(0)
    assert len(rank_candidates(no_one, targets(), None, now=MONDAY)) == 0
    assert len(match_batch(no_one, targets(), None, now=MONDAY)) == 0
    assert len(match_batch(volunteers(2), targets(0), None, now=MONDAY)) == 0
    assert len(rank_candidates(volunteers(2), targets(), None, target_index=5, now=MONDAY)) == 0
    lost = volunteers(2, lat=[np.nan, np.nan], lon=[np.nan, np.nan])
    assert len(rank_candidates(lost, targets(), None, now=MONDAY)) == 0
    assert len(match_batch(lost, targets(), None, now=MONDAY)) == 0
    nowhere = targets(lat=[np.nan], lon=[np.nan])
    assert len(match_batch(volunteers(2), nowhere, None, now=MONDAY)) == 0
    full = targets(capacity_remaining=[0])
    a = match_batch(volunteers(2), full, None, now=MONDAY)
    assert len(a) == 0 and a.total_utility == 0.0 and a.features.shape == (0, len(FEATURE_NAMES))


def test_batch_breaks_no_rule_even_inside_the_batch(district):
    for k in (1, 3):
        a = match_batch(district.volunteers, district.targets, None, district.commitments, now=district.now,
                        k_per_day=k)
        assert len(a) > 0
        assert not rule_failures(district.volunteers, district.targets, a.volunteer, a.target,
                                 district.commitments).any()
        assert not batch_conflicts(district.volunteers, district.targets, a.volunteer, a.target,
                                   district.commitments).any()
        assert np.all(np.bincount(a.target, minlength=len(district.targets)) <= district.targets.capacity_remaining)
        days = district.targets.local_day[a.target]
        _, per_day = np.unique(np.stack([a.volunteer, days]), axis=1, return_counts=True)
        assert per_day.max() <= k


def test_two_overlapping_targets_never_get_the_same_volunteer():
    tgts = targets(2, start=[local(1, 9), local(1, 10)], end=[local(1, 11), local(1, 12)])
    a = match_batch(volunteers(1), tgts, None, now=MONDAY, k_per_day=2)
    assert len(a) == 1


def test_monthly_hours_hold_across_the_days_of_a_batch():
    # Tuesday 1 to Friday 4 December, four hours each; ten hours already promised on Saturday 5 December.
    tgts = targets(4, start=[local(d, 9) for d in range(1, 5)], end=[local(d, 13) for d in range(1, 5)])
    promised = Commitments([0], [local(5, 8)], [local(5, 18)])
    a = match_batch(volunteers(1), tgts, None, promised, now=MONDAY)
    assert len(a) == 2  # 10 h promised + 2 × 4 h ≤ 20 h, a third would break the limit


def test_weekly_hours_hold_inside_the_batch():
    tgts = targets(4, start=[local(d, 9) for d in range(1, 5)], end=[local(d, 12) for d in range(1, 5)])
    a = match_batch(volunteers(1, max_hours_week=[7.0], max_hours_month=[100.0]), tgts, None, now=MONDAY)
    assert len(a) == 2  # 2 × 3 h ≤ 7 h a week


def test_a_persons_own_daily_limit_holds_inside_the_batch_under_the_districts():
    # Two 3-hour tasks the same Tuesday, morning and afternoon: 6 h fits the district's 10 h a day.
    tgts = targets(2, start=[local(1, 8), local(1, 13)], end=[local(1, 11), local(1, 16)])
    both = match_batch(volunteers(1, max_hours_month=[100.0]), tgts, None, now=MONDAY, k_per_day=2)
    own = match_batch(volunteers(1, max_hours_day=[5.0], max_hours_month=[100.0]), tgts, None, now=MONDAY,
                      k_per_day=2)
    assert len(both) == 2 and len(own) == 1


def test_weekly_limit_prefers_two_short_tasks_over_one_long_one_when_worth_more():
    # 6 hours a week: one 4 h task (score alone the best) or the two 3 h tasks together.
    tgts = targets(3, start=[local(1, 9), local(2, 9), local(3, 9)], end=[local(1, 13), local(2, 12), local(3, 12)])
    a = match_batch(volunteers(1, max_hours_week=[6.0], max_hours_month=[100.0]), tgts, None, now=MONDAY,
                    score_fn=lambda vi, tj, X, d: np.array([0.6, 0.5, 0.5])[tj])
    assert sorted(a.target.tolist()) == [1, 2]


def test_batch_is_reproducible(district):
    a = match_batch(district.volunteers, district.targets, prior_scorer(), district.commitments, now=district.now)
    b = match_batch(district.volunteers, district.targets, prior_scorer(), district.commitments, now=district.now)
    assert np.array_equal(a.volunteer, b.volunteer) and np.array_equal(a.target, b.target)


def gini(x):
    x = np.sort(np.asarray(x, float))
    return float((2 * np.arange(1, x.size + 1) - x.size - 1) @ x / (x.size * x.sum()))


def test_fairness_lowers_gini_of_load_at_a_small_reported_cost(district):
    v = district.volunteers
    plain = match_batch(v, district.targets, None, district.commitments, now=district.now, k_per_day=2)
    fair = match_batch(v, district.targets, None, district.commitments, now=district.now, k_per_day=2, fairness=0.05)
    load_plain = v.recent_load + np.bincount(plain.volunteer, minlength=len(v))
    load_fair = v.recent_load + np.bincount(fair.volunteer, minlength=len(v))
    assert gini(load_fair) < gini(load_plain)
    assert 0 <= fair.fairness_cost < 0.1
    assert np.isclose(fair.unfair_utility, plain.total_utility, rtol=1e-6)


def test_wishes_use_the_same_machinery(district):
    from matching.synth import make_targets

    wishes = make_targets(district, 50, seed=3, start=district.now, kind="wish")
    a = match_batch(district.volunteers, wishes, None, district.commitments, now=district.now)
    assert np.all(np.bincount(a.target, minlength=50) <= 1)
    assert np.all(district.volunteers.age[a.volunteer] >= 18)
