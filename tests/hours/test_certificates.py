"""Service certificates: the PDF's text and QR are read back; the public page verifies without contact details."""

import io
from datetime import date

import pytest
import segno
from pypdf import PdfReader

from tongxin.errors import Conflict, NotFound
from tongxin.hours import certificates, checkin, codes

from tests.hours.factories import (
    PLACE,
    SECRET,
    at,
    make_child,
    make_occurrence,
    make_org,
    make_volunteer,
    sign_up,
    staff_actor,
)

pytestmark = pytest.mark.anyio
NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


async def served(org_member, occurrence: int, volunteer_actor, sign_up_id: int, *, came=0.0, went=2.0,
                 base_hours: float = 0, far: bool = False) -> None:
    """Checked in and out, and the organization confirmed the hours."""
    for moment in (at(base_hours + came), at(base_hours + went)):
        code = codes.occurrence_code(secret_key=SECRET, occurrence_id=occurrence, now=moment)["short_code"]
        where = {"lat": PLACE[0] + (0.05 if far else 0), "lon": PLACE[1]}
        record = await checkin.check_in_or_out(actor=volunteer_actor, sign_up_id=sign_up_id, code=code,
                                               secret_key=SECRET, now=moment, **where)
    await checkin.confirm_hours(actor=org_member, check_in_id=record["id"], now=at(base_hours + 3))


async def two_organizations_served():
    """张志远 served 2 h with one organization and 1.5 h with another in November."""
    first_org, first_member = await make_org("明日社工服务中心")
    second_org, second_member = await make_org("蓝天救援队")
    volunteer, me = await make_volunteer()
    one = await make_occurrence(first_org, address="明日社区广场")
    two = await make_occurrence(second_org, starts=at(48), title="防汛应急演练", address="阳澄社区活动中心")
    await served(first_member, one, me, await sign_up(one, volunteer))
    await served(second_member, two, me, await sign_up(two, volunteer), base_hours=48, went=1.5)
    return volunteer, me, (first_org, first_member), (second_org, second_member)


def text_of(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def qr_image_of(pdf: bytes):
    """The QR picture on the first page, in grey levels."""
    return PdfReader(io.BytesIO(pdf)).pages[0].images[0].image.convert("L")


def matches_qr(image, url: str) -> bool:
    """Whether the picture's modules are exactly those of `url`'s QR code (dark = 1)."""
    expected = segno.make(url, error="m").matrix
    size = len(expected)
    scale = image.width / (size + 4)
    for row in range(size):
        for col in range(size):
            pixel = image.getpixel((int((col + 2.5) * scale), int((row + 2.5) * scale)))
            if (pixel < 128) != bool(expected[row][col]):
                return False
    return True


async def test_volunteer_downloads_a_certificate_listing_each_service_and_the_totals(app):
    volunteer, me, (_, _), (_, _) = await two_organizations_served()
    issued = await certificates.issue(actor=me, volunteer_id=volunteer, date_from=NOVEMBER[0], date_to=NOVEMBER[1],
                                      now=at(72))
    url = f"https://tongxin.example/verify/{issued['serial']}"
    pdf = certificates.render_pdf(issued, verify_url=url)
    text = text_of(pdf)
    for words in ("志愿服务证明", "张志远", "2026年11月1日至2026年11月30日", "参加志愿服务 2 次", "累计服务时长 3.5 小时",
                  "明日社工服务中心", "蓝天救援队", "明日社区广场", "阳澄社区活动中心", "2026年11月28日", "2026年11月30日",
                  "吾爱邻便民志愿服务日", "防汛应急演练", "1.5", issued["serial"], "同心志愿服务平台", url):
        assert words in text, words
    assert "13800000000" not in text


async def test_the_qr_code_and_its_link_point_at_the_verification_page(app):
    volunteer, me, _, _ = await two_organizations_served()
    issued = await certificates.issue(actor=me, volunteer_id=volunteer, date_from=NOVEMBER[0], date_to=NOVEMBER[1],
                                      now=at(72))
    url = f"https://tongxin.example/verify/{issued['serial']}"
    pdf = certificates.render_pdf(issued, verify_url=url)
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    links = [a.get_object()["/A"]["/URI"] for a in page["/Annots"]]
    assert links == [url]
    picture = qr_image_of(pdf)
    assert matches_qr(picture, url)
    assert not matches_qr(picture, url.replace(issued["serial"], str(int(issued["serial"]) + 1)))
    checked = await certificates.verify(serial=issued["serial"])
    assert checked["valid"] and checked["total_hours"] == "3.5" and checked["services"] == 2
    assert checked["holder"] == "张*远" and "phone" not in checked


async def test_an_organization_certifies_only_its_own_services(app):
    volunteer, _, (first_org, first_member), _ = await two_organizations_served()
    issued = await certificates.issue(actor=first_member, volunteer_id=volunteer, date_from=NOVEMBER[0],
                                      date_to=NOVEMBER[1], now=at(72))
    assert issued["issuer_name"] == "明日社工服务中心" and issued["total_minutes"] == 120
    assert [e["organization"] for e in issued["entries"]] == ["明日社工服务中心"]
    _, outsider = await make_org("无关组织")
    with pytest.raises(NotFound):
        await certificates.issue(actor=outsider, volunteer_id=volunteer, date_from=NOVEMBER[0],
                                 date_to=NOVEMBER[1], now=at(72))
    with pytest.raises(NotFound):
        await certificates.get_certificate(actor=outsider, serial=issued["serial"])
    district = await certificates.issue(actor=await staff_actor(), volunteer_id=volunteer, date_from=NOVEMBER[0],
                                        date_to=NOVEMBER[1], now=at(72))
    assert district["total_minutes"] == 210 and district["issuer_name"] == "同心志愿服务平台"


async def test_flagged_and_unconfirmed_hours_stay_off_a_certificate(app):
    org, member = await make_org()
    volunteer, me = await make_volunteer()
    first, second, third = [await make_occurrence(org, starts=at(24 * n)) for n in range(3)]
    await served(member, first, me, await sign_up(first, volunteer))
    await served(member, second, me, await sign_up(second, volunteer), base_hours=24, far=True)
    mine = await sign_up(third, volunteer)
    await checkin.check_in_or_out(actor=me, sign_up_id=mine, secret_key=SECRET, now=at(48),
                                  code=codes.occurrence_code(secret_key=SECRET, occurrence_id=third, now=at(48))["token"])
    issued = await certificates.issue(actor=me, volunteer_id=volunteer, date_from=NOVEMBER[0], date_to=date(2026, 12, 31),
                                      now=at(72))
    assert issued["services"] == 1 and issued["total_minutes"] == 120


async def test_a_period_without_confirmed_hours_gives_no_certificate(app):
    volunteer, me = await make_volunteer()
    with pytest.raises(Conflict) as refused:
        await certificates.issue(actor=me, volunteer_id=volunteer, date_from=NOVEMBER[0], date_to=NOVEMBER[1])
    assert refused.value.code == "no_confirmed_hours"


async def test_a_guardian_gets_their_childs_certificate_and_strangers_do_not(app):
    org, member = await make_org()
    child, guardian = await make_child()
    leader, leader_actor = await make_volunteer("刘队长")
    occurrence = await make_occurrence(org)
    await sign_up(occurrence, leader, leader=True)
    await served(member, occurrence, guardian, await sign_up(occurrence, child))
    issued = await certificates.issue(actor=guardian, volunteer_id=child, date_from=NOVEMBER[0],
                                      date_to=NOVEMBER[1], now=at(72))
    assert issued["holder_name"] == "李小安"
    _, stranger = await make_volunteer("王五")
    with pytest.raises(NotFound):
        await certificates.issue(actor=stranger, volunteer_id=child, date_from=NOVEMBER[0], date_to=NOVEMBER[1])
    with pytest.raises(NotFound):
        await certificates.get_certificate(actor=leader_actor, serial=issued["serial"])


async def test_a_withdrawn_certificate_reads_as_invalid(app):
    volunteer, me, (_, first_member), _ = await two_organizations_served()
    issued = await certificates.issue(actor=first_member, volunteer_id=volunteer, date_from=NOVEMBER[0],
                                      date_to=NOVEMBER[1], now=at(72))
    await certificates.revoke(actor=first_member, serial=issued["serial"], reason="日期填错", now=at(73))
    checked = await certificates.verify(serial=issued["serial"])
    assert not checked["valid"] and checked["revoke_reason"] == "日期填错"
