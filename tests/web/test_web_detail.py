"""The record pages (``entrypoints/web/detail.py``): each record for each role (visible or
404 exactly as a missing one), links to what is linked to it, its ledger history, and
only the actions the caller may take, which work when posted and record their reason."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from allied.adapters.db.repository_users import SqlServiceUnitOfWork, service_sessions
from allied.bootstrap import Store
from allied.domain.errors import NotFound
from allied.domain.rules import Rule
from allied.entrypoints.api import create_app
from allied.service import access
from allied.service.caller import Caller
from allied.service.consent_reads import consents_of
from allied.service.usecases import detail
from allied.service.usecases.allocations import _asked_about_offer, asked_offers
from allied.service.users import add_user
from web.page_catalogue import RECORD_PAGES
from web.support import TODAY
from web.test_web_pages import USERS, Web, _offer, _request_form


@pytest.fixture
def web(store: Store) -> Web:
    """The dashboard over ``store`` with a user per role (as in test_web_pages)."""
    app = create_app(store=store, today=lambda: TODAY)
    tokens = {}
    for name, (role, nation) in USERS.items():
        uow = SqlServiceUnitOfWork(service_sessions(store.engine))
        tokens[name] = add_user(
            uow, Caller("test-admin"), name=name, role=role, nation=nation
        ).token
    return Web(app, store, tokens)


def _setup(web: Web) -> dict[str, Any]:
    """EST offers DEU-made mortars to UKR only; UKR asks; EST pledges and asks DEU."""
    offer = _offer(web, "EST", "nations:UKR", origin="DEU")
    request_id = access.create_request(
        web.uow(), web.caller("ukr"), TODAY,
        {**_request_form(), "recipient": "UKR", "quantity": 100},
    )["id"]
    made = access.pledge(
        web.uow(), web.caller("est"), TODAY, offer_id=offer, request_id=request_id, quantity=100
    )
    moved = access.advance_allocation(
        web.uow(), web.caller("est"), TODAY, made["id"], "consent-pending"
    )
    return {
        "offer": offer,
        "request": str(request_id),
        "allocation": made["id"],
        "consent": moved["consents"][0]["consent"],
    }


def _buttons(html: str) -> list[str]:
    """The labels of the buttons and action links in the page's actions."""
    found = re.findall(r'<button type="submit"[^>]*>([^<]+)</button>', html)
    found += re.findall(r'<a class="button[^"]*"[^>]*>([^<]+)</a>', html)
    return [b.strip() for b in found if b.strip() != "Sign out"]


def test_each_record_page_shows_its_links_to_its_parties_and_404s_to_the_others(
    web: Web,
) -> None:
    ids = _setup(web)
    pages = {
        "request": f"/requests/{ids['request']}",
        "offer": f"/offers/{ids['offer']}",
        "allocation": f"/allocations/{ids['allocation']}",
        "consent": f"/consents/{ids['consent']}",
    }
    # who sees which: the offer is released to UKR only; GBR is party to nothing
    sees = {
        "coord": {"request", "offer", "allocation", "consent"},
        "audit": {"request", "offer", "allocation", "consent"},
        "est": {"request", "offer", "allocation", "consent"},
        "ukr": {"request", "offer", "allocation", "consent"},
        "deu": {"request", "allocation", "consent"},
        "gbr": {"request"},
        "admin": {"request"},
    }
    for user in USERS:
        client = web.signed_in(user)
        missing = client.get("/allocations/AL-NOSUCH")
        assert missing.status_code == 404
        for kind, path in pages.items():
            got = client.get(path)
            if kind in sees[user]:
                assert got.status_code == 200, (user, path)
                assert 'id="history"' in got.text
            else:
                assert got.status_code == 404, (user, path)
                # exactly like a missing record, but for the id named
                assert got.text.replace(path.rsplit("/", 1)[1], "X") == missing.text.replace(
                    "AL-NOSUCH", "X"
                ).replace("allocation X", f"{_noun(kind)} X")
    page = web.signed_in("coord").get(pages["allocation"]).text
    for link in (pages["request"], pages["offer"], pages["consent"]):
        assert f'href="{link}"' in page
    assert f'href="{pages["allocation"]}"' in web.signed_in("coord").get(pages["request"]).text
    assert f'href="{pages["allocation"]}"' in web.signed_in("coord").get(pages["offer"]).text
    assert f'href="{pages["consent"]}"' in web.signed_in("coord").get(pages["offer"]).text
    assert f'href="{pages["allocation"]}"' in web.signed_in("deu").get(pages["consent"]).text
    # the reason code in words, the code beside it
    assert "waiting for Germany&#39;s consent as origin state" in page or (
        "waiting for Germany's consent as origin state" in page
    )
    assert '<code class="reason-code">consent-pending:DEU</code>' in page


def _noun(kind: str) -> str:
    return {"consent": "consent request"}.get(kind, kind)


def test_history_lists_the_ledger_entries_about_the_record(web: Web) -> None:
    ids = _setup(web)
    coord = web.signed_in("coord").get(f"/allocations/{ids['allocation']}").text
    rows = re.findall(r'<code class="reason-code">(allocation\.[a-z-]+)</code>', coord)
    assert rows == ["allocation.pledged", "allocation.consent-pending"]
    assert ">est<" in coord  # the ledger readers see who
    ukr = web.signed_in("ukr").get(f"/allocations/{ids['allocation']}").text
    assert re.findall(r'<code class="reason-code">(allocation\.[a-z-]+)</code>', ukr) == rows
    assert ">est<" not in ukr  # a party sees what and which nation, not the user
    req = web.signed_in("coord").get(f"/requests/{ids['request']}").text
    assert 'Request posted <code class="reason-code">request.created</code>' in req
    assert 'Allocation pledged <code class="reason-code">allocation.pledged</code>' in req


def test_an_allocation_a_run_proposed_shows_the_run_in_its_history(web: Web) -> None:
    """A run's one entry lists the allocations it made; each one's page shows that entry
    (with only its own line of the plan), and one a pledge made shows no run."""
    pledged = _setup(web)
    _offer(web, "EST", "nations:UKR")
    access.create_request(
        web.uow(), web.caller("ukr"), TODAY,
        {**_request_form(), "recipient": "UKR", "quantity": 40},
    )
    run = access.run_allocation(web.uow(), web.caller("coord"), as_of=TODAY)
    assert run["allocation_ids"]
    made = run["allocation_ids"][0]
    history = access.record_history(web.uow(), web.caller("audit"), TODAY, "allocation", made)
    assert [h["kind"] for h in history] == ["allocation.run"]
    assert history[0]["payload"]["made"] == [
        m for m in history[0]["payload"]["made"] if m["id"] == made
    ] and len(history[0]["payload"]["made"]) == 1
    page = web.signed_in("coord").get(f"/allocations/{made}").text
    assert 'Allocation run: plan proposed <code class="reason-code">allocation.run</code>' in page
    assert "No ledger entry names this record" not in page
    ukr = access.record_history(web.uow(), web.caller("ukr"), TODAY, "allocation", made)
    assert [h["kind"] for h in ukr] == ["allocation.run"] and "payload" not in ukr[0]
    # the pledged one was not made by the run
    kinds = [h["kind"] for h in access.record_history(
        web.uow(), web.caller("coord"), TODAY, "allocation", pledged["allocation"])]
    assert "allocation.run" not in kinds


def test_only_possible_actions_are_offered(web: Web) -> None:
    ids = _setup(web)
    path = f"/allocations/{ids['allocation']}"
    # consent pending: nobody may approve; the coordinator may reject or withdraw
    assert _buttons(web.signed_in("coord").get(path).text) == ["Reject…", "Withdraw…"]
    assert _buttons(web.signed_in("est").get(path).text) == ["Withdraw…"]
    # the recipient may refuse it; the origin answers on the consent, not here
    assert _buttons(web.signed_in("ukr").get(path).text) == ["Reject…"]
    for user in ("deu", "audit"):
        assert _buttons(web.signed_in(user).get(path).text) == [], user
    # on the list page, another donor sees no button on EST's allocation
    gbr_offer = _offer(web, "GBR", "public")
    other = access.create_request(
        web.uow(), web.caller("ukr"), TODAY,
        {**_request_form(), "recipient": "UKR", "quantity": 10},
    )["id"]
    gbr_made = access.pledge(
        web.uow(), web.caller("coord"), TODAY, offer_id=gbr_offer, request_id=other, quantity=10
    )
    listing = web.signed_in("est").get("/allocation").text
    row = re.search(rf'<tr id="{gbr_made["id"]}">.*?</tr>', listing, re.S)
    assert row and "<button" not in row.group(0) and "button" not in row.group(0)
    # the consent: only the origin answers
    cpath = f"/consents/{ids['consent']}"
    assert _buttons(web.signed_in("deu").get(cpath).text) == ["Grant consent", "Deny consent…"]
    for user in ("coord", "est", "ukr", "audit"):
        assert _buttons(web.signed_in(user).get(cpath).text) == [], user
    # requests and offers: their owner and the coordinator
    assert _buttons(web.signed_in("ukr").get(f"/requests/{ids['request']}").text) == [
        "Amend…", "Withdraw…", "Close…"
    ]
    assert _buttons(web.signed_in("est").get(f"/requests/{ids['request']}").text) == []
    assert _buttons(web.signed_in("est").get(f"/offers/{ids['offer']}").text) == [
        "Amend…", "Pledge…", "Withdraw…"
    ]
    assert _buttons(web.signed_in("ukr").get(f"/offers/{ids['offer']}").text) == []


def test_a_consent_denied_from_its_page_asks_for_confirmation_and_records_the_reason(
    web: Web,
) -> None:
    ids = _setup(web)
    deu = web.signed_in("deu")
    cpath = f"/consents/{ids['consent']}"
    step = deu.get(f"{cpath}?do=denied")
    assert step.status_code == 200 and "This cannot be undone." in step.text
    # the list page's old deny post is sent to the confirmation step, nothing answered
    sent = deu.post(
        f"{cpath}/answer", data={"answer": "denied", "reason": "x", "csrf": web.csrf("deu")}
    )
    assert sent.status_code == 303 and sent.headers["location"].startswith(f"{cpath}?do=denied")
    unconfirmed = deu.post(
        f"{cpath}/decide", data={"answer": "denied", "reason": "no", "csrf": web.csrf("deu")}
    )
    assert unconfirmed.status_code == 422 and "tick the box" in unconfirmed.text
    no_reason = deu.post(
        f"{cpath}/decide", data={"answer": "denied", "confirm": "yes", "csrf": web.csrf("deu")}
    )
    assert no_reason.status_code == 422
    assert access.get_consent(web.uow(), web.caller("deu"), TODAY, ids["consent"])[
        "effective_status"
    ] == "pending"
    done = deu.post(
        f"{cpath}/decide",
        data={"answer": "denied", "confirm": "yes", "reason": "ex-GDR stock stays home",
              "csrf": web.csrf("deu")},
    )
    assert done.status_code == 303
    assert access.get_consent(web.uow(), web.caller("deu"), TODAY, ids["consent"])[
        "effective_status"
    ] == "denied"
    entries = access.record_history(web.uow(), web.caller("coord"), TODAY, "consent",
                                    ids["consent"])
    assert entries[-1]["kind"] == "consent.denied"
    assert entries[-1]["reason"] == "ex-GDR stock stays home"
    page = web.signed_in("coord").get(cpath).text
    assert "ex-GDR stock stays home" in page
    # the allocation moved to rejected with it, and offers nothing any more
    assert _buttons(web.signed_in("coord").get(f"/allocations/{ids['allocation']}").text) == []


def test_an_allocation_withdrawn_from_its_page_records_the_reason(web: Web) -> None:
    ids = _setup(web)
    path = f"/allocations/{ids['allocation']}"
    est = web.signed_in("est")
    # the list page's move button for an irreversible move leads to the confirmation
    sent = est.post(f"{path}/move", data={"to": "withdrawn", "csrf": web.csrf("est")})
    assert sent.status_code == 303 and sent.headers["location"].startswith(f"{path}?do=withdrawn")
    assert "This cannot be undone." in est.get(f"{path}?do=withdrawn").text
    refused = est.post(f"{path}/act", data={"to": "withdrawn", "reason": "r",
                                            "csrf": web.csrf("est")})
    assert refused.status_code == 422 and 'value="withdrawn"' in refused.text
    # a donor of another nation is refused as the service refuses it
    gbr = web.signed_in("gbr").post(
        f"{path}/act",
        data={"to": "withdrawn", "confirm": "yes", "reason": "r", "csrf": web.csrf("gbr")},
    )
    assert gbr.status_code == 404
    done = est.post(
        f"{path}/act",
        data={"to": "withdrawn", "confirm": "yes", "reason": "needed at home",
              "csrf": web.csrf("est")},
    )
    assert done.status_code == 303 and done.headers["location"].startswith(f"{path}?ok=moved")
    assert access.get_allocation(web.uow(), web.caller("est"), TODAY, ids["allocation"])[
        "status"
    ] == "withdrawn"
    last = access.record_history(web.uow(), web.caller("audit"), TODAY, "allocation",
                                 ids["allocation"])[-1]
    assert last["kind"] == "allocation.withdrawn" and last["reason"] == "needed at home"
    assert last["payload"]["reason"] == "needed at home"
    assert "needed at home" in web.signed_in("ukr").get(path).text


def test_a_reversible_move_works_from_the_page(web: Web) -> None:
    gbr_offer = _offer(web, "GBR", "public")
    request_id = access.create_request(
        web.uow(), web.caller("ukr"), TODAY,
        {**_request_form(), "recipient": "UKR", "quantity": 10},
    )["id"]
    made = access.pledge(
        web.uow(), web.caller("coord"), TODAY, offer_id=gbr_offer, request_id=request_id,
        quantity=10,
    )
    path = f"/allocations/{made['id']}"
    coord = web.signed_in("coord")
    assert _buttons(coord.get(path).text) == ["Approve", "Reject…", "Withdraw…"]
    done = coord.post(f"{path}/act", data={"to": "approved", "csrf": web.csrf("coord")})
    assert done.status_code == 303
    assert _buttons(web.signed_in("gbr").get(path).text) == ["Mark shipped", "Withdraw…"]
    web.signed_in("gbr").post(f"{path}/act", data={"to": "shipped", "csrf": web.csrf("gbr")})
    assert _buttons(web.signed_in("ukr").get(path).text) == ["Confirm receipt", "Report lost…"]


def test_proposal_accession_and_a_get_never_writes(web: Web) -> None:
    made = access.propose(
        web.uow(), web.caller("coord"), forum="NATO", rule=__import__(
            "allied.domain.rules", fromlist=["Rule"]).Rule("consensus-silence"),
        title="Winter kit", on=TODAY, deadline=TODAY.replace(month=7), text="",
    )
    access.take_position(web.uow(), web.caller("est"), TODAY, made["id"], actor="EST",
                         position="no", reason="not now")
    head = access.ledger_entries(web.uow(), web.caller("audit"), limit=1).total
    page = web.signed_in("est").get(f"/proposals/{made['id']}")
    assert page.status_code == 200
    assert "not now" in page.text and "Objections" in page.text
    assert "Record a position" in page.text
    assert "Record a position" not in web.signed_in("audit").get(f"/proposals/{made['id']}").text
    assert web.signed_in("coord").get("/proposals/P-NOSUCH").status_code == 404
    accessions = access.list_accessions(web.uow(), web.caller("coord"), TODAY).items
    if accessions:
        cand = accessions[0]["candidate"]
        acc = web.signed_in("ukr").get(f"/accessions/{cand}")
        assert acc.status_code == 200
        for a in accessions:
            if a["candidate"] == cand:
                assert f'href="/accessions/{a["id"]}"' in acc.text
        one = web.signed_in("ukr").get(f"/accessions/{accessions[0]['id']}")
        assert one.status_code == 200 and "Ratifications" in one.text and "Invited" in one.text
    assert web.signed_in("ukr").get("/accessions/ZZZ").status_code == 404
    assert access.ledger_entries(web.uow(), web.caller("audit"), limit=1).total == head


def test_each_accession_has_its_own_page_with_its_invitation_date(web: Web) -> None:
    step = access.accession_step
    coord = web.caller("coord")
    step(web.uow(), coord, "UKR-EU", "apply", on=dt.date(2022, 2, 28), today=TODAY,
         candidate="UKR", org="EU")
    step(web.uow(), coord, "UKR-EU", "invite", on=dt.date(2023, 12, 14), today=TODAY)
    step(web.uow(), coord, "UKR-NATO", "apply", on=dt.date(2022, 9, 30), today=TODAY,
         candidate="UKR", org="NATO")
    reader = web.signed_in("ukr")
    eu = reader.get("/accessions/UKR-EU")
    assert eu.status_code == 200
    assert "Invited</dt><dd>14 Dec 2023" in eu.text and "UKR-NATO" not in eu.text
    assert "accession.invite" in eu.text or "Accession invited" in eu.text  # its history
    nato = reader.get("/accessions/UKR-NATO")
    assert nato.status_code == 200 and "not invited yet" in nato.text
    # the candidate's code lists both, each linked to its own page
    both = reader.get("/accessions/UKR")
    assert both.status_code == 200
    assert 'href="/accessions/UKR-EU"' in both.text and 'href="/accessions/UKR-NATO"' in both.text
    # the decisions page links each id to its page and shows the invitation
    page = web.signed_in("coord").get("/decisions").text
    assert 'href="/accessions/UKR-EU"><code>UKR-EU</code></a>' in page
    assert "<td>2023-12-14</td>" in page


def test_a_proposal_shows_its_text_every_earlier_version_and_what_a_revision_changed(
    web: Web,
) -> None:
    made = access.propose(
        web.uow(), web.caller("coord"), forum="NATO", rule=Rule.CONSENSUS_SILENCE,
        title="Deploy trainers to western Ukraine", on=TODAY,
        deadline=TODAY + dt.timedelta(days=10), text="Allies agree to send trainers",
    )
    pid = made["id"]
    access.revise_proposal(
        web.uow(), web.caller("coord"), pid, on=TODAY, deadline=TODAY + dt.timedelta(days=14),
        text="Trainers to western Ukraine, with caveat: no deployment east of the Dnipro",
    )
    for user in ("coord", "deu"):
        page = web.signed_in(user).get(f"/proposals/{pid}").text
        assert "with caveat: no deployment east of the Dnipro</blockquote>" in page
        assert 'id="version-1"' in page and "Allies agree to send trainers" in page
        history = page[page.index('id="history"'):]
        # the revision's ledger row shows the change, to a participant as to the coordinator
        assert "text: Allies agree to send trainers → Trainers to western Ukraine" in history
        decisions = web.signed_in(user).get("/decisions").text
        assert "no deployment east of the Dnipro" in decisions


def test_blocking_names_objectors_apart_from_states_not_yet_heard(web: Web) -> None:
    made = access.propose(
        web.uow(), web.caller("coord"), forum="EU", rule=Rule.QMV, title="Ammunition tranche",
        on=TODAY, deadline=TODAY + dt.timedelta(days=13),
    )
    pid = made["id"]
    for nation, position in (("DEU", "yes"), ("HUN", "no")):
        access.take_position(web.uow(), web.caller("coord"), TODAY, pid, actor=nation,
                             position=position)
    coord = web.signed_in("coord")
    card = coord.get("/decisions").text
    card = card[card.index(f'id="{pid}"'):]
    card = card[:card.index("</article>")]
    assert "Blocking: <strong>HUN</strong>" in card
    assert "Waiting for votes from AUT, BEL" in card and "DEU" not in card.split("Waiting")[1][:200]
    home = coord.get("/").text
    item = home[home.index(f">{pid}</a>"):]
    item = item[:item.index("</li>")]
    assert "blocked by HUN, waiting for votes from AUT" in item
    record = coord.get(f"/proposals/{pid}").text
    assert 'id="blocking"' in record and "Waiting for votes from AUT" in record


def test_the_catalogue_names_every_record_page() -> None:
    paths = {p for _, p in RECORD_PAGES}
    for prefix in ("/requests/", "/offers/", "/allocations/", "/consents/", "/proposals/",
                   "/accessions/", "/monitor/events/"):
        assert any(p.startswith(prefix) for p in paths), prefix


@pytest.mark.parametrize("code", ["late:337", "insufficient-supply"])
def test_the_reason_filter_shows_words_and_code(code: str) -> None:
    from allied.entrypoints.web.detail import reason_filter

    shown = str(reason_filter(code))
    assert f'<code class="reason-code">{code}</code>' in shown
    assert str(reason_filter("<b>free text</b>")) == "&lt;b&gt;free text&lt;/b&gt;"


def test_a_monitor_event_page_highlights_its_evidence_for_the_roles_that_read_events(
    web: Web,
) -> None:
    from allied.adapters.db.tables_monitor import sql_monitor_events
    from allied.monitor.extract import Extractor
    from allied.monitor.model import Document
    from allied.monitor.record import Status
    from allied.service.monitor import decide, list_events, record_proposals

    text = (
        "Germany refused Estonia permission to pass on the howitzers. "
        "Italy called for an immediate ceasefire."
    )
    doc = Document("brief.txt", text, "2022-01", source="brief.txt")
    analyst = Caller("analyst")
    record_proposals(web.uow(), sql_monitor_events, analyst, [(doc, Extractor().extract(doc))])
    events = {e.actor: e.id for e in list_events(web.uow(), sql_monitor_events)}
    decide(web.uow(), sql_monitor_events, analyst, events["DEU"], Status.CONFIRMED)
    path = f"/monitor/events/{events['DEU']}"
    page = web.signed_in("coord").get(path)
    assert page.status_code == 200
    quote = re.search(r'<blockquote class="evidence" id="evidence">(.*?)</blockquote>',
                      page.text, re.S)
    assert quote and "<mark>Germany</mark>" in quote.group(1)
    assert f'href="/monitor/events/{events["ITA"]}"' in page.text  # same document
    assert 'Monitor confirmed <code class="reason-code">monitor.confirm</code>' in page.text
    assert web.signed_in("audit").get(path).status_code == 200
    # the record of events is not the nations': the same answer as a missing event
    for user in ("est", "ukr", "deu"):
        assert web.signed_in(user).get(path).status_code == 404
    assert web.signed_in("coord").get("/monitor/events/ev-nosuch").status_code == 404


def test_every_kind_of_entry_about_a_record_has_words() -> None:
    from allied.entrypoints.web.detail import kind_filter
    from allied.ledger.kinds import KINDS

    areas = ("request", "offer", "allocation", "consent", "proposal", "accession", "monitor")
    about_one = [k for k in KINDS if k.split(".")[0] in areas and k != "allocation.run"]
    assert len(about_one) > 25
    for kind in about_one:
        shown = str(kind_filter(kind))
        assert shown.startswith(kind.split(".")[0].capitalize() + " "), kind


def test_a_request_withdrawn_from_its_page_records_the_reason(web: Web) -> None:
    ids = _setup(web)
    path = f"/requests/{ids['request']}"
    ukr = web.signed_in("ukr")
    step = ukr.get(f"{path}?do=withdraw").text
    assert f'action="{path}/withdraw"' in step and "This cannot be undone." in step
    # a step the caller may not take is not shown
    assert "This cannot be undone." not in web.signed_in("est").get(f"{path}?do=withdraw").text
    done = ukr.post(f"{path}/withdraw", data={"confirm": "yes", "reason": "met elsewhere",
                                              "csrf": web.csrf("ukr")})
    assert done.status_code == 303
    history = access.record_history(web.uow(), web.caller("ukr"), TODAY, "request",
                                    ids["request"])
    assert history[-1]["kind"] == "request.withdrawn"
    assert history[-1]["reason"] == "met elsewhere" and "user" not in history[-1]
    page = ukr.get(path).text
    assert "met elsewhere" in page and _buttons(page) == []


def test_a_list_pages_moves_are_each_allocations_own_when_consents_are_read_once(
    web: Web,
) -> None:
    """The moves offered on a list page read the consent requests of one holder, family
    and origin once for the page: each allocation's moves are still what its own page
    offers, whatever another allocation of the same holder and family was answered."""
    first = _setup(web)
    offer = _offer(web, "EST", "nations:UKR", origin="DEU")
    more = str(access.create_request(
        web.uow(), web.caller("ukr"), TODAY,
        {**_request_form(), "recipient": "UKR", "quantity": 100},
    )["id"])
    made = access.pledge(web.uow(), web.caller("est"), TODAY, offer_id=offer,
                         request_id=more, quantity=50)
    second = access.advance_allocation(
        web.uow(), web.caller("est"), TODAY, made["id"], "consent-pending"
    )
    access.answer_consent(web.uow(), web.caller("deu"), TODAY,
                          second["consents"][0]["consent"], "granted", "end use agreed")
    # another of the granted offer's allocations waits for consent: the answer is given
    later = access.pledge(web.uow(), web.caller("est"), TODAY, offer_id=offer,
                          request_id=more, quantity=5)
    later_moved = access.advance_allocation(
        web.uow(), web.caller("est"), TODAY, later["id"], "consent-pending"
    )
    assert later_moved["status"] == "approved"  # the granted answer approves it at once
    public = _offer(web, "EST", "public", origin="DEU")
    third = access.pledge(web.uow(), web.caller("est"), TODAY, offer_id=public,
                          request_id=more, quantity=10)
    ids = [first["allocation"], made["id"], third["id"], later["id"]]
    differ = set()
    for user in ("coord", "est", "gbr", "deu", "ukr", "audit"):
        caller = web.caller(user)
        listed = access.allocation_moves(web.uow(), caller, TODAY, ids)
        own = {}
        for i in ids:
            try:
                own[i] = access.allocation_detail(web.uow(), caller, TODAY, i)["actions"]
            except NotFound:
                continue
        if caller.role in ("coordinator", "donor", "recipient", "origin"):
            assert listed == own, user
        differ.add(str(own.get(first["allocation"])) != str(own.get(made["id"])))
    assert set(access.allocation_moves(web.uow(), web.caller("gbr"), TODAY, ids)) == {third["id"]}
    # the origin sees the two allocations released to UKR only because it was asked
    assert set(access.allocation_moves(web.uow(), web.caller("deu"), TODAY, ids)) == set(ids)
    assert True in differ  # one granted, one pending: the moves are not the same
    est = access.allocation_moves(web.uow(), web.caller("est"), TODAY, ids)
    # pending (the first offer's consent) and granted (the second's), each its own
    assert [m["name"] for m in est[first["allocation"]]] == ["withdrawn"]
    assert [m["name"] for m in est[made["id"]]] == ["shipped", "withdrawn"]
    # the consent requests answering each allocation, read for the page at once, are
    # those read for it alone
    uow = web.uow()
    with uow:
        pairs = []
        for i in ids:
            alloc = uow.allocations.get(i)
            assert alloc is not None
            offer_of = uow.offers.get(alloc.offer_id)
            assert offer_of is not None
            pairs.append((alloc, offer_of))
        together = consents_of(uow, pairs, TODAY)
        for alloc, offer_of in pairs:
            shared = [c.id for c in together[alloc.id].consents]
            alone = []
            for origin in offer_of.consent_from:
                answering = sorted(
                    (c for c in uow.consents.list()
                     if c.origin == origin and c.holder == offer_of.donor
                     and c.family == offer_of.family and c.offer_id in (None, offer_of.id)),
                    key=lambda c: (c.requested_on, c.id),
                )
                alone += [answering[-1].id] if answering else []
            assert shared == alone, alloc.id
            assert [c.id for c in consents_of(uow, [(alloc, offer_of)], TODAY)[
                alloc.id].consents] == alone
        # what a nation was asked about as origin, offer by offer, is what the whole
        # read of its consent requests says
        seen = []
        for nation in ("DEU", "EST", "UKR", "GBR"):
            asked = asked_offers(uow, nation)
            standing = detail._standing_asks(uow, nation)
            for i in ids:
                alloc = uow.allocations.get(i)
                assert alloc is not None
                offer_of = uow.offers.get(alloc.offer_id)
                assert offer_of is not None
                one = detail._asked_about(uow, nation, offer_of, standing)
                assert one == (offer_of.id in asked), (nation, i)
                # the allocation page's check reads only this offer's requests: the same
                # answer wherever being asked can show the allocation (an offer made in
                # the nation)
                assert _asked_about_offer(uow, nation, offer_of) == (
                    one and nation in offer_of.consent_from
                ), (nation, i)
                seen.append(one)
        assert True in seen and False in seen


def test_a_pledge_is_offered_only_while_something_of_the_offer_is_left(web: Web) -> None:
    ids = _setup(web)  # EST's offer of 300, 100 of it pledged to UKR's request
    path = f"/offers/{ids['offer']}"
    page = web.signed_in("est").get(path).text
    assert _buttons(page) == ["Amend…", "Pledge…", "Withdraw…"]
    # the pledge form of the offers board, with this offer chosen
    assert f'href="/offers?pledge={ids["offer"]}#pledge"' in page
    chosen = web.signed_in("est").get(f"/offers?pledge={ids['offer']}").text
    assert re.search(rf'<option value="{ids["offer"]}" selected>', chosen)
    # the other 200 pledged: nothing is left, and the page says why instead
    other = access.create_request(
        web.uow(), web.caller("ukr"), TODAY,
        {**_request_form(), "recipient": "UKR", "quantity": 250},
    )["id"]
    access.pledge(
        web.uow(), web.caller("est"), TODAY, offer_id=ids["offer"], request_id=other,
        quantity=200,
    )
    for user in ("est", "coord"):
        page = web.signed_in(user).get(path).text
        assert _buttons(page) == ["Amend…", "Withdraw…"], user
        assert "nothing left to pledge: all 300 held by allocations" in page, user
    # a rejected line gives its quantity back: the pledge is offered again
    coord = web.caller("coord")
    pledged = [a for a in access.offer_detail(web.uow(), coord, TODAY, ids["offer"])[
        "allocations"] if a["request"] == str(other)]
    access.advance_allocation(web.uow(), coord, TODAY, pledged[0]["id"], "rejected",
                              reason="met bilaterally")
    assert "Pledge…" in _buttons(web.signed_in("est").get(path).text)


def test_amend_on_a_record_s_page_opens_the_amend_form(web: Web) -> None:
    ids = _setup(web)
    for user, path, kind in (
        ("est", f"/offers/{ids['offer']}", "offer"),
        ("ukr", f"/requests/{ids['request']}", "request"),
        ("coord", f"/requests/{ids['request']}", "request"),
    ):
        client = web.signed_in(user)
        page = client.get(path).text
        assert 'href="?do=amend#amend"' in page, (user, path)
        assert 'id="amend"' not in page  # the form only once asked for
        page = client.get(f"{path}?do=amend").text
        record = path.rsplit("/", 1)[1]
        form = re.search(r'<section aria-labelledby="amend-h" class="panel" id="amend">(.*?)'
                         r"</section>", page, re.S)
        assert form, (user, path)
        assert re.search(r'<details class="record-form" open', form.group(1))
        assert f'action="/{kind}s/{record}/amend"' in form.group(1)
        assert f'aria-label="Amend {kind} {record}"' in form.group(1)
    # who may not amend gets the page without the form
    for user, path in (("ukr", f"/offers/{ids['offer']}"), ("est", f"/requests/{ids['request']}")):
        page = web.signed_in(user).get(f"{path}?do=amend").text
        assert 'id="amend"' not in page and "Amend…" not in page, (user, path)
