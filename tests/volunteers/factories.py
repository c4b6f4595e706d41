"""Small factories for the volunteer and wish tests: places, skills, occurrences, profiles."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from tongxin.accounts.tables import Community, Grid, GridAssignment
from tongxin.activities.tables import Activity, Occurrence
from tongxin.dates import local_today
from tongxin.organizations.tables import Organization, OrganizationMember
from tongxin.volunteers.tables import CertificateKind, Skill

from tests.factories import login, make_user, unique


async def make_community(name: str = "明日社区") -> int:
    rows = await Community.insert(Community(code=unique("c"), name=name, lat=33.9, lon=118.3)).returning(Community.id)
    return rows[0]["id"]


async def make_grid(community_id: int, *, lat: float = 33.91, lon: float = 118.31) -> int:
    code = unique("g")
    rows = await Grid.insert(Grid(community=community_id, code=code, name=f"第{code}网格", lat=lat, lon=lon)
                             ).returning(Grid.id)
    return rows[0]["id"]


async def make_place(name: str = "明日社区") -> tuple[int, int]:
    """A community and one grid in it."""
    community_id = await make_community(name)
    return community_id, await make_grid(community_id)


async def make_skill(code: str) -> None:
    await Skill.insert(Skill(code=code, name_zh=code, name_en=code))


async def make_certificate_kind(code: str) -> None:
    await CertificateKind.insert(CertificateKind(code=code, name_zh=code, name_en=code))


async def make_grid_worker(grid_id: int) -> dict:
    user = await make_user("grid_worker")
    await GridAssignment.insert(GridAssignment(user=user["id"], grid=grid_id))
    return user


async def make_organization(*members: int) -> int:
    rows = await Organization.insert(Organization(name=unique("org"), kind="social_organization",
                                                  status="approved")).returning(Organization.id)
    for user_id in members:
        await OrganizationMember.insert(OrganizationMember(organization=rows[0]["id"], user=user_id))
    return rows[0]["id"]


async def make_occurrence(*, starts_in: timedelta = timedelta(days=7), capacity: int = 5,
                          title: str = "吾爱邻便民志愿服务日", address: str = "明日社区广场") -> int:
    """An approved activity with one open occurrence `starts_in` from now."""
    org = await make_organization()
    start = datetime.now(timezone.utc).replace(microsecond=0) + starts_in
    activity = await Activity.insert(Activity(organization=org, title=title, kind="service_day",
                                              status="approved", starts_at=start, capacity=capacity)
                                     ).returning(Activity.id)
    rows = await Occurrence.insert(Occurrence(
        activity=activity[0]["id"], starts_at=start, ends_at=start + timedelta(hours=2),
        signup_deadline=start - timedelta(hours=1), capacity=capacity, taken=0, status="open", address=address,
    )).returning(Occurrence.id)
    return rows[0]["id"]


def years_ago(years: int, *, days: int = 0) -> date:
    """A birth date `years` years (and `days` more days) before today."""
    today = local_today()
    try:
        born = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        born = today.replace(year=today.year - years, day=28)
    return born - timedelta(days=days)


async def volunteer_with_profile(client, community_id: int, grid_id: int, **fields) -> dict:
    """Sign `client` in as a new volunteer and save a profile; returns the user with `volunteer_id`."""
    user = await make_user("volunteer")
    await login(client, user["username"])
    body = {"real_name": "李华", "phone": "13800001111", "birth_date": years_ago(30).isoformat(),
            "community_id": community_id, "grid_id": grid_id, **fields}
    response = await client.put("/api/volunteers/me", json=body)
    assert response.status_code == 200, response.text
    return {**user, "volunteer_id": response.json()["id"]}


async def enrol(*, volunteer_id: int, occurrence_id: int) -> dict:
    """Test set-up: put someone on an occurrence as the state machine would (confirmed while places last,
    then waitlisted), without its rule checks: for tests about what happens to existing sign-ups."""
    from tongxin.activities.signups import recount, waitlist_position
    from tongxin.activities.tables import SignUp

    occurrence = await Occurrence.select(Occurrence.capacity, Occurrence.taken).where(
        Occurrence.id == occurrence_id).first()
    status = "confirmed" if occurrence["taken"] < occurrence["capacity"] else "waitlisted"
    seq = await SignUp.count().where(SignUp.occurrence == occurrence_id) + 1
    rows = await SignUp.insert(SignUp(occurrence=occurrence_id, volunteer=volunteer_id, status=status,
                                      queue_seq=seq if status == "waitlisted" else None)).returning(SignUp.id)
    await recount(occurrence_id)
    return {"id": rows[0]["id"], "status": status, "waitlist_position": await waitlist_position(sign_up_id=rows[0]["id"])}
