"""Per-person limits are constraints of the batch itself: nothing chosen breaks one, nothing is dropped."""

import numpy as np
from matching_factories import MONDAY, local, targets, volunteers

from matching import Commitments, batch_conflicts, match_batch, rule_failures
from matching.synth import make_district


def test_a_district_batch_with_weekly_limits_breaks_none():
    d = make_district(1500, 300, seed=4)
    rng = np.random.default_rng(0)
    d.volunteers.max_hours_week = rng.choice([4.0, 6.0, np.inf], len(d.volunteers))
    a = match_batch(d.volunteers, d.targets, None, d.commitments, now=d.now)
    assert len(a) > 0 and a.repairs == 0
    assert not rule_failures(d.volunteers, d.targets, a.volunteer, a.target, d.commitments).any()
    assert not batch_conflicts(d.volunteers, d.targets, a.volunteer, a.target, d.commitments).any()
    week_hours = np.bincount(a.volunteer, weights=d.targets.duration_hours[a.target], minlength=len(d.volunteers))
    assert np.all(week_hours <= d.volunteers.max_hours_week + 1e-9)


def test_weekly_hours_count_what_is_already_promised_that_week():
    tgts = targets(2, start=[local(2, 9), local(3, 9)], end=[local(2, 12), local(3, 12)])
    promised = Commitments([0], [local(1, 9)], [local(1, 13)])
    a = match_batch(volunteers(1, max_hours_week=[8.0]), tgts, None, promised, now=MONDAY)
    assert len(a) == 1  # 4 h promised + 3 h; a second 3 h task would make 10 h


def test_a_full_target_is_never_filled_past_its_places():
    a = match_batch(volunteers(5), targets(1, capacity_remaining=[2]), None, now=MONDAY)
    assert len(a) == 2


def test_pruning_a_large_batch_keeps_nearly_all_the_utility_and_every_limit():
    d = make_district(1500, 300, seed=5)
    full = match_batch(d.volunteers, d.targets, None, d.commitments, now=d.now)
    pruned = match_batch(d.volunteers, d.targets, None, d.commitments, now=d.now, prune_above=0)
    assert pruned.total_utility >= 0.98 * full.total_utility
    assert not batch_conflicts(d.volunteers, d.targets, pruned.volunteer, pruned.target, d.commitments).any()
