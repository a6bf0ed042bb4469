"""What every request handler needs: the store, the clock and the options of one app."""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

from allied.adapters.db.loop_units import EventLoopReads, EventLoopUnits
from allied.adapters.db.repository_users import (
    SqlIdempotencyStore,
    SqlServiceUnitOfWork,
    read_engine,
    service_sessions,
)
from allied.bootstrap import Store
from allied.domain.errors import InvalidInput
from allied.entrypoints.api.fast.batching import WriteBatcher
from allied.entrypoints.api.fast.fanout import THREADS, FanOut
from allied.entrypoints.api.fast.holdings import LiveHoldings
from allied.entrypoints.api.fast.store import AnswerStore, VersionedCache
from allied.service import access

T = TypeVar("T")

#: The largest page any list route serves, whatever the options say.
HARD_MAX_PAGE = 1000


@dataclass(frozen=True)
class ApiOptions:
    """Limits of the API (``ALLIED_API_MAX_BODY_BYTES``, ``ALLIED_API_MAX_PAGE_SIZE``)."""

    max_body_bytes: int = 64 * 1024
    max_page_size: int = 200
    default_page_size: int = 50
    #: read results kept per process, keyed by the data version (0: no cache)
    cache_size: int = 2048
    #: most bytes of JSON bodies kept in that cache
    cache_bytes: int = 64 << 20
    #: most writes (pledges, amendments, lifecycle moves) made in one transaction (group
    #: commit; 1: each alone)
    pledge_batch: int = 50

    def __post_init__(self) -> None:
        if self.max_body_bytes < 1:
            raise InvalidInput("must be positive", field="max_body_bytes")
        if not 1 <= self.max_page_size <= HARD_MAX_PAGE:
            raise InvalidInput(f"must be from 1 to {HARD_MAX_PAGE}", field="max_page_size")
        if self.cache_size < 0:
            raise InvalidInput("must not be negative", field="cache_size")
        if self.cache_bytes < 0:
            raise InvalidInput("must not be negative", field="cache_bytes")
        if not 1 <= self.pledge_batch <= HARD_MAX_PAGE:
            raise InvalidInput(f"must be from 1 to {HARD_MAX_PAGE}", field="pledge_batch")
        if not 1 <= self.default_page_size <= self.max_page_size:
            raise InvalidInput("must be from 1 to max_page_size", field="default_page_size")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ApiOptions:
        env = os.environ if environ is None else environ
        values = {}
        for name, var in (
            ("max_body_bytes", "ALLIED_API_MAX_BODY_BYTES"),
            ("max_page_size", "ALLIED_API_MAX_PAGE_SIZE"),
            ("cache_size", "ALLIED_API_CACHE_SIZE"),
            ("cache_bytes", "ALLIED_API_CACHE_BYTES"),
            ("pledge_batch", "ALLIED_API_PLEDGE_BATCH"),
        ):
            raw = env.get(var)
            if raw:
                try:
                    values[name] = int(raw)
                except ValueError:
                    raise InvalidInput(f"expected an integer, got {raw!r}", field=var) from None
        return cls(**values)


@dataclass
class AppContext:
    store: Store
    options: ApiOptions
    today: Callable[[], dt.date] = field(default=dt.date.today)

    def __post_init__(self) -> None:
        self.sessions = service_sessions(self.store.engine)
        self._reader = read_engine(self.store.engine)
        self.read_sessions = service_sessions(self._reader)
        #: reports read the read replica when one is configured (ALLIED_READ_DATABASE_URL)
        self._replica = None if self.store.replica is None else read_engine(self.store.replica)
        self.report_sessions = (
            self.read_sessions if self._replica is None else service_sessions(self._replica)
        )
        sqlite = self.store.engine.dialect.name == "sqlite"
        self.writer_lock = threading.RLock() if sqlite else None
        #: a page's independent reads side by side (PostgreSQL; SQLite: in turn)
        self.fan_out = FanOut(0 if sqlite else THREADS)
        self.cache = VersionedCache(
            self._reader, self.options.cache_size, self.options.cache_bytes
        )
        #: whole answers given again by CachedReads, kept apart from the results above
        #: (one per token and query: many of them must not push the shared ones out)
        self.answers = AnswerStore(self.options.cache_size, self.options.cache_bytes)
        self.idempotency = SqlIdempotencyStore(
            self.sessions, read_sessions=self.read_sessions, writer_lock=self.writer_lock
        )
        self.loop_units = EventLoopUnits(self.store.engine)
        self.loop_reads = EventLoopReads(self.store.engine)
        #: the held quantities list pages show, moved along the ledger
        self.holdings = LiveHoldings(self.aread)
        #: the hot writes without an Idempotency-Key, made together (group commit)
        if self.loop_units.available:
            # PostgreSQL: each batch waits for the database on the event loop
            self.writes = WriteBatcher(
                arun=lambda orders: self.loop_units.run(
                    lambda uow: access.write_many(uow, orders)
                ),
                max_batch=self.options.pledge_batch,
            )
        else:
            self.writes = WriteBatcher(
                lambda orders: access.write_many(self.uow(), orders),
                max_batch=self.options.pledge_batch,
            )

    def uow(self) -> SqlServiceUnitOfWork:
        """A unit of work for a change: one at a time, on SQLite by the process's writer
        lock, on PostgreSQL by taking the ledger head first (see
        :class:`SqlServiceUnitOfWork`)."""
        return SqlServiceUnitOfWork(
            self.sessions, writer_lock=self.writer_lock, lock_ledger=self.writer_lock is None
        )

    def read_uow(self) -> SqlServiceUnitOfWork:
        """A unit of work that only reads (on SQLite it never waits for a writer)."""
        return SqlServiceUnitOfWork(self.read_sessions)

    def report_uow(self) -> SqlServiceUnitOfWork:
        """A unit of work that only reads, for reports: on the read replica when one is
        configured (a little behind the primary), else as :meth:`read_uow`."""
        return SqlServiceUnitOfWork(self.report_sessions)

    async def aread(self, work: Callable[[SqlServiceUnitOfWork], T]) -> T:
        """``work`` on a unit of work that only reads, for async code: on PostgreSQL its
        statements are awaited on the event loop, each in its own snapshot (work of one
        statement: :class:`EventLoopReads`); on SQLite in a worker thread."""
        if self.loop_reads.available:
            return await self.loop_reads.run(work)
        return await run_in_threadpool(work, self.read_uow())

    def close(self) -> None:
        self.fan_out.close()
        self.cache.close()
        self.loop_units.close()
        self.loop_reads.close()
        if self.store.engine.dialect.name == "sqlite":  # its own engine (else a view)
            self._reader.dispose()
        if self._replica is not None and self._replica.dialect.name == "sqlite":
            self._replica.dispose()
