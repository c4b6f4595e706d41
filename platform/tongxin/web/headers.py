"""Security headers on every answer: CSP without inline script, no framing, nosniff, HSTS, no-store.

A `before_send` hook (not `after_request` or route middleware) so that error pages, static files, 404s from
the router and answers written by exception handlers get the same headers as handler responses.
"""

from __future__ import annotations

from litestar.types import Message, Scope

# Scripts only from our own static files (htmx and tongxin.js): an injected <script> or on*= handler never
# runs. Inline style attributes stay allowed (templates use a few, and htmx adds its indicator style).
PAGE_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
# Swagger UI (Litestar's plugin) is one page of documentation without user data, drawn by an inline
# bootstrap script and the swagger-ui bundle from jsDelivr; only it gets those allowances.
DOCS_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
    "img-src 'self' data: https://cdn.jsdelivr.net",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
))
HSTS = "max-age=31536000; includeSubDomains"
DOCS_PREFIX = "/schema"
STATIC_PREFIX = "/static/"


def security_headers(path: str, *, development: bool) -> dict[str, str]:
    """The headers every answer to `path` carries (HSTS only outside development, no-store outside /static)."""
    headers = {
        "Content-Security-Policy": DOCS_POLICY if path.startswith(DOCS_PREFIX) and path != DOCS_PREFIX + "/openapi.json"
        else PAGE_POLICY,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        # The calendar feed's secret is in its URL: never send paths to other sites.
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
        # The check-in page scans the organizer's QR with the camera and may attach the phone's position.
        "Permissions-Policy": "camera=(self), microphone=(), geolocation=(self)",
    }
    if not development:
        headers["Strict-Transport-Security"] = HSTS
    if not path.startswith(STATIC_PREFIX):
        # Signed-in pages and API answers are private: Back after sign-out on a shared phone must not show
        # them, and no proxy may keep them. Public pages change with the session too, so all are no-store.
        headers["Cache-Control"] = "no-store"
    return headers


def _raw_headers(path: str, development: bool) -> tuple[tuple[bytes, bytes], ...]:
    """`security_headers` as ASGI header pairs, built once per kind of path (docs, static, the rest)."""
    key = (path.startswith(DOCS_PREFIX) and path != DOCS_PREFIX + "/openapi.json", path.startswith(STATIC_PREFIX),
           development)
    found = _RAW.get(key)
    if found is None:
        found = _RAW[key] = tuple((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in
                                  security_headers(path, development=development).items())
    return found


_RAW: dict[tuple[bool, bool, bool], tuple[tuple[bytes, bytes], ...]] = {}
_CACHE_CONTROL = b"cache-control"


def security_headers_hook(development: bool):
    """A `before_send` hook for `Litestar(before_send=[...])`: it sees every answer, error pages included.
    Our Cache-Control replaces the answer's own; the other headers are added where the answer has none."""

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        # Plain header pairs, one pass: Litestar's header mapping scans the list again for every name set,
        # which cost a third of a small answer's CPU.
        headers = list(message.get("headers") or ())
        present = {bytes(name).lower() for name, _ in headers}
        for name, value in _raw_headers(scope.get("path", ""), development):
            if name == _CACHE_CONTROL:
                if name in present:
                    headers = [pair for pair in headers if bytes(pair[0]).lower() != name]
                headers.append((name, value))
            elif name not in present:
                headers.append((name, value))
        message["headers"] = headers

    return add_headers
