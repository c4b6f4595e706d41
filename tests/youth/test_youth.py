"""The little safety officers' roster: a guardian applies with consent, staff assess and activate."""

from datetime import date, timedelta

import pytest
from tongxin.accounts.service import load_actor
from tongxin.accounts.tables import AuditEntry
from tongxin.activities.tables import Occurrence, SignUp
from tongxin.matches.tables import Proposal
from tongxin.notifications.tables import Notification
from tongxin.volunteers.tables import Squad, Volunteer, YouthMember
from tongxin.youth import service

from tests.conftest import make_client
from tests.factories import make_user, signed_in_as
from tests.volunteers.factories import enrol, make_occurrence, make_place, years_ago

pytestmark = pytest.mark.anyio


def application(community_id: int, grid_id: int, **fields) -> dict:
    return {"child_name": "王小明", "birth_date": years_ago(11).isoformat(), "community_id": community_id,
            "grid_id": grid_id, "relationship": "parent", "consent": True,
            "consent_text_version": service.CONSENT_TEXT_VERSION, **fields}


async def apply(client, community_id: int, grid_id: int, **fields) -> dict:
    response = await client.post("/api/youth", json=application(community_id, grid_id, **fields))
    assert response.status_code == 201, response.text
    return response.json()


async def assess_all(client, youth_id: int, *, passed: bool = True) -> dict:
    for kind in ("fitness", "self_rescue", "personality"):
        response = await client.put(f"/api/youth/{youth_id}/assessments/{kind}",
                                    json={"passed": passed, "score": 88, "notes": "良好"})
        assert response.status_code == 200, response.text
    return response.json()


async def test_consent_text_is_public_with_its_version(app, client):
    body = (await client.get("/api/youth/consent-text")).json()
    assert body["version"] == service.CONSENT_TEXT_VERSION
    assert "同意" in body["zh"] and "consent" in body["en"]


async def test_guardian_applies_and_consent_is_recorded_with_time_and_version(app, client):
    community_id, grid_id = await make_place()
    guardian = await signed_in_as(client, "guardian")
    youth = await apply(client, community_id, grid_id)
    assert youth["status"] == "applicant"
    assert youth["consent_text_version"] == service.CONSENT_TEXT_VERSION and youth["consent_at"]
    volunteer = await Volunteer.select().where(Volunteer.id == youth["volunteer"]).first()
    assert volunteer["user"] is None and volunteer["is_youth"] is True
    member = await YouthMember.select().where(YouthMember.id == youth["id"]).first()
    assert member["guardian"] == guardian["id"]


# Birth dates are worked out when the test runs, not when it is collected: minutes apart at midnight.
@pytest.mark.parametrize("fields, field", [
    (lambda: {"consent": False}, "consent"),
    (lambda: {"consent_text_version": "2020-01"}, "consent_text_version"),
    (lambda: {"birth_date": years_ago(8, days=-1).isoformat()}, "birth_date"),
    (lambda: {"birth_date": years_ago(18).isoformat()}, "birth_date"),
], ids=["no-consent", "old-consent-text", "seven", "eighteen"])
async def test_application_without_consent_or_outside_8_to_17_is_refused(app, client, fields, field):
    fields = fields()
    community_id, grid_id = await make_place()
    await signed_in_as(client, "guardian")
    response = await client.post("/api/youth", json=application(community_id, grid_id, **fields))
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert await YouthMember.count() == 0 and await Volunteer.count() == 0


async def test_volunteer_cannot_apply_for_a_child(app, client):
    community_id, grid_id = await make_place()
    await signed_in_as(client, "volunteer")
    assert (await client.post("/api/youth", json=application(community_id, grid_id))).status_code == 403


async def test_three_passed_assessments_make_an_applicant_assessed_then_staff_activate_into_new_squad(app, client):
    community_id, grid_id = await make_place("圆融社区")
    guardian = await signed_in_as(client, "guardian")
    youth = await apply(client, community_id, grid_id)
    async with make_client(app) as staff:
        await signed_in_as(staff, "staff")
        partly = await staff.put(f"/api/youth/{youth['id']}/assessments/fitness", json={"passed": True})
        assert partly.json()["status"] == "applicant"
        assert (await assess_all(staff, youth["id"]))["status"] == "assessed"
        activated = await staff.post(f"/api/youth/{youth['id']}/activate")
        assert activated.status_code == 200, activated.text
    assert activated.json()["status"] == "active"
    assert activated.json()["squad_name"] == "圆融社区小小安全员应急小队"
    assert await Squad.count() == 1
    actions = {r["action"] for r in await AuditEntry.select(AuditEntry.action)}
    assert {"youth_apply", "youth_assess", "youth_activate"} <= actions
    assert await Notification.exists().where((Notification.recipient == guardian["id"])
                                             & (Notification.kind == "youth_activated"))


async def test_second_child_joins_the_existing_squad(app, client):
    community_id, grid_id = await make_place()
    await signed_in_as(client, "guardian")
    first, second = await apply(client, community_id, grid_id), await apply(client, community_id, grid_id)
    async with make_client(app) as staff:
        await signed_in_as(staff, "staff")
        squads = []
        for youth in (first, second):
            await assess_all(staff, youth["id"])
            squads.append((await staff.post(f"/api/youth/{youth['id']}/activate")).json()["squad"])
        listing = (await staff.get("/api/youth/squads")).json()
    assert squads[0] == squads[1]
    assert listing["total"] == 1 and len(listing["items"][0]["members"]) == 2


async def test_re_recording_a_failed_assessment_updates_it(app, client):
    community_id, grid_id = await make_place()
    await signed_in_as(client, "guardian")
    youth = await apply(client, community_id, grid_id)
    async with make_client(app) as staff:
        await signed_in_as(staff, "staff")
        await assess_all(staff, youth["id"])
        failed = (await staff.put(f"/api/youth/{youth['id']}/assessments/fitness",
                                  json={"passed": False, "score": 40})).json()
        assert failed["status"] == "applicant" and len(failed["assessments"]) == 3
        assert (await staff.post(f"/api/youth/{youth['id']}/activate")).status_code == 409
        bad_kind = await staff.put(f"/api/youth/{youth['id']}/assessments/swimming", json={"passed": True})
        assert bad_kind.status_code == 400 and bad_kind.json()["field"] == "kind"
        again = (await staff.put(f"/api/youth/{youth['id']}/assessments/fitness",
                                 json={"passed": True, "score": 75})).json()
    assert again["status"] == "assessed"
    assert {a["kind"]: a["score"] for a in again["assessments"]}["fitness"] == 75


async def test_guardian_may_not_assess_or_activate(app, client):
    community_id, grid_id = await make_place()
    await signed_in_as(client, "guardian")
    youth = await apply(client, community_id, grid_id)
    assert (await client.put(f"/api/youth/{youth['id']}/assessments/fitness",
                             json={"passed": True})).status_code == 403
    assert (await client.post(f"/api/youth/{youth['id']}/activate")).status_code == 403


async def test_guardian_lists_only_own_children_and_staff_lists_all(app, client):
    community_id, grid_id = await make_place()
    await signed_in_as(client, "guardian")
    mine = await apply(client, community_id, grid_id, child_name="甲")
    async with make_client(app) as other, make_client(app) as staff:
        await signed_in_as(other, "guardian")
        await apply(other, community_id, grid_id, child_name="乙")
        await signed_in_as(staff, "staff")
        everyone = (await staff.get("/api/youth?sort=name")).json()
    own = (await client.get("/api/youth")).json()
    assert [y["id"] for y in own["items"]] == [mine["id"]] and own["total"] == 1
    assert everyone["total"] == 2
    assert sorted(y["child_name"] for y in everyone["items"]) == ["乙", "甲"]


async def _youth_with_future_and_past_work(app, client) -> tuple[dict, dict]:
    """An active child signed up for a future occurrence (full, with someone waiting) and a past one."""
    community_id, grid_id = await make_place()
    await signed_in_as(client, "guardian")
    youth = await apply(client, community_id, grid_id)
    future = await make_occurrence(starts_in=timedelta(days=4), capacity=1)
    past = await make_occurrence(starts_in=timedelta(days=4))
    child_sign_up = await enrol(volunteer_id=youth["volunteer"], occurrence_id=future)
    past_sign_up = await enrol(volunteer_id=youth["volunteer"], occurrence_id=past)
    await Occurrence.update({Occurrence.starts_at: Occurrence.starts_at - timedelta(days=10)}).where(
        Occurrence.id == past)
    waiting = await Volunteer.insert(Volunteer(real_name="候补者", birth_date=years_ago(30))).returning(Volunteer.id)
    waiting_sign_up = await enrol(volunteer_id=waiting[0]["id"], occurrence_id=future)
    assert waiting_sign_up["status"] == "waitlisted"
    await Proposal.insert(Proposal(target_type="occurrence", target_id=future, candidate_type="volunteer",
                                   candidate_id=youth["volunteer"]))
    return youth, {"child": child_sign_up["id"], "past": past_sign_up["id"], "waiting": waiting_sign_up["id"]}


async def test_withdrawn_consent_cancels_future_sign_ups_promotes_waitlist_and_withdraws_proposals(app, client):
    youth, sign_ups = await _youth_with_future_and_past_work(app, client)
    response = await client.post(f"/api/youth/{youth['id']}/withdraw")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "withdrawn" and body["consent_withdrawn_at"]
    assert (body["sign_ups_cancelled"], body["proposals_withdrawn"]) == (1, 1)
    statuses = {r["id"]: r["status"] for r in await SignUp.select(SignUp.id, SignUp.status)}
    assert statuses[sign_ups["child"]] == "cancelled"
    assert statuses[sign_ups["waiting"]] == "confirmed"
    assert statuses[sign_ups["past"]] == "confirmed"
    proposal = await Proposal.select(Proposal.status, Proposal.reason).first()
    assert proposal == {"status": "withdrawn", "reason": "consent withdrawn"}
    assert await Notification.exists().where(Notification.kind == "youth_consent_withdrawn")
    again = await client.post(f"/api/youth/{youth['id']}/withdraw")
    assert again.status_code == 409


async def test_only_the_guardian_withdraws_consent(app, client):
    community_id, grid_id = await make_place()
    await signed_in_as(client, "guardian")
    youth = await apply(client, community_id, grid_id)
    async with make_client(app) as other:
        await signed_in_as(other, "guardian")
        assert (await other.post(f"/api/youth/{youth['id']}/withdraw")).status_code == 404
    assert (await YouthMember.select(YouthMember.status).first())["status"] == "applicant"


async def test_guardian_sees_child_record_with_assessments_and_sign_ups(app, client):
    youth, _ = await _youth_with_future_and_past_work(app, client)
    record = (await client.get(f"/api/youth/{youth['id']}")).json()
    assert record["child_name"] == "王小明"
    assert len(record["sign_ups"]) == 2 and record["assessments"] == []


async def test_retire_adults_retires_those_who_turned_18_and_frees_their_places(app, client):
    community_id, grid_id = await make_place()
    await signed_in_as(client, "guardian")
    youth = await apply(client, community_id, grid_id, birth_date=years_ago(17).isoformat())
    younger = await apply(client, community_id, grid_id, birth_date=years_ago(12).isoformat())
    await enrol(volunteer_id=youth["volunteer"], occurrence_id=await make_occurrence(starts_in=timedelta(days=400)))
    birthday = date.fromisoformat(youth["birth_date"])
    eighteenth = birthday.replace(year=birthday.year + 18)
    assert await service.retire_adults(today=eighteenth - timedelta(days=1)) == 0
    assert await service.retire_adults(today=eighteenth) == 1
    assert await service.retire_adults(today=eighteenth) == 0
    statuses = {r["id"]: r["status"] for r in await YouthMember.select(YouthMember.id, YouthMember.status)}
    assert statuses == {youth["id"]: "retired", younger["id"]: "applicant"}
    assert (await SignUp.select(SignUp.status).first())["status"] == "cancelled"


async def test_service_refuses_non_staff_assessment_with_not_found(app):
    community_id, grid_id = await make_place()
    guardian = await make_user("guardian")
    actor = await load_actor(user_id=guardian["id"])
    youth = await service.apply_for_child(
        actor=actor, child_name="小红", birth_date=years_ago(10), community_id=community_id, grid_id=grid_id,
        relationship="parent", consent=True, consent_text_version=service.CONSENT_TEXT_VERSION)
    with pytest.raises(service.NotFound):
        await service.record_assessment(actor=actor, youth_id=youth["id"], kind="fitness", passed=True)
