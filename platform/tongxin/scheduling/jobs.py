"""The scheduler's jobs, defined in code; their schedules live in the JobSchedule table.

Every job is written so that running it twice for the same moment changes nothing the second
time: occurrences are unique by (activity, start), notifications by (recipient, kind, target),
ledger credits by sign-up. The claim on (job, scheduled_for) in `service.fire` stops a second
run of one firing; these keys make even a half-finished run, re-run, harmless.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable

from tongxin.accounts.tables import User
from tongxin.activities import attendance
from tongxin.activities.recurrence import expand_occurrences
from tongxin.activities.tables import ACTIVE_SIGN_UP, Activity, Occurrence, SignUp
from tongxin.dates import LOCAL_TZ, local_day, local_time
from tongxin.language import LANGUAGES, texts, translate
from tongxin.matches import invitations
from tongxin.matches import service as matches
from tongxin.notifications import service as notifications
from tongxin.organizations.tables import OrganizationMember
from tongxin.settings import Settings
from tongxin.volunteers.tables import Certificate, YouthMember
from tongxin.youth import service as youth_roster

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
    """Provisional no-shows after the grace period (correctable for 7 days), then any missing credit."""
    no_shows = await attendance.mark_no_shows_after(grace=NO_SHOW_GRACE, now=ctx.now)
    credited = await attendance.credit_attendance()
    return f"done: mark_no_shows_after: {no_shows}; credit_attendance: {credited}"


@job("expire_invitations", trigger="interval", expression="15m",
     description="Invitations nobody answered by their deadline expire (counted as declined)")
async def expire_invitations(ctx: JobContext) -> str:
    """Pending invitations past their deadline become expired."""
    return f"{await invitations.expire(now=ctx.now)} invitation(s) expired"


# --- reminders ------------------------------------------------------------------------------------

def _local(dt: datetime):
    """A moment as each recipient's language writes it (for `texts`)."""
    return lambda lang: local_time(dt, lang)


def _day(day):
    """A calendar day as each recipient's language writes it (for `texts`)."""
    return lambda lang: local_day(day, lang)


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
        title = (texts("notify_reminder_tomorrow", title=r["title"], when=when) if notice == "1d"
                 else texts("notify_reminder_next_week", title=r["title"], when=when))
        payload = {"occurrence": r["occurrence"], "starts_at": r["starts_at"].isoformat()}
        if r["user"] is not None:
            queued += await notifications.notify(
                recipient_id=r["user"], kind="reminder", target_key=f"occurrence:{r['occurrence']}:{notice}",
                title=title, body=texts("notify_reminder_body", when=when, address=r["address"] or ""), payload=payload)
        guardian = guardians.get(r["volunteer"])
        if guardian is not None:
            queued += await notifications.notify(
                recipient_id=guardian, kind="reminder_guardian",
                target_key=f"occurrence:{r['occurrence']}:{notice}:v{r['volunteer']}", title=title,
                body=texts("notify_reminder_body_guardian", when=when, address=r["address"] or ""),
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
                title=texts("notify_under_filled", title=o["title"], when=_local(o["starts_at"]), taken=o["taken"],
                            capacity=o["capacity"]),
                body=texts("notify_under_filled_body"),
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
                title=texts("notify_certificate_expiring", kind=c["kind_name"], day=_day(c["expires_on"])),
                body=texts("notify_certificate_expiring_body"),
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
                title=texts("notify_certificate_expiring_org", name=c["name"], kind=c["kind_name"],
                            day=_day(c["expires_on"])),
                body=texts("notify_certificate_expiring_org_body"),
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
    adults = sorted({(c["name"], c["kind_name"], c["expires_on"]) for c in certificates})
    staff = [r["id"] for r in await User.select(User.id).where(
        User.role.is_in(["staff", "admin"]) & (User.is_active == True))]  # noqa: E712
    rescuers = [r["user"] for r in await OrganizationMember.select(OrganizationMember.user).where(
        (OrganizationMember.organization.kind == "rescue_team")
        & (OrganizationMember.organization.status == "approved"))]
    key = f"drills:{ctx.scheduled_for.astimezone(LOCAL_TZ).date().isoformat()}"
    title = texts("notify_drills", adults=len(adults), youth=len(youth))
    payload = {"volunteers": sorted({c["volunteer"] for c in certificates}), "youth_count": len(youth)}
    def adult_text(lang: str) -> str:
        return translate("notify_drills_adults", lang, names=translate("phrase_separator", lang).join(
            f"{name} ({kind}, {local_day(day, lang)})" for name, kind, day in adults) or translate("nobody", lang))

    def staff_body(lang: str) -> str:
        names = translate("phrase_separator", lang).join(y["name"] for y in youth) or translate("nobody", lang)
        return adult_text(lang) + "\n" + translate("notify_drills_youth", lang, names=names)

    def rescuer_body(lang: str) -> str:
        return adult_text(lang) + "\n" + translate("notify_drills_youth_count", lang, n=len(youth))

    queued = 0
    for user_id in staff:
        queued += await notifications.notify(
            recipient_id=user_id, kind="drill_proposal", target_key=key, title=title,
            body={lang: staff_body(lang) for lang in LANGUAGES},
            payload={**payload, "youth": [y["volunteer"] for y in youth]})
    for user_id in set(rescuers) - set(staff):
        queued += await notifications.notify(
            recipient_id=user_id, kind="drill_proposal", target_key=key, title=title,
            body={lang: rescuer_body(lang) for lang in LANGUAGES}, payload=payload)
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
    """Retire with the firing's local date."""
    retired = await youth_roster.retire_adults(today=ctx.now.astimezone(LOCAL_TZ).date())
    return _summary("retire_adults", retired)


# --- matching -------------------------------------------------------------------------------------

@job("matching", trigger="interval", expression="6h",
     description="Matching batch for open wishes and under-filled occurrences (proposals for staff)")
async def run_matching(ctx: JobContext) -> str:
    """Proposals only: staff approve them; nothing here is auto-approved."""
    result = await matches.run_matching_batch(now=ctx.now, seed=int(ctx.scheduled_for.timestamp()))
    return _summary("run_matching_batch", result)


@job("retrain", trigger="cron", expression="0 3 * * *",
     description="Nightly retraining of the matching model (activated only if better on held-out data)")
async def retrain(ctx: JobContext) -> str:
    """Delegates to the matches domain, which decides whether the new model is better."""
    result = await matches.train_and_maybe_activate(now=ctx.now)
    return _summary("train_and_maybe_activate", result)


# --- the outbox -----------------------------------------------------------------------------------

@job("send_outbox", trigger="interval", expression="1m",
     description="Send queued notifications (in-app now); failures are retried on later runs")
async def send_outbox(ctx: JobContext) -> str:
    """Hand unsent messages to their channel's sender."""
    result = await notifications.send_outbox(now=ctx.now)
    return f"{result['sent']} sent, {result['failed']} failed"
