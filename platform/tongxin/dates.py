"""Date arithmetic the domains share."""

from __future__ import annotations

from datetime import date


def age_on(birth_date: date, today: date) -> int:
    """Whole years between a birth date and `today`."""
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))
