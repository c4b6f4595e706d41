"""Small factories for the scheduler's tests: an organization, an activity, volunteers, certificates."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from tongxin.activities.service import LOCAL_TZ
from tongxin.activities.tables import Activity, Occurrence, SignUp
from tongxin.organizations.tables import Organization, OrganizationMember
from tongxin.volunteers.tables import (
    Certificate,
    CertificateKind,
    Volunteer,
    YouthMember,
)

from tests.factories import make_user, unique

# 2026-03-02 is a Monday; 08:00 in Shanghai.
MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=LOCAL_TZ).astimezone(timezone.utc)


async def make_organization(*, kind: str = "social_organization", members: int = 1) -> tuple[int, list[int]]:
    """An approved organization and the user ids of its members."""
    org_id = (await Organization.insert(Organization(
        name=unique("org"), kind=kind, status="approved")).returning(Organization.id))[0]["id"]
    users = []
    for _ in range(members):
        user = await make_user("org_member")
        await OrganizationMember.insert(OrganizationMember(organization=org_id, user=user["id"]))
        users.append(user["id"])
    return org_id, users


async def make_activity(org_id: int, *, starts_at: datetime = MONDAY + timedelta(days=5, hours=1),
                        rrule: str = "FREQ=WEEKLY;BYDAY=SA", capacity: int = 10, kind: str = "service_day",
                        status: str = "approved", deadline_hours: int = 24) -> int:
    """A recurring activity (weekly on Saturdays at 09:00 local by default)."""
    return (await Activity.insert(Activity(
        organization=org_id, title=unique("服务日"), kind=kind, status=status, starts_at=starts_at,
        duration_minutes=120, rrule=rrule, capacity=capacity, signup_deadline_hours=deadline_hours,
        address="明日社区广场", youth_allowed=True,
    )).returning(Activity.id))[0]["id"]


async def make_volunteer(*, with_user: bool = True, name: str = "王芳") -> tuple[int, int | None]:
    """(volunteer id, user id)."""
    user_id = (await make_user("volunteer"))["id"] if with_user else None
    vid = (await Volunteer.insert(Volunteer(user=user_id, real_name=name)).returning(Volunteer.id))[0]["id"]
    return vid, user_id


async def make_youth(*, status: str = "active", activated_at: datetime | None = None) -> tuple[int, int]:
    """A little safety officer without a login of their own: (volunteer id, guardian user id)."""
    guardian = await make_user("guardian")
    vid = (await Volunteer.insert(Volunteer(user=None, real_name="小明", is_youth=True)).returning(Volunteer.id))[0]["id"]
    await YouthMember.insert(YouthMember(volunteer=vid, guardian=guardian["id"], status=status,
                                         activated_at=activated_at, consent_at=activated_at))
    return vid, guardian["id"]


async def make_certificate(volunteer_id: int, *, code: str = "first_aid_cert", expires_on: date) -> int:
    kind = await CertificateKind.select(CertificateKind.id).where(CertificateKind.code == code).first()
    if kind is None:
        kind = (await CertificateKind.insert(CertificateKind(code=code, name_zh=code)).returning(CertificateKind.id))[0]
    return (await Certificate.insert(Certificate(volunteer=volunteer_id, kind=kind["id"], expires_on=expires_on))
            .returning(Certificate.id))[0]["id"]


async def confirm(volunteer_id: int, occurrence_id: int, *, status: str = "confirmed") -> int:
    """A sign-up written directly (the sign-up rules belong to the activities tests)."""
    if status == "confirmed":
        await Occurrence.raw("UPDATE occurrence SET taken = taken + 1 WHERE id = {}", occurrence_id)
    return (await SignUp.insert(SignUp(occurrence=occurrence_id, volunteer=volunteer_id, status=status))
            .returning(SignUp.id))[0]["id"]


async def occurrences_of(activity_id: int) -> list[dict]:
    return await Occurrence.select(Occurrence.id, Occurrence.starts_at, Occurrence.status).where(
        Occurrence.activity == activity_id).order_by(Occurrence.starts_at)
