"""Group commit of pledges: the pledges that arrive while one transaction runs go together
in the next.

Every change of the store ends by appending to the hash-chained ledger, so writers take
turns at its head row, and a pledge's cost is mostly that of its transaction (a dozen
statements and a commit), not of the pledge. :class:`PledgeBatcher` keeps one transaction
of pledges running at a time per process: a pledge that arrives while it runs waits in a
queue, and the queue goes whole (up to ``max_batch``) into the next transaction, through
:func:`allied.service.access.pledge_many`. Each pledge is still checked, refused or made
as if alone, with its own ledger entry; under light load a batch holds one pledge and
nothing waits. When a batch fails as a whole (the store failed, or a generated id was
taken meanwhile), each of its pledges is made again alone, so one pledge's failure is
never another's answer.

The other writes of the hot routes (an offer's amendment, an allocation's lifecycle move)
take the same queue when the batcher has ``achange`` (PostgreSQL): each is its own
transaction, made in its turn between the batches of pledges, on the event loop (its
round trips awaited there, like the pledges'). In a worker thread instead each round trip
waited for the interpreter's lock held by the busy event loop, while holding the ledger
head every writer waits for; and the loop's one write connection serves one transaction
at a time, so they queue here rather than open connections of their own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

from allied.adapters.loops import PerLoop
from allied.domain.errors import Conflict, StorageError
from allied.service.access import PledgeOrder, PledgeOutcome

#: Runs orders in one transaction, answering each (``access.pledge_many`` on a new unit
#: of work).
RunBatch = Callable[[Sequence[PledgeOrder]], list[PledgeOutcome]]
#: The same, awaited on the event loop (its I/O waits there; see
#: :mod:`allied.adapters.db.loop_units`).
AsyncRunBatch = Callable[[Sequence[PledgeOrder]], Awaitable[list[PledgeOutcome]]]

#: A change made in its own transaction: a use-case on a unit of work, its answer.
Change = Callable[[Any], Any]
#: Runs a change in its own transaction on the event loop (:meth:`EventLoopUnits.run`).
AsyncRunChange = Callable[[Change], Awaitable[Any]]

T = TypeVar("T")

#: A batch that failed whole, then a pledge made alone that lost a race on a generated
#: id, is tried this many times before answering 409 (a change that lost such a race
#: too, as ``idempotency.run`` does).
ATTEMPTS = 3


class _Lane:
    """The queue of writes of one event loop (pledges, and changes), and the task making
    them."""

    def __init__(self) -> None:
        self.queue: list[tuple[PledgeOrder | _Changing, asyncio.Future[Any]]] = []
        self.drainer: asyncio.Task[None] | None = None


class _Changing:
    """A change waiting in the queue."""

    __slots__ = ("work",)

    def __init__(self, work: Change) -> None:
        self.work = work


class PledgeBatcher:
    """Queues pledges of one process and makes them a batch per transaction."""

    def __init__(
        self,
        run: RunBatch | None = None,
        *,
        arun: AsyncRunBatch | None = None,
        achange: AsyncRunChange | None = None,
        max_batch: int = 50,
    ) -> None:
        """``run`` makes a batch in a worker thread, or ``arun`` on the event loop;
        ``achange`` (with ``arun``) makes a change on the event loop (:meth:`change`)."""
        if max_batch < 1:
            raise ValueError("max_batch must be positive")
        if (run is None) == (arun is None):
            raise ValueError("give one of run and arun")
        if achange is not None and arun is None:
            raise ValueError("achange goes with arun (both on the event loop)")
        self._run = run
        self._arun = arun
        self._achange = achange
        self.max_batch = max_batch
        # one queue per event loop (a server process has one; a test client may run
        # several at once, and a future is answered only on its own loop)
        self._lanes: PerLoop[_Lane] = PerLoop(lambda _: _Lane())
        #: sizes of the batches run, for tests and diagnostics (the last 1,000)
        self.batch_sizes: list[int] = []

    async def pledge(self, order: PledgeOrder) -> dict[str, Any]:
        """Make the pledge (with others waiting, if any); its allocation's view, or raise
        why it is refused."""
        loop = asyncio.get_running_loop()
        lane = self._lanes.get(loop)
        answer: asyncio.Future[dict[str, Any]] = loop.create_future()
        lane.queue.append((order, answer))
        if lane.drainer is None or lane.drainer.done():
            lane.drainer = loop.create_task(self._drain(lane))
        return await answer

    @property
    def takes_changes(self) -> bool:
        """Whether :meth:`change` may be called (the batcher runs on the event loop)."""
        return self._achange is not None

    async def change(self, work: Callable[[Any], T]) -> T:
        """``work(uow)`` in a transaction of its own, in its turn among the pledges of
        this event loop; its answer, or raise what it raised (a ``Conflict``: tried again,
        up to :data:`ATTEMPTS` times, each attempt rolled back whole)."""
        if self._achange is None:
            raise RuntimeError("this batcher makes pledges only (no achange)")
        loop = asyncio.get_running_loop()
        lane = self._lanes.get(loop)
        answer: asyncio.Future[T] = loop.create_future()
        lane.queue.append((_Changing(work), answer))
        if lane.drainer is None or lane.drainer.done():
            lane.drainer = loop.create_task(self._drain(lane))
        return await answer

    async def _drain(self, lane: _Lane) -> None:
        queue = lane.queue
        while queue:
            head, head_answer = queue[0]
            if isinstance(head, _Changing):
                del queue[0]
                await self._change(head, head_answer)
                continue
            # the pledges at the head of the queue, up to the next change
            size = 0
            while size < min(len(queue), self.max_batch) and not isinstance(
                queue[size][0], _Changing
            ):
                size += 1
            batch = queue[:size]
            del queue[:size]
            self.batch_sizes.append(len(batch))
            del self.batch_sizes[:-1000]
            try:
                outcomes = await self._make([o for o, _ in batch if isinstance(o, PledgeOrder)])
            except BaseException as exc:  # cancelled at shutdown, or a bug in _make
                for _, answer in batch:
                    if not answer.done():
                        answer.set_exception(
                            exc
                            if isinstance(exc, Exception)
                            else StorageError("the server stopped before the pledge was made")
                        )
                raise
            for (_, answer), outcome in zip(batch, outcomes, strict=True):
                if answer.done():  # the client went away; the pledge stands
                    continue
                if isinstance(outcome, BaseException):
                    answer.set_exception(outcome)
                else:
                    answer.set_result(outcome)

    async def _change(self, change: _Changing, answer: asyncio.Future[Any]) -> None:
        """Make one change and answer it (a client gone away: the change stands)."""
        assert self._achange is not None
        try:
            for attempt in range(ATTEMPTS):
                try:
                    result = await self._achange(change.work)
                    break
                except Conflict:
                    if attempt == ATTEMPTS - 1:
                        raise
        except Exception as exc:
            if not answer.done():
                answer.set_exception(exc)
            return
        except BaseException:  # cancelled at shutdown
            if not answer.done():
                answer.set_exception(StorageError("the server stopped before the change was made"))
            raise
        if not answer.done():
            answer.set_result(result)

    async def _make(self, orders: list[PledgeOrder]) -> list[PledgeOutcome | Exception]:
        """Outcomes of the orders: together, or each alone if together failed whole."""
        if len(orders) > 1:
            try:
                return list(await self._call(orders))
            except Exception:
                pass
        return [await self._alone(order) for order in orders]

    async def _alone(self, order: PledgeOrder) -> PledgeOutcome | Exception:
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

    async def _call(self, orders: list[PledgeOrder]) -> list[PledgeOutcome]:
        if self._arun is not None:
            return await self._arun(orders)
        assert self._run is not None
        return await run_in_threadpool(self._run, orders)
