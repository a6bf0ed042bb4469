"""Dates people file and act on, through the API (issue 19, items 4 and 5): each refusal
is a 422 naming the field, its message names the date and the limit, and nothing is
written (the ledger's length is unchanged). The app's today is ``TODAY``, 2024-06-01."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient

from allied.adapters.db.repository_users import SqlServiceUnitOfWork, service_sessions
from allied.service import access
from allied.service.caller import Caller
from api.conftest import TODAY, Api


def _entries(api: Api) -> int:
    return int(api.client("coord").get("/api/v1/ledger/verify").json()["entries"])


def _refused(api: Api, call: Any, field: str, *words: str) -> dict[str, Any]:
    """``call()`` is refused with a 422 naming ``field``, its message holding ``words``,
    and writes nothing."""
    before = _entries(api)
    r = call()
    assert r.status_code == 422, r.text
    body = dict(r.json())
    assert body["field"] == field, body
    for word in words:
        assert word in body["message"], body
    assert _entries(api) == before
    return body


def _request(c: TestClient, needed_by: str, **kw: Any) -> Any:
    return c.post("/api/v1/requests", json={
        "recipient": "UKR", "family": "atgm", "quantity": 40, "priority": 3,
        "needed_by": needed_by, "releasability": "public", **kw})


def _offer(c: TestClient, available_from: str, **kw: Any) -> Any:
    return c.post("/api/v1/offers", json={
        "donor": "EST", "family": "atgm", "quantity": 30, "available_from": available_from,
        "releasability": "public", **kw})


def _filed_earlier(api: Api, needed_by: dt.date) -> str:
    """A request UKR filed on an earlier day (as an import of that day would), now past."""
    uow = SqlServiceUnitOfWork(service_sessions(api.store.engine))
    made = access.create_request(uow, Caller("ukr", "UKR", "recipient"), needed_by, {
        "recipient": "UKR", "family": "atgm", "quantity": 40, "priority": 3,
        "needed_by": needed_by.isoformat(), "releasability": "public"})
    return str(made["id"])


@pytest.mark.parametrize(
    ("needed_by", "words"),
    [
        ("2020-01-01", ("2020-01-01 is in the past", "today (2024-06-01) or later")),
        ("2024-05-31", ("2024-05-31 is in the past",)),
        ("9999-12-31", ("more than 10 years ahead", "at the latest 2034-06-01")),
        ("2034-06-02", ("at the latest 2034-06-01",)),
    ],
)
def test_a_request_needed_in_the_past_or_far_ahead_is_refused(
    api: Api, needed_by: str, words: tuple[str, ...]
) -> None:
    ukr = api.client("ukr")
    _refused(api, lambda: _request(ukr, needed_by), "needed_by", *words)


def test_a_request_needed_today_or_in_ten_years_is_taken(api: Api) -> None:
    ukr = api.client("ukr")
    for needed_by in (TODAY.isoformat(), "2034-06-01"):
        r = _request(ukr, needed_by)
        assert r.status_code == 201, r.text
        assert r.json()["needed_by"] == needed_by


def test_an_offer_available_from_long_ago_or_far_ahead_is_refused(api: Api) -> None:
    est = api.client("est")
    _refused(api, lambda: _offer(est, "1900-01-01"), "available_from",
             "1900-01-01 is more than 365 days before today (2024-06-01)")
    _refused(api, lambda: _offer(est, "2023-06-01"), "available_from",
             "from 2023-06-02 at the earliest")
    _refused(api, lambda: _offer(est, "9999-12-31"), "available_from", "10 years ahead")
    for day in ("2023-06-02", "2034-06-01"):
        assert _offer(est, day).status_code == 201


def test_an_import_with_a_past_date_names_the_record_and_writes_nothing(api: Api) -> None:
    coord = api.client("coord")
    records = [
        {"recipient": "UKR", "family": "atgm", "quantity": 5, "priority": 3,
         "needed_by": "2024-09-01"},
        {"recipient": "UKR", "family": "atgm", "quantity": 5, "priority": 3,
         "needed_by": "2020-01-01"},
    ]
    body = _refused(
        api, lambda: coord.post("/api/v1/imports/requests", json={"records": records}),
        "records.1.needed_by", "2020-01-01 is in the past",
    )
    assert body["message"].startswith("record 1: ")


def test_an_amendment_may_not_move_dates_out_of_their_window(api: Api) -> None:
    ukr, est = api.client("ukr"), api.client("est")
    rid = _request(ukr, "2024-09-01").json()["id"]
    _refused(api, lambda: ukr.patch(f"/api/v1/requests/{rid}",
                                    json={"needed_by": "2024-05-31", "priority": 5}),
             "needed_by", "2024-05-31 is in the past")
    assert ukr.get(f"/api/v1/requests/{rid}").json()["priority"] == 3  # all or nothing
    oid = _offer(est, "2024-05-01").json()["id"]
    _refused(api, lambda: est.patch(f"/api/v1/offers/{oid}",
                                    json={"available_from": "1900-01-01"}),
             "available_from", "1900-01-01")
    moved = ukr.patch(f"/api/v1/requests/{rid}", json={"needed_by": TODAY.isoformat()})
    assert moved.status_code == 200 and moved.json()["needed_by"] == "2024-06-01"


def test_a_long_overdue_request_takes_no_pledge_until_its_need_is_confirmed(api: Api) -> None:
    ukr, est = api.client("ukr"), api.client("est")
    grace = TODAY - dt.timedelta(days=90)
    on_time = _filed_earlier(api, grace)  # exactly 90 days ago: still within the grace
    late = _filed_earlier(api, grace - dt.timedelta(days=1))  # 91 days ago
    offer = _offer(est, "2024-05-01").json()["id"]

    def pledge(request_id: str) -> Any:
        return est.post("/api/v1/pledges",
                        json={"offer": offer, "request": request_id, "quantity": 5})

    assert pledge(on_time).status_code == 201
    _refused(api, lambda: pledge(late), "request",
             f"request {late} was needed by 2024-03-02, 91 days before today (2024-06-01)",
             "90 days' grace", "amending needed_by to today or later")
    # an amendment keeping the old date confirms nothing; one to today does
    assert ukr.patch(f"/api/v1/requests/{late}", json={"priority": 4}).status_code == 200
    assert pledge(late).status_code == 422
    assert ukr.patch(f"/api/v1/requests/{late}",
                     json={"needed_by": TODAY.isoformat()}).status_code == 200
    assert pledge(late).status_code == 201


def test_items_are_not_shipped_nor_delivered_before_the_offer_is_available(api: Api) -> None:
    coord, est, ukr = api.client("coord"), api.client("est"), api.client("ukr")
    rid = _request(ukr, "2024-09-01").json()["id"]
    offer = _offer(est, "2024-07-01").json()["id"]  # available in a month
    made = est.post("/api/v1/pledges", json={"offer": offer, "request": rid, "quantity": 5})
    assert made.status_code == 201, made.text  # pledging future supply is fine
    aid = made.json()["id"]
    # a move the lifecycle does not allow is refused as such, whatever the day
    early = est.post(f"/api/v1/allocations/{aid}/transitions", json={"to": "shipped"})
    assert early.status_code == 409 and early.json()["error"] == "illegal-transition"
    assert coord.post(f"/api/v1/allocations/{aid}/transitions",
                      json={"to": "approved"}).status_code == 200
    _refused(api, lambda: est.post(f"/api/v1/allocations/{aid}/transitions",
                                   json={"to": "shipped"}),
             "on", f"items of offer {offer} cannot be shipped on 2024-06-01",
             "available only from 2024-07-01")
    _refused(api, lambda: coord.post("/api/v1/allocations/transitions",
                                     json=[{"allocation": aid, "to": "shipped"}]),
             "0.on", f"item 0 (allocation {aid})")
    assert est.get(f"/api/v1/allocations/{aid}").json()["status"] == "approved"


def test_items_ship_and_arrive_from_the_offer_s_available_day(api: Api) -> None:
    coord, est, ukr = api.client("coord"), api.client("est"), api.client("ukr")
    rid = _request(ukr, "2024-09-01").json()["id"]
    offer = _offer(est, TODAY.isoformat()).json()["id"]
    aid = est.post("/api/v1/pledges",
                   json={"offer": offer, "request": rid, "quantity": 5}).json()["id"]
    for who, to in ((coord, "approved"), (est, "shipped"), (ukr, "delivered")):
        r = who.post(f"/api/v1/allocations/{aid}/transitions", json={"to": to})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == to
