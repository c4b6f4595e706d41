"""Every page and every error in both languages, as each role sees them over a small district with data on
every list: zh-CN pages have no English words, raw codes, ISO timestamps or `None`; English pages have no
Chinese words. What people typed (names, titles, addresses) is taken out first: it reads as they wrote it.

The pages come from the app's own routes, so a new page is checked as soon as it exists; a page no role can
open over this district fails the test until the district gets the data it needs.
"""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from tests.conftest import make_client
from tests.factories import login, make_user
from tests.volunteers.factories import make_place, years_ago

pytestmark = pytest.mark.anyio
HTML = {"accept": "text/html"}
ROOT = Path(__file__).resolve().parents[2]
ROLES = (None, "volunteer", "guardian", "org_member", "grid_worker", "staff", "admin")
NOT_PAGES = ("/api", "/schema", "/static", "/health", "/language")

CHINESE = re.compile(r"[\u3400-\u9fff]")
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
RAW_CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b|\bFREQ=|\bBYDAY=")
LATIN_WORD = re.compile(r"\b[A-Za-z][a-z]{2,}\b")
# Latin words a Chinese page may say: names of formats and of the other language.
LATIN_ON_CHINESE_PAGES = {"English", "Excel", "iCalendar", "Tongxin"}
ATTRIBUTES = re.compile(r'\b(?:placeholder|title|aria-label|alt)="([^"]*)"')


def visible_text(page: str) -> str:
    """What a reader sees or hears: the text between tags and the labelling attributes."""
    page = re.sub(r"<(script|style)\b[^>]*>.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r'<a [^>]*href="/language\?[^"]*"[^>]*>.*?</a>', " ", page, flags=re.S)  # the switch
    said = " ".join(ATTRIBUTES.findall(page))
    return html.unescape(re.sub(r"<[^>]+>", " ", page) + " " + said)


def without_data(text: str, data: list[str]) -> str:
    for value in data:
        text = text.replace(value, " ")
    return text


def findings(page: str, lang: str, data: list[str]) -> list[str]:
    """What is wrong with a page for a reader of `lang` (empty when it reads well)."""
    text = without_data(visible_text(page), data)
    found = [f"None: …{text[max(0, i - 30):i + 10]}…" for i in [m.start() for m in re.finditer(r"\bNone\b", text)]]
    found += [f"ISO time {m.group()}" for m in ISO_TIME.finditer(text)]
    found += [f"raw code {m.group()}" for m in RAW_CODE.finditer(text)]
    if lang == "zh-CN":
        found += [f"English {w}" for w in sorted(set(LATIN_WORD.findall(text)) - LATIN_ON_CHINESE_PAGES)]
    else:
        found += [f"Chinese {w}" for w in sorted(set(re.findall(r"[\u3400-\u9fff]+", text)))]
    return found


async def user_data() -> list[str]:
    """Everything people typed into this district, longest first (so a title goes before its words)."""
    from tongxin.accounts.tables import Community, Grid, User
    from tongxin.activities.tables import Activity, Occurrence
    from tongxin.organizations.tables import Organization, ResourceOffer
    from tongxin.volunteers.tables import Certificate, Squad, Volunteer
    from tongxin.wishes.tables import Household, Wish

    columns = [User.username, User.display_name, Community.name, Grid.name, Organization.name,
               Organization.description, Organization.contact_name, Activity.title, Activity.description,
               Activity.address, Activity.contact_name, Activity.decision_reason, Occurrence.address,
               Volunteer.real_name, Certificate.number, Squad.name, Household.name, Household.address, Wish.title,
               Wish.public_text, Wish.original_title, Wish.original_text, Wish.rating_comment,
               ResourceOffer.title, ResourceOffer.description]
    values = set()
    for column in columns:
        values |= {row[column._meta.name] for row in await column._meta.table.select(column)}
    from tongxin.hours.certificates import masked_name

    values |= {masked_name(row["real_name"]) for row in await Volunteer.select(Volunteer.real_name)}
    return sorted((v for v in values if v and len(v) > 1), key=len, reverse=True)


async def district(app, lang: str) -> dict[str, list]:
    """A small district where every list has something, its people reading `lang`; the ids pages take."""
    from tongxin.accounts import management
    from tongxin.accounts.service import load_actor
    from tongxin.accounts.tables import GridAssignment, User
    from tongxin.activities.tables import Activity, Occurrence, SignUp
    from tongxin.organizations import service as organizations
    from tongxin.organizations.tables import Organization, OrganizationMember, ResourceOffer
    from tongxin.scheduling import jobs, service as scheduling
    from tongxin.volunteers.tables import (
        AvailabilityWindow, Certificate, CertificateKind, LedgerEntry, Skill, Squad, Volunteer, VolunteerSkill,
        YouthMember,
    )
    from tongxin.wishes.tables import Household, Wish

    now = datetime.now(timezone.utc).replace(microsecond=0)
    community, grid = await make_place("明日社区")
    await Skill.insert(Skill(code="first_aid", name_zh="急救", name_en="First aid"))
    await CertificateKind.insert(CertificateKind(code="red_cross", name_zh="红十字救护员证",
                                                 name_en="Red Cross first-aider card"))
    people = {role: await make_user(role) for role in ROLES if role}
    newcomer = await make_user("org_member")
    names = {"volunteer": "李华", "guardian": "王芳", "org_member": "张队长", "grid_worker": "赵网格",
             "staff": "周社工", "admin": "吴主任"}
    for role, name in names.items():
        await User.update({User.display_name: name}).where(User.id == people[role]["id"])
    await User.update({User.locale: lang}).where(User.id.is_not_null())
    await GridAssignment.insert(GridAssignment(user=people["grid_worker"]["id"], grid=grid))

    rescue = await Organization.insert(Organization(
        name="蓝天救援队", kind="rescue_team", description="专业应急救援志愿队伍",
        contact_name="张队长", contact_phone="13800002222", community=community)).returning(Organization.id)
    rescue = rescue[0]["id"]
    await OrganizationMember.insert(OrganizationMember(organization=rescue, user=people["org_member"]["id"]))
    pending = await Organization.insert(Organization(name="和谐社工服务社", kind="social_organization",
                                                     community=community)).returning(Organization.id)
    await OrganizationMember.insert(OrganizationMember(organization=pending[0]["id"], user=newcomer["id"]))
    await ResourceOffer.insert(ResourceOffer(organization=rescue, title="爱心大米", category="daily_goods",
                                             quantity=50, remaining=50, description="每袋十斤"))

    volunteer = await Volunteer.insert(Volunteer(
        user=people["volunteer"]["id"], real_name="李华", phone="13800001111", birth_date=years_ago(30),
        community=community, grid=grid, lat=33.91, lon=118.31, minutes_total=120, points_total=10,
        attended_count=1)).returning(Volunteer.id)
    volunteer = volunteer[0]["id"]
    await VolunteerSkill.insert(VolunteerSkill(volunteer=volunteer, skill=(await Skill.select(Skill.id).first())["id"]))
    kind = (await CertificateKind.select(CertificateKind.id).first())["id"]
    await Certificate.insert(Certificate(volunteer=volunteer, kind=kind, number="RC2026001",
                                         issued_on=date.today() - timedelta(days=700),
                                         expires_on=date.today() + timedelta(days=20)))
    await AvailabilityWindow.insert(*[AvailabilityWindow(volunteer=volunteer, weekday=d, start_minute=480,
                                                         end_minute=1200) for d in range(7)])
    child = await Volunteer.insert(Volunteer(real_name="王小明", birth_date=years_ago(12), community=community,
                                             grid=grid, is_youth=True)).returning(Volunteer.id)
    squad = await Squad.insert(Squad(community=community, name="明日社区应急小队")).returning(Squad.id)
    active_youth = await YouthMember.insert(YouthMember(
        volunteer=child[0]["id"], guardian=people["guardian"]["id"], status="active", consent_at=now,
        consent_text_version="1", squad=squad[0]["id"], activated_at=now)).returning(YouthMember.id)
    applicant = await Volunteer.insert(Volunteer(real_name="陈小雨", birth_date=years_ago(10), community=community,
                                                 grid=grid, is_youth=True)).returning(Volunteer.id)
    applying = await YouthMember.insert(YouthMember(
        volunteer=applicant[0]["id"], guardian=people["guardian"]["id"], consent_at=now,
        consent_text_version="1")).returning(YouthMember.id)

    async def activity(title: str, status: str, starts_at: datetime, **fields) -> tuple[int, int]:
        row = await Activity.insert(Activity(
            organization=rescue, title=title, kind=fields.pop("kind", "service_day"), status=status,
            starts_at=starts_at, duration_minutes=120, community=community, grid=grid, lat=33.91, lon=118.31,
            address="明日社区广场", capacity=10, min_age=10, youth_allowed=True, contact_name="张队长",
            contact_phone="13800002222", description="为居民义务理发、量血压。", submitted_at=now,
            required_skills='["first_aid"]', required_certificates='["red_cross"]', **fields)).returning(Activity.id)
        occurrence = await Occurrence.insert(Occurrence(
            activity=row[0]["id"], starts_at=starts_at, ends_at=starts_at + timedelta(hours=2),
            signup_deadline=starts_at - timedelta(hours=24), capacity=10, status="open", community=community,
            grid=grid, lat=33.91, lon=118.31, address="明日社区广场")).returning(Occurrence.id)
        return row[0]["id"], occurrence[0]["id"]

    morning = (now + timedelta(days=3)).replace(hour=1, minute=0, second=0)  # 09:00 in Shanghai
    coming, coming_occurrence = await activity("吾爱邻便民志愿服务日", "approved", morning,
                                               rrule="FREQ=MONTHLY;BYDAY=+3SA")
    past, past_occurrence = await activity("应急救护培训", "approved", morning - timedelta(days=5),
                                           kind="training_drill")
    draft, _ = await activity("社区安全讲座", "draft", morning + timedelta(days=14), kind="safety_education")
    await activity("消防安全演练", "submitted", morning + timedelta(days=20), kind="training_drill")
    await SignUp.insert(
        SignUp(occurrence=coming_occurrence, volunteer=volunteer, status="confirmed"),
        SignUp(occurrence=coming_occurrence, volunteer=child[0]["id"], status="confirmed"),
        SignUp(occurrence=past_occurrence, volunteer=volunteer, status="attended", attendance_marked_at=now))
    await Occurrence.update({Occurrence.taken: 2}).where(Occurrence.id == coming_occurrence)
    attended = await SignUp.select(SignUp.id).where(SignUp.occurrence == past_occurrence).first()
    await LedgerEntry.insert(LedgerEntry(volunteer=volunteer, sign_up=attended["id"], minutes=120, points=10))

    household = await Household.insert(Household(grid=grid, name="王秀英", phone="13812345678",
                                                 address="明日社区3栋2单元501室")).returning(Household.id)
    wishes = []
    for title, status, helper in (("厨房水管漏水维修", "submitted", None), ("轮椅维修", "open", None),
                                  ("陪老人聊天", "in_progress", volunteer)):
        row = await Wish.insert(Wish(
            household=household[0]["id"], grid=grid, community=community, posted_by=people["grid_worker"]["id"],
            category="repair", title=title, public_text=f"某老人需要{title}。", original_title=title,
            original_text=f"王秀英老人需要{title}。", needed_by=date.today() + timedelta(days=10), urgency=3,
            status=status, helper_volunteer=helper, verified_at=None if status == "submitted" else now,
        )).returning(Wish.id)
        wishes.append(row[0]["id"])

    # messages and job runs come from the real flows, in each recipient's language
    staff = await load_actor(user_id=people["staff"]["id"])
    await organizations.decide_organization(actor=staff, organization_id=rescue, approve=True)
    for name in ("reminders", "certificates", "drill_proposals", "close_sign_ups"):
        await scheduling.fire(jobs.JOBS[name], now, now=now)

    async with make_client(app) as client:
        await login(client, people["staff"]["username"])
        assert (await client.post("/api/matching/runs", json={})).status_code in (200, 201)
    token = (await management.issue_reset_link(actor=staff, user_id=people["volunteer"]["id"]))["token"]
    certificate = await _certificate(people["volunteer"]["id"], volunteer)
    return {"people": people | {"newcomer": newcomer},
            "params": {"occurrence_id": [coming_occurrence, past_occurrence], "activity_id": [coming, draft],
                       "wish_id": wishes, "youth_id": [active_youth[0]["id"], applying[0]["id"]],
                       "token": [token], "serial": [certificate]}}


async def _certificate(user_id: int, volunteer_id: int) -> str:
    from tongxin.accounts.service import load_actor
    from tongxin.hours import certificates

    issued = await certificates.issue(actor=await load_actor(user_id=user_id), volunteer_id=volunteer_id,
                                      date_from=date.today() - timedelta(days=30), date_to=date.today())
    return issued["serial"]


def page_routes(app) -> list[str]:
    """Every HTML page the app serves to a GET, from its own route table."""
    return sorted({route.path for route in app.routes if "GET" in getattr(route, "methods", ())
                   and not route.path.startswith(NOT_PAGES)})


def addresses(path: str, params: dict[str, list]) -> list[str]:
    match = re.search(r"\{(\w+):\w+\}", path)
    if not match:
        return [path]
    assert match.group(1) in params, f"the language test needs a value for {match.group(1)} ({path})"
    return [path.replace(match.group(0), str(value)) for value in params[match.group(1)]]


def query_for(path: str, app, params: dict[str, list]) -> str:
    """The query a page needs to show anything (the check-in link carries the code on the organizer's screen)."""
    if path == "/hours/scan":
        from tongxin.hours import codes

        return "?c=" + codes.occurrence_code(secret_key=app.state.settings.secret_key, now=datetime.now(timezone.utc),
                                              occurrence_id=params["occurrence_id"][0])["token"]
    return ""


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
async def test_every_page_reads_in_the_readers_language_for_every_role(app, lang):
    world = await district(app, lang)
    data = await user_data()
    problems, opened = {}, set()
    for role in ROLES:
        async with make_client(app) as client:
            client.cookies.set("tx_lang", lang)
            if role:
                await login(client, world["people"][role]["username"])
            for path in page_routes(app):
                for address in addresses(path, world["params"]):
                    response = await client.get(address + query_for(path, app, world["params"]), headers=HTML)
                    if response.status_code != 200 or "text/html" not in response.headers.get("content-type", ""):
                        continue
                    opened.add(path)
                    for finding in findings(response.text, lang, data):
                        problems.setdefault(finding, f"{address} as {role or 'a visitor'}")
    assert not problems, "\n".join(f"{finding} ({where})" for finding, where in problems.items())
    assert set(page_routes(app)) == opened, f"no role could open {sorted(set(page_routes(app)) - opened)}"


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
async def test_the_not_found_expired_and_bad_request_pages_read_in_the_readers_language(client, lang):
    client.cookies.set("tx_lang", lang)
    await login(client, (await make_user("volunteer"))["username"])
    missing = await client.get("/no-such-page", headers=HTML)
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver",
                                 cookies={"tx_lang": lang}) as bare:  # a form without its CSRF token
        expired = await bare.post("/login", data={"username": "x", "password": "y"}, headers=HTML)
    bad = await client.get("/wishes", params={"offset": "abc"}, headers=HTML)
    for response, status in ((missing, 404), (expired, 403), (bad, 400)):
        assert response.status_code == status, (status, response.status_code)
        assert not findings(response.text, lang, []), (status, findings(response.text, lang, []))


def error_codes() -> set[str]:
    """Every domain error code the services raise, read from the sources (a new one is checked at once)."""
    codes = set()
    for source in (ROOT / "platform" / "tongxin").rglob("*.py"):
        text = source.read_text()
        codes |= set(re.findall(r'\bcode="([a-z_]+)"', text)) | set(re.findall(r'^\s+code = "([a-z_]+)"', text, re.M))
    return codes


def test_every_error_code_has_chinese_words_and_no_english():
    from tongxin.web import i18n

    codes = error_codes()
    assert len(codes) > 50
    english_message = "Something went wrong in English"
    for code in sorted(codes):
        words = i18n.error_text(code, english_message, "zh-CN")
        assert i18n.word("error", code, "zh-CN"), f"error code {code} has no Chinese words in the catalog"
        assert CHINESE.search(words) and not LATIN_WORD.search(words) and not RAW_CODE.search(words), (code, words)


def test_every_refusal_rule_reads_in_both_languages():
    from matching import RULE_CODES

    from tongxin.web import i18n

    for code in sorted(set(RULE_CODES) | set(i18n.ELIGIBILITY_CODES)):
        chinese = i18n.error_text(f"not_eligible:{code}", "not eligible", "zh-CN")
        assert i18n.word("eligibility", code, "zh-CN") and not LATIN_WORD.search(chinese), (code, chinese)
        english = i18n.why_not_text(code, "en")
        assert i18n.word("eligibility", code, "en") and not CHINESE.search(english), (code, english)
