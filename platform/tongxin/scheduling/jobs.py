"""The scheduler's jobs, defined in code; their schedules live in the JobSchedule table.

Every job is written so that running it twice for the same moment changes nothing the second
time: occurrences are unique by (activity, start), notifications by (recipient, kind, target),
ledger credits by sign-up. The claim on (job, scheduled_for) in `service.fire` stops a second
run of one firing; these keys make even a half-finished run, re-run, harmless.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable

from tongxin.accounts.tables import User
from tongxin.activities.service import ACTIVE_SIGN_UP, LOCAL_TZ, expand_occurrences
from tongxin.activities.tables import Activity, Occurrence, SignUp
from tongxin.notifications import service as notifications
from tongxin.organizations.tables import OrganizationMember
from tongxin.settings import Settings
from tongxin.volunteers.tables import Certificate, YouthMember

EXPAND_WEEKS = 8
UNDER_FILLED_SHARE = 0.5
UNDER_FILLED_NOTICE = timedelta(days=3)
NO_SHOW_GRACE = timedelta(hours=24)
CERTIFICATE_NOTICE_DAYS = 30
DRILL_CERTIFICATES = ("rescue_cert", "first_aid_cert")
DRILL_KINDS = ("training_drill", "safety_education")
YOUTH_DRILL_GAP_DAYS = 90


@dataclass(frozen=True)
class JobContext:
    """What a firing knows: the moment it stands for and the clock's reading when it runs."""

    scheduled_for: datetime
    now: datetime
    settings: Settings | None = None
    instance: str = ""


@dataclass(frozen=True)
class Job:
    """A job: its code, its default schedule, and how missed firings are caught up.

    catch_up "latest": after downtime only the newest missed firing runs (the job works from the
    current state, so older firings add nothing). "each": every missed firing runs, oldest first.
    """

    name: str
    run: Callable[[JobContext], Awaitable[str]]
    trigger: str
    expression: str
    description: str
    catch_up: str = "latest"
    max_catch_up: int = field(default=100)


JOBS: dict[str, Job] = {}


def job(name: str, *, trigger: str, expression: str, description: str, catch_up: str = "latest"):
    """Register a job function under `name` with its default schedule."""

    def register(fn: Callable[[JobContext], Awaitable[str]]):
        JOBS[name] = Job(name=name, run=fn, trigger=trigger, expression=expression,
                         description=description, catch_up=catch_up)
        return fn

    return register


# --- calling other domains' functions that may not exist yet -----------------------------------

async def call_if_available(module_name: str, function: str, **offered: Any) -> tuple[bool, Any]:
    """Call `module.function` with the offered keyword arguments it accepts.

    Returns (False, reason) when the function does not exist (yet) or needs an argument we cannot
    give, so the job records "skipped: ..." instead of failing.
    """
    module = importlib.import_module(module_name)
    if not hasattr(module, function):
        return False, f"skipped: {function} not available"
    fn = getattr(module, function)
    params = inspect.signature(fn).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    missing = [n for n, p in params.items()
               if p.default is inspect.Parameter.empty and n not in offered
               and p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    if missing:
        return False, f"skipped: {function} needs {', '.join(missing)}"
    kwargs = offered if takes_any else {k: v for k, v in offered.items() if k in params}
    result = fn(**kwargs)
    if inspect.isawaitable(result):
        result = await result
    return True, result


def _summary(function: str, result: Any) -> str:
    if isinstance(result, dict):
        shown = ", ".join(f"{k} {v}" for k, v in result.items() if isinstance(v, (int, float, str)))
        return f"{function}: {shown}" if shown else f"{function}: done"
    if isinstance(result, (int, float)):
        return f"{function}: {result}"
    return f"{function}: done"


# --- occurrences ----------------------------------------------------------------------------------

@job("expand_occurrences", trigger="interval", expression="1h",
     description=f"Create occurrences of recurring activities for the coming {EXPAND_WEEKS} weeks")
async def expand_recurring(ctx: JobContext) -> str:
    """Expand every approved activity's rule from now on; past occurrences are never touched."""
    activities = await Activity.select(Activity.id).where(Activity.status == "approved")
    until = ctx.now + timedelta(weeks=EXPAND_WEEKS)
    created = 0
    for row in activities:
        created += await expand_occurrences(activity_id=row["id"], until=until, after=ctx.now)
    return f"{created} occurrence(s) created for {len(activities)} activities up to {until:%Y-%m-%d}"


@job("close_sign_ups", trigger="interval", expression="5m",
     description="Close sign-ups of occurrences whose sign-up deadline has passed")
async def close_sign_ups(ctx: JobContext) -> str:
    """open → closed once the deadline is past (a conditional update: closing twice is a no-op)."""
    rows = await Occurrence.update({Occurrence.status: "closed"}).where(
        (Occurrence.status == "open") & (Occurrence.signup_deadline <= ctx.now)
    ).returning(Occurrence.id)
    return f"{len(rows)} occurrence(s) closed"


@job("attendance", trigger="interval", expression="1h",
     description="After an occurrence ends: no-shows after a grace period; credit hours and points")
async def settle_attendance(ctx: JobContext) -> str:
    """Delegates to the activities domain; each part is skipped while its function does not exist."""
    parts = []
    offered = dict(now=ctx.now, before=ctx.now - NO_SHOW_GRACE, grace=NO_SHOW_GRACE,
                   grace_hours=NO_SHOW_GRACE.total_seconds() / 3600)
    for function in ("mark_no_shows_after", "credit_attendance"):
        ran, result = await call_if_available("tongxin.activities.service", function, **offered)
        parts.append(_summary(function, result) if ran else result)
    return _joined(parts)


def _joined(parts: list[str]) -> str:
    # Only a job whose every part was skipped is recorded as skipped, so staff see nothing ran.
    text = "; ".join(parts)
    return text if all(p.startswith("skipped") for p in parts) else f"done: {text}"


# --- reminders ------------------------------------------------------------------------------------

def _local(dt: datetime) -> str:
    return dt.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


@job("reminders", trigger="interval", expression="15m",
     description="Remind volunteers and guardians 7 days and 1 day before; warn organizations of "
                 "under-filled occurrences 3 days before")
async def send_reminders(ctx: JobContext) -> str:
    """Queue reminders; the target key names the occurrence and the notice, so each goes once."""
    now = ctx.now
    rows = await SignUp.select(
        SignUp.volunteer, SignUp.occurrence, SignUp.volunteer.user.as_alias("user"),
        SignUp.volunteer.is_youth.as_alias("is_youth"),
        SignUp.occurrence.starts_at.as_alias("starts_at"), SignUp.occurrence.address.as_alias("address"),
        SignUp.occurrence.activity.title.as_alias("title"),
    ).where(
        (SignUp.status == "confirmed") & SignUp.occurrence.status.is_in(["open", "closed"])
        & (SignUp.occurrence.starts_at > now) & (SignUp.occurrence.starts_at <= now + timedelta(days=7))
    )
    youth_ids = [r["volunteer"] for r in rows if r["is_youth"] or r["user"] is None]
    guardians = {}
    if youth_ids:
        guardians = {r["volunteer"]: r["guardian"] for r in await YouthMember.select(
            YouthMember.volunteer, YouthMember.guardian).where(
            YouthMember.volunteer.is_in(youth_ids) & YouthMember.consent_withdrawn_at.is_null())}
    queued = 0
    for r in rows:
        notice = "1d" if r["starts_at"] - now <= timedelta(days=1) else "7d"
        when = _local(r["starts_at"])
        title = f"{'明天' if notice == '1d' else '下周'}: {r['title']} {when}"
        payload = {"occurrence": r["occurrence"], "starts_at": r["starts_at"].isoformat()}
        if r["user"] is not None:
            queued += await notifications.notify(
                recipient_id=r["user"], kind="reminder", target_key=f"occurrence:{r['occurrence']}:{notice}",
                title=title, body=f"您报名的活动将于 {when} 在 {r['address']} 开始。", payload=payload)
        guardian = guardians.get(r["volunteer"])
        if guardian is not None:
            queued += await notifications.notify(
                recipient_id=guardian, kind="reminder_guardian",
                target_key=f"occurrence:{r['occurrence']}:{notice}:v{r['volunteer']}", title=title,
                body=f"您的孩子报名的活动将于 {when} 在 {r['address']} 开始。",
                payload={**payload, "volunteer": r["volunteer"]})
    queued += await _warn_under_filled(now)
    return f"{queued} reminder(s) queued"


async def _warn_under_filled(now: datetime) -> int:
    occurrences = await Occurrence.select(
        Occurrence.id, Occurrence.starts_at, Occurrence.taken, Occurrence.capacity,
        Occurrence.activity.organization.as_alias("organization"), Occurrence.activity.title.as_alias("title"),
    ).where(
        (Occurrence.status == "open") & (Occurrence.starts_at > now)
        & (Occurrence.starts_at <= now + UNDER_FILLED_NOTICE)
    )
    short = [o for o in occurrences if o["taken"] < o["capacity"] * UNDER_FILLED_SHARE]
    if not short:
        return 0
    members: dict[int, list[int]] = {}
    for m in await OrganizationMember.select(OrganizationMember.organization, OrganizationMember.user).where(
            OrganizationMember.organization.is_in(list({o["organization"] for o in short}))):
        members.setdefault(m["organization"], []).append(m["user"])
    queued = 0
    for o in short:
        for user_id in members.get(o["organization"], []):
            queued += await notifications.notify(
                recipient_id=user_id, kind="under_filled", target_key=f"occurrence:{o['id']}:3d",
                title=f"报名不足: {o['title']} {_local(o['starts_at'])} ({o['taken']}/{o['capacity']})",
                body="活动三天后开始,报名人数不足一半,请动员志愿者或联系社区。",
                payload={"occurrence": o["id"], "taken": o["taken"], "capacity": o["capacity"]})
    return queued


# --- certificates and drills ----------------------------------------------------------------------

async def _expiring_certificates(ctx: JobContext, *, kinds: tuple[str, ...] | None = None) -> list[dict]:
    today = ctx.now.astimezone(LOCAL_TZ).date()
    query = Certificate.select(
        Certificate.id, Certificate.volunteer, Certificate.expires_on,
        Certificate.kind.code.as_alias("kind"), Certificate.kind.name_zh.as_alias("kind_name"),
        Certificate.volunteer.user.as_alias("user"), Certificate.volunteer.real_name.as_alias("name"),
    ).where((Certificate.expires_on >= today)
            & (Certificate.expires_on <= today + timedelta(days=CERTIFICATE_NOTICE_DAYS))
            & (Certificate.volunteer.status == "active"))
    if kinds:
        query = query.where(Certificate.kind.code.is_in(list(kinds)))
    return await query


@job("certificates", trigger="cron", expression="0 8 * * *",
     description="Certificates expiring within 30 days: tell the volunteer and the organizations "
                 "of their upcoming occurrences")
async def warn_expiring_certificates(ctx: JobContext) -> str:
    """One message per certificate and expiry date, to the volunteer and to each affected organization."""
    certificates = await _expiring_certificates(ctx)
    queued = 0
    for c in certificates:
        key = f"certificate:{c['id']}:{c['expires_on'].isoformat()}"
        if c["user"] is not None:
            queued += await notifications.notify(
                recipient_id=c["user"], kind="certificate_expiring", target_key=key,
                title=f"证书即将到期: {c['kind_name']} ({c['expires_on'].isoformat()})",
                body="请在到期前完成复训或换证,以免影响报名需要该证书的活动。",
                payload={"certificate": c["id"], "expires_on": c["expires_on"].isoformat()})
        organizations = {r["organization"] for r in await SignUp.select(
            SignUp.occurrence.activity.organization.as_alias("organization")).where(
            (SignUp.volunteer == c["volunteer"]) & SignUp.status.is_in(list(ACTIVE_SIGN_UP))
            & (SignUp.occurrence.starts_at > ctx.now))}
        if not organizations:
            continue
        for m in await OrganizationMember.select(OrganizationMember.user).where(
                OrganizationMember.organization.is_in(list(organizations))):
            queued += await notifications.notify(
                recipient_id=m["user"], kind="certificate_expiring_org", target_key=key,
                title=f"报名志愿者证书即将到期: {c['name']} {c['kind_name']} ({c['expires_on'].isoformat()})",
                body="该志愿者已报名贵组织即将举行的活动,其证书将在30天内到期。",
                payload={"certificate": c["id"], "volunteer": c["volunteer"]})
    return f"{len(certificates)} certificate(s) expiring; {queued} message(s) queued"


@job("drill_proposals", trigger="cron", expression="0 9 * * 1",
     description="Propose drills to rescue teams and staff: expiring rescue/first-aid certificates, "
                 "youth members without a drill in 90 days")
async def propose_drills(ctx: JobContext) -> str:
    """A weekly proposal listing who needs training; youth names go to staff only."""
    certificates = await _expiring_certificates(ctx, kinds=DRILL_CERTIFICATES)
    youth = await _youth_without_drill(ctx.now)
    if not certificates and not youth:
        return "nobody needs a drill"
    adults = sorted({f"{c['name']} ({c['kind_name']}, {c['expires_on'].isoformat()})" for c in certificates})
    staff = [r["id"] for r in await User.select(User.id).where(
        User.role.is_in(["staff", "admin"]) & (User.is_active == True))]  # noqa: E712
    rescuers = [r["user"] for r in await OrganizationMember.select(OrganizationMember.user).where(
        (OrganizationMember.organization.kind == "rescue_team")
        & (OrganizationMember.organization.status == "approved"))]
    key = f"drills:{ctx.scheduled_for.astimezone(LOCAL_TZ).date().isoformat()}"
    title = f"演练建议: {len(adults)} 名志愿者证书将到期, {len(youth)} 名小小安全员90天未参加演练"
    payload = {"volunteers": sorted({c["volunteer"] for c in certificates}), "youth_count": len(youth)}
    adult_text = "证书将到期: " + ("; ".join(adults) or "无")
    queued = 0
    for user_id in staff:
        youth_text = "未演练的小小安全员: " + ("; ".join(y["name"] for y in youth) or "无")
        queued += await notifications.notify(
            recipient_id=user_id, kind="drill_proposal", target_key=key, title=title,
            body=f"{adult_text}\n{youth_text}", payload={**payload, "youth": [y["volunteer"] for y in youth]})
    for user_id in set(rescuers) - set(staff):
        queued += await notifications.notify(
            recipient_id=user_id, kind="drill_proposal", target_key=key, title=title,
            body=f"{adult_text}\n另有 {len(youth)} 名小小安全员需要演练(名单见社区)。", payload=payload)
    return f"{len(adults)} volunteer(s) and {len(youth)} youth member(s) need a drill; {queued} message(s) queued"


async def _youth_without_drill(now: datetime) -> list[dict]:
    active = await YouthMember.select(
        YouthMember.volunteer, YouthMember.volunteer.real_name.as_alias("name"),
        YouthMember.activated_at,
    ).where(YouthMember.status == "active")
    if not active:
        return []
    since = now - timedelta(days=YOUTH_DRILL_GAP_DAYS)
    drilled = {r["volunteer"] for r in await SignUp.select(SignUp.volunteer).where(
        SignUp.volunteer.is_in([y["volunteer"] for y in active]) & (SignUp.status == "attended")
        & SignUp.occurrence.activity.kind.is_in(list(DRILL_KINDS)) & (SignUp.occurrence.starts_at >= since))}
    # Someone active for less than 90 days is not overdue yet.
    return [y for y in active if y["volunteer"] not in drilled
            and (y["activated_at"] is None or y["activated_at"] <= since)]


@job("youth_retirement", trigger="cron", expression="0 1 * * *",
     description="Retire little safety officers who have turned 18")
async def retire_youth(ctx: JobContext) -> str:
    """Delegates to the volunteers domain, with the firing's local date."""
    ran, result = await call_if_available("tongxin.volunteers.service", "retire_adults",
                                          today=ctx.now.astimezone(LOCAL_TZ).date(), now=ctx.now)
    return _summary("retire_adults", result) if ran else result


# --- matching -------------------------------------------------------------------------------------

@job("matching", trigger="interval", expression="6h",
     description="Matching batch for open wishes and under-filled occurrences (proposals for staff)")
async def run_matching(ctx: JobContext) -> str:
    """Proposals only: staff approve them; nothing here is auto-approved."""
    ran, result = await call_if_available(
        "tongxin.matches.service", "run_matching_batch", now=ctx.now, started_by=None, actor=None,
        seed=int(ctx.scheduled_for.timestamp()), scope="district", settings=ctx.settings)
    return _summary("run_matching_batch", result) if ran else result


@job("retrain", trigger="cron", expression="0 3 * * *",
     description="Nightly retraining of the matching model (activated only if better on held-out data)")
async def retrain(ctx: JobContext) -> str:
    """Delegates to the matches domain, which decides whether the new model is better."""
    ran, result = await call_if_available(
        "tongxin.matches.service", "train_and_maybe_activate", now=ctx.now,
        seed=int(ctx.scheduled_for.timestamp()), settings=ctx.settings)
    return _summary("train_and_maybe_activate", result) if ran else result


# --- the outbox -----------------------------------------------------------------------------------

@job("send_outbox", trigger="interval", expression="1m",
     description="Send queued notifications (in-app now); failures are retried on later runs")
async def send_outbox(ctx: JobContext) -> str:
    """Hand unsent messages to their channel's sender."""
    result = await notifications.send_outbox(now=ctx.now)
    return f"{result['sent']} sent, {result['failed']} failed"
