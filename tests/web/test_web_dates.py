"""The dashboard refuses impossible dates as the API does (issue 19, items 4 and 5): the
form's post answers an error status with the refusal's words on the page, and nothing
is written. (Where on the page the error sits is the forms' business.)"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from allied.service import access
from web.support import TODAY
from web.test_web_pages import Web, web  # noqa: F401  (the fixture)


def _count(web: Web) -> int:  # noqa: F811
    return len(access.ledger_entries(web.uow(), web.caller("audit"), limit=100_000).items)


def _shown(page: Any, *words: str) -> None:
    assert not 200 <= page.status_code < 300, page.status_code
    text = html.unescape(page.text)
    for word in words:
        assert word in text, word


def test_a_request_needed_in_the_past_is_refused_on_the_page(web: Web) -> None:  # noqa: F811
    client = web.signed_in("ukr")
    before = _count(web)
    for needed_by, words in (
        ("2020-01-01", ("2020-01-01 is in the past", "today (2024-06-01) or later")),
        ("9999-12-31", ("more than 10 years ahead", "at the latest 2034-06-01")),
    ):
        page = client.post("/requests", data={
            "family": "120mm-mortar", "quantity": "500", "priority": "4",
            "needed_by": needed_by, "releasability": "public", "csrf": web.csrf("ukr")})
        _shown(page, *words)
    assert _count(web) == before


def test_an_offer_available_from_1900_is_refused_on_the_page(web: Web) -> None:  # noqa: F811
    client = web.signed_in("est")
    before = _count(web)
    page = client.post("/offers", data={
        "family": "120mm-mortar", "quantity": "50", "available_from": "1900-01-01",
        "releasability": "public", "lethal": "on", "csrf": web.csrf("est")})
    _shown(page, "1900-01-01 is more than 365 days before today (2024-06-01)")
    assert _count(web) == before


def test_a_pledge_to_a_long_overdue_request_is_refused_on_the_page(
    web: Web,  # noqa: F811
) -> None:
    old = dt.date(2024, 1, 31)  # 122 days before the app's today
    request_id = access.create_request(web.uow(), web.caller("ukr"), old, {
        "recipient": "UKR", "family": "120mm-mortar", "quantity": 100, "priority": 3,
        "needed_by": old.isoformat(), "releasability": "public"})["id"]
    offer_id = access.create_offer(web.uow(), web.caller("est"), TODAY, {
        "donor": "EST", "family": "120mm-mortar", "quantity": 50,
        "available_from": "2024-05-01", "releasability": "public"})["id"]
    current = access.create_request(web.uow(), web.caller("ukr"), TODAY, {
        "recipient": "UKR", "family": "120mm-mortar", "quantity": 100, "priority": 3,
        "needed_by": "2024-08-01", "releasability": "public"})["id"]
    # the pledge form offers only the requests the offer may still be pledged to
    form = web.signed_in("est").get(f"/offers?pledge={offer_id}").text
    assert f'<option value="{current}"' in form and f'<option value="{request_id}"' not in form
    before = _count(web)
    page = web.signed_in("est").post("/pledges", data={
        "offer": offer_id, "request": request_id, "quantity": "10", "csrf": web.csrf("est")})
    _shown(page, f"request {request_id} was needed by 2024-01-31, 122 days before today",
           "confirms the need by amending needed_by")
    assert _count(web) == before
