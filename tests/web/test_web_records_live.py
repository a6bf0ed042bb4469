"""Records that live in the dashboard: the recipient amends, withdraws and closes its own
requests, a donor amends and withdraws its own offers, each with a plain form (CSRF, one
service call, a 303 back to the page); a refused form shows the error beside the field
and keeps what was typed; nobody sees a form it may not use, and a forged post is
refused with nothing changed."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from allied.adapters.db.repository_users import SqlServiceUnitOfWork, service_sessions
from allied.bootstrap import Store
from allied.entrypoints.api import create_app
from allied.service import access
from allied.service.caller import Caller
from allied.service.users import add_user
from web.support import TODAY
from web.test_web_pages import USERS, Web

FAMILY = "atgm"


@pytest.fixture
def web(store: Store) -> Iterator[Web]:
    """The app over a store (each backend), with the users of ``test_web_pages``."""
    app = create_app(store=store, today=lambda: TODAY)
    tokens = {}
    for name, (role, nation) in USERS.items():
        uow = SqlServiceUnitOfWork(service_sessions(store.engine))
        made = add_user(uow, Caller("test-admin"), name=name, role=role, nation=nation)
        tokens[name] = made.token
    yield Web(app, store, tokens)


def _request(web: Web, quantity: int = 500) -> dict[str, Any]:
    data = {
        "recipient": "UKR",
        "family": FAMILY,
        "quantity": quantity,
        "priority": 3,
        "needed_by": "2024-09-01",
        "notes": "for the spring",
        "releasability": "public",
    }
    return access.create_request(web.uow(), web.caller("ukr"), TODAY, data)


def _offer(web: Web, donor: str = "EST", quantity: int = 30) -> str:
    data = {
        "donor": donor,
        "family": FAMILY,
        "quantity": quantity,
        "available_from": "2024-05-01",
        "releasability": "public",
    }
    role = {"EST": "est", "GBR": "gbr"}[donor]
    return str(access.create_offer(web.uow(), web.caller(role), TODAY, data)["id"])


def _amend_form(record: dict[str, Any], csrf: str, **over: str) -> dict[str, str]:
    return {
        "quantity": str(record["quantity"]),
        "priority": str(record["priority"]),
        "needed_by": record["needed_by"],
        "notes": record["notes"] or "",
        "releasability": record["releasability"],
        "csrf": csrf,
        **over,
    }


def _entries(web: Web) -> list[dict[str, Any]]:
    return list(access.ledger_entries(web.uow(), web.caller("audit"), limit=10_000).items)


def _row(page: str, table: str, record_id: str) -> str:
    match = re.search(rf'<table[^>]*id="{table}".*?</table>', page, re.S)
    assert match, f"no table {table}"
    # the record's row and the row of its forms under it, up to the next record
    row = re.search(
        rf'<tr id="{re.escape(record_id)}">(.*?)(?=<tr id=|</tbody>)', match.group(0), re.S
    )
    assert row, f"no row {record_id}"
    return row.group(1)


def _board(client: TestClient, record_id: str) -> str:
    """The requests board row of a request, filtered to its family (so it is on page 1)."""
    page = client.get(f"/requests?family={FAMILY}")
    assert page.status_code == 200
    return _row(page.text, "requests", record_id)


def test_the_recipient_amends_its_request_and_the_board_shows_it(web: Web) -> None:
    made = _request(web)
    rid = made["id"]
    client = web.signed_in("ukr")
    row = _board(client, rid)
    # the form is pre-filled with the current values, each input labelled
    assert f'action="/requests/{rid}/amend"' in row
    quantity = (f'id="am-{rid}-quantity" name="quantity" type="number" min="1"'
                ' max="999999999999" required')
    assert f'{quantity} value="500"' in row
    assert f'<label for="am-{rid}-needed_by">' in row and 'value="2024-09-01"' in row
    assert f'action="/requests/{rid}/withdraw"' in row and f'action="/requests/{rid}/close"' in row
    before = len(_entries(web))
    done = client.post(
        f"/requests/{rid}/amend",
        data=_amend_form(made, web.csrf("ukr"), quantity="650", notes="for the summer"),
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/requests?ok=amended&ref={rid}"
    assert f"{rid} amended." in client.get(done.headers["location"]).text
    row = _board(client, rid)
    assert '<td class="num">650</td>' in row and "for the summer" in row
    entries = _entries(web)
    assert len(entries) == before + 1
    assert entries[-1]["kind"] == "request.amended" and entries[-1]["nation"] == "UKR"
    assert entries[-1]["payload"] == {
        "id": rid,
        "before": {"quantity": 500, "notes": "for the spring"},
        "after": {"quantity": 650, "notes": "for the summer"},
    }
    # the same form sent again changes nothing and writes nothing
    again = client.post(
        f"/requests/{rid}/amend",
        data=_amend_form(made, web.csrf("ukr"), quantity="650", notes="for the summer"),
    )
    assert again.status_code == 303, again.text
    assert again.headers["location"] == f"/requests?ok=unchanged&ref={rid}"
    assert len(_entries(web)) == before + 1


def test_a_quantity_below_what_is_committed_is_refused_beside_the_field(web: Web) -> None:
    made = _request(web)
    rid = made["id"]
    offer = _offer(web)
    access.pledge(web.uow(), web.caller("est"), TODAY, offer_id=offer, request_id=rid, quantity=25)
    before = len(_entries(web))
    client = web.signed_in("ukr")
    low = client.post(
        f"/requests/{rid}/amend",
        data=_amend_form(made, web.csrf("ukr"), quantity="10", notes="typed, kept"),
    )
    assert low.status_code == 409
    row = _row(low.text, "requests", rid)
    # the record's form is open again with what was typed, the error beside the quantity
    assert re.search(r'<details class="record-form" open[ >]', row)
    assert re.search(
        rf'id="am-{rid}-quantity"[^>]*value="10" aria-invalid="true" '
        rf'aria-describedby="am-{rid}-quantity-err"',
        row,
    )
    err = re.search(rf'class="field-err small" id="am-{rid}-quantity-err"[^>]*>(.*?)</span>', row)
    assert err and "below the 25 already allocated" in html.unescape(err.group(1))
    assert "typed, kept</textarea>" in row
    assert access.get_request(web.uow(), web.caller("ukr"), TODAY, rid)["quantity"] == 500
    # a bad value of another field is named beside that field
    bad = client.post(
        f"/requests/{rid}/amend", data=_amend_form(made, web.csrf("ukr"), needed_by="soon")
    )
    assert bad.status_code == 422
    assert f'id="am-{rid}-needed_by-err"' in _row(bad.text, "requests", rid)
    # withdrawing asks for a confirmation and a reason
    unconfirmed = client.post(
        f"/requests/{rid}/withdraw", data={"reason": "met elsewhere", "csrf": web.csrf("ukr")}
    )
    assert unconfirmed.status_code == 422
    row = _row(unconfirmed.text, "requests", rid)
    assert f'id="withdraw-{rid}-confirm-err"' in row and "met elsewhere</textarea>" in row
    no_reason = client.post(
        f"/requests/{rid}/close", data={"confirm": "yes", "csrf": web.csrf("ukr")}
    )
    assert no_reason.status_code == 422
    assert f'id="close-{rid}-reason-err"' in _row(no_reason.text, "requests", rid)
    assert len(_entries(web)) == before
    got = access.get_request(web.uow(), web.caller("ukr"), TODAY, rid)
    assert (got["quantity"], got["status"], got["notes"]) == (500, "open", "for the spring")


def test_the_recipient_closes_its_request_with_a_reason(web: Web) -> None:
    rid = _request(web)["id"]
    client = web.signed_in("ukr")
    done = client.post(
        f"/requests/{rid}/close",
        data={"confirm": "yes", "reason": "filled by a bilateral deal", "csrf": web.csrf("ukr")},
    )
    assert done.status_code == 303 and done.headers["location"] == f"/requests?ok=closed&ref={rid}"
    row = _board(client, rid)
    assert "s-closed" in row and "/amend" not in row and "/withdraw" not in row
    entry = _entries(web)[-1]
    assert entry["kind"] == "request.closed"
    assert entry["payload"]["reason"] == "filled by a bilateral deal"


def test_a_donor_withdraws_its_offer_and_its_proposed_allocations_fall_away(web: Web) -> None:
    rid = _request(web, quantity=10)["id"]
    offer = _offer(web, quantity=10)
    access.run_allocation(web.uow(), web.caller("coord"), as_of=TODAY)
    mine = access.list_allocations(web.uow(), web.caller("coord"), TODAY, limit=10_000).items
    proposed = [a["id"] for a in mine if a["offer"] == offer and a["status"] == "proposed"]
    assert proposed, "the optimiser proposed nothing from the offer"
    assert rid  # the request it can go to

    client = web.signed_in("est")
    page = client.get(f"/offers?family={FAMILY}").text
    row = _row(page, "offers", offer)
    assert f'action="/offers/{offer}/amend"' in row and f'action="/offers/{offer}/withdraw"' in row
    assert f'<label for="withdraw-{offer}-reason">' in row
    done = client.post(
        f"/offers/{offer}/withdraw",
        data={"confirm": "yes", "reason": "sent elsewhere", "csrf": web.csrf("est")},
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/offers?ok=withdrawn&ref={offer}"
    shown = client.get(done.headers["location"]).text
    assert f"{offer} withdrawn." in shown
    row = _row(client.get(f"/offers?family={FAMILY}").text, "offers", offer)
    assert "s-withdrawn" in row and "/amend" not in row
    for alloc in proposed:
        got = access.get_allocation(web.uow(), web.caller("coord"), TODAY, alloc)
        assert got["status"] == "withdrawn"
    entry = [e for e in _entries(web) if e["kind"] == "offer.withdrawn"][-1]
    assert entry["payload"]["reason"] == "sent elsewhere" and entry["nation"] == "EST"
    assert entry["payload"]["dropped"] == sorted(proposed)
    verified = web.signed_in("audit").get("/ledger/verify")
    assert verified.status_code == 200 and "does not verify" not in verified.text
    assert access.verify_ledger(web.uow(), web.caller("audit")) > 0


def test_a_donor_amends_its_offer_but_sees_no_forms_on_another_nations(web: Web) -> None:
    assert "/amend" not in _board(web.signed_in("gbr"), _request(web)["id"])
    est_offer = _offer(web, "EST")
    gbr_offer = _offer(web, "GBR")
    rid = _request(web)["id"]
    client = web.signed_in("est")
    page = client.get(f"/offers?family={FAMILY}").text
    theirs = _row(page, "offers", gbr_offer)
    assert "<form" not in theirs and "Amend" not in theirs
    assert "<form" not in _board(client, rid)  # a donor changes no request
    before = len(_entries(web))
    # forged posts are refused and change nothing
    forged = client.post(
        f"/offers/{gbr_offer}/amend",
        data={"quantity": "1", "available_from": "2024-05-01", "caveats": "",
              "releasability": "public", "csrf": web.csrf("est")},
    )
    assert forged.status_code in (403, 404)
    ended = client.post(
        f"/offers/{gbr_offer}/withdraw",
        data={"confirm": "yes", "reason": "not mine", "csrf": web.csrf("est")},
    )
    assert ended.status_code in (403, 404)
    on_request = client.post(
        f"/requests/{rid}/withdraw",
        data={"confirm": "yes", "reason": "not mine", "csrf": web.csrf("est")},
    )
    assert on_request.status_code in (403, 404)
    missing = client.post(
        "/offers/NOPE/withdraw", data={"confirm": "yes", "reason": "x", "csrf": web.csrf("est")}
    )
    assert missing.status_code == 404
    # without the session's CSRF token nothing is done either
    no_csrf = client.post(f"/offers/{est_offer}/withdraw", data={"confirm": "yes", "reason": "x"})
    assert no_csrf.status_code == 403
    assert len(_entries(web)) == before
    assert access.get_offer(web.uow(), web.caller("gbr"), TODAY, gbr_offer)["status"] == "open"
    # its own offer it amends; a bad releasability is named beside the field
    bad = client.post(
        f"/offers/{est_offer}/amend",
        data={"quantity": "30", "available_from": "2024-05-01", "caveats": "",
              "releasability": "friends", "csrf": web.csrf("est")},
    )
    assert bad.status_code == 422
    assert f'id="am-{est_offer}-releasability-err"' in _row(bad.text, "offers", est_offer)
    done = client.post(
        f"/offers/{est_offer}/amend",
        data={"quantity": "24", "available_from": "2024-07-01", "caveats": "spares included",
              "releasability": "public", "csrf": web.csrf("est")},
    )
    assert done.status_code == 303
    got = access.get_offer(web.uow(), web.caller("est"), TODAY, est_offer)
    assert (got["quantity"], got["available_from"], got["caveats"]) == (
        24, "2024-07-01", "spares included"
    )
    # the coordinator may change any open record
    coord = web.signed_in("coord")
    assert f'action="/offers/{gbr_offer}/amend"' in coord.get(f"/offers?family={FAMILY}").text
    assert f'action="/requests/{rid}/close"' in coord.get(f"/requests?family={FAMILY}").text
    assert access.verify_ledger(web.uow(), web.caller("audit")) > 0
