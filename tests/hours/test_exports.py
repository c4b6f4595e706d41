"""Exports for the national system's batch import: opened with openpyxl and read row by row; CSV alike."""

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from tongxin.errors import NotFound
from tongxin.hours import checkin, codes, exports

from tests.hours.factories import (
    PLACE,
    SECRET,
    at,
    make_occurrence,
    make_org,
    make_volunteer,
    sign_up,
    staff_actor,
)

pytestmark = pytest.mark.anyio
NOVEMBER = dict(date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))


async def attend(me, sign_up_id: int, occurrence: int, came: float, went: float, **where) -> dict:
    for moment in (at(came), at(went)):
        code = codes.occurrence_code(secret_key=SECRET, occurrence_id=occurrence, now=moment)["short_code"]
        record = await checkin.check_in_or_out(actor=me, sign_up_id=sign_up_id, code=code, secret_key=SECRET,
                                               now=moment, **where)
    return record


async def a_service_day():
    """Three people at one occurrence: 张三 confirmed 1.5 h, 李四 confirmed but flagged far, 王五 not yet confirmed;
    and another organization's service the first organization must not export."""
    org, member = await make_org("明日社工服务中心")
    occurrence = await make_occurrence(org, hours=2, address="明日社区广场")
    people = {name: await make_volunteer(name) for name in ("张三", "李四", "王五")}
    records = {}
    for name, came, went, where in (("张三", 0.5, 2, {}), ("李四", 0, 2, {"lat": PLACE[0] + 0.05, "lon": PLACE[1]}),
                                    ("王五", 0, 1.25, {})):
        volunteer, me = people[name]
        records[name] = await attend(me, await sign_up(occurrence, volunteer), occurrence, came, went, **where)
    for name in ("张三", "李四"):
        await checkin.confirm_hours(actor=member, check_in_id=records[name]["id"], now=at(3))
    other_org, other_member = await make_org("蓝天救援队")
    elsewhere = await make_occurrence(other_org, starts=at(24), title="防汛演练")
    volunteer, me = people["张三"]
    record = await attend(me, await sign_up(elsewhere, volunteer), elsewhere, 24, 25)
    await checkin.confirm_hours(actor=other_member, check_in_id=record["id"], now=at(26))
    return member


async def test_excel_export_has_one_row_per_person_and_service_with_hours_to_two_decimals(app):
    member = await a_service_day()
    rows = await exports.service_records(actor=member, **NOVEMBER)
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(rows))).active
    table = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert tuple(table[0]) == exports.COLUMNS
    assert table[1:] == [[1, "张三", None, None, "13800000000", "吾爱邻便民志愿服务日", "2026-11-28",
                          "2026-11-28 09:30", "2026-11-28 11:00", 1.5, "明日社区广场", "明日社工服务中心", "已确认"]]
    assert sheet.cell(row=2, column=10).number_format == "0.00"


async def test_asking_for_them_adds_unconfirmed_and_flagged_hours_marked_as_such(app):
    member = await a_service_day()
    rows = await exports.service_records(actor=member, include_unconfirmed=True, include_flagged=True, **NOVEMBER)
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(rows))).active
    by_name = {row[1].value: (row[9].value, row[12].value) for row in sheet.iter_rows(min_row=2)}
    assert by_name == {"张三": (1.5, "已确认"), "李四": (2.0, "已确认（有待核实标记）"), "王五": (1.25, "待确认")}


async def test_staff_export_the_district_as_csv(app):
    await a_service_day()
    rows = await exports.service_records(actor=await staff_actor(), **NOVEMBER)
    text = exports.to_csv(rows).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == list(exports.COLUMNS)
    assert [(r[1], r[9], r[11]) for r in table[1:]] == [("张三", "1.50", "明日社工服务中心"), ("张三", "1.00", "蓝天救援队")]


async def test_volunteers_cannot_export_and_organizations_only_their_own(app):
    member = await a_service_day()
    _, me = await make_volunteer("赵六")
    with pytest.raises(NotFound):
        await exports.service_records(actor=me, **NOVEMBER)
    with pytest.raises(NotFound):
        await exports.service_records(actor=member, organization_id=member.organization_id + 1, **NOVEMBER)
