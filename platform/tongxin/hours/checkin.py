"""Check-in and check-out with the occurrence's rotating code, and the organization's confirmation of hours.

A volunteer checks in and out from their phone (the QR's link, or the six digits typed); a guardian, or the
adult leader of the same occurrence, does it for a child; the organizer can type a volunteer's personal code.
The phone's position, when given, is compared with the occurrence's place: a far check-in is kept but
flagged. Hours are check-out − check-in clipped to the occurrence, in whole minutes; the organization
confirms them (one by one or all at once) within the correction window, and only then does
`attendance.credit_confirmed_hours` credit the one ledger.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from tongxin.accounts.service import haversine_km, record_audit
from tongxin.accounts.tables import LoginAttempt
from tongxin.activities import attendance
from tongxin.activities.tables import CORRECTION_WINDOW, Occurrence, SignUp
from tongxin.db import in_write_transaction, lock_rows
from tongxin.errors import Conflict, InvalidInput, NotFound, RateLimited
from tongxin.hours import codes, flags
from tongxin.hours.tables import DEFAULT_RADIUS_METRES, CheckIn, CheckInRadius
from tongxin.volunteers.tables import Volunteer, YouthMember

# Check-in opens this long before the start; check-out stays open this long after the end.
CHECK_IN_OPENS = timedelta(minutes=60)
CHECK_OUT_CLOSES = timedelta(hours=3)
# Sign-ups that may check in: a place held, or already marked by the organization.
MAY_CHECK_IN = ("confirmed", "attended", "no_show")
MAX_WRONG_CODES = 10
GUESS_WINDOW = timedelta(minutes=10)


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def clipped_minutes(checked_in_at: datetime, checked_out_at: datetime, starts_at: datetime, ends_at: datetime) -> int:
    """Whole minutes between check-in and check-out that fall inside the occurrence."""
    start, end = max(checked_in_at, starts_at), min(checked_out_at, ends_at)
    return max(0, int((end - start).total_seconds() // 60))


async def _occurrence(occurrence_id: int) -> dict[str, Any]:
    row = await Occurrence.select(
        Occurrence.id, Occurrence.starts_at, Occurrence.ends_at, Occurrence.status, Occurrence.lat, Occurrence.lon,
        Occurrence.address, Occurrence.activity, Occurrence.activity.organization.as_alias("organization"),
        Occurrence.activity.title.as_alias("title"), Occurrence.activity.lat.as_alias("activity_lat"),
        Occurrence.activity.lon.as_alias("activity_lon"), Occurrence.activity.address.as_alias("activity_address"),
        Occurrence.activity.organization.name.as_alias("organization_name"),
    ).where(Occurrence.id == occurrence_id).first()
    if row is None:
        raise NotFound("occurrence not found")
    if row["lat"] is None:
        row["lat"], row["lon"] = row["activity_lat"], row["activity_lon"]
    row["address"] = row["address"] or row["activity_address"]
    return row


async def radius_of(activity_id: int) -> int:
    """The activity's check-in radius in metres (500 unless the organization set another)."""
    row = await CheckInRadius.select(CheckInRadius.metres).where(CheckInRadius.activity == activity_id).first()
    return row["metres"] if row else DEFAULT_RADIUS_METRES


async def set_radius(*, actor, activity_id: int, metres: int) -> dict[str, Any]:
    """The organization sets how far from the place a check-in may be before it is flagged."""
    from tongxin.activities.tables import Activity

    if not 50 <= metres <= 50_000:
        raise InvalidInput("the radius must be between 50 and 50000 metres", field="metres", code="radius_range")
    activity = await Activity.select(Activity.organization).where(Activity.id == activity_id).first()
    if activity is None or not attendance.may_manage(actor, activity["organization"]):
        raise NotFound("activity not found")

    async def work() -> dict[str, Any]:
        await CheckInRadius.insert(CheckInRadius(activity=activity_id, metres=metres)).on_conflict(
            target=CheckInRadius.activity, action="DO UPDATE", values=[CheckInRadius.metres])
        await record_audit(actor_id=actor.id, action="set_check_in_radius", target_type="activity",
                           target_id=activity_id, detail={"metres": metres})
        return {"activity": activity_id, "metres": metres}

    return await in_write_transaction(work)


def distance_m(occurrence: dict[str, Any], lat: float | None, lon: float | None) -> int | None:
    """Metres from the occurrence's place to a phone's position (None when either is unknown)."""
    if lat is None or lon is None or occurrence["lat"] is None or occurrence["lon"] is None:
        return None
    return int(round(haversine_km(lat, lon, occurrence["lat"], occurrence["lon"]) * 1000))


def _check_position(lat: float | None, lon: float | None) -> None:
    if (lat is None) != (lon is None):
        raise InvalidInput("give both latitude and longitude, or neither", field="lat", code="position_half")
    if lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidInput("the position is not on Earth", field="lat", code="position_bad")


async def may_act_for(actor, sign_up: dict[str, Any]) -> bool:
    """The volunteer themself, their guardian, or (for a child) the adult leader of the same occurrence."""
    if actor.volunteer_id is not None and actor.volunteer_id == sign_up["volunteer"]:
        return True
    if actor.role == "guardian" and await YouthMember.exists().where(
            (YouthMember.volunteer == sign_up["volunteer"]) & (YouthMember.guardian == actor.id)
            & YouthMember.consent_withdrawn_at.is_null()):
        return True
    if actor.volunteer_id is not None and sign_up["volunteer.is_youth"]:
        return await SignUp.exists().where(
            (SignUp.occurrence == sign_up["occurrence"]) & (SignUp.volunteer == actor.volunteer_id)
            & (SignUp.is_leader == True) & SignUp.status.is_in(list(MAY_CHECK_IN)))  # noqa: E712
    return False


async def _sign_up(sign_up_id: int) -> dict[str, Any] | None:
    return await SignUp.select(SignUp.id, SignUp.status, SignUp.volunteer, SignUp.occurrence,
                               SignUp.volunteer.is_youth, SignUp.volunteer.real_name.as_alias("name")).where(
        SignUp.id == sign_up_id).first()


async def _guard_guessing(actor) -> None:
    """Six digits can be guessed: after 10 wrong codes in 10 minutes a person waits (counted in the login
    attempts table, so every web instance sees the same count)."""
    since = now_utc() - GUESS_WINDOW
    wrong = await LoginAttempt.count().where(
        (LoginAttempt.kind == "check_in") & (LoginAttempt.username == f"check-in:{actor.id}")
        & (LoginAttempt.succeeded == False)  # noqa: E712
        & (LoginAttempt.at > since))
    if wrong >= MAX_WRONG_CODES:
        refused = RateLimited("too many wrong codes; wait ten minutes", retry_after=int(GUESS_WINDOW.total_seconds()))
        refused.code = "too_many_wrong_codes"
        raise refused


async def _count_wrong(actor) -> None:
    await LoginAttempt.insert(LoginAttempt(username=f"check-in:{actor.id}", client="check-in", kind="check_in",
                                            succeeded=False))


def _refuse_code(verdict: str) -> None:
    if verdict == "expired":
        raise Conflict("this code has expired; scan or type the code on the organizer's screen now",
                       code="code_expired", field="code")
    if verdict != "ok":
        raise InvalidInput("this is not the code of this activity", code="code_invalid", field="code")


async def check_in_or_out(*, actor, sign_up_id: int, code: str, secret_key: str, lat: float | None = None,
                          lon: float | None = None, device: str = "", action: str = "auto",
                          now: datetime | None = None) -> dict[str, Any]:
    """Check in (first time) or out (second time) with the occurrence's current code; `action` may insist on
    "in" or "out". Refuses expired and forged codes; records the position and flags what looks wrong."""
    now = now or now_utc()
    _check_position(lat, lon)
    sign_up = await _sign_up(sign_up_id)
    if sign_up is None or not await may_act_for(actor, sign_up):
        raise NotFound("sign-up not found")
    await _guard_guessing(actor)
    verdict = codes.check_occurrence_code(secret_key=secret_key, occurrence_id=sign_up["occurrence"], code=code,
                                          now=now)
    if verdict != "ok":
        await _count_wrong(actor)
    _refuse_code(verdict)
    return await _record(sign_up=sign_up, actor=actor, lat=lat, lon=lon, device=device, action=action,
                         method="code", now=now)


async def _record(*, sign_up: dict[str, Any], actor, lat, lon, device: str, action: str, method: str,
                  now: datetime) -> dict[str, Any]:
    occurrence = await _occurrence(sign_up["occurrence"])
    radius = await radius_of(occurrence["activity"])

    async def work() -> dict[str, Any]:
        await lock_rows(SignUp, [sign_up["id"]])
        current = await SignUp.select(SignUp.status).where(SignUp.id == sign_up["id"]).first()
        existing = await CheckIn.select().where(CheckIn.sign_up == sign_up["id"]).first()
        wants = action if action in ("in", "out") else ("out" if existing else "in")
        distance = distance_m(occurrence, lat, lon)
        if wants == "in":
            if existing is not None:
                raise Conflict("already checked in", code="already_checked_in")
            if current["status"] not in MAY_CHECK_IN:
                raise Conflict("only a confirmed sign-up can check in", code="not_confirmed")
            if now < occurrence["starts_at"] - CHECK_IN_OPENS:
                raise Conflict("check-in opens an hour before the start", code="check_in_not_open")
            if now > occurrence["ends_at"]:
                raise Conflict("the occurrence has ended; check-in is closed", code="check_in_closed")
            rows = await CheckIn.insert(CheckIn(
                sign_up=sign_up["id"], occurrence=occurrence["id"], volunteer=sign_up["volunteer"],
                status="checked_in", checked_in_at=now, in_lat=lat, in_lon=lon, in_distance_m=distance,
                in_device=codes.device_key(device), in_method=method, in_by=actor.id,
            )).returning(CheckIn.id)
            check_in_id = rows[0]["id"]
        else:
            if existing is None:
                raise Conflict("check in first", code="not_checked_in")
            if existing["checked_out_at"] is not None:
                raise Conflict("already checked out", code="already_checked_out")
            if now > occurrence["ends_at"] + CHECK_OUT_CLOSES:
                raise Conflict("check-out closed three hours after the end; the organization can enter the hours",
                               code="check_out_closed")
            check_in_id = existing["id"]
            minutes = clipped_minutes(existing["checked_in_at"], now, occurrence["starts_at"], occurrence["ends_at"])
            await CheckIn.update({CheckIn.checked_out_at: now, CheckIn.out_lat: lat, CheckIn.out_lon: lon,
                                  CheckIn.out_distance_m: distance, CheckIn.out_by: actor.id,
                                  CheckIn.minutes: minutes, CheckIn.status: "checked_out"}).where(
                CheckIn.id == check_in_id)
        raised = await flags.evaluate(check_in_id=check_in_id, radius_m=radius, now=now)
        record = await CheckIn.select().where(CheckIn.id == check_in_id).first()
        return {**_public(record), "action": wants, "name": sign_up["name"], "title": occurrence["title"],
                "flags": raised}

    return await in_write_transaction(work)


def _public(record: dict[str, Any]) -> dict[str, Any]:
    """A check-in as its owner and organizer see it (no device hash)."""
    return {"id": record["id"], "sign_up": record["sign_up"], "occurrence": record["occurrence"],
            "volunteer": record["volunteer"], "status": record["status"], "checked_in_at": record["checked_in_at"],
            "checked_out_at": record["checked_out_at"], "minutes": record["minutes"],
            "confirmed_minutes": record["confirmed_minutes"], "in_distance_m": record["in_distance_m"],
            "out_distance_m": record["out_distance_m"]}


async def scan(*, actor, token: str, secret_key: str, sign_up_id: int | None = None, lat: float | None = None,
               lon: float | None = None, device: str = "", now: datetime | None = None) -> dict[str, Any]:
    """The QR's link opened on a phone: check the actor (or the one child they chose) in or out."""
    now = now or now_utc()
    parsed = codes.parse_token(token)
    if parsed is None:
        raise InvalidInput("this is not a Tongxin check-in code", code="code_invalid", field="code")
    occurrence_id = parsed[0]
    await _guard_guessing(actor)
    verdict = codes.check_occurrence_code(secret_key=secret_key, occurrence_id=occurrence_id, code=token, now=now)
    if verdict != "ok":
        await _count_wrong(actor)
    _refuse_code(verdict)
    mine = await checkable(actor=actor, occurrence_id=occurrence_id, now=now)
    if sign_up_id is not None:
        mine = [s for s in mine if s["sign_up"] == sign_up_id]
    if not mine:
        raise NotFound("you have no sign-up for this occurrence")
    if len(mine) > 1:
        raise Conflict("choose whom to check in", code="choose_person")
    sign_up = await _sign_up(mine[0]["sign_up"])
    return await check_in_or_out(actor=actor, sign_up_id=sign_up["id"], code=token, secret_key=secret_key,
                                 lat=lat, lon=lon, device=device, now=now)


async def checkable(*, actor, occurrence_id: int | None = None, now: datetime | None = None) -> list[dict[str, Any]]:
    """Sign-ups the actor may check in or out around now: their own, their children's, and (as leader) the
    children on their occurrences; each with its check-in state."""
    now = now or now_utc()
    query = SignUp.select(
        SignUp.id, SignUp.status, SignUp.volunteer, SignUp.occurrence, SignUp.volunteer.is_youth,
        SignUp.volunteer.real_name.as_alias("name"), SignUp.occurrence.starts_at.as_alias("starts_at"),
        SignUp.occurrence.ends_at.as_alias("ends_at"), SignUp.occurrence.activity.title.as_alias("title"),
        SignUp.occurrence.address.as_alias("address"),
    ).where(SignUp.status.is_in(list(MAY_CHECK_IN))
            & (SignUp.occurrence.starts_at <= now + CHECK_IN_OPENS)
            & (SignUp.occurrence.ends_at >= now - CHECK_OUT_CLOSES))
    if occurrence_id is not None:
        query = query.where(SignUp.occurrence == occurrence_id)
    children = [r["volunteer"] for r in await YouthMember.select(YouthMember.volunteer).where(
        (YouthMember.guardian == actor.id) & YouthMember.consent_withdrawn_at.is_null())]
    led = []
    if actor.volunteer_id is not None:
        led = [r["occurrence"] for r in await SignUp.select(SignUp.occurrence).where(
            (SignUp.volunteer == actor.volunteer_id) & (SignUp.is_leader == True)  # noqa: E712
            & SignUp.status.is_in(list(MAY_CHECK_IN)))]
    own = [actor.volunteer_id] if actor.volunteer_id is not None else []
    query = query.where(SignUp.volunteer.is_in(own + children or [-1])
                        | (SignUp.occurrence.is_in(led or [-1]) & (SignUp.volunteer.is_youth == True)))  # noqa: E712
    rows = await query.order_by(SignUp.occurrence.starts_at).order_by(SignUp.id)
    states = {c["sign_up"]: c for c in await CheckIn.select().where(
        CheckIn.sign_up.is_in([r["id"] for r in rows] or [-1]))}
    result = []
    for r in rows:
        state = states.get(r["id"])
        result.append({"sign_up": r["id"], "occurrence": r["occurrence"], "volunteer": r["volunteer"],
                       "name": r["name"], "title": r["title"], "address": r["address"],
                       "starts_at": r["starts_at"], "ends_at": r["ends_at"], "is_self": r["volunteer"] in own,
                       "check_in": _public(state) if state else None,
                       "next": None if state and state["checked_out_at"] else ("out" if state else "in")})
    return result


async def code_screen(*, actor, occurrence_id: int, secret_key: str, now: datetime | None = None) -> dict[str, Any]:
    """What the organizer's "show code" page shows: the occurrence, its current code and who is in."""
    now = now or now_utc()
    occurrence = await _occurrence(occurrence_id)
    if not attendance.may_manage(actor, occurrence["organization"]):
        raise NotFound("occurrence not found")
    counts = await CheckIn.select(CheckIn.status).where(CheckIn.occurrence == occurrence_id)
    expected = await SignUp.count().where((SignUp.occurrence == occurrence_id)
                                          & SignUp.status.is_in(list(MAY_CHECK_IN)))
    return {"occurrence": occurrence, "expected": expected,
            "checked_in": sum(1 for c in counts if c["status"] == "checked_in"),
            "checked_out": sum(1 for c in counts if c["status"] != "checked_in"),
            **codes.occurrence_code(secret_key=secret_key, occurrence_id=occurrence_id, now=now)}


async def check_in_by_personal_code(*, actor, occurrence_id: int, code: str, secret_key: str,
                                    now: datetime | None = None) -> dict[str, Any]:
    """The organizer types the six digits on a volunteer's phone: that volunteer is checked in (or out)."""
    now = now or now_utc()
    occurrence = await _occurrence(occurrence_id)
    if not attendance.may_manage(actor, occurrence["organization"]):
        raise NotFound("occurrence not found")
    rows = await SignUp.select(SignUp.id, SignUp.volunteer).where(
        (SignUp.occurrence == occurrence_id) & SignUp.status.is_in(list(MAY_CHECK_IN)))
    await _guard_guessing(actor)
    found = [r for r in rows if codes.check_personal_code(secret_key=secret_key, volunteer_id=r["volunteer"],
                                                          code=code, now=now)]
    if len(found) != 1:
        await _count_wrong(actor)
        raise InvalidInput("no one on this roster shows this code now", code="code_invalid", field="code")
    sign_up = await _sign_up(found[0]["id"])
    return await _record(sign_up=sign_up, actor=actor, lat=None, lon=None, device="", action="auto",
                         method="personal", now=now)


# ---- the organization confirms hours ------------------------------------------------------------------------

async def confirmation_list(*, actor, occurrence_id: int, now: datetime | None = None) -> dict[str, Any]:
    """Everyone on an occurrence's roster with their check-in, hours, distance and open flags."""
    now = now or now_utc()
    occurrence = await _occurrence(occurrence_id)
    if not attendance.may_manage(actor, occurrence["organization"]):
        raise NotFound("occurrence not found")
    sign_ups = await SignUp.select(SignUp.id, SignUp.status, SignUp.volunteer,
                                   SignUp.volunteer.real_name.as_alias("name")).where(
        (SignUp.occurrence == occurrence_id) & SignUp.status.is_in(list(MAY_CHECK_IN))).order_by(SignUp.id)
    records = {c["sign_up"]: c for c in await CheckIn.select().where(CheckIn.occurrence == occurrence_id)}
    open_flags = await flags.open_reasons(check_in_ids=[c["id"] for c in records.values()])
    radius = await radius_of(occurrence["activity"])
    items = []
    for s in sign_ups:
        record = records.get(s["id"])
        items.append({"sign_up": s["id"], "name": s["name"], "volunteer": s["volunteer"], "status": s["status"],
                      "check_in": _public(record) if record else None,
                      "far": bool(record and record["in_distance_m"] is not None and record["in_distance_m"] > radius),
                      "flags": open_flags.get(record["id"], []) if record else []})
    return {"occurrence": occurrence, "window": attendance.window_state(occurrence, now), "radius_m": radius,
            "items": items}


def _check_window(occurrence: dict[str, Any], now: datetime) -> None:
    if now < occurrence["starts_at"]:
        raise Conflict("hours can be confirmed once the occurrence has started", code="not_started")
    if now > occurrence["ends_at"] + CORRECTION_WINDOW:
        raise Conflict("hours can be confirmed until 7 days after the end", code="correction_closed")


async def _confirm_one(*, actor, record: dict[str, Any], occurrence: dict[str, Any], minutes: int | None,
                       now: datetime) -> dict[str, Any]:
    if minutes is None:
        if record["checked_out_at"] is None:
            raise Conflict("this person has not checked out; enter the hours to confirm", code="not_checked_out")
        minutes = record["minutes"]
    if not 0 <= minutes <= 24 * 60:
        raise InvalidInput("minutes must be between 0 and 1440", field="minutes", code="minutes_range")
    await attendance.credit_confirmed_hours(sign_up_id=record["sign_up"], minutes=minutes, now=now)
    await CheckIn.update({CheckIn.status: "confirmed", CheckIn.confirmed_minutes: minutes,
                          CheckIn.confirmed_at: now, CheckIn.confirmed_by: actor.id}).where(CheckIn.id == record["id"])
    await record_audit(actor_id=actor.id, action="confirm_hours", target_type="check_in", target_id=record["id"],
                       detail={"minutes": minutes, "recorded": record["minutes"],
                               "previous": record["confirmed_minutes"]})
    await flags.evaluate(check_in_id=record["id"], radius_m=await radius_of(occurrence["activity"]), now=now)
    return {"id": record["id"], "confirmed_minutes": minutes}


async def confirm_hours(*, actor, check_in_id: int, minutes: int | None = None,
                        now: datetime | None = None) -> dict[str, Any]:
    """The organization confirms (or, within the window, corrects) one person's hours; they reach the ledger."""
    now = now or now_utc()
    record = await CheckIn.select().where(CheckIn.id == check_in_id).first()
    if record is None:
        raise NotFound("check-in not found")
    occurrence = await _occurrence(record["occurrence"])
    if not attendance.may_manage(actor, occurrence["organization"]):
        raise NotFound("check-in not found")
    _check_window(occurrence, now)

    async def work() -> dict[str, Any]:
        await lock_rows(SignUp, [record["sign_up"]])
        fresh = await CheckIn.select().where(CheckIn.id == check_in_id).first()
        return await _confirm_one(actor=actor, record=fresh, occurrence=occurrence, minutes=minutes, now=now)

    return await in_write_transaction(work)


async def confirm_all(*, actor, occurrence_id: int, now: datetime | None = None) -> dict[str, Any]:
    """Confirm at once every checked-out, not yet confirmed check-in of the occurrence."""
    now = now or now_utc()
    occurrence = await _occurrence(occurrence_id)
    if not attendance.may_manage(actor, occurrence["organization"]):
        raise NotFound("occurrence not found")
    _check_window(occurrence, now)

    async def work() -> dict[str, Any]:
        records = await CheckIn.select().where((CheckIn.occurrence == occurrence_id)
                                               & (CheckIn.status == "checked_out"))
        await lock_rows(SignUp, [r["sign_up"] for r in records])
        confirmed = [await _confirm_one(actor=actor, record=r, occurrence=occurrence, minutes=None, now=now)
                     for r in records]
        return {"occurrence": occurrence_id, "confirmed": len(confirmed),
                "minutes": sum(c["confirmed_minutes"] for c in confirmed)}

    return await in_write_transaction(work)


async def correct_hours(*, actor, check_in_id: int, minutes: int, note: str,
                        now: datetime | None = None) -> dict[str, Any]:
    """Staff set a check-in's hours (after a flag, at any time); the ledger follows, the flags close, audited."""
    now = now or now_utc()
    if not actor.is_staff:
        raise NotFound("check-in not found")
    if not note.strip():
        raise InvalidInput("say why the hours change", field="note", code="note_required")

    async def work() -> dict[str, Any]:
        record = await CheckIn.select().where(CheckIn.id == check_in_id).first()
        if record is None:
            raise NotFound("check-in not found")
        occurrence = await _occurrence(record["occurrence"])
        await lock_rows(SignUp, [record["sign_up"]])
        result = await _confirm_one(actor=actor, record=record, occurrence=occurrence, minutes=minutes, now=now)
        closed = await flags.resolve_all(check_in_id=check_in_id, actor=actor, status="corrected", note=note, now=now)
        await record_audit(actor_id=actor.id, action="correct_hours", target_type="check_in", target_id=check_in_id,
                           detail={"from": record["confirmed_minutes"], "to": minutes, "note": note.strip(),
                                   "flags": closed})
        return {**result, "flags_closed": closed}

    return await in_write_transaction(work)


async def my_check_ins(*, volunteer_id: int, limit: int = 20, offset: int = 0) -> dict[str, Any]:
    """A volunteer's own check-ins, newest first."""
    total = await CheckIn.count().where(CheckIn.volunteer == volunteer_id)
    rows = await CheckIn.select().where(CheckIn.volunteer == volunteer_id).order_by(
        CheckIn.checked_in_at, ascending=False).limit(limit).offset(offset)
    return {"items": [_public(r) for r in rows], "total": total, "limit": limit, "offset": offset}


async def volunteer_name(volunteer_id: int) -> str:
    row = await Volunteer.select(Volunteer.real_name).where(Volunteer.id == volunteer_id).first()
    return row["real_name"] if row else ""
