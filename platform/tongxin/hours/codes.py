"""Rotating check-in codes: a signed token per occurrence and 30-second window, never stored.

The QR holds a link with the token `<occurrence>.<window>.<signature>`; the short code is six digits drawn
from the same HMAC, typed on the volunteer's phone next to the occurrence it belongs to. A code is accepted
in its own window and the next one (up to a minute old), so a code read just before it turns still works.
A volunteer's personal code (for the organizer to type when a phone cannot scan) works the same way.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

ROTATE_SECONDS = 30
# A code read in its last second must still pass on a slow network: accept the previous window too.
GRACE_WINDOWS = 1


def window_of(now: datetime) -> int:
    """The 30-second window `now` falls in."""
    return int(now.timestamp()) // ROTATE_SECONDS


def _mac(secret_key: str, purpose: str, subject: int, window: int) -> bytes:
    message = f"tongxin-{purpose}:{subject}:{window}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).digest()


def _signature(mac: bytes) -> str:
    return base64.b32encode(mac[:10]).decode().rstrip("=")


def _digits(mac: bytes) -> str:
    return f"{int.from_bytes(mac[10:14], 'big') % 1_000_000:06d}"


def occurrence_code(*, secret_key: str, occurrence_id: int, now: datetime) -> dict:
    """What the organizer's screen shows now: the QR token, the six-digit code and when they turn."""
    window = window_of(now)
    mac = _mac(secret_key, "check-in", occurrence_id, window)
    turns_in = ROTATE_SECONDS - int(now.timestamp()) % ROTATE_SECONDS
    return {"token": f"{occurrence_id}.{window}.{_signature(mac)}", "short_code": _digits(mac),
            "window": window, "seconds_left": turns_in}


def parse_token(token: str) -> tuple[int, int, str] | None:
    """(occurrence, window, signature) of a QR token, or None when it is not shaped like one."""
    parts = token.strip().split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    return int(parts[0]), int(parts[1]), parts[2].upper()


def _recent_windows(now: datetime) -> list[int]:
    current = window_of(now)
    return [current - back for back in range(GRACE_WINDOWS + 1)]


def check_occurrence_code(*, secret_key: str, occurrence_id: int, code: str, now: datetime) -> str:
    """"ok", "expired" (signed by us but too old) or "forged" (not ours, or for another occurrence).
    `code` is either the QR token or the six-digit short code."""
    code = code.strip()
    parsed = parse_token(code)
    if parsed is not None:
        token_occurrence, window, signature = parsed
        if token_occurrence != occurrence_id:
            return "forged"
        mac = _mac(secret_key, "check-in", occurrence_id, window)
        if not hmac.compare_digest(_signature(mac), signature):
            return "forged"
        return "ok" if window in _recent_windows(now) else "expired"
    if len(code) != 6 or not code.isdigit():
        return "forged"
    for window in _recent_windows(now):
        if hmac.compare_digest(_digits(_mac(secret_key, "check-in", occurrence_id, window)), code):
            return "ok"
    # Six digits cannot say how old they are: an old code reads the same as a wrong one.
    for back in range(GRACE_WINDOWS + 1, GRACE_WINDOWS + 11):
        if hmac.compare_digest(_digits(_mac(secret_key, "check-in", occurrence_id, window_of(now) - back)), code):
            return "expired"
    return "forged"


def personal_code(*, secret_key: str, volunteer_id: int, now: datetime) -> str:
    """A volunteer's own six-digit code for this window (the organizer types it to check them in)."""
    return _digits(_mac(secret_key, "personal", volunteer_id, window_of(now)))


def check_personal_code(*, secret_key: str, volunteer_id: int, code: str, now: datetime) -> bool:
    """Whether `code` is the volunteer's personal code of this window or the previous one."""
    return any(hmac.compare_digest(_digits(_mac(secret_key, "personal", volunteer_id, w)), code.strip())
               for w in _recent_windows(now))


def device_key(device: str) -> str:
    """The stored form of a phone's device cookie: a short hash, never the cookie itself."""
    return hashlib.sha256(device.encode()).hexdigest()[:24] if device else ""


def qr_svg(url: str, title: str = "签到二维码") -> str:
    """A QR code as inline SVG markup (no script, no image request: fine under a strict CSP), `title` read out
    by screen readers."""
    import io

    import segno

    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=6, border=2, xmldecl=False, svgns=True,
                                    title=title, svgclass="qr", lineclass=None, omitsize=True)
    return out.getvalue().decode()
