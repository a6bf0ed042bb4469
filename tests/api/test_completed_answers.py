"""After a pledge, a kept list page is completed with the new sums by CachedReads itself,
without entering the application: the same bytes the application gives a fresh token
of the same nation and role, with the right length; only while nothing but pledges came
since (a change of records, a revoked token, a new day go through the application); and
a nation's page never counts pledges of offers it does not see."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from fastapi.testclient import TestClient

from allied.entrypoints.api import create_app
from allied.entrypoints.api.fast.store import AnswerStore, Versions
from allied.service import access
from allied.service.caller import Caller
from allied.service.holdings import Holdings
from api.conftest import TODAY, Api

OFFERS, REQUESTS = "/api/v1/offers", "/api/v1/requests"
FAMILY = "other"


def _setup(api: Api) -> None:
    def offer(oid: str, donor: str, releasability: str) -> dict[str, Any]:
        return {"id": oid, "donor": donor, "family": FAMILY, "quantity": 10,
                "available_from": "2024-01-01", "releasability": releasability}

    for user, body in (("est", offer("EST-CA", "EST", "public")),
                       ("gbr", offer("GBR-CA", "GBR", "owner"))):
        made = api.client(user).post(OFFERS, json=body)
        assert made.status_code == 201, made.text
    made = api.client("coord").post(REQUESTS, json={
        "id": "CA-REQ", "recipient": "UKR", "family": FAMILY, "quantity": 30, "priority": 2,
        "needed_by": "2024-12-31", "releasability": "public"})
    assert made.status_code == 201, made.text


def _pledge(client: TestClient, offer: str, quantity: int) -> dict[str, Any]:
    made = client.post("/api/v1/pledges",
                       json={"offer": offer, "request": "CA-REQ", "quantity": quantity})
    assert made.status_code == 201, made.text
    return dict(made.json())


def _row(body: dict[str, Any], rid: str) -> dict[str, Any]:
    (row,) = [r for r in body["items"] if r["id"] == rid]
    return dict(row)


def _kept_then_pledged(api: Api, quantity: int) -> tuple[TestClient, dict[str, Any]]:
    """Estonia's client and query of a kept page of offers, then ``quantity`` of EST-CA
    pledged."""
    _setup(api)
    est = api.client("est")
    query = {"family": FAMILY}
    assert est.get(OFFERS, params=query).status_code == 200  # kept
    _pledge(est, "EST-CA", quantity)
    return est, query


def test_a_page_after_pledges_is_completed_as_the_app_would_answer(api: Api) -> None:
    _setup(api)
    answers: AnswerStore = api.app.state.ctx.answers
    est = api.client("est")
    query = {"family": FAMILY, "limit": 50}
    assert answers.bytes == 0
    kept = [est.get(route, params=query) for route in (OFFERS, REQUESTS)]
    assert [r.status_code for r in kept] == [200, 200]
    # what a kept page's completer keeps alive (its records) counts in the byte budget
    rows = sum(len(r.json()["items"]) for r in kept)
    assert answers.bytes >= sum(len(r.content) for r in kept) + 1024 * rows
    _pledge(est, "EST-CA", 4)
    _pledge(api.client("gbr"), "GBR-CA", 6)  # an offer Estonia does not see
    completed, hits = answers.completed, answers.hits
    offers = est.get(OFFERS, params=query)
    requests = est.get(REQUESTS, params=query)
    assert answers.completed == completed + 2 and answers.hits == hits
    assert (_row(offers.json(), "EST-CA")["committed"], _row(offers.json(), "EST-CA")["available"]
            ) == (4, 6)
    assert all(o["id"] != "GBR-CA" for o in offers.json()["items"])
    # the British pledge is not counted for Estonia, and not revealed by the outstanding
    assert (_row(requests.json(), "CA-REQ")["pledged"], _row(requests.json(), "CA-REQ")[
        "outstanding"]) == (4, 26)
    for answer in (offers, requests):
        assert int(answer.headers["content-length"]) == len(answer.content)
        assert answer.headers["content-type"] == "application/json"
    # completed again, it is then kept as it is: the next read is a plain hit
    assert est.get(OFFERS, params=query).content == offers.content
    assert answers.completed == completed + 2 and answers.hits == hits + 1
    # a new user of the same nation and role (which moves the records version): its
    # first answer comes from the app
    api.add_user("est2", "donor", "EST")
    est2 = api.client("est2")
    assert est2.get(OFFERS, params=query).content == offers.content
    assert est2.get(REQUESTS, params=query).content == requests.content
    # the coordinator counts both pledges
    coord = api.client("coord")
    assert _row(coord.get(REQUESTS, params=query).json(), "CA-REQ")["pledged"] == 10


def test_only_changes_of_allocations_are_completed(api: Api) -> None:
    _setup(api)
    answers: AnswerStore = api.app.state.ctx.answers
    est, coord = api.client("est"), api.client("coord")
    first = _pledge(est, "EST-CA", 4)
    assert _row(est.get(OFFERS, params={"family": FAMILY}).json(), "EST-CA")["committed"] == 4
    # a withdrawal changes an allocation only: the records stay, the page is completed
    # with the sums read whole (the withdrawal names no pair), and shows it at once
    moved = est.post(f"/api/v1/allocations/{first['id']}/transitions", json={"to": "withdrawn"})
    assert moved.status_code == 200, moved.text
    completed, loads = answers.completed, api.app.state.ctx.holdings.loads
    assert _row(est.get(OFFERS, params={"family": FAMILY}).json(), "EST-CA")["committed"] == 0
    assert answers.completed == completed + 1
    assert api.app.state.ctx.holdings.loads == loads + 1
    completed = answers.completed
    # a new record is seen at once
    assert coord.post(OFFERS, json={"id": "CA-NEW", "donor": "EST", "family": FAMILY,
                                    "quantity": 1, "available_from": "2024-01-01",
                                    "releasability": "public"}).status_code == 201
    ids = [o["id"] for o in est.get(OFFERS, params={"family": FAMILY}).json()["items"]]
    assert "CA-NEW" in ids and answers.completed == completed
    # a revoked token is refused, even with a kept answer and only pledges since
    _pledge(est, "EST-CA", 1)
    assert api.client("admin").post("/api/v1/users/est/revoke").status_code == 200
    _pledge(api.client("coord"), "EST-CA", 1)
    assert est.get(OFFERS, params={"family": FAMILY}).status_code == 401
    assert answers.completed == completed


def test_a_kept_page_is_not_completed_on_another_day(api: Api) -> None:
    _setup(api)
    day = [TODAY]
    app = create_app(store=api.store, today=lambda: day[0])
    try:
        answers: AnswerStore = app.state.ctx.answers
        est = TestClient(app, headers={"Authorization": f"Bearer {api.tokens['est']}"})
        assert est.get(OFFERS).status_code == 200
        _pledge(est, "EST-CA", 2)
        day[0] = TODAY + dt.timedelta(days=1)
        assert _row(est.get(OFFERS, params={"limit": 200}).json(), "EST-CA")["committed"] == 2
        assert est.get(OFFERS).status_code == 200
        assert answers.completed == 0  # the day is part of the key: the app answered
    finally:
        app.state.ctx.close()


def test_sums_of_another_records_version_are_never_used(api: Api, monkeypatch: Any) -> None:
    """Holdings moved past a change other than a pledge (one that came after the request
    read its versions: a membership or releasability change) are of another records
    version than the kept page: the page is not completed from them, and the app reads
    its records again, at least as new as the sums."""
    ctx = api.app.state.ctx
    answers: AnswerStore = ctx.answers
    est, query = _kept_then_pledged(api, 3)
    real = ctx.holdings.at
    reads: list[int] = []
    real_records = access.offer_records

    async def newer(versions: Versions) -> Holdings:
        ahead = copy.deepcopy(await real(versions))
        ahead.records = versions.records + 1  # the same sums, of a newer records version
        return ahead

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(1)
        return real_records(*args, **kwargs)

    monkeypatch.setattr(ctx.holdings, "at", newer)
    monkeypatch.setattr(access, "offer_records", counted)
    completed = answers.completed
    page = est.get(OFFERS, params=query)
    assert page.status_code == 200
    assert _row(page.json(), "EST-CA")["committed"] == 3
    assert answers.completed == completed  # not completed in the middleware
    assert reads == [1]  # the app read the records again, at the newer version


def test_completed_on_a_loop_that_keeps_its_holdings(api: Api) -> None:
    """On one event loop (as in a server) the holdings are moved along each pledge (a
    catch-up, not a whole read) and each page after a pledge is completed from them."""
    _setup(api)
    ctx = api.app.state.ctx
    answers: AnswerStore = ctx.answers
    with api.client("est") as est, api.client("coord") as coord:
        query = {"family": FAMILY}
        assert _row(est.get(OFFERS, params=query).json(), "EST-CA")["committed"] == 0
        loads, catch_ups, completed = ctx.holdings.loads, ctx.holdings.catch_ups, answers.completed
        for n in range(1, 4):
            _pledge(coord, "EST-CA", 1)
            assert _row(est.get(OFFERS, params=query).json(), "EST-CA")["committed"] == n
        assert answers.completed == completed + 3
        assert ctx.holdings.catch_ups >= catch_ups + 3 and ctx.holdings.loads == loads


def test_a_failure_to_complete_goes_through_the_app(api: Api, monkeypatch: Any) -> None:
    """When the holdings cannot be read, or the day turns while they are, the middleware
    completes nothing and the application answers (its own way)."""
    ctx = api.app.state.ctx
    answers: AnswerStore = ctx.answers
    est, query = _kept_then_pledged(api, 2)
    real = ctx.holdings.at
    calls: list[int] = []

    async def failing(versions: Versions) -> Holdings:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        return await real(versions)

    monkeypatch.setattr(ctx.holdings, "at", failing)
    completed = answers.completed
    page = est.get(OFFERS, params=query)
    assert page.status_code == 200 and _row(page.json(), "EST-CA")["committed"] == 2
    assert answers.completed == completed and calls == [1, 1]  # the app read them again

    day = [TODAY]
    app = create_app(store=api.store, today=lambda: day[0])
    try:
        turning = app.state.ctx
        usa = TestClient(app, headers={"Authorization": f"Bearer {api.tokens['usa']}"})
        assert usa.get(OFFERS).status_code == 200  # kept
        _pledge(est, "EST-CA", 1)
        at = turning.holdings.at

        async def midnight(versions: Versions) -> Holdings:
            found = await at(versions)
            day[0] = TODAY + dt.timedelta(days=1)  # the day turns meanwhile
            return found

        monkeypatch.setattr(turning.holdings, "at", midnight)
        assert usa.get(OFFERS).status_code == 200
        assert turning.answers.completed == 0
    finally:
        app.state.ctx.close()


def test_offer_totals_follow_pledges_from_the_holdings(api: Api) -> None:
    """The totals per group are kept across pledges like a page: completed with the new
    committed sums, the same as the service sums from the store, over visible offers only."""
    _setup(api)
    answers: AnswerStore = api.app.state.ctx.answers
    est, gbr = api.client("est"), api.client("gbr")
    totals = "/api/v1/offers/totals"

    def other(client: TestClient, by: str = "family") -> dict[str, Any]:
        got = client.get(totals, params={"by": by})
        assert got.status_code == 200, got.text
        assert int(got.headers["content-length"]) == len(got.content)
        (row,) = [t for t in got.json() if t["key"] == FAMILY]
        return dict(row)

    before_est, before_gbr = other(est), other(gbr)
    _pledge(est, "EST-CA", 4)
    _pledge(gbr, "GBR-CA", 6)  # Estonia does not see the British offer
    completed = answers.completed
    after_est, after_gbr = other(est), other(gbr)
    assert answers.completed == completed + 2
    assert after_est["committed"] == before_est["committed"] + 4
    assert after_gbr["committed"] == before_gbr["committed"] + 4 + 6  # sees both offers
    # as the service sums them from the store (the web dashboard's path)
    for user, got in (("est", after_est), ("gbr", after_gbr)):
        nation = "EST" if user == "est" else "GBR"
        plain = access.offer_totals(api.store.uow(), Caller(user, nation, "donor"), TODAY,
                                    "family")
        assert [t for t in plain if t["key"] == FAMILY] == [got]
