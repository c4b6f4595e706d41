"""Each person's own invitations (acceptances and declines) shape their features, smoothed towards everyone."""

import numpy as np
from matching_factories import MONDAY, local, targets, volunteers

from matching import FEATURE_NAMES, InvitationLog, pair_features, person_profile

COL = {name: i for i, name in enumerate(FEATURE_NAMES)}


def _log(volunteer, category, accepted, distance=1.0, hour=10.0, attended=None):
    n = len(volunteer)
    return InvitationLog(volunteer=volunteer, start=np.full(n, MONDAY - 86400.0), category=category,
                         distance_km=np.full(n, distance), local_hour=np.full(n, hour), accepted=accepted,
                         attended=accepted if attended is None else attended)


def test_declines_lower_a_persons_rate_for_that_kind_only():
    log = _log([0] * 6 + [1] * 6, [2] * 6 + [2] * 6, [False] * 6 + [True] * 6)
    p = person_profile(log, 3, 4)
    assert p.by_kind[0, 2] < p.population_accept < p.by_kind[1, 2]
    assert abs(p.by_kind[0, 1] - p.accept[0]) < 1e-12  # no invitations of kind 1: the person's own rate
    assert abs(p.accept[2] - p.population_accept) < 1e-12  # a newcomer looks like the population


def test_one_decline_does_not_condemn_anyone():
    p = person_profile(_log([0, 1, 1, 1], [0, 0, 0, 0], [False, True, True, True]), 2, 1)
    assert p.accept[0] > 0.5


def test_travelled_distance_comes_from_accepted_invitations():
    # Person 0 accepts near tasks and declines far ones; person 1 accepts far ones.
    log = InvitationLog(volunteer=[0] * 8 + [1] * 4, start=np.zeros(12), category=np.zeros(12),
                        local_hour=np.full(12, 10.0), distance_km=[1, 1, 1, 1, 8, 8, 8, 8, 8, 8, 8, 8],
                        accepted=[True] * 4 + [False] * 4 + [True] * 4, attended=[True] * 12)
    p = person_profile(log, 3, 1)
    assert p.travel_km[0] < p.travel_km[2] < p.travel_km[1]


def test_history_and_declared_kinds_reach_the_pair_features():
    tg = targets(1, category=[1])
    keen = _log([0] * 5 + [2] * 5, [1] * 10, [True] * 5 + [False] * 5)
    vols = volunteers(3, history=keen, preferred_categories=[[False, True, False], [True, False, False], [False] * 3],
                      max_distance_km=[2.0, np.nan, np.nan])
    X = pair_features(vols, tg, np.array([0, 1]), np.array([0, 0]), np.array([1.0, 1.0]), now=MONDAY)
    assert X[0, COL["declared_kind"]] == 1.0 and X[1, COL["declared_kind"]] == 0.0
    assert X[0, COL["distance_over_declared"]] > X[1, COL["distance_over_declared"]]
    assert X[0, COL["kind_acceptance"]] > X[1, COL["kind_acceptance"]]
    assert X[0, COL["invitations_seen"]] > 0 == X[1, COL["invitations_seen"]]


def test_a_subset_keeps_each_persons_own_history():
    vols = volunteers(3, history=_log([0, 2, 2], [0, 0, 0], [True, False, False]))
    sub = vols.subset(np.array([2]))
    assert sub.history.volunteer.tolist() == [0, 0] and not sub.history.accepted.any()
