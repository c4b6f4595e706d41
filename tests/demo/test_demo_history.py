"""`tongxin demo`: the demo district with a year of past service, as staff, volunteers and the model see it."""

import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import make_client
from tests.factories import login

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]


async def test_demo_dashboard_shows_a_year_of_the_seeds_figures_and_the_trained_model(app):
    from tongxin.activities.tables import SignUp
    from tongxin.dates import LOCAL_TZ, local_today
    from tongxin.demo import DEMO_PASSWORD, is_loaded, load_demo
    from tongxin.matches.service import PRIOR_VERSION, model_status
    from tongxin.matches.tables import ModelVersion
    from tongxin.hours.certificates import services_of
    from tongxin.volunteers.tables import LedgerEntry, Volunteer

    await load_demo(progress=lambda message: None)

    async with make_client(app) as staff:
        await login(staff, "staff", DEMO_PASSWORD)
        figures = (await staff.get("/api/staff/dashboard")).json()  # the last 12 months
        jobs_page = await staff.get("/staff/jobs")
    blue_sky = next(o for o in figures["by_organization"] if o["organization"] == "蓝天救援队")
    assert blue_sky["activities_held"] == 45
    assert 2400 <= blue_sky["attendances"] <= 2600  # people served, counted in 人次 as the seed's report does
    assert figures["totals"]["wishes_fulfilled"] == 22
    assert figures["totals"]["hours"] > 0
    assert figures["by_month"][0]["youth_active"] <= 12 and figures["totals"]["youth_active"] >= 30
    # 吾爱邻 serves once a month: one held service day in each month that has had its third Saturday.
    days = await SignUp.select(SignUp.occurrence.starts_at.as_alias("starts_at")).where(
        (SignUp.status == "attended") & (SignUp.occurrence.activity.title == "吾爱邻便民志愿服务日"))
    per_month = Counter(r["starts_at"].astimezone(LOCAL_TZ).strftime("%Y-%m") for r in days)
    held = {month: n for month, n in per_month.items() if n}
    assert len(held) >= 11 and len({r["starts_at"] for r in days}) == len(held)

    status = await model_status()
    assert status["in_use"] != PRIOR_VERSION and status["in_use"] == status["active_version"]
    assert jobs_page.status_code == 200

    # Hours agree: a volunteer's page totals are their ledger, and every attendance has its one credit.
    async with make_client(app) as volunteer:
        await login(volunteer, "vol002", DEMO_PASSWORD)
        mine = (await volunteer.get("/api/volunteers/me/ledger", params={"limit": 100})).json()
    assert mine["minutes_total"] == sum(e["minutes"] for e in mine["entries"]["items"]) > 0
    today = local_today()
    year = (today - timedelta(days=366), today)
    volunteer_id = (await Volunteer.select(Volunteer.id).where(Volunteer.user.username == "vol002").first())["id"]
    on_certificate = await services_of(volunteer_id=volunteer_id, date_from=year[0], date_to=year[1])
    assert sum(s["minutes"] for s in on_certificate) == mine["minutes_total"]
    assert await LedgerEntry.count() == await SignUp.count().where(SignUp.status == "attended")

    # Loaded once: a second run adds nothing and trains nothing.
    credits, models = await LedgerEntry.count(), await ModelVersion.count()
    assert await is_loaded()
    await load_demo(progress=lambda message: None)
    assert (await LedgerEntry.count(), await ModelVersion.count()) == (credits, models)


async def test_past_service_keeps_the_rules_children_only_with_a_leader_and_drills_only_for_rescuers(app):
    from tongxin.activities.tables import SignUp
    from tongxin.demo import load_demo
    from tongxin.volunteers.tables import VolunteerSkill

    await load_demo(progress=lambda message: None, train=False)
    rows = await SignUp.select(
        SignUp.occurrence, SignUp.volunteer, SignUp.is_leader, SignUp.volunteer.is_youth.as_alias("is_youth"),
        SignUp.occurrence.activity.youth_allowed.as_alias("youth_allowed"),
        SignUp.occurrence.activity.kind.as_alias("kind"),
    ).where(SignUp.status == "attended")
    assert not [r for r in rows if r["is_youth"] and not r["youth_allowed"]]
    lessons = {r["occurrence"] for r in rows if r["youth_allowed"]}
    assert lessons and all(any(r["is_leader"] and r["occurrence"] == o for r in rows) for o in lessons)
    rescuers = {r["volunteer"] for r in await VolunteerSkill.select(VolunteerSkill.volunteer).where(
        VolunteerSkill.skill.code == "rescue")}
    assert {r["volunteer"] for r in rows if r["kind"] == "training_drill"} <= rescuers


def test_demo_command_refuses_to_reset_without_confirmation(tmp_path):
    env = {**os.environ, "TONGXIN_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
           "PYTHONPATH": str(ROOT / "platform")}
    done = subprocess.run([sys.executable, "-m", "tongxin.cli", "demo", "--reset"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    assert done.returncode == 2 and "--yes" in done.stderr


async def test_reset_empties_every_table_and_the_demo_counts_as_not_loaded(app):
    from tongxin.accounts.tables import User
    from tongxin.demo import is_loaded, reset_demo
    from tests.factories import make_user

    await make_user("staff")
    await reset_demo(progress=lambda message: None)
    assert await User.count() == 0 and not await is_loaded()
    await make_user("staff")  # the schema is still there
    assert await User.count() == 1
