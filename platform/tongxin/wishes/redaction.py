"""Proposes the public text of a micro-wish (微心愿): a household's identity out, the need left readable.

Pure computation, no database. Staff always see and approve the result before anything is public; this
module only proposes it. Text is first *folded* (full-width → ASCII, traditional → simplified, Chinese
numerals → digits, invisible characters dropped) with a map back to the original characters, so that
"１３８ 一二三四 5678", "劉奶奶" and "五幢一零一" are found like "13812345678", "刘奶奶" and "5幢101", while
the words around them stay exactly as the grid worker wrote them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import cn2an
import opencc
import phonenumbers
from stdnum import luhn
from stdnum.cn import ric

__all__ = ("Finding", "HouseholdFacts", "KNOWN_COMPOUNDS", "PLACEHOLDERS", "find", "household_findings", "redact")

# The district's compounds whose names carry no suffix a pattern could catch.
KNOWN_COMPOUNDS = ("恒大绿洲",)

PLACEHOLDERS = {
    "name": "某某", "phone": "〔电话已隐去〕", "id_number": "〔身份证号已隐去〕", "bank_card": "〔银行卡号已隐去〕",
    "email": "〔邮箱已隐去〕", "wechat": "〔微信号已隐去〕", "qq": "〔QQ号已隐去〕", "plate": "〔车牌号已隐去〕",
    "number": "〔号码已隐去〕", "address": "〔住址已隐去〕", "compound": "某小区",
}
# When spans overlap, the merged span speaks for the kind that ranks first here.
_RANK = ("id_number", "bank_card", "phone", "wechat", "qq", "email", "plate", "address", "compound", "number",
         "kinship", "name")

# Common single surnames (a name list, not a segmenter: it only needs to recognise 李 in 李大爷). Left out on
# purpose: surnames that are everyday words before a kinship term or after 老/小 (和, 向, 时, 师, 于...).
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭林何高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔汤"
    "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕"
    "单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦"
    "麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖"
    "巩明佘池查麻苑迟邝"
) - frozenset("和时师于向文明全应连安成华路管解车查")
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文",
                     "司徒", "夏侯", "令狐", "端木", "西门", "南宫", "独孤", "轩辕", "呼延")
KINSHIP = ("老爷爷", "老奶奶", "老太太", "老爷子", "老先生", "老师傅", "老大爷", "老大娘", "大爷", "大妈", "大娘",
           "大伯", "大叔", "大婶", "大姐", "大哥", "阿姨", "阿婆", "阿公", "阿伯", "奶奶", "爷爷", "姥姥", "姥爷",
           "外婆", "外公", "婆婆", "伯伯", "叔叔", "婶婶", "婶子", "老伯", "老太", "老汉", "老人", "师傅",
           "先生", "女士", "老师", "同学", "小朋友", "嬢嬢", "孃孃", "家人")
# Two-character words that begin with 老 or 小 and a surname-like character but name nobody.
_COMMON_WORDS = frozenset("小时 小心 小米 小学 小区 小孩 小吃 小组 小于 小雨 小便 小事 小麦 小白菜 老师 老家 老公 "
                          "老年 老实 老是 老化 老旧 老人 老伴 老大 老板 老乡 老鼠 老式 老毛病 老房 小龙虾 小马扎".split())

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
# Characters that end a place name read backwards from 小区/路: verbs, prepositions, pronouns, punctuation.
_STOP = "住在于到去往近的家是从和与及对靠旁边这那哪本该同我你他她它们个也都还就请帮给让把被为某老旧新附周整所隔壁爷奶姨妈叔婶伯婆"
_NAME_CHAR = "(?:(?![" + _STOP + "])[" + _CJK + "])"
_SEP = r"[\s\-.·•_/—~,、]"

_DIGITS = {c: str(i) for i, chars in enumerate(("零〇○", "一幺壹", "二两贰貳", "三叁參", "四肆", "五伍", "六陆陸",
                                                 "七柒", "八捌", "九玖")) for c in chars}
_UNITS = {"十": "十", "拾": "十", "百": "百", "佰": "百", "千": "千", "仟": "千", "万": "万"}
_NUMERAL_RUN = re.compile("[" + "".join(_DIGITS) + "".join(_UNITS) + "]+")


@dataclass(frozen=True)
class HouseholdFacts:
    """What the household's record says; each fact is hidden in every form it may be written."""

    name: str = ""
    phone: str = ""
    address: str = ""


@dataclass(frozen=True)
class Finding:
    """A stretch of the original text to hide: [start, end), its kind, and whether it is the household's own."""

    start: int
    end: int
    kind: str
    own: bool = False
    keep_prefix: str = ""  # kinship terms survive: 李大爷 → 某大爷

    @property
    def replacement(self) -> str:
        if self.kind == "kinship":
            return "某" + self.keep_prefix
        return PLACEHOLDERS[self.kind]


# ---------------------------------------------------------------- folding


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    if unicodedata.category(char) == "Cf":  # zero-width spaces and joiners hide nothing from a reader
        return ""
    folded = unicodedata.normalize("NFKC", char)
    if len(folded) == 1 and ord(folded) > 0x2E80:
        folded = _t2s().convert(folded)
    return folded


class Folded:
    """The text folded for matching, with each folded character's span in the original."""

    def __init__(self, original: str):
        chars: list[str] = []
        spans: list[tuple[int, int]] = []
        for i, char in enumerate(original):
            for part in _fold_char(char):
                chars.append(part)
                spans.append((i, i + 1))
        for i in range(1, len(chars) - 1):  # 15O6123: a letter O or l typed among digits is a digit
            if chars[i] in "OoIl" and chars[i - 1].isdigit() and chars[i + 1].isdigit():
                chars[i] = "0" if chars[i] in "Oo" else "1"
        text = "".join(chars)
        out_chars: list[str] = []
        out_spans: list[tuple[int, int]] = []
        last = 0
        for run in _NUMERAL_RUN.finditer(text):
            out_chars += chars[last:run.start()]
            out_spans += spans[last:run.start()]
            digits = _numeral_digits(run.group())
            if digits is None:
                out_chars += chars[run.start():run.end()]
                out_spans += spans[run.start():run.end()]
            elif len(digits) == run.end() - run.start():
                out_chars += list(digits)
                out_spans += spans[run.start():run.end()]
            else:  # 一百零一 → 101: every digit stands for the whole run
                whole = (spans[run.start()][0], spans[run.end() - 1][1])
                out_chars += list(digits)
                out_spans += [whole] * len(digits)
            last = run.end()
        out_chars += chars[last:]
        out_spans += spans[last:]
        self.original = original
        self.text = "".join(out_chars)
        self.spans = out_spans

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original [start, end) behind folded [start, end)."""
        return self.spans[start][0], self.spans[end - 1][1]


def _numeral_digits(run: str) -> str | None:
    """一三八 → 138 and 十二 → 12; None for runs that are words (千万, 十分) or not a number (七八十)."""
    if not any(c in _DIGITS for c in run):
        return None
    if not any(c in _UNITS for c in run):
        return "".join(_DIGITS[c] for c in run)
    plain = "".join(_UNITS.get(c) or "零一二三四五六七八九"[int(_DIGITS[c])] for c in run)
    try:
        value = cn2an.cn2an(plain, "smart")
    except (ValueError, KeyError, IndexError):
        return None
    return str(int(value)) if 0 <= value < 100000 else None


def fold(text: str) -> str:
    """The folded form of a short text (a name, an address) to build patterns from."""
    return Folded(text).text


# ---------------------------------------------------------------- generic patterns

_PHONE_PREFIX = r"(?:(?:联系|家属|紧急联系人)?(?:电话号码|手机号码|电话号|手机号|联系方式|电话|手机|座机|tel|phone|mobile)\s*[:：]?\s*)"
_DIGIT_RUN = re.compile(_PHONE_PREFIX + r"?(?:\+|00)?(?<![0-9])[0-9](?:" + _SEP + r"{0,2}[0-9])*(?:" + _SEP
                        + r"?[xX])?(?![0-9])", re.IGNORECASE)
_DATE = re.compile(r"^(?:19|20)[0-9]{2}[-./](?:0?[1-9]|1[0-2])[-./](?:0?[1-9]|[12][0-9]|3[01])$")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+\s*(?:@|\(at\)|\[at\]|#)\s*[A-Za-z0-9\-]+(?:\s*(?:\.|点|\(dot\)|\[dot\])"
                    r"\s*[A-Za-z]{2,6})+", re.IGNORECASE)
_WECHAT = re.compile(r"(?:微信号?|威信|薇信|v信|vx|wx|weixin|wechat)\s*号?\s*[:：]?\s*(?:是\s*)?"
                     r"(?:[A-Za-z][-_A-Za-z0-9]{4,19}|[0-9]{5,12})(?![A-Za-z0-9])", re.IGNORECASE)
_QQ = re.compile(r"(?:qq|扣扣|企鹅)\s*号?\s*[:：]?\s*(?:是\s*)?[0-9]{5,12}(?![0-9])", re.IGNORECASE)
_PLATE = re.compile(r"(?:车牌号?\s*[:：]?\s*)?[" + _PROVINCES + r"]\s?[A-HJ-NP-Z]\s?[·•.\-\s]?\s?[A-HJ-NP-Z0-9]{5,6}"
                    r"(?![A-Za-z0-9])", re.IGNORECASE)

_BUILDING = r"[0-9]{1,3}\s*(?:#\s*)?(?:幢|栋|号楼|号院|号门|座|栋楼|#)"
_UNIT = r"[0-9]{1,2}\s*(?:单元|门|号门)"
_FLOOR = r"[0-9]{1,2}\s*(?:楼|层)(?![0-9]{0,2}\s*(?:盘|梯|道|下|上))"
_ROOM = r"[0-9]{3,4}(?!\s*(?:年|月|日|元|块|斤|个|人|岁|米|度|克|次|袋|件))\s*(?:室|房|号房|号|户)?"
_ROAD = _NAME_CHAR + r"{1,6}(?:路|街|大街|大道|巷|弄|胡同)\s*[0-9]{1,4}\s*(?:号院|号|弄)(?:\s*[0-9]{1,4}\s*号)?"
_ADDRESS = re.compile(
    r"(?:" + _ROAD + r"|" + _BUILDING + r"|" + _NAME_CHAR + r"{1,4}村\s*[0-9]{1,2}\s*组"
    + r"|(?<![0-9])[0-9]{1,3}\s*[-]\s*[0-9]{1,2}\s*[-]\s*[0-9]{3,4}(?![0-9])"
    + r"|(?<![0-9])[0-9]{3,4}\s*(?:室|号房)"
    + r"|(?<![0-9])" + _UNIT + r")"
    + r"(?:\s*-?\s*(?:" + _BUILDING + r"|" + _UNIT + r"|" + _FLOOR + r"|(?<![0-9])" + _ROOM + r"(?![0-9])))*")
# 5-101 is a building and a room only where someone lives there: after 住/家/址/在 or before 室/房.
_DASH_ROOM = re.compile(r"(?:(?<=住)|(?<=家)|(?<=址)|(?<=在)|(?<=住在))\s*[0-9]{1,3}\s*-\s*[0-9]{3,4}(?![0-9])"
                        r"|(?<![0-9])[0-9]{1,3}\s*-\s*[0-9]{3,4}\s*(?:室|房)")
_BUILDING_UNIT_ROOM = re.compile(r"[0-9]{1,3}\s*-\s*[0-9]{1,2}\s*-\s*[0-9]{3,4}")
_COMPOUND = re.compile(_NAME_CHAR + r"{2,6}(?:小区|花园|家园|新村|公寓|名苑|雅苑|苑|华庭|公馆|山庄|嘉园|名邸|大厦|新城)")


def _numbers(folded: Folded) -> list[Finding]:
    """Runs of digits, however spaced: phones, ID numbers, bank cards and any other long number."""
    found = []
    for match in _DIGIT_RUN.finditer(folded.text):
        raw = match.group()
        if _BUILDING_UNIT_ROOM.fullmatch(raw):  # 22-3-1801 is a flat, left to the address patterns
            continue
        body = re.sub(_PHONE_PREFIX, "", raw, count=1, flags=re.IGNORECASE)
        digits = re.sub(r"[^0-9Xx]", "", body).upper()
        if _DATE.match(body.strip()) or len(digits) < 7:
            continue
        kind = _classify(digits)
        start = match.start()
        if kind != "phone" and body != raw:  # keep the word 电话 only before a phone's placeholder
            start = match.start() + raw.index(body)
        found.append(Finding(*folded.span(start, match.end()), kind))
    for match in phonenumbers.PhoneNumberMatcher(folded.text, "CN", leniency=phonenumbers.Leniency.POSSIBLE):
        if _BUILDING_UNIT_ROOM.fullmatch(match.raw_string):
            continue
        start, end = match.start, match.end
        while start < end and not (folded.text[start].isdigit() or folded.text[start] == "+"):
            start += 1  # the matcher keeps an opening bracket: "（138..." must keep its "（"
        while end > start and not folded.text[end - 1].isdigit():
            end -= 1
        if start > 0 and folded.text[start - 1] == "(" and ")" in folded.text[start:end]:
            start -= 1  # (0517)83456789: the bracket belongs to the number
        for before in (r"(?:\+\s*86|0086|86)\s*-?\s*$", _PHONE_PREFIX + "$"):  # +86, then the word 电话
            prefix = re.search(before, folded.text[max(0, start - 12):start], re.IGNORECASE)
            if prefix:
                start -= len(prefix.group())
        if sum(c.isdigit() for c in match.raw_string) >= 7 and not _DATE.match(match.raw_string):
            found.append(Finding(*folded.span(start, end), "phone"))
    return found


def _classify(digits: str) -> str:
    if len(digits) == 18 and digits[:17].isdigit() and ric.calc_check_digit(digits) == digits[-1]:
        return "id_number"
    if "X" in digits:
        return "id_number" if len(digits) == 18 else "number"
    national = digits[2:] if digits.startswith("86") and len(digits) == 13 else digits
    national = national[4:] if national.startswith("0086") else national
    if re.fullmatch(r"1[3-9][0-9]{9}|0[1-9][0-9]{8,10}|[2-9][0-9]{6,7}", national):
        return "phone"
    if 16 <= len(digits) <= 19 and luhn.is_valid(digits):
        return "bank_card"
    if len(digits) in (15, 18):  # an old 15-digit ID has no check digit; an 18-digit one mistyped still is one
        return "id_number"
    return "number"


def _patterns(folded: Folded, places: tuple[str, ...]) -> list[Finding]:
    found = _numbers(folded)
    for pattern, kind in ((_EMAIL, "email"), (_WECHAT, "wechat"), (_QQ, "qq"), (_PLATE, "plate"),
                          (_ADDRESS, "address"), (_DASH_ROOM, "address"), (_COMPOUND, "compound")):
        for match in pattern.finditer(folded.text):
            found.append(Finding(*folded.span(match.start(), match.end()), kind))
    for place in places:
        for match in re.finditer(_spaced(fold(place)), folded.text):
            found.append(Finding(*folded.span(match.start(), match.end()), "compound"))
    for match in _SURNAME_TERM.finditer(folded.text):
        # 王某 still says 王: it goes whole. 李大爷 keeps 大爷.
        term = re.sub(_SEP, "", match.group(2))
        found.append(Finding(*folded.span(match.start(), match.end()), "name" if term.startswith("某") else
                             "kinship", keep_prefix="" if term.startswith("某") else term))
    return found


def _spaced(word: str) -> str:
    """A pattern for a word with any spaces or separators typed between its characters."""
    return (_SEP + "{0,3}").join(re.escape(c) for c in word if not c.isspace())


_KINSHIP = "(" + "|".join(_spaced(term) for term in KINSHIP) + ")"
_SURNAME_TERM = re.compile("(" + "|".join(_spaced(s) for s in COMPOUND_SURNAMES) + "|[" + "".join(sorted(SURNAMES))
                           + "])" + _SEP + "{0,3}(某{1,2}|" + _KINSHIP[1:])


# ---------------------------------------------------------------- the household's own facts


def _split_name(name: str) -> tuple[str, str]:
    for surname in COMPOUND_SURNAMES:
        if name.startswith(surname) and len(name) > len(surname):
            return surname, name[len(surname):]
    return (name[:1], name[1:]) if len(name) >= 2 else ("", name)


def _address_parts(address: str) -> dict[str, str]:
    """The compound, road, building and room of an address as typed in the household's record."""
    text = re.sub(r"\s+", "", fold(address))
    parts: dict[str, str] = {}
    head = re.split(r"[0-9]", text, maxsplit=1)[0]
    head = re.sub(r"^.*(?:省|市|(?<!小)区|县|镇|街道)", "", head)  # the city and community are public anyway
    if len(head) >= 2 and not re.search(r"(?:路|街|大道|巷|弄)$", head):
        parts["compound"] = head
        short = re.sub(r"(?:小区|花园|家园|新村|公寓|苑)$", "", head)
        if len(short) >= 2 and short != head:  # 阳光花园 is also written 阳光
            parts["compound_short"] = short
    room = re.search(r"([0-9]{3,4})(?:室|房|号房|户)?$", text)
    if room:
        parts["room"] = room.group(1)
    building = re.search(r"([0-9]{1,3})(?:幢|栋|号楼|座|#)", text) or re.match(r".*?([0-9]{1,3})-[0-9]", text)
    if building:
        parts["building"] = building.group(1)
    return parts


# 302 alone is the household's room, but not in 302元 or 302袋.
_NOT_A_QUANTITY = r"(?![0-9]|\s*(?:元|块|年|斤|克|米|毫|公里|ml|kg|g|个|袋|件|只|人))"


def household_findings(folded: Folded, facts: HouseholdFacts) -> list[Finding]:
    """Everything in the text that is this household's own name, phone or address, in any form."""
    found: list[Finding] = []

    def add(pattern: str, kind: str, **extra) -> None:
        for match in re.finditer(pattern, folded.text, re.IGNORECASE):
            found.append(Finding(*folded.span(match.start(), match.end()), kind, own=True, **extra))

    name = re.sub(r"[\s·.•]", "", fold(facts.name))
    if len(name) >= 2:
        surname, given = _split_name(name)
        kinship = _KINSHIP
        for match in re.finditer("(?:" + _spaced(name) + ("|" + _spaced(given) if len(given) >= 2 else "") + ")"
                                 + r"\s*" + kinship, folded.text):
            found.append(Finding(*folded.span(match.start(), match.end()), "kinship", own=True,
                                 keep_prefix=re.sub(_SEP, "", match.group(1))))
        add(_spaced(name), "name")
        if len(given) >= 2:
            add(_spaced(given), "name")
        if surname:
            for match in re.finditer(f"(?:老|小|阿){re.escape(surname)}", folded.text):  # 老李, 小王
                word = folded.text[match.start():match.end() + 1]
                if match.group() not in _COMMON_WORDS and word not in _COMMON_WORDS:
                    found.append(Finding(*folded.span(match.start(), match.end()), "name", own=True))
            for match in re.finditer(_spaced(surname) + r"\s*(老)(?![人伴师家年旧化实板鼠乡式房是大太爷奶先])",
                                     folded.text):  # 李老, the honorific
                found.append(Finding(*folded.span(match.start(), match.end()), "kinship", own=True,
                                     keep_prefix="老"))
            for match in re.finditer(_spaced(surname) + r"\s*" + kinship, folded.text):
                found.append(Finding(*folded.span(match.start(), match.end()), "kinship", own=True,
                                     keep_prefix=re.sub(_SEP, "", match.group(1))))
    phone = re.sub(r"[^0-9]", "", fold(facts.phone))
    if phone.startswith("86") and len(phone) == 13:
        phone = phone[2:]
    if len(phone) >= 7:
        add(r"(?:(?:\+|00)?86" + _SEP + r"{0,2})?" + (_SEP + "{0,3}").join(phone) + r"(?![0-9])", "phone")
    if facts.address.strip():
        add(_spaced(re.sub(r"\s+", "", fold(facts.address))), "address")
        parts = _address_parts(facts.address)
        for key in ("compound", "compound_short"):
            if key in parts:
                add(_spaced(parts[key]), "compound")
        if "room" in parts:
            add(r"(?<![0-9.])" + (_SEP + "{0,2}").join(parts["room"]) + _NOT_A_QUANTITY, "address")
        if "building" in parts:
            add(r"(?<![0-9])" + parts["building"] + r"\s*(?:幢|栋|号楼|座|#|\s*-\s*[0-9]{1,4}(?![0-9]))", "address")
    return found


# ---------------------------------------------------------------- putting it together


def _merge(findings: list[Finding], folded_original: str) -> list[Finding]:
    """Overlapping or touching findings become one; an address next to a compound reads as one place."""
    merged: list[Finding] = []
    for f in sorted(findings, key=lambda f: (f.start, -f.end)):
        if merged:
            last = merged[-1]
            gap = folded_original[last.end:f.start]
            places = {"address", "compound"}
            touching = f.start < last.end or (not gap.strip() and last.kind in places and f.kind in places)
            if touching:
                kind = min(last.kind, f.kind, key=_RANK.index)
                if {last.kind, f.kind} == {"address", "compound"}:
                    kind = "address"
                keep = last.keep_prefix if kind == last.kind else f.keep_prefix
                if kind == "kinship" and last.kind == "kinship" and f.kind == "kinship":
                    keep = last.keep_prefix if last.end >= f.end else f.keep_prefix
                merged[-1] = Finding(last.start, max(last.end, f.end), kind, own=last.own or f.own,
                                     keep_prefix=keep)
                continue
        merged.append(f)
    return merged


def find(text: str, facts: HouseholdFacts = HouseholdFacts(), *,
         places: tuple[str, ...] = KNOWN_COMPOUNDS) -> list[Finding]:
    """Every stretch of `text` that would identify the household, in order, without overlaps."""
    if not text:
        return []
    folded = Folded(text)
    findings = _patterns(folded, places) + household_findings(folded, facts)
    return _merge(findings, text)


def redact(text: str, facts: HouseholdFacts = HouseholdFacts(), *,
           places: tuple[str, ...] = KNOWN_COMPOUNDS, only_own: bool = False) -> str:
    """The text with every finding (or only the household's own) replaced by a neutral Chinese placeholder."""
    out, last = [], 0
    for f in find(text, facts, places=places):
        if only_own and not f.own:
            continue
        out += [text[last:f.start], f.replacement]
        last = f.end
    out.append(text[last:])
    return "".join(out)
