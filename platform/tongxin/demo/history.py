"""A year of past service for the demo district, written through the same rules as today's.

Every finished occurrence, oldest first: staff decided on the proposals matching made a week before (scored
and explained by the real ranking, so only people the hard rules allowed were proposed), people answered
their invitations, others signed up themselves (the one eligibility engine says who could, on the day), and
the organization marked attendance, crediting the one ledger exactly as `tongxin.activities.attendance`
does (`credit_minutes`, one row per attended sign-up). Rows go in in bulk, one occurrence at a time, so each
occurrence sees the commitments of the ones before it (overlaps, daily and monthly hours).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from datetime import datetime, time, timedelta, timezone
from typing import Any, Callable

import numpy as np

import matching
from tongxin.accounts.tables import Community, User
from tongxin.activities.attendance import credit_minutes
from tongxin.activities.recurrence import expand_occurrences
from tongxin.activities.tables import Activity, Occurrence, SignUp
from tongxin.dates import ADULT_AGE, LOCAL_TZ, age_on
from tongxin.eligibility.service import blocking, failures, load_occurrences, load_people, load_vocabulary
from tongxin.matches import snapshot
from tongxin.matches.service import PRIOR_VERSION, explanation_json
from tongxin.matches.tables import Invitation, Proposal
from tongxin.organizations.tables import Organization, ResourceOffer
from tongxin.volunteers.tables import LedgerEntry, Volunteer, YouthMember
from tongxin.wishes.tables import Household, Wish

# The seed's figures for the last 12 months (the dashboard's default period).
BLUE_SKY_ACTIVITIES = 45
BLUE_SKY_PEOPLE = 2500
WISHES_FULFILLED = 22
# One-off call-outs that make up the blue-sky team's 45 (its recurring drills and talks give the rest).
CALL_OUTS = ["防汛应急值守", "走失老人搜寻", "台风过后道路清障", "大型活动安全保障", "防溺水巡查",
             "消防安全隐患排查", "冬季燃气安全入户宣传", "暴雨积水转移群众", "高温天气送清凉"]
# Proposals per matched occurrence, and the share of people who fail to come.
PROPOSALS_PER_TARGET = 16
NO_SHOW_SHARE = 0.06
REJECT_REASONS = ["本次人手已够", "更适合安排到离家近的活动", "近期服务安排较多，先请其他志愿者"]
DECLINE_REASONS = ["那天有事", "离家有点远", ""]
WISH_FOR_OFFER = {  # what a household asked for, by the resource offer that fulfilled it
    "棉被": "冬季需要棉被", "米面油": "家中缺米面油", "助学金": "孩子上学需要资助", "旧电脑": "孩子上网课需要电脑",
    "免费理发": "行动不便的老人需要上门理发", "义诊服务": "老人需要上门测血压",
}


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _keen(features: dict[str, float]) -> float:
    """How likely a proposed person says yes and comes: in the demo, those who served lately stay keen and
    people like their own community a little (habits the prior does not know, so training has something to
    learn: the prior expects recent service to tire people)."""
    return _sigmoid(-1.8 + 1.4 * min(features.get("recent_load", 0.0), 4.0)
                    + 0.6 * features.get("same_community", 0.0))


class _Writer:
    """Writes the past one occurrence at a time, with one random stream, and counts what it wrote."""

    def __init__(self, *, rng: random.Random, staff_id: int) -> None:
        self.rng, self.staff_id = rng, staff_id
        self.counts: Counter = Counter()

    async def occurrence(self, occ: dict[str, Any], *, wanted: int, matched: bool) -> int:
        """Write one finished occurrence: proposals and answers (if `matched`), self sign-ups up to `wanted`
        people in all, attendance and credits. Returns how many attended."""
        vocab = await load_vocabulary()
        signed: dict[int, tuple[str, str]] = {}  # volunteer → (status, source)
        if matched:
            signed.update(await self._matched(occ, vocab, wanted=wanted))
        youth = occ["activity.youth_allowed"]
        if youth:  # an adult leader first: children may join only with one present
            for vid in await self._choose(occ, vocab, exclude=signed, limit=2, leader=True):
                signed[vid] = ("leader", "self")
            await SignUp.insert(*[SignUp(occurrence=occ["id"], volunteer=vid, status="confirmed", is_leader=True,
                                         created_at=occ["starts_at"] - timedelta(days=5))
                                  for vid, (status, _) in signed.items() if status == "leader"])
        room = min(wanted, occ["capacity"]) - len(signed)
        for vid in await self._choose(occ, vocab, exclude=signed, limit=max(room, 0), leader=False):
            signed[vid] = ("", "self")
        rows, leaders = [], [vid for vid, (status, _) in signed.items() if status == "leader"]
        marked = occ["ends_at"] + timedelta(hours=2)
        outcome: dict[int, str] = {}
        for vid, (status, source) in signed.items():
            outcome[vid] = "attended" if status == "leader" or self.rng.random() >= NO_SHOW_SHARE else "no_show"
            if status == "leader":
                continue
            rows.append(SignUp(occurrence=occ["id"], volunteer=vid, status=outcome[vid], source=source,
                               created_at=occ["starts_at"] - timedelta(days=self.rng.randint(2, 12)),
                               attendance_marked_at=marked,
                               attendance_source="organization" if outcome[vid] == "attended" else "auto"))
        if rows:
            await SignUp.insert(*rows)
        if leaders:
            await SignUp.update({SignUp.status: "attended", SignUp.attendance_marked_at: marked,
                                 SignUp.attendance_source: "organization"}).where(
                (SignUp.occurrence == occ["id"]) & SignUp.volunteer.is_in(leaders))
        ids = {r["volunteer"]: r["id"] for r in await SignUp.select(SignUp.id, SignUp.volunteer).where(
            SignUp.occurrence == occ["id"])}
        for vid, (_, source) in signed.items():
            if source == "invitation":  # the accepted invitation points at the sign-up it became
                await Invitation.update({Invitation.sign_up: ids[vid]}).where(
                    (Invitation.target_type == "occurrence") & (Invitation.target_id == occ["id"])
                    & (Invitation.volunteer == vid))
        minutes = credit_minutes(occ)
        credits = [LedgerEntry(volunteer=vid, sign_up=ids[vid], minutes=minutes,
                               points=occ["occurrence.activity.points_credit"], reason="attendance", created_at=marked)
                   for vid, status in outcome.items() if status == "attended"]
        if credits:
            await LedgerEntry.insert(*credits)
        await Occurrence.update({Occurrence.status: "done", Occurrence.taken: 0}).where(Occurrence.id == occ["id"])
        self.counts["sign_ups"] += len(outcome)
        self.counts["attended"] += len(credits)
        return len(credits)

    async def _matched(self, occ: dict[str, Any], vocab, *, wanted: int) -> dict[int, tuple[str, str]]:
        """A week before: matching ranks the people the hard rules allow (the prior scores them), staff approve
        or reject, the approved answer their invitation. Returns those who accepted."""
        asked_at = occ["starts_at"] - timedelta(days=7)
        volunteers = await snapshot.load_volunteers(vocab, now=asked_at)
        targets = await snapshot.load_occurrence_targets(vocab, now=asked_at, occurrence_ids=[occ["id"]])
        if len(targets.ids) == 0:
            return {}
        ranking = matching.rank_candidates(
            matching.VolunteerArrays.from_obj(volunteers), matching.TargetArrays.from_obj(targets),
            matching.prior_scorer(), top_k=PROPOSALS_PER_TARGET, now=asked_at.timestamp(),
            commitments=matching.Commitments.from_obj(volunteers))
        names = list(getattr(ranking, "feature_names", None) or matching.FEATURE_NAMES)
        decided_at = asked_at + timedelta(hours=20)
        proposals, answers = [], []
        accepted: dict[int, tuple[str, str]] = {}
        for i, vid in enumerate(ranking.volunteer_ids):
            features = {name: round(float(v), 5) for name, v in zip(names, ranking.features[i])}
            keen = _keen(features)
            approve = self.rng.random() >= 0.7 * (1 - keen)
            proposals.append(Proposal(
                target_type="occurrence", target_id=occ["id"], candidate_type="volunteer", candidate_id=int(vid),
                score=float(ranking.score[i]), features=features, explanation=explanation_json(ranking.explanations[i]),
                model_version=PRIOR_VERSION, status="approved" if approve else "rejected", decided_by=self.staff_id,
                decided_at=decided_at, reason="" if approve else self.rng.choice(REJECT_REASONS), created_at=asked_at))
            yes = approve and self.rng.random() < keen and len(accepted) < wanted
            answers.append((approve, yes))
            if yes:
                accepted[int(vid)] = ("", "invitation")
        if not proposals:
            return {}
        ids = [r["id"] for r in await Proposal.insert(*proposals).returning(Proposal.id)]
        users = {r["id"]: r["user"] for r in await Volunteer.select(Volunteer.id, Volunteer.user).where(
            Volunteer.id.is_in([int(v) for v in ranking.volunteer_ids]))}
        invitations = [Invitation(
            proposal=pid, volunteer=int(vid), recipient=users[int(vid)], target_type="occurrence", target_id=occ["id"],
            status="accepted" if yes else "declined", expires_at=decided_at + timedelta(days=3),
            responded_at=decided_at + timedelta(hours=self.rng.randint(1, 40)),
            reason="" if yes else self.rng.choice(DECLINE_REASONS), created_at=decided_at)
            for pid, vid, (approve, yes) in zip(ids, ranking.volunteer_ids, answers) if approve and users.get(int(vid))]
        if invitations:
            await Invitation.insert(*invitations)
        self.counts["proposals"] += len(proposals)
        self.counts["invitations"] += len(invitations)
        return accepted

    async def _choose(self, occ: dict[str, Any], vocab, *, exclude: dict, limit: int, leader: bool) -> list[int]:
        """Up to `limit` people who could sign up themselves on the day (the eligibility engine with the
        commitments written so far), at random. Children only once active; leaders are adults."""
        if limit <= 0:
            return []
        start = occ["starts_at"]
        people = await load_people(vocab, now=start)
        targets = await load_occurrences(vocab, occurrence_ids=[occ["id"]])
        n = len(people.ids)
        verdicts = failures(people, targets, np.arange(n), np.zeros(n, np.int64))
        day = start.astimezone(LOCAL_TZ).date()
        births = {r["id"]: r["birth_date"] for r in await Volunteer.select(Volunteer.id, Volunteer.birth_date)}
        joined = {r["volunteer"]: r["activated_at"] for r in await YouthMember.select(
            YouthMember.volunteer, YouthMember.activated_at)}
        able = []
        for vid, reasons, is_youth in zip(people.ids.tolist(), verdicts, people.is_youth.tolist()):
            if vid in exclude or blocking(reasons, chosen_by_themselves=True, as_leader=leader):
                continue
            if leader and (is_youth or births.get(vid) is None or age_on(births[vid], day) < ADULT_AGE):
                continue
            if is_youth and (joined.get(vid) is None or joined[vid] > start):
                continue  # not yet on the roster that day
            able.append(vid)
        return sorted(self.rng.sample(able, min(limit, len(able))))


async def _blue_sky_call_outs(*, organization_id: int, created_by: int, since: datetime, now: datetime,
                              count: int) -> None:
    """`count` one-off call-outs, spread over the period at 14:00 local (clear of the morning activities)."""
    communities = [r["id"] for r in await Community.select(Community.id).order_by(Community.id)]
    span = (now - timedelta(days=2) - since) / max(count, 1)
    for n in range(count):
        day = (since + span * (n + 0.5)).astimezone(LOCAL_TZ).date()
        starts_at = datetime.combine(day, time(14), tzinfo=LOCAL_TZ).astimezone(timezone.utc)
        activity = (await Activity.insert(Activity(
            organization=organization_id, title=f"蓝天救援队{CALL_OUTS[n % len(CALL_OUTS)]}", kind="emergency",
            status="approved", starts_at=starts_at, duration_minutes=180, capacity=150, min_age=18, max_age=65,
            community=communities[n % len(communities)], lat=33.9, lon=118.3, address="各社区网格", created_by=created_by,
            credit_minutes=180, signup_deadline_hours=2, created_at=starts_at - timedelta(days=2),
            submitted_at=starts_at - timedelta(days=2), decided_at=starts_at - timedelta(days=1),
        )).returning(Activity.id))[0]["id"]
        await expand_occurrences(activity_id=activity, until=starts_at + timedelta(hours=1))


async def _finished(since: datetime, now: datetime) -> list[dict[str, Any]]:
    return await Occurrence.select(
        Occurrence.id, Occurrence.starts_at, Occurrence.ends_at, Occurrence.capacity,
        Occurrence.activity.organization.as_alias("organization"), Occurrence.activity.kind.as_alias("kind"),
        Occurrence.activity.youth_allowed, Occurrence.activity.credit_minutes, Occurrence.activity.points_credit,
    ).where((Occurrence.starts_at >= since) & (Occurrence.ends_at < now) & (Occurrence.status == "open")).order_by(
        Occurrence.starts_at).order_by(Occurrence.id)


async def _wishes(*, rng: random.Random, since: datetime, now: datetime, staff_id: int) -> int:
    """Each demo household had one wish fulfilled during the year by one of the 18 resource offers (some
    offers twice), confirmed by its grid worker with a rating; the offers' stock goes down accordingly."""
    households = await Household.select(Household.id, Household.grid, Household.created_by,
                                        Household.grid.community.as_alias("community")).order_by(Household.id)
    offers = await ResourceOffer.select(ResourceOffer.id, ResourceOffer.title, ResourceOffer.category).order_by(
        ResourceOffer.id)
    if not households or not offers:
        return 0
    span = (now - timedelta(days=3) - since) / WISHES_FULFILLED
    rows, used = [], Counter()
    for n in range(WISHES_FULFILLED):
        house, offer = households[n % len(households)], offers[n % len(offers)]
        fulfilled = since + span * (n + 0.5)
        title = WISH_FOR_OFFER.get(offer["title"], f"需要{offer['title']}")
        used[offer["id"]] += 1
        rows.append(Wish(
            household=house["id"], grid=house["grid"], community=house["community"], posted_by=house["created_by"],
            category=offer["category"], title=title, public_text=f"辖区一户居民：{title}。",
            original_title=title, original_text=f"{title}，已上门核实。", needed_by=(fulfilled + timedelta(days=10)).date(),
            urgency=1 + n % 3, status="confirmed", verified_by=staff_id, verified_at=fulfilled - timedelta(days=12),
            helper_resource=offer["id"], fulfilled_at=fulfilled, confirmed_at=fulfilled + timedelta(days=1),
            rating=rng.choice((4, 5, 5)), rating_comment=rng.choice(("谢谢大家", "很及时", "东西很实用", "")),
            created_at=fulfilled - timedelta(days=14)))
    await Wish.insert(*rows)
    for offer_id, n in used.items():
        await ResourceOffer.update({ResourceOffer.remaining: ResourceOffer.remaining - n}).where(
            ResourceOffer.id == offer_id)
    return len(rows)


async def _settle_totals() -> None:
    """Each volunteer's totals from the ledger and the marks (the figures the hours page and cards show)."""
    credits: dict[int, list[int]] = {}
    for e in await LedgerEntry.select(LedgerEntry.volunteer, LedgerEntry.minutes, LedgerEntry.points):
        total = credits.setdefault(e["volunteer"], [0, 0, 0])
        total[0] += e["minutes"]
        total[1] += e["points"]
        total[2] += 1
    no_shows = Counter(r["volunteer"] for r in await SignUp.select(SignUp.volunteer).where(SignUp.status == "no_show"))
    for r in await Volunteer.select(Volunteer.id):
        minutes, points, attended = credits.get(r["id"], (0, 0, 0))
        await Volunteer.update({Volunteer.minutes_total: minutes, Volunteer.points_total: points,
                                Volunteer.attended_count: attended, Volunteer.no_show_count: no_shows[r["id"]]}).where(
            Volunteer.id == r["id"])


async def has_history() -> bool:
    """Whether past service has been written (any occurrence already held)."""
    return await Occurrence.exists().where(Occurrence.status == "done")


async def write_history(*, since: datetime, now: datetime | None = None, seed: int = 11,
                        progress: Callable[[str], None] = print) -> dict[str, int]:
    """Write the past from `since` to `now` (see the module's docstring); nothing if it is already there."""
    now = now or datetime.now(timezone.utc)
    if await has_history():
        return {}
    rng = random.Random(seed)
    staff_id = (await User.select(User.id).where(User.username == "staff").first())["id"]
    blue_sky = await Organization.select(Organization.id, Organization.created_by).where(
        Organization.name == "蓝天救援队").first()
    recurring = [o for o in await _finished(since, now) if o["organization"] == blue_sky["id"]]
    await _blue_sky_call_outs(organization_id=blue_sky["id"], created_by=blue_sky["created_by"], since=since,
                              now=now, count=max(BLUE_SKY_ACTIVITIES - len(recurring), 0))
    past = await _finished(since, now)
    progress(f"[8/11] a year of past service: {len(past)} occurrences since {since.astimezone(LOCAL_TZ):%Y-%m-%d}")
    writer = _Writer(rng=rng, staff_id=staff_id)
    ours = [o for o in past if o["organization"] == blue_sky["id"]]
    people_left, places_left = BLUE_SKY_PEOPLE, sum(o["capacity"] for o in ours)
    for n, occ in enumerate(past, start=1):
        # The names `credit_minutes` reads, as the attendance module selects them.
        occ.update({"occurrence.starts_at": occ["starts_at"], "occurrence.ends_at": occ["ends_at"],
                    "occurrence.activity.credit_minutes": occ["activity.credit_minutes"],
                    "occurrence.activity.points_credit": occ["activity.points_credit"]})
        if occ["organization"] == blue_sky["id"]:
            # What is left of the seed's 2,500, shared by the team's remaining places (a few will not come).
            wanted = math.ceil(people_left * occ["capacity"] / places_left / (1 - NO_SHOW_SHARE))
            came = await writer.occurrence(occ, wanted=wanted, matched=occ["kind"] == "safety_education"
                                           and not occ["activity.youth_allowed"])
            people_left, places_left = people_left - came, places_left - occ["capacity"]
        else:
            await writer.occurrence(occ, wanted=rng.randint(26, 38), matched=True)
        if n % 20 == 0:
            progress(f"      {n}/{len(past)} occurrences")
    progress(f"[9/11] {WISHES_FULFILLED} micro-wishes fulfilled by the resource offers, with ratings")
    writer.counts["wishes"] = await _wishes(rng=rng, since=since, now=now, staff_id=staff_id)
    await _settle_totals()
    return dict(writer.counts)


__all__ = ("write_history", "has_history", "BLUE_SKY_ACTIVITIES", "BLUE_SKY_PEOPLE", "WISHES_FULFILLED")
