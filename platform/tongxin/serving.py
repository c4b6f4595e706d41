"""How `tongxin serve` treats connections: idle keep-alive longer than a proxy's, slow clients cut off."""

from __future__ import annotations

import asyncio
import logging

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from tongxin.settings import Settings

log = logging.getLogger("tongxin.serve")

# Read at import: uvicorn's worker processes import this module afresh and see the same environment.
CLIENT_TIMEOUT_SECONDS = float(Settings.from_env().client_timeout_seconds)


class TimelyH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, plus a deadline for receiving each request.

    uvicorn times out only idle keep-alive connections: a client that opens a connection and sends nothing,
    or trickles its headers or body a byte at a time (slowloris), holds a connection forever. Here a request
    must arrive whole within `CLIENT_TIMEOUT_SECONDS` of its first byte (or of the connection opening).
    """

    _read_deadline: asyncio.TimerHandle | None = None

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

    def _arm(self) -> None:
        self._disarm()
        self._read_deadline = self.loop.call_later(CLIENT_TIMEOUT_SECONDS, self._too_slow)

    def _disarm(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    def _too_slow(self) -> None:
        self._read_deadline = None
        if self.transport.is_closing() or self.conn.their_state not in (h11.IDLE, h11.SEND_BODY):
            return
        if self.conn.their_state is h11.IDLE and self.cycle is None and self.conn.our_state is h11.IDLE:
            log.info("closed a connection from %s that sent no request in %ss", _client(self), CLIENT_TIMEOUT_SECONDS)
        else:
            log.info("closed a connection from %s whose request took over %ss", _client(self), CLIENT_TIMEOUT_SECONDS)
        self.transport.close()


def _client(protocol: H11Protocol) -> str:
    return protocol.client[0] if protocol.client else "?"


def printable(text: object, limit: int = 200) -> str:
    """`text` safe for one log line: control characters (newlines too) escaped, long input cut."""
    value = str(text)
    escaped = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in value[:limit])
    return escaped + ("…" if len(value) > limit else "")
