"""The demo district of design.md as it stands today: places, people, organizations, wishes and activities.

Loaded idempotently (`_ensure` inserts only what is missing); the year of past service is
`tongxin.demo.history`, and `tongxin.demo.loader` runs both.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable

from tongxin.accounts.passwords import hash_password
from tongxin.accounts.tables import Community, Grid, GridAssignment, User
from tongxin.activities.recurrence import expand_occurrences
from tongxin.activities.tables import Activity
from tongxin.dates import LOCAL_TZ, local_today
from tongxin.organizations.tables import Organization, OrganizationMember, ResourceOffer
from tongxin.volunteers.tables import (
    AvailabilityWindow,
    Certificate,
    CertificateKind,
    Skill,
    Squad,
    Volunteer,
    VolunteerSkill,
    YouthAssessment,
    YouthMember,
)
from tongxin.wishes.redaction import HouseholdFacts, redact
from tongxin.wishes.tables import Household, Wish

DEMO_PASSWORD = "tongxin-demo"
CENTER = (33.90, 118.30)
COMMUNITIES = [
    ("mingri", "明日社区", "Mingri", 18),
    ("yangcheng", "阳澄社区", "Yangcheng", 17),
    ("yuanrong", "圆融社区", "Yuanrong", 19),  # with the 恒大绿洲 Hengda Lvzhou compound
    ("xinghu", "星湖社区", "Xinghu", 15),
]
SKILLS = [
    ("first_aid", "急救", "First aid"), ("rescue", "应急救援", "Rescue"), ("swimming", "游泳", "Swimming"),
    ("driving", "驾驶", "Driving"), ("repair", "水电维修", "Home repair"), ("tutoring", "辅导功课", "Tutoring"),
    ("elderly_care", "助老服务", "Elderly care"), ("cooking", "烹饪", "Cooking"),
    ("counselling", "心理疏导", "Counselling"), ("photography", "摄影", "Photography"),
    ("haircut", "理发", "Haircut"), ("sign_language", "手语", "Sign language"),
]
CERTIFICATES = [
    ("first_aid_cert", "红十字救护员证", "Red Cross first-aider"),
    ("rescue_cert", "应急救援员证", "Emergency rescuer"),
    ("driver_license", "驾驶证", "Driving licence"),
    ("electrician_cert", "电工证", "Electrician"),
    ("lifeguard_cert", "救生员证", "Lifeguard"),
]
ORGANIZATIONS = [
    ("bluesky", "蓝天救援队", "rescue_team"), ("tongxin_sw", "同心社工服务中心", "social_organization"),
    ("aixin", "爱心公益协会", "charity"), ("xinglin", "杏林义诊志愿队", "social_organization"),
    ("tiancheng", "天成电子志愿服务队", "enterprise_group"), ("hengyuan", "恒远物流志愿服务队", "enterprise_group"),
    ("ruifeng", "瑞丰银行志愿服务队", "enterprise_group"), ("lvzhou", "绿洲业委会志愿队", "social_organization"),
    ("yangguang", "阳光助学会", "charity"), ("anju", "安居物业党员先锋队", "enterprise_group"),
    ("qingshan", "青山环保社", "social_organization"), ("cishan", "慈善总会工业园分会", "charity"),
]
# The blue-sky team's people who may run drills (rescue skill and a first-aid certificate): vol025, vol050 ...
RESCUER_EVERY = 25
# The youth roster: the first 10 were active before the history starts, 20 joined during it; two applicants wait.
YOUTH_AT_START, YOUTH_ACTIVE, YOUTH_APPLICANTS = 10, 30, 2
# (organization, title, kind, rule, minutes, capacity, required skills, preferred skills, certificates,
#  youth allowed, community). The service day welcomes every helper (haircut and repair stalls are preferences,
#  not entry conditions); the drill needs rescuers with a first-aid certificate; the talks are for every adult.
ACTIVITIES = [
    ("tongxin_sw", "吾爱邻便民志愿服务日", "service_day", "FREQ=MONTHLY;BYDAY=+3SA", 180, 40,
     [], ["haircut", "repair"], [], False, "mingri"),
    ("bluesky", "蓝天救援队应急演练", "training_drill", "FREQ=MONTHLY;INTERVAL=3;BYDAY=+2SU", 240, 30,
     ["rescue"], [], ["first_aid_cert"], False, "mingri"),
    ("bluesky", "小小安全员安全教育课", "safety_education", "FREQ=MONTHLY;BYDAY=+1SA", 120, 25,
     [], [], [], True, "mingri"),
    ("bluesky", "蓝天救援队安全知识进社区", "safety_education", "FREQ=MONTHLY;BYDAY=+2SA,+4SA", 120, 120,
     [], ["first_aid"], [], False, "yangcheng"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建国志红梅"
WISHES = [
    ("daily_goods", "冬季棉被两床", "Two winter quilts"), ("study", "孩子需要学习辅导", "Homework help for a child"),
    ("repair", "厨房水管漏水维修", "Fix a leaking kitchen pipe"), ("companionship", "独居老人每周陪伴聊天", "Weekly company for an elder living alone"),
    ("health", "陪同老人去医院复查", "Escort an elder to a hospital check-up"), ("daily_goods", "一台旧电脑用于上网课", "A used computer for online classes"),
]


def _youth_activated_at(n: int, *, since: datetime, now: datetime) -> datetime:
    """When the n-th little safety officer became active: the first ones before `since`, the rest spread
    evenly from then until a week ago (the roster grows over the year)."""
    if n <= YOUTH_AT_START or since >= now - timedelta(days=8):
        return min(since, now - timedelta(days=30)) - timedelta(days=5 * n)
    share = (n - YOUTH_AT_START) / (YOUTH_ACTIVE - YOUTH_AT_START)
    return since + (now - timedelta(days=7) - since) * share


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _near(rng: random.Random, lat: float, lon: float, km: float) -> tuple[float, float]:
    return lat + rng.uniform(-km, km) / 111.0, lon + rng.uniform(-km, km) / 92.0


async def _ids(table, column) -> dict:
    return {row[column._meta.name]: row["id"] for row in await table.select(table.id, column)}


async def _ensure(table, key_column, rows: list) -> dict:
    """Insert the rows whose key is missing; return key → id for these rows only."""
    name = key_column._meta.name
    existing = await _ids(table, key_column)
    missing = [r for r in rows if getattr(r, name) not in existing]
    for start in range(0, len(missing), 500):
        await table.insert(*missing[start:start + 500])
    everything = await _ids(table, key_column)
    return {getattr(r, name): everything[getattr(r, name)] for r in rows}


async def load_district(*, scale: int = 1, progress: Callable[[str], None] = print, seed: int = 7,
                        since: datetime | None = None) -> None:
    """Load (or top up) the demo district; running it twice adds nothing. Recurring activities and the youth
    roster start at `since` (default now), so that a history can be written from then on."""
    if scale < 1:
        raise ValueError("scale must be at least 1")
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    since = since or now
    password_hash = await hash_password(DEMO_PASSWORD)  # one hash for every demo account: argon2 is slow

    def user(username: str, role: str, display: str, phone: str = "") -> User:
        return User(username=username, password_hash=password_hash, role=role, display_name=display, phone=phone)

    progress("[1/11] communities and grids")
    communities = await _ensure(Community, Community.code, [
        Community(code=code, name=zh, name_en=en, lat=CENTER[0] + 0.02 * (i % 2) - 0.01,
                  lon=CENTER[1] + 0.025 * (i // 2) - 0.012)
        for i, (code, zh, en, _) in enumerate(COMMUNITIES)
    ])
    grid_rows = []
    for code, zh, _, count in COMMUNITIES:
        c_lat = CENTER[0] + 0.02 * ([c[0] for c in COMMUNITIES].index(code) % 2) - 0.01
        c_lon = CENTER[1] + 0.025 * ([c[0] for c in COMMUNITIES].index(code) // 2) - 0.012
        for n in range(1, count + 1):
            lat, lon = _near(rng, c_lat, c_lon, 0.8)
            grid_rows.append(Grid(community=communities[code], code=f"{code}-{n:02d}",
                                  name=f"{zh}第{n}网格", lat=lat, lon=lon))
    grids = await _ensure(Grid, Grid.code, grid_rows)
    grid_list = sorted(grids.items())
    grid_info = {row["id"]: row for row in await Grid.select(Grid.id, Grid.community, Grid.lat, Grid.lon)}

    progress("[2/11] staff and grid workers (24 full-time, 45 part-time)")
    staff_rows = [user("admin", "admin", "系统管理员"), user("staff", "staff", "社区办 王主任")]
    staff_rows += [user(f"grid{n:02d}", "grid_worker", f"网格员{n:02d}{'(专职)' if n <= 24 else '(兼职)'}")
                   for n in range(1, len(grid_list) + 1)]
    users = await _ensure(User, User.username, staff_rows)
    assigned = {(r["user"], r["grid"]) for r in await GridAssignment.select()}
    new_assignments = [GridAssignment(user=users[f"grid{n:02d}"], grid=grid_id)
                       for n, (_, grid_id) in enumerate(grid_list, start=1)
                       if (users[f"grid{n:02d}"], grid_id) not in assigned]
    if new_assignments:
        await GridAssignment.insert(*new_assignments)

    progress("[3/11] skills, certificates, organizations and resource offers")
    skills = await _ensure(Skill, Skill.code, [Skill(code=c, name_zh=z, name_en=e) for c, z, e in SKILLS])
    cert_kinds = await _ensure(CertificateKind, CertificateKind.code,
                               [CertificateKind(code=c, name_zh=z, name_en=e) for c, z, e in CERTIFICATES])
    users.update(await _ensure(User, User.username, [user(code, "org_member", f"{zh}负责人")
                                                     for code, zh, _ in ORGANIZATIONS]))
    org_rows = []
    for code, zh, kind in ORGANIZATIONS:
        lat, lon = _near(rng, *CENTER, 3)
        org_rows.append(Organization(name=zh, kind=kind, status="approved", contact_name=f"{zh}负责人",
                                     community=rng.choice(list(communities.values())), lat=lat, lon=lon,
                                     created_by=users[code]))
    organizations = await _ensure(Organization, Organization.name, org_rows)
    members = {r["user"] for r in await OrganizationMember.select(OrganizationMember.user)}
    new_members = [OrganizationMember(organization=organizations[zh], user=users[code])
                   for code, zh, _ in ORGANIZATIONS if users[code] not in members]
    if new_members:
        await OrganizationMember.insert(*new_members)
    if not await ResourceOffer.count():
        offers = ["棉被", "米面油", "助学金", "旧电脑", "免费理发", "义诊服务"]
        await ResourceOffer.insert(*[
            ResourceOffer(organization=organizations[ORGANIZATIONS[i % 12][1]], title=offers[i % 6],
                          category=["daily_goods", "daily_goods", "study", "study", "other", "health"][i % 6],
                          kind=["goods", "goods", "money", "goods", "service", "service"][i % 6],
                          quantity=5 + i, remaining=5 + i)
            for i in range(18)
        ])

    progress(f"[4/11] volunteers ({300 * scale})")
    vol_users = await _ensure(User, User.username, [
        user(f"vol{n:03d}" if n <= 999 else f"vol{n}", "volunteer", _name(rng)) for n in range(1, 300 * scale + 1)
    ])
    have = {r["user"] for r in await Volunteer.select(Volunteer.user).where(Volunteer.user.is_not_null())}
    today = local_today()
    new_volunteers = []
    for username, user_id in sorted(vol_users.items()):
        if user_id in have:
            continue
        grid_id = rng.choice(grid_list)[1]
        info = grid_info[grid_id]
        lat, lon = _near(rng, info["lat"], info["lon"], 0.6)
        birth = date(today.year - rng.randint(18, 68), rng.randint(1, 12), rng.randint(1, 28))
        new_volunteers.append(Volunteer(
            user=user_id, real_name=_name(rng), phone=f"139{rng.randint(10000000, 99999999)}",
            birth_date=birth, community=info["community"], grid=grid_id, lat=lat, lon=lon,
            max_hours_month=rng.choice((8.0, 12.0, 20.0, 30.0)),
            attended_count=rng.randint(0, 12), no_show_count=rng.choice((0, 0, 0, 1, 2)),
        ))
    for start in range(0, len(new_volunteers), 500):
        await Volunteer.insert(*new_volunteers[start:start + 500])
    await _give_profiles(rng, skills, cert_kinds)
    await _give_rescuers(skills, cert_kinds)

    progress("[5/11] little safety officers (youth roster) and their squads")
    squads = await _ensure(Squad, Squad.name, [Squad(community=cid, name=f"{zh}小小安全员应急小队")
                                               for (code, zh, _, _), cid in zip(COMMUNITIES, communities.values())])
    guardians = await _ensure(User, User.username, [user(f"guardian{n:02d}", "guardian", f"家长{n:02d}")
                                                    for n in range(1, YOUTH_APPLICANTS + YOUTH_ACTIVE + 1)])
    if not await YouthMember.count():
        staff_id = users["staff"]
        squad_ids = list(squads.values())
        for n in range(1, YOUTH_APPLICANTS + YOUTH_ACTIVE + 1):
            grid_id = rng.choice(grid_list)[1]
            info = grid_info[grid_id]
            lat, lon = _near(rng, info["lat"], info["lon"], 0.5)
            volunteer = (await Volunteer.insert(Volunteer(
                real_name=_name(rng), birth_date=date(today.year - rng.randint(10, 16), rng.randint(1, 12), 15),
                community=info["community"], grid=grid_id, lat=lat, lon=lon, is_youth=True, max_hours_month=8.0,
            )).returning(Volunteer.id))[0]["id"]
            active = n <= YOUTH_ACTIVE
            activated = _youth_activated_at(n, since=since, now=now) if active else None
            consented = (activated or now - timedelta(days=3)) - timedelta(days=21)
            youth = (await YouthMember.insert(YouthMember(
                volunteer=volunteer, guardian=guardians[f"guardian{n:02d}"], status="active" if active else "applicant",
                consent_at=consented, consent_text_version="2026-01",
                squad=squad_ids[n % len(squad_ids)] if active else None, activated_at=activated, created_at=consented,
            )).returning(YouthMember.id))[0]["id"]
            if active:
                await YouthAssessment.insert(*[YouthAssessment(youth=youth, kind=k, passed=True, score=80 + n % 20,
                                                               assessed_by=staff_id,
                                                               assessed_at=activated - timedelta(days=3))
                                               for k in ("fitness", "self_rescue", "personality")])
            await AvailabilityWindow.insert(*[AvailabilityWindow(volunteer=volunteer, weekday=d,
                                                                 start_minute=9 * 60, end_minute=17 * 60)
                                              for d in (5, 6)])

    progress("[6/11] households and micro-wishes (22), kept apart from their public text")
    if not await Wish.count():
        for n in range(22):
            grid_code, grid_id = grid_list[(n * 3) % len(grid_list)]
            info = grid_info[grid_id]
            category, zh, _ = WISHES[n % len(WISHES)]
            name, phone = _name(rng), f"138{rng.randint(10000000, 99999999)}"
            address = f"{grid_code} {rng.randint(1, 30)}栋{rng.randint(1, 6)}单元{rng.randint(101, 1802)}室"
            household = (await Household.insert(Household(
                grid=grid_id, name=name, phone=phone, address=address,
                created_by=users[f"grid{(n * 3) % len(grid_list) + 1:02d}"],
            )).returning(Household.id))[0]["id"]
            # As grid workers write it: the household named; the public text is the redactor's proposal.
            original = f"{name[0]}{rng.choice(('大爷', '阿姨', '奶奶'))}住{address.split()[-1]}，电话{phone}，{zh}。"
            lat, lon = _near(rng, info["lat"], info["lon"], 0.3)
            await Wish.insert(Wish(
                household=household, grid=grid_id, community=info["community"],
                posted_by=users[f"grid{(n * 3) % len(grid_list) + 1:02d}"], category=category,
                title=zh, public_text=redact(original, HouseholdFacts(name=name, phone=phone, address=address)),
                original_title=zh, original_text=original, needed_by=today + timedelta(days=7 + n),
                urgency=1 + n % 3, skills_needed=["repair"] if category == "repair" else (
                    ["tutoring"] if category == "study" else []),
                status="open" if n < 16 else "submitted", lat=lat, lon=lon,
            ))

    progress("[7/11] activities: the monthly service day, quarterly drills, safety education and talks")
    if not await Activity.count():
        # Local 09:00 on the first day of the history: each rule then finds its own days from there.
        first = datetime.combine(since.astimezone(LOCAL_TZ).date(), time(9), tzinfo=LOCAL_TZ)
        for spec in ACTIVITIES:
            org_code, title, kind, rule, minutes, capacity, needs, preferred, certs, youth, community = spec
            org_name = next(zh for code, zh, _ in ORGANIZATIONS if code == org_code)
            info = next(c for c in COMMUNITIES if c[0] == community)
            approved_at = first.astimezone(timezone.utc) - timedelta(days=10)
            activity = (await Activity.insert(Activity(
                organization=organizations[org_name], title=title, kind=kind, status="approved",
                starts_at=first.astimezone(timezone.utc), duration_minutes=minutes, rrule=rule,
                community=communities[community], lat=CENTER[0], lon=CENTER[1],
                address=f"{info[1]}党群服务中心广场", capacity=capacity, youth_allowed=youth,
                min_age=10 if youth else 18, max_age=17 if youth else 65, required_skills=needs,
                preferred_skills=preferred, required_certificates=certs, created_by=users[org_code],
                credit_minutes=minutes, created_at=approved_at - timedelta(days=3),
                submitted_at=approved_at - timedelta(days=2), decided_at=approved_at,
            )).returning(Activity.id))[0]["id"]
            await expand_occurrences(activity_id=activity, until=now + timedelta(days=120))


async def _give_profiles(rng: random.Random, skills: dict, cert_kinds: dict) -> None:
    """Skills, certificates and availability for volunteers that have none yet."""
    with_skills = {r["volunteer"] for r in await VolunteerSkill.select(VolunteerSkill.volunteer)}
    volunteers = [r["id"] for r in await Volunteer.select(Volunteer.id).where(Volunteer.is_youth == False)  # noqa: E712
                  if r["id"] not in with_skills]
    skill_rows, cert_rows, window_rows = [], [], []
    today = local_today()
    for vid in volunteers:
        for code in rng.sample(list(skills), rng.randint(1, 4)):
            skill_rows.append(VolunteerSkill(volunteer=vid, skill=skills[code]))
        if rng.random() < 0.35:
            code = rng.choice(list(cert_kinds))
            expires = today + timedelta(days=rng.randint(-60, 900))
            cert_rows.append(Certificate(volunteer=vid, kind=cert_kinds[code], number=f"C{vid:06d}",
                                         issued_on=expires - timedelta(days=3 * 365), expires_on=expires))
        for weekday in rng.sample(range(7), rng.randint(1, 4)):
            start = rng.choice((8, 9, 13, 18)) * 60
            window_rows.append(AvailabilityWindow(volunteer=vid, weekday=weekday, start_minute=start,
                                                  end_minute=start + rng.choice((180, 240, 300))))
    for rows, table in ((skill_rows, VolunteerSkill), (cert_rows, Certificate), (window_rows, AvailabilityWindow)):
        for start in range(0, len(rows), 500):
            await table.insert(*rows[start:start + 500])


async def _give_rescuers(skills: dict, cert_kinds: dict) -> None:
    """Every 25th volunteer (vol025, vol050 ...) is one of the blue-sky team's rescuers: the rescue skill and
    a first-aid certificate valid for two more years, so its drills have people who may run them."""
    usernames = [f"vol{n:03d}" for n in range(RESCUER_EVERY, 1000, RESCUER_EVERY)]
    rows = await Volunteer.select(Volunteer.id).where(Volunteer.user.username.is_in(usernames))
    ids = [r["id"] for r in rows]
    have = {r["volunteer"] for r in await VolunteerSkill.select(VolunteerSkill.volunteer).where(
        VolunteerSkill.volunteer.is_in(ids or [-1]) & (VolunteerSkill.skill == skills["rescue"]))}
    missing = [vid for vid in ids if vid not in have]
    if not missing:
        return
    today = local_today()
    await VolunteerSkill.insert(*[VolunteerSkill(volunteer=vid, skill=skills["rescue"]) for vid in missing])
    await Certificate.insert(*[Certificate(volunteer=vid, kind=cert_kinds["first_aid_cert"], number=f"R{vid:06d}",
                                           issued_on=today - timedelta(days=400), expires_on=today + timedelta(days=730))
                               for vid in missing])
