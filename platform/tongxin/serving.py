"""How `tongxin serve` treats connections: idle keep-alive longer than a proxy's, slow clients cut off,
parsed by httptools when installed (h11 otherwise)."""

from __future__ import annotations

import asyncio
import logging

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - without httptools uvicorn serves with h11
    HttpToolsProtocol = None  # type: ignore[assignment,misc]

from tongxin.settings import Settings

log = logging.getLogger("tongxin.serve")

# Read at import: uvicorn's worker processes import this module afresh and see the same environment.
CLIENT_TIMEOUT_SECONDS = float(Settings.from_env().client_timeout_seconds)


class _ReadDeadline:
    """A timer per connection: the request must arrive whole within `CLIENT_TIMEOUT_SECONDS`."""

    _read_deadline: asyncio.TimerHandle | None = None
    loop: asyncio.AbstractEventLoop

    def _arm(self) -> None:
        self._disarm()
        self._read_deadline = self.loop.call_later(CLIENT_TIMEOUT_SECONDS, self._too_slow)

    def _disarm(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    def _too_slow(self) -> None:
        raise NotImplementedError


class TimelyH11Protocol(_ReadDeadline, H11Protocol):
    """uvicorn's h11 protocol, plus a deadline for receiving each request.

    uvicorn times out only idle keep-alive connections: a client that opens a connection and sends nothing,
    or trickles its headers or body a byte at a time (slowloris), holds a connection forever. Here a request
    must arrive whole within `CLIENT_TIMEOUT_SECONDS` of its first byte (or of the connection opening).
    """

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._read_deadline is None and self.conn.their_state is h11.IDLE:
            self._arm()
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE and self.conn.their_state is not h11.SEND_BODY:
            self._disarm()  # the whole request is in (or the connection is ending)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _too_slow(self) -> None:
        self._read_deadline = None
        if self.transport.is_closing() or self.conn.their_state not in (h11.IDLE, h11.SEND_BODY):
            return
        if self.conn.their_state is h11.IDLE and self.cycle is None and self.conn.our_state is h11.IDLE:
            log.info("closed a connection from %s that sent no request in %ss", _client(self), CLIENT_TIMEOUT_SECONDS)
        else:
            log.info("closed a connection from %s whose request took over %ss", _client(self), CLIENT_TIMEOUT_SECONDS)
        self.transport.close()


if HttpToolsProtocol is not None:
    class TimelyHttpToolsProtocol(_ReadDeadline, HttpToolsProtocol):  # type: ignore[misc,valid-type]
        """The same deadline on uvicorn's httptools protocol, a C parser several times cheaper per request
        than h11: armed when a connection opens and at the first byte of each request, disarmed when the
        request (body included) has arrived."""

        _whole = True  # no request under way

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._whole = False
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self._read_deadline is None and self._whole:
                self._whole = False
                self._arm()
            super().data_received(data)

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._whole = True
            self._disarm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _too_slow(self) -> None:
            self._read_deadline = None
            if self.transport.is_closing() or self._whole:
                return
            log.info("closed a connection from %s whose request did not arrive whole in %ss", _client(self),
                     CLIENT_TIMEOUT_SECONDS)
            self.transport.close()
else:  # pragma: no cover - httptools is a dependency; a bare install still serves with h11
    TimelyHttpToolsProtocol = None  # type: ignore[assignment,misc]


def http_protocol() -> type:
    """The fastest protocol class installed, each with the read deadline."""
    return TimelyHttpToolsProtocol or TimelyH11Protocol


def _client(protocol: H11Protocol) -> str:
    return protocol.client[0] if protocol.client else "?"


def printable(text: object, limit: int = 200) -> str:
    """`text` safe for one log line: control characters (newlines too) escaped, long input cut."""
    value = str(text)
    escaped = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in value[:limit])
    return escaped + ("…" if len(value) > limit else "")
