"""Group commit of the hot writes: :class:`WriteBatcher` on its own (a fake ``run``, plain
``asyncio.run``), then through the app with many pledges, amendments and moves in one
event loop."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import httpx2 as httpx
import pytest

from allied.bootstrap import Store
from allied.domain.errors import Conflict, InvalidInput, NotFound, StorageError
from allied.entrypoints.api import ApiOptions
from allied.entrypoints.api.fast.batching import ATTEMPTS, WriteBatcher
from allied.service.allocations import PledgeOrder, PledgeOutcome
from allied.service.caller import Caller
from allied.service.ledger import verify_chain
from api.conftest import Api, make_api

T = TypeVar("T")
WAIT = 10.0  # seconds: the longest any test waits for a thread or a task
CALLER = Caller("u", "EST", "donor")


def order(n: int, quantity: int = 1) -> PledgeOrder:
    return PledgeOrder(CALLER, f"O{n}", "R", quantity)


def view(o: PledgeOrder) -> dict[str, Any]:
    return {"offer": o.offer_id, "quantity": o.quantity}


class FakeRun:
    """A batch runner that records each batch, can hold the first one until released,
    and answers each order with ``answer`` (a view by default). Called as ``run`` (in a
    worker thread) or awaited as ``arun`` (on the event loop)."""

    def __init__(
        self,
        answer: Callable[[Sequence[PledgeOrder]], list[PledgeOutcome]] | None = None,
        *,
        hold_first: bool = False,
    ) -> None:
        self.batches: list[list[str]] = []
        self.answer = answer or (lambda orders: [view(o) for o in orders])
        self.started = threading.Event()
        self.release = threading.Event()
        if not hold_first:
            self.release.set()
        self.lock = threading.Lock()

    def _begin(self, orders: Sequence[PledgeOrder]) -> bool:
        with self.lock:
            self.batches.append([o.offer_id for o in orders])
            first = len(self.batches) == 1
        if first:
            self.started.set()
        return first

    def __call__(self, orders: Sequence[PledgeOrder]) -> list[PledgeOutcome]:
        if self._begin(orders):
            assert self.release.wait(WAIT), "the test never released the first batch"
        return self.answer(orders)

    async def acall(self, orders: Sequence[PledgeOrder]) -> list[PledgeOutcome]:
        if self._begin(orders):
            await _until(self.release.is_set)
        return self.answer(orders)


MODES = ["thread", "loop"]


def batcher_of(fake: FakeRun, mode: str, **kw: Any) -> WriteBatcher:
    """A batcher making its batches with ``fake``: in a worker thread (``run``, as on
    SQLite) or on the event loop (``arun``, as on PostgreSQL)."""
    if mode == "thread":
        return WriteBatcher(fake, **kw)
    return WriteBatcher(arun=fake.acall, **kw)


async def _until(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.001)


async def _settle() -> None:
    """Let every ready task run (their pledges join the queue)."""
    for _ in range(5):
        await asyncio.sleep(0)


def run(main: Callable[[], Awaitable[T]]) -> T:
    """``main()`` on a new event loop, bounded in time; no task may be left running."""

    async def bounded() -> T:
        out = await asyncio.wait_for(main(), WAIT * 2)
        await _settle()
        left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert left == [], left
        return out

    return asyncio.run(bounded())


# -- the batcher alone ------------------------------------------------------------------


def test_the_batcher_takes_one_way_of_running_and_a_positive_max_batch() -> None:
    fake = FakeRun()
    with pytest.raises(ValueError, match="one of run and arun"):
        WriteBatcher()
    with pytest.raises(ValueError, match="one of run and arun"):
        WriteBatcher(fake, arun=fake.acall)
    with pytest.raises(ValueError, match="positive"):
        WriteBatcher(fake, max_batch=0)


@pytest.mark.parametrize("mode", MODES)
def test_pledges_that_arrive_while_a_batch_runs_go_together(mode: str) -> None:
    fake = FakeRun(hold_first=True)
    batcher = batcher_of(fake, mode)

    async def main() -> list[dict[str, Any]]:
        first = asyncio.create_task(batcher.submit(order(0)))
        await _until(fake.started.is_set)  # the first batch runs
        rest = [asyncio.create_task(batcher.submit(order(n, n))) for n in range(1, 11)]
        await _settle()
        assert not any(t.done() for t in rest)  # they wait for the running batch
        fake.release.set()
        return await asyncio.gather(first, *rest)

    answers = run(main)
    assert answers == [view(order(0))] + [view(order(n, n)) for n in range(1, 11)]
    assert fake.batches == [["O0"], [f"O{n}" for n in range(1, 11)]]
    assert batcher.batch_sizes == [1, 10]


@pytest.mark.parametrize("mode", MODES)
def test_one_at_a_time_each_pledge_is_its_own_batch(mode: str) -> None:
    fake = FakeRun()
    batcher = batcher_of(fake, mode)

    async def main() -> list[dict[str, Any]]:
        return [await batcher.submit(order(n)) for n in range(3)]

    assert run(main) == [view(order(n)) for n in range(3)]
    assert batcher.batch_sizes == [1, 1, 1]
    # a later event loop (a test client makes one per request) is served too
    assert run(lambda: batcher.submit(order(7))) == view(order(7))
    assert batcher.batch_sizes == [1, 1, 1, 1]


@pytest.mark.parametrize("mode", MODES)
def test_a_refusal_goes_to_its_own_caller_only(mode: str) -> None:
    errors = {3: NotFound("no offer 'O3'"), 5: InvalidInput("too much", field="quantity")}

    def answer(orders: Sequence[PledgeOrder]) -> list[PledgeOutcome]:
        return [errors.get(int(o.offer_id[1:]), view(o)) for o in orders]

    fake = FakeRun(answer, hold_first=True)
    batcher = batcher_of(fake, mode)

    async def main() -> list[Any]:
        first = asyncio.create_task(batcher.submit(order(0)))
        await _until(fake.started.is_set)
        rest = [asyncio.create_task(batcher.submit(order(n))) for n in range(1, 8)]
        await _settle()
        fake.release.set()
        got: list[Any] = await asyncio.gather(first, *rest, return_exceptions=True)
        return got

    got = run(main)
    assert batcher.batch_sizes == [1, 7]
    for n, outcome in enumerate(got):
        if n in errors:
            assert outcome is errors[n]  # the very error, raised to that caller
        else:
            assert outcome == view(order(n))


@pytest.mark.parametrize("mode", MODES)
def test_a_batch_that_fails_whole_is_made_again_one_by_one(mode: str) -> None:
    """A batch of several that raises is run again one order at a time; each order is
    answered by its own run (a Conflict is tried again, up to ATTEMPTS times)."""
    conflicts = {"O2": 1, "O3": ATTEMPTS}  # O2 loses one race, O3 every one
    calls: list[list[str]] = []

    def answer(orders: Sequence[PledgeOrder]) -> list[PledgeOutcome]:
        ids = [o.offer_id for o in orders]
        calls.append(ids)
        if len(ids) > 1:
            raise Conflict("an id was taken meanwhile")
        (oid,) = ids
        if conflicts.get(oid, 0) > 0:
            conflicts[oid] -= 1
            raise Conflict(f"{oid} lost a race")
        if oid == "O4":
            raise StorageError("the database went away")
        if oid == "O5":
            return [NotFound("no offer 'O5'")]
        return [view(orders[0])]

    fake = FakeRun(answer, hold_first=True)
    batcher = batcher_of(fake, mode)

    async def main() -> list[Any]:
        first = asyncio.create_task(batcher.submit(order(0)))
        await _until(fake.started.is_set)
        rest = [asyncio.create_task(batcher.submit(order(n))) for n in range(1, 7)]
        await _settle()
        fake.release.set()
        got: list[Any] = await asyncio.gather(first, *rest, return_exceptions=True)
        return got

    got = run(main)
    assert batcher.batch_sizes == [1, 6]
    assert got[0] == view(order(0))
    assert got[1] == view(order(1))
    assert got[2] == view(order(2))  # its second attempt
    assert isinstance(got[3], Conflict) and str(got[3]) == "O3 lost a race"
    assert isinstance(got[4], StorageError)  # not retried
    assert isinstance(got[5], NotFound) and str(got[5]) == "no offer 'O5'"
    assert got[6] == view(order(6))
    assert calls == [
        ["O0"],
        ["O1", "O2", "O3", "O4", "O5", "O6"],  # together: failed whole
        ["O1"],
        ["O2"], ["O2"],
        ["O3"], ["O3"], ["O3"],
        ["O4"],
        ["O5"],
        ["O6"],
    ]


@pytest.mark.parametrize("mode", MODES)
def test_a_batch_of_one_that_raises_answers_its_caller(mode: str) -> None:
    """Any exception of the runner reaches the caller of that order; the batcher goes on."""
    failed: list[str] = []

    def answer(orders: Sequence[PledgeOrder]) -> list[PledgeOutcome]:
        if not failed:
            failed.append(orders[0].offer_id)
            raise RuntimeError("a bug in run")
        return [view(o) for o in orders]

    batcher = batcher_of(FakeRun(answer), mode)

    async def main() -> None:
        with pytest.raises(RuntimeError, match="a bug in run"):
            await batcher.submit(order(1))
        assert await batcher.submit(order(2)) == view(order(2))

    run(main)
    assert failed == ["O1"] and batcher.batch_sizes == [1, 1]


@pytest.mark.parametrize("mode", MODES)
def test_max_batch_caps_the_batches(mode: str) -> None:
    fake = FakeRun(hold_first=True)
    batcher = batcher_of(fake, mode, max_batch=3)

    async def main() -> list[dict[str, Any]]:
        first = asyncio.create_task(batcher.submit(order(0)))
        await _until(fake.started.is_set)
        rest = [asyncio.create_task(batcher.submit(order(n))) for n in range(1, 9)]
        await _settle()
        fake.release.set()
        return await asyncio.gather(first, *rest)

    assert run(main) == [view(order(n)) for n in range(9)]
    assert batcher.batch_sizes == [1, 3, 3, 2]
    # first come, first served: the queue goes in order
    assert fake.batches == [["O0"], ["O1", "O2", "O3"], ["O4", "O5", "O6"], ["O7", "O8"]]


@pytest.mark.parametrize("mode", MODES)
def test_a_caller_cancelled_while_waiting_does_not_break_the_others(mode: str) -> None:
    """A caller that goes away (its task cancelled) while its pledge waits, or while its
    batch runs, gets no answer; the others get theirs, and the pledge still stands (it
    was queued: the batch makes it). The batcher goes on working."""
    fake = FakeRun(hold_first=True)
    batcher = batcher_of(fake, mode)

    async def main() -> tuple[list[Any], asyncio.Task[dict[str, Any]]]:
        first = asyncio.create_task(batcher.submit(order(0)))
        await _until(fake.started.is_set)
        rest = [asyncio.create_task(batcher.submit(order(n))) for n in range(1, 6)]
        await _settle()
        rest[2].cancel()  # O3, waiting in the queue
        first.cancel()  # O0, its batch running
        await _settle()
        fake.release.set()
        got: list[Any] = await asyncio.gather(*rest, return_exceptions=True)
        assert await batcher.submit(order(9)) == view(order(9))
        return got, first

    got, first = run(main)  # run() also checks that no task is left running
    assert first.cancelled()
    assert isinstance(got[2], asyncio.CancelledError)
    assert [g for i, g in enumerate(got) if i != 2] == [view(order(n)) for n in (1, 2, 4, 5)]
    assert fake.batches == [["O0"], ["O1", "O2", "O3", "O4", "O5"], ["O9"]]
    assert batcher.batch_sizes == [1, 5, 1]


@pytest.mark.parametrize("mode", MODES)
def test_event_loops_in_other_threads_are_answered_on_their_own_loop(mode: str) -> None:
    """A test client used from several threads runs each request on a loop of its own:
    a pledge made on one loop while another loop's batch runs is queued and answered on
    its own loop (an answer set from another loop's thread would never wake it)."""
    fake = FakeRun(hold_first=True)
    batcher = batcher_of(fake, mode)
    out: dict[str, Any] = {}

    def on_a_loop(n: int) -> None:
        try:
            out[f"O{n}"] = run(lambda: batcher.submit(order(n)))
        except BaseException as exc:  # reported below
            out[f"O{n}"] = exc

    first = threading.Thread(target=on_a_loop, args=(0,))
    first.start()
    try:
        assert fake.started.wait(WAIT)
        others = [threading.Thread(target=on_a_loop, args=(n,)) for n in (1, 2)]
        for t in others:
            t.start()
        for t in others:
            t.join(WAIT * 3)
        # answered while the first loop's batch still runs
        assert out == {"O1": view(order(1)), "O2": view(order(2))}, out
    finally:
        fake.release.set()
        first.join(WAIT * 3)
    assert out["O0"] == view(order(0))
    assert sorted(oid for batch in fake.batches for oid in batch) == ["O0", "O1", "O2"]


# -- through the app ----------------------------------------------------------------------


def _create(client: Any, path: str, body: dict[str, Any]) -> None:
    r = client.post(path, json=body)
    assert r.status_code == 201, r.text


def _records(api: Api, offer: str, offer_qty: int, request: str, request_qty: int) -> None:
    coord = api.client("coord")
    _create(coord, "/api/v1/offers", {
        "id": offer, "donor": "EST", "family": "other", "quantity": offer_qty,
        "available_from": "2024-01-01", "releasability": "public"})
    _create(coord, "/api/v1/requests", {
        "id": request, "recipient": "UKR", "family": "other", "quantity": request_qty,
        "priority": 3, "needed_by": "2024-12-31", "releasability": "public"})


def _auth(api: Api, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.tokens[user]}"}


def _burst(
    api: Api, pledges: list[tuple[str, dict[str, Any]]], after: list[tuple[str, str]]
) -> tuple[list[tuple[int, Any]], list[Any]]:
    """POST every pledge at once (one event loop, the app's lifespan running), then GET
    each of ``after`` (user, path) in turn; the statuses and bodies."""

    async def main() -> tuple[list[tuple[int, Any]], list[Any]]:
        async with api.app.router.lifespan_context(api.app):
            transport = httpx.ASGITransport(app=api.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                sent = await asyncio.gather(*(
                    c.post("/api/v1/pledges", json=body, headers=_auth(api, user))
                    for user, body in pledges
                ))
                read = [(await c.get(path, headers=_auth(api, user))).json()
                        for user, path in after]
        return [(r.status_code, r.json()) for r in sent], read

    return run(main)


def _entries(api: Api) -> list[dict[str, Any]]:
    """Every ledger entry, as the auditor reads them."""
    out: list[dict[str, Any]] = []
    after = 0
    while True:
        page = api.client("audit").get(
            "/api/v1/ledger/entries", params={"limit": 200, "after": after}).json()
        if not page["items"]:
            return out
        out.extend(page["items"])
        after = page["items"][-1]["seq"]


def _pledged_entries(api: Api, offer: str) -> list[dict[str, Any]]:
    return [e for e in _entries(api)
            if e["kind"] == "allocation.pledged" and e["payload"]["offer"] == offer]


def _race(api: Api) -> list[int]:
    """40 pledges of 1 at once on an offer of 25; checks the outcome, returns the batch
    sizes."""
    _records(api, "GC-OFFER", 25, "GC-REQ", 1000)
    users = ["est", "coord"]
    pledges = [(users[i % 2], {"offer": "GC-OFFER", "request": "GC-REQ", "quantity": 1})
               for i in range(40)]
    sizes_before = len(api.app.state.ctx.writes.batch_sizes)
    results, (offer, verified) = _burst(
        api, pledges, [("coord", "/api/v1/offers/GC-OFFER"), ("audit", "/api/v1/ledger/verify")]
    )
    statuses = [s for s, _ in results]
    assert statuses.count(201) == 25, statuses
    assert statuses.count(422) == 15, statuses
    refused = [b for s, b in results if s == 422]
    assert all(b["field"] == "quantity" for b in refused), refused
    # a refusal tells a donor that the offer is used up (0 left), never more than 1 asked
    assert all("has 0 left, not 1" in b["message"] for b in refused), refused
    made = [b for s, b in results if s == 201]
    assert len({b["id"] for b in made}) == 25
    assert all(b["offer"] == "GC-OFFER" and b["quantity"] == 1 for b in made)
    assert offer["committed"] == 25 and offer["available"] == 0
    assert verified["intact"] is True and verified["entries"] > 25
    entries = _pledged_entries(api, "GC-OFFER")
    assert sorted(e["payload"]["id"] for e in entries) == sorted(b["id"] for b in made)
    assert verify_chain(api.store.uow()) == verified["entries"]
    sizes: list[int] = api.app.state.ctx.writes.batch_sizes[sizes_before:]
    assert sum(sizes) == 40  # every pledge went through the batcher, once
    return sizes


def test_concurrent_pledges_are_group_committed_and_never_exceed_the_offer(api: Api) -> None:
    sizes = _race(api)
    assert max(sizes) > 1, sizes
    assert max(sizes) <= ApiOptions().pledge_batch


def test_with_pledge_batch_1_every_pledge_is_alone_and_the_result_the_same(
    store: Store,
) -> None:
    alone = make_api(store, ApiOptions(pledge_batch=1))
    try:
        assert alone.app.state.ctx.writes.max_batch == 1
        sizes = _race(alone)
    finally:
        alone.app.state.ctx.close()
    assert sizes == [1] * 40


def test_refusals_in_a_burst_reach_their_own_callers(api: Api) -> None:
    """In one burst: pledges that fit, a missing offer (404), a donor pledging another
    nation's offer (403), a bad quantity (422): each caller gets its own answer."""
    _records(api, "GC-MIX", 10, "GC-MIX-REQ", 1000)
    ok = {"offer": "GC-MIX", "request": "GC-MIX-REQ", "quantity": 2}
    pledges = [
        ("est", ok), ("coord", ok),
        ("est", {**ok, "offer": "GC-NONE"}),
        ("gbr", ok),
        ("coord", {**ok, "quantity": 0}),
        ("est", ok), ("coord", ok), ("est", ok),
        ("coord", ok),  # the sixth of 2 on an offer of 10
    ]
    results, (offer,) = _burst(api, pledges, [("coord", "/api/v1/offers/GC-MIX")])
    statuses = [s for s, _ in results]
    assert statuses[2] == 404 and results[2][1]["message"] == "no offer 'GC-NONE'"
    assert statuses[3] == 403
    assert statuses[4] == 422 and results[4][1]["field"] == "quantity"
    others = [results[i] for i in (0, 1, 5, 6, 7, 8)]
    assert sorted(s for s, _ in others) == [201] * 5 + [422]
    assert offer["committed"] == 10
    assert verify_chain(api.store.uow()) > 0


def test_a_pledge_with_an_idempotency_key_does_not_go_through_the_batcher(api: Api) -> None:
    _records(api, "GC-IDEM", 5, "GC-IDEM-REQ", 5)
    batcher = api.app.state.ctx.writes
    before = list(batcher.batch_sizes)
    body = {"offer": "GC-IDEM", "request": "GC-IDEM-REQ", "quantity": 2}
    client = api.client("est")
    r = client.post("/api/v1/pledges", json=body, headers={"Idempotency-Key": "gc-1"})
    assert r.status_code == 201, r.text
    assert batcher.batch_sizes == before
    r = client.post("/api/v1/pledges", json=body)
    assert r.status_code == 201, r.text
    assert batcher.batch_sizes == [*before, 1]
    offer = api.client("coord").get("/api/v1/offers/GC-IDEM").json()
    assert offer["committed"] == 4


def test_amendments_and_transitions_beside_pledges_answer_each_their_own(api: Api) -> None:
    """In one burst on one event loop: pledges, amendments of the offer and moves of
    allocations pledged before, all through the one batcher. Every answer is its own, the
    amendment's answer is the offer as amended with what is committed, and the chain
    verifies."""
    _records(api, "GC-CHG", 100, "GC-CHG-REQ", 100)
    ok = {"offer": "GC-CHG", "request": "GC-CHG-REQ", "quantity": 1}
    made = [api.client("est").post("/api/v1/pledges", json=ok).json()["id"] for _ in range(3)]
    ctx = api.app.state.ctx
    sizes_before = len(ctx.writes.batch_sizes)

    async def main() -> list[Any]:
        async with api.app.router.lifespan_context(api.app):
            transport = httpx.ASGITransport(app=api.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                sent = await asyncio.gather(
                    c.post("/api/v1/pledges", json=ok, headers=_auth(api, "est")),
                    c.patch("/api/v1/offers/GC-CHG", json={"caveats": "first"},
                            headers=_auth(api, "est")),
                    c.post(f"/api/v1/allocations/{made[0]}/transitions",
                           json={"to": "approved"}, headers=_auth(api, "coord")),
                    c.post("/api/v1/pledges", json=ok, headers=_auth(api, "est")),
                    c.patch("/api/v1/offers/GC-CHG", json={"caveats": "second"},
                            headers=_auth(api, "gbr")),
                    c.post(f"/api/v1/allocations/{made[1]}/transitions",
                           json={"to": "shipped"}, headers=_auth(api, "coord")),
                    c.post("/api/v1/allocations/AL-NONE/transitions",
                           json={"to": "approved"}, headers=_auth(api, "coord")),
                )
        return [(r.status_code, r.json()) for r in sent]

    results = run(main)
    statuses = [s for s, _ in results]
    # GBR may not amend EST's offer (it sees it: public); pledged -> shipped skips a step
    assert statuses == [201, 200, 200, 201, 403, 409, 404], results
    amended = results[1][1]
    assert amended["id"] == "GC-CHG" and amended["caveats"] == "first"
    assert amended["committed"] >= 3  # the three pledged before, and any of the burst's
    moved = results[2][1]
    assert moved["id"] == made[0] and moved["status"] == "approved"
    assert moved["moves"] == [{"id": made[0], "from": "pledged", "to": "approved",
                               "reason": ""}]
    assert sum(ctx.writes.batch_sizes[sizes_before:]) == 7  # every write, once
    offer = api.client("coord").get("/api/v1/offers/GC-CHG").json()
    assert offer["caveats"] == "first" and offer["committed"] == 5
    assert verify_chain(api.store.uow()) > 0


# -- amendments and lifecycle moves through the same batcher -------------------------------


def _send_all(api: Api, sends: list[tuple[str, str, str, dict[str, Any]]]) -> list[tuple[int, Any]]:
    """Send every (user, method, path, body) at once on one event loop (the app's lifespan
    running); each status and body, in order."""

    async def main() -> list[tuple[int, Any]]:
        async with api.app.router.lifespan_context(api.app):
            transport = httpx.ASGITransport(app=api.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                sent = await asyncio.gather(*(
                    c.request(method, path, json=body, headers=_auth(api, user))
                    for user, method, path, body in sends
                ))
        return [(r.status_code, r.json()) for r in sent]

    return run(main)


def _alone(api: Api, sends: list[tuple[str, str, str, dict[str, Any]]]) -> list[tuple[int, Any]]:
    """The same, one at a time (each a batch of one)."""
    out = []
    for user, method, path, body in sends:
        r = api.client(user).request(method, path, json=body)
        out.append((r.status_code, r.json()))
    return out


def _error(answer: tuple[int, Any]) -> tuple[int, str]:
    return answer[0], answer[1]["message"]


def test_concurrent_amendments_are_group_committed_each_answered_its_own(api: Api) -> None:
    """A burst of amendments of one offer, among them refusals (below what is allocated,
    another nation's, a missing offer, a bad field): batches of more than one, each caller
    its own answer, the refusals as they are answered alone, one entry per amendment."""
    _records(api, "GC-AM", 50, "GC-AM-REQ", 50)
    ok = {"offer": "GC-AM", "request": "GC-AM-REQ", "quantity": 5}
    assert api.client("est").post("/api/v1/pledges", json=ok).status_code == 201
    refused = [
        ("est", "PATCH", "/api/v1/offers/GC-AM", {"quantity": 4}),  # below the 5 pledged
        ("gbr", "PATCH", "/api/v1/offers/GC-AM", {"caveats": "GBR's"}),  # not GBR's
        ("est", "PATCH", "/api/v1/offers/GC-NONE", {"caveats": "none"}),  # no such offer
        ("est", "PATCH", "/api/v1/offers/GC-AM", {"available_from": "soon"}),  # bad date
    ]
    sends = [("est", "PATCH", "/api/v1/offers/GC-AM", {"caveats": f"c{n}"}) for n in range(12)]
    for i, send in enumerate(refused):
        sends.insert(3 * i + 1, send)
    ctx = api.app.state.ctx
    before = len(ctx.writes.batch_sizes)
    results = _send_all(api, sends)
    sizes = ctx.writes.batch_sizes[before:]
    # every amendment went through the batcher once, but the bad date (refused first, by
    # the route's schema)
    assert sum(sizes) == len(sends) - 1 and max(sizes) > 1, sizes
    at = [sends.index(s) for s in refused]
    for i, (status, body) in enumerate(results):
        if i in at:
            continue
        assert status == 200, (i, body)
        assert body["id"] == "GC-AM" and body["caveats"] == sends[i][3]["caveats"]
        assert body["committed"] == 5 and body["quantity"] == 50
    got = [_error(results[i]) for i in at]
    assert [s for s, _ in got] == [409, 403, 404, 422]
    # each refusal is what the same request answers alone
    assert got == [_error(a) for a in _alone(api, refused)]
    offer = api.client("coord").get("/api/v1/offers/GC-AM").json()
    assert offer["quantity"] == 50 and offer["caveats"] in {f"c{n}" for n in range(12)}
    amended = [e for e in _entries(api) if e["kind"] == "offer.amended"
               and e["payload"].get("id") == "GC-AM"]
    assert sorted(e["payload"]["after"]["caveats"] for e in amended) == sorted(
        f"c{n}" for n in range(12))
    assert verify_chain(api.store.uow()) > 0


def test_concurrent_transitions_are_group_committed_each_answered_its_own(api: Api) -> None:
    """A burst of lifecycle moves with refusals among them (a skipped step, a missing
    allocation, a donor approving, a move named twice): batches of more than one; each
    refusal leaves the other moves made, and answers as it does alone."""
    _records(api, "GC-MV", 50, "GC-MV-REQ", 50)
    ok = {"offer": "GC-MV", "request": "GC-MV-REQ", "quantity": 1}
    made = [api.client("est").post("/api/v1/pledges", json=ok).json()["id"] for _ in range(12)]
    path = "/api/v1/allocations/{}/transitions"
    sends = [("coord", "POST", path.format(a), {"to": "approved"}) for a in made[:10]]
    refused = [
        ("coord", "POST", path.format(made[10]), {"to": "delivered"}),  # skips steps
        ("coord", "POST", path.format("AL-NONE"), {"to": "approved"}),  # no such allocation
        ("est", "POST", path.format(made[11]), {"to": "approved"}),  # a donor may not
        ("coord", "POST", path.format(made[0]), {"to": "approved"}),  # approved just before
    ]
    for i, send in enumerate(refused):
        sends.insert(3 * i + 2, send)
    ctx = api.app.state.ctx
    before = len(ctx.writes.batch_sizes)
    results = _send_all(api, sends)
    sizes = ctx.writes.batch_sizes[before:]
    assert sum(sizes) == len(sends) and max(sizes) > 1, sizes
    at = [sends.index(s) for s in refused[:3]] + [len(sends) - 1 - sends[::-1].index(refused[3])]
    for i, (status, body) in enumerate(results):
        if i in at:
            continue
        assert status == 200, (i, body)
        assert body["status"] == "approved" and body["id"] == sends[i][2].split("/")[4]
    got = [_error(results[i]) for i in at]
    assert [s for s, _ in got] == [409, 404, 403, 409]
    # alone (made[0] approved by now, as when the burst reached its refusal)
    assert got == [_error(a) for a in _alone(api, refused)]
    listed = api.client("coord").get(
        "/api/v1/allocations", params={"offer": "GC-MV", "limit": 50}).json()["items"]
    status = {a["id"]: a["status"] for a in listed}
    assert [status[a] for a in made] == ["approved"] * 10 + ["pledged"] * 2
    assert verify_chain(api.store.uow()) > 0


def test_an_amendment_or_move_with_an_idempotency_key_is_made_alone_and_replayed(
    api: Api,
) -> None:
    _records(api, "GC-KEY", 5, "GC-KEY-REQ", 5)
    ok = {"offer": "GC-KEY", "request": "GC-KEY-REQ", "quantity": 1}
    made = api.client("est").post("/api/v1/pledges", json=ok).json()["id"]
    batcher = api.app.state.ctx.writes
    before = list(batcher.batch_sizes)
    est, coord = api.client("est"), api.client("coord")
    for client, method, path, body in (
        (est, "PATCH", "/api/v1/offers/GC-KEY", {"caveats": "keyed"}),
        (coord, "POST", f"/api/v1/allocations/{made}/transitions", {"to": "approved"}),
    ):
        first = client.request(method, path, json=body, headers={"Idempotency-Key": "k-1"})
        again = client.request(method, path, json=body, headers={"Idempotency-Key": "k-1"})
        assert first.status_code == 200, first.text
        assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
    assert batcher.batch_sizes == before
    assert coord.get(f"/api/v1/allocations/{made}").json()["status"] == "approved"
