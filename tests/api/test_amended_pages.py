"""After amendments of requests and offers, a kept list page is completed by the
middleware only when the amendments cannot have changed it (:mod:`allied.service.unchanged`),
and every answer equals what an app without any cache gives the same token on the same
store at the same moment: no stale page is ever served, whatever was amended (a row on
the page, a field searched, sorted or filtered on, releasability), and a nation never
sees a record no longer released to it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from allied.entrypoints.api import ApiOptions, create_app
from api.conftest import TODAY, Api

FAMILY = "other"
#: the pages Estonia keeps: one row each, rows of one kind sorted, searched, grouped
QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("/api/v1/offers", {"family": FAMILY, "limit": 1, "offset": 0}),
    ("/api/v1/offers", {"family": FAMILY, "limit": 1, "offset": 1}),
    ("/api/v1/offers", {"family": FAMILY, "limit": 1, "offset": 2}),
    ("/api/v1/offers", {"family": FAMILY, "q": "spare"}),
    ("/api/v1/offers", {"family": FAMILY, "sort": "-quantity", "limit": 2}),
    ("/api/v1/offers/totals", {"by": "family"}),
    ("/api/v1/requests", {"family": FAMILY}),
    ("/api/v1/requests", {"family": FAMILY, "priority": 2}),
    ("/api/v1/requests", {"family": FAMILY, "q": "tubes"}),
]


def _offer(oid: str, donor: str, quantity: int) -> dict[str, Any]:
    return {"id": oid, "donor": donor, "family": FAMILY, "quantity": quantity,
            "available_from": "2024-01-01", "releasability": "public"}


def _ok(answer: Any) -> Any:
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def _same_as_uncached(est: TestClient, fresh: TestClient) -> list[bytes]:
    got = []
    for path, query in QUERIES:
        kept, reference = est.get(path, params=query), fresh.get(path, params=query)
        assert kept.status_code == reference.status_code == 200, (path, query, kept.text)
        assert kept.content == reference.content, (path, query)
        got.append(kept.content)
    return got


def test_pages_after_amendments_equal_the_uncached_answers(api: Api) -> None:
    ctx = api.app.state.ctx
    uncached = create_app(store=api.store, options=ApiOptions(cache_size=0),
                          today=lambda: TODAY)
    est_token = api.tokens["est"]
    with api.client("est") as est, api.client("coord") as coord, \
            TestClient(uncached, headers={"Authorization": f"Bearer {est_token}"}) as fresh:
        for oid, quantity in (("EST-AM1", 10), ("EST-AM2", 20), ("EST-AM3", 30)):
            _ok(est.post("/api/v1/offers", json=_offer(oid, "EST", quantity)))
        for rid, priority in (("AM-R1", 2), ("AM-R2", 3)):
            _ok(coord.post("/api/v1/requests", json={
                "id": rid, "recipient": "UKR", "family": FAMILY, "quantity": 40,
                "priority": priority, "needed_by": "2024-12-31", "releasability": "public"}))
        _ok(est.post("/api/v1/pledges",
                     json={"offer": "EST-AM2", "request": "AM-R1", "quantity": 5}))
        before = _same_as_uncached(est, fresh)  # kept

        # (who, record, change, pages of QUERIES completed without the app)
        steps: list[tuple[TestClient, str, dict[str, Any], set[int]]] = [
            # caveats of the offer on page 1 (offset 1, and on the sorted page): those
            # pages and the search read them; every other page is completed
            (est, "offers/EST-AM2", {"caveats": "spare barrels"}, {0, 2, 5, 6, 7, 8}),
            # the quantity of the offer on page 3: totals and the sorted page read it
            (est, "offers/EST-AM3", {"quantity": 35}, {0, 1, 3, 6, 7, 8}),
            # a request's notes: searched by the requests' search only
            (coord, "requests/AM-R2", {"notes": "tubes"}, {0, 1, 2, 3, 4, 5, 7}),
            # a priority: the page filtered on it (AM-R2 is not on it yet) reads it
            (coord, "requests/AM-R2", {"priority": 2}, {0, 1, 2, 3, 4, 5}),
            # releasability: every page reads it (offers: which the viewer sees; requests:
            # whose pledges it counts), so none is completed
            (est, "offers/EST-AM1", {"releasability": "owner"}, set()),
        ]
        for who, record, change, completed_pages in steps:
            _ok(who.patch(f"/api/v1/{record}", json=change))
            for n, (path, query) in enumerate(QUERIES):
                completed = ctx.answers.completed
                kept, reference = est.get(path, params=query), fresh.get(path, params=query)
                assert kept.status_code == reference.status_code == 200, kept.text
                assert kept.content == reference.content, (record, change, path, query)
                assert (ctx.answers.completed > completed) == (n in completed_pages), (
                    record, change, path, query)
        assert _same_as_uncached(est, fresh) != before


def test_a_record_no_longer_released_leaves_the_kept_pages_at_once(api: Api) -> None:
    """Estonia's offer, seen by Britain, is made Estonia's own: Britain's kept pages
    (the offer on them or not) no longer show it or count it, with a pledge and an
    amendment of another offer in between."""
    uncached = create_app(store=api.store, options=ApiOptions(cache_size=0),
                          today=lambda: TODAY)
    gbr_token = api.tokens["gbr"]
    with api.client("est") as est, api.client("gbr") as gbr, api.client("coord") as coord, \
            TestClient(uncached, headers={"Authorization": f"Bearer {gbr_token}"}) as fresh:
        for oid in ("EST-RL1", "EST-RL2"):
            _ok(est.post("/api/v1/offers", json=_offer(oid, "EST", 10)))
        _ok(coord.post("/api/v1/requests", json={
            "id": "RL-REQ", "recipient": "UKR", "family": FAMILY, "quantity": 40,
            "priority": 2, "needed_by": "2024-12-31", "releasability": "public"}))
        _ok(est.post("/api/v1/pledges",
                     json={"offer": "EST-RL1", "request": "RL-REQ", "quantity": 4}))
        queries = [("/api/v1/offers", {"family": FAMILY}),
                   ("/api/v1/offers", {"family": FAMILY, "limit": 1, "offset": 1}),
                   ("/api/v1/requests", {"family": FAMILY}),
                   ("/api/v1/offers/totals", {"by": "donor"})]
        seen = [_ok(gbr.get(p, params=q)) for p, q in queries]
        assert any(o["id"] == "EST-RL1" for o in seen[0]["items"])
        assert next(r for r in seen[2]["items"] if r["id"] == "RL-REQ")["pledged"] == 4
        _ok(est.patch("/api/v1/offers/EST-RL2", json={"caveats": "none"}))
        _ok(est.post("/api/v1/pledges",
                     json={"offer": "EST-RL2", "request": "RL-REQ", "quantity": 1}))
        _ok(est.patch("/api/v1/offers/EST-RL1", json={"releasability": "owner"}))
        now = [gbr.get(p, params=q) for p, q in queries]
        for (path, query), answer in zip(queries, now, strict=True):
            assert answer.content == fresh.get(path, params=query).content, (path, query)
        assert all(o["id"] != "EST-RL1" for o in now[0].json()["items"])
        assert now[1].json()["items"] == []  # EST-RL2 moved up to the first page
        assert next(r for r in now[2].json()["items"] if r["id"] == "RL-REQ")["pledged"] == 1
        assert gbr.get("/api/v1/offers/EST-RL1").status_code == 404


def test_pages_sorted_by_a_sum_follow_pledges_and_withdrawals(api: Api) -> None:
    """A page sorted by what is committed (or pledged) holds and orders its records by
    sums every pledge or move changes: it is never completed with new sums over the old
    order, and equals the uncached answer after each change."""
    ctx = api.app.state.ctx
    uncached = create_app(store=api.store, options=ApiOptions(cache_size=0),
                          today=lambda: TODAY)
    est_token = api.tokens["est"]
    with api.client("est") as est, api.client("coord") as coord, \
            TestClient(uncached, headers={"Authorization": f"Bearer {est_token}"}) as fresh:
        for oid in ("EST-SS1", "EST-SS2"):
            _ok(est.post("/api/v1/offers", json=_offer(oid, "EST", 10)))
        _ok(coord.post("/api/v1/requests", json={
            "id": "SS-REQ", "recipient": "UKR", "family": FAMILY, "quantity": 40,
            "priority": 2, "needed_by": "2024-12-31", "releasability": "public"}))
        queries = [("/api/v1/offers", {"family": FAMILY, "sort": "-committed", "limit": 1}),
                   ("/api/v1/offers", {"family": FAMILY, "sort": "-available", "limit": 1}),
                   ("/api/v1/requests", {"family": FAMILY, "sort": "-pledged"})]

        def same() -> list[Any]:
            out = []
            for path, query in queries:
                kept, reference = est.get(path, params=query), fresh.get(path, params=query)
                assert kept.status_code == 200, kept.text
                assert kept.content == reference.content, (path, query)
                out.append(kept.json()["items"])
            return out

        same()
        first = _ok(est.post("/api/v1/pledges",
                             json={"offer": "EST-SS2", "request": "SS-REQ", "quantity": 3}))
        completed = ctx.answers.completed
        assert [r["id"] for r in same()[0]] == ["EST-SS2"]
        _ok(est.post("/api/v1/pledges",
                     json={"offer": "EST-SS1", "request": "SS-REQ", "quantity": 5}))
        assert [r["id"] for r in same()[0]] == ["EST-SS1"]
        _ok(est.post(f"/api/v1/allocations/{first['id']}/transitions", json={"to": "withdrawn"}))
        pages = same()
        assert [r["id"] for r in pages[0]] == ["EST-SS1"]
        assert [r["id"] for r in pages[1]] == ["EST-SS2"]  # 10 available, against 5
        assert ctx.answers.completed == completed  # none of them completed
