"""Service records for the national volunteer system's batch import (Excel) and the district archive (CSV).

One row per person and service, hours in hours with two decimals. Only confirmed hours (the ledger), and not
those with an open suspicious-hours flag, unless the caller asks for them; such rows say so in 记录状态.
Organizations export their own services, staff the district. Exports carry phone numbers: each is audited.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from tongxin.accounts.service import record_audit
from tongxin.activities.tables import SignUp
from tongxin.dates import LOCAL_TZ, hours_2dp
from tongxin.errors import InvalidInput, NotFound
from tongxin.hours import flags
from tongxin.hours.tables import CheckIn
from tongxin.spreadsheets import csv_bytes, xlsx_bytes
from tongxin.volunteers.tables import LedgerEntry

# The import template's columns, in its order. Tongxin does not hold identity-card numbers: those two columns
# stay empty for the organization to fill in (the national system matches people by them or by phone).
COLUMNS = ("序号", "姓名", "证件类型", "证件号码", "手机号码", "服务项目名称", "服务日期", "服务开始时间",
           "服务结束时间", "服务时长（小时）", "服务地点", "组织名称", "记录状态")
MAX_ROWS = 50_000


def _local(moment: datetime, pattern: str) -> str:
    return moment.astimezone(LOCAL_TZ).strftime(pattern)


async def service_records(*, actor, date_from: date, date_to: date, organization_id: int | None = None,
                          include_unconfirmed: bool = False, include_flagged: bool = False) -> list[dict[str, Any]]:
    """The rows of an export: confirmed services in the period (by the occurrence's local date), oldest first."""
    if actor.is_staff:
        scope = organization_id
    elif actor.role == "org_member" and actor.organization_id is not None:
        if organization_id not in (None, actor.organization_id):
            raise NotFound("organization not found")
        scope = actor.organization_id
    else:
        raise NotFound("page not found")
    if date_from > date_to:
        raise InvalidInput("the period must start before it ends", field="date_from", code="period_order")
    query = SignUp.select(
        SignUp.id, SignUp.volunteer, SignUp.volunteer.real_name.as_alias("name"),
        SignUp.volunteer.phone.as_alias("phone"), SignUp.occurrence.starts_at.as_alias("starts_at"),
        SignUp.occurrence.ends_at.as_alias("ends_at"), SignUp.occurrence.address.as_alias("address"),
        SignUp.occurrence.activity.address.as_alias("activity_address"),
        SignUp.occurrence.activity.title.as_alias("title"),
        SignUp.occurrence.activity.organization.name.as_alias("organization"),
    ).where(SignUp.occurrence.starts_at >= datetime.combine(date_from, datetime.min.time(), LOCAL_TZ)
            ).where(SignUp.occurrence.starts_at < datetime.combine(date_to + timedelta(days=1), datetime.min.time(),
                                                                   LOCAL_TZ))
    if scope is not None:
        query = query.where(SignUp.occurrence.activity.organization == scope)
    sign_ups = {r["id"]: r for r in await query}
    ids = list(sign_ups) or [-1]
    credited = {e["sign_up"]: e["minutes"] for e in await LedgerEntry.select(
        LedgerEntry.sign_up, LedgerEntry.minutes).where(LedgerEntry.sign_up.is_in(ids))}
    presence = {c["sign_up"]: c for c in await CheckIn.select().where(CheckIn.sign_up.is_in(ids))}
    held = await flags.flagged_sign_ups(sign_up_ids=ids)
    rows = []
    for sign_up_id, s in sign_ups.items():
        record = presence.get(sign_up_id)
        if sign_up_id in credited:
            minutes, state = credited[sign_up_id], "已确认"
        elif include_unconfirmed and record is not None and record["checked_out_at"] is not None:
            minutes, state = record["minutes"], "待确认"
        else:
            continue
        if sign_up_id in held:
            if not include_flagged:
                continue
            state += "（有待核实标记）"
        began, ended = s["starts_at"], s["ends_at"]
        if record is not None and record["checked_out_at"] is not None:
            began, ended = max(record["checked_in_at"], began), min(record["checked_out_at"], ended)
        rows.append({"sign_up": sign_up_id, "name": s["name"], "phone": s["phone"], "title": s["title"],
                     "date": _local(s["starts_at"], "%Y-%m-%d"), "began": _local(began, "%Y-%m-%d %H:%M"),
                     "ended": _local(ended, "%Y-%m-%d %H:%M"), "hours": hours_2dp(minutes), "minutes": minutes,
                     "place": s["address"] or s["activity_address"], "organization": s["organization"],
                     "state": state, "starts_at": s["starts_at"]})
        if len(rows) > MAX_ROWS:
            raise InvalidInput("too many records; choose a shorter period", field="date_to", code="period_too_long")
    rows.sort(key=lambda r: (r["starts_at"], r["name"], r["sign_up"]))
    await record_audit(actor_id=actor.id, action="export_service_records", target_type="organization",
                       target_id=scope, detail={"from": date_from.isoformat(), "to": date_to.isoformat(),
                                                "rows": len(rows), "unconfirmed": include_unconfirmed,
                                                "flagged": include_flagged})
    return rows


def _cells(n: int, row: dict[str, Any]) -> list[Any]:
    return [n, row["name"], "", "", row["phone"], row["title"], row["date"], row["began"], row["ended"],
            row["hours"], row["place"], row["organization"], row["state"]]


def to_xlsx(rows: list[dict[str, Any]]) -> bytes:
    """The rows as an Excel workbook in the import template's columns (hours as numbers, two decimals)."""
    cells = []
    for n, row in enumerate(rows, start=1):
        cells.append(_cells(n, row))
        cells[-1][9] = float(row["hours"])  # a number in Excel; the CSV keeps the exact two decimals
    return xlsx_bytes([list(COLUMNS), *cells], title="志愿服务记录", hours_column=10,
                      widths=(6, 10, 10, 20, 14, 28, 12, 17, 17, 14, 28, 24, 20))


def to_csv(rows: list[dict[str, Any]]) -> bytes:
    """The same rows as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese right)."""
    return csv_bytes([COLUMNS, *([str(c) for c in _cells(n, row)] for n, row in enumerate(rows, start=1))])
