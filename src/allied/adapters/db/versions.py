"""The data versions (ledger head), read cheaply enough for every request of the API.

Every request of the API starts from two numbers in ``ledger_head`` (see
:mod:`allied.entrypoints.api.fast.store`), read *after* the request arrived, so that it never
sees data older than a change acknowledged before it. The query is a primary-key lookup
that never waits for a row lock (PostgreSQL's readers do not block on writers, nor do
SQLite's under WAL).

:meth:`VersionReader.aread` serves async code: one read in flight per event loop, and
the requests that arrive while it runs share the next one, which starts after they
arrived (so each request still sees every change acknowledged before it, and a burst of
requests costs a read per round trip, not per request). On PostgreSQL the read goes
through an asynchronous connection of its own (outside the pool, in autocommit), so the
event loop serves other requests meanwhile; on SQLite through the pool, in a worker
thread.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from allied.adapters.db.engine import close_connections, libpq_conninfo
from allied.adapters.loops import PerLoop
from allied.domain.errors import StorageError

_VERSIONS_SQL = "SELECT seq, records_seq FROM ledger_head WHERE id = 1"

#: Longest the event loop may wait to connect (s) or for the query (ms); past either the
#: request is answered 503 and the next one tries again.
CONNECT_TIMEOUT_S = 2
STATEMENT_TIMEOUT_MS = 1000

#: ``(seq, records_seq)`` of the ledger head; ``(0, 0)`` before the first change
Versions = tuple[int, int]


def read_versions(engine: Engine) -> Versions:
    """The versions through a pooled connection of ``engine``."""
    with engine.connect() as conn:
        row = conn.execute(text(_VERSIONS_SQL)).first()
    return (0, 0) if row is None else (int(row[0]), int(row[1]))


class VersionReader:
    """Reads the versions for async code; :meth:`close` it on shutdown."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # per event loop: the connection, the read that waits to start, the reader
        self._loops: PerLoop[_LoopState] = PerLoop(lambda _: _LoopState(), drop=_LoopState.close)
        #: reads made by :meth:`aread` (for tests and diagnostics)
        self.async_reads = 0
        # an app dropped without shutting down still closes its connections
        weakref.finalize(self, self._loops.clear)

    @property
    def has_own_connection(self) -> bool:
        """True when reads go through a connection of the reader's own (PostgreSQL)."""
        return self.engine.dialect.name == "postgresql"

    async def aread(self) -> Versions:
        """The versions as read by a query that started after this call (shared with
        the calls that come while another read runs)."""
        loop = asyncio.get_running_loop()
        state = self._loops.get(loop)
        if state.waiting is None:
            state.waiting = loop.create_future()
        answer = state.waiting
        if state.reader is None or state.reader.done():
            state.reader = loop.create_task(self._serve(state))
        return await asyncio.shield(answer)

    async def _serve(self, state: _LoopState) -> None:
        while (answer := state.take_waiting()) is not None:
            # calls from now on wait for the next read
            try:
                versions = await self._aquery_retrying(state)
            except BaseException as exc:
                answer.set_exception(
                    exc if isinstance(exc, Exception) else StorageError("stopped reading")
                )
                answer.exception()  # retrieved: a call cancelled meanwhile leaves it unread
                if not isinstance(exc, Exception):  # the loop is stopping
                    later = state.take_waiting()
                    if later is not None:
                        later.set_exception(StorageError("stopped reading"))
                        later.exception()
                    raise
            else:
                answer.set_result(versions)

    async def _aquery_retrying(self, state: _LoopState) -> Versions:
        try:
            return await self._aquery(state)
        except Exception:  # a broken connection (a server restart...): one new try
            state.close()
        try:
            return await self._aquery(state)
        except Exception as exc:
            state.close()
            raise StorageError(f"cannot read the data version: {type(exc).__name__}") from None

    async def _aquery(self, state: _LoopState) -> Versions:
        self.async_reads += 1
        if not self.has_own_connection:
            # SQLite: a local file read through the (reader) engine's pool
            return await run_in_threadpool(read_versions, self.engine)
        if not state.held or state.held[0].closed:
            import psycopg

            state.close()
            # bounded: a request waits for this, so not long for a lock (a migration's
            # ALTER TABLE), a reconnect or a hung connection
            state.held.append(
                await asyncio.wait_for(
                    psycopg.AsyncConnection.connect(
                        libpq_conninfo(self.engine.url),
                        autocommit=True,
                        connect_timeout=CONNECT_TIMEOUT_S,
                        options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
                        f" -c lock_timeout={STATEMENT_TIMEOUT_MS}",
                    ),
                    CONNECT_TIMEOUT_S + 1,
                )
            )
        cursor = await asyncio.wait_for(
            state.held[0].execute(_VERSIONS_SQL), STATEMENT_TIMEOUT_MS / 1000 + 1
        )
        row = await cursor.fetchone()
        return (0, 0) if row is None else (int(row[0]), int(row[1]))

    def close(self) -> None:
        self._loops.clear()


class _LoopState:
    """What :meth:`VersionReader.aread` keeps per event loop."""

    def __init__(self) -> None:
        self.held: list[Any] = []  # the connection, when open
        self.waiting: asyncio.Future[Versions] | None = None
        self.reader: asyncio.Task[None] | None = None

    def take_waiting(self) -> asyncio.Future[Versions] | None:
        """The calls' shared answer that waits for a read to start, if any (cleared)."""
        waiting, self.waiting = self.waiting, None
        return waiting

    def close(self) -> None:
        close_connections(self.held)
