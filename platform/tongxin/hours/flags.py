"""Suspicious hours: each rule says in words why staff should look. A flag never changes hours by itself;
staff clear it (the hours stand) or correct the hours (`checkin.correct_hours`), and both are audited.

Rules, each evaluated when a check-in, check-out or confirmation is recorded:
- far: checked in or out farther from the place than the activity's radius;
- overlap: one person's check-ins overlap in time;
- travel: from one check-in to the next faster than anyone can travel;
- too_long: more hours than the occurrence lasted;
- one_device: one phone checked in (most of) a roster within seconds;
- above_usual: far more hours this month than the person's own usual month.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tongxin.accounts.service import haversine_km, record_audit
from tongxin.activities.tables import Occurrence, SignUp
from tongxin.dates import LOCAL_TZ, hours_text
from tongxin.db import in_write_transaction
from tongxin.errors import Conflict, InvalidInput, NotFound
from tongxin.hours.tables import CheckIn, HoursFlag
from tongxin.volunteers.tables import LedgerEntry

RULES = ("far", "overlap", "travel", "too_long", "one_device", "above_usual")
# Faster than a car on the expressway between two check-ins is not a journey anyone made.
MAX_KMH = 120.0
MIN_TRAVEL_KM = 2.0
# One phone checking in at least this many people, and at least half the roster, within this many seconds.
DEVICE_SECONDS = 60
DEVICE_MIN_PEOPLE = 3
# "Far above usual": this month more than 3× the average of the 6 months before, and at least 8 hours more.
USUAL_MONTHS = 6
USUAL_FACTOR = 3
USUAL_MIN_EXTRA_MINUTES = 8 * 60
USUAL_MIN_HISTORY = 3
SORTS = {"-created": (HoursFlag.id, False), "created": (HoursFlag.id, True)}


def _local(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%m月%d日 %H:%M")


def _km_text(metres: float) -> tuple[str, str]:
    if metres >= 1000:
        return f"{metres / 1000:.1f} 公里", f"{metres / 1000:.1f} km"
    return f"{int(metres)} 米", f"{int(metres)} m"


async def _raise(record: dict[str, Any], rule: str, zh: str, en: str, detail: dict[str, Any],
                 refresh: bool = False) -> bool:
    """One flag per check-in and rule; `refresh` rewrites a still-open flag's words as the picture grows."""
    key = f"{record['id']}:{rule}"
    rows = await HoursFlag.insert(HoursFlag(
        check_in=record["id"], volunteer=record["volunteer"], occurrence=record["occurrence"], rule=rule,
        key=key, reason=zh, reason_en=en, detail=detail,
    )).on_conflict(action="DO NOTHING").returning(HoursFlag.id)
    if not rows and refresh:
        await HoursFlag.update({HoursFlag.reason: zh, HoursFlag.reason_en: en, HoursFlag.detail: detail}).where(
            (HoursFlag.key == key) & (HoursFlag.status == "open"))
    return bool(rows)


async def _occurrences(ids) -> dict[int, dict[str, Any]]:
    rows = await Occurrence.select(Occurrence.id, Occurrence.starts_at, Occurrence.ends_at, Occurrence.lat,
                                   Occurrence.lon, Occurrence.activity.lat.as_alias("activity_lat"),
                                   Occurrence.activity.lon.as_alias("activity_lon"),
                                   Occurrence.activity.title.as_alias("title")).where(
        Occurrence.id.is_in(list(ids) or [-1]))
    for r in rows:
        if r["lat"] is None:
            r["lat"], r["lon"] = r["activity_lat"], r["activity_lon"]
    return {r["id"]: r for r in rows}


def _until(record: dict[str, Any], occurrence: dict[str, Any]) -> datetime:
    return record["checked_out_at"] or max(occurrence["ends_at"], record["checked_in_at"])


def _events(record: dict[str, Any], occurrence: dict[str, Any]) -> list[tuple[datetime, float | None, float | None]]:
    """Where a check-in put the person and when: the phone's position, or the place when none was given."""
    found = [(record["checked_in_at"], record["in_lat"] if record["in_lat"] is not None else occurrence["lat"],
              record["in_lon"] if record["in_lon"] is not None else occurrence["lon"])]
    if record["checked_out_at"] is not None:
        found.append((record["checked_out_at"],
                      record["out_lat"] if record["out_lat"] is not None else occurrence["lat"],
                      record["out_lon"] if record["out_lon"] is not None else occurrence["lon"]))
    return found


async def evaluate(*, check_in_id: int, radius_m: int, now: datetime) -> list[str]:
    """Run every rule on one check-in; returns the rules newly flagged (already open ones stay as they are)."""
    record = await CheckIn.select().where(CheckIn.id == check_in_id).first()
    others = await CheckIn.select().where(
        (CheckIn.volunteer == record["volunteer"]) & (CheckIn.id != check_in_id)
        & (CheckIn.checked_in_at > record["checked_in_at"] - timedelta(days=1))
        & (CheckIn.checked_in_at < record["checked_in_at"] + timedelta(days=1)))
    places = await _occurrences({record["occurrence"], *(o["occurrence"] for o in others)})
    occurrence = places[record["occurrence"]]
    raised: list[str] = []

    async def flag(rule: str, zh: str, en: str, detail: dict[str, Any], target: dict[str, Any] = record,
                   refresh: bool = False) -> None:
        if await _raise(target, rule, zh, en, detail, refresh) and target["id"] == record["id"]:
            raised.append(rule)

    # far
    distances = [d for d in (record["in_distance_m"], record["out_distance_m"]) if d is not None]
    if distances and max(distances) > radius_m:
        far_zh, far_en = _km_text(max(distances))
        near_zh, near_en = _km_text(radius_m)
        await flag("far", f"签到位置距活动地点约 {far_zh}，超出 {near_zh}的范围",
                   f"checked in about {far_en} from the place, beyond the {near_en} radius",
                   {"distance_m": max(distances), "radius_m": radius_m})

    # overlap
    start, end = record["checked_in_at"], _until(record, occurrence)
    for other in others:
        there = places[other["occurrence"]]
        if other["checked_in_at"] < end and start < _until(other, there):
            await flag("overlap", f"与同一人在“{there['title']}”（{_local(other['checked_in_at'])} 签到）的时间重叠",
                       f"overlaps the same person's check-in at “{there['title']}” ({_local(other['checked_in_at'])})",
                       {"other_check_in": other["id"]})
            break

    # travel: from the latest earlier event of another check-in to this check-in
    arrived, lat, lon = _events(record, occurrence)[0]
    earlier = [(when, olat, olon, other) for other in others
               for when, olat, olon in _events(other, places[other["occurrence"]])
               if when <= arrived and olat is not None]
    if lat is not None and earlier:
        when, olat, olon, other = max(earlier, key=lambda e: e[0])
        km = haversine_km(lat, lon, olat, olon)
        hours = max((arrived - when).total_seconds(), 60) / 3600
        if km >= MIN_TRAVEL_KM and km / hours > MAX_KMH:
            minutes = int((arrived - when).total_seconds() // 60)
            await flag("travel", f"两次签到相距约 {km:.1f} 公里，只隔 {minutes} 分钟（约每小时 {km / hours:.0f} 公里），"
                                 "不可能赶到",
                       f"two check-ins {km:.1f} km apart only {minutes} minutes apart (about {km / hours:.0f} km/h)",
                       {"other_check_in": other["id"], "km": round(km, 2), "minutes": minutes})

    # too_long
    lasted = int((occurrence["ends_at"] - occurrence["starts_at"]).total_seconds() // 60)
    credited = record["confirmed_minutes"] if record["confirmed_minutes"] is not None else record["minutes"]
    if credited > lasted:
        await flag("too_long", f"记录 {hours_text(credited)} 小时，超过活动时长 {hours_text(lasted)} 小时",
                   f"{hours_text(credited)} hours recorded; the occurrence lasted {hours_text(lasted)} hours",
                   {"minutes": credited, "lasted": lasted})

    # one_device
    if record["in_device"] and record["in_method"] != "personal":
        around = await CheckIn.select().where(
            (CheckIn.occurrence == record["occurrence"]) & (CheckIn.in_device == record["in_device"])
            & (CheckIn.checked_in_at >= record["checked_in_at"] - timedelta(seconds=DEVICE_SECONDS))
            & (CheckIn.checked_in_at <= record["checked_in_at"] + timedelta(seconds=DEVICE_SECONDS)))
        people = {r["volunteer"] for r in around}
        roster = await SignUp.count().where((SignUp.occurrence == record["occurrence"])
                                            & SignUp.status.is_in(["confirmed", "attended", "no_show"]))
        if len(people) >= DEVICE_MIN_PEOPLE and 2 * len(people) >= roster:
            seconds = int((max(r["checked_in_at"] for r in around) - min(r["checked_in_at"] for r in around)
                           ).total_seconds())
            for target in around:
                await flag("one_device", f"同一部手机在 {seconds} 秒内为本场 {len(people)} 人签到（名单共 {roster} 人）",
                           f"one phone checked in {len(people)} of {roster} people within {seconds} seconds",
                           {"people": len(people), "roster": roster, "seconds": seconds}, target=target, refresh=True)

    # above_usual
    if record["checked_out_at"] is not None or record["confirmed_minutes"] is not None:
        await _above_usual(record, occurrence, credited, flag)
    return raised


def _month_start(moment: datetime) -> datetime:
    local = moment.astimezone(LOCAL_TZ)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _months_back(first: datetime, months: int) -> datetime:
    year, month = first.year, first.month - months
    while month <= 0:
        year, month = year - 1, month + 12
    return first.replace(year=year, month=month)


async def _above_usual(record: dict[str, Any], occurrence: dict[str, Any], credited: int, flag) -> None:
    month = _month_start(occurrence["starts_at"])
    since = _months_back(month, USUAL_MONTHS)
    entries = await LedgerEntry.select(LedgerEntry.sign_up, LedgerEntry.minutes).where(
        (LedgerEntry.volunteer == record["volunteer"]) & LedgerEntry.sign_up.is_not_null()
        & (LedgerEntry.sign_up != record["sign_up"]))
    starts = {s["id"]: s["occurrence.starts_at"] for s in await SignUp.select(
        SignUp.id, SignUp.occurrence.starts_at).where(SignUp.id.is_in([e["sign_up"] for e in entries] or [-1]))}
    before, this_month = [], credited
    for entry in entries:
        when = starts.get(entry["sign_up"])
        if when is None:
            continue
        if since <= when < month:
            before.append(entry["minutes"])
        elif month <= when < _months_back(month, -1):
            this_month += entry["minutes"]
    if len(before) < USUAL_MIN_HISTORY:
        return
    usual = sum(before) / USUAL_MONTHS
    if this_month > USUAL_FACTOR * usual and this_month - usual >= USUAL_MIN_EXTRA_MINUTES:
        await flag("above_usual", f"本月累计 {hours_text(this_month)} 小时，远高于本人近 {USUAL_MONTHS} 个月"
                                  f"平均每月 {hours_text(round(usual))} 小时",
                   f"{hours_text(this_month)} hours this month, far above their usual "
                   f"{hours_text(round(usual))} hours a month",
                   {"month_minutes": this_month, "usual_minutes": round(usual)})


async def open_reasons(*, check_in_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The open flags of these check-ins, by check-in."""
    found: dict[int, list[dict[str, Any]]] = {}
    for row in await HoursFlag.select(HoursFlag.id, HoursFlag.check_in, HoursFlag.rule, HoursFlag.reason,
                                      HoursFlag.reason_en).where(
            HoursFlag.check_in.is_in(check_in_ids or [-1]) & (HoursFlag.status == "open")).order_by(HoursFlag.id):
        found.setdefault(row["check_in"], []).append(row)
    return found


async def flagged_sign_ups(*, sign_up_ids: list[int]) -> set[int]:
    """Which of these sign-ups have a check-in with an open flag."""
    rows = await HoursFlag.select(HoursFlag.check_in.sign_up.as_alias("sign_up")).where(
        HoursFlag.check_in.sign_up.is_in(sign_up_ids or [-1]) & (HoursFlag.status == "open"))
    return {r["sign_up"] for r in rows}


async def list_flags(*, actor, status: str = "open", rule: str | None = None, sort: str = "-created",
                     limit: int = 20, offset: int = 0) -> dict[str, Any]:
    """Staff's list of flags (open ones first by default), with the person, the occurrence and the hours."""
    if not actor.is_staff:
        raise NotFound("page not found")
    if status not in ("open", "cleared", "corrected", "all"):
        raise InvalidInput("unknown status", field="status")
    if rule is not None and rule not in RULES:
        raise InvalidInput("unknown rule", field="rule")
    if sort not in SORTS:
        raise InvalidInput("unknown sort", field="sort")
    query = HoursFlag.select(
        HoursFlag.id, HoursFlag.rule, HoursFlag.reason, HoursFlag.reason_en, HoursFlag.status, HoursFlag.created_at,
        HoursFlag.note, HoursFlag.check_in, HoursFlag.volunteer, HoursFlag.occurrence,
        HoursFlag.volunteer.real_name.as_alias("name"), HoursFlag.occurrence.starts_at.as_alias("starts_at"),
        HoursFlag.occurrence.activity.title.as_alias("title"),
        HoursFlag.occurrence.activity.organization.name.as_alias("organization"),
        HoursFlag.check_in.minutes.as_alias("minutes"),
        HoursFlag.check_in.confirmed_minutes.as_alias("confirmed_minutes"),
        HoursFlag.check_in.status.as_alias("check_in_status"),
    )
    count = HoursFlag.count()
    if status != "all":
        query, count = query.where(HoursFlag.status == status), count.where(HoursFlag.status == status)
    if rule:
        query, count = query.where(HoursFlag.rule == rule), count.where(HoursFlag.rule == rule)
    column, ascending = SORTS[sort]
    items = await query.order_by(column, ascending=ascending).limit(limit).offset(offset)
    return {"items": items, "total": await count, "limit": limit, "offset": offset}


async def clear(*, actor, flag_id: int, note: str, now: datetime) -> dict[str, Any]:
    """Staff looked and the hours stand: the flag is cleared with their note, audited."""
    if not actor.is_staff:
        raise NotFound("flag not found")
    if not note.strip():
        raise InvalidInput("say why the hours stand", field="note", code="note_required")

    async def work() -> dict[str, Any]:
        rows = await HoursFlag.update({HoursFlag.status: "cleared", HoursFlag.resolved_at: now,
                                       HoursFlag.resolved_by: actor.id, HoursFlag.note: note.strip()}).where(
            (HoursFlag.id == flag_id) & (HoursFlag.status == "open")).returning(HoursFlag.id, HoursFlag.rule,
                                                                                HoursFlag.check_in)
        if not rows:
            if not await HoursFlag.exists().where(HoursFlag.id == flag_id):
                raise NotFound("flag not found")
            raise Conflict("this flag was already dealt with", code="already_decided")
        await record_audit(actor_id=actor.id, action="clear_hours_flag", target_type="hours_flag", target_id=flag_id,
                           detail={"rule": rows[0]["rule"], "check_in": rows[0]["check_in"], "note": note.strip()})
        return {"id": flag_id, "status": "cleared"}

    return await in_write_transaction(work)


async def resolve_all(*, check_in_id: int, actor, status: str, note: str, now: datetime) -> list[int]:
    """Close every open flag of one check-in (its hours were corrected); inside the caller's transaction."""
    rows = await HoursFlag.update({HoursFlag.status: status, HoursFlag.resolved_at: now,
                                   HoursFlag.resolved_by: actor.id, HoursFlag.note: note.strip()}).where(
        (HoursFlag.check_in == check_in_id) & (HoursFlag.status == "open")).returning(HoursFlag.id)
    return [r["id"] for r in rows]
