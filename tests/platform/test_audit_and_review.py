"""Sensitive reads and acts land in the audit log; an approved organization's rename goes back to review."""

import json

import pytest
from tongxin.accounts.service import list_audit
from tongxin.activities.signups import apply as sign_up
from tongxin.organizations.tables import Organization

from tests.conftest import make_client
from tests.factories import signed_in_as
from tests.volunteers.factories import make_occurrence, make_organization, make_place, volunteer_with_profile, years_ago
from tongxin.youth import service as youth

pytestmark = pytest.mark.anyio


async def _actions() -> list[str]:
    return [e["action"] for e in await list_audit(limit=100)]


async def test_staff_reading_a_minors_record_is_audited_but_the_guardian_is_not(app, client):
    community_id, grid_id = await make_place()
    await signed_in_as(client, "guardian")
    applied = await client.post("/api/youth", json={
        "child_name": "王小明", "birth_date": years_ago(11).isoformat(), "community_id": community_id,
        "grid_id": grid_id, "relationship": "parent", "consent": True,
        "consent_text_version": youth.CONSENT_TEXT_VERSION})
    assert applied.status_code == 201, applied.text
    youth_id = applied.json()["id"]
    assert (await client.get(f"/api/youth/{youth_id}")).status_code == 200
    assert "read_youth_record" not in await _actions()
    async with make_client(app) as staff:
        await signed_in_as(staff, "staff")
        assert (await staff.get(f"/api/youth/{youth_id}")).status_code == 200
        assert (await staff.get("/api/youth")).status_code == 200
    entries = await list_audit(limit=100)
    record = [e for e in entries if e["action"] == "read_youth_record"]
    assert len(record) == 1 and record[0]["target_id"] == youth_id
    assert "read_youth_list" in [e["action"] for e in entries]


async def test_a_volunteer_cancelling_a_sign_up_is_audited(app, client):
    community_id, grid_id = await make_place()
    user = await volunteer_with_profile(client, community_id, grid_id)
    made = await sign_up(volunteer_id=user["volunteer_id"], occurrence_id=await make_occurrence())
    assert (await client.delete(f"/api/sign-ups/{made['id']}")).status_code == 200
    entry = [e for e in await list_audit() if e["action"] == "cancel_sign_up"]
    assert entry and entry[0]["target_id"] == made["id"] and entry[0]["actor"] == user["username"]


async def test_approved_organization_rename_goes_back_to_staff_review(app, client):
    member = await signed_in_as(client, "org_member")
    organization_id = await make_organization(member["id"])
    name = (await Organization.select(Organization.name).where(Organization.id == organization_id).first())["name"]
    body = {"name": name, "kind": "social_organization"}
    same_name = await client.patch(f"/api/organizations/{organization_id}", json={**body, "description": "我们帮助邻里"})
    assert same_name.status_code == 200, same_name.text
    assert (await Organization.select(Organization.status).where(Organization.id == organization_id).first()
            )["status"] == "approved"
    renamed = await client.patch(f"/api/organizations/{organization_id}", json={**body, "name": "新名字志愿队"})
    assert renamed.status_code == 200, renamed.text
    row = await Organization.select(Organization.status, Organization.name).where(
        Organization.id == organization_id).first()
    assert row == {"status": "pending", "name": "新名字志愿队"}
    assert "rename_organization" in await _actions()
    async with make_client(app) as staff:
        await signed_in_as(staff, "staff")
        decided = await staff.post(f"/api/organizations/{organization_id}/decision", json={"approve": True})
        assert decided.status_code == 200, decided.text


async def test_editing_an_activitys_schedule_is_audited(app, client):
    from datetime import datetime, timedelta, timezone

    community_id, _ = await make_place()
    member = await signed_in_as(client, "org_member")
    await make_organization(member["id"])
    start = (datetime.now(timezone.utc) + timedelta(days=10)).replace(hour=1, minute=0, second=0, microsecond=0)
    body = {"title": "吾爱邻便民志愿服务日", "kind": "service_day", "starts_at": start.isoformat(),
            "duration_minutes": 180, "community_id": community_id, "capacity": 2}
    created = await client.post("/api/activities", json=body)
    assert created.status_code == 201, created.text
    later = (start + timedelta(days=1)).isoformat()
    edited = await client.put(f"/api/activities/{created.json()['id']}", json={**body, "starts_at": later})
    assert edited.status_code == 200, edited.text
    entry = [e for e in await list_audit() if e["action"] == "edit_activity"]
    detail = entry[0]["detail"] if entry else {}
    detail = json.loads(detail) if isinstance(detail, str) else detail
    assert "starts_at" in detail["fields"]
