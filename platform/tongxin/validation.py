"""Checks every service applies to what people type, whether it came from a page form or the JSON API.

The API's msgspec structs refuse malformed JSON early, but pages call the services directly, so the
rules that matter (ranges, text without NUL characters, years, finite coordinates) live here once.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime

from tongxin.errors import InvalidInput

# PostgreSQL's INTEGER column.
INT_MIN, INT_MAX = -(2 ** 31), 2 ** 31 - 1
YEARS = (2000, 2100)
BIRTH_YEARS = (1900, 2100)
# Chinese mobile (11 digits starting 1) or a landline with area code, with optional +86, spaces, dashes.
_PHONE = re.compile(r"^(?:\+?86[- ]?)?(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


def text(value: str | None, field: str, *, max_len: int, min_len: int = 0, label: str = "") -> str:
    """Trimmed text within its length, without NUL or other control characters (tabs and newlines allowed)."""
    value = (value or "").strip()
    if any(ord(c) < 32 and c not in "\t\n\r" for c in value) or "\x7f" in value:
        raise InvalidInput(f"{label or field} contains characters that are not allowed", field=field,
                           code="bad_characters")
    if len(value) < min_len:
        raise InvalidInput(f"{label or field} needs at least {min_len} characters", field=field, code="too_short")
    if len(value) > max_len:
        raise InvalidInput(f"{label or field} is longer than {max_len} characters", field=field, code="too_long")
    return value


def whole(value: int, field: str, *, lo: int = INT_MIN, hi: int = INT_MAX) -> int:
    """An integer inside [lo, hi] (and always inside the database column's range)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field} must be a whole number", field=field, code="not_a_number")
    if not max(lo, INT_MIN) <= value <= min(hi, INT_MAX):
        raise InvalidInput(f"{field} must be between {lo} and {hi}", field=field, code="out_of_range")
    return value


def number(value: float, field: str, *, lo: float, hi: float) -> float:
    """A finite number inside [lo, hi]."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidInput(f"{field} must be a finite number", field=field, code="not_a_number")
    if not lo <= value <= hi:
        raise InvalidInput(f"{field} must be between {lo:g} and {hi:g}", field=field, code="out_of_range")
    return float(value)


def moment(value: datetime, field: str, *, after: datetime | None = None) -> datetime:
    """A time with its time zone, in the years 2000–2100, and (if `after`) later than that."""
    if value.tzinfo is None:
        raise InvalidInput(f"{field} needs a timezone, e.g. 2026-12-19T09:00:00+08:00", field=field,
                           code="no_timezone")
    if not YEARS[0] <= value.year <= YEARS[1]:
        raise InvalidInput(f"{field} must lie between {YEARS[0]} and {YEARS[1]}", field=field, code="out_of_range")
    if after is not None and value <= after:
        raise InvalidInput(f"{field} must be in the future", field=field, code="in_the_past")
    return value


def day(value: date, field: str, *, years: tuple[int, int] = YEARS) -> date:
    """A date within the given years (2000–2100 unless told otherwise)."""
    if not years[0] <= value.year <= years[1]:
        raise InvalidInput(f"{field} must lie between {years[0]} and {years[1]}", field=field, code="out_of_range")
    return value


def phone(value: str | None, field: str, *, required: bool = False) -> str:
    """A Chinese mobile or landline number, stored as digits (and a leading +86 if given)."""
    raw = (value or "").strip()
    if not raw:
        if required:
            raise InvalidInput(f"{field} is required", field=field, code="required")
        return ""
    compact = re.sub(r"[\s()（）]", "", raw)
    if not _PHONE.match(compact):
        raise InvalidInput("a phone number is 11 digits starting with 1 (or an area code and number)", field=field,
                           code="bad_phone")
    return compact


def point(lat: float | None, lon: float | None) -> tuple[float | None, float | None]:
    """Both coordinates or neither, finite and on the globe."""
    if (lat is None) != (lon is None):
        raise InvalidInput("give both latitude and longitude, or neither", field="lat" if lat is None else "lon",
                           code="half_a_point")
    if lat is None:
        return None, None
    return number(lat, "lat", lo=-90, hi=90), number(lon, "lon", lo=-180, hi=180)
