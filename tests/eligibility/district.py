"""Random districts for the eligibility property tests, and the rules written out again in plain Python.

`districts()` is a Hypothesis strategy for small districts full of edge cases: birthdays in the week of
an occurrence (people turning 18, or turning the activity's maximum age, that very day; 29 February),
certificates expiring on an occurrence's local date, occurrences at 00:30, 06:30 or 22:00 local (the
previous or next UTC day) around the first of a month (local month ≠ UTC month), sign-ups in every
state that hold time for overlaps and daily and monthly hours, youth members with and without consent,
and adult or teenage leaders.

`reference_reasons()` is the independent statement of the rules, written from the issue's definitions
(one reference time: the occurrence's local start in Asia/Shanghai; its local date for age, certificate
validity and the hours month; anyone under 18 on that date is a minor). It shares no code with
`matching.rules` or `tongxin.eligibility`: it is what lets the property tests fail.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = timezone.utc
CENTRE = (33.9, 118.3)
SKILLS = ("cook", "drive", "swim")
CERTIFICATES = ("first_aid", "rescue")
# Commitments: time a person has given or promised. The other states hold no time.
HOLDS_TIME = ("confirmed", "waiting_for_leader", "attended")
SIGN_UP_STATES = (*HOLDS_TIME, "waitlisted", "cancelled", "no_show")
YOUTH_STATES = ("applicant", "assessed", "active", "retired", "withdrawn")
# Degrees north of the centre: about 0, 1.1, 2.2, 2.9, 3.1 and 5.6 km (never exactly on the 3 km limit).
NORTH = (0.0, 0.01, 0.02, 0.026, 0.028, 0.05)
RULE_ORDER = (
    "availability", "skill", "certificate", "age", "youth_consent", "youth_inactive", "youth_night",
    "youth_not_allowed", "youth_no_leader", "youth_too_far", "monthly_hours", "daily_hours", "overlap",
    "weekly_hours",
)
ADULT = 18
YOUTH_RADIUS_KM = 3.0
MAX_HOURS_PER_DAY = 10
MIN_AVAILABLE_SHARE = 0.5


@dataclass(frozen=True)
class Youth:
    status: str
    consent: str  # "none", "given" or "withdrawn"


@dataclass
class Person:
    key: int
    birth: date | None
    community: int | None
    place: tuple[float, float] | None
    skills: frozenset[str]
    certificates: list[tuple[str, date | None]]  # (kind, expires on; None = never)
    windows: list[tuple[int, int, int]]  # (weekday 0 = Monday, start minute, end minute), local
    max_hours_month: float
    is_youth: bool
    youth: Youth | None
    max_hours_week: float = 20.0  # the database's defaults
    max_hours_day: float = 10.0


@dataclass
class Occ:
    key: int
    start: datetime  # UTC
    end: datetime
    community: int | None
    place: tuple[float, float] | None
    skills: frozenset[str]
    certificates: frozenset[str]
    min_age: int
    max_age: int
    youth_allowed: bool


@dataclass(frozen=True)
class Signed:
    person: int
    occurrence: int
    status: str
    is_leader: bool


@dataclass
class District:
    people: list[Person]
    occurrences: list[Occ]
    sign_ups: list[Signed] = field(default_factory=list)


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier (28 February for a 29 February that year lacks)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


@st.composite
def occurrences(draw, count: int) -> list[Occ]:
    # Around the first of a month, so local and UTC months and dates differ for early and late starts.
    first = date(draw(st.integers(2027, 2029)), draw(st.integers(1, 12)), 1)
    out = []
    for key in range(count):
        day = first + timedelta(days=draw(st.sampled_from([-3, -1, -1, 0, 0, 0, 1, 2])))
        hour, minute = draw(st.sampled_from([(0, 30), (6, 30), (6, 30), (7, 45), (8, 0), (9, 0), (13, 0), (16, 0),
                                             (17, 0), (19, 0), (22, 0), (23, 30)]))
        start = datetime.combine(day, time(hour, minute), SHANGHAI).astimezone(UTC)
        if out and draw(st.integers(0, 3)) == 0:
            start = out[-1].end  # right after the previous one: touching is not overlapping
        minutes = draw(st.sampled_from([20, 30, 60, 120, 180, 240, 480, 600, 660]))
        located = draw(st.booleans())
        out.append(Occ(
            key=key, start=start, end=start + timedelta(minutes=minutes),
            community=draw(st.sampled_from([None, 1, 2])),
            place=(CENTRE[0] + draw(st.sampled_from(NORTH)), CENTRE[1]) if located else None,
            skills=frozenset(draw(st.sets(st.sampled_from(SKILLS), max_size=2))),
            certificates=frozenset(draw(st.sets(st.sampled_from(CERTIFICATES), max_size=2))),
            min_age=draw(st.sampled_from([0, 14, 16, 18])), max_age=draw(st.sampled_from([17, 18, 60, 70])),
            youth_allowed=draw(st.booleans()),
        ))
    return out


@st.composite
def people(draw, count: int, occs: list[Occ]) -> list[Person]:
    local_days = [o.start.astimezone(SHANGHAI).date() for o in occs]
    out = []
    for key in range(count):
        kind = draw(st.sampled_from(["week", "week", "week", "leap", "unknown"]))
        if kind == "week":
            # A birthday in the week of an occurrence: turning 14, 16, 18 or 70 (the maximum age) around that day.
            years = draw(st.sampled_from([14, 15, 16, 17, 18, 19, 30, 70, 71]))
            birth = years_before(draw(st.sampled_from(local_days)), years) + timedelta(days=draw(st.integers(-3, 3)))
        elif kind == "leap":
            birth = draw(st.sampled_from([date(2008, 2, 29), date(2012, 2, 29), date(1956, 2, 29)]))
        else:
            birth = None
        certificates = []
        for kind_code in draw(st.lists(st.sampled_from(CERTIFICATES), max_size=3)):
            expiry = draw(st.sampled_from(["never", "day", "day", "before", "after"]))
            day = draw(st.sampled_from(local_days))
            certificates.append((kind_code, None if expiry == "never" else
                                 day + timedelta(days={"day": 0, "before": -1, "after": 1}[expiry])))
        if draw(st.booleans()):
            windows = [(weekday, 0, 1440) for weekday in range(7)]
        else:
            windows = []
            for _ in range(draw(st.integers(0, 4))):
                start = draw(st.integers(0, 47)) * 30
                windows.append((draw(st.integers(0, 6)), start, draw(st.integers(start // 30 + 1, 48)) * 30))
        located = draw(st.booleans()) or draw(st.booleans())
        youth = Youth(draw(st.sampled_from(YOUTH_STATES)), draw(st.sampled_from(["none", "given", "withdrawn"]))) \
            if draw(st.booleans()) else None
        out.append(Person(
            key=key, birth=birth, community=draw(st.sampled_from([None, 1, 2])),
            place=(CENTRE[0] + draw(st.sampled_from(NORTH)), CENTRE[1]) if located else None,
            skills=frozenset(draw(st.sets(st.sampled_from(SKILLS)))), certificates=certificates, windows=windows,
            max_hours_month=draw(st.sampled_from([1.0, 2.0, 4.5, 8.0, 12.0, 20.0, 40.0])),
            max_hours_week=draw(st.sampled_from([1.5, 4.0, 6.0, 20.0])),
            max_hours_day=draw(st.sampled_from([1.0, 3.0, 10.0])),
            is_youth=draw(st.booleans()), youth=youth,
        ))
    return out


@st.composite
def districts(draw, max_people: int = 6, max_occurrences: int = 5) -> District:
    """A small district: people, occurrences and the sign-ups already made."""
    occs = draw(occurrences(draw(st.integers(1, max_occurrences))))
    persons = draw(people(draw(st.integers(1, max_people)), occs))
    pairs = draw(st.sets(st.tuples(st.integers(0, len(persons) - 1), st.integers(0, len(occs) - 1)),
                         max_size=len(persons) * len(occs)))
    sign_ups = [Signed(p, o, draw(st.sampled_from((*HOLDS_TIME, *SIGN_UP_STATES))), draw(st.booleans()))
                for p, o in sorted(pairs)]
    return District(persons, occs, sign_ups)


# ---- the rules, written out again ------------------------------------------------------------------

def whole_years(birth: date, on: date) -> int:
    """Completed years of life on a date (a 29 February birthday counts from 1 March in other years)."""
    years = on.year - birth.year
    if (on.month, on.day) < (birth.month, birth.day):
        years -= 1
    return years


def km_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance on a sphere of radius 6371 km."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def clock_hours(start: datetime, end: datetime) -> list[tuple[int, int]]:
    """(weekday, hour) of each local clock hour the interval touches, at most one week of them."""
    hour = start.astimezone(SHANGHAI).replace(minute=0, second=0, microsecond=0)
    out = []
    while hour.astimezone(UTC) < end and len(out) < 168:
        out.append((hour.weekday(), hour.hour))
        hour += timedelta(hours=1)
    return out


def available_in(person: Person, weekday: int, hour: int) -> bool:
    """A window makes every clock hour it touches available."""
    return any(w == weekday and s < (hour + 1) * 60 and e > hour * 60 for w, s, e in person.windows)


def adult_leader_present(district: District, occ: Occ) -> bool:
    day = occ.start.astimezone(SHANGHAI).date()
    by_key = {p.key: p for p in district.people}
    return any(s.occurrence == occ.key and s.is_leader and s.status == "confirmed"
               and by_key[s.person].birth is not None and whole_years(by_key[s.person].birth, day) >= ADULT
               for s in district.sign_ups)


def reference_reasons(district: District, person: Person, occ: Occ) -> list[str]:
    """The person rules `person` breaks for `occ`, in RULE_ORDER, straight from the definitions."""
    local_start = occ.start.astimezone(SHANGHAI)
    local_end = occ.end.astimezone(SHANGHAI)
    day = local_start.date()
    broken: set[str] = set()

    touched = clock_hours(occ.start, occ.end)
    free = sum(available_in(person, w, h) for w, h in touched)
    if not touched or free / len(touched) < MIN_AVAILABLE_SHARE:
        broken.add("availability")
    if not occ.skills <= person.skills:
        broken.add("skill")
    for kind in occ.certificates:
        if not any(k == kind and (expires is None or expires >= day) for k, expires in person.certificates):
            broken.add("certificate")

    age = whole_years(person.birth, day) if person.birth else None
    if age is None or not occ.min_age <= age <= occ.max_age:
        broken.add("age")  # an unknown age fails every bound (activities always have a maximum age)
    if age is not None and age < ADULT:
        youth = person.youth
        if youth is None or youth.consent != "given":
            broken.add("youth_consent")
        if youth is None or youth.status != "active":
            broken.add("youth_inactive")
        daytime = local_start.time() >= time(8) and local_end.date() == day and local_end.time() <= time(18)
        if not daytime:
            broken.add("youth_night")
        if not occ.youth_allowed:
            broken.add("youth_not_allowed")
        if not adult_leader_present(district, occ):
            broken.add("youth_no_leader")
        home = person.community is not None and person.community == occ.community
        near = person.place is not None and occ.place is not None \
            and km_between(person.place, occ.place) <= YOUTH_RADIUS_KM
        if not (home or near):
            broken.add("youth_too_far")

    # Time already given or promised for other occurrences.
    by_key = {o.key: o for o in district.occurrences}
    held = [by_key[s.occurrence] for s in district.sign_ups
            if s.person == person.key and s.status in HOLDS_TIME and s.occurrence != occ.key]
    if any(o.start < occ.end and o.end > occ.start for o in held):
        broken.add("overlap")
    own_minutes = (occ.end - occ.start) // timedelta(minutes=1)
    day_start = datetime.combine(day, time(0), SHANGHAI)
    day_end = day_start + timedelta(days=1)
    that_day = sum(max(timedelta(0), min(o.end, day_end) - max(o.start, day_start)) // timedelta(minutes=1)
                   for o in held)
    if that_day + own_minutes > min(MAX_HOURS_PER_DAY, person.max_hours_day) * 60:
        broken.add("daily_hours")

    def week(o: Occ) -> tuple[int, int]:
        return o.start.astimezone(SHANGHAI).isocalendar()[:2]

    that_week = sum((o.end - o.start) // timedelta(minutes=1) for o in held if week(o) == week(occ))
    if that_week + own_minutes > person.max_hours_week * 60:
        broken.add("weekly_hours")

    def month(o: Occ) -> tuple[int, int]:
        local = o.start.astimezone(SHANGHAI)
        return local.year, local.month

    that_month = sum((o.end - o.start) // timedelta(minutes=1) for o in held if month(o) == month(occ))
    if that_month + own_minutes > person.max_hours_month * 60:
        broken.add("monthly_hours")
    return [code for code in RULE_ORDER if code in broken]
