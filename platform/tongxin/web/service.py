"""Page helpers without HTTP: repeat rules in words and SVG charts from the reports figures."""

from __future__ import annotations

from html import escape
from typing import Any

from tongxin.dates import local_time  # noqa: F401  (the pages' name for it)
from tongxin.web import i18n


def bar_chart(rows: list[dict[str, Any]], *, label: str, value: str, name: str, empty: str = "—", width: int = 340,
              bar: int = 18) -> str:
    """A horizontal bar chart as inline SVG (no script, no external library)."""
    if not rows or not any(float(r[value]) for r in rows):
        return f'<p class="muted">{escape(empty)}</p>'
    top = max(float(r[value]) for r in rows)
    height = len(rows) * (bar + 6) + 4
    parts = [f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{escape(name)}">']
    for i, row in enumerate(rows):
        y = 2 + i * (bar + 6)
        length = (width - 150) * float(row[value]) / top
        parts.append(f'<text x="0" y="{y + bar - 5}">{escape(str(row[label]))}</text>')
        parts.append(f'<rect x="110" y="{y}" width="{length:.1f}" height="{bar}" fill="#c0392b"></rect>')
        parts.append(f'<text x="{114 + length:.1f}" y="{y + bar - 5}">{row[value]}</text>')
    parts.append("</svg>")
    return "".join(parts)


WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
NTH = ("1", "2", "3", "4", "-1")
REPEAT_KINDS = ("once", "weekly", "monthly", "quarterly")


def build_rrule(repeat: str, *, nth: str, weekday: str) -> str:
    """The RFC 5545 rule for a friendly choice ("monthly", third, Saturday → FREQ=MONTHLY;BYDAY=+3SA); ValueError if unknown."""
    if repeat == "once":
        return ""
    if repeat not in REPEAT_KINDS or weekday not in WEEKDAYS:
        raise ValueError("unknown repeat choice")
    if repeat == "weekly":
        return f"FREQ=WEEKLY;BYDAY={weekday}"
    if nth not in NTH:
        raise ValueError("unknown week of the month")
    position = nth if nth.startswith("-") else "+" + nth
    interval = ";INTERVAL=3" if repeat == "quarterly" else ""
    return f"FREQ=MONTHLY{interval};BYDAY={position}{weekday}"


def weekday_words(lang: str) -> tuple[str, ...]:
    """The weekdays Monday to Sunday in `lang`, for the repeat form's select."""
    return tuple(i18n.weekday_name(day, lang) for day in range(7))


def nth_words(lang: str) -> dict[str, str]:
    """Which week of the month ("1" … "4", "-1") in `lang`: 第三个 / third."""
    return {nth: i18n.translate(f"nth_{nth}", lang) for nth in NTH}


def rrule_text(rrule: str | None, lang: str) -> str:
    """A repeat rule in words ("每月第三个周六" / "monthly on the third Saturday"); one the form cannot build
    is called a custom rule, never shown as RFC 5545 text."""
    if not rrule:
        return ""
    parts = dict(p.partition("=")[::2] for p in rrule.split(";"))
    day = parts.get("BYDAY", "")
    weekday, position = day[-2:], day[:-2].lstrip("+")
    interval = parts.get("INTERVAL", "1")
    if weekday in WEEKDAYS and "," not in day:
        day_word = i18n.weekday_name(WEEKDAYS.index(weekday), lang)
        if parts.get("FREQ") == "WEEKLY" and not position and interval == "1":
            return i18n.translate("rule_weekly", lang, day=day_word)
        if parts.get("FREQ") == "MONTHLY" and position in NTH and interval in ("1", "3"):
            nth = i18n.translate(f"nth_{position}", lang)
            if interval == "3":
                return i18n.translate("rule_quarterly", lang, nth=nth, day=day_word)
            return i18n.translate("rule_monthly", lang, nth=nth, day=day_word)
    return i18n.translate("rule_custom", lang)


def column_chart(rows: list[dict[str, Any]], *, label: str, value: str, name: str, empty: str = "—", width: int = 340,
                 height: int = 160) -> str:
    """A vertical column chart as inline SVG for figures by month ("2026-03"): months left to right."""
    if not rows or not any(float(r[value]) for r in rows):
        return f'<p class="muted">{escape(empty)}</p>'
    top = max(float(r[value]) for r in rows)
    slot = width / len(rows)
    base = height - 30  # below: the month and, under January and the first column, the year
    plot = base - 14  # above: the value
    parts = [f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{escape(name)}">',
             f'<line x1="0" y1="{base}" x2="{width}" y2="{base}" stroke="#ccc"></line>']
    for i, row in enumerate(rows):
        amount, month = float(row[value]), str(row[label])
        tall = plot * amount / top
        x = i * slot + slot * 0.15
        middle = x + slot * 0.35
        parts.append(f'<rect x="{x:.1f}" y="{base - tall:.1f}" width="{slot * 0.7:.1f}" height="{tall:.1f}" '
                     f'fill="#c0392b"><title>{escape(month)}: {row[value]}</title></rect>')
        if amount:
            shown = f"{amount:g}" if amount < 1000 else f"{amount / 1000:.1f}k"
            parts.append(f'<text x="{middle:.1f}" y="{base - tall - 3:.1f}" text-anchor="middle">{shown}</text>')
        parts.append(f'<text x="{middle:.1f}" y="{base + 13}" text-anchor="middle">{escape(month[-2:])}</text>')
        if i == 0 or month.endswith("-01"):
            parts.append(f'<text x="{middle:.1f}" y="{base + 26}" text-anchor="middle" fill="#888">'
                         f'{escape(month[:4])}</text>')
    parts.append("</svg>")
    return "".join(parts)
