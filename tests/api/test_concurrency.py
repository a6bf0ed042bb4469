"""Concurrent pledges never over-commit an offer or a request; retries with one
Idempotency-Key take effect once. Real HTTP on loopback, many threads, SQLite and
PostgreSQL (the ``store`` fixture runs each test on both)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from allied.service.ledger import verify_chain
from api.conftest import Api
from api.live import call, serving

THREADS = 8


def _fire(port: int, jobs: list[dict[str, Any]]) -> list[tuple[int, Any, dict[str, str]]]:
    """Run every job at once (a barrier releases all threads together)."""
    barrier = threading.Barrier(len(jobs))

    def one(job: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        barrier.wait()
        return call(
            port,
            "POST",
            job["path"],
            token=job["token"],
            body=job["body"],
            headers=job.get("headers"),
        )

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(one, jobs))


def _offer(api: Api, oid: str, qty: int) -> None:
    r = api.client("coord").post(
        "/api/v1/offers",
        json={
            "id": oid,
            "donor": "EST",
            "family": "other",
            "quantity": qty,
            "available_from": "2024-01-01",
            "releasability": "public",
        },
    )
    assert r.status_code == 201, r.text


def _request(api: Api, rid: str, qty: int, needed_by: str = "2024-12-31") -> None:
    r = api.client("coord").post(
        "/api/v1/requests",
        json={
            "id": rid,
            "recipient": "UKR",
            "family": "other",
            "quantity": qty,
            "priority": 3,
            "needed_by": needed_by,
            "releasability": "public",
        },
    )
    assert r.status_code == 201, r.text


def _pledged_entries(api: Api, offer: str) -> int:
    entries = api.client("audit").get("/api/v1/ledger/entries", params={"limit": 200}).json()
    after = 0
    count = 0
    while entries["items"]:
        for e in entries["items"]:
            after = e["seq"]
            if e["kind"] == "allocation.pledged" and e["payload"]["offer"] == offer:
                count += 1
        entries = (
            api.client("audit")
            .get("/api/v1/ledger/entries", params={"limit": 200, "after": after})
            .json()
        )
    return count


def test_concurrent_pledges_never_exceed_the_offer(api: Api) -> None:
    _offer(api, "RACE-OFFER", 10)
    _request(api, "RACE-REQ", 1000)
    tokens = [api.tokens["est"], api.tokens["coord"]]
    jobs = [
        {
            "path": "/api/v1/pledges",
            "token": tokens[i % 2],
            "body": {"offer": "RACE-OFFER", "request": "RACE-REQ", "quantity": 1},
        }
        for i in range(3 * THREADS)
    ]
    with serving(api.app) as port:
        results = _fire(port, jobs)
    statuses = sorted(s for s, _, _ in results)
    assert statuses.count(201) == 10, statuses
    refused = [b for s, b, _ in results if s != 201]
    assert all(b["field"] == "quantity" for b in refused), refused
    offer = api.client("coord").get("/api/v1/offers/RACE-OFFER").json()
    assert offer["committed"] == 10 and offer["available"] == 0
    allocs = api.client("coord").get("/api/v1/allocations", params={"offer": "RACE-OFFER"}).json()
    assert sum(a["quantity"] for a in allocs["items"]) == 10
    assert len({a["id"] for a in allocs["items"]}) == 10
    assert verify_chain(api.store.uow()) > 0
    assert _pledged_entries(api, "RACE-OFFER") == 10


def test_concurrent_pledges_never_exceed_the_request(api: Api) -> None:
    for i in range(4):
        _offer(api, f"RACE-O{i}", 100)
    _request(api, "RACE-SMALL", 7)
    jobs = [
        {
            "path": "/api/v1/pledges",
            "token": api.tokens["coord"],
            "body": {"offer": f"RACE-O{i % 4}", "request": "RACE-SMALL", "quantity": 1},
        }
        for i in range(2 * THREADS)
    ]
    with serving(api.app) as port:
        results = _fire(port, jobs)
    assert sorted(s for s, _, _ in results).count(201) == 7
    assert all(s in (201, 422) for s, _, _ in results), results
    request = api.client("coord").get("/api/v1/requests/RACE-SMALL").json()
    assert request["pledged"] == 7 and request["outstanding"] == 0
    assert verify_chain(api.store.uow()) > 0


def test_concurrent_retries_with_one_idempotency_key_take_effect_once(api: Api) -> None:
    _offer(api, "IDEM-OFFER", 50)
    _request(api, "IDEM-REQ", 50)
    body = {"offer": "IDEM-OFFER", "request": "IDEM-REQ", "quantity": 3}
    jobs = [
        {
            "path": "/api/v1/pledges",
            "token": api.tokens["est"],
            "body": body,
            "headers": {"Idempotency-Key": "pledge-once"},
        }
        for _ in range(THREADS)
    ]
    with serving(api.app) as port:
        results = _fire(port, jobs)
        again = call(
            port,
            "POST",
            "/api/v1/pledges",
            token=api.tokens["est"],
            body=body,
            headers={"Idempotency-Key": "pledge-once"},
        )
    assert {s for s, _, _ in results} == {201}, results
    assert len({b["id"] for _, b, _ in results}) == 1
    assert again[0] == 201 and again[1]["id"] == results[0][1]["id"]
    assert again[2].get("idempotent-replayed") == "true"
    offer = api.client("coord").get("/api/v1/offers/IDEM-OFFER").json()
    assert offer["committed"] == 3
    assert _pledged_entries(api, "IDEM-OFFER") == 1
