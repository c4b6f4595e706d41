"""Request and response shapes for accounts (msgspec structs, validated by Litestar)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

Username = Annotated[
    str,
    msgspec.Meta(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.\-@]+$",
                 description="3-64 letters, digits or _ . - @"),
]
Password = Annotated[str, msgspec.Meta(min_length=8, max_length=128, description="at least 8 characters")]
SelfServiceRole = Literal["volunteer", "org_member", "guardian"]


class RegisterRequest(msgspec.Struct, forbid_unknown_fields=True):
    username: Username
    password: Password
    role: SelfServiceRole = "volunteer"
    display_name: Annotated[str, msgspec.Meta(max_length=100)] = ""
    phone: Annotated[str, msgspec.Meta(max_length=32, pattern=r"^[0-9+\- ]*$")] = ""
    locale: Literal["zh-CN", "en"] = "zh-CN"


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class UserOut(msgspec.Struct):
    id: int
    username: str
    role: str
    display_name: str
    locale: str
