"""A refused dashboard form comes back as its page (issue 19): whatever refused it —
FastAPI's own validation of the post (a value over a field's limit: a 20-digit quantity,
a note of 3,000 characters) or the service (a quantity that is not a number, a missing
reason) — the answer is HTML with the refusal's status (422, 403, 409...), the form as
typed, the error beside the field (``aria-invalid``, ``aria-describedby`` pointing at
the message, which names the field by its label) and a summary at the top linking to
the field, in plain words (no status code, no field code). Nothing is written. The JSON
API keeps answering JSON."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from allied.domain.rules import Rule
from allied.service import access
from web.support import TODAY
from web.test_web_pages import Web, web  # noqa: F401  (the fixture)

LONG = "x" * 3000
DIGITS = "1" * 20


def _ledger(web: Web) -> int:  # noqa: F811
    return access.ledger_entries(web.uow(), web.caller("audit"), limit=1).total


def assert_refused(
    answer: httpx.Response, fid: str, label: str, typed: str | None = None, status: int = 422
) -> str:
    """``answer`` is the form's page again: HTML with ``status``, the field ``fid`` marked,
    its error beside it naming it by ``label``, a summary linking to it, ``typed`` kept."""
    assert answer.status_code == status, answer.text[:500]
    assert answer.headers["content-type"].startswith("text/html")
    page = answer.text
    assert "Refused (" not in page and "field: <code>" not in page
    tag = re.search(rf'<(?:input|textarea|select)\b[^>]*\bid="{re.escape(fid)}"[^>]*>', page)
    assert tag, f"no field {fid}"
    assert 'aria-invalid="true"' in tag.group(0)
    assert f'aria-describedby="{fid}-err"' in tag.group(0)
    beside = re.search(
        rf'<span class="field-err[^"]*" id="{re.escape(fid)}-err"[^>]*>(.*?)</span>', page, re.S
    )
    assert beside, f"no error beside {fid}"
    words = html.unescape(beside.group(1))
    assert words.startswith(f"{label}: ") and "422" not in words
    summary = re.search(r'<div class="flash err error-summary"[^>]*>(.*?)</div>', page, re.S)
    assert summary and f'<a href="#{fid}">{html.escape(label)}: ' in summary.group(1)
    assert "Not saved:" in summary.group(1) or "Not run:" in summary.group(1)
    if typed is not None:
        assert html.escape(typed) in page, "what was typed is not kept"
    return words


def _request(web: Web, family: str = "120mm-mortar") -> str:  # noqa: F811
    return str(access.create_request(web.uow(), web.caller("ukr"), TODAY, {
        "recipient": "UKR", "family": family, "quantity": 500, "priority": 3,
        "needed_by": "2024-08-01", "releasability": "public"})["id"])


def _offer(web: Web, **extra: Any) -> str:  # noqa: F811
    return str(access.create_offer(web.uow(), web.caller("est"), TODAY, {
        "donor": "EST", "family": "120mm-mortar", "quantity": 300,
        "available_from": "2024-05-01", "releasability": "public", **extra})["id"])


def _request_form(**over: str) -> dict[str, str]:
    return {"family": "120mm-mortar", "quantity": "500", "priority": "4",
            "needed_by": "2024-08-01", "releasability": "public", "notes": "typed", **over}


def _offer_form(**over: str) -> dict[str, str]:
    return {"family": "120mm-mortar", "quantity": "40", "available_from": "2024-05-20",
            "channel": "bilateral", "releasability": "public", "caveats": "typed", **over}


# -- posting a request, an offer, a pledge -----------------------------------------------


@pytest.mark.parametrize(
    ("over", "fid", "label", "typed"),
    [
        ({"quantity": DIGITS}, "r-quantity", "Quantity", DIGITS),  # FastAPI: over 12 chars
        ({"notes": LONG}, "r-notes", "Notes", LONG),  # FastAPI: over 2,000 characters
        ({"quantity": "many"}, "r-quantity", "Quantity", "many"),  # the service
        ({"needed_by": ""}, "r-needed", "Needed by", None),  # missing: the service
    ],
)
def test_a_refused_request_comes_back_as_the_board_with_the_form_as_typed(
    web: Web, over: dict[str, str], fid: str, label: str, typed: str | None  # noqa: F811
) -> None:
    client = web.signed_in("ukr")
    before = _ledger(web)
    answer = client.post("/requests", data=_request_form(csrf=web.csrf("ukr"), **over))
    words = assert_refused(answer, fid, label, typed)
    assert not re.search(r"expected|got |field '", words), words  # in words, for people
    assert "typed</textarea>" in answer.text or fid == "r-notes"  # the other fields kept
    assert 'value="2024-08-01"' in answer.text or fid == "r-needed"
    assert _ledger(web) == before


@pytest.mark.parametrize(
    ("over", "fid", "label", "typed"),
    [
        ({"quantity": DIGITS}, "o-quantity", "Quantity", DIGITS),
        ({"caveats": LONG}, "o-caveats", "Caveats", LONG),
        ({"quantity": "12.5"}, "o-quantity", "Quantity", "12.5"),
        ({"family": ""}, "o-family", "Capability family", None),
    ],
)
def test_a_refused_offer_comes_back_with_the_form_as_typed(
    web: Web, over: dict[str, str], fid: str, label: str, typed: str | None  # noqa: F811
) -> None:
    client = web.signed_in("est")
    before = _ledger(web)
    answer = client.post("/offers", data=_offer_form(csrf=web.csrf("est"), **over))
    assert_refused(answer, fid, label, typed)
    # the lethal box left unticked stays unticked
    lethal = re.search(r'<input id="o-lethal"[^>]*>', answer.text)
    assert lethal and "checked" not in lethal.group(0)
    assert _ledger(web) == before


@pytest.mark.parametrize("quantity", [DIGITS, "ten"])
def test_a_refused_pledge_comes_back_with_the_pledge_form_as_typed(
    web: Web, quantity: str  # noqa: F811
) -> None:
    rid, oid = _request(web), _offer(web)
    client = web.signed_in("est")
    before = _ledger(web)
    answer = client.post("/pledges", data={"offer": oid, "request": rid, "quantity": quantity,
                                           "csrf": web.csrf("est")})
    assert_refused(answer, "p-qty", "Quantity", quantity)
    assert re.search(rf'<option value="{rid}" selected>', answer.text)  # the request chosen
    assert _ledger(web) == before


# -- amending and ending records ---------------------------------------------------------


def _amend_request_form(csrf: str, **over: str) -> dict[str, str]:
    return {"quantity": "500", "priority": "3", "needed_by": "2024-08-01", "notes": "",
            "releasability": "public", "csrf": csrf, **over}


@pytest.mark.parametrize(
    ("over", "field", "label", "typed"),
    [
        ({"quantity": DIGITS}, "quantity", "Quantity", DIGITS),
        ({"notes": LONG}, "notes", "Notes", LONG),
        ({"quantity": "lots"}, "quantity", "Quantity", "lots"),
    ],
)
def test_a_refused_amendment_of_a_request_comes_back_open_as_typed(
    web: Web, over: dict[str, str], field: str, label: str, typed: str  # noqa: F811
) -> None:
    rid = _request(web)
    client = web.signed_in("ukr")
    before = _ledger(web)
    form = _amend_request_form(web.csrf("ukr"), **over)
    answer = client.post(f"/requests/{rid}/amend", data=form)
    assert_refused(answer, f"am-{rid}-{field}", label, typed)
    assert re.search(r'<details class="record-form" open', answer.text)
    assert _ledger(web) == before


def test_a_refused_amendment_of_an_offer_keeps_the_caveats_typed(web: Web) -> None:  # noqa: F811
    oid = _offer(web)
    client = web.signed_in("est")
    before = _ledger(web)
    answer = client.post(f"/offers/{oid}/amend", data={
        "quantity": "300", "available_from": "2024-05-01", "caveats": LONG,
        "releasability": "public", "csrf": web.csrf("est")})
    assert_refused(answer, f"am-{oid}-caveats", "Caveats", LONG)
    assert _ledger(web) == before


@pytest.mark.parametrize(
    ("path", "user", "prefix"),
    [
        ("/requests/{rid}/withdraw", "ukr", "withdraw-{rid}"),
        ("/requests/{rid}/close", "ukr", "close-{rid}"),
        ("/offers/{oid}/withdraw", "est", "withdraw-{oid}"),
    ],
)
def test_ending_a_record_without_a_reason_says_so_in_plain_words(
    web: Web, path: str, user: str, prefix: str  # noqa: F811
) -> None:
    ids = {"rid": _request(web), "oid": _offer(web)}
    client = web.signed_in(user)
    before = _ledger(web)
    bare = client.post(path.format(**ids), data={"confirm": "yes", "reason": " ",
                                                 "csrf": web.csrf(user)})
    words = assert_refused(bare, f"{prefix.format(**ids)}-reason", "Reason")
    assert words == "Reason: give a reason; it is recorded in the ledger."
    assert "<strong>Not saved:</strong>" in bare.text
    too_long = client.post(path.format(**ids), data={"confirm": "yes", "reason": LONG,
                                                     "csrf": web.csrf(user)})
    assert_refused(too_long, f"{prefix.format(**ids)}-reason", "Reason", LONG)
    assert _ledger(web) == before


def test_a_refusal_by_a_rule_is_a_409_beside_the_field_it_is_about(web: Web) -> None:  # noqa: F811
    rid, oid = _request(web), _offer(web)
    access.pledge(web.uow(), web.caller("est"), TODAY, offer_id=oid, request_id=rid, quantity=25)
    before = _ledger(web)
    answer = web.signed_in("ukr").post(
        f"/requests/{rid}/amend", data=_amend_request_form(web.csrf("ukr"), quantity="10"))
    assert_refused(answer, f"am-{rid}-quantity", "Quantity", status=409)
    assert _ledger(web) == before


# -- consents, decisions, users, policies ------------------------------------------------


def test_a_refused_consent_answer_keeps_the_reason_typed(web: Web) -> None:  # noqa: F811
    rid, oid = _request(web), _offer(web, origin="DEU")
    made = access.pledge(web.uow(), web.caller("est"), TODAY, offer_id=oid, request_id=rid,
                         quantity=100)
    access.advance_allocation(web.uow(), web.caller("est"), TODAY, made["id"], "consent-pending")
    waiting = access.list_consents(web.uow(), web.caller("deu"), TODAY, status="pending").items
    cid = next(c["id"] for c in waiting if c["offer"] == oid)
    client = web.signed_in("deu")
    before = _ledger(web)
    answer = client.post(f"/consents/{cid}/answer", data={"answer": "granted", "reason": LONG,
                                                          "csrf": web.csrf("deu")})
    assert_refused(answer, f"why-{cid}", "Reason", LONG)
    page = client.post(f"/consents/{cid}/decide", data={"answer": "granted", "reason": LONG,
                                                        "csrf": web.csrf("deu")})
    assert_refused(page, "g-reason", "Reason", LONG)
    denied = client.post(f"/consents/{cid}/decide", data={"answer": "denied", "confirm": "yes",
                                                          "reason": "", "csrf": web.csrf("deu")})
    assert_refused(denied, "c-reason", "Reason")
    assert _ledger(web) == before


def _proposal(web: Web) -> str:  # noqa: F811
    made = access.propose(
        web.uow(), web.caller("coord"), forum="NATO", rule=Rule.CONSENSUS_SILENCE,
        title="Air defence for Kharkiv", on=TODAY, deadline=TODAY + dt.timedelta(days=10),
        text="first text",
    )
    return str(made["id"])


PROPOSAL = {"forum": "NATO", "rule": "consensus-silence", "title": "Air defence",
            "deadline": "2024-06-10", "text": "typed"}


@pytest.mark.parametrize(
    ("over", "fid", "label", "typed"),
    [
        ({"title": "t" * 301}, "pr-title", "Title", "t" * 301),
        ({"text": LONG}, "pr-text", "Text", LONG),
        ({"deadline": "soon"}, "pr-deadline", "Deadline", "soon"),
    ],
)
def test_a_refused_proposal_comes_back_open_as_typed(
    web: Web, over: dict[str, str], fid: str, label: str, typed: str  # noqa: F811
) -> None:
    client = web.signed_in("coord")
    before = _ledger(web)
    answer = client.post("/decisions", data={**PROPOSAL, **over, "csrf": web.csrf("coord")})
    assert_refused(answer, fid, label, typed)
    assert re.search(r'<details class="panel" open>\s*<summary><strong>Circulate', answer.text)
    assert _ledger(web) == before


def test_refused_governance_forms_keep_what_was_typed(web: Web) -> None:  # noqa: F811
    pid = _proposal(web)
    client = web.signed_in("coord")
    before = _ledger(web)
    revise = client.post(f"/proposals/{pid}/revise", data={"text": LONG, "deadline": "2024-06-20",
                                                          "csrf": web.csrf("coord")})
    assert_refused(revise, f"rv-{pid}-text", "Text", LONG)
    withdraw = client.post(f"/proposals/{pid}/withdraw", data={"confirm": "yes", "reason": "",
                                                              "csrf": web.csrf("coord")})
    assert_refused(withdraw, f"wd-{pid}-reason", "Reason")
    position = web.signed_in("deu").post(f"/decisions/{pid}/position", data={
        "position": "no", "reason": LONG, "csrf": web.csrf("deu")})
    assert_refused(position, f"{pid}-why", "Reason", LONG)
    assert re.search(r'<option value="no" selected>', position.text)
    assert _ledger(web) == before


def test_refused_user_management_keeps_what_was_typed(web: Web) -> None:  # noqa: F811
    admin = web.signed_in("admin")
    before = _ledger(web)
    name = "n" * 300
    added = admin.post("/admin/users", data={"name": name, "role": "auditor",
                                             "csrf": web.csrf("admin")})
    assert_refused(added, "u-name", "Name", name)
    no_nation = admin.post("/admin/users", data={"name": "pol-donor", "role": "donor",
                                                 "csrf": web.csrf("admin")})
    assert_refused(no_nation, "u-nation", "Nation", "pol-donor")
    unreasoned = admin.post("/admin/users/ukr/disable", data={"confirm": "yes", "reason": LONG,
                                                              "csrf": web.csrf("admin")})
    assert_refused(unreasoned, "dis-ukr-reason", "Reason", LONG)
    assert _ledger(web) == before


def test_a_refused_consent_policy_keeps_what_was_typed(web: Web) -> None:  # noqa: F811
    client = web.signed_in("deu")
    before = _ledger(web)
    source = "s" * 600
    answer = client.post("/consents/policies", data={"policy": "permissive", "since": "2024-05-01",
                                                     "source": source, "csrf": web.csrf("deu")})
    assert_refused(answer, "cp-source", "Source", source)
    assert _ledger(web) == before


# -- what is not a dashboard form keeps its answer ---------------------------------------


def test_the_json_api_still_answers_json(web: Web) -> None:  # noqa: F811
    api = TestClient(web.app, headers={"Authorization": f"Bearer {web.tokens['ukr']}"})
    body = {"recipient": "UKR", "family": "120mm-mortar", "quantity": int(DIGITS),
            "needed_by": "2024-08-01"}
    answer = api.post("/api/v1/requests", json=body)
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/json"
    assert answer.json()["error"] == "invalid-input" and answer.json()["field"] == "quantity"
    broken = api.post("/api/v1/requests", content=b"{",
                      headers={"content-type": "application/json"})
    assert broken.status_code == 422 and broken.json()["field"] == "body"


def test_a_refused_post_without_its_token_or_session_is_not_shown_again(
    web: Web,  # noqa: F811
) -> None:
    client = web.signed_in("ukr")
    # FastAPI refuses the quantity before the endpoint checks the token: still a 403
    stale = client.post("/requests", data=_request_form(quantity=DIGITS, csrf="stale"))
    assert stale.status_code == 403 and DIGITS not in stale.text
    # the session ended: the sign-in page carries the fields, to send again once signed in
    gone = web.anonymous().post("/requests", data=_request_form(notes=LONG[:100],
                                                                quantity=DIGITS))
    assert gone.status_code == 401 and f'value="{DIGITS}"' in gone.text



#: the dashboard's posts that are not forms of a page: signing in and out (their own
#: refusals: the sign-in page, a 403)
NOT_FORMS = {"/login", "/logout"}


def _routes(routes: list[Any]) -> list[Any]:
    """Every route of the app, the included routers' too."""
    out = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        out += _routes(inner.routes) if inner is not None else [route]
    return out


def test_every_dashboard_post_is_a_form_shown_again_when_refused(web: Web) -> None:  # noqa: F811
    from fastapi.routing import APIRoute

    from allied.entrypoints.web.forms import FormPage

    posts = [
        r for r in _routes(web.app.routes)
        if isinstance(r, APIRoute) and "POST" in r.methods
        and r.endpoint.__module__.startswith("allied.entrypoints.web")
    ]
    assert len(posts) > 25
    unmarked = [r.path for r in posts if r.path not in NOT_FORMS
                and not isinstance(getattr(r.endpoint, "form_page", None), FormPage)]
    assert unmarked == []


@pytest.mark.parametrize(
    ("message", "field", "text"),
    [
        ("expected an integer from 1 to 1000000000, got 'ten'", "quantity",
         "Quantity: give a whole number from 1 to 1,000,000,000; 'ten' is not one."),
        ("not a date (YYYY-MM-DD): 'soon'", "needed_by",
         "Needed by: give a date as year-month-day (2024-08-01); 'soon' is not one."),
        ("is required", "family", "Capability family: this is required."),
        ("give a reason; it is recorded in the ledger", "reason",
         "Reason: give a reason; it is recorded in the ledger."),
        ("the needed-by date is before the request was made", None,
         "The needed-by date is before the request was made."),
    ],
)
def test_a_refusal_is_worded_for_people(message: str, field: str | None, text: str) -> None:
    from allied.domain.errors import InvalidInput
    from allied.entrypoints.web.forms import refusal

    shown = refusal(InvalidInput(message, field=field), {"quantity": "r-quantity"})
    assert shown["text"] == text and shown["status"] == 422
    assert shown["anchor"] == ("r-quantity" if field == "quantity" else None)
