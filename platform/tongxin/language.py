"""People's languages: the gettext catalogs in tongxin/locales and Babel's way of writing numbers and weekdays.

Below every domain, so a service can word a notification in its recipient's language; the pages' own helpers
(labels, error texts, the templates' `t()`) are in tongxin/web/i18n.py on top of this.

A msgid is either a short key ("sign_up", words in both catalogs) or the Chinese words themselves (zh-CN is the
source language: its catalog leaves them untranslated and English translates them). Codes (statuses, error
codes, refusal rules, jobs) are looked up under a msgctxt so a code never collides with a key.

The catalogs are compiled from the .po files when first used (babel.messages), once per process: there is no
build step to forget and no .mo that can go stale beside its .po.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

from babel.dates import get_day_names
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

LANGUAGES = ("zh-CN", "en")
DEFAULT = "zh-CN"
LOCALES_DIR = Path(__file__).resolve().parent / "locales"
# A person's language (cookie value, user.locale) → the catalog's folder under tongxin/locales and Babel's locale.
CATALOG_LOCALE = {"zh-CN": "zh_CN", "en": "en"}
# How a weekday reads in a sentence: 周六 (Chinese says the short name) / Saturday.
WEEKDAY_WIDTH = {"zh-CN": "abbreviated", "en": "wide"}


class _NoWord(NullTranslations):
    """The catalogs' last fallback: a code without words under a context is None, not the code itself."""

    def pgettext(self, context, message):
        return None


@functools.cache
def translations(lang: str) -> Translations:
    """The compiled catalog of a language (zh-CN or en), read once per process."""
    locale = babel_locale(lang)
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=locale)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    found = Translations(compiled, domain="messages")
    found.add_fallback(_NoWord())
    return found


def language_of(value: str | None) -> str:
    """The supported language a cookie, header or account asks for (zh-CN unless it clearly asks for English)."""
    return "en" if value and value.lower().startswith("en") else DEFAULT


def babel_locale(lang: str) -> str:
    """The Babel locale (and catalog folder) for a language."""
    return CATALOG_LOCALE.get(lang, CATALOG_LOCALE[DEFAULT])


def translate(key: str, lang: str, **values) -> str:
    """One message in `lang` (zh-CN or en), formatted with `values`; the key itself if unknown."""
    text = translations(lang).gettext(key)
    return text.format(**values) if values else text


def word(context: str, code: str, lang: str) -> str | None:
    """A code's words under a catalog context (label, error, eligibility, job ...), None when it has none."""
    return translations(lang).pgettext(context, code) or None


def weekday_name(weekday: int, lang: str) -> str:
    """Monday=0 … Sunday=6 as a reader of `lang` says it in a sentence ("周六", "Saturday")."""
    return get_day_names(WEEKDAY_WIDTH.get(lang, "wide"), locale=babel_locale(lang))[weekday]


def number(value, lang: str) -> str:
    """A figure as the reader writes it (Babel: grouping, at most two decimals): 1,234.5 / 0.33."""
    return format_decimal(value, format="#,##0.##", locale=babel_locale(lang))


def listing(items, lang: str) -> str:
    """Several names in one phrase ("理发、急救" / "haircut, first aid")."""
    return translate("list_separator", lang).join(items)


def texts(key: str, **values: str | Callable[[str], str]) -> dict[str, str]:
    """One message in every language, for a notification that is worded when its recipient is known
    (`notify` keeps the recipient's own). A value may be a function of the language (a date, a label)."""
    return {lang: translate(key, lang, **{name: value(lang) if callable(value) else value
                                          for name, value in values.items()})
            for lang in LANGUAGES}
