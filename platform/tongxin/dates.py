"""Date arithmetic the domains share."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo


def age_on(birth_date: date, today: date) -> int:
    """Whole years between a birth date and `today`."""
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


# A person under 18 on the day is a minor, whatever roster they are on.
ADULT_AGE = 18

# The district's time zone: occurrences, ages, certificates and hours are counted in it.
LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def hours_2dp(minutes: int) -> Decimal:
    """Whole minutes as hours with exactly two decimals (90 → 1.50), rounded half up from the exact minutes."""
    return (Decimal(int(minutes)) / Decimal(60)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def hours_text(minutes: int) -> str:
    """Whole minutes as hours with at most two decimals, computed exactly ("1", "0.33", "8.09")."""
    value = hours_2dp(minutes)
    return format(value.normalize(), "f") if value else "0"
