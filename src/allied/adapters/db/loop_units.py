"""Units of work that wait for PostgreSQL on the event loop instead of in a thread.

The API's pledges are made by one batch at a time per process (see
:mod:`allied.entrypoints.api.batching`), a dozen round trips each. In a worker thread,
each round trip ends by taking the GIL back from the event loop, which is busy serving
reads: under load that wait (up to Python's 5 ms switch interval each time) made up most
of a batch's time, and the batch holds the ledger head, so every writer of every
process waited too. :class:`EventLoopUnits` runs the same synchronous service code
(:class:`SqlServiceUnitOfWork`) inside SQLAlchemy's ``AsyncSession.run_sync``: the code
runs in a greenlet on the event loop, and each round trip is awaited there, so the loop
serves other requests while PostgreSQL answers and nothing waits for the GIL.

Each event loop gets its own async engine over one connection of its own (an async
connection belongs to the loop that opened it; a test client runs a loop per request),
made on first use; the connections of loops that ended are closed when the next loop
starts, and all by :meth:`EventLoopUnits.close`.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.pool import StaticPool

from allied.adapters.db.repository_users import SqlServiceUnitOfWork
from allied.adapters.db.tables_users import start_user_mappers

T = TypeVar("T")


class _Bound:
    """The async engine of one event loop and the connections it opened."""

    def __init__(self, loop: asyncio.AbstractEventLoop, engine: AsyncEngine) -> None:
        self.loop = loop
        self.engine = engine
        self.opened: list[Any] = []


class EventLoopUnits:
    """Runs work on a :class:`SqlServiceUnitOfWork` whose I/O is awaited on the calling
    event loop (PostgreSQL only; :attr:`available`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._bound: dict[int, _Bound] = {}
        self._opened: list[list[Any]] = []
        self._lock = threading.Lock()
        start_user_mappers()
        weakref.finalize(self, _close_all, self._opened)

    @property
    def available(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    async def run(
        self, work: Callable[[SqlServiceUnitOfWork], T], *, lock_ledger: bool = True
    ) -> T:
        """``work(uow)`` with a unit of work on this loop's connection (one at a time per
        loop: the caller runs one batch at a time)."""
        bound = self._for_loop(asyncio.get_running_loop())
        async with AsyncSession(bound.engine, expire_on_commit=False, autoflush=True) as s:
            return await s.run_sync(
                lambda session: work(SqlServiceUnitOfWork(lambda: session, lock_ledger=lock_ledger))
            )

    def _for_loop(self, loop: asyncio.AbstractEventLoop) -> _Bound:
        with self._lock:  # loops of other threads may ask at the same time
            return self._for_loop_locked(loop)

    def _for_loop_locked(self, loop: asyncio.AbstractEventLoop) -> _Bound:
        bound = self._bound.get(id(loop))
        if bound is not None and bound.loop is loop:
            return bound
        for key, old in list(self._bound.items()):
            if old.loop.is_closed():
                _close_all([old.opened])
                self._opened.remove(old.opened)
                del self._bound[key]
        opened: list[Any] = []
        url = self.engine.url

        async def connect() -> Any:
            import psycopg

            _close_all([opened])  # a connection that broke is replaced
            conn = await psycopg.AsyncConnection.connect(
                url.set(drivername="postgresql").render_as_string(hide_password=False),
                connect_timeout=10,
            )
            opened.append(conn)
            return conn

        engine = create_async_engine(url, async_creator=connect, poolclass=StaticPool)
        bound = self._bound[id(loop)] = _Bound(loop, engine)
        bound.opened = opened
        self._opened.append(opened)
        return bound

    def close(self) -> None:
        """Close every connection opened (from any thread; the engines are dropped)."""
        with self._lock:
            _close_all(self._opened)
            self._bound.clear()


def _close_all(lists: list[list[Any]]) -> None:
    """Close the connections; an async connection's socket is closed directly (its own
    ``close`` is a coroutine of the loop that opened it)."""
    for held in lists:
        while held:
            conn = held.pop()
            with contextlib.suppress(Exception):  # already broken
                conn.pgconn.finish()
