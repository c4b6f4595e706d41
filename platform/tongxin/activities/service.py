"""Activities, occurrences and sign-ups: the domain rules, as plain async functions."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from tongxin.activities.tables import Activity, Occurrence, SignUp
from tongxin.dates import age_on
from tongxin.db import write_transaction
from tongxin.errors import Conflict, InvalidInput, NotFound
from tongxin.paging import page

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
ACTIVE_SIGN_UP = ("applied", "confirmed", "waitlisted")


class OccurrenceFull(Conflict):
    code = "occurrence_full"


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def occurrence_starts(activity: dict[str, Any], *, after: datetime, until: datetime) -> list[datetime]:
    """Start times (UTC) of an activity between `after` and `until`; the RRULE runs in local time."""
    first = activity["starts_at"].astimezone(LOCAL_TZ)
    if not activity.get("rrule"):
        return [first.astimezone(timezone.utc)] if after <= first <= until else []
    try:
        rule = rrulestr(activity["rrule"], dtstart=first)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"recurrence rule is not valid RFC 5545: {exc}", field="rrule") from exc
    return [d.astimezone(timezone.utc) for d in rule.between(after, until, inc=True)]


async def expand_occurrences(*, activity_id: int, until: datetime, after: datetime | None = None) -> int:
    """Create the activity's missing occurrences up to `until`; a second call creates nothing."""
    activity = await Activity.select().where(Activity.id == activity_id).first()
    if activity is None:
        raise NotFound("activity not found")
    starts = occurrence_starts(activity, after=after or activity["starts_at"], until=until)
    duration = timedelta(minutes=activity["duration_minutes"])
    deadline = timedelta(hours=activity["signup_deadline_hours"])
    created = 0
    for start in starts:
        rows = await Occurrence.insert(Occurrence(
            activity=activity_id, starts_at=start, ends_at=start + duration,
            signup_deadline=start - deadline, capacity=activity["capacity"], taken=0, status="open",
            community=activity["community"], grid=activity["grid"], lat=activity["lat"],
            lon=activity["lon"], address=activity["address"],
        )).on_conflict(action="DO NOTHING").returning(Occurrence.id)
        created += len(rows)
    return created


async def reserve_place(*, occurrence_id: int) -> bool:
    """Take one place if one is free; the database decides, so concurrent sign-ups never overfill."""
    rows = await Occurrence.raw(
        "UPDATE occurrence SET taken = taken + 1 "
        "WHERE id = {} AND taken < capacity AND status = 'open' RETURNING id",
        occurrence_id,
    )
    return bool(rows)


async def release_place(*, occurrence_id: int) -> None:
    await Occurrence.raw(
        "UPDATE occurrence SET taken = taken - 1 WHERE id = {} AND taken > 0", occurrence_id
    )


async def sign_up(*, volunteer_id: int, occurrence_id: int, source: str = "self",
                  is_leader: bool = False, waitlist: bool = True) -> dict[str, Any]:
    """Sign a volunteer up: confirmed while places last, otherwise on the waitlist (or `OccurrenceFull`)."""
    async with write_transaction():
        occurrence = await Occurrence.select(
            Occurrence.id, Occurrence.status, Occurrence.signup_deadline
        ).where(Occurrence.id == occurrence_id).first()
        if occurrence is None:
            raise NotFound("occurrence not found")
        if occurrence["status"] != "open" or occurrence["signup_deadline"] <= now_utc():
            raise Conflict("sign-ups for this occurrence are closed", code="sign_ups_closed")
        existing = await SignUp.select(SignUp.id, SignUp.status).where(
            (SignUp.occurrence == occurrence_id) & (SignUp.volunteer == volunteer_id)
        ).first()
        if existing and existing["status"] in ACTIVE_SIGN_UP:
            raise Conflict("you are already signed up for this occurrence", code="already_signed_up")
        if await reserve_place(occurrence_id=occurrence_id):
            status = "confirmed"
        elif waitlist:
            status = "waitlisted"
        else:
            raise OccurrenceFull("this occurrence is full")
        values = {SignUp.status: status, SignUp.source: source, SignUp.is_leader: is_leader,
                  SignUp.created_at: now_utc(), SignUp.cancelled_at: None}
        if existing:
            await SignUp.update(values).where(SignUp.id == existing["id"])
            sign_up_id = existing["id"]
        else:
            rows = await SignUp.insert(SignUp(
                occurrence=occurrence_id, volunteer=volunteer_id, status=status, source=source,
                is_leader=is_leader,
            )).returning(SignUp.id)
            sign_up_id = rows[0]["id"]
    return {"id": sign_up_id, "status": status, "occurrence": occurrence_id, "volunteer": volunteer_id}


async def cancel_sign_up(*, sign_up_id: int, volunteer_id: int | None = None) -> dict[str, Any] | None:
    """Cancel a sign-up; a freed place goes to the first on the waitlist. Returns who was promoted."""
    async with write_transaction():
        query = SignUp.update({SignUp.status: "cancelled", SignUp.cancelled_at: now_utc()}).where(
            (SignUp.id == sign_up_id) & SignUp.status.is_in(list(ACTIVE_SIGN_UP))
        )
        if volunteer_id is not None:
            query = query.where(SignUp.volunteer == volunteer_id)
        before = await SignUp.select(SignUp.status, SignUp.occurrence).where(SignUp.id == sign_up_id).first()
        rows = await query.returning(SignUp.id)
        if not rows:
            raise NotFound("no active sign-up to cancel")
        if before["status"] != "confirmed":
            return None
        await release_place(occurrence_id=before["occurrence"])
        return await promote_waitlist(occurrence_id=before["occurrence"])


async def promote_waitlist(*, occurrence_id: int) -> dict[str, Any] | None:
    """Move the longest-waiting volunteer into a free place, if there is one."""
    first = await SignUp.select(SignUp.id, SignUp.volunteer).where(
        (SignUp.occurrence == occurrence_id) & (SignUp.status == "waitlisted")
    ).order_by(SignUp.created_at).order_by(SignUp.id).first()
    if first is None or not await reserve_place(occurrence_id=occurrence_id):
        return None
    await SignUp.update({SignUp.status: "confirmed"}).where(SignUp.id == first["id"])
    return first


# ---- activities: drafts, submission, staff decisions ---------------------------------------------

PUBLISHED = ("approved", "closed")
PUBLISH_WEEKS = 8
ACTIVITY_FIELDS = (
    "title", "kind", "description", "starts_at", "duration_minutes", "rrule", "community_id", "grid_id",
    "lat", "lon", "address", "capacity", "signup_deadline_hours", "min_age", "max_age", "youth_allowed",
    "required_skills", "required_certificates", "hours_credit", "points_credit",
)
OCCURRENCE_SORTS = ("starts_at", "-starts_at", "distance", "places_left")
DAYTIME = (8, 18)  # youth members serve between 08:00 and 18:00 local time


def _may_manage(actor, organization_id: int) -> bool:
    return actor is not None and (actor.is_staff or actor.organization_id == organization_id)


async def _validate_activity(fields: dict[str, Any]) -> dict[str, Any]:
    """Check an activity's fields against the district's data; returns table values."""
    from tongxin.accounts.tables import Community, Grid
    from tongxin.volunteers.tables import CertificateKind, Skill

    if fields["starts_at"].tzinfo is None:
        raise InvalidInput("starts_at needs a timezone, e.g. 2026-12-19T09:00:00+08:00", field="starts_at")
    if fields["min_age"] > fields["max_age"]:
        raise InvalidInput("min_age must not be above max_age", field="min_age")
    if fields["youth_allowed"] and fields["min_age"] >= 18:
        raise InvalidInput("an activity open to youth members needs a min_age under 18", field="min_age")
    if fields["rrule"]:
        occurrence_starts({"starts_at": fields["starts_at"], "rrule": fields["rrule"]},
                          after=fields["starts_at"], until=fields["starts_at"] + timedelta(days=1))
    known = {r["code"] for r in await Skill.select(Skill.code)}
    unknown = [c for c in fields["required_skills"] if c not in known]
    if unknown:
        raise InvalidInput(f"unknown skill code(s): {', '.join(unknown)}", field="required_skills")
    known = {r["code"] for r in await CertificateKind.select(CertificateKind.code)}
    unknown = [c for c in fields["required_certificates"] if c not in known]
    if unknown:
        raise InvalidInput(f"unknown certificate code(s): {', '.join(unknown)}", field="required_certificates")
    community, grid = fields.get("community_id"), fields.get("grid_id")
    if community is not None and not await Community.exists().where(Community.id == community):
        raise InvalidInput("no such community", field="community_id")
    if grid is not None:
        row = await Grid.select(Grid.community, Grid.lat, Grid.lon).where(Grid.id == grid).first()
        if row is None or (community is not None and row["community"] != community):
            raise InvalidInput("the grid is not in that community", field="grid_id")
        community = row["community"]
        if fields.get("lat") is None:
            fields["lat"], fields["lon"] = row["lat"], row["lon"]
    if fields.get("lat") is None and community is not None:
        row = await Community.select(Community.lat, Community.lon).where(Community.id == community).first()
        fields["lat"], fields["lon"] = row["lat"], row["lon"]
    values = {k: v for k, v in fields.items() if k not in ("community_id", "grid_id")}
    values["community"], values["grid"] = community, grid
    return values


async def create_activity(*, actor, **fields: Any) -> dict[str, Any]:
    """A member of an approved organization drafts an activity (one-off or recurring)."""
    from tongxin.organizations.tables import Organization

    if actor.organization_id is None:
        raise InvalidInput("only members of an organization can register activities", field="organization")
    if not await Organization.exists().where((Organization.id == actor.organization_id)
                                             & (Organization.status == "approved")):
        raise Conflict("your organization must be approved before it registers activities", code="not_approved")
    values = await _validate_activity(fields)
    rows = await Activity.insert(Activity(organization=actor.organization_id, created_by=actor.id, status="draft",
                                          **values)).returning(Activity.id)
    return await get_activity(actor=actor, activity_id=rows[0]["id"])


async def update_activity(*, actor, activity_id: int, **fields: Any) -> dict[str, Any]:
    """Edit a draft (or a rejected activity, which goes back to draft)."""
    activity = await _managed_activity(actor, activity_id)
    if activity["status"] not in ("draft", "rejected"):
        raise Conflict("only drafts can be edited; published activities are changed by the scheduler's "
                       "rule edit or cancelled", code="not_a_draft")
    values = await _validate_activity(fields)
    await Activity.update({getattr(Activity, k): v for k, v in values.items()} | {Activity.status: "draft"}).where(
        Activity.id == activity_id)
    return await get_activity(actor=actor, activity_id=activity_id)


async def _managed_activity(actor, activity_id: int) -> dict[str, Any]:
    activity = await Activity.select().where(Activity.id == activity_id).first()
    if activity is None or not _may_manage(actor, activity["organization"]):
        raise NotFound("activity not found")
    return activity


async def submit_activity(*, actor, activity_id: int) -> dict[str, Any]:
    """draft → submitted, for staff to review."""
    await _managed_activity(actor, activity_id)
    rows = await Activity.update({Activity.status: "submitted", Activity.submitted_at: now_utc()}).where(
        (Activity.id == activity_id) & (Activity.status == "draft")).returning(Activity.id)
    if not rows:
        raise Conflict("only a draft can be submitted", code="not_a_draft")
    return await get_activity(actor=actor, activity_id=activity_id)


async def decide_activity(*, actor, activity_id: int, approve: bool, reason: str = "",
                          now: datetime | None = None) -> dict[str, Any]:
    """Staff approve (publish, with occurrences for the coming weeks) or reject a submitted activity, once."""
    from tongxin.accounts.service import record_audit
    from tongxin.notifications.service import notify
    from tongxin.organizations.service import member_user_ids

    if not actor.is_staff:
        raise NotFound("activity not found")
    if not approve and not reason.strip():
        raise InvalidInput("say why the activity is rejected", field="reason")
    now = now or now_utc()
    status = "approved" if approve else "rejected"
    async with write_transaction():
        rows = await Activity.update({Activity.status: status, Activity.decided_at: now,
                                      Activity.decision_reason: reason.strip()}).where(
            (Activity.id == activity_id) & (Activity.status == "submitted")).returning(
            Activity.organization, Activity.title)
        if not rows:
            if await Activity.exists().where(Activity.id == activity_id):
                raise Conflict("only a submitted activity can be decided, once", code="already_decided")
            raise NotFound("activity not found")
        created = 0
        if approve:
            created = await expand_occurrences(activity_id=activity_id, after=now,
                                               until=now + timedelta(weeks=PUBLISH_WEEKS))
        await record_audit(actor_id=actor.id, action="approve_activity" if approve else "reject_activity",
                           target_type="activity", target_id=activity_id,
                           detail={"reason": reason.strip(), "occurrences": created})
        for user_id in await member_user_ids(organization_id=rows[0]["organization"]):
            await notify(recipient_id=user_id, kind=f"activity_{status}", target_key=f"activity:{activity_id}",
                         title=(f"活动“{rows[0]['title']}”已发布 / published" if approve
                                else f"活动“{rows[0]['title']}”未通过审核 / not approved"), body=reason.strip())
    return await get_activity(actor=actor, activity_id=activity_id)


async def cancel_activity(*, actor, activity_id: int, reason: str, now: datetime | None = None) -> dict[str, Any]:
    """The organization or staff cancel an activity: future occurrences are cancelled, people told."""
    from tongxin.notifications.service import notify
    from tongxin.volunteers.tables import Volunteer, YouthMember

    if not reason.strip():
        raise InvalidInput("say why the activity is cancelled", field="reason")
    activity = await _managed_activity(actor, activity_id)
    if activity["status"] == "cancelled":
        raise Conflict("this activity is already cancelled", code="already_cancelled")
    now = now or now_utc()
    async with write_transaction():
        await Activity.update({Activity.status: "cancelled"}).where(Activity.id == activity_id)
        future = await Occurrence.update({Occurrence.status: "cancelled"}).where(
            (Occurrence.activity == activity_id) & (Occurrence.starts_at > now)
            & (Occurrence.status != "cancelled")).returning(Occurrence.id)
        ids = [r["id"] for r in future]
        affected = await SignUp.update({SignUp.status: "cancelled", SignUp.cancelled_at: now}).where(
            SignUp.occurrence.is_in(ids or [-1]) & SignUp.status.is_in(list(ACTIVE_SIGN_UP))).returning(
            SignUp.id, SignUp.volunteer, SignUp.occurrence)
        for sign_up in affected:
            person = await Volunteer.select(Volunteer.user).where(Volunteer.id == sign_up["volunteer"]).first()
            recipients = [person["user"]] if person and person["user"] else [
                r["guardian"] for r in await YouthMember.select(YouthMember.guardian).where(
                    YouthMember.volunteer == sign_up["volunteer"])]
            for user_id in recipients:
                await notify(recipient_id=user_id, kind="occurrence_cancelled",
                             target_key=f"occurrence:{sign_up['occurrence']}",
                             title=f"活动“{activity['title']}”已取消 / cancelled", body=reason.strip())
    return await get_activity(actor=actor, activity_id=activity_id)


async def get_activity(*, actor, activity_id: int) -> dict[str, Any]:
    """Published activities are public; drafts, submitted and rejected ones only for their organization and staff."""
    row = await Activity.select(*Activity.all_columns(), Activity.organization.name.as_alias("organization_name")).where(
        Activity.id == activity_id).first()
    if row is None or (row["status"] not in PUBLISHED + ("cancelled",) and not _may_manage(actor, row["organization"])):
        raise NotFound("activity not found")
    row["occurrences"] = await Occurrence.select(
        Occurrence.id, Occurrence.starts_at, Occurrence.ends_at, Occurrence.capacity, Occurrence.taken,
        Occurrence.status).where(Occurrence.activity == activity_id).order_by(Occurrence.starts_at).limit(60)
    return row


async def list_activities(*, actor, status: str | None = None, mine: bool = False, limit: int = 20,
                          offset: int = 0) -> dict[str, Any]:
    """Published activities for everyone; `mine` lists the caller's organization's, any status; staff any."""
    condition = Activity.id > 0
    if mine:
        if actor is None or actor.organization_id is None:
            raise InvalidInput("mine=true needs an organization account", field="mine")
        condition &= Activity.organization == actor.organization_id
    elif not (actor and actor.is_staff):
        condition &= Activity.status.is_in(list(PUBLISHED))
    if status:
        condition &= Activity.status == status
    items = await Activity.select(
        Activity.id, Activity.title, Activity.kind, Activity.status, Activity.starts_at, Activity.rrule,
        Activity.capacity, Activity.organization, Activity.organization.name.as_alias("organization_name"),
        Activity.submitted_at,
    ).where(condition).order_by(Activity.id, ascending=False).limit(limit).offset(offset)
    return page(items, await Activity.count().where(condition), limit, offset)


# ---- browsing occurrences ------------------------------------------------------------------------

def _km(lat1, lon1, lat2, lon2) -> float:
    import math

    if None in (lat1, lon1, lat2, lon2):
        return float("inf")
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


async def list_occurrences(*, actor=None, date_from: date | None = None, date_to: date | None = None,
                           kind: str | None = None, community_id: int | None = None, lat: float | None = None,
                           lon: float | None = None, radius_km: float | None = None, fits_me: bool = False,
                           sort: str = "starts_at", limit: int = 20, offset: int = 0,
                           now: datetime | None = None) -> dict[str, Any]:
    """Published future occurrences with places left, filtered and sorted; `fits_me` applies the hard rules."""
    from tongxin.volunteers.tables import Volunteer

    if sort not in OCCURRENCE_SORTS:
        raise InvalidInput(f"sort must be one of {', '.join(OCCURRENCE_SORTS)}", field="sort")
    now = now or now_utc()
    volunteer = None
    wants_home = lat is None and (sort == "distance" or radius_km is not None)
    if fits_me and (actor is None or actor.volunteer_id is None):
        raise InvalidInput("fill in your volunteer profile first (\"fits me\" needs it)", field="fits_me")
    if fits_me or (wants_home and actor is not None and actor.volunteer_id is not None):
        volunteer = await Volunteer.select(Volunteer.id, Volunteer.lat, Volunteer.lon).where(
            Volunteer.id == actor.volunteer_id).first()
        if lat is None and volunteer:
            lat, lon = volunteer["lat"], volunteer["lon"]
    if (sort == "distance" or radius_km is not None) and (lat is None or lon is None):
        raise InvalidInput("give lat and lon (or a home location in your profile) to sort or filter by distance",
                           field="lat")
    condition = (Occurrence.starts_at > now) & Occurrence.status.is_in(["open", "closed"]) \
        & (Occurrence.activity.status == "approved")
    if date_from:
        condition &= Occurrence.starts_at >= datetime.combine(date_from, datetime.min.time(), LOCAL_TZ)
    if date_to:
        condition &= Occurrence.starts_at < datetime.combine(date_to + timedelta(days=1), datetime.min.time(), LOCAL_TZ)
    if kind:
        condition &= Occurrence.activity.kind == kind
    if community_id:
        condition &= Occurrence.community == community_id
    rows = await Occurrence.select(
        Occurrence.id, Occurrence.starts_at, Occurrence.ends_at, Occurrence.signup_deadline, Occurrence.capacity,
        Occurrence.taken, Occurrence.status, Occurrence.community, Occurrence.lat, Occurrence.lon, Occurrence.address,
        Occurrence.activity, Occurrence.activity.title.as_alias("title"), Occurrence.activity.kind.as_alias("kind"),
        Occurrence.activity.youth_allowed.as_alias("youth_allowed"),
        Occurrence.activity.organization.name.as_alias("organization_name"),
    ).where(condition).order_by(Occurrence.starts_at)
    items = []
    for r in rows:
        r["places_left"] = max(r["capacity"] - r["taken"], 0)
        r["distance_km"] = round(_km(lat, lon, r["lat"], r["lon"]), 2) if lat is not None else None
        if radius_km is not None and (r["distance_km"] is None or r["distance_km"] > radius_km):
            continue
        items.append(r)
    if fits_me and volunteer:
        fitting = []
        for r in items:
            if not await check_eligibility(volunteer_id=volunteer["id"], occurrence_id=r["id"], now=now):
                fitting.append(r)
        items = fitting
    if sort == "distance":
        items.sort(key=lambda r: r["distance_km"])
    elif sort == "places_left":
        items.sort(key=lambda r: -r["places_left"])
    elif sort == "-starts_at":
        items.reverse()
    return page(items[offset:offset + limit], len(items), limit, offset)


# ---- eligibility, sign-ups on behalf of people ---------------------------------------------------

ELIGIBILITY_MESSAGES = {
    "sign_ups_closed": "sign-ups for this occurrence are closed",
    "age": "your age is outside this activity's age range",
    "no_birth_date": "add your birth date to your profile first (activities have age limits)",
    "certificate": "a required certificate is missing or expires before the day",
    "overlap": "you are already signed up for something at the same time",
    "youth_not_allowed": "this activity is not open to little safety officers",
    "youth_night": "little safety officers serve in daytime only (08:00-18:00)",
    "youth_inactive": "the child must be assessed and active in the squad first",
    "youth_consent": "the guardian's consent is not in force",
    "youth_no_leader": "no adult leader has signed up yet",
}


async def check_eligibility(*, volunteer_id: int, occurrence_id: int, now: datetime | None = None) -> list[str]:
    """The hard rules for one person and one occurrence: reason codes, empty when they may join."""
    from tongxin.volunteers.tables import Certificate, Volunteer, YouthMember

    now = now or now_utc()
    occurrence = await Occurrence.select(
        Occurrence.starts_at, Occurrence.ends_at, Occurrence.status, Occurrence.signup_deadline,
        Occurrence.activity.min_age, Occurrence.activity.max_age, Occurrence.activity.youth_allowed,
        Occurrence.activity.required_certificates,
    ).where(Occurrence.id == occurrence_id).first()
    person = await Volunteer.select(Volunteer.birth_date, Volunteer.is_youth).where(Volunteer.id == volunteer_id).first()
    if occurrence is None or person is None:
        raise NotFound("occurrence or volunteer not found")
    reasons = []
    if occurrence["status"] != "open" or occurrence["signup_deadline"] <= now:
        reasons.append("sign_ups_closed")
    day = occurrence["starts_at"].astimezone(LOCAL_TZ).date()
    birth = person["birth_date"]
    if birth is None:
        reasons.append("no_birth_date")
    else:
        if not occurrence["activity.min_age"] <= age_on(birth, day) <= occurrence["activity.max_age"]:
            reasons.append("age")
    required = _json_list(occurrence["activity.required_certificates"])
    if required:
        held = await Certificate.select(Certificate.kind.code.as_alias("code"), Certificate.expires_on).where(
            Certificate.volunteer == volunteer_id)
        valid = {c["code"] for c in held if c["expires_on"] is None or c["expires_on"] >= day}
        if not set(required) <= valid:
            reasons.append("certificate")
    clash = await SignUp.exists().where(
        (SignUp.volunteer == volunteer_id) & (SignUp.status == "confirmed") & (SignUp.occurrence != occurrence_id)
        & (SignUp.occurrence.starts_at < occurrence["ends_at"]) & (SignUp.occurrence.ends_at > occurrence["starts_at"]))
    if clash:
        reasons.append("overlap")
    if person["is_youth"]:
        youth = await YouthMember.select(YouthMember.status, YouthMember.consent_at,
                                         YouthMember.consent_withdrawn_at).where(
            YouthMember.volunteer == volunteer_id).first()
        start, end = occurrence["starts_at"].astimezone(LOCAL_TZ), occurrence["ends_at"].astimezone(LOCAL_TZ)
        if not occurrence["activity.youth_allowed"]:
            reasons.append("youth_not_allowed")
        if start.hour < DAYTIME[0] or end.hour + end.minute / 60 > DAYTIME[1] or end.date() != start.date():
            reasons.append("youth_night")
        if youth is None or youth["status"] != "active":
            reasons.append("youth_inactive")
        if youth is None or youth["consent_at"] is None or youth["consent_withdrawn_at"] is not None:
            reasons.append("youth_consent")
        if not await SignUp.exists().where((SignUp.occurrence == occurrence_id) & (SignUp.is_leader == True)  # noqa: E712
                                           & (SignUp.status == "confirmed")):
            reasons.append("youth_no_leader")
    return reasons


def _json_list(value: Any) -> list[str]:
    import json

    if isinstance(value, str):
        value = json.loads(value or "[]")
    return list(value or [])


async def _acting_for(actor, volunteer_id: int | None) -> int:
    """Whose sign-up: the volunteer themself, or a guardian's own child."""
    from tongxin.volunteers.tables import YouthMember

    if volunteer_id is None or volunteer_id == actor.volunteer_id:
        if actor.volunteer_id is None:
            raise InvalidInput("fill in your volunteer profile before signing up", field="profile")
        return actor.volunteer_id
    if actor.role == "guardian" and await YouthMember.exists().where(
            (YouthMember.volunteer == volunteer_id) & (YouthMember.guardian == actor.id)):
        return volunteer_id
    raise NotFound("volunteer not found")


async def sign_up_for(*, actor, occurrence_id: int, volunteer_id: int | None = None,
                      as_leader: bool = False) -> dict[str, Any]:
    """Sign up (or a guardian signs up their child) after the hard rules; full → waitlist with a position."""
    who = await _acting_for(actor, volunteer_id)
    reasons = await check_eligibility(volunteer_id=who, occurrence_id=occurrence_id)
    if reasons:
        raise Conflict("; ".join(ELIGIBILITY_MESSAGES.get(r, r) for r in reasons), code=f"not_eligible:{reasons[0]}")
    if as_leader and (await _is_minor(who)):
        raise InvalidInput("a leader must be an adult", field="as_leader")
    result = await sign_up(volunteer_id=who, occurrence_id=occurrence_id, is_leader=as_leader)
    if result["status"] == "waitlisted":
        result["waitlist_position"] = await SignUp.count().where(
            (SignUp.occurrence == occurrence_id) & (SignUp.status == "waitlisted") & (SignUp.id <= result["id"]))
        result["message"] = "this occurrence is full: you are on the waitlist and will be told if a place frees up"
    return result


async def _is_minor(volunteer_id: int) -> bool:
    from tongxin.volunteers.tables import Volunteer

    row = await Volunteer.select(Volunteer.is_youth).where(Volunteer.id == volunteer_id).first()
    return bool(row and row["is_youth"])


async def cancel_for(*, actor, sign_up_id: int) -> dict[str, Any]:
    """Cancel one's own (or one's child's) sign-up; a promoted volunteer is told."""
    from tongxin.notifications.service import notify
    from tongxin.volunteers.tables import Volunteer

    row = await SignUp.select(SignUp.volunteer, SignUp.occurrence).where(SignUp.id == sign_up_id).first()
    if row is None:
        raise NotFound("sign-up not found")
    await _acting_for(actor, row["volunteer"])
    promoted = await cancel_sign_up(sign_up_id=sign_up_id)
    if promoted:
        person = await Volunteer.select(Volunteer.user).where(Volunteer.id == promoted["volunteer"]).first()
        if person and person["user"]:
            await notify(recipient_id=person["user"], kind="waitlist_promoted",
                         target_key=f"occurrence:{row['occurrence']}",
                         title="候补转正：您已获得活动名额 / You got a place from the waitlist")
    return {"id": sign_up_id, "status": "cancelled", "promoted_sign_up": promoted["id"] if promoted else None}


# ---- the organization's side: sign-ups and attendance --------------------------------------------

async def occurrence_sign_ups(*, actor, occurrence_id: int) -> dict[str, Any]:
    """An organization sees its occurrence's sign-ups; phones only for confirmed ones."""
    occurrence = await Occurrence.select(Occurrence.id, Occurrence.activity.organization, Occurrence.starts_at,
                                         Occurrence.capacity, Occurrence.taken,
                                         Occurrence.activity.title.as_alias("title")).where(
        Occurrence.id == occurrence_id).first()
    if occurrence is None or not _may_manage(actor, occurrence["activity.organization"]):
        raise NotFound("occurrence not found")
    rows = await SignUp.select(
        SignUp.id, SignUp.status, SignUp.is_leader, SignUp.created_at, SignUp.volunteer,
        SignUp.volunteer.real_name.as_alias("name"), SignUp.volunteer.phone.as_alias("phone"),
        SignUp.volunteer.is_youth.as_alias("is_youth"),
    ).where(SignUp.occurrence == occurrence_id).order_by(SignUp.created_at)
    for r in rows:
        if r["status"] not in ("confirmed", "attended", "no_show") or r["is_youth"]:
            r["phone"] = ""
    return {"occurrence": occurrence, "items": rows}


async def _credit(sign_up_id: int, volunteer_id: int, hours: float, points: int) -> bool:
    """One ledger credit per sign-up (unique index): totals move only when the row is new."""
    from tongxin.volunteers.tables import LedgerEntry, Volunteer

    rows = await LedgerEntry.insert(LedgerEntry(volunteer=volunteer_id, sign_up=sign_up_id, hours=hours,
                                                points=points, reason="attendance")).on_conflict(
        action="DO NOTHING").returning(LedgerEntry.id)
    if rows:
        # Piccolo cannot add to a Real column, so the increment is plain SQL (one statement, no read).
        await Volunteer.raw(
            "UPDATE volunteer SET hours_total = hours_total + {}, points_total = points_total + {}, "
            "attended_count = attended_count + 1 WHERE id = {}", float(hours), int(points), volunteer_id)
    return bool(rows)


async def mark_attendance(*, actor, sign_up_id: int, attended: bool, now: datetime | None = None) -> dict[str, Any]:
    """After the start, the organization marks attended (credits hours and points once) or no-show."""
    from tongxin.volunteers.tables import Volunteer

    now = now or now_utc()
    row = await SignUp.select(
        SignUp.id, SignUp.status, SignUp.volunteer, SignUp.occurrence.starts_at, SignUp.occurrence.ends_at,
        SignUp.occurrence.activity.organization, SignUp.occurrence.activity.hours_credit,
        SignUp.occurrence.activity.points_credit,
    ).where(SignUp.id == sign_up_id).first()
    if row is None or not _may_manage(actor, row["occurrence.activity.organization"]):
        raise NotFound("sign-up not found")
    if row["occurrence.starts_at"] > now:
        raise Conflict("attendance can be marked once the occurrence has started", code="not_started")
    status = "attended" if attended else "no_show"
    async with write_transaction():
        updated = await SignUp.update({SignUp.status: status, SignUp.attendance_marked_at: now}).where(
            (SignUp.id == sign_up_id) & (SignUp.status == "confirmed")).returning(SignUp.id)
        if not updated:
            raise Conflict(f"attendance is already marked ({row['status']}) or the sign-up is not confirmed",
                           code="already_marked")
        credited = False
        if attended:
            credited = await _credit(sign_up_id, row["volunteer"], _hours_of(row),
                                     row["occurrence.activity.points_credit"])
        else:
            await Volunteer.update({Volunteer.no_show_count: Volunteer.no_show_count + 1}).where(
                Volunteer.id == row["volunteer"])
    return {"id": sign_up_id, "status": status, "credited": credited}


async def mark_no_shows_after(*, grace: timedelta, now: datetime | None = None) -> int:
    """Confirmed sign-ups of occurrences that ended more than `grace` ago become no-shows (scheduler)."""
    from tongxin.volunteers.tables import Volunteer

    now = now or now_utc()
    async with write_transaction():
        rows = await SignUp.update({SignUp.status: "no_show", SignUp.attendance_marked_at: now}).where(
            (SignUp.status == "confirmed") & (SignUp.occurrence.ends_at < now - grace)).returning(SignUp.volunteer)
        for r in rows:
            await Volunteer.update({Volunteer.no_show_count: Volunteer.no_show_count + 1}).where(
                Volunteer.id == r["volunteer"])
        await Occurrence.update({Occurrence.status: "done"}).where(
            Occurrence.status.is_in(["open", "closed"]) & (Occurrence.ends_at < now - grace))
    return len(rows)


async def change_rule(*, actor, activity_id: int, rrule: str, starts_at: datetime | None = None,
                      now: datetime | None = None) -> dict[str, Any]:
    """Edit a published activity's recurrence: only future occurrences change; history stays."""
    from tongxin.accounts.service import record_audit
    from tongxin.scheduling.service import reschedule_activity

    activity = await _managed_activity(actor, activity_id)
    if activity["status"] != "approved":
        raise Conflict("only a published activity's rule is changed this way; edit drafts directly",
                       code="not_published")
    starts_at = starts_at or activity["starts_at"]
    if starts_at.tzinfo is None:
        raise InvalidInput("starts_at needs a timezone, e.g. 2026-12-19T09:00:00+08:00", field="starts_at")
    if rrule:
        occurrence_starts({"starts_at": starts_at, "rrule": rrule}, after=starts_at, until=starts_at + timedelta(days=1))
    now = now or now_utc()
    async with write_transaction():
        await Activity.update({Activity.rrule: rrule, Activity.starts_at: starts_at}).where(Activity.id == activity_id)
        changes = await reschedule_activity(activity_id=activity_id, now=now)
        await record_audit(actor_id=actor.id, action="change_activity_rule", target_type="activity",
                           target_id=activity_id, detail={"rrule": rrule, **changes})
    return {**await get_activity(actor=actor, activity_id=activity_id), "changes": changes}


async def credit_attendance(*, now: datetime | None = None) -> int:
    """Credit any attended sign-up still without its ledger row (idempotent catch-up for the scheduler)."""
    from tongxin.volunteers.tables import LedgerEntry

    credited_ids = {r["sign_up"] for r in await LedgerEntry.select(LedgerEntry.sign_up).where(
        LedgerEntry.sign_up.is_not_null())}
    rows = await SignUp.select(
        SignUp.id, SignUp.volunteer, SignUp.occurrence.starts_at, SignUp.occurrence.ends_at,
        SignUp.occurrence.activity.hours_credit, SignUp.occurrence.activity.points_credit,
    ).where(SignUp.status == "attended")
    credited = 0
    for r in rows:
        if r["id"] in credited_ids:
            continue
        async with write_transaction():
            credited += await _credit(r["id"], r["volunteer"], _hours_of(r), r["occurrence.activity.points_credit"])
    return credited


def _hours_of(row: dict[str, Any]) -> float:
    """The activity's hours credit, or the occurrence's length."""
    return row["occurrence.activity.hours_credit"] or round(
        (row["occurrence.ends_at"] - row["occurrence.starts_at"]).total_seconds() / 3600, 2)
