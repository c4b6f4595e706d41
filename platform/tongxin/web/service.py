"""Page helpers without HTTP: local times for display and SVG charts from the reports figures."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from tongxin.activities.service import LOCAL_TZ


def local_time(value: datetime | None) -> str:
    """A UTC time as people here read it: local date, weekday and time."""
    if value is None:
        return ""
    local = value.astimezone(LOCAL_TZ)
    return local.strftime("%Y-%m-%d ") + "一二三四五六日"[local.weekday()].join(("周", "")) + local.strftime(" %H:%M")


def bar_chart(rows: list[dict[str, Any]], *, label: str, value: str, width: int = 340, bar: int = 18) -> str:
    """A horizontal bar chart as inline SVG (no script, no external library)."""
    if not rows:
        return '<p class="muted">—</p>'
    top = max((float(r[value]) for r in rows), default=0.0) or 1.0
    height = len(rows) * (bar + 6) + 4
    parts = [f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{escape(value)}">']
    for i, row in enumerate(rows):
        y = 2 + i * (bar + 6)
        length = (width - 150) * float(row[value]) / top
        parts.append(f'<text x="0" y="{y + bar - 5}">{escape(str(row[label]))}</text>')
        parts.append(f'<rect x="110" y="{y}" width="{length:.1f}" height="{bar}" fill="#c0392b"></rect>')
        parts.append(f'<text x="{114 + length:.1f}" y="{y + bar - 5}">{row[value]}</text>')
    parts.append("</svg>")
    return "".join(parts)
