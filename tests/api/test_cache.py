"""The read cache is keyed by the data version: a change is seen at once; callers of
different nations never share a result."""

from __future__ import annotations

import asyncio

from api.conftest import Api


def test_a_change_is_seen_at_once_and_views_are_not_shared(api: Api) -> None:
    cache = api.app.state.ctx.cache
    est, gbr = api.client("est"), api.client("gbr")
    before = est.get("/api/v1/offers", params={"donor": "EST"}).json()
    answers = api.app.state.ctx.answers
    hits, misses, given = cache.hits, cache.misses, answers.hits
    assert est.get("/api/v1/offers", params={"donor": "EST"}).json() == before
    # nothing changed: the whole answer is given again, without entering the app
    assert (cache.hits, cache.misses, answers.hits) == (hits, misses, given + 1)
    secret = {"donor": "EST", "family": "atgm", "quantity": 2, "available_from": "2024-01-01"}
    made = est.post("/api/v1/offers", json=secret).json()["id"]
    after = est.get("/api/v1/offers", params={"donor": "EST"}).json()
    assert after["total"] == before["total"] + 1
    assert made in {o["id"] for o in after["items"]}
    # same route and parameters, another nation: its own view, without the owner-only offer
    other = gbr.get("/api/v1/offers", params={"donor": "EST"}).json()
    assert made not in {o["id"] for o in other["items"]}
    assert gbr.get(f"/api/v1/offers/{made}").status_code == 404
    # a pledge changes the committed quantity shown in the (cached) list at once
    req = (
        api.client("coord")
        .post(
            "/api/v1/requests",
            json={
                "recipient": "UKR",
                "family": "atgm",
                "quantity": 9,
                "needed_by": "2024-12-31",
                "releasability": "public",
            },
        )
        .json()["id"]
    )
    pledged = est.post("/api/v1/pledges", json={"offer": made, "request": req, "quantity": 2})
    assert pledged.status_code == 201, pledged.text
    mine = est.get("/api/v1/offers", params={"donor": "EST"}).json()["items"]
    assert {o["id"]: o["committed"] for o in mine}[made] == 2


def _versions(api: Api) -> tuple[int, int]:
    v = asyncio.run(api.app.state.ctx.cache.aversions())
    return v.seq, v.records


def test_a_pledge_moves_the_head_but_not_the_records_version(api: Api) -> None:
    coord = api.client("coord")
    offer = coord.post(
        "/api/v1/offers",
        json={"donor": "EST", "family": "atgm", "quantity": 5, "available_from": "2024-01-01",
              "releasability": "public"},
    ).json()["id"]
    req = coord.post(
        "/api/v1/requests",
        json={"recipient": "UKR", "family": "atgm", "quantity": 9, "needed_by": "2024-12-31",
              "releasability": "public"},
    ).json()["id"]
    seq, records = _versions(api)
    assert seq == records  # creating records moved both
    est = api.client("est")
    est.get("/api/v1/offers", params={"donor": "EST"})  # fills the cache
    cache = api.app.state.ctx.cache
    hits, misses = cache.hits, cache.misses
    assert est.post("/api/v1/pledges", json={"offer": offer, "request": req, "quantity": 3}
                    ).status_code == 201
    assert _versions(api) == (seq + 1, records)
    # the pledge used the cached caller and memberships; the list after it is the kept
    # answer completed with the new sums (CachedReads), without entering the app
    completed = api.app.state.ctx.answers.completed
    page = est.get("/api/v1/offers", params={"donor": "EST"}).json()["items"]
    assert {o["id"]: (o["committed"], o["available"]) for o in page}[offer] == (3, 2)
    assert api.app.state.ctx.answers.completed == completed + 1
    assert cache.misses == misses
    assert cache.hits == hits + 2  # pledge: caller, memberships
    # any other change moves both versions
    assert coord.post(f"/api/v1/requests/{req}/priority", json={"priority": 1}).status_code == 200
    assert _versions(api) == (seq + 2, seq + 2)


def test_requests_that_miss_together_compute_once(api: Api) -> None:
    """After a change every reader of a list misses at once: one computes, the rest wait
    for its result; an error reaches every waiter and is not cached."""
    import asyncio
    import threading

    cache = api.app.state.ctx.cache
    calls: list[int] = []
    gate = threading.Event()

    def compute() -> str:
        calls.append(1)
        gate.wait(5)
        return "value"

    def failing() -> str:
        calls.append(1)
        gate.wait(5)
        raise RuntimeError("boom")

    async def burst(fn: object, version: int) -> list[object]:
        tasks = [asyncio.ensure_future(cache.aget(("k",), fn, version)) for _ in range(8)]
        await asyncio.sleep(0.05)
        gate.set()
        return await asyncio.gather(*tasks, return_exceptions=True)

    assert asyncio.run(burst(compute, 1)) == ["value"] * 8
    assert len(calls) == 1
    calls.clear()
    gate.clear()
    errors = asyncio.run(burst(failing, 2))
    assert len(calls) == 1 and all(isinstance(e, RuntimeError) for e in errors)
    gate.set()
    assert asyncio.run(cache.aget(("k",), compute, 2)) == "value"  # computed again


def test_a_cancelled_computation_is_not_passed_to_those_waiting(api: Api) -> None:
    import asyncio
    import threading

    cache = api.app.state.ctx.cache
    gate = threading.Event()
    calls: list[int] = []

    def compute() -> str:
        calls.append(1)
        gate.wait(5)
        return "value"

    async def scenario() -> object:
        leader = asyncio.ensure_future(cache.aget(("c",), compute, 7))
        await asyncio.sleep(0.05)
        waiter = asyncio.ensure_future(cache.aget(("c",), compute, 7))
        await asyncio.sleep(0.05)
        leader.cancel()
        await asyncio.sleep(0.05)
        gate.set()
        return await waiter

    assert asyncio.run(scenario()) == "value"
    assert len(calls) == 2  # the waiter computed it itself


def test_the_cache_keeps_at_most_its_bytes_least_recently_used_first(api: Api) -> None:
    from allied.entrypoints.api.fast.middleware import Answer
    from allied.entrypoints.api.fast.store import VersionedCache

    cache = VersionedCache(api.store.engine, size=100, max_bytes=1000)
    try:
        cache.store("a", 1, b"x" * 400)
        cache.store("b", 1, Answer([(b"content-type", b"application/json")], b"y" * 400))
        cache.store("c", 1, ("not", "json"))  # weighs nothing
        assert cache.bytes == 800
        assert cache.lookup("a", 1) == (True, b"x" * 400)  # a is now the most recent
        cache.store("d", 1, b"z" * 300)  # over 1000: b, the least recently used, goes
        assert cache.bytes == 700
        assert cache.lookup("b", 1) == (False, None)
        assert cache.lookup("a", 1)[0] and cache.lookup("d", 1)[0] and cache.lookup("c", 1)[0]
        cache.store("a", 2, b"x" * 100)  # replaced: its old bytes no longer count
        assert cache.bytes == 400
        cache.store("huge", 1, b"h" * 1001)  # never kept, and evicts nothing
        assert cache.lookup("huge", 1) == (False, None) and cache.bytes == 400
    finally:
        cache.close()


def test_a_small_byte_budget_still_answers_right(store: object) -> None:
    from allied.entrypoints.api import ApiOptions
    from api.conftest import make_api

    small = make_api(store, ApiOptions(cache_bytes=10))  # type: ignore[arg-type]
    try:
        est = small.client("est")
        first = est.get("/api/v1/offers")
        assert first.status_code == 200 and len(first.content) > 10
        assert est.get("/api/v1/offers").content == first.content
        ctx = small.app.state.ctx
        assert ctx.answers.hits == 0 and ctx.answers.bytes == ctx.cache.bytes == 0
    finally:
        small.app.state.ctx.close()


def test_encode_writes_dataclasses_as_their_fields_without_copying_first() -> None:
    import dataclasses
    import json

    import pytest

    from allied.entrypoints.api.fast.responses import encode
    from allied.service.access import Page

    @dataclasses.dataclass
    class Pair:
        a: int
        b: tuple[int, ...]

    page = Page([{"id": "OFF-1", "q": 3, "tags": ["é"], "none": None}], 1, 50, 0)
    assert encode(page) == json.dumps(
        dataclasses.asdict(page), separators=(",", ":"), ensure_ascii=False
    ).encode()
    assert json.loads(encode({"k": [Pair(1, (2, 3))]})) == {"k": [{"a": 1, "b": [2, 3]}]}
    with pytest.raises(TypeError, match="set is not JSON"):
        encode({"bad": {1}})
    with pytest.raises(TypeError, match="type is not JSON"):
        encode(Pair)
