"""The held quantities every list page shows, kept per event loop at the data versions.

See :mod:`allied.service.holdings`: after a pledge each reader's list page needs the
committed and pledged sums again; here they are moved along the ledger once per change
for every reader of the process, instead of summed by one query per reader and page.

:meth:`LiveHoldings.at` gives holdings at least as new as the versions a request read
(so never older than a change acknowledged before the request). One catch-up runs at a
time per event loop; requests that come meanwhile wait for it and, if it went far
enough, use it. Reads go through the app's read path (on PostgreSQL one statement each,
awaited on the loop; on SQLite a worker thread); the holdings are moved on the loop
itself, between awaits, so a page is completed from one consistent position.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from allied.adapters.loops import PerLoop
from allied.entrypoints.api.fast.store import Versions
from allied.service.holdings import (
    MAX_TAIL,
    HeldSnapshot,
    Holdings,
    TailEntry,
    caught_up,
    read_snapshot,
    read_tail,
)
from allied.service.ports import UnitOfWork

T = TypeVar("T")

class Read(Protocol):
    """Runs read-only work on a unit of work (``AppContext.aread``)."""

    def __call__(self, work: Callable[[UnitOfWork], T], /) -> Awaitable[T]: ...


class _State:
    def __init__(self) -> None:
        self.holdings: Holdings | None = None
        self.lock = asyncio.Lock()


def _snapshot(uow: UnitOfWork) -> HeldSnapshot:
    with uow:
        return read_snapshot(uow)


class LiveHoldings:
    """Holdings kept current per event loop, read through ``read``."""

    def __init__(self, read: Read, *, max_tail: int = MAX_TAIL) -> None:
        self._read = read
        self.max_tail = max_tail
        self._states: PerLoop[_State] = PerLoop(lambda _: _State())
        #: how the holdings were brought up to date: whole reads and catch-ups (tests,
        #: diagnostics)
        self.loads = 0
        self.catch_ups = 0

    async def at(self, versions: Versions) -> Holdings:
        """Holdings as of ledger entry ``versions.seq`` or later."""
        state = self._states.get(asyncio.get_running_loop())
        found = state.holdings
        if found is not None and found.seq >= versions.seq:
            return found
        async with state.lock:
            found = state.holdings
            if found is not None and found.seq >= versions.seq:
                return found  # brought up to date while this request waited
            if found is not None:
                after, limit = found.seq, self.max_tail

                def tail(uow: UnitOfWork) -> list[TailEntry]:
                    with uow:
                        return read_tail(uow, after, limit)

                entries = await self._read(tail)
                if caught_up(found, entries, limit) and found.seq >= versions.seq:
                    self.catch_ups += 1
                    return found
            snapshot = await self._read(_snapshot)
            state.holdings = Holdings.from_snapshot(snapshot)
            self.loads += 1
            return state.holdings
