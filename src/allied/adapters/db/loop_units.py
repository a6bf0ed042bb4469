"""Units of work that wait for PostgreSQL on the event loop instead of in a thread.

The API's pledges are made by one batch at a time per process (see
:mod:`allied.entrypoints.api.fast.batching`), a dozen round trips each. In a worker thread,
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
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.pool import StaticPool

from allied.adapters.db.engine import close_connections, libpq_conninfo
from allied.adapters.db.repository import session_info
from allied.adapters.db.repository_users import SqlServiceUnitOfWork
from allied.adapters.db.tables_users import start_user_mappers
from allied.adapters.loops import PerLoop
from allied.domain.errors import StorageError

T = TypeVar("T")


class _Bound:
    """The async engine of one event loop, over one connection it opens (again after it
    broke)."""

    def __init__(self, url: URL) -> None:
        self.opened: list[Any] = []

        async def connect() -> Any:
            import psycopg

            close_connections(self.opened)  # a connection that broke is replaced
            conn = await psycopg.AsyncConnection.connect(libpq_conninfo(url), connect_timeout=10)
            self.opened.append(conn)
            return conn

        self.engine: AsyncEngine = create_async_engine(
            url, async_creator=connect, poolclass=StaticPool
        )

    def close(self) -> None:
        close_connections(self.opened)


#: Longest a read on the loop's pool may take (ms) before PostgreSQL cancels it.
READ_TIMEOUT_MS = 10_000


class _BoundReads:
    """The async engine of one event loop for reads: a pool of ``size`` connections it
    opens, in autocommit (each statement reads its own snapshot, with no ``BEGIN`` or
    ``ROLLBACK`` round trips)."""

    def __init__(self, url: URL, size: int, timeout_ms: int = READ_TIMEOUT_MS) -> None:
        self.opened: list[Any] = []

        async def connect() -> Any:
            import psycopg

            self.opened[:] = [c for c in self.opened if not c.closed]
            conn = await psycopg.AsyncConnection.connect(
                libpq_conninfo(url),
                connect_timeout=10,
                autocommit=True,
                # every list page of the loop may wait for one of these reads (the
                # holdings): a read held up (a table locked by a migration) fails, not
                # hangs them all
                options=f"-c statement_timeout={timeout_ms}",
            )
            self.opened.append(conn)
            return conn

        self.engine: AsyncEngine = create_async_engine(
            url,
            async_creator=connect,
            # no overflow: a connection opened for a burst and closed after it cost more
            # than waiting for one of the pool
            pool_size=size,
            max_overflow=0,
            pool_timeout=10,
            isolation_level="AUTOCOMMIT",
        )

    def close(self) -> None:
        close_connections(self.opened)


class EventLoopUnits:
    """Runs work on a :class:`SqlServiceUnitOfWork` whose I/O is awaited on the calling
    event loop (PostgreSQL only; :attr:`available`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._bound: PerLoop[_Bound] = PerLoop(lambda _: _Bound(engine.url), drop=_Bound.close)
        start_user_mappers()
        # an app dropped without shutting down still closes its connections
        weakref.finalize(self, self._bound.clear)

    @property
    def available(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    async def run(
        self, work: Callable[[SqlServiceUnitOfWork], T], *, lock_ledger: bool = True
    ) -> T:
        """``work(uow)`` with a unit of work on this loop's connection (one at a time per
        loop: the caller runs one batch at a time)."""
        bound = self._bound.get(asyncio.get_running_loop())
        # the writers' checkpoint policy of the engine, as its own sessions carry it (a
        # change that crosses a multiple of its entries, or the day's first, signs one)
        async with AsyncSession(
            bound.engine, expire_on_commit=False, autoflush=True, info=session_info(self.engine)
        ) as s:
            return await s.run_sync(
                lambda session: work(SqlServiceUnitOfWork(lambda: session, lock_ledger=lock_ledger))
            )

    def close(self) -> None:
        """Close every connection opened (from any thread; the engines are dropped)."""
        self._bound.clear()


class EventLoopReads:
    """Runs read-only work whose single statements are awaited on the calling event loop
    (PostgreSQL only; :attr:`available`), several at once.

    For the sums a list page shows (committed and pledged quantities), recomputed after
    every pledge: in a worker thread each took a pooled connection (a ping), a ``BEGIN``,
    the query and a ``ROLLBACK``, each round trip ending by waiting for the GIL held by
    the busy event loop. Here it is one round trip, awaited on the loop. Each statement
    reads its own snapshot: give it work of one statement, or work that does not need
    one snapshot across its statements.
    """

    def __init__(
        self, engine: Engine, pool_size: int = 8, timeout_ms: int = READ_TIMEOUT_MS
    ) -> None:
        self.engine = engine
        self._bound: PerLoop[_BoundReads] = PerLoop(
            lambda _: _BoundReads(engine.url, pool_size, timeout_ms), drop=_BoundReads.close
        )
        start_user_mappers()
        weakref.finalize(self, self._bound.clear)

    @property
    def available(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    async def run(self, work: Callable[[SqlServiceUnitOfWork], T]) -> T:
        """``work(uow)`` on a pooled connection of this loop. No ping before each use:
        when a connection is found broken (a server restart; it is dropped with the rest
        of the pool), the work, a read, is tried once more on a new one. Other failures
        (a query error, no connection free within the pool's timeout) are not retried."""
        bound = self._bound.get(asyncio.get_running_loop())
        try:
            return await self._run(bound, work)
        except (StorageError, DBAPIError) as exc:
            # the unit of work answers StorageError; the driver's error is its context
            cause = exc if isinstance(exc, DBAPIError) else exc.__context__
            if not (isinstance(cause, DBAPIError) and cause.connection_invalidated):
                raise
        return await self._run(bound, work)

    @staticmethod
    async def _run(bound: _BoundReads, work: Callable[[SqlServiceUnitOfWork], T]) -> T:
        async with AsyncSession(bound.engine, expire_on_commit=False, autoflush=False) as s:
            return await s.run_sync(lambda session: work(SqlServiceUnitOfWork(lambda: session)))

    def close(self) -> None:
        """Close every connection opened (from any thread; the engines are dropped)."""
        self._bound.clear()
