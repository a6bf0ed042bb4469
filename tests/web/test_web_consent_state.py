"""Where an allocation stands on re-export consent reads the same on every page, list
and count (one definition: :func:`allied.domain.consent.allocation_consent`), and a
nation's consent queue holds only the requests asking it as origin state.

On the reference (demo) data: ``C-2023-USA-DEU`` asks the United States about a Patriot
that Germany holds; Germany is only its holder. The pages are read on each backend."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from allied.service import access
from web.support import TODAY
from web.test_web_pages import Web, _offer, _request_form, web  # noqa: F401  (the fixture)


def _pledged(web: Web) -> tuple[str, str, str]:  # noqa: F811
    """EST offers DEU-made mortars; UKR asks; EST pledges (DEU not asked yet)."""
    offer = _offer(web, "EST", "public", origin="DEU")
    request_id = str(access.create_request(
        web.uow(), web.caller("ukr"), TODAY,
        {**_request_form(), "recipient": "UKR", "quantity": 100},
    )["id"])
    made = access.pledge(
        web.uow(), web.caller("est"), TODAY, offer_id=offer, request_id=request_id, quantity=40
    )
    return offer, request_id, str(made["id"])


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


def _state_line(html: str) -> str:
    """The allocation page's 'Re-export consent' fact, as text."""
    found = re.search(r"<dt>Re-export consent</dt>\s*<dd[^>]*>(.*?)</dd>", html, re.S)
    assert found, "no re-export consent fact"
    return _text(found.group(1))


def _table(html: str, table: str) -> str:
    found = re.search(rf'<table[^>]*id="{table}".*?</table>', html, re.S)
    assert found, f"no table {table}"
    return found.group(0)


def _row(html: str, table: str, row_id: str) -> str:
    found = re.search(rf'<tr id="{re.escape(row_id)}">(.*?)</tr>', _table(html, table), re.S)
    assert found, f"no row {row_id} in {table}"
    return _text(found.group(1))


def test_the_allocation_page_and_its_consents_table_agree(web: Web) -> None:  # noqa: F811
    _, _, allocation = _pledged(web)
    for user in ("coord", "est", "ukr"):
        html = web.signed_in(user).get(f"/allocations/{allocation}").text
        line, table = _state_line(html), _text(_table(html, "consents"))
        # not asked yet: the fact does not say it waits for Germany's answer
        assert "not-asked" in line and "Germany not asked yet" in line, (user, line)
        assert "waiting for" not in line, (user, line)
        assert "Not asked yet" in table and "DEU" in table
    moved = access.advance_allocation(
        web.uow(), web.caller("est"), TODAY, allocation, "consent-pending"
    )
    consent = moved["consents"][0]["consent"]
    for user in ("coord", "est", "ukr"):
        html = web.signed_in(user).get(f"/allocations/{allocation}").text
        line = _state_line(html)
        assert "pending" in line and "waiting for Germany's consent" in line, (user, line)
        assert "1 Jul 2024" in line  # the last day to answer (asked on 1 Jun, 30 days)
        row = _row(html, "consents", "origin-DEU")
        assert consent in row and "pending" in row and "Not asked" not in row, (user, row)


def test_after_a_grant_the_lists_say_granted(web: Web) -> None:  # noqa: F811
    offer, request_id, allocation = _pledged(web)
    moved = access.advance_allocation(
        web.uow(), web.caller("est"), TODAY, allocation, "consent-pending"
    )
    pending = {
        "est": [("/offers", "pledges"), ("/allocation", "allocations"),
                (f"/offers/{offer}", "allocations")],
        "ukr": [("/allocation", "allocations"), (f"/requests/{request_id}", "allocations")],
        "coord": [("/allocation", "allocations"), (f"/requests/{request_id}", "allocations"),
                  (f"/offers/{offer}", "allocations")],
    }
    for user, pages in pending.items():
        client = web.signed_in(user)
        for path, table in pages:
            row = _row(client.get(path).text, table, allocation)
            assert "pending: DEU" in row and "needed" not in row, (user, path, row)
    access.answer_consent(web.uow(), web.caller("deu"), TODAY, moved["consents"][0]["consent"],
                          "granted", "end use agreed")
    assert access.get_allocation(web.uow(), web.caller("coord"), TODAY, allocation)[
        "status"] == "approved"
    for user, pages in pending.items():
        client = web.signed_in(user)
        for path, table in pages:
            row = _row(client.get(path).text, table, allocation)
            assert "granted" in row and "needed" not in row and "pending" not in row, (
                user, path, row)


def _waiting_ids(html: str) -> set[str]:
    return set(re.findall(r'<tr id="(C-[^"]+)">', _table(html, "waiting")))


def test_an_origin_states_queue_holds_only_the_requests_asking_it(web: Web) -> None:  # noqa: F811
    # the demo's C-2023-USA-DEU: Germany holds the Patriot, the United States is asked
    deu = web.signed_in("deu")
    assert "C-2023-USA-DEU" not in _waiting_ids(deu.get("/consents").text)
    # Germany still reads it (it is a party), it is only not Germany's to answer
    assert deu.get("/consents/C-2023-USA-DEU").status_code == 200
    _, _, allocation = _pledged(web)
    moved = access.advance_allocation(
        web.uow(), web.caller("est"), TODAY, allocation, "consent-pending"
    )
    asked = moved["consents"][0]["consent"]
    assert _waiting_ids(deu.get("/consents").text) == {asked}
    # each role's queue: the requests in which its nation is the party its role is
    party = {"deu": "origin", "est": "holder", "ukr": "recipient"}
    for user, field in party.items():
        caller = web.caller(user)
        found = access.waiting_consents(web.uow(), caller, TODAY, limit=100).items
        assert found and all(c[field] == caller.nation for c in found), (user, found)
        assert all(c["effective_status"] == "pending" for c in found)
    coordinator = access.waiting_consents(web.uow(), web.caller("coord"), TODAY, limit=100)
    assert {c["id"] for c in coordinator.items} == {"C-2023-USA-DEU", asked}


def _kpi(html: str) -> int:
    found = re.search(r'<span class="v">(\d+)</span><span class="k">consents waiting', html)
    assert found, "no consents-waiting figure"
    return int(found.group(1))


def _todo_consents(html: str) -> int:
    """The count the overview's to-do list gives the caller's consent section."""
    found = re.findall(r"<h3>Re-export consent requests[^<]*<span[^>]*>\((\d[\d,]*)\)</span></h3>",
                       html)
    assert len(found) == 1, found
    return int(found[0].replace(",", ""))


def test_the_overviews_consents_waiting_is_the_todo_lists_count(web: Web) -> None:  # noqa: F811
    _, _, allocation = _pledged(web)
    access.advance_allocation(web.uow(), web.caller("est"), TODAY, allocation, "consent-pending")
    want = {"coord": 2, "deu": 1, "est": 1, "ukr": 2, "audit": 2}
    for user, count in want.items():
        html = web.signed_in(user).get("/").text
        assert _kpi(html) == _todo_consents(html) == count, (user, _kpi(html))
        api = TestClient(web.app, headers={"Authorization": f"Bearer {web.tokens[user]}"})
        sections = api.get("/api/v1/todo").json()["sections"]
        (section,) = [s for s in sections
                      if s["name"] in ("consents_to_answer", "consents_waiting")]
        assert section["total"] == count
        assert access.count_waiting_consents(web.uow(), web.caller(user), TODAY) == count
    # the allocations waiting on consent in the to-do list link to their own pages
    for user, section in (("coord", "blocked_decisions"), ("est", "consents_holding_pledges")):
        html = web.signed_in(user).get("/").text
        items = re.search(rf'<ul class="todo" data-section="{section}">(.*?)</ul>', html, re.S)
        assert items and f'href="/allocations/{allocation}"' in items.group(1), user


def test_the_overview_counts_the_consents_waiting_once_from_its_todo_list(
    web: Web, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    """A home page read afresh takes its consents-waiting figure from the to-do list's
    queue section (which counts the whole queue), not from a count of its own; the
    figure is the count's. With the to-do list kept and the picture not (one dropped
    from the cache), the picture counts them itself."""
    from allied.entrypoints.web import chartcache

    _, _, allocation = _pledged(web)
    access.advance_allocation(web.uow(), web.caller("est"), TODAY, allocation, "consent-pending")
    want = {user: access.count_waiting_consents(web.uow(), web.caller(user), TODAY)
            for user in ("coord", "deu", "est", "ukr", "audit")}
    assert want == {"coord": 2, "deu": 1, "est": 1, "ukr": 2, "audit": 2}
    counted: list[str] = []
    real = access.count_waiting_consents

    def spied(uow: object, caller: object, day: object) -> int:
        counted.append(str(getattr(caller, "role", "")))
        return real(uow, caller, day)  # type: ignore[arg-type]

    monkeypatch.setattr(access, "count_waiting_consents", spied)
    for user, count in want.items():
        web.app.state.chart_cache = chartcache.ChartCache()  # nothing kept
        assert _kpi(web.signed_in(user).get("/").text) == count, user
    assert counted == []
    # the picture dropped, the to-do list kept: the picture's own count answers
    cache = web.app.state.chart_cache
    with cache._lock:
        for key in [k for k in cache._items if k[:2] == ("overview", "data")]:
            del cache._items[key]
    assert _kpi(web.signed_in("audit").get("/").text) == want["audit"]
    assert counted == ["auditor"]
