"""Counting the SQL statements a piece of work sends, on either engine."""

from __future__ import annotations

import contextlib
from typing import Iterator


@contextlib.contextmanager
def statements_sent() -> Iterator[list[str]]:
    """Collect the text of every statement sent to the current database while the block runs."""
    from tongxin.db import current_engine

    engine = current_engine()
    kind = type(engine)
    sent: list[str] = []
    run_querystring, run_ddl = kind.run_querystring, kind.run_ddl

    # PostgresEngine has __slots__: wrap the class's methods and count this engine's statements only.
    async def counted_querystring(self, querystring, *args, **kwargs):
        if self is engine:
            sent.append(str(querystring))
        return await run_querystring(self, querystring, *args, **kwargs)

    async def counted_ddl(self, ddl, *args, **kwargs):
        if self is engine:
            sent.append(str(ddl))
        return await run_ddl(self, ddl, *args, **kwargs)

    kind.run_querystring, kind.run_ddl = counted_querystring, counted_ddl
    try:
        yield sent
    finally:
        kind.run_querystring, kind.run_ddl = run_querystring, run_ddl
