"""The journeys in headless Chromium on a phone-sized screen, against a real server and demo district."""

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser


def header_fits(page) -> list[str]:
    """What of the phone header runs off the right of the screen for the signed-in role ([] = it fits)."""
    return page.evaluate("""() => [...document.querySelectorAll('header .top > *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
        .map(e => e.textContent.trim())
        .concat(document.documentElement.scrollWidth > window.innerWidth ? ['the page scrolls sideways'] : [])""")


def account_made_by_admin(phone, username: str, password: str, role: str, grid: str = "") -> None:
    """Staff and grid workers do not register themselves: an admin creates the account (and its grid)."""
    admin = phone()
    sign_in(admin, "admin")
    admin.goto("/staff/accounts")
    admin.fill("#username", username)
    admin.fill("#password", password)
    admin.fill("#display_name", username)
    admin.select_option("#new-role", role)
    if grid:
        admin.select_option("#new-grids", label=grid)
    admin.click("form[action='/staff/accounts'][method=post] button[type=submit]")
    assert username in admin.inner_text("main"), admin.inner_text("main")


def next_saturday_10am() -> str:
    """A Saturday 10:00 (local, as the form takes it) at least three days ahead: daytime, as children serve."""
    day = datetime.now() + timedelta(days=3)
    day += timedelta(days=(5 - day.weekday()) % 7)
    return day.strftime("%Y-%m-%dT10:00")


def test_organization_registers_publishes_and_marks_attendance(phone, database_file):
    org = phone()
    org.goto("/register")
    org.fill("#username", "linli_org")
    org.fill("#password", "linli-org-2026")
    org.fill("#display_name", "邻里互助会")
    org.select_option("#role", "org_member")
    org.click("button[type=submit]")
    org.goto("/org")
    org.fill("#name", "邻里互助会")
    org.click("button[type=submit]")
    assert org.get_attribute("#org-status", "data-status") == "pending"
    assert org.inner_text("#org-status") == "待审核"

    staff = phone()
    sign_in(staff, "staff")
    staff.goto("/staff/queue")
    card = staff.locator(".card", has_text="邻里互助会")
    card.locator("button[value=approve]").click()
    assert staff.locator(".card", has_text="邻里互助会").count() == 0

    org.goto("/org/activities/new")
    org.fill("#title", "邻里便民服务日")
    start = (datetime.now() + timedelta(days=20)).strftime("%Y-%m-%dT09:00")
    org.fill("#starts_at", start)
    org.select_option("#repeat", "monthly")
    org.select_option("#nth", "3")
    org.select_option("#weekday", "SA")
    org.fill("#address", "明日社区广场")
    org.fill("#capacity", "3")
    org.click("button[type=submit]")
    assert "每月第三个周六" in org.inner_text(".card:has-text('邻里便民服务日')"), "the rule is shown in words"
    org.locator(".card", has_text="邻里便民服务日").locator("button").click()
    staff.goto("/staff/queue?kind=activity")
    card = staff.locator(".card", has_text="邻里便民服务日").inner_text()
    assert "每月第三个周六" in card and "明日社区广场" in card and "3 人" in card, card
    screenshot(staff, "staff-queue-activity")
    staff.locator(".card", has_text="邻里便民服务日").locator("button[value=approve]").click()

    volunteer = phone()
    sign_in(volunteer, "vol001")
    volunteer.goto("/occurrences")
    volunteer.locator(".card", has_text="邻里便民服务日").first.locator("button").click()
    assert "报名成功" in volunteer.inner_text(".flash")

    # The day has come: the occurrence started an hour ago.
    with sqlite3.connect(database_file) as db:
        now = datetime.now(UTC)
        begun, ends = ((now + timedelta(hours=h)).strftime("%Y-%m-%d %H:%M:%S+00:00") for h in (-1, 1))
        db.execute("UPDATE occurrence SET starts_at = ?, ends_at = ? WHERE id = (SELECT occurrence FROM sign_up "
                   "JOIN occurrence o ON o.id = sign_up.occurrence JOIN activity a ON a.id = o.activity "
                   "WHERE a.title = '邻里便民服务日' LIMIT 1)", (begun, ends))
    org.goto("/org")
    org.locator(".card", has_text="邻里便民服务日").locator("text=场次与报名").click()
    row = org.locator("tr:has(td[data-status=confirmed])").first
    row.locator("button", has_text="到场").click()
    org.wait_for_selector("td.status[data-status=attended]")
    assert "已记 2 小时" in org.inner_text("td.status[data-status=attended]"), "the two hours served are credited"
    assert not header_fits(org), header_fits(org)
    screenshot(org, "organization-journey")


def test_volunteer_registers_fills_the_profile_finds_what_fits_signs_up_and_cancels(phone):
    page = phone()
    page.goto("/register")
    page.fill("#username", "xiaowang")
    page.fill("#password", "xiaowang-2026")
    page.fill("#display_name", "小王")
    page.click("button[type=submit]")
    page.goto("/me/profile")
    page.fill("#real_name", "王小明")
    page.fill("#phone", "13800001111")
    page.fill("#birth_date", "1995-03-08")
    page.check("input[name=skills][value=first_aid]")
    page.check("input[name=days][value='5']")
    page.fill("#from_time", "18:00")
    page.fill("#to_time", "08:00")
    page.click("form[action='/me/profile'] button")
    assert page.locator("[data-field=to_time]").count() == 1, "an impossible window is refused"
    page.fill("#from_time", "08:00")
    page.fill("#to_time", "18:00")
    page.click("form[action='/me/profile'] button")
    page.fill("#number", "HZ-2026-001")
    page.fill("#issued_on", "2025-01-01")
    page.fill("#expires_on", "2028-01-01")
    page.click("form[action='/me/certificates'] button")
    assert "HZ-2026-001" in page.inner_text("main")

    page.goto("/occurrences?fits_me=true")
    assert page.locator(".card", has_text="小小安全员").count() == 0, "youth-only sessions do not fit an adult"
    page.locator(".card", has_text="吾爱邻便民志愿服务日").first.locator("a[href^='/occurrences/']").click()
    details = page.inner_text("main")
    assert all(words in details for words in ("时间", "地点", "联系人", "需要技能", "年龄要求", "剩余名额")), details
    screenshot(page, "activity-page")
    page.locator("form[action$='/sign-up'] button").click()
    page.wait_for_url("**/me/sign-ups**")
    assert page.locator(".card", has_text="已确认").count() == 1
    page.goto("/occurrences")
    assert page.locator(".card", has_text="已报名").count() == 1, "the list says 已报名 instead of 报名"
    screenshot(page, "occurrence-list")
    page.goto("/me/sign-ups")
    assert "iCalendar" in page.inner_text("main")
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator(".card", has_text="已确认").locator("button").click()
    page.wait_for_selector(".card:has-text('已取消')")
    assert not header_fits(page), header_fits(page)
    screenshot(page, "volunteer-journey")


def test_staff_run_matching_read_the_explanation_approve_and_see_the_dashboard(phone):
    account_made_by_admin(phone, "staff_li", "li-staff-2026", "staff")
    page = phone()
    sign_in(page, "staff_li", "li-staff-2026")
    assert not header_fits(page), header_fits(page)
    page.goto("/staff/queue")
    page.click("form[action='/staff/matching'] button")
    proposal = page.locator("[id^=proposal-]").first
    assert "推荐理由" in proposal.inner_text() and "匹配分" not in proposal.inner_text(), "reasons with values"
    screenshot(page, "staff-queue-proposals")
    proposal.locator("button[value=reject]").click()
    assert page.locator("[data-field=reason]").count() == 1, "a rejection needs a reason"
    page.locator("[id^=proposal-]").first.locator("button[value=approve]").click()
    page.goto("/staff/jobs")
    assert page.locator("[id^=job-]").count() >= 3
    page.goto("/staff/dashboard")
    charts = page.locator(".card:has(h2)")
    assert charts.count() == 8
    assert all(c.locator("svg").count() == 1 or "暂无数据" in c.inner_text() for c in charts.all())
    page.goto("/language?to=en&next=/staff/dashboard")
    assert "Dashboard" in page.inner_text("h1")
    assert not header_fits(page), header_fits(page)
    screenshot(page, "staff-journey")


def test_youth_journey_from_application_to_an_attended_activity(phone, database_file):
    """A new guardian applies for a child; staff assess and activate; a new organization publishes a youth
    class and asks a new adult volunteer to lead it, who accepts the invitation on a phone; the child, signed
    up by the guardian, is confirmed, attends, and the guardian reads the hours."""
    guardian = phone()
    guardian.goto("/register")
    guardian.fill("#username", "parent_zhang")
    guardian.fill("#password", "parent-zhang-1")
    guardian.select_option("#role", "guardian")
    guardian.click("button[type=submit]")
    guardian.goto("/youth")
    guardian.fill("#child_name", "张小明")
    guardian.fill("#birth_date", "2014-05-01")
    grid = guardian.locator("#grid_id option", has_text="明日社区").first.get_attribute("value")
    guardian.select_option("#grid_id", grid)
    guardian.click("form[action='/youth'] button[type=submit]")
    assert guardian.locator("[data-field=consent]").count() == 1, "no consent, no application"
    assert guardian.input_value("#grid_id") == grid, "the chosen grid (the child's squad) is kept after an error"
    guardian.check("#consent")
    guardian.click("form[action='/youth'] button[type=submit]")
    guardian.locator(".card", has_text="张小明").locator("a").click()
    youth_url = guardian.url
    assert guardian.inner_text("#youth-status") == "申请中"

    staff = phone()
    sign_in(staff, "staff")
    staff.goto(youth_url)
    for kind in ("fitness", "self_rescue", "personality"):
        staff.check(f"input[name={kind}]")
    staff.click("form[action$='/assessments'] button")
    assert staff.inner_text("#youth-status") == "已评估"
    staff.click("form[action$='/activate'] button")
    assert staff.inner_text("#youth-status") == "在队"
    staff.goto("/staff/squads")
    assert staff.locator(".card", has_text="张小明").count() == 1, "the child is listed in the squad"

    # A new organization publishes a safety class for children, in the child's community, on a Saturday.
    org = phone()
    org.goto("/register")
    org.fill("#username", "anquan_org")
    org.fill("#password", "anquan-org-2026")
    org.fill("#display_name", "平安少年服务社")
    org.select_option("#role", "org_member")
    org.click("button[type=submit]")
    org.goto("/org")
    org.fill("#name", "平安少年服务社")
    org.click("button[type=submit]")
    staff.goto("/staff/queue?kind=organization")
    staff.locator(".card", has_text="平安少年服务社").locator("button[value=approve]").click()
    org.goto("/org/activities/new")
    org.fill("#title", "社区消防安全体验课")
    org.select_option("#kind", "safety_education")
    org.fill("#starts_at", next_saturday_10am())
    org.select_option("#repeat", "weekly")
    org.select_option("#weekday", "SA")
    org.select_option("#place", grid)  # the child's own grid
    org.fill("#address", "明日社区消防站")
    org.fill("#capacity", "30")
    org.fill("#min_age", "10")
    org.fill("#max_age", "17")
    org.check("input[name=youth_allowed]")
    org.click("form button[type=submit]")
    org.locator(".card", has_text="社区消防安全体验课").locator("button").click()
    staff.goto("/staff/queue?kind=activity")
    staff.locator(".card", has_text="社区消防安全体验课").locator("button[value=approve]").click()

    # The guardian reads the youth rules in words and signs the child up; the child waits for a leader.
    guardian.goto("/occurrences?q=社区消防安全体验课")
    guardian.locator(".card", has_text="社区消防安全体验课").first.locator("a[href$='#children']").click()
    rules = guardian.inner_text("main")
    assert all(words in rules for words in ("白天", "离家3公里以内", "还没有成年带队人报名")), rules
    guardian.locator("#children button", has_text="为张小明报名").click()
    assert "报名成功" in guardian.inner_text(".flash")
    children = guardian.inner_text("#children")
    assert "张小明" in children and "已报名，成年带队人报名后即确认" in children, children
    screenshot(guardian, "guardian-signs-up-child")

    # A new adult volunteer; the organization asks them (by account name) to lead the children.
    leader = phone()
    leader.goto("/register")
    leader.fill("#username", "laochen")
    leader.fill("#password", "laochen-2026")
    leader.fill("#display_name", "老陈")
    leader.click("button[type=submit]")
    leader.goto("/me/profile")
    leader.fill("#real_name", "陈建国")
    leader.fill("#phone", "13900002222")
    leader.fill("#birth_date", "1985-06-01")
    leader.click("form[action='/me/profile'] button")
    org.goto("/org")
    org.locator(".card", has_text="社区消防安全体验课").locator("text=场次与报名").click()
    org.locator("input[name=username]").first.fill("laochen")
    org.locator("button", has_text="邀请担任带队人").first.click()
    assert "已发出带队邀请" in org.inner_text(".flash")
    assert "已邀请 陈建国 带队，等待答复" in org.inner_text("main")
    roster_url = org.url
    screenshot(org, "organization-asks-a-leader")

    leader.goto("/me/invitations")
    invitation = leader.locator(".card", has_text="社区消防安全体验课")
    assert "平安少年服务社请您担任成年带队人" in invitation.inner_text()
    invitation.locator("button", has_text="接受").click()
    assert "已接受邀请" in leader.inner_text(".flash")
    assert not header_fits(leader), header_fits(leader)
    screenshot(leader, "leader-accepts-invitation")
    guardian.goto(youth_url)
    assert "已确认" in guardian.inner_text(".sign-up"), "the leader's yes confirms the child"
    org.goto(roster_url.split("?")[0])
    assert "陈建国 已接受带队邀请" in org.inner_text("main")

    # The next Saturday's class: the adult signs up as its leader himself; matching then proposes the child
    # (in the community, in daytime, with a leader), staff approve, and the guardian accepts on the phone.
    second = org.locator("[id^=occurrence-]").nth(1).get_attribute("id").removeprefix("occurrence-")
    leader.goto(f"/occurrences/{second}")
    leader.locator("form.leader button").click()
    assert "报名成功" in leader.inner_text(".flash")
    staff.goto("/staff/queue?kind=proposal")
    staff.click("form[action='/staff/matching'] button")
    staff.goto(f"/staff/queue?target=occurrence:{second}")
    with sqlite3.connect(database_file) as db:  # staff read a minor as 张同学: find the child's card by its id
        proposal_id = db.execute(
            "SELECT p.id FROM proposal p JOIN volunteer v ON v.id = p.candidate_id AND p.candidate_type = 'volunteer' "
            "WHERE v.real_name = '张小明' AND p.target_type = 'occurrence' AND p.target_id = ?", (second,)).fetchone()
    assert proposal_id, "matching proposes the child: in the community, in daytime, a leader signed up"
    proposal = staff.locator(f"#proposal-{proposal_id[0]}")
    assert "张同学" in proposal.inner_text() and "张小明" not in proposal.inner_text(), "a minor's name is masked"
    assert "距离" in proposal.inner_text(), proposal.inner_text()
    proposal.locator("button[value=approve]").click()
    guardian.goto("/me/invitations")
    invitation = guardian.locator(".card", has_text="社区消防安全体验课")
    assert "为 张小明 发出的邀请" in invitation.inner_text()
    invitation.locator("button", has_text="接受").click()
    assert "已接受邀请" in guardian.inner_text(".flash")
    screenshot(guardian, "guardian-accepts-invitation")
    guardian.goto(youth_url)
    assert guardian.locator(".sign-up [data-status=confirmed]").count() == 2, guardian.inner_text("main")

    # The day has come: the class started an hour ago; the organization marks everyone present.
    with sqlite3.connect(database_file) as db:
        now = datetime.now(UTC)
        begun, ends = ((now + timedelta(hours=h)).strftime("%Y-%m-%d %H:%M:%S+00:00") for h in (-1, 1))
        db.execute("UPDATE occurrence SET starts_at = ?, ends_at = ? WHERE id = (SELECT MIN(o.id) FROM occurrence o "
                   "JOIN activity a ON a.id = o.activity WHERE a.title = '社区消防安全体验课')", (begun, ends))
    org.goto(roster_url.split("?")[0])
    org.locator("button", has_text="全部到场").first.click()
    org.wait_for_selector("td.status[data-status=attended]")
    assert org.locator("td.status[data-status=attended]").count() == 2, "the child and the leader"
    assert not header_fits(org), header_fits(org)

    guardian.goto(youth_url)
    assert "服务时长 2 小时" in guardian.inner_text("#youth-hours")
    assert "已记 2 小时" in guardian.locator(".sign-up").first.inner_text(), "the guardian reads the child's hours"
    assert not header_fits(guardian), header_fits(guardian)
    screenshot(guardian, "guardian-sees-child-hours")
    guardian.click("text=撤回同意")
    guardian.click("#confirm")
    assert guardian.inner_text("#youth-status") == "已撤回"
    screenshot(guardian, "guardian-journey")


def test_micro_wish_from_grid_worker_to_helper_and_back(phone, database_file):
    account_made_by_admin(phone, "grid_wang", "wang-grid-2026", "grid_worker", grid="明日社区第1网格")
    worker = phone()
    sign_in(worker, "grid_wang", "wang-grid-2026")
    assert not header_fits(worker), header_fits(worker)
    worker.goto("/wishes/new")
    worker.fill("#household_name", "李桂英")
    worker.fill("#household_phone", "13955556666")
    worker.fill("#household_address", "明日社区8栋302室")
    worker.select_option("#category", "daily_goods")
    worker.fill("#title", "冬季棉被两床给独居老人")
    worker.fill("#description", "李桂英老人独居在明日社区8栋302室，电话13955556666，需要两床棉被。")
    worker.click("form[action='/wishes/new'] button[type=submit]")
    wish_url = worker.url
    assert worker.inner_text("#wish-status") == "已提交"

    staff = phone()
    sign_in(staff, "staff")
    staff.goto("/staff/queue?kind=wish")
    staff.locator(".card", has_text="冬季棉被两床给独居老人").locator("a[href$='#review']").click()
    assert "13955556666" in staff.inner_text("#household"), "staff check the proposal against the private record"
    assert "13955556666" not in staff.input_value("#public_text")
    staff.fill("#public_text", "独居老人，冬天需要两床棉被。")
    staff.click("#review button[type=submit]")
    assert staff.inner_text("#wish-status") == "征集中"
    public = phone()
    public.goto("/wishes")
    listing = public.locator(".card", has_text="冬季棉被两床给独居老人").inner_text()
    assert "李桂英" not in listing and "13955556666" not in listing and "8栋302室" not in listing
    assert "独居老人，冬天需要两床棉被。" in listing, "the public reads the text staff approved"

    staff.goto("/staff/queue?kind=proposal")
    staff.click("form[action='/staff/matching'] button")
    while staff.locator(".card", has_text="冬季棉被两床给独居老人").count() == 0:
        staff.click("text=下一页")  # the queue is oldest first: the new proposals are on a later page
    staff.locator(".card", has_text="冬季棉被两床给独居老人").first.locator("button[value=approve]").click()
    with sqlite3.connect(database_file) as db:
        invited = db.execute(
            "SELECT u.username FROM invitation i JOIN wish w ON w.id = i.target_id AND i.target_type = 'wish' "
            "JOIN tx_user u ON u.id = i.recipient WHERE w.title = '冬季棉被两床给独居老人'").fetchone()
        helper = invited[0] if invited else db.execute(  # an organization's offer is its own consent
            "SELECT u.username FROM wish w JOIN organization_member m ON m.organization = w.helper_organization "
            "JOIN tx_user u ON u.id = m.user WHERE w.title = '冬季棉被两床给独居老人'").fetchone()[0]
    helping = phone()
    sign_in(helping, helper)
    if invited:  # a volunteer is asked first: only their yes makes them the helper
        helping.goto("/me/invitations")
        helping.locator(".card", has_text="冬季棉被两床给独居老人").locator("button", has_text="接受").click()
        assert "已接受邀请" in helping.inner_text(".flash")
    helping.goto("/wishes/mine")  # the helper finds the wish among the ones they help with
    helping.click("text=冬季棉被两床给独居老人")
    assert "13955556666" in helping.inner_text("#household"), "the approved helper sees the contact"
    helping.click("text=开始帮扶")
    helping.click("text=已完成")
    worker.goto("/wishes/mine?status=fulfilled")
    worker.click("text=冬季棉被两床给独居老人")
    assert worker.url == wish_url
    worker.select_option("#rating", "5")
    worker.fill("#comment", "老人很满意")
    worker.click("text=确认实现")
    assert worker.get_attribute("#wish-status", "data-status") == "confirmed"
    screenshot(worker, "wish-journey")
