"""The dashboard's figures as a table for CSV and Excel: one row for the period's totals, one per community,
one per month, in the reader's language (zh-CN or English)."""

from __future__ import annotations

from datetime import date
from typing import Any

from tongxin.dates import long_day
from tongxin.spreadsheets import csv_bytes, xlsx_bytes

# Column headers, zh-CN first and English second.
COLUMNS = (("范围", "Scope"), ("名称", "Name"), ("活动场次", "Activities held"), ("服务人数", "People served"),
           ("完成心愿", "Wishes fulfilled"), ("服务时长（小时）", "Hours served"))
FIGURES = ("activities_held", "people_served", "wishes_fulfilled", "hours")
WORDS = {"total": ("合计", "Total"), "community": ("社区", "Community"), "month": ("月份", "Month"),
         "all_time": ("全部时间", "all time"), "since": ("{day}起", "from {day}"), "until": ("截至{day}", "until {day}"),
         "sheet": ("数据看板", "Dashboard")}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _word(key: str, lang: str, **values: str) -> str:
    text = WORDS[key][0 if lang == "zh-CN" else 1]
    return text.format(**values) if values else text


def day_text(day: date, lang: str) -> str:
    """A day as people write it: 2026年3月1日 / 2026-03-01."""
    return long_day(day, lang) if lang == "zh-CN" else day.isoformat()


def month_text(month: str, lang: str) -> str:
    """A "2026-03" month as 2026年3月 in zh-CN (kept as is in English)."""
    year, _, number = month.partition("-")
    return f"{year}年{int(number)}月" if lang == "zh-CN" else month


def period_text(date_from: date | None, date_to: date | None, lang: str) -> str:
    """The period in words: 2025年12月1日至2026年11月30日, 2026年3月1日起, 全部时间 …"""
    if date_from and date_to:
        return f"{day_text(date_from, lang)}{'至' if lang == 'zh-CN' else ' – '}{day_text(date_to, lang)}"
    if date_from:
        return _word("since", lang, day=day_text(date_from, lang))
    if date_to:
        return _word("until", lang, day=day_text(date_to, lang))
    return _word("all_time", lang)


def table(figures: dict[str, Any], lang: str) -> list[list[Any]]:
    """Header then rows: totals, each community, each month. Counts are ints, hours floats with 2 decimals."""
    pick = 0 if lang == "zh-CN" else 1
    date_from = date.fromisoformat(figures["date_from"]) if figures.get("date_from") else None
    date_to = date.fromisoformat(figures["date_to"]) if figures.get("date_to") else None
    rows: list[list[Any]] = [[c[pick] for c in COLUMNS]]
    rows.append([_word("total", lang), period_text(date_from, date_to, lang),
                 *(figures["totals"][k] for k in FIGURES)])
    for row in figures["by_community"]:
        zh, sep, en = str(row["community"]).partition(" / ")
        rows.append([_word("community", lang), en if sep and lang != "zh-CN" else zh, *(row[k] for k in FIGURES)])
    for row in figures["by_month"]:
        rows.append([_word("month", lang), month_text(row["month"], lang), *(row[k] for k in FIGURES)])
    return rows


def to_csv(rows: list[list[Any]]) -> bytes:
    """The table as CSV, UTF-8 with a byte-order mark so spreadsheet programs read the Chinese right; hours
    always with two decimals."""
    return csv_bytes([rows[0], *([*row[:-1], f"{row[-1]:.2f}"] for row in rows[1:])])


def to_xlsx(rows: list[list[Any]], lang: str) -> bytes:
    """The same table as an Excel workbook: figures as numbers, hours shown with two decimals."""
    return xlsx_bytes(rows, title=_word("sheet", lang), hours_column=len(rows[0]), widths=(10, 30, 12, 12, 12, 16))


def filename(figures: dict[str, Any], extension: str) -> str:
    """dashboard-2025-12-01-2026-11-30.csv (an open end reads "start" / "today")."""
    return f"dashboard-{figures.get('date_from') or 'start'}-{figures.get('date_to') or 'today'}.{extension}"
