"""The app answers requests run at once on several event loops (a test client used from
several threads runs each request on a loop of its own): pledges, batched per loop, and
version reads are each answered on their own loop."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from api.conftest import Api
from api.test_concurrency import _offer, _request


def test_pledges_from_many_threads_each_get_their_answer(api: Api) -> None:
    _offer(api, "THR-OFFER", 12)
    _request(api, "THR-REQ", 100)
    client = api.client("est")
    body = {"offer": "THR-OFFER", "request": "THR-REQ", "quantity": 1}

    def one(_: int) -> int:
        return client.post("/api/v1/pledges", json=body).status_code

    pool = ThreadPoolExecutor(max_workers=8)
    try:  # an answer lost on another loop fails the test instead of hanging it
        codes = list(pool.map(one, range(20), timeout=60))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    assert sorted(codes) == [201] * 12 + [422] * 8
    offer = api.client("coord").get("/api/v1/offers/THR-OFFER").json()
    assert offer["committed"] == 12
    assert api.client("audit").get("/api/v1/ledger/verify").json()["intact"] is True
