"""Each hard rule excludes exactly what it must."""

import numpy as np
from matching_factories import LAT, local, targets, volunteers, youth

from matching import (
    PAIR_RULES,
    Commitments,
    RuleConfig,
    eligible,
    rule_failures,
    why_not,
)


def failing(vols, tgts, commitments=None, config=RuleConfig()):
    fails = rule_failures(vols, tgts, np.zeros(1, int), np.zeros(1, int), commitments, config)
    return {PAIR_RULES[r] for r in np.flatnonzero(fails[0])}


def test_matching_adult_and_target_pass_every_rule():
    assert failing(volunteers(), targets()) == set()
    assert failing(youth(), targets()) == set()


def test_youth_at_night_is_excluded():
    night = targets(start=[local(1, 19)], end=[local(1, 21)])
    assert failing(youth(), night) == {"youth_night"}
    assert failing(volunteers(), night) == set()


def test_youth_until_six_pm_local_is_daytime_but_not_a_minute_later():
    assert failing(youth(), targets(start=[local(1, 16)], end=[local(1, 18)])) == set()
    assert "youth_night" in failing(youth(), targets(start=[local(1, 16)], end=[local(1, 18) + 60]))
    assert "youth_night" in failing(youth(), targets(start=[local(1, 7.5)], end=[local(1, 9)]))


def test_youth_without_consent_or_not_active_is_excluded():
    assert failing(youth(consent_in_force=[False]), targets()) == {"youth_consent"}
    assert failing(youth(youth_active=[False]), targets()) == {"youth_inactive"}


def test_minor_by_age_gets_youth_rules_even_without_the_flag():
    assert "youth_consent" in failing(volunteers(age=[16.0]), targets())


def test_youth_needs_youth_allowed_target_with_adult_leader():
    assert failing(youth(), targets(youth_allowed=[False])) == {"youth_not_allowed"}
    assert failing(youth(), targets(has_adult_leader=[False])) == {"youth_no_leader"}


def test_expired_certificate_is_excluded_and_valid_one_passes():
    need = targets(required_certs=[[True, False]])
    target_day = np.floor((local(1, 11) + 8 * 3600) / 86400.0)  # the local date
    assert failing(volunteers(cert_expiry=[[target_day - 1, np.inf]]), need) == {"certificate"}
    assert failing(volunteers(cert_expiry=[[-np.inf, np.inf]]), need) == {"certificate"}
    assert failing(volunteers(cert_expiry=[[target_day, -np.inf]]), need) == set()


def test_age_out_of_range_or_unknown_is_excluded():
    adults_only = targets(min_age=[18.0], max_age=[60.0])
    assert failing(volunteers(age=[61.0]), adults_only) == {"age"}
    assert failing(volunteers(age=[np.nan]), adults_only) == {"age"}
    assert failing(volunteers(age=[40.0]), adults_only) == set()


def test_overlapping_commitment_is_excluded_and_adjacent_one_is_not():
    overlapping = Commitments([0], [local(1, 10)], [local(1, 12)])
    assert failing(volunteers(), targets(), overlapping) == {"overlap"}
    adjacent = Commitments([0], [local(1, 11)], [local(1, 13)])
    assert failing(volunteers(), targets(), adjacent) == set()


def test_full_target_gets_nobody():
    assert failing(volunteers(), targets(capacity_remaining=[0])) == {"full"}


def test_monthly_hours_count_the_commitments_of_the_targets_local_month():
    monday = targets(start=[local(0, 9)], end=[local(0, 11)])  # Monday 30 November, 2 hours
    served = Commitments([0], [local(-1, 0)], [local(-1, 19)])  # Sunday 29 November, 19 hours
    assert failing(volunteers(), monday, served) == {"monthly_hours"}
    shorter = Commitments([0], [local(-1, 0)], [local(-1, 18)])
    assert failing(volunteers(), monday, shorter) == set()
    # The same 19 hours in October do not count against a day in November.
    october = Commitments([0], [local(-31, 0)], [local(-31, 19)])
    assert failing(volunteers(), monday, october) == set()


def test_a_month_boundary_in_local_time_decides_which_month_counts():
    # 1 December 00:30 local is still 30 November in UTC: the local month (December) counts.
    december_target = targets(start=[local(1, 0.5)], end=[local(1, 2.5)])
    november_work = Commitments([0], [local(0, 0)], [local(0, 19)])
    assert "monthly_hours" not in failing(volunteers(), december_target, november_work)


def test_own_sign_up_for_the_same_occurrence_is_not_an_overlap():
    mine = Commitments([0], [local(1, 9)], [local(1, 11)], target=[1])
    assert failing(volunteers(), targets(), mine) == set()
    other = Commitments([0], [local(1, 9)], [local(1, 11)], target=[2])
    assert failing(volunteers(), targets(), other) == {"overlap"}


def test_age_is_counted_on_the_occurrences_local_date_from_the_birth_date():
    adults_only = targets(min_age=[18.0])  # Tuesday 1 December 2026, local
    assert failing(volunteers(birth_ymd=[20081201]), adults_only) == set()  # 18 that very day
    assert "age" in failing(volunteers(birth_ymd=[20081202]), adults_only)  # 18 the day after
    # 29 February birthdays count from 1 March in other years.
    march_first = targets(min_age=[18.0], start=[local(1, 9) + 90 * 86400], end=[local(1, 11) + 90 * 86400])
    assert failing(volunteers(birth_ymd=[20090301]), march_first) == set()


def test_a_minor_by_birth_date_gets_the_youth_rules_and_an_adult_on_the_roster_does_not():
    assert "youth_consent" in failing(volunteers(birth_ymd=[20090101]), targets())
    assert failing(youth(birth_ymd=[20080101]), targets(youth_allowed=[False])) == set()


def test_required_skill_is_a_hard_rule_and_a_preferred_one_is_not():
    need = targets(required_skills=[[True, False, False]])
    assert failing(volunteers(skills=[[False, True, True]]), need) == {"skill"}
    assert failing(volunteers(skills=[[True, False, False]]), need) == set()
    welcome = targets(preferred_skills=[[True, False, False]])
    assert failing(volunteers(skills=[[False, False, False]]), welcome) == set()


def test_youth_stay_in_their_community_or_within_the_radius_of_home():
    other_community = dict(community=[1])
    near = targets(**other_community, lat=[LAT + 0.02])  # about 2.2 km
    far = targets(**other_community, lat=[LAT + 0.05])  # about 5.6 km
    assert failing(youth(), near) == set()
    assert failing(youth(), far) == {"youth_too_far"}
    assert failing(youth(), targets(lat=[LAT + 0.05])) == set()  # own community
    assert failing(volunteers(), far) == set()
    assert failing(youth(), far, config=RuleConfig(youth_radius_km=6.0)) == set()


def test_daily_hours_limit_counts_the_days_other_sign_ups():
    busy = Commitments([0], [local(1, 13)], [local(1, 21)])
    assert failing(volunteers(), targets(), busy, RuleConfig(max_hours_per_day=9)) == {"daily_hours"}
    assert failing(volunteers(), targets(), busy, RuleConfig(max_hours_per_day=10)) == set()


def test_unavailable_volunteer_is_excluded():
    mask = np.ones((1, 168), bool)
    mask[0, 24 + 9:24 + 11] = False  # Tuesday 09:00-11:00 local
    assert failing(volunteers(availability=mask), targets()) == {"availability"}


def test_why_not_reports_location_distance_and_rules_without_raising():
    vols = volunteers(3, lat=[33.9, np.nan, 34.5], lon=[118.3, np.nan, 118.3], age=[30.0, 30.0, 12.0])
    tgts = targets(min_age=[18.0])
    reasons = why_not(vols, tgts, 0, [0, 1, 2], radius_km=10)
    assert reasons[0] == []
    assert reasons[1] == ["no_location"]
    assert reasons[2] == ["too_far", "age", "youth_consent", "youth_inactive"]
    assert why_not(vols, tgts, 5, [0]) == [[]]


def test_eligible_is_vectorised_over_many_pairs():
    vols = volunteers(4, age=[30.0, 30.0, 15.0, 30.0])
    tgts = targets(2, capacity_remaining=[3, 0], start=[local(0, 9)] * 2, end=[local(0, 11)] * 2)
    busy = Commitments([1], [local(-1, 0)], [local(-1, 19)])
    vi, tj = np.repeat(np.arange(4), 2), np.tile(np.arange(2), 4)
    ok = eligible(vols, tgts, vi, tj, busy)
    assert ok.tolist() == [True, False, False, False, False, False, True, False]
