"""Usernames people cannot be fooled by: NFKC-normalised, no invisible characters, no look-alike letters."""

from __future__ import annotations

import re
import unicodedata

from tongxin.errors import InvalidInput

ALLOWED = re.compile(r"[A-Za-z0-9_.\-@]{3,64}")
# Categories that draw nothing or change how neighbours are drawn: zero-width and bidi controls (Cf),
# control characters (Cc), spaces and separators (Z*), combining marks (M*), unassigned and private use.
_INVISIBLE = ("Cf", "Cc", "Co", "Cn", "Cs", "Zs", "Zl", "Zp", "Mn", "Mc", "Me")


def normalize_username(raw: str) -> str:
    """The form a username is stored and looked up in: NFKC (full-width ｖｏｌ００１ is vol001), trimmed."""
    return unicodedata.normalize("NFKC", raw).strip()


def checked_username(raw: str) -> str:
    """The normalised username for a new account, or `InvalidInput` saying what is wrong with it."""
    name = normalize_username(raw)
    if any(unicodedata.category(ch) in _INVISIBLE for ch in name):
        raise InvalidInput("the username holds an invisible character or a space", field="username",
                           code="username_invisible")
    if any(ch.isalpha() and not ch.isascii() for ch in name):
        # Cyrillic а, Greek ο and friends look like Latin letters: "stаff" would pass for "staff".
        raise InvalidInput("the username holds letters that are not Latin (a-z) and may look like them",
                           field="username", code="username_confusable")
    if not ALLOWED.fullmatch(name):
        raise InvalidInput("a username is 3-64 letters a-z, digits or _ . - @", field="username",
                           code="username_characters")
    return name
