"""Pages that change with nearly every write (allocations) are computed once at a time
per key, each call sharing the next computation to start after it
(:class:`~allied.entrypoints.api.fast.flight.NextFlight`): a call never takes a result
read before it came, so a read after a write sees it; and the page is the same JSON the
route's response model gave before."""

from __future__ import annotations

import asyncio
import json

import pytest

from allied.entrypoints.api.fast.flight import NextFlight
from allied.entrypoints.api.schemas import AllocationOut, PageOut
from allied.service import access
from allied.service.caller import Caller
from api.conftest import TODAY, Api
from needs import confirm_needs


async def settle() -> None:
    """Let the tasks started so far run up to their next wait."""
    for _ in range(10):
        await asyncio.sleep(0)


def test_a_call_shares_the_next_computation_never_a_running_one() -> None:
    async def scenario() -> None:
        flights: NextFlight[int] = NextFlight()
        data = {"value": 0}
        started: list[int] = []
        gate = asyncio.Event()

        async def read() -> int:  # a snapshot: what it saw as it started
            seen = data["value"]
            started.append(seen)
            await gate.wait()
            return seen

        first = asyncio.create_task(flights.get("k", read))
        await settle()
        assert started == [0]  # running, having read 0
        data["value"] = 1  # a write acknowledged after the first read began
        later = [asyncio.create_task(flights.get("k", read)) for _ in range(3)]
        other = asyncio.create_task(flights.get("other", read))
        await settle()
        assert started == [0, 1]  # the other key's own; the three wait for the next
        gate.set()
        assert await first == 0
        assert await asyncio.gather(*later) == [1, 1, 1]  # never the running one's 0
        assert await other == 1
        assert flights.runs == 3  # k twice (the three shared one), other once
        assert started == [0, 1, 1]
        assert flights._lanes == {}  # nothing kept once idle

    asyncio.run(scenario())


def test_an_error_is_the_answer_of_its_batch_only() -> None:
    async def scenario() -> None:
        flights: NextFlight[int] = NextFlight()
        calls = {"n": 0}

        async def flaky() -> int:
            calls["n"] += 1
            await asyncio.sleep(0)
            if calls["n"] == 1:
                raise ValueError("the store failed")
            return 7

        first = asyncio.create_task(flights.get("k", flaky))
        await settle()
        second = asyncio.create_task(flights.get("k", flaky))
        with pytest.raises(ValueError, match="the store failed"):
            await first
        assert await second == 7

    asyncio.run(scenario())


def test_the_allocations_page_is_the_response_model_s_json_and_follows_writes(
    api: Api,
) -> None:
    confirm_needs(api.uow, TODAY)  # a line is accepted: its need not past
    with api.client("coord") as coord, api.client("est") as est:
        run = coord.post("/api/v1/allocation-runs", json={"as_of": "2023-06-01"})
        assert run.status_code == 201, run.text
        aid = run.json()["allocation_ids"][0]
        for client, caller in ((coord, Caller("coord", "", "coordinator")),
                               (est, Caller("est", "EST", "donor"))):
            for params in ({"limit": 5}, {"status": "proposed", "sort": "-quantity"}):
                got = client.get("/api/v1/allocations", params=params)
                assert got.status_code == 200, got.text
                page = access.list_allocations(api.app.state.ctx.read_uow(), caller, TODAY,
                                               **params)  # type: ignore[arg-type]
                model = PageOut[AllocationOut].model_validate(page, from_attributes=True)
                assert got.json() == json.loads(model.model_dump_json())
        before = coord.get("/api/v1/allocations", params={"q": aid}).json()["items"]
        assert [a["status"] for a in before] == ["proposed"]
        moved = coord.post(f"/api/v1/allocations/{aid}/transitions", json={"to": "pledged"})
        assert moved.status_code == 200, moved.text
        after = coord.get("/api/v1/allocations", params={"q": aid}).json()["items"]
        assert [a["status"] for a in after] == ["pledged"]
        bad = coord.get("/api/v1/allocations", params={"sort": "nonsense"})
        assert bad.status_code == 422
