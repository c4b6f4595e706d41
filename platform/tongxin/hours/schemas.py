"""Request shapes for check-in, confirmation, flags, certificates and exports."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import msgspec

Lat = Annotated[float, msgspec.Meta(ge=-90, le=90)]
Lon = Annotated[float, msgspec.Meta(ge=-180, le=180)]
CodeText = Annotated[str, msgspec.Meta(min_length=1, max_length=80, description="the QR token or the six digits")]
Note = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
Minutes = Annotated[int, msgspec.Meta(ge=0, le=24 * 60)]


class CheckInIn(msgspec.Struct, forbid_unknown_fields=True):
    code: CodeText
    lat: Lat | None = None
    lon: Lon | None = None
    device: Annotated[str, msgspec.Meta(max_length=64, description="the phone's own random id")] = ""
    action: Literal["auto", "in", "out"] = "auto"


class ScanIn(msgspec.Struct, forbid_unknown_fields=True):
    token: CodeText
    sign_up_id: int | None = None
    lat: Lat | None = None
    lon: Lon | None = None
    device: Annotated[str, msgspec.Meta(max_length=64)] = ""


class PersonalCodeIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=6, max_length=6, pattern=r"^\d{6}$")]


class ConfirmIn(msgspec.Struct, forbid_unknown_fields=True):
    minutes: Minutes | None = None


class CorrectIn(msgspec.Struct, forbid_unknown_fields=True):
    minutes: Minutes
    note: Note


class ClearIn(msgspec.Struct, forbid_unknown_fields=True):
    note: Note


class RadiusIn(msgspec.Struct, forbid_unknown_fields=True):
    metres: Annotated[int, msgspec.Meta(ge=50, le=50_000)]


class CertificateIn(msgspec.Struct, forbid_unknown_fields=True):
    date_from: date
    date_to: date
    volunteer_id: int | None = None
    organization_id: int | None = None


class RevokeIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Note
