"""The per-process stores of read results, keyed by the data versions.

Every change in ``allied`` appends to the hash-chained ledger in its own transaction, so
the ledger head's sequence number is a version of all the data: a result computed at
version V is still right while the head is at V. The head also keeps ``records_seq``,
the sequence number of the last change other than an allocation's (a pledge or a move
along the lifecycle): records, memberships and users are unchanged while it is, so their
views (a page of offers without its committed quantities, a nation's memberships, a
token's user) are kept across a burst of pledges and moves.

A key (:mod:`allied.entrypoints.api.fast.keys`) holds everything else a result depends
on (route and parameters, the caller's nation and role, the day), so one caller never
gets another's view. The versions are read once per request, *before* computing, so a
cached result is never older than its key.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar, cast

from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from allied.adapters.db.versions import VersionReader
from allied.entrypoints.api.fast.flight import LeaderCancelled, NextFlight, SingleFlight

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Versions:
    """The data versions at the start of a request."""

    #: the ledger head: moves with every change
    seq: int
    #: the last change other than an allocation's (a pledge or a move)
    records: int


class VersionedStore:
    """Values kept under a key with the version they were computed at: at most ``size``
    entries and ``max_bytes`` of JSON bodies in them, the least recently used going
    first (thread-safe)."""

    def __init__(self, size: int = 2048, max_bytes: int = 64 << 20) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[Hashable, tuple[Hashable, Any, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def lookup(self, key: Hashable, version: Hashable) -> tuple[bool, Any]:
        """``(True, value)`` when ``key`` holds a value computed at ``version`` (a version
        number, or the :class:`Versions` of a whole answer)."""
        with self._lock:
            found = self._items.get(key)
            if found is not None and found[0] == version:
                self._items.move_to_end(key)
                self.hits += 1
                return True, found[1]
        return False, None

    def __contains__(self, key: Hashable) -> bool:
        """Whether ``key`` holds a value, computed at any version."""
        return key in self._items

    def peek(self, key: Hashable) -> tuple[Hashable, Any] | None:
        """``(version, value)`` that ``key`` holds, at whatever version (not counted as a
        hit or a miss)."""
        with self._lock:
            found = self._items.get(key)
        return None if found is None else (found[0], found[1])

    def store(
        self,
        key: Hashable,
        version: Hashable,
        value: Any,
        weight: int | None = None,
        *,
        replacing: Hashable | None = None,
    ) -> None:
        """Keep ``value``; ``weight`` is its size in bytes (by default the length of a
        JSON body, bytes or the body of a whole answer). With ``replacing``, only while
        ``key`` still holds the value of that version (another request may have kept a
        newer one meanwhile)."""
        weight = _weight(value) if weight is None else weight
        with self._lock:
            self.misses += 1
            if weight > self.max_bytes:
                return
            if replacing is not None:
                held = self._items.get(key)
                if held is None or held[0] != replacing:
                    return
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= old[2]
            self._items[key] = (version, value, weight)
            self.bytes += weight
            while len(self._items) > self.size or self.bytes > self.max_bytes:
                self.bytes -= self._items.popitem(last=False)[1][2]


class AnswerStore(VersionedStore):
    """The whole answers of :class:`~allied.entrypoints.api.fast.middleware.CachedReads`."""

    def __init__(self, size: int = 2048, max_bytes: int = 64 << 20) -> None:
        super().__init__(size, max_bytes)
        #: answers completed at newer holdings instead of computed by the app again
        self.completed = 0


class VersionedCache(VersionedStore):
    """The read results of one app (:class:`VersionedStore`), and the versions read for
    each request."""

    def __init__(self, engine: Engine, size: int = 2048, max_bytes: int = 64 << 20) -> None:
        super().__init__(size, max_bytes)
        self.reader = VersionReader(engine)
        self._flights: SingleFlight[Any] = SingleFlight()
        #: results computed afresh for each call, one computation per key at a time
        self.fresh: NextFlight[Any] = NextFlight()

    async def aversions(self) -> Versions:
        """:meth:`versions` for async code: read after the call, shared by the calls that
        come while another read runs (:meth:`VersionReader.aread`)."""
        seq, records = await self.reader.aread()
        return Versions(seq, records)

    def close(self) -> None:
        self.reader.close()

    def get(self, key: Hashable, compute: Callable[[], T], version: int) -> T:
        """The value for ``key`` computed at ``version`` (from :meth:`versions`)."""
        if self.size <= 0:
            return compute()
        hit, found = self.lookup(key, version)
        if hit:
            return cast(T, found)
        value = compute()
        self.store(key, version, value)
        return value

    async def aget(self, key: Hashable, compute: Callable[[], T], version: int) -> T:
        """:meth:`get` for async code: a hit is answered at once, a miss is computed in a
        worker thread (it reads the database)."""
        return await self.aget_from(key, lambda: run_in_threadpool(compute), version)

    async def aget_from(
        self, key: Hashable, make: Callable[[], Awaitable[T]], version: int
    ) -> T:
        """:meth:`aget` with a miss computed by awaiting ``make()``."""
        if self.size <= 0:
            return await make()
        hit, found = self.lookup(key, version)
        if hit:
            return cast(T, found)
        # One computation per key and version: requests that miss while it runs wait for
        # it rather than computing the same thing again (after each pledge every reader
        # of a list misses at once).
        try:
            return cast(
                T,
                await self._flights.share(
                    (key, version), make, keep=lambda value: self.store(key, version, value)
                ),
            )
        except LeaderCancelled:
            return await self.aget_from(key, make, version)  # compute it here instead


def _weight(value: Any) -> int:
    """The bytes of a JSON body (bytes, or a whole answer with its ``body``)."""
    if isinstance(value, bytes):
        return len(value)
    body = getattr(value, "body", None)
    return len(body) if isinstance(body, bytes) else 0


