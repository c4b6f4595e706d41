"""Small factories for the hours tests: an organization's occurrence at a place, volunteers signed up."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from tongxin.accounts.service import load_actor
from tongxin.activities.tables import Activity, Occurrence, SignUp
from tongxin.dates import local_date
from tongxin.organizations.tables import Organization, OrganizationMember
from tongxin.volunteers.tables import Volunteer, YouthMember

from tests.factories import make_user, unique

SECRET = "test-secret-" + "x" * 20
# 明日社区广场, around the demo district's centre.
PLACE = (33.9, 118.3)


def at(hours: float = 0, *, base: datetime | None = None) -> datetime:
    """A moment `hours` from a fixed, whole-minute base (tests pass `now=` explicitly)."""
    base = base or datetime(2026, 11, 28, 1, 0, tzinfo=timezone.utc)  # Saturday 09:00 in Shanghai
    return base + timedelta(hours=hours)


async def make_org(name: str | None = None):
    """An approved organization and one member's actor."""
    user = await make_user("org_member")
    rows = await Organization.insert(Organization(name=name or unique("同心社工"), kind="social_organization",
                                                  status="approved")).returning(Organization.id)
    await OrganizationMember.insert(OrganizationMember(organization=rows[0]["id"], user=user["id"]))
    return rows[0]["id"], await load_actor(user_id=user["id"])


async def make_occurrence(organization_id: int, *, starts: datetime | None = None, hours: float = 2,
                          place: tuple[float, float] | None = PLACE, title: str = "吾爱邻便民志愿服务日",
                          address: str = "明日社区广场", capacity: int = 20) -> int:
    starts = starts or at(0)
    activity = await Activity.insert(Activity(
        organization=organization_id, title=title, kind="service_day", status="approved", starts_at=starts,
        capacity=capacity, address=address, lat=place[0] if place else None, lon=place[1] if place else None,
        youth_allowed=True)).returning(Activity.id)
    rows = await Occurrence.insert(Occurrence(
        activity=activity[0]["id"], starts_at=starts, ends_at=starts + timedelta(hours=hours),
        signup_deadline=starts - timedelta(hours=1), capacity=capacity, taken=0, status="open", address=address,
        lat=place[0] if place else None, lon=place[1] if place else None)).returning(Occurrence.id)
    return rows[0]["id"]


async def service_day(occurrence_id: int) -> date:
    """The district's calendar day an occurrence started on, which is the day its hours count for (a test that
    starts an occurrence "ten minutes ago" at 00:05 in Shanghai served yesterday)."""
    row = await Occurrence.select(Occurrence.starts_at).where(Occurrence.id == occurrence_id).first()
    return local_date(row["starts_at"])


async def make_volunteer(name: str = "张志远", *, youth: bool = False, with_login: bool = True):
    """A volunteer (with an account unless a child); returns (volunteer id, actor or None)."""
    user = await make_user("volunteer") if with_login else None
    rows = await Volunteer.insert(Volunteer(
        user=user["id"] if user else None, real_name=name, phone="13800000000", is_youth=youth,
        birth_date=date(2014, 5, 1) if youth else date(1990, 5, 1))).returning(Volunteer.id)
    return rows[0]["id"], (await load_actor(user_id=user["id"]) if user else None)


async def make_child(name: str = "李小安"):
    """A little safety officer and their guardian's actor."""
    guardian = await make_user("guardian")
    child, _ = await make_volunteer(name, youth=True, with_login=False)
    await YouthMember.insert(YouthMember(volunteer=child, guardian=guardian["id"], status="active",
                                         consent_at=at(-1000), consent_text_version="v1"))
    return child, await load_actor(user_id=guardian["id"])


async def sign_up(occurrence_id: int, volunteer_id: int, *, leader: bool = False) -> int:
    rows = await SignUp.insert(SignUp(occurrence=occurrence_id, volunteer=volunteer_id, status="confirmed",
                                      is_leader=leader)).returning(SignUp.id)
    await Occurrence.update({Occurrence.taken: Occurrence.taken + 1}).where(Occurrence.id == occurrence_id)
    return rows[0]["id"]


async def staff_actor():
    return await load_actor(user_id=(await make_user("staff"))["id"])
