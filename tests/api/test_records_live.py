"""Records that live: requests and offers amended, withdrawn, closed and expired through
the API, each change one ledger entry naming who, as which nation, before and after."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient

from allied.adapters.db.repository_users import SqlServiceUnitOfWork, service_sessions
from allied.service import access
from allied.service.caller import Caller
from api.conftest import Api


def ledger(api: Api) -> list[dict[str, Any]]:
    """Every ledger entry, read page by page as the auditor."""
    out: list[dict[str, Any]] = []
    audit = api.client("audit")
    while True:
        page = audit.get("/api/v1/ledger/entries",
                         params={"after": out[-1]["seq"] if out else 0, "limit": 200}).json()
        out += page["items"]
        if len(page["items"]) < 200:
            return out


def _entries(api: Api, kind: str) -> list[dict[str, Any]]:
    return [e for e in ledger(api) if e["kind"] == kind]


def _request(c: TestClient, rid: str, **kw: Any) -> dict[str, Any]:
    body = {"id": rid, "recipient": "UKR", "family": "atgm", "quantity": 40,
            "needed_by": "2024-09-01", **kw}
    r = c.post("/api/v1/requests", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def _offer(c: TestClient, **kw: Any) -> str:
    body = {"donor": "EST", "family": "atgm", "quantity": 30,
            "available_from": "2024-05-01", **kw}
    r = c.post("/api/v1/offers", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_the_recipient_amends_its_request(api: Api) -> None:
    ukr, est, gbr = api.client("ukr"), api.client("est"), api.client("gbr")
    _request(ukr, "UKR-ATGM-1")
    offer = _offer(est, releasability="public")
    assert est.post("/api/v1/pledges", json={"offer": offer, "request": "UKR-ATGM-1",
                                             "quantity": 12}).status_code == 201
    r = ukr.patch("/api/v1/requests/UKR-ATGM-1",
                  json={"quantity": 20, "needed_by": "2024-10-15", "priority": 5})
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["quantity"], got["needed_by"], got["priority"]) == (20, "2024-10-15", 5)
    assert got["pledged"] == 12 and got["outstanding"] == 8
    (entry,) = _entries(api, "request.amended")
    assert entry["nation"] == "UKR" and entry["user"] == "ukr"
    assert entry["payload"] == {
        "id": "UKR-ATGM-1",
        "before": {"quantity": 40, "needed_by": "2024-09-01", "priority": 3},
        "after": {"quantity": 20, "needed_by": "2024-10-15", "priority": 5},
    }
    # never below what is allocated; nothing changes
    low = ukr.patch("/api/v1/requests/UKR-ATGM-1", json={"quantity": 11})
    assert low.status_code == 409 and "below the 12 already allocated" in low.json()["message"]
    assert ukr.get("/api/v1/requests/UKR-ATGM-1").json()["quantity"] == 20
    # a bad value names its field; an unknown field is refused
    bad = ukr.patch("/api/v1/requests/UKR-ATGM-1", json={"releasability": "friends"})
    assert bad.status_code == 422 and bad.json()["field"] == "releasability"
    assert ukr.patch("/api/v1/requests/UKR-ATGM-1", json={"status": "open"}).status_code == 422
    empty = ukr.patch("/api/v1/requests/UKR-ATGM-1", json={})
    assert empty.status_code == 422
    # others: a donor may not amend it; a nation that does not see it finds nothing
    assert est.patch("/api/v1/requests/UKR-ATGM-1", json={"priority": 1}).status_code == 403
    assert gbr.patch("/api/v1/requests/UKR-ATGM-1", json={"priority": 1}).status_code == 403
    ukr.patch("/api/v1/requests/UKR-ATGM-1", json={"releasability": "owner"})
    api.add_user("mda", "recipient", "MDA")
    hidden = api.client("mda").patch("/api/v1/requests/UKR-ATGM-1", json={"priority": 1})
    assert hidden.status_code == 404
    assert len(_entries(api, "request.amended")) == 2
    assert api.client("audit").get("/api/v1/ledger/verify").json()["intact"] is True


def test_withdrawing_a_request_drops_its_proposed_allocations(api: Api) -> None:
    coord, ukr, est = api.client("coord"), api.client("ukr"), api.client("est")
    _request(ukr, "UKR-ATGM-2", quantity=10)
    offer = _offer(est, releasability="public", quantity=10)
    run = coord.post("/api/v1/allocation-runs", json={"as_of": "2024-06-01"})
    assert run.status_code == 201, run.text
    mine = coord.get("/api/v1/allocations", params={"request": "UKR-ATGM-2"}).json()["items"]
    assert [a["status"] for a in mine] == ["proposed"]
    r = ukr.post("/api/v1/requests/UKR-ATGM-2/withdraw", json={"reason": "no longer needed"})
    assert r.status_code == 200 and r.json()["status"] == "withdrawn", r.text
    after = coord.get(f"/api/v1/allocations/{mine[0]['id']}").json()
    assert after["status"] == "withdrawn"
    (entry,) = _entries(api, "request.withdrawn")
    assert entry["payload"]["dropped"] == [mine[0]["id"]] and entry["nation"] == "UKR"
    assert entry["payload"]["before"] == {"status": "open"}
    # it takes no new allocations, and does not come back
    refused = est.post("/api/v1/pledges",
                       json={"offer": offer, "request": "UKR-ATGM-2", "quantity": 1})
    assert refused.status_code == 409
    again = ukr.post("/api/v1/requests/UKR-ATGM-2/withdraw")
    assert again.status_code == 409 and again.json()["error"] == "illegal-transition"
    assert ukr.patch("/api/v1/requests/UKR-ATGM-2", json={"priority": 1}).status_code == 409


def test_close_and_offers_amended_and_withdrawn(api: Api) -> None:
    ukr, est, gbr = api.client("ukr"), api.client("est"), api.client("gbr")
    _request(ukr, "UKR-ATGM-3")
    assert ukr.post("/api/v1/requests/UKR-ATGM-3/close").json()["status"] == "closed"
    offer = _offer(est)
    r = est.patch(f"/api/v1/offers/{offer}",
                  json={"quantity": 25, "caveats": "spare parts included",
                        "available_from": "2024-07-01", "releasability": "org:NATO"})
    assert r.status_code == 200, r.text
    assert (r.json()["quantity"], r.json()["releasability"]) == (25, "org:NATO")
    assert gbr.get(f"/api/v1/offers/{offer}").status_code == 200  # now released to NATO
    assert gbr.patch(f"/api/v1/offers/{offer}", json={"quantity": 2}).status_code == 403
    (entry,) = _entries(api, "offer.amended")
    assert entry["payload"]["before"]["releasability"] == "owner"
    w = est.post(f"/api/v1/offers/{offer}/withdraw", json={"reason": "sent elsewhere"})
    assert w.status_code == 200 and w.json()["status"] == "withdrawn"
    assert _entries(api, "offer.withdrawn")[0]["payload"]["reason"] == "sent elsewhere"


def test_overdue_requests_expire_by_the_job_not_by_a_read(api: Api) -> None:
    coord, ukr = api.client("coord"), api.client("ukr")
    # filed back then (a request is needed by the day it is filed or later)
    for rid, needed_by in (("UKR-OLD", "2024-01-31"),  # 122 days before 2024-06-01
                           ("UKR-RECENT", "2024-04-01")):  # 61 days: within the grace
        access.create_request(
            SqlServiceUnitOfWork(service_sessions(api.store.engine)),
            Caller("ukr", "UKR", "recipient"), dt.date.fromisoformat(needed_by),
            {"id": rid, "recipient": "UKR", "family": "atgm", "quantity": 40, "priority": 3,
             "needed_by": needed_by},
        )
    for _ in range(2):  # reading never expires anything
        assert ukr.get("/api/v1/requests/UKR-OLD").json()["status"] == "open"
    assert ukr.post("/api/v1/expiry").status_code == 403  # the system's (coordinator's) job
    r = coord.post("/api/v1/expiry", json={"grace_days": 90})
    assert r.status_code == 200, r.text
    expired = [x["id"] for x in r.json()["requests"]]
    assert "UKR-OLD" in expired and "UKR-RECENT" not in expired
    assert ukr.get("/api/v1/requests/UKR-OLD").json()["status"] == "expired"
    listed = ukr.get("/api/v1/requests", params={"status": "expired", "limit": 200}).json()
    assert "UKR-OLD" in {x["id"] for x in listed["items"]}
    entry = next(e for e in _entries(api, "request.expired")
                 if e["payload"]["id"] == "UKR-OLD")
    assert entry["payload"]["needed_by"] == "2024-01-31" and entry["payload"]["grace_days"] == 90
    # a shorter grace, configured per run, takes the recent one too
    r = coord.post("/api/v1/expiry", json={"grace_days": 30})
    assert "UKR-RECENT" in [x["id"] for x in r.json()["requests"]]
    assert coord.post("/api/v1/expiry", json={"grace_days": -1}).status_code == 422


def test_a_release_that_would_reach_nobody_is_refused_when_made_or_amended(api: Api) -> None:
    """``org:UN`` names an organisation the monitor knows but whose members are not
    recorded: released to it, a record would reach nobody but its owner. An amendment is
    checked as a new record is (an unknown nation too), and changes nothing when refused."""
    est = api.client("est")
    made = est.post("/api/v1/offers", json={
        "donor": "EST", "family": "atgm", "quantity": 30, "available_from": "2024-05-01",
        "releasability": "org:UN"})
    assert made.status_code == 422, made.text
    assert made.json()["field"] == "releasability" and "reach nobody" in made.json()["message"]
    offer = _offer(est)
    before = len(ledger(api))
    for spec in ("org:UN", "nations:EST,XQZ", "org:DEU"):
        r = est.patch(f"/api/v1/offers/{offer}", json={"releasability": spec})
        assert r.status_code == 422, (spec, r.text)
        assert r.json()["field"] == "releasability", spec
    ukr = api.client("ukr")
    _request(ukr, "UKR-ATGM-9")
    r = ukr.patch("/api/v1/requests/UKR-ATGM-9", json={"releasability": "org:IMF"})
    assert r.status_code == 422 and r.json()["field"] == "releasability"
    assert est.get(f"/api/v1/offers/{offer}").json()["releasability"] == "owner"
    assert len(ledger(api)) == before + 1  # only the request made, nothing amended
    ok = est.patch(f"/api/v1/offers/{offer}", json={"releasability": "org:EU"})
    assert ok.status_code == 200 and ok.json()["releasability"] == "org:EU"
