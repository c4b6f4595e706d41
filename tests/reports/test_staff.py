"""The staff dashboard and approval queue as staff see them."""

from datetime import datetime, timedelta, timezone

import pytest

from tongxin.dates import local_date

from tests.activities.test_journeys import published_activity, signed_in
from tests.conftest import make_client
from tests.factories import login
from tests.volunteers.factories import make_place, volunteer_with_profile, years_ago

pytestmark = pytest.mark.anyio


async def test_queue_lists_waiting_items_oldest_first_and_only_for_staff(app):
    from tongxin.organizations.tables import Organization

    async with signed_in(app, "org_member") as org, signed_in(app, "staff") as staff, \
            signed_in(app, "volunteer") as volunteer:
        await org.post("/api/organizations", json={"name": "青山环保社", "kind": "social_organization"})
        queue = (await staff.get("/api/staff/queue")).json()
        assert queue["counts"]["organization"] == 1
        assert queue["items"][0]["title"] == "青山环保社"
        only_wishes = (await staff.get("/api/staff/queue", params={"kind": "wish"})).json()
        assert only_wishes["total"] == 0
        bad = await staff.get("/api/staff/queue", params={"kind": "cats"})
        assert bad.status_code == 400
        assert (await volunteer.get("/api/staff/queue")).status_code == 403
        org_id = (await Organization.select(Organization.id).first())["id"]
        await staff.post(f"/api/organizations/{org_id}/decision", json={"approve": True})
        assert (await staff.get("/api/staff/queue")).json()["total"] == 0


async def test_dashboard_counts_attended_activities_and_hours_by_community(app):
    from tongxin.activities.tables import Occurrence

    community, grid = await make_place("阳澄社区")
    activity, org_user = await published_activity(app, community)
    occurrence = activity["occurrences"][0]["id"]
    async with make_client(app) as client:
        await volunteer_with_profile(client, community, grid, birth_date=years_ago(30).isoformat())
        sign_up = (await client.post(f"/api/occurrences/{occurrence}/sign-ups", json={})).json()
    past = datetime.now(timezone.utc) - timedelta(hours=4)
    await Occurrence.update({Occurrence.starts_at: past, Occurrence.ends_at: past + timedelta(hours=3)}).where(
        Occurrence.id == occurrence)
    from tongxin.accounts.tables import User

    async with make_client(app) as org:
        await login(org, (await User.select(User.username).where(User.id == org_user).first())["username"])
        await org.post(f"/api/sign-ups/{sign_up['id']}/attendance", json={"attended": True})
    async with signed_in(app, "staff") as staff:
        figures = (await staff.get("/api/staff/dashboard")).json()
    assert figures["totals"]["activities_held"] == 1
    assert figures["totals"]["hours"] == 3.0
    yangcheng = [c for c in figures["by_community"] if c["community"] == "阳澄社区"][0]
    assert yangcheng["activities_held"] == 1 and yangcheng["hours"] == 3.0
    # Counted in the month it was held in here: four hours ago may be last month at 02:00 on the 1st.
    held_in = local_date(past).strftime("%Y-%m")
    assert len(figures["by_month"]) == 12
    assert [m["hours"] for m in figures["by_month"] if m["month"] == held_in] == [3.0]
