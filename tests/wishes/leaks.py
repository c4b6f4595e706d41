"""A leak checker written apart from the redactor: it shares no code or tables with `wishes.redaction`.

It normalises text its own way (NFKC, zhconv's MediaWiki tables for traditional characters, its own numeral
reader, spaces and separators dropped) and then looks for each of the household's facts.
"""

from __future__ import annotations

import re
import unicodedata

import zhconv

_NUMERALS = {"零": 0, "〇": 0, "○": 0, "洞": 0, "一": 1, "幺": 1, "壹": 1, "二": 2, "两": 2, "贰": 2, "三": 3,
             "叁": 3, "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8,
             "九": 9, "玖": 9}
_SEPARATORS = re.compile(r"[\s\-.·•_/—~()（）:：,，、+*]")
KINSHIP_WORDS = ("大爷", "大妈", "大娘", "大伯", "大叔", "大婶", "阿姨", "阿婆", "奶奶", "爷爷", "姥姥", "外婆",
                 "婆婆", "伯伯", "叔叔", "老伯", "老太", "老人", "师傅", "先生", "女士", "同学", "老师", "家")


def _read_numerals(text: str) -> str:
    """Chinese numerals to digits: one digit each (一三八 → 138), or a small number with 十/百 (十二 → 12)."""
    def number(match: re.Match) -> str:
        run = match.group()
        if "十" not in run and "百" not in run:
            return "".join(str(_NUMERALS[c]) for c in run)
        value, current = 0, 0
        for c in run:
            if c == "百":
                value, current = value + (current or 1) * 100, 0
            elif c == "十":
                value, current = value + (current or 1) * 10, 0
            else:
                current = _NUMERALS[c]
        return str(value + current)
    return re.sub("[" + "".join(_NUMERALS) + "十百]+", number, text)


def normalise(text: str) -> str:
    """Width, script, numerals and spacing folded away; separators between digits kept."""
    text = "".join(c for c in unicodedata.normalize("NFKC", text) if unicodedata.category(c) != "Cf")
    text = zhconv.convert(text, "zh-cn")
    return re.sub(r"\s+", "", _read_numerals(text))


def squash(text: str) -> str:
    """`normalise` with every separator gone too, for digits typed in groups."""
    return _SEPARATORS.sub("", normalise(text))


def _windows(secret: str, size: int) -> list[str]:
    return [secret[i:i + size] for i in range(max(len(secret) - size + 1, 1))]


def leaks(text: str, facts: dict) -> list[str]:
    """The household facts that can still be read in `text` (an empty list when none can)."""
    plain, flat, found = normalise(text), squash(text), []
    upper = flat.upper()
    name = re.sub(r"\s", "", facts.get("name", ""))
    if name:
        surname = facts.get("surname", name[:1])
        given = name[len(surname):]
        if name in plain:
            found.append("name")
        if len(given) >= 2 and given in plain:
            found.append("given name")
        if re.search(re.escape(surname) + "(?:" + "|".join(KINSHIP_WORDS) + ")", plain) or \
                re.search("[老小]" + re.escape(surname) + "(?![时心米学区孩])", plain) or \
                re.search(re.escape(surname) + "老(?![人伴师家年])", plain):
            found.append("surname with a kinship term")
    checks = (("phone", 7, flat), ("id_number", 10, upper), ("bank_card", 8, flat))
    for key, size, haystack in checks:
        secret = re.sub(r"[^0-9X]", "", facts.get(key, "").upper())
        if secret.startswith("86") and len(secret) == 13:
            secret = secret[2:]
        if secret and any(w in haystack for w in _windows(secret, size)):
            found.append(key)
    for key in ("email", "wechat", "qq"):
        secret = facts.get(key, "")
        if secret and secret.split("@")[0].upper() in upper:
            found.append(key)
    plate = re.sub(r"[^0-9A-Z]", "", facts.get("plate", "").upper())
    if plate and plate in upper:
        found.append("plate")
    for key in ("compound", "road"):
        if facts.get(key) and squash(facts[key]) in flat:
            found.append(key)
    if facts.get("building") and re.search(rf"(?<![0-9]){facts['building']}(?:幢|栋|号楼|座|#|-[0-9])", plain):
        found.append("building")
    if facts.get("unit") and re.search(rf"(?<![0-9]){facts['unit']}单元", plain):
        found.append("unit")
    if facts.get("room") and re.search(rf"(?<![0-9]){facts['room']}(?![0-9])", plain):
        found.append("room")
    return found
