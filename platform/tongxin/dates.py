"""Date arithmetic the domains share, and how a moment reads in a person's language."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

from tongxin import language


def age_on(birth_date: date, today: date) -> int:
    """Whole years between a birth date and `today`."""
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


# A person under 18 on the day is a minor, whatever roster they are on.
ADULT_AGE = 18

# The district's time zone: occurrences, ages, certificates and hours are counted in it.
LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def local_date(moment: datetime) -> date:
    """The calendar date of a moment in the district's time zone (what "that day" means to everyone here)."""
    return moment.astimezone(LOCAL_TZ).date()


def local_today() -> date:
    """Today in the district: from 16:00 UTC it is already tomorrow here, whatever the server's clock says."""
    return datetime.now(LOCAL_TZ).date()


def hours_2dp(minutes: int) -> Decimal:
    """Whole minutes as hours with exactly two decimals (90 → 1.50), rounded half up from the exact minutes."""
    return (Decimal(int(minutes)) / Decimal(60)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def hours_text(minutes: int) -> str:
    """Whole minutes as hours with at most two decimals, computed exactly ("1", "0.33", "8.09")."""
    value = hours_2dp(minutes)
    return format(value.normalize(), "f") if value else "0"


def local_time(value: datetime | None, lang: str = language.DEFAULT) -> str:
    """A UTC moment as people here read it, by Babel in the district's time zone with the catalog's pattern:
    "2026-12-19 周六 09:00" in zh-CN, "Sat 2026-12-19 09:00" in English ("" for no moment)."""
    if value is None:
        return ""
    return format_datetime(value, language.translate("datetime_pattern", lang), tzinfo=LOCAL_TZ,
                           locale=language.babel_locale(lang))


def local_day(value: date | None, lang: str = language.DEFAULT) -> str:
    """A calendar day with its weekday ("2026-12-19 周六" / "Sat 2026-12-19"); "" for no day."""
    if value is None:
        return ""
    return format_date(value, language.translate("date_pattern", lang), locale=language.babel_locale(lang))


def long_day(value: date | None, lang: str = language.DEFAULT) -> str:
    """A calendar day written out, as on a certificate ("2026年12月19日" / "19 December 2026"); "" for none."""
    if value is None:
        return ""
    return format_date(value, language.translate("long_date_pattern", lang), locale=language.babel_locale(lang))
