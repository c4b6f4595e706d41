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


NewPassword = Annotated[str, msgspec.Meta(min_length=8, max_length=128, description="at least 8 characters")]
ManagedRole = Literal["staff", "grid_worker", "admin"]
GridIds = Annotated[list[Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]], msgspec.Meta(max_length=100)]


class PasswordChange(msgspec.Struct, forbid_unknown_fields=True):
    current_password: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    new_password: NewPassword


class PasswordResetUse(msgspec.Struct, forbid_unknown_fields=True):
    token: Annotated[str, msgspec.Meta(min_length=10, max_length=100)]
    new_password: NewPassword


class ResetLinkOut(msgspec.Struct):
    username: str
    url: str
    expires_at: str


class AccountCreate(msgspec.Struct, forbid_unknown_fields=True):
    username: Username
    password: Password
    role: ManagedRole
    display_name: Annotated[str, msgspec.Meta(max_length=100)] = ""
    grid_ids: GridIds = []


class AccountUpdate(msgspec.Struct, forbid_unknown_fields=True):
    is_active: bool | None = None
    grid_ids: GridIds | None = None


class AccountOut(msgspec.Struct):
    id: int
    username: str
    display_name: str
    role: str
    is_active: bool
    grid_ids: list[int]


class AccountPage(msgspec.Struct):
    items: list[AccountOut]
    total: int
    limit: int
    offset: int
