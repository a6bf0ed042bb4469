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
