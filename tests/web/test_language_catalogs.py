"""The gettext catalogs: in step with the sources (so `make catalogs` keeps every word), complete in both
languages, and a translation keeps the placeholders its page fills in."""

import re
import string
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "platform" / "tongxin" / "locales"
KEYWORDS = re.findall(r"-k (\S+)", (ROOT / "Makefile").read_text().split("BABEL_KEYWORDS :=")[1].splitlines()[0])
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def catalog(locale: str):
    with (LOCALES / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=locale)


def entries(found) -> dict:
    return {(m.context, m.id): m.string for m in found if m.id}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    arguments = ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "--no-location", "-o", str(pot)]
    for keyword in KEYWORDS:
        arguments += ["-k", keyword]
    CommandLineInterface().run([*arguments, str(ROOT / "platform" / "tongxin")])
    with pot.open("rb") as template:
        return entries(read_po(template))


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_word_the_pages_ask_for_is_in_the_catalog(extracted, locale):
    missing = sorted(set(extracted) - set(entries(catalog(locale))), key=str)
    assert not missing, f"run `make catalogs` and translate: {missing}"


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_no_catalog_word_would_be_dropped_by_pybabel_update(extracted, locale):
    unknown = sorted(set(entries(catalog(locale))) - set(extracted), key=str)
    assert not unknown, f"no source asks for these (a key built at run time needs K_()/N_() in web/i18n.py): {unknown}"


def test_english_translates_every_word_and_chinese_every_key():
    english, chinese = entries(catalog("en")), entries(catalog("zh_CN"))
    # English pages show a domain error's own English message; only other languages translate error codes.
    untranslated = [k for k, text in english.items() if not text and k[0] != "error"]
    assert not untranslated, untranslated
    # the one Chinese word of the English pages: the switch back to Chinese, in its own language
    assert [k for k, text in english.items() if CHINESE.search(text)] == [(None, "language")]
    # a key's Chinese has Chinese characters, except Babel's date patterns, separators and the switch to English
    keys_without_chinese = [k for k, text in chinese.items() if not CHINESE.search(k[1]) and not CHINESE.search(text)
                            and not re.search(r"_(pattern|separator)$", k[1]) and k != (None, "language")]
    assert not keys_without_chinese, keys_without_chinese


def test_a_translation_keeps_the_placeholders_its_page_fills_in():
    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}

    chinese = entries(catalog("zh_CN"))
    for key, english in entries(catalog("en")).items():
        source = chinese.get(key) or key[1]
        if english:
            assert fields(english) == fields(source), (key, source, english)
