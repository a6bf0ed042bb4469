"""A value kept per event loop.

An asyncio object (a future, a task, an asynchronous connection) belongs to the loop
that made it. A server process runs one loop, but a test client runs one per request,
from several threads at once: what a component keeps for a loop must be kept apart per
loop. :class:`PerLoop` does that, and drops (closes) the values of loops that ended when
another loop first asks, so a long run of short-lived loops does not pile them up.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class PerLoop(Generic[T]):
    """``make(loop)`` once per event loop; ``drop(value)`` when the loop has ended or on
    :meth:`clear`."""

    def __init__(
        self,
        make: Callable[[asyncio.AbstractEventLoop], T],
        *,
        drop: Callable[[T], None] | None = None,
    ) -> None:
        self._make = make
        self._drop = drop
        self._items: dict[int, tuple[asyncio.AbstractEventLoop, T]] = {}
        self._lock = threading.Lock()  # loops of other threads may ask at the same time

    def get(self, loop: asyncio.AbstractEventLoop) -> T:
        with self._lock:
            found = self._items.get(id(loop))
            if found is not None and found[0] is loop:
                return found[1]
            for key, (old, value) in list(self._items.items()):
                if old.is_closed():
                    del self._items[key]
                    if self._drop is not None:
                        self._drop(value)
            value = self._make(loop)
            self._items[id(loop)] = (loop, value)
            return value

    def values(self) -> list[T]:
        with self._lock:
            return [value for _, value in self._items.values()]

    def clear(self) -> None:
        """Drop every value (on shutdown, from any thread)."""
        with self._lock:
            values = [value for _, value in self._items.values()]
            self._items.clear()
        if self._drop is not None:
            for value in values:
                self._drop(value)
