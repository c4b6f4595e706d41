"""The dashboard's period and its CSV / Excel downloads, as staff use them."""

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

from tests.activities.test_journeys import published_activity, signed_in
from tests.conftest import make_client
from tests.factories import login
from tests.volunteers.factories import make_place, volunteer_with_profile, years_ago

pytestmark = pytest.mark.anyio


async def two_services(app) -> tuple[datetime, datetime]:
    """One volunteer attended two 3-hour occurrences in 阳澄社区: one hours ago, one 60 days ago.
    Returns their start times."""
    from tongxin.accounts.tables import User
    from tongxin.activities.tables import Occurrence

    community, grid = await make_place("阳澄社区")
    activity, org_user = await published_activity(app, community, rrule="FREQ=WEEKLY")
    occurrences = [o["id"] for o in activity["occurrences"][:2]]
    assert len(occurrences) == 2
    async with make_client(app) as client:
        await volunteer_with_profile(client, community, grid, birth_date=years_ago(30).isoformat())
        sign_ups = [(await client.post(f"/api/occurrences/{o}/sign-ups", json={})).json()["id"] for o in occurrences]
    now = datetime.now(timezone.utc).replace(microsecond=0)
    recent, earlier = now - timedelta(hours=4), now - timedelta(hours=28)
    for occurrence, start in zip(occurrences, (recent, earlier)):
        await Occurrence.update({Occurrence.starts_at: start, Occurrence.ends_at: start + timedelta(hours=3)}).where(
            Occurrence.id == occurrence)
    async with make_client(app) as org:
        await login(org, (await User.select(User.username).where(User.id == org_user).first())["username"])
        for sign_up in sign_ups:
            marked = await org.post(f"/api/sign-ups/{sign_up}/attendance", json={"attended": True})
            assert marked.status_code == 200, marked.text
    # The second service moves back two months, as if it had been recorded then.
    old = now - timedelta(days=60)
    await Occurrence.update({Occurrence.starts_at: old, Occurrence.ends_at: old + timedelta(hours=3)}).where(
        Occurrence.id == occurrences[1])
    return recent, old


def local_day(moment: datetime):
    from tongxin.dates import LOCAL_TZ

    return moment.astimezone(LOCAL_TZ).date()


async def test_the_period_decides_which_services_count(app):
    recent, old = await two_services(app)
    async with signed_in(app, "staff") as staff:
        default = (await staff.get("/api/staff/dashboard")).json()
        around_old = (await staff.get("/api/staff/dashboard", params={
            "date_from": (local_day(old) - timedelta(days=3)).isoformat(),
            "date_to": (local_day(old) + timedelta(days=3)).isoformat()})).json()
        since_last_week = (await staff.get("/api/staff/dashboard", params={
            "date_from": (local_day(recent) - timedelta(days=7)).isoformat(), "date_to": ""})).json()
        long_ago = (await staff.get("/api/staff/dashboard", params={"date_from": "", "date_to": "2020-12-31"})).json()
    assert default["totals"]["activities_held"] == 2 and default["totals"]["hours"] == 6.0
    assert len(default["by_month"]) == 12
    assert around_old["totals"]["activities_held"] == 1 and around_old["totals"]["hours"] == 3.0
    assert [m["month"] for m in around_old["by_month"] if m["hours"]] == [local_day(old).strftime("%Y-%m")]
    assert since_last_week["totals"]["activities_held"] == 1 and since_last_week["totals"]["hours"] == 3.0
    yangcheng = [c for c in since_last_week["by_community"] if c["community"] == "阳澄社区"][0]
    assert yangcheng["hours"] == 3.0 and yangcheng["people_served"] == 1
    assert long_ago["totals"]["activities_held"] == 0 and long_ago["totals"]["hours"] == 0


async def test_csv_and_excel_hold_the_same_figures_row_by_row(app):
    from openpyxl import load_workbook

    recent, old = await two_services(app)
    period = {"date_from": (local_day(old) - timedelta(days=3)).isoformat(), "date_to": local_day(recent).isoformat()}
    async with signed_in(app, "staff") as staff:
        as_csv = await staff.get("/api/staff/dashboard.csv", params=period)
        as_xlsx = await staff.get("/api/staff/dashboard.xlsx", params=period)
    assert as_csv.status_code == 200 and as_xlsx.status_code == 200
    assert "attachment" in as_xlsx.headers["content-disposition"]
    csv_rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    xlsx_rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert csv_rows[0] == xlsx_rows[0] == ["范围", "名称", "活动场次", "服务人数", "完成心愿", "服务时长（小时）"]
    assert len(csv_rows) == len(xlsx_rows) > 3
    for text_row, cells in zip(csv_rows[1:], xlsx_rows[1:]):
        assert text_row[:2] == cells[:2]
        assert all(isinstance(n, int) for n in cells[2:5]) and isinstance(cells[5], (int, float))
        assert [int(n) for n in text_row[2:5]] == cells[2:5]
        assert text_row[5] == f"{cells[5]:.2f}"
    total = csv_rows[1]
    assert total[0] == "合计" and total[2] == "2" and total[5] == "6.00"
    assert ["社区", "阳澄社区", "2", "1", "0", "6.00"] in csv_rows
    months = [row for row in csv_rows if row[0] == "月份" and row[5] != "0.00"]
    assert len(months) == 2 and all(row[5] == "3.00" for row in months)


async def test_export_headers_follow_the_readers_language(app):
    async with signed_in(app, "staff") as staff:
        staff.cookies.set("tx_lang", "en")
        english = await staff.get("/api/staff/dashboard.csv")
    header = next(csv.reader(io.StringIO(english.content.decode("utf-8-sig"))))
    assert header == ["Scope", "Name", "Activities held", "People served", "Wishes fulfilled", "Hours served"]


async def test_volunteer_cannot_see_or_download_the_figures(app):
    async with signed_in(app, "volunteer") as volunteer:
        assert (await volunteer.get("/api/staff/dashboard.csv")).status_code == 404
        assert (await volunteer.get("/api/staff/dashboard.xlsx")).status_code == 404
        assert (await volunteer.get("/staff/dashboard")).status_code == 404


async def test_a_reversed_period_is_refused_in_words_next_to_the_field(app):
    async with signed_in(app, "staff") as staff:
        api = await staff.get("/api/staff/dashboard.csv", params={"date_from": "2026-05-01", "date_to": "2026-04-01"})
        page = await staff.get("/staff/dashboard", params={"date_from": "2026-05-01", "date_to": "2026-04-01"})
        not_a_day = await staff.get("/staff/dashboard", params={"date_from": "", "date_to": "四月"})
    assert api.status_code == 400 and api.json()["field"] == "date_from"
    assert page.status_code == 400
    assert '<div class="error" id="date_from-error" data-field="date_from">开始日期不能晚于结束日期</div>' in page.text
    assert 'aria-describedby="date_from-error"' in page.text
    assert not_a_day.status_code == 400 and 'data-field="date_to">请填写有效的日期</div>' in not_a_day.text


async def test_zh_cn_page_shows_the_period_in_words_and_links_both_downloads(app):
    await two_services(app)
    async with signed_in(app, "staff") as staff:
        page = await staff.get("/staff/dashboard", params={"date_from": "2026-01-01", "date_to": ""})
        default = await staff.get("/staff/dashboard")
    assert page.status_code == 200
    assert "统计期间：2026年1月1日起" in page.text
    assert 'href="/api/staff/dashboard.csv?date_from=2026-01-01&amp;date_to="' in page.text
    assert "/api/staff/dashboard.xlsx?" in page.text
    assert "None" not in default.text and "T00:00" not in default.text
    assert "统计期间：" in default.text and "至" in default.text
    # distinct people and person-times are two figures, each under its own words
    assert "服务人数" in page.text and "服务人次" in page.text and "在册小小安全员" in page.text
    assert 'aria-label="people_served"' not in page.text


async def test_a_wish_counts_in_the_period_it_was_fulfilled(app):
    from tests.wishes.test_wishes import posted_wish
    from tongxin.wishes.tables import Wish

    _, wish, _ = await posted_wish(app)
    fulfilled = datetime.now(timezone.utc) - timedelta(days=100)
    await Wish.update({Wish.status: "fulfilled", Wish.fulfilled_at: fulfilled}).where(Wish.id == wish["id"])
    around = {"date_from": (local_day(fulfilled) - timedelta(days=1)).isoformat(),
              "date_to": (local_day(fulfilled) + timedelta(days=1)).isoformat()}
    last_month = {"date_from": (local_day(fulfilled) + timedelta(days=70)).isoformat(), "date_to": ""}
    async with signed_in(app, "staff") as staff:
        inside = (await staff.get("/api/staff/dashboard", params=around)).json()
        after = (await staff.get("/api/staff/dashboard", params=last_month)).json()
    assert inside["totals"]["wishes_fulfilled"] == 1 and inside["totals"]["people_served"] == 1
    assert after["totals"]["wishes_fulfilled"] == 0 and after["totals"]["people_served"] == 0


async def test_a_period_reaching_far_back_or_ahead_shows_only_months_that_can_hold_figures(app):
    async with signed_in(app, "staff") as staff:
        wide = await staff.get("/api/staff/dashboard", params={"date_from": "1900-01-01", "date_to": "2999-12-31"})
        ahead = await staff.get("/api/staff/dashboard.csv", params={"date_from": "2999-01-01", "date_to": ""})
    assert wide.status_code == 200 and len(wide.json()["by_month"]) == 12
    rows = list(csv.reader(io.StringIO(ahead.content.decode("utf-8-sig"))))
    assert ahead.status_code == 200 and rows[1][0] == "合计" and rows[1][1] == "2999年1月1日起"
    assert [row[0] for row in rows[2:]] == []
