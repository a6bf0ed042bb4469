"""A per-process cache of read results, keyed by the data versions.

Every change in ``allied`` appends to the hash-chained ledger in its own transaction, so
the ledger head's sequence number is a version of all the data: a result computed at
version V is still right while the head is at V. The head also keeps ``records_seq``,
the sequence number of the last change other than a pledge: records, memberships and
users are unchanged while it is, so their views (a page of offers without its committed
quantities, a nation's memberships, a token's user) are kept across a burst of pledges.

A key holds everything else a result depends on (route and parameters, the caller's
nation and role, the day), so one caller never gets another's view. The versions are
read once per request, *before* computing, so a cached result is never older than its
key.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar, cast

from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from allied.adapters.db.versions import VersionReader
from allied.service.holdings import Holdings

T = TypeVar("T")

#: scope keys shared with :mod:`allied.entrypoints.api.fastread`: the versions it read,
#: the digest of the token the application authenticated, and the mark of a cached answer
VERSIONS_KEY = "allied.versions"
DIGEST_KEY = "allied.token_digest"
CACHED_MARK = "allied.cached"
#: scope key of an answer's :data:`Completer`
COMPLETER_KEY = "allied.completer"


@dataclasses.dataclass(frozen=True)
class Completer:
    """The JSON body of an answer at other holdings: a list page whose records are
    unchanged while the records version is, with the sums a pledge changes completed from
    the holdings given."""

    complete: Callable[[Holdings], bytes]
    #: about how many bytes of memory it keeps alive (the page's records), counted with
    #: the answer in the store's byte budget
    retained: int

    def __call__(self, holdings: Holdings) -> bytes:
        return self.complete(holdings)


@dataclasses.dataclass(frozen=True)
class Versions:
    """The data versions at the start of a request."""

    #: the ledger head: moves with every change
    seq: int
    #: the last change other than a pledge
    records: int


class _LeaderCancelled(Exception):
    """The request computing a value was cancelled; those waiting compute it themselves."""


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
    """The whole answers of :class:`~allied.entrypoints.api.fastread.CachedReads`."""

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
        self._flights: dict[Hashable, asyncio.Future[Any]] = {}

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
        loop = asyncio.get_running_loop()
        flight = (id(loop), key, version)
        running = self._flights.get(flight)
        if running is not None:
            try:
                return cast(T, await asyncio.shield(running))
            except _LeaderCancelled:
                return await self.aget_from(key, make, version)  # compute it here instead
        future: asyncio.Future[Any] = loop.create_future()
        self._flights[flight] = future
        try:
            value = await make()
        except asyncio.CancelledError:
            # this request was cancelled, not the ones waiting for it: they retry
            future.set_exception(_LeaderCancelled())
            future.exception()
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here; waiters still get it
            raise
        else:
            self.store(key, version, value)
            future.set_result(value)
        finally:
            self._flights.pop(flight, None)
        return value


def _weight(value: Any) -> int:
    """The bytes of a JSON body (bytes, or a whole answer with its ``body``)."""
    if isinstance(value, bytes):
        return len(value)
    body = getattr(value, "body", None)
    return len(body) if isinstance(body, bytes) else 0


def encode(value: Any) -> bytes:
    """JSON bytes of a result (a dataclass page, a list or a dict of JSON values)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_fields).encode()


def _fields(value: Any) -> dict[str, Any]:
    """A dataclass as the dict of its fields, for :func:`json.dumps` (shallow: what it
    holds is encoded in turn, not copied first as ``dataclasses.asdict`` would)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    raise TypeError(f"{type(value).__name__} is not JSON")


class CachedJSON(Response):
    """A JSON answer that is a pure function of the route, its query, the caller, the day
    and the data versions: it marks the request so that
    :class:`~allied.entrypoints.api.fastread.CachedReads` may give it again."""

    media_type = "application/json"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[CACHED_MARK] = True
        await super().__call__(scope, receive, send)


async def acached_json(
    cache: VersionedCache, key: Hashable, compute: Callable[[], Any], version: int
) -> Response:
    """The result as a JSON response, its encoded bytes cached under ``key`` (a miss is
    computed in a worker thread)."""
    body = await cache.aget(key, lambda: encode(compute()), version)
    return CachedJSON(content=body)


class CompletableJSON(CachedJSON):
    """A :class:`CachedJSON` answer that ``completer`` gives again at newer holdings, as
    long as the records version is unchanged (a list page after pledges)."""

    def __init__(self, content: bytes, completer: Completer) -> None:
        super().__init__(content=content)
        self.completer = completer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[COMPLETER_KEY] = self.completer
        await super().__call__(scope, receive, send)


async def acached_json_from(
    cache: VersionedCache,
    key: Hashable,
    make: Callable[[], Awaitable[Any]],
    version: int,
    *,
    completer: Completer | None = None,
) -> Response:
    """:func:`acached_json` with a miss computed by awaiting ``make()``; with
    ``completer``, a :class:`CompletableJSON`."""

    async def encoded() -> bytes:
        return encode(await make())

    body = await cache.aget_from(key, encoded, version)
    if completer is not None:
        return CompletableJSON(body, completer)
    return CachedJSON(content=body)
