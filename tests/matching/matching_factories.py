"""Small factories for matching tests: one adult volunteer and one daytime target that match."""

from __future__ import annotations

import numpy as np

from matching import TargetArrays, VolunteerArrays

# Monday 2026-11-30 00:00 at UTC+8, as epoch seconds.
MONDAY = 1_795_968_000.0
LAT, LON = 33.9, 118.3


def local(day: int, hour: float) -> float:
    """Epoch seconds of local (UTC+8) hour `hour` on day `day` after MONDAY."""
    return MONDAY + day * 86400.0 + hour * 3600.0


def volunteers(n: int = 1, **overrides) -> VolunteerArrays:
    """n adults at the centre, available all week, 5 sign-ups attended, 0 hours this month."""
    values = dict(
        ids=np.arange(1, n + 1), lat=np.full(n, LAT), lon=np.full(n, LON), skills=np.ones((n, 3), bool),
        cert_expiry=np.full((n, 2), np.inf), availability=np.ones((n, 168), bool), age=np.full(n, 30.0),
        community=np.zeros(n, int), grid=np.zeros(n, int), is_youth=np.zeros(n, bool),
        youth_active=np.zeros(n, bool), consent_in_force=np.zeros(n, bool), attended=np.full(n, 5),
        no_show=np.zeros(n, int), hours_this_month=np.zeros(n), max_hours_month=np.full(n, 20.0),
        recent_load=np.zeros(n), org_history=np.zeros((n, 2)), category_history=np.zeros((n, 3)),
    )
    values.update(overrides)
    return VolunteerArrays(**values)


def youth(n: int = 1, **overrides) -> VolunteerArrays:
    """n active youth members (age 15) with consent in force."""
    values = dict(age=np.full(n, 15.0), is_youth=np.ones(n, bool), youth_active=np.ones(n, bool),
                  consent_in_force=np.ones(n, bool))
    values.update(overrides)
    return volunteers(n, **values)


def targets(m: int = 1, **overrides) -> TargetArrays:
    """m targets at the centre, Tuesday 09:00-11:00 local, capacity 3, open to youth with a leader."""
    values = dict(
        ids=np.arange(1, m + 1), lat=np.full(m, LAT), lon=np.full(m, LON), start=np.full(m, local(1, 9)),
        end=np.full(m, local(1, 11)), capacity_remaining=np.full(m, 3), required_skills=np.zeros((m, 3), bool),
        required_certs=np.zeros((m, 2), bool), min_age=np.zeros(m), max_age=np.full(m, np.inf),
        youth_allowed=np.ones(m, bool), has_adult_leader=np.ones(m, bool), organization=np.zeros(m, int),
        category=np.zeros(m, int), urgency=np.full(m, 0.5), needed_by=np.full(m, local(1, 9)),
        community=np.zeros(m, int), grid=np.zeros(m, int),
    )
    values.update(overrides)
    return TargetArrays(**values)
