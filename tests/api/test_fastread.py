"""Repeated reads are answered before the framework runs (CachedReads): the same bytes
and headers the application gave, only while nothing they depend on has changed, only to
the same token on the same day, and never for errors or uncached routes."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading

import httpx

from allied.entrypoints.api import create_app
from allied.service import access
from api.conftest import TODAY, USERS, Api

OFFERS = "/api/v1/offers"


def _answers(api: Api) -> int:
    return int(api.app.state.ctx.answers.hits)


def test_a_repeated_read_gets_the_same_bytes_and_headers_without_the_app(api: Api) -> None:
    est = api.client("est")
    first = est.get(OFFERS, params={"limit": 5})
    assert first.status_code == 200
    before = _answers(api)
    again = est.get(OFFERS, params={"limit": 5})
    assert _answers(api) == before + 1
    assert again.content == first.content
    for name in ("content-type", "content-length"):
        assert again.headers[name] == first.headers[name]
    # another query is another answer
    assert est.get(OFFERS, params={"limit": 6}).json()["limit"] == 6
    assert _answers(api) == before + 1


def test_a_change_is_seen_by_the_next_read(api: Api) -> None:
    coord = api.client("coord")
    offer = coord.post(
        OFFERS,
        json={"donor": "EST", "family": "atgm", "quantity": 5, "available_from": "2024-01-01",
              "releasability": "public"},
    ).json()["id"]
    req = coord.post(
        "/api/v1/requests",
        json={"recipient": "UKR", "family": "atgm", "quantity": 9, "needed_by": "2024-12-31",
              "releasability": "public"},
    ).json()["id"]
    est = api.client("est")

    def committed() -> int:
        items = est.get(OFFERS, params={"donor": "EST", "limit": 200}).json()["items"]
        return int({o["id"]: o["committed"] for o in items}[offer])

    assert committed() == 0
    assert committed() == 0  # kept
    answers = _answers(api)
    assert est.post("/api/v1/pledges", json={"offer": offer, "request": req, "quantity": 2}
                    ).status_code == 201
    assert committed() == 2  # the pledge moved the head: the app answered again
    assert _answers(api) == answers
    assert committed() == 2
    assert _answers(api) == answers + 1


def test_a_revoked_token_is_refused_at_once(api: Api) -> None:
    gbr = api.client("gbr")
    assert gbr.get(OFFERS).status_code == 200
    assert gbr.get(OFFERS).status_code == 200  # kept for this token
    assert api.client("admin").post("/api/v1/users/gbr/revoke").status_code == 200
    refused = gbr.get(OFFERS)
    assert refused.status_code == 401, refused.text


def test_answers_are_kept_per_token(api: Api) -> None:
    """Two users of the same nation and role see the same records, but one's kept answer
    is never given to the other's token, nor to a wrong token."""
    api.add_user("est2", "donor", "EST")
    est, est2 = api.client("est"), api.client("est2")
    assert est.get(OFFERS).status_code == 200
    answers = _answers(api)
    assert est2.get(OFFERS).content == est.get(OFFERS).content
    assert _answers(api) == answers + 1  # est's second read only
    wrong = api.client("est")
    wrong.headers["Authorization"] = "Bearer " + api.tokens["est"] + "x"
    assert wrong.get(OFFERS).status_code == 401
    lower = api.client("est")
    lower.headers["Authorization"] = "bearer " + api.tokens["est"]
    assert lower.get(OFFERS).status_code == 200  # the scheme is not case-sensitive


def test_errors_and_uncached_routes_are_not_kept(api: Api) -> None:
    est = api.client("est")
    answers = _answers(api)
    for _ in range(2):
        assert est.get(OFFERS, params={"limit": 100000}).status_code == 422
        assert est.get(OFFERS, params={"channel": "nope"}).status_code == 422
        assert est.get("/api/v1/offers/NO-SUCH").status_code == 404
    offer = est.get(OFFERS).json()["items"][0]["id"]
    for _ in range(2):
        assert est.get(f"{OFFERS}/{offer}").status_code == 200  # not a cached route
    assert api.client().get(OFFERS).status_code == 401  # no token
    assert api.client().get(OFFERS).status_code == 401
    assert _answers(api) == answers


def test_an_answer_is_kept_for_its_day_only(api: Api) -> None:
    day = [TODAY]
    app = create_app(store=api.store, today=lambda: day[0])
    try:
        from fastapi.testclient import TestClient

        client = TestClient(app, headers={"Authorization": f"Bearer {api.tokens['usa']}"})
        answers = app.state.ctx.answers
        assert client.get(OFFERS).status_code == 200
        assert client.get(OFFERS).status_code == 200
        assert answers.hits == 1
        day[0] = TODAY + dt.timedelta(days=1)
        assert client.get(OFFERS).status_code == 200
        assert answers.hits == 1  # a new day: releasability by membership is evaluated again
    finally:
        app.state.ctx.close()


def test_reads_that_miss_together_enter_the_app_once(api: Api, monkeypatch: object) -> None:
    """After a change every reader misses at once: one goes through the application, the
    others take its answer."""
    gate = threading.Event()
    calls: list[int] = []
    real = access.offer_records

    def slow(*args: object, **kwargs: object) -> object:
        calls.append(1)
        gate.wait(5)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    token = api.tokens["gbr"]
    gbr = api.client("gbr")
    assert gbr.get(OFFERS).status_code == 200  # an answer kept, then a change
    assert api.client("coord").post(
        "/api/v1/requests",
        json={"recipient": "UKR", "family": "atgm", "quantity": 9, "needed_by": "2024-12-31",
              "releasability": "public"},
    ).status_code == 201
    monkeypatch.setattr(access, "offer_records", slow)  # type: ignore[attr-defined]

    async def burst() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=api.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test",
            headers={"Authorization": f"Bearer {token}"},
        ) as client:
            tasks = [asyncio.ensure_future(client.get(OFFERS)) for _ in range(6)]
            await asyncio.sleep(0.2)
            gate.set()
            return list(await asyncio.gather(*tasks))

    answers = _answers(api)
    responses = asyncio.run(burst())
    assert [r.status_code for r in responses] == [200] * 6
    assert len({r.content for r in responses}) == 1
    assert len(calls) == 1
    assert _answers(api) == answers + 5


def test_the_roles_are_all_served(api: Api) -> None:
    """Every role reading a cached route twice gets the same answer both times."""
    for user in USERS:
        client = api.client(user)
        first = client.get("/api/v1/requests")
        assert client.get("/api/v1/requests").content == first.content, user


def test_reads_never_kept_do_not_wait_for_each_other(api: Api, monkeypatch: object) -> None:
    """Concurrent reads of a route whose answers are not kept (one offer) each go through
    the application at once: none waits for another to finish."""
    offer = api.client("gbr").get(OFFERS).json()["items"][0]["id"]
    started: list[int] = []
    together: list[bool] = []
    all_in = threading.Event()
    real = access.get_offer

    def slow(*args: object, **kwargs: object) -> object:
        started.append(1)
        if len(started) == 4:
            all_in.set()
        # all four in the application together, or one waited for another
        together.append(all_in.wait(3))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(access, "get_offer", slow)  # type: ignore[attr-defined]
    token = api.tokens["gbr"]

    async def burst() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=api.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test",
            headers={"Authorization": f"Bearer {token}"},
        ) as client:
            return list(await asyncio.gather(*(client.get(f"{OFFERS}/{offer}") for _ in range(4))))

    for _ in range(2):
        started.clear()
        together.clear()
        all_in.clear()
        responses = asyncio.run(burst())
        assert [r.status_code for r in responses] == [200] * 4
        assert together == [True] * 4


def _scope(token: str, path: str = OFFERS) -> dict[str, object]:
    return {
        "type": "http", "method": "GET", "path": path, "raw_path": path.encode(),
        "query_string": b"", "root_path": "", "scheme": "http", "http_version": "1.1",
        "headers": [(b"authorization", f"Bearer {token}".encode())],
        "client": ("127.0.0.1", 1), "server": ("test", 80),
    }


async def _receive() -> dict[str, object]:
    return {"type": "http.request", "body": b"", "more_body": False}


def _marking_app(
    token: str,
    headers: list[tuple[bytes, bytes]],
    calls: list[int],
    computing: asyncio.Event | None = None,
) -> object:
    from allied.domain.users import hash_token
    from allied.entrypoints.api.fast.responses import CACHED_MARK, DIGEST_KEY

    async def app(scope: dict[str, object], receive: object, send: object) -> None:
        calls.append(1)
        if computing is not None:
            await computing.wait()
        scope[CACHED_MARK] = True
        scope[DIGEST_KEY] = hash_token(token)
        await send({"type": "http.response.start", "status": 200, "headers": headers})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": b"{}"})  # type: ignore[operator]

    return app


def test_an_answer_with_other_headers_is_never_kept(api: Api) -> None:
    from allied.entrypoints.api.fast.middleware import CachedReads

    token = api.tokens["est"]
    ctx = api.app.state.ctx
    json_type = (b"content-type", b"application/json")

    async def twice(headers: list[tuple[bytes, bytes]]) -> int:
        calls: list[int] = []
        mw = CachedReads(_marking_app(token, headers, calls), ctx)  # type: ignore[arg-type]
        sent: list[object] = []

        async def send(message: object) -> None:
            sent.append(message)

        for path in (f"{OFFERS}/a", f"{OFFERS}/a"):
            await mw(_scope(token, path), _receive, send)
        return len(calls)

    assert asyncio.run(twice([json_type, (b"set-cookie", b"session=1")])) == 2
    assert asyncio.run(twice([json_type, (b"content-length", b"2")])) == 1


def test_waiters_get_the_answer_before_a_slow_client_of_the_leader(
    api: Api, monkeypatch: object
) -> None:
    """The request that went through the application hands its answer to those waiting
    as soon as it is known, not after its own client has taken it."""
    from allied.entrypoints.api.fast.middleware import CachedReads
    from allied.entrypoints.api.fast.store import Versions

    token = api.tokens["est"]
    ctx = api.app.state.ctx
    versions = [Versions(1, 1)]

    async def fixed() -> Versions:
        return versions[0]

    monkeypatch.setattr(ctx.cache, "aversions", fixed)  # type: ignore[attr-defined]
    calls: list[int] = []

    async def scenario() -> list[object]:
        computing = asyncio.Event()
        computing.set()
        app = _marking_app(token, [(b"content-type", b"application/json")], calls, computing)
        mw = CachedReads(app, ctx)  # type: ignore[arg-type]

        async def ignore(message: object) -> None:
            return None

        await mw(_scope(token), _receive, ignore)  # an answer kept at (1, 1)
        versions[0] = Versions(2, 1)  # a change: the next readers miss together
        computing.clear()  # the leader computes until the waiter has come
        client_took = asyncio.Event()

        async def slow(message: dict[str, object]) -> None:
            if message["type"] == "http.response.body":
                await client_took.wait()

        got: list[object] = []

        async def fast(message: dict[str, object]) -> None:
            got.append(message["type"])

        leader = asyncio.ensure_future(mw(_scope(token), _receive, slow))
        await asyncio.sleep(0.01)
        waiter = asyncio.ensure_future(mw(_scope(token), _receive, fast))
        await asyncio.sleep(0.01)
        computing.set()
        await asyncio.wait_for(waiter, 2)
        client_took.set()
        await leader
        return got

    assert asyncio.run(scenario()) == ["http.response.start", "http.response.body"]
    assert len(calls) == 2  # the first answer, then the leader's; the waiter took it


def test_many_kept_answers_do_not_push_out_the_shared_results(store: object) -> None:
    from allied.entrypoints.api import ApiOptions
    from api.conftest import make_api

    small = make_api(store, ApiOptions(cache_size=20))  # type: ignore[arg-type]
    try:
        usa, est = small.client("usa"), small.client("est")
        assert usa.get(OFFERS).status_code == 200
        for i in range(40):  # unknown parameters are ignored, each a query of its own
            assert est.get(OFFERS, params={"junk": i}).status_code == 200
        cache = small.app.state.ctx.cache
        misses = cache.misses
        assert est.get(OFFERS).status_code == 200  # shared view of EST donors: kept
        assert usa.get(OFFERS).status_code == 200
        assert cache.misses == misses  # the caller, memberships and pages all still kept
    finally:
        small.app.state.ctx.close()
