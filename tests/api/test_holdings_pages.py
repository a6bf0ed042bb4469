"""List pages complete their committed and pledged sums from the holdings the process
moves along the ledger (:mod:`allied.entrypoints.api.fast.holdings`): after a pledge the pages
show it, from one catch-up and no whole read; after anything else that moves allocations
(a withdrawal) the holdings are read whole; every page agrees with the record's own view,
which sums from the store; and a donor's page counts only pledges of offers it sees."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from fastapi.testclient import TestClient

from allied.adapters.db.versions import read_versions
from allied.entrypoints.api.fast.holdings import LiveHoldings
from allied.entrypoints.api.fast.store import Versions
from api.conftest import TODAY, Api
from needs import confirm_needs

FAMILY = "other"


def _offer(oid: str, donor: str, releasability: str) -> dict[str, Any]:
    return {"id": oid, "donor": donor, "family": FAMILY, "quantity": 10,
            "available_from": "2024-01-01", "releasability": releasability}


def _one(client: TestClient, route: str, rid: str) -> dict[str, Any]:
    """The record ``rid`` as a list page of its family shows it, checked against its own
    view (which sums from the store)."""
    alone = client.get(f"/api/v1/{route}/{rid}")
    assert alone.status_code == 200, alone.text
    page = client.get(f"/api/v1/{route}", params={"family": alone.json()["family"],
                                                  "limit": 200})
    assert page.status_code == 200, page.text
    (row,) = [r for r in page.json()["items"] if r["id"] == rid]
    assert row == alone.json()
    return dict(row)


def test_pages_follow_pledges_and_withdrawals(api: Api) -> None:
    holdings: LiveHoldings = api.app.state.ctx.holdings
    # clients kept open: one event loop each, so the holdings of their requests are kept
    with api.client("coord") as coord, api.client("est") as est, api.client("gbr") as gbr:
        for client, body in ((est, _offer("EST-HP", "EST", "public")),
                             (gbr, _offer("GBR-HP", "GBR", "owner"))):
            added = client.post("/api/v1/offers", json=body)
            assert added.status_code == 201, added.text
        made = coord.post("/api/v1/requests", json={
            "id": "HP-REQ", "recipient": "UKR", "family": FAMILY, "quantity": 30,
            "priority": 2, "needed_by": "2024-12-31", "releasability": "public"})
        assert made.status_code == 201, made.text

        assert _one(coord, "offers", "EST-HP")["committed"] == 0
        assert _one(coord, "requests", "HP-REQ")["pledged"] == 0
        assert _one(est, "requests", "HP-REQ")["pledged"] == 0
        loads, catch_ups = holdings.loads, holdings.catch_ups
        assert loads >= 2  # read whole once on each client's loop

        # pledges: the pages show them, moved along the ledger without a whole read
        first = est.post("/api/v1/pledges",
                         json={"offer": "EST-HP", "request": "HP-REQ", "quantity": 4})
        assert first.status_code == 201, first.text
        hidden = gbr.post("/api/v1/pledges",
                          json={"offer": "GBR-HP", "request": "HP-REQ", "quantity": 6})
        assert hidden.status_code == 201, hidden.text
        offer = _one(coord, "offers", "EST-HP")
        assert (offer["committed"], offer["available"]) == (4, 6)
        assert _one(coord, "offers", "GBR-HP")["committed"] == 6
        request = _one(coord, "requests", "HP-REQ")
        assert (request["pledged"], request["outstanding"]) == (10, 20)
        # Estonia does not see the British offer, so does not count its pledge
        assert _one(est, "requests", "HP-REQ")["pledged"] == 4
        assert _one(est, "offers", "EST-HP")["committed"] == 4
        assert est.get("/api/v1/offers/GBR-HP").status_code == 404
        assert holdings.loads == loads and holdings.catch_ups > catch_ups

        # a withdrawal frees what the pledge held: read whole again
        gone = est.post(f"/api/v1/allocations/{first.json()['id']}/transitions",
                        json={"to": "withdrawn"})
        assert gone.status_code == 200 and gone.json()["status"] == "withdrawn"
        offer = _one(coord, "offers", "EST-HP")
        assert (offer["committed"], offer["available"]) == (0, 10)
        assert _one(coord, "requests", "HP-REQ")["pledged"] == 6
        assert _one(est, "requests", "HP-REQ")["pledged"] == 0
        assert holdings.loads == loads + 2  # once more on each loop


def test_a_proposal_moved_to_pledged_keeps_the_pages_right(api: Api) -> None:
    """The lifecycle move ``proposed -> pledged`` is an ``allocation.pledged`` entry too
    (payload: id and statuses, no offer): the offer's committed quantity stays (both
    statuses hold it), the request's ``pledged`` takes the line (a proposed line is no
    pledge), so the holdings read the sums whole, and the pages stay right, on a loop
    that keeps its holdings."""
    holdings: LiveHoldings = api.app.state.ctx.holdings
    confirm_needs(api.uow, TODAY)  # the line is accepted: its need not past
    with api.client("coord") as coord:
        run = coord.post("/api/v1/allocation-runs", json={"as_of": "2023-06-01"})
        assert run.status_code == 201, run.text
        aid = run.json()["allocation_ids"][0]
        proposed = coord.get(f"/api/v1/allocations/{aid}").json()
        assert proposed["status"] == "proposed"
        offer, request = proposed["offer"], proposed["request"]

        def held() -> tuple[int, int]:
            return (_one(coord, "offers", offer)["committed"],
                    _one(coord, "requests", request)["pledged"])

        before = held()
        assert before[0] >= proposed["quantity"]
        loads = holdings.loads
        moved = coord.post(f"/api/v1/allocations/{aid}/transitions", json={"to": "pledged"})
        assert moved.status_code == 200 and moved.json()["status"] == "pledged", moved.text
        assert held() == (before[0], before[1] + proposed["quantity"])
        assert holdings.loads == loads + 1  # what is pledged changed: read whole


def test_moves_along_the_lifecycle_keep_the_pages_and_their_sums_right(api: Api) -> None:
    """Approved, shipped, delivered: each move is an allocation's change only, so the
    records version stays and the holdings move past it (no whole read); a kept page is
    completed by the middleware and equals what the app gives a new user of the same
    nation (who reads everything afresh); a withdrawal is read whole and shows at once."""
    ctx = api.app.state.ctx
    holdings: LiveHoldings = ctx.holdings
    with api.client("coord") as coord, api.client("est") as est:
        added = est.post("/api/v1/offers", json=_offer("EST-MV", "EST", "public"))
        assert added.status_code == 201, added.text
        made = coord.post("/api/v1/requests", json={
            "id": "MV-REQ", "recipient": "UKR", "family": FAMILY, "quantity": 30,
            "priority": 2, "needed_by": "2024-12-31", "releasability": "public"})
        assert made.status_code == 201, made.text
        pledge = est.post("/api/v1/pledges",
                          json={"offer": "EST-MV", "request": "MV-REQ", "quantity": 4})
        assert pledge.status_code == 201, pledge.text
        aid = pledge.json()["id"]
        query = {"family": FAMILY, "limit": 200}
        pages = [est.get(f"/api/v1/{r}", params=query) for r in ("offers", "requests")]
        assert all(p.status_code == 200 for p in pages)
        loads = holdings.loads
        records = read_versions(ctx.cache.reader.engine)[1]
        for to in ("approved", "shipped", "delivered"):
            completed = ctx.answers.completed
            moved = coord.post(f"/api/v1/allocations/{aid}/transitions", json={"to": to})
            assert moved.status_code == 200 and moved.json()["status"] == to, moved.text
            again = [est.get(f"/api/v1/{r}", params=query) for r in ("offers", "requests")]
            assert ctx.answers.completed == completed + 2  # not through the app
            assert [p.content for p in again] == [p.content for p in pages]
        assert holdings.loads == loads  # moved along, never read whole
        assert read_versions(ctx.cache.reader.engine)[1] == records
        assert _one(est, "offers", "EST-MV")["committed"] == 4
        assert _one(est, "requests", "MV-REQ")["pledged"] == 4
        # what a new user of the same nation gets from the app is what was completed
        api.add_user("est-mv", "donor", "EST")
        fresh = api.client("est-mv")
        assert [fresh.get(f"/api/v1/{r}", params=query).content
                for r in ("offers", "requests")] == [p.content for p in pages]

        second = est.post("/api/v1/pledges",
                          json={"offer": "EST-MV", "request": "MV-REQ", "quantity": 3})
        assert second.status_code == 201, second.text
        gone = est.post(f"/api/v1/allocations/{second.json()['id']}/transitions",
                        json={"to": "withdrawn"})
        assert gone.status_code == 200, gone.text
        offer = _one(est, "offers", "EST-MV")
        assert (offer["committed"], offer["available"]) == (4, 6)
        assert _one(est, "requests", "MV-REQ")["pledged"] == 4


def test_records_read_again_for_newer_sums_use_memberships_as_new(
    api: Api, monkeypatch: Any
) -> None:
    """A request that read its versions before a membership change, with holdings
    already past it, reads the page's records again as of the holdings' records version:
    with the memberships of that version too, else a page computed with the old ones
    (Estonia still in NATO) would be kept under the new version and shown to later
    requests (found in review)."""
    ctx = api.app.state.ctx
    with api.client("gbr") as gbr, api.client("est") as est:
        made = gbr.post("/api/v1/offers", json=_offer("GBR-NATO", "GBR", "org:NATO"))
        assert made.status_code == 201, made.text

        def ids(params: dict[str, Any]) -> list[str]:
            page = est.get("/api/v1/offers", params={"donor": "GBR", **params})
            assert page.status_code == 200, page.text
            return [o["id"] for o in page.json()["items"] if o["family"] == FAMILY]

        assert ids({}) == ["GBR-NATO"]  # Estonia in NATO: memberships kept at this version
        old = asyncio.run(ctx.cache.aversions())
        uow = api.store.uow()
        with uow:  # Estonia leaves NATO (as a reference reload would record it)
            (m,) = uow.memberships.list(actor="EST", org="NATO")
            m.end = dt.date(2024, 5, 1)
            uow.ledger.append(user="cli", nation="", kind="reference.loaded", payload={})
            uow.commit()
        # the holdings of Estonia's loop move past the change (as another request of the
        # loop would move them), Estonia's kept memberships stay those of before
        new = asyncio.run(ctx.cache.aversions())
        assert new.records > old.records
        assert est.portal is not None
        assert est.portal.call(ctx.holdings.at, new).records == new.records
        real = ctx.cache.aversions

        async def before_the_change() -> Versions:
            return old

        monkeypatch.setattr(ctx.cache, "aversions", before_the_change)
        ids({"limit": 7})  # a request of the old versions, page never read before
        monkeypatch.setattr(ctx.cache, "aversions", real)
        assert ids({"limit": 7}) == []  # later requests: not released to Estonia any more
        assert ids({}) == []
