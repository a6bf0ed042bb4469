"""``allied serve`` as a real process on a free loopback port: it serves, shuts down
gracefully on SIGTERM, and after SIGKILL in the middle of a burst of writes it restarts
with a ledger that verifies and every acknowledged write present."""

from __future__ import annotations

import datetime as dt
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from api.conftest import Api
from api.live import ServeProcess, call, free_port, wait_healthy

pytestmark = pytest.mark.slow

#: the served process files records on the real day (its clock is not the tests' TODAY)
TODAY_REAL = dt.date.today().isoformat()


def _db_url(api: Api) -> str:
    return api.store.engine.url.render_as_string(hide_password=False)


def test_serve_answers_and_stops_gracefully(api: Api) -> None:
    port = free_port()
    server = ServeProcess(_db_url(api), port)
    try:
        wait_healthy(port, server.proc)
        status, body, _ = call(port, "GET", "/api/v1/offers?limit=5", token=api.tokens["est"])
        assert status == 200 and body["limit"] == 5 and body["total"] >= 5
        assert call(port, "GET", "/api/v1/offers")[0] == 401
        status, doc, _ = call(port, "GET", "/api/v1/openapi.json")
        assert status == 200 and "/api/v1/pledges" in doc["paths"]
        offer = {"donor": "EST", "family": "atgm", "quantity": 5, "available_from": TODAY_REAL}
        status, made, _ = call(port, "POST", "/api/v1/offers", token=api.tokens["est"], body=offer)
        assert status == 201, made
        code = server.stop(signal.SIGTERM)
        out = server.output()
    finally:
        server.close()
    # uvicorn finishes in-flight requests, runs the shutdown (closing the store), then
    # exits by the signal it received
    assert code in (0, -signal.SIGTERM), out
    assert "Application shutdown complete" in out, out


def test_sigkill_mid_burst_loses_no_acknowledged_write(api: Api) -> None:
    port = free_port()
    server = ServeProcess(_db_url(api), port)
    proc = server.proc
    acknowledged: list[str] = []
    lock = threading.Lock()
    killed = threading.Event()

    def write(i: int) -> None:
        if killed.is_set():
            return
        oid = f"CRASH-{i:04d}"
        try:
            status, _, _ = call(
                port,
                "POST",
                "/api/v1/offers",
                token=api.tokens["coord"],
                body={
                    "id": oid,
                    "donor": "EST",
                    "family": "other",
                    "quantity": 1,
                    "available_from": TODAY_REAL,
                },
                timeout=10,
            )
        except OSError:
            return  # the server died under this request: not acknowledged
        if status == 201:
            with lock:
                acknowledged.append(oid)
                if len(acknowledged) == 25 and not killed.is_set():
                    killed.set()
                    proc.send_signal(signal.SIGKILL)

    try:
        wait_healthy(port, proc)
        with ThreadPoolExecutor(max_workers=6) as pool:
            list(pool.map(write, range(400)))
        assert killed.is_set(), "the burst ended before the kill"
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
    finally:
        server.close()

    port2 = free_port()
    again = ServeProcess(_db_url(api), port2)
    try:
        wait_healthy(port2, again.proc)
        status, verdict, _ = call(port2, "GET", "/api/v1/ledger/verify", token=api.tokens["audit"])
        assert status == 200 and verdict["intact"] is True
        listed: dict[str, Any] = call(
            port2, "GET", "/api/v1/offers?family=other&limit=200", token=api.tokens["coord"]
        )[1]
        stored = {o["id"] for o in listed["items"]}
        assert set(acknowledged) <= stored
        assert len(acknowledged) >= 25
    finally:
        again.stop(signal.SIGTERM)
        again.close()


def test_two_worker_processes_never_over_commit(api: Api) -> None:
    """Across processes (SQLite: its database write lock; PostgreSQL: row locks), and an
    Idempotency-Key raced over both processes takes effect once."""
    from api.test_concurrency import THREADS, _fire, _offer, _pledged_entries, _request

    _offer(api, "PROC-OFFER", 10)
    # needed after the served process's (real) today: a pledge to an overdue need is refused
    _request(api, "PROC-REQ", 1000,
             needed_by=(dt.date.today() + dt.timedelta(days=30)).isoformat())
    _offer(api, "PROC-IDEM", 50)
    port = free_port()
    server = ServeProcess(_db_url(api), port, "--workers", "2")
    try:
        wait_healthy(port, server.proc)
        body = {"offer": "PROC-OFFER", "request": "PROC-REQ", "quantity": 1}
        jobs: list[dict[str, Any]] = [
            {"path": "/api/v1/pledges", "token": api.tokens["est"], "body": body}
            for _ in range(3 * THREADS)
        ]
        results = _fire(port, jobs)
        keyed = _fire(
            port,
            [
                {
                    "path": "/api/v1/pledges",
                    "token": api.tokens["coord"],
                    "body": {**body, "offer": "PROC-IDEM", "quantity": 3},
                    "headers": {"Idempotency-Key": "two-workers"},
                }
                for _ in range(THREADS)
            ],
        )
        server.stop(signal.SIGTERM)
    finally:
        server.close()
    ok = [s for s, _, _ in results if s == 201]
    assert len(ok) == 10, sorted(s for s, _, _ in results)
    # one key, eight racing requests over two processes: one pledge, one answer
    assert {s for s, _, _ in keyed} == {201}, keyed
    assert len({b["id"] for _, b, _ in keyed}) == 1
    assert _pledged_entries(api, "PROC-IDEM") == 1
    offer = api.client("coord").get("/api/v1/offers/PROC-OFFER").json()
    assert offer["committed"] == 10
    assert _pledged_entries(api, "PROC-OFFER") == 10
    assert api.client("audit").get("/api/v1/ledger/verify").json()["intact"] is True
