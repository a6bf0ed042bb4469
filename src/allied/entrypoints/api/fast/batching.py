"""Group commit of the hot writes: the pledges, amendments and lifecycle moves that arrive
while one transaction runs go together in the next.

Every change of the store ends by appending to the hash-chained ledger, so writers take
turns at its head row, and a write's cost is mostly that of its transaction (a dozen
statements and a commit), not of the change. :class:`WriteBatcher` keeps one transaction
of writes running at a time per process: a write that arrives while it runs waits in a
queue, and the queue goes whole (up to ``max_batch``), in its order, into the next
transaction, through :func:`allied.service.access.write_many`. Each write is still
checked, refused or made as if alone, with its own ledger entries (an amendment or a move
in its own savepoint); under light load a batch holds one write and nothing waits. When a
batch fails as a whole (the store failed, or a generated id was taken meanwhile), each of
its writes is made again alone, so one write's failure is never another's answer.

One batcher serves every kind: on PostgreSQL a process's batches share one connection of
its event loop, one transaction at a time (:class:`~allied.adapters.db.loop_units.
EventLoopUnits`), and writes of every kind wait for the ledger head's turn anyway.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.concurrency import run_in_threadpool

from allied.adapters.loops import PerLoop
from allied.domain.errors import Conflict, StorageError
from allied.service.access import WriteOrder, WriteOutcome

#: Runs orders in one transaction, answering each (``access.write_many`` on a new unit
#: of work).
RunBatch = Callable[[Sequence[WriteOrder]], list[WriteOutcome]]
#: The same, awaited on the event loop (its I/O waits there; see
#: :mod:`allied.adapters.db.loop_units`).
AsyncRunBatch = Callable[[Sequence[WriteOrder]], Awaitable[list[WriteOutcome]]]

#: A batch that failed whole, then a write made alone that lost a race on a generated
#: id, is tried this many times before answering 409.
ATTEMPTS = 3


class _Lane:
    """The queue of writes of one event loop, and the task making them."""

    def __init__(self) -> None:
        self.queue: list[tuple[WriteOrder, asyncio.Future[dict[str, Any]]]] = []
        self.drainer: asyncio.Task[None] | None = None


class WriteBatcher:
    """Queues the writes of one process and makes them a batch per transaction."""

    def __init__(
        self,
        run: RunBatch | None = None,
        *,
        arun: AsyncRunBatch | None = None,
        max_batch: int = 50,
    ) -> None:
        """``run`` makes a batch in a worker thread, or ``arun`` on the event loop."""
        if max_batch < 1:
            raise ValueError("max_batch must be positive")
        if (run is None) == (arun is None):
            raise ValueError("give one of run and arun")
        self._run = run
        self._arun = arun
        self.max_batch = max_batch
        # one queue per event loop (a server process has one; a test client may run
        # several at once, and a future is answered only on its own loop)
        self._lanes: PerLoop[_Lane] = PerLoop(lambda _: _Lane())
        #: sizes of the batches run, for tests and diagnostics (the last 1,000)
        self.batch_sizes: list[int] = []

    async def submit(self, order: WriteOrder) -> dict[str, Any]:
        """Make the write (with others waiting, if any): the view its use-case answers
        (the new allocation, the amended record, the moved allocation), or raise why it
        is refused."""
        loop = asyncio.get_running_loop()
        lane = self._lanes.get(loop)
        answer: asyncio.Future[dict[str, Any]] = loop.create_future()
        lane.queue.append((order, answer))
        if lane.drainer is None or lane.drainer.done():
            lane.drainer = loop.create_task(self._drain(lane))
        return await answer

    async def _drain(self, lane: _Lane) -> None:
        queue = lane.queue
        while queue:
            batch = queue[: self.max_batch]
            del queue[: self.max_batch]
            self.batch_sizes.append(len(batch))
            del self.batch_sizes[:-1000]
            try:
                outcomes = await self._make([o for o, _ in batch])
            except BaseException as exc:  # cancelled at shutdown, or a bug in _make
                for _, answer in batch:
                    if not answer.done():
                        answer.set_exception(
                            exc
                            if isinstance(exc, Exception)
                            else StorageError("the server stopped before the change was made")
                        )
                raise
            for (_, answer), outcome in zip(batch, outcomes, strict=True):
                if answer.done():  # the client went away; the change stands
                    continue
                if isinstance(outcome, BaseException):
                    answer.set_exception(outcome)
                else:
                    answer.set_result(outcome)

    async def _make(self, orders: list[WriteOrder]) -> list[WriteOutcome | Exception]:
        """Outcomes of the orders: together, or each alone if together failed whole."""
        if len(orders) > 1:
            try:
                return list(await self._call(orders))
            except Exception:
                pass
        return [await self._alone(order) for order in orders]

    async def _alone(self, order: WriteOrder) -> WriteOutcome | Exception:
        for attempt in range(ATTEMPTS):
            try:
                (outcome,) = await self._call([order])
                return outcome
            except Conflict as exc:
                if attempt == ATTEMPTS - 1:
                    return exc
            except Exception as exc:
                return exc
        raise AssertionError("unreachable")

    async def _call(self, orders: list[WriteOrder]) -> list[WriteOutcome]:
        if self._arun is not None:
            return await self._arun(orders)
        assert self._run is not None
        return await run_in_threadpool(self._run, orders)
