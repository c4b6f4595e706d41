"""Small factories for test data: each makes one thing the way a user would."""

from __future__ import annotations

import itertools
from datetime import datetime, time, timedelta, timezone

from tongxin.accounts import service as accounts
from tongxin.dates import LOCAL_TZ, local_today

PASSWORD = "correct-horse-42"
_counter = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_counter)}"


def saturday_9am(weeks_ahead: int = 8, *, third_of_its_month: bool = False) -> datetime:
    """09:00 in Shanghai (as UTC) on the first Saturday at least `weeks_ahead` weeks from the district's today,
    or on the first third Saturday of a month from then: a date well ahead that, unlike a written one
    ("2027-03-20"), never becomes the past as the calendar moves on."""
    day = local_today() + timedelta(weeks=weeks_ahead)
    day += timedelta(days=(5 - day.weekday()) % 7)
    while third_of_its_month and not 15 <= day.day <= 21:
        day += timedelta(days=7)
    return datetime.combine(day, time(9), tzinfo=LOCAL_TZ).astimezone(timezone.utc)


def form_time(moment: datetime) -> str:
    """A moment as a form's datetime-local field holds it, in Shanghai ("2027-03-20T09:00")."""
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")


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
