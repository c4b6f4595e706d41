"""Small factories for test data: each makes one thing the way a user would."""

from __future__ import annotations

import itertools

from tongxin.accounts import service as accounts

PASSWORD = "correct-horse-42"
_counter = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_counter)}"


async def make_user(role: str = "volunteer", username: str | None = None) -> dict:
    return await accounts.create_user(username=username or unique(role), password=PASSWORD, role=role)


async def login(client, username: str, password: str = PASSWORD):
    response = await client.post("/api/accounts/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return response


async def signed_in_as(client, role: str = "volunteer") -> dict:
    user = await make_user(role)
    await login(client, user["username"])
    return user
