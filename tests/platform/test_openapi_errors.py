"""The OpenAPI document declares the error answers the API really gives, with their real body."""

import msgspec
import pytest
from tongxin.web.openapi import ErrorBody

from tests.factories import make_user

pytestmark = pytest.mark.anyio


async def test_every_api_operation_declares_its_error_answers(client):
    schema = (await client.get("/schema/openapi.json")).json()
    assert "ErrorBody" in schema["components"]["schemas"]
    missing = []
    for path, item in schema["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status in ("400", "404", "503"):
                if status not in operation["responses"]:
                    missing.append(f"{method.upper()} {path} {status}")
    assert missing == []
    login = schema["paths"]["/api/accounts/login"]["post"]["responses"]
    assert login["429"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert "401" in schema["paths"]["/api/accounts/me"]["get"]["responses"]


async def test_real_error_answers_have_the_declared_body(client, monkeypatch):
    from datetime import datetime, timezone

    from tongxin.accounts import throttle

    frozen = datetime.now(timezone.utc)
    monkeypatch.setattr(throttle, "_now", lambda: frozen)
    user = await make_user()
    answers = [await client.get("/api/accounts/me"), await client.get("/api/organizations/999999"),
               await client.post("/api/accounts/register", json={"username": "x"})]
    for _ in range(4):
        answers.append(await client.post("/api/accounts/login", json={"username": user["username"], "password": "nope-nope"}))
    assert {a.status_code for a in answers} >= {401, 404, 400, 429}
    for answer in answers:
        msgspec.convert(answer.json(), ErrorBody)
