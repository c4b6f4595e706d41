"""Values no column or date can hold answer 400, never 500, on both engines."""

import pytest

from tests.factories import signed_in_as

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("path", [
    "/api/activities/99999999999999999999",
    "/api/organizations/9999999999999",
    "/api/youth/99999999999999",
    "/api/occurrences?date_from=0001-01-01",
    "/api/occurrences?date_from=9999-12-31",
])
async def test_out_of_range_ids_and_dates_are_the_clients_mistake(client, path):
    await signed_in_as(client, "staff")
    answer = await client.get(path)
    assert answer.status_code in (200, 400, 404), answer.text
    assert answer.json()["error"] if answer.status_code != 200 else True


async def test_nul_character_in_text_is_refused_not_a_crash(client):
    await signed_in_as(client, "org_member")
    answer = await client.post("/api/organizations", json={"name": "蓝天\u0000救援队", "kind": "rescue_team"})
    assert answer.status_code in (201, 400), answer.text


async def test_deeply_nested_json_is_refused(client):
    await signed_in_as(client, "org_member")
    answer = await client.post("/api/organizations", content="[" * 10000 + "]" * 10000,
                               headers={"content-type": "application/json"})
    assert answer.status_code == 400, answer.text


@pytest.mark.parametrize("path", [
    "/api/occurrences?lat=30.5",  # lat without lon
    "/api/occurrences?lon=114.3",
    "/api/offers?offset=2569995987710166248020900581054873600",
    "/api/youth/squads?offset=9999999999999999999",
])
async def test_half_a_location_and_huge_offsets_answer_400(client, path):
    """Found by Schemathesis (tests/platform/test_api_contract.py): these answered 500."""
    await signed_in_as(client, "staff")
    answer = await client.get(path)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]


async def test_staff_editing_a_missing_organization_get_404(client):
    await signed_in_as(client, "staff")
    answer = await client.patch("/api/organizations/0", json={"name": "不存在的组织", "kind": "social_organization", "lat": 0.0, "lon": None})
    assert answer.status_code == 404, answer.text


async def test_a_huge_offset_on_the_wish_lists_answers_400(client):
    await signed_in_as(client, "staff")
    for path in ("/api/wishes?offset=18641647102518808576", "/api/wishes/public?offset=18641647102518808576"):
        answer = await client.get(path)
        assert answer.status_code == 400, answer.text
