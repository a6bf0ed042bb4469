"""The data versions (ledger head), read cheaply enough for every request of the API.

Every request of the API starts from two numbers in ``ledger_head`` (see
:mod:`allied.entrypoints.api.cache`), read *after* the request arrived, so that it never
sees data older than a change acknowledged before it. The query is a primary-key lookup
that never waits for a row lock (PostgreSQL's readers do not block on writers, nor do
SQLite's under WAL).

:meth:`VersionReader.aread` serves async code: one read in flight per event loop, and
the requests that arrive while it runs share the next one, which starts after they
arrived (so each request still sees every change acknowledged before it, and a burst of
requests costs a read per round trip, not per request). On PostgreSQL the read goes
through an asynchronous connection of its own (outside the pool, in autocommit), so the
event loop serves other requests meanwhile; on SQLite through the pool, in a worker
thread. :meth:`VersionReader.read` is the same for synchronous code.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import weakref
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

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
    """Reads the versions on a connection of its own; :meth:`close` it on shutdown."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._held: list[Any] = []  # the connection of read(), when open
        self._aheld: list[Any] = []  # those of aread(), one per event loop
        self._lock = threading.Lock()
        self._loops_lock = threading.Lock()
        # per event loop: the async connection, the read that waits to start, the reader
        self._loops: dict[int, _LoopState] = {}
        #: reads made by :meth:`aread` (for tests and diagnostics)
        self.async_reads = 0
        # an app dropped without shutting down still closes its connections
        weakref.finalize(self, _close_all, self._held, self._aheld)

    @property
    def blocks_briefly(self) -> bool:
        """True when :meth:`read` may be called on an event loop (its own connection)."""
        return self.engine.dialect.name == "postgresql"

    def read(self) -> Versions:
        with self._lock:
            try:
                return self._query()
            except Exception:  # a broken connection (a server restart...): one new try
                self._discard()
            try:
                return self._query()
            except Exception as exc:
                self._discard()
                raise StorageError(f"cannot read the data version: {type(exc).__name__}") from None

    def _query(self) -> Versions:
        if not self.blocks_briefly:
            # SQLite: a local file read through the (reader) engine's pool
            return read_versions(self.engine)
        if not self._held or self._held[0].closed:
            import psycopg

            url = self.engine.url.set(drivername="postgresql")
            self._discard()
            # bounded: this runs on the event loop, which must not wait long for a lock
            # (a migration's ALTER TABLE), a reconnect or a hung connection
            self._held.append(
                psycopg.connect(
                    url.render_as_string(hide_password=False),
                    autocommit=True,
                    connect_timeout=CONNECT_TIMEOUT_S,
                    options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
                    f" -c lock_timeout={STATEMENT_TIMEOUT_MS}",
                )
            )
        row = self._held[0].execute(_VERSIONS_SQL).fetchone()
        return (0, 0) if row is None else (int(row[0]), int(row[1]))

    def _discard(self) -> None:
        _close_all(self._held)

    async def aread(self) -> Versions:
        """The versions as read by a query that started after this call (shared with
        the calls that come while another read runs)."""
        loop = asyncio.get_running_loop()
        with self._loops_lock:  # loops of other threads may ask at the same time
            state = self._loops.get(id(loop))
            if state is None or state.loop is not loop:
                self._forget_closed_loops()
                state = self._loops[id(loop)] = _LoopState(loop)
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
            self._adiscard(state)
        try:
            return await self._aquery(state)
        except Exception as exc:
            self._adiscard(state)
            raise StorageError(f"cannot read the data version: {type(exc).__name__}") from None

    async def _aquery(self, state: _LoopState) -> Versions:
        self.async_reads += 1
        if not self.blocks_briefly:
            return await run_in_threadpool(read_versions, self.engine)
        if state.conn is None or state.conn.closed:
            import psycopg

            self._adiscard(state)
            url = self.engine.url.set(drivername="postgresql")
            # bounded: a request waits for this, so not long for a lock (a migration's
            # ALTER TABLE), a reconnect or a hung connection
            state.conn = await asyncio.wait_for(
                psycopg.AsyncConnection.connect(
                    url.render_as_string(hide_password=False),
                    autocommit=True,
                    connect_timeout=CONNECT_TIMEOUT_S,
                    options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
                    f" -c lock_timeout={STATEMENT_TIMEOUT_MS}",
                ),
                CONNECT_TIMEOUT_S + 1,
            )
            self._aheld.append(state.conn)
        cursor = await asyncio.wait_for(
            state.conn.execute(_VERSIONS_SQL), STATEMENT_TIMEOUT_MS / 1000 + 1
        )
        row = await cursor.fetchone()
        return (0, 0) if row is None else (int(row[0]), int(row[1]))

    def _forget_closed_loops(self) -> None:
        """Close the connections of event loops that ended (a test client runs one per
        request)."""
        for key, state in list(self._loops.items()):
            if state.loop.is_closed():
                self._adiscard(state)
                del self._loops[key]

    def _adiscard(self, state: _LoopState) -> None:
        conn, state.conn = state.conn, None
        if conn is not None:
            with contextlib.suppress(ValueError):
                self._aheld.remove(conn)
            _close_all([conn])

    def close(self) -> None:
        with self._lock, self._loops_lock:
            self._discard()
            for state in self._loops.values():
                self._adiscard(state)
            self._loops.clear()


class _LoopState:
    """What :meth:`VersionReader.aread` keeps per event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.conn: Any = None
        self.waiting: asyncio.Future[Versions] | None = None
        self.reader: asyncio.Task[None] | None = None

    def take_waiting(self) -> asyncio.Future[Versions] | None:
        """The calls' shared answer that waits for a read to start, if any (cleared)."""
        waiting, self.waiting = self.waiting, None
        return waiting


def _is_async(conn: Any) -> bool:
    return type(conn).__name__ == "AsyncConnection"


def _close_all(*lists: list[Any]) -> None:
    """Close the connections, from any thread or event loop (an async connection's socket
    is closed directly: its own ``close`` is a coroutine of the loop that opened it)."""
    for held in lists:
        while held:
            conn = held.pop()
            with contextlib.suppress(Exception):  # already broken
                if _is_async(conn):
                    conn.pgconn.finish()
                else:
                    conn.close()
