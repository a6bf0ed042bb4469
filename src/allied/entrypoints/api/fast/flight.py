"""One computation per key in flight: the single-flight helper of the read path.

After a change every reader of a list misses the cache at once; computing the same page
once for all of them, rather than once each, is what keeps a burst of misses cheap.
:class:`SingleFlight` keeps, per event loop, the future of each computation in flight
under its key: the first call for a key leads (computes), the calls that come while it
runs follow (wait for its future). Both the read cache
(:meth:`~allied.entrypoints.api.fast.store.VersionedCache.aget_from`) and the whole-answer
middleware (:class:`~allied.entrypoints.api.fast.middleware.CachedReads`) use it; a key
should hold the version the value is computed at, so that a follower never takes an older
value than it asked for.

Futures belong to their event loop: a server process has one, a test client may run
several at once, so flights are kept apart per loop.

:class:`NextFlight` is the other kind, for results no version can key (they change
with nearly every write): one computation per key at a time, each call sharing the
next one to start after it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

V = TypeVar("V")


class LeaderCancelled(Exception):
    """The call computing a value was cancelled; those waiting compute it themselves."""


class SingleFlight(Generic[V]):
    """The computations in flight, one per key and event loop."""

    def __init__(self) -> None:
        self._flights: dict[tuple[int, Hashable], asyncio.Future[V]] = {}

    def running(self, key: Hashable) -> asyncio.Future[V] | None:
        """The future of the computation of ``key`` in flight on this loop, if any
        (await it through :func:`asyncio.shield`: a follower's cancellation must not
        cancel the leader's)."""
        return self._flights.get((id(asyncio.get_running_loop()), key))

    @contextmanager
    def lead(self, key: Hashable, *, otherwise: V) -> Iterator[asyncio.Future[V]]:
        """Register this call as computing ``key``: the future it must settle for the
        followers. If the block ends without settling it (an error, a cancellation, a
        value not worth sharing), the followers get ``otherwise``."""
        loop = asyncio.get_running_loop()
        flight = (id(loop), key)
        future: asyncio.Future[V] = loop.create_future()
        self._flights[flight] = future
        try:
            yield future
        finally:
            self._flights.pop(flight, None)
            if not future.done():
                future.set_result(otherwise)

    async def share(
        self,
        key: Hashable,
        make: Callable[[], Awaitable[V]],
        *,
        keep: Callable[[V], None] | None = None,
    ) -> V:
        """``make()``, awaited once for the calls that come while it runs: they get its
        result or its error. ``keep(value)`` runs before they do (to store it). If the
        leading call is cancelled, the followers get :class:`LeaderCancelled` and should
        compute it themselves (the leader's caller went away, not theirs)."""
        running = self.running(key)
        if running is not None:
            return await asyncio.shield(running)
        loop = asyncio.get_running_loop()
        flight = (id(loop), key)
        future: asyncio.Future[V] = loop.create_future()
        self._flights[flight] = future
        try:
            value = await make()
        except asyncio.CancelledError:
            future.set_exception(LeaderCancelled())
            future.exception()  # retrieved here; waiters still get it
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here; waiters still get it
            raise
        else:
            if keep is not None:
                keep(value)
            future.set_result(value)
        finally:
            self._flights.pop(flight, None)
        return value


class _Batch(Generic[V]):
    """The calls waiting for the next computation of one key, and how to make it."""

    def __init__(self, future: asyncio.Future[V], make: Callable[[], Awaitable[V]]) -> None:
        self.future = future
        self.make = make


class _Lane(Generic[V]):
    def __init__(self) -> None:
        self.waiting: _Batch[V] | None = None
        self.runner: asyncio.Task[None] | None = None


class NextFlight(Generic[V]):
    """One computation per key at a time, shared by the calls that came before it
    started: for results that change with nearly every write (a page of allocations),
    which no version-keyed store could keep.

    A call never takes the result of a computation already running (it may have read the
    data before the call's own write was acknowledged); it waits for the next one, which
    starts when the running one ends and is shared by every call that came meanwhile. So
    each answer is at least as new as every change acknowledged before its call, and a
    key costs the database one computation at a time however many calls come (as the
    data versions are read, :class:`~allied.adapters.db.versions.VersionReader`)."""

    def __init__(self) -> None:
        self._lanes: dict[tuple[int, Hashable], _Lane[V]] = {}
        #: computations made, for tests and diagnostics
        self.runs = 0

    async def get(self, key: Hashable, make: Callable[[], Awaitable[V]]) -> V:
        """The result of the next computation of ``key`` to start (``make()``, of this
        call or of another that came for the same key before it started)."""
        loop = asyncio.get_running_loop()
        lane_key = (id(loop), key)
        lane = self._lanes.get(lane_key)
        if lane is None:
            lane = self._lanes[lane_key] = _Lane()
        if lane.waiting is None:
            lane.waiting = _Batch(loop.create_future(), make)
        future = lane.waiting.future
        if lane.runner is None or lane.runner.done():
            lane.runner = loop.create_task(self._serve(lane_key, lane))
        try:
            return await asyncio.shield(future)
        except LeaderCancelled:
            return await make()  # the computations stopped (a shutdown): this call's own

    async def _serve(self, lane_key: tuple[int, Hashable], lane: _Lane[V]) -> None:
        try:
            while (batch := lane.waiting) is not None:
                lane.waiting = None  # calls from now on wait for the next computation
                self.runs += 1
                try:
                    value = await batch.make()
                except BaseException as exc:
                    batch.future.set_exception(
                        exc if isinstance(exc, Exception) else LeaderCancelled()
                    )
                    batch.future.exception()  # retrieved here; waiters still get it
                    if not isinstance(exc, Exception):
                        raise
                else:
                    batch.future.set_result(value)
        finally:
            if lane.waiting is None and self._lanes.get(lane_key) is lane:
                del self._lanes[lane_key]
            elif lane.waiting is not None and not lane.waiting.future.done():
                # stopped (cancelled) with calls waiting: they compute it themselves
                lane.waiting.future.set_exception(LeaderCancelled())
                lane.waiting.future.exception()
                if self._lanes.get(lane_key) is lane:
                    del self._lanes[lane_key]
