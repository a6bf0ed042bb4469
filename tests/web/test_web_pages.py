"""The dashboard without a browser (FastAPI's TestClient): every page works without
JavaScript, sign-in and CSRF are enforced, forms change nothing when refused, and each
page shows a nation exactly what the API shows it."""

from __future__ import annotations

import datetime as dt
import html
import html as htmllib
import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from allied.adapters.db.repository_users import SqlServiceUnitOfWork, service_sessions
from allied.bootstrap import Store
from allied.domain.users import hash_token
from allied.entrypoints.api import create_app
from allied.entrypoints.web.session import (
    LOGIN_COOKIE,
    MAX_FAILURES,
    SESSION_COOKIE,
    SignInThrottle,
    csrf_for,
    safe_next,
)
from allied.entrypoints.web.views import gaps_by_family, last_run
from allied.service import access
from allied.service.caller import Caller
from allied.service.users import add_user, authenticate, revoke_user
from needs import confirm_needs
from web.support import TODAY

USERS = {
    "coord": ("coordinator", None),
    "est": ("donor", "EST"),
    "gbr": ("donor", "GBR"),
    "deu": ("origin", "DEU"),
    "ukr": ("recipient", "UKR"),
    "audit": ("auditor", None),
    "admin": ("admin", None),
}
PAGES = [
    "/",
    "/requests",
    "/offers",
    "/allocation",
    "/consents",
    "/decisions",
    "/ledger",
    "/lab",
    "/monitor",
]


@dataclass
class Web:
    app: FastAPI
    store: Store
    tokens: dict[str, str]
    sids: dict[str, str] = field(default_factory=dict)

    def uow(self) -> SqlServiceUnitOfWork:
        return SqlServiceUnitOfWork(service_sessions(self.store.engine))

    def anonymous(self) -> TestClient:
        return TestClient(self.app, follow_redirects=False)

    def signed_in(self, user: str) -> TestClient:
        """A client with a session opened on the server for ``user`` (as signing in does)."""
        client = self.anonymous()
        sid = secrets.token_urlsafe(32)
        caller = authenticate(self.uow(), self.tokens[user])
        assert caller is not None
        now = dt.datetime.now(dt.UTC)
        self.app.state.web_sessions.start(
            hash_token(sid), caller.user_id, hash_token(self.tokens[user]), now,
            now + dt.timedelta(hours=1),
        )
        self.sids[user] = sid
        client.cookies.set(SESSION_COOKIE, sid)
        return client

    def csrf(self, user: str) -> str:
        """The CSRF token of the session last opened for ``user``."""
        return csrf_for(self.sids[user])

    def caller(self, user: str) -> Caller:
        role, nation = USERS[user]
        return Caller(user, nation or "", role)


@pytest.fixture
def web(store: Store) -> Iterator[Web]:
    app = create_app(store=store, today=lambda: TODAY)
    tokens = {}
    for name, (role, nation) in USERS.items():
        uow = SqlServiceUnitOfWork(service_sessions(store.engine))
        tokens[name] = add_user(
            uow, Caller("test-admin"), name=name, role=role, nation=nation
        ).token
    yield Web(app, store, tokens)


def _ids(html: str, table: str) -> set[str]:
    """The ids in the first column of a table on a page."""
    match = re.search(rf'<table[^>]*id="{table}".*?</table>', html, re.S)
    assert match, f"no table {table}"
    return set(re.findall(r'<tr id="([^"]+)"', match.group(0)))


def _row_with(html: str, table: str, text: str) -> str:
    """The id of the one row of a table that contains ``text``."""
    match = re.search(rf'<table[^>]*id="{table}".*?</table>', html, re.S)
    assert match, f"no table {table}"
    rows = re.findall(r'<tr id="([^"]+)">(.*?)</tr>', match.group(0), re.S)
    found = [key for key, body in rows if text in body]
    assert len(found) == 1, found
    return found[0]


def _offer(web: Web, donor: str, releasability: str, **extra: object) -> str:
    data = {
        "donor": donor,
        "family": "120mm-mortar",
        "quantity": 300,
        "available_from": "2024-05-01",
        "releasability": releasability,
        **extra,
    }
    role = "est" if donor == "EST" else "coord"
    return str(access.create_offer(web.uow(), web.caller(role), TODAY, data)["id"])


# -- sign in -----------------------------------------------------------------------------


def test_pages_send_a_visitor_without_a_session_to_sign_in(web: Web) -> None:
    client = web.anonymous()
    assert client.get("/").headers["location"] == "/login"
    for path in PAGES[1:]:
        response = client.get(path)
        assert response.status_code == 303
        assert response.headers["location"] == f"/login?next={path}"
    client.cookies.set(SESSION_COOKIE, "forged")
    assert client.get("/offers").status_code == 303


def test_sign_in_sets_a_strict_http_only_cookie_and_sign_out_clears_it(web: Web) -> None:
    client = web.anonymous()
    page = client.get("/login?next=/offers")
    assert page.status_code == 200 and 'for="token"' in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf and client.cookies.get(LOGIN_COOKIE) == csrf.group(1)

    # no or a wrong login token: refused; a wrong bearer token: 401, no session
    assert client.post("/login", data={"token": web.tokens["est"]}).status_code == 403
    wrong = client.post("/login", data={"token": "nope", "csrf": csrf.group(1)})
    assert wrong.status_code == 401 and "unknown or revoked" in wrong.text
    assert SESSION_COOKIE not in wrong.headers.get("set-cookie", "")

    csrf2 = re.search(r'name="csrf" value="([^"]+)"', wrong.text)
    assert csrf2
    done = client.post(
        "/login", data={"token": web.tokens["est"], "csrf": csrf2.group(1), "next": "/offers"}
    )
    assert done.status_code == 303 and done.headers["location"] == "/offers"
    cookie = next(c for c in done.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    page = client.get("/offers")
    assert page.status_code == 200 and "EST" in page.text and "donor" in page.text

    # the cookie holds a session id, not the token
    sid = client.cookies[SESSION_COOKIE]
    assert web.tokens["est"] not in cookie and sid != web.tokens["est"]

    # sign-out needs the session's CSRF token
    assert client.post("/logout", data={"csrf": "x"}).status_code == 403
    out = client.post("/logout", data={"csrf": csrf_for(sid)})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert SESSION_COOKIE not in client.cookies

    # sign-out ended the session on the server: a copy of the cookie is refused
    stolen = web.anonymous()
    stolen.cookies.set(SESSION_COOKIE, sid)
    assert stolen.get("/offers").headers["location"] == "/login?next=/offers"
    # and the token itself is no cookie
    stolen.cookies.set(SESSION_COOKIE, web.tokens["est"])
    assert stolen.get("/offers").status_code == 303


def _login_form(client: TestClient) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert found
    return found.group(1)


def test_failed_sign_ins_are_throttled_per_client(web: Web) -> None:
    client = web.anonymous()
    for _ in range(MAX_FAILURES):
        r = client.post("/login", data={"token": "nope", "csrf": _login_form(client)})
        assert r.status_code == 401
    # now even the right token waits: the client is told how long
    r = client.post("/login", data={"token": web.tokens["est"], "csrf": _login_form(client)})
    assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 60
    assert "Too many wrong tokens" in r.text and SESSION_COOKIE not in client.cookies


def test_the_throttle_counts_each_client_in_a_sliding_window() -> None:
    now = [1000.0]
    throttle = SignInThrottle(max_failures=3, window=60, clock=lambda: now[0], max_clients=2)
    for _ in range(3):
        assert throttle.wait("a") == 0
        throttle.failed("a")
    assert throttle.wait("a") == 60 and throttle.wait("b") == 0
    now[0] += 30
    assert throttle.wait("a") == 30
    now[0] += 30.5
    assert throttle.wait("a") == 0  # the oldest failures left the window
    throttle.failed("a")
    throttle.succeeded("a")
    assert throttle.wait("a") == 0
    for client in ("b", "c", "d"):  # at most two clients remembered: the oldest go first
        for _ in range(3):
            throttle.failed(client)
    assert throttle.wait("b") == 0 and throttle.wait("d") > 0


def test_a_redirect_after_sign_in_stays_on_this_site() -> None:
    assert safe_next("/requests") == "/requests"
    for bad in ("//evil.example/x", "https://evil.example", "evil", "/\\evil.example"):
        assert safe_next(bad) == "/"


def test_a_revoked_token_signs_the_user_out(web: Web) -> None:
    client = web.signed_in("gbr")
    assert client.get("/offers").status_code == 200
    revoke_user(web.uow(), Caller("test-admin", role="admin"), "gbr")
    assert client.get("/offers").headers["location"] == "/login?next=/offers"


# -- every page, every role, no JavaScript -----------------------------------------------


@pytest.mark.parametrize("user", sorted(USERS))
def test_every_page_renders_for_every_role(web: Web, user: str) -> None:
    client = web.signed_in(user)
    role, nation = USERS[user]
    for path in PAGES:
        response = client.get(path)
        expected = 200
        if path == "/ledger" and role not in ("coordinator", "auditor"):
            expected = 403
        if path == "/consents" and role == "admin":
            expected = 403
        assert response.status_code == expected, (user, path, response.text[:500])
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["cache-control"] == "no-store"
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        html = response.text
        assert f">{nation or 'ALL NATIONS'}<" in html and f">{role}<" in html
        assert "<script" not in html.split("</head>")[1]  # no inline script in the body
        # no CDN, nothing remote: every link, script, style and image is on this server
        assert not re.search(r'(src|href|action)="(https?:)?//', html)


def test_charts_are_figures_with_a_static_image_and_static_assets_are_served(web: Web) -> None:
    html = web.signed_in("coord").get("/").text
    # interactive charts as data (drawn by the vendored Plotly), an SVG image without script
    # the gaps, the gap in EUR (the demo values some item types) and the offers per donor;
    # the EUR chart has no static image of its own
    assert html.count("data-figure='") == 3 and html.count("<noscript><img src=") == 2
    assert '<script src="/static/vendor/plotly/plotly-cartesian.min.js" defer>' in html
    client = web.anonymous()
    assert "skip" in client.get("/static/app.css").text
    assert client.get("/static/app.js").status_code == 200
    for asset in ("/static/app.css", "/static/app.js"):
        assert client.get(asset).headers["x-content-type-options"] == "nosniff"


# -- releasability: the same as the API --------------------------------------------------


def test_each_nation_sees_on_the_pages_exactly_what_the_api_shows_it(web: Web) -> None:
    secret = _offer(web, "EST", "owner")
    shared = _offer(web, "EST", "nations:UKR")
    for user in USERS:
        client = web.signed_in(user)
        api = TestClient(web.app, headers={"Authorization": f"Bearer {web.tokens[user]}"})
        listed = api.get("/api/v1/offers", params={"limit": 200}).json()["items"]
        expected = {o["id"] for o in listed}
        assert _ids(client.get("/offers").text, "offers") == expected, user
        for path in PAGES:  # a record not released never shows, on any page
            html = client.get(path).text
            for offer in (secret, shared):
                assert offer in expected or offer not in html, (user, path, offer)
    assert secret not in web.signed_in("gbr").get("/offers?donor=EST").text
    assert shared in web.signed_in("ukr").get("/offers?donor=EST").text


def test_pledges_follow_their_offer_and_totals_count_only_visible_offers(web: Web) -> None:
    secret = _offer(web, "EST", "owner")
    requests = access.list_requests(web.uow(), web.caller("coord"), TODAY, family="120mm-mortar")
    if requests.items:
        request_id = requests.items[0]["id"]
    else:
        request_id = access.create_request(
            web.uow(),
            web.caller("ukr"), TODAY,
            {
                "recipient": "UKR",
                "family": "120mm-mortar",
                "quantity": 1000,
                "priority": 4,
                "needed_by": "2024-09-01",
                "releasability": "public",
            },
        )["id"]
    made = access.pledge(
        web.uow(), web.caller("est"), TODAY, offer_id=secret, request_id=request_id, quantity=250
    )
    est = web.signed_in("est").get("/allocation").text
    gbr = web.signed_in("gbr").get("/allocation").text
    assert made["id"] in _ids(est, "allocations") and made["id"] not in gbr
    # GBR's board shows nothing pledged against the request; EST's shows its 250
    gbr_board = web.signed_in("gbr").get("/requests?family=120mm-mortar").text
    est_board = web.signed_in("est").get("/requests?family=120mm-mortar").text
    assert re.search(rf'id="{request_id}".*?<td class="num">0</td>', gbr_board, re.S)
    assert re.search(rf'id="{request_id}".*?<td class="num">250</td>', est_board, re.S)


# -- forms: CSRF, refusals, one transaction ----------------------------------------------


def _request_form(**over: str) -> dict[str, str]:
    return {
        "family": "120mm-mortar",
        "quantity": "500",
        "priority": "4",
        "needed_by": "2024-08-01",
        "releasability": "public",
        **over,
    }


def _count_requests(web: Web) -> int:
    return access.list_requests(web.uow(), web.caller("coord"), TODAY).total


def test_forms_without_the_sessions_csrf_token_are_refused(web: Web) -> None:
    web.signed_in("est")
    client = web.signed_in("ukr")
    before = _count_requests(web)
    assert client.post("/requests", data=_request_form()).status_code == 403
    other = _request_form(csrf=web.csrf("est"))  # another session's token
    assert client.post("/requests", data=other).status_code == 403
    foreign = client.post(
        "/requests",
        data=_request_form(csrf=web.csrf("ukr")),
        headers={"Origin": "http://evil.example"},
    )
    assert foreign.status_code == 403
    assert _count_requests(web) == before


def test_the_recipient_posts_a_request_with_a_plain_form(web: Web) -> None:
    client = web.signed_in("ukr")
    before = _count_requests(web)
    done = client.post("/requests", data=_request_form(csrf=web.csrf("ukr")))
    assert done.status_code == 303
    assert done.headers["location"].startswith("/requests?ok=request-posted&ref=")
    page = client.get(done.headers["location"])
    ref = done.headers["location"].rsplit("=", 1)[1]
    assert f"Request {ref} posted." in page.text and ref in _ids(page.text, "requests")
    assert _count_requests(web) == before + 1
    # the flash text comes from a fixed list, never from the URL
    assert "<b>" not in client.get("/requests?ok=<b>x</b>&ref=<b>").text


def test_a_refused_form_names_the_field_and_writes_nothing(web: Web) -> None:
    client = web.signed_in("ukr")
    before = _count_requests(web)
    bad = client.post("/requests", data=_request_form(quantity="-3", csrf=web.csrf("ukr")))
    assert bad.status_code == 422
    # in words, naming the field by its label, beside it and in the summary linking to it
    assert "field: <code>" not in bad.text and "Refused (" not in bad.text
    assert '<a href="#r-quantity">Quantity: ' in bad.text and 'id="r-quantity-err"' in bad.text
    assert 'value="-3"' in bad.text
    # a donor may not post a request at all
    donor = web.signed_in("est").post("/requests", data=_request_form(csrf=web.csrf("est")))
    assert donor.status_code == 403
    # the coordinator posts for a recipient that does not exist
    coord = web.signed_in("coord").post(
        "/requests", data=_request_form(recipient="XXX", csrf=web.csrf("coord"))
    )
    assert coord.status_code in (404, 422) and "XXX" in coord.text
    assert _count_requests(web) == before


def test_the_recipient_edits_priorities_of_its_own_requests_only(web: Web) -> None:
    rows = access.list_requests(web.uow(), web.caller("ukr"), TODAY, status=None).items
    target = next(r for r in rows if r["status"] == "open")
    new = 1 if target["priority"] != 1 else 2
    ukr = web.signed_in("ukr")
    done = ukr.post(
        f"/requests/{target['id']}/priority", data={"priority": str(new), "csrf": web.csrf("ukr")}
    )
    assert done.status_code == 303
    assert access.get_request(web.uow(), web.caller("ukr"), TODAY, target["id"])["priority"] == new
    entries = access.ledger_entries(web.uow(), web.caller("audit"), limit=10_000).items
    assert entries[-1]["kind"] == "request.priority"
    assert entries[-1]["payload"] == {"id": target["id"], "from": target["priority"], "to": new}

    refused = web.signed_in("est").post(
        f"/requests/{target['id']}/priority", data={"priority": "5", "csrf": web.csrf("est")}
    )
    assert refused.status_code == 403
    bad = ukr.post(
        f"/requests/{target['id']}/priority", data={"priority": "9", "csrf": web.csrf("ukr")}
    )
    assert bad.status_code == 422 and "priority" in bad.text
    missing = ukr.post("/requests/NOPE/priority", data={"priority": "2", "csrf": web.csrf("ukr")})
    assert missing.status_code == 404
    assert access.get_request(web.uow(), web.caller("ukr"), TODAY, target["id"])["priority"] == new


def test_the_donor_posts_an_offer_and_only_for_itself(web: Web) -> None:
    client = web.signed_in("est")
    form = {
        "family": "120mm-mortar",
        "quantity": "40",
        "available_from": "2024-05-20",
        "channel": "bilateral",
        "releasability": "nations:UKR",
        "lethal": "on",
        "csrf": web.csrf("est"),
    }
    done = client.post("/offers", data=form)
    assert done.status_code == 303
    ref = done.headers["location"].rsplit("=", 1)[1]
    offer = access.get_offer(web.uow(), web.caller("est"), TODAY, ref)
    assert offer["donor"] == "EST" and offer["lethal"] is True
    assert offer["releasability"] == "nations:UKR"
    other = client.post("/offers", data={**form, "donor": "GBR"})
    assert other.status_code == 403
    bad = client.post("/offers", data={**form, "channel": "smuggling"})
    assert bad.status_code == 422 and "channel" in bad.text


def test_only_the_origin_answers_its_consent_requests(web: Web) -> None:
    offer = _offer(web, "EST", "nations:UKR", origin="DEU")
    request_id = access.create_request(
        web.uow(),
        web.caller("ukr"), TODAY,
        {**_request_form(), "recipient": "UKR", "quantity": 100},
    )["id"]
    made = access.pledge(
        web.uow(), web.caller("est"), TODAY, offer_id=offer, request_id=request_id, quantity=100
    )
    moved = web.signed_in("est").post(
        f"/allocations/{made['id']}/move",
        data={"to": "consent-pending", "back": "/offers", "csrf": web.csrf("est")},
    )
    assert moved.status_code == 303 and moved.headers["location"].startswith("/offers?ok=moved")
    page = web.signed_in("deu").get("/consents").text
    consent_id = _row_with(page, "waiting", offer)
    assert "Grant" in page
    # the donor sees the request but may not answer it; the auditor may not either
    assert (
        web.signed_in("est")
        .post(f"/consents/{consent_id}/answer", data={"answer": "granted", "csrf": web.csrf("est")})
        .status_code
        == 403
    )
    assert consent_id not in web.signed_in("gbr").get("/consents").text
    done = web.signed_in("deu").post(
        f"/consents/{consent_id}/answer",
        data={"answer": "granted", "reason": "ok", "csrf": web.csrf("deu")},
    )
    assert done.status_code == 303
    assert access.get_allocation(web.uow(), web.caller("est"), TODAY, made["id"])["status"] == (
        "approved"
    )


def test_the_coordinator_runs_the_allocation_and_sees_the_reasons(web: Web) -> None:
    client = web.signed_in("coord")
    bad = client.post("/allocation/run", data={"as_of": "yesterday", "csrf": web.csrf("coord")})
    assert bad.status_code == 422 and "as_of" in bad.text
    page = client.post(
        "/allocation/run", data={"as_of": "2024-06-01", "solver": "auto", "csrf": web.csrf("coord")}
    )
    assert page.status_code == 200 and 'id="plan"' in page.text
    assert "insufficient-supply" in page.text
    # the plan's reasons stay on the page for who reads the ledger, from its entry
    later = client.get("/allocation").text
    assert 'id="last-run"' in later and "as of 2024-06-01" in later
    assert "insufficient-supply" in later
    assert 'id="last-run"' in web.signed_in("audit").get("/allocation").text
    every = sorted(_ids(later, "allocations"))
    assert len(every) > 5
    assert sorted(_ids(client.get("/allocation?offset=5").text, "allocations")) == every[5:]
    assert 'id="last-run"' not in web.signed_in("est").get("/allocation").text
    # found however many entries follow it (by the entries' kind)
    first = last_run(web.uow, web.caller("coord"))
    for _ in range(5):
        _offer(web, "EST", "owner")
    again = last_run(web.uow, web.caller("coord"))
    assert first is not None and again is not None and again["seq"] == first["seq"]
    assert again["unfilled"] == first["unfilled"]
    assert last_run(web.uow, web.caller("est")) is None
    donor = web.signed_in("est").post(
        "/allocation/run", data={"as_of": "2024-06-01", "csrf": web.csrf("est")}
    )
    assert donor.status_code == 403


def test_proposals_are_circulated_by_the_coordinator_and_shown_to_participants(
    web: Web,
) -> None:
    coord = web.signed_in("coord")
    form = {
        "forum": "NATO",
        "rule": "consensus-silence",
        "title": "Air defence for Kharkiv",
        "deadline": "2024-06-10",
        "csrf": web.csrf("coord"),
    }
    assert (
        web.signed_in("est").post("/decisions", data={**form, "csrf": web.csrf("est")}).status_code
        == 403
    )
    bad = coord.post("/decisions", data={**form, "deadline": "soon"})
    assert bad.status_code == 422 and "Deadline: " in bad.text
    done = coord.post("/decisions", data=form)
    assert done.status_code == 303
    ref = done.headers["location"].rsplit("=", 1)[1]
    stated = web.signed_in("deu").post(
        f"/decisions/{ref}/position",
        data={"position": "no", "reason": "not yet", "csrf": web.csrf("deu")},
    )
    assert stated.status_code == 303
    page = web.signed_in("est").get("/decisions").text  # Estonia is a NATO member
    assert ref in page and "broke silence" in page and "not yet" in page
    assert ref not in web.signed_in("ukr").get("/decisions").text  # Ukraine is not


def test_ledger_verify_for_the_auditor(web: Web) -> None:
    page = web.signed_in("audit").get("/ledger/verify")
    assert page.status_code == 200 and "intact" in page.text
    assert web.signed_in("ukr").get("/ledger/verify").status_code == 403


def test_the_ledger_page_links_its_download(web: Web) -> None:
    """The auditor finds the ledger's export where the ledger is, not only on /data."""
    auditor = web.signed_in("audit")
    page = auditor.get("/ledger")
    found = re.search(r'<a href="(/data/ledger\.jsonl)" download id="ledger-download">', page.text)
    assert found, page.text[:2000]
    lines = auditor.get(found.group(1)).text.splitlines()
    assert lines and all(json.loads(line)["seq"] for line in lines)


def test_the_ledger_page_opens_on_the_latest_entries_and_filters_by_kind_and_record(
    web: Web,
) -> None:
    """At real volume the latest entries are the ones looked for: the page opens on them,
    pages back and forth by the entries' numbers, and filters by kind and by record,
    the filters kept while paging; a bad kind is refused beside its field."""
    from allied.entrypoints.web import views

    for n in range(views.PAGE_SIZE + 5):
        access.create_request(
            web.uow(), web.caller("ukr"), TODAY,
            {**_request_form(), "recipient": "UKR", "quantity": n + 1},
        )
    auditor = web.signed_in("audit")
    head = web.uow()
    with head:
        total = head.ledger.head()[0]  # type: ignore[index]
    page = auditor.get("/ledger").text
    seqs = [int(x) for x in re.findall(r'<tr id="entry-(\d+)">', page)]
    assert seqs == list(range(total - views.PAGE_SIZE + 1, total + 1))
    assert 'id="ledger-latest"' not in page and 'id="ledger-later"' not in page
    earlier = re.search(r'href="([^"]+)" id="ledger-earlier"', page)
    assert earlier and html.unescape(earlier.group(1)) == f"/ledger?before={seqs[0]}"
    back = auditor.get(html.unescape(earlier.group(1))).text
    assert [int(x) for x in re.findall(r'<tr id="entry-(\d+)">', back)][-1] == seqs[0] - 1
    assert 'id="ledger-latest"' in back
    oldest = auditor.get("/ledger?after=0").text
    assert re.findall(r'<tr id="entry-(\d+)">', oldest)[0] == "1"
    # by kind: only that kind, its pages keep the filter
    made = auditor.get("/ledger?kind=request.created").text
    kinds_shown = set(re.findall(r"<td><code>([a-z.-]+)</code></td>", made))
    assert kinds_shown == {"request.created"}
    more = re.search(r'href="([^"]+)" id="ledger-earlier"', made)
    assert more and "kind=request.created" in html.unescape(more.group(1))
    # by record: the entries about one record
    rid = access.create_request(
        web.uow(), web.caller("ukr"), TODAY, {**_request_form(), "recipient": "UKR"}
    )["id"]
    access.amend_request(web.uow(), web.caller("ukr"), TODAY, rid, {"quantity": 7})
    one = auditor.get(f"/ledger?record={rid}").text
    assert set(re.findall(r"<td><code>([a-z.-]+)</code></td>", one)) == {
        "request.created", "request.amended"}
    bad = auditor.get("/ledger?kind=nonsense")
    assert bad.status_code == 422 and 'id="l-kind-err"' in bad.text


def test_pledged_counts_pledges_not_proposed_plan_lines_on_api_and_dashboard(web: Web) -> None:
    """A request's ``pledged`` (API) and the dashboard's Pledged (request board, request
    page, overview) count the allocations accepted past ``proposed`` (DESIGN.md: a plan
    line is proposed, then pledged), and agree; accepting a line moves it into both."""
    coord = web.caller("coord")
    confirm_needs(web.uow, TODAY)  # a line is accepted below: its need not past
    assert access.run_allocation(web.uow(), coord, as_of=TODAY)["allocation_ids"]
    api = web.anonymous()
    api.headers["Authorization"] = f"Bearer {web.tokens['coord']}"
    proposed = api.get("/api/v1/allocations", params={"status": "proposed", "limit": 200})
    line = proposed.json()["items"][0]
    rid = line["request"]

    def held(status_in: frozenset[str]) -> int:
        with web.uow() as uow:
            return sum(
                a.quantity for a in uow.allocations.list(request_id=rid)
                if a.status.value in status_in
            )

    pledging = frozenset({"pledged", "consent-pending", "approved", "shipped", "delivered",
                          "in-repair", "returned", "lost"})
    expected = held(pledging)
    assert held(frozenset({"proposed"})) >= line["quantity"] > 0

    def api_pledged() -> tuple[int, int, int]:
        one = api.get(f"/api/v1/requests/{rid}").json()
        listed = api.get("/api/v1/requests", params={"limit": 200, "family": one["family"]})
        row = next(r for r in listed.json()["items"] if r["id"] == rid)
        assert (row["pledged"], row["outstanding"]) == (one["pledged"], one["outstanding"])
        return one["pledged"], one["outstanding"], one["quantity"]

    def board_pledged() -> int:
        board = web.signed_in("coord").get(f"/requests?q={rid}").text
        row = re.search(rf'<tr id="{re.escape(rid)}">(.*?)</tr>', board, re.S)
        assert row, board
        cells = re.findall(r'<td class="num">([\d,]+)</td>', row[1])
        return int(cells[1].replace(",", ""))  # quantity, pledged, outstanding

    pledged, outstanding, quantity = api_pledged()
    assert pledged == expected and outstanding == max(quantity - expected, 0)
    assert board_pledged() == expected
    page = web.signed_in("coord").get(f"/requests/{rid}").text
    shown = re.search(r'<dt>Pledged</dt><dd><span class="num">([\d,]+)</span>', page)
    assert shown and int(shown[1].replace(",", "")) == expected
    # the overview's pledged per family is the API's summed over the family's open requests
    family = api.get(f"/api/v1/requests/{rid}").json()["family"]
    gaps = {g["family"]: g for g in access.family_gaps(web.uow(), coord, TODAY)}
    open_rows = api.get(
        "/api/v1/requests", params={"limit": 200, "family": family, "status": "open"}
    ).json()["items"]
    assert gaps[family]["pledged"] == sum(r["pledged"] for r in open_rows)
    # accepting the plan line makes it a pledge, on every surface
    access.advance_allocation(web.uow(), coord, TODAY, line["id"], "pledged")
    assert api_pledged()[0] == expected + line["quantity"] == held(pledging)
    assert board_pledged() == expected + line["quantity"]


def test_the_overview_reads_side_by_side_what_it_reads_in_turn(web: Web) -> None:
    """The overview's reads (picture, offers by donor, proposals, consents waiting, to-do
    list) run side by side on their own units of work (``ctx.fan_out``): every role's
    page shows what it shows with them read one after the other."""
    from allied.entrypoints.api.fast.fanout import FanOut

    confirm_needs(web.uow, TODAY)
    assert access.run_allocation(web.uow(), web.caller("coord"), as_of=TODAY)["allocation_ids"]
    coord = web.signed_in("coord")
    circulated = coord.post("/decisions", data={
        "forum": "NATO", "rule": "consensus-silence", "title": "Air defence for Kharkiv",
        "deadline": "2024-06-10", "csrf": web.csrf("coord")})
    assert circulated.status_code == 303
    ctx = web.app.state.ctx
    default = ctx.fan_out
    pages: dict[str, dict[str, str]] = {}
    try:
        for how, fan in (("in turn", FanOut(0)), ("side by side", FanOut(4))):
            ctx.fan_out = fan
            web.app.state.chart_cache = type(web.app.state.chart_cache)()  # nothing kept
            for user in USERS:
                response = web.signed_in(user).get("/")
                assert response.status_code == 200, (how, user, response.text[:300])
                # the session's own tokens differ per sign-in, not the page's content
                pages.setdefault(user, {})[how] = re.sub(
                    r'name="csrf" value="[^"]*"', "", response.text)
            fan.close()
    finally:
        ctx.fan_out = default
    for user, shown in pages.items():
        assert shown["in turn"] == shown["side by side"], user
    assert "Proposed allocations to accept" in pages["coord"]["in turn"]
    assert "Air defence for Kharkiv" in pages["est"]["side by side"]


# -- the pure parts ----------------------------------------------------------------------


def test_the_overview_template_shapes_no_data_its_view_does() -> None:
    """The to-do list's links (an item's record page, a long section's "see them all")
    are shaped in ``views.todo_sections``; ``overview.html`` builds no dict of its own."""
    from allied.entrypoints.web import views

    template = (Path(views.__file__).parent / "templates" / "overview.html").read_text("utf-8")
    assert not re.search(r"\{%-?\s*set\s+\w+\s*=\s*\{", template)
    assert not re.search(r"=\s*\{\s*\"", template)
    many = [{"id": f"AL-{i:03}", "kind": "allocation"} for i in range(25)]
    todo = {"sections": [
        {"name": "proposed_to_pledge", "title": "t", "items": many[:20], "total": 25},
        {"name": "consents_to_answer", "title": "t", "items": [{"id": "C-1"}]},
        {"name": "blocked_decisions", "title": "t",
         "items": [{"id": "P-1", "kind": "proposal"}, {"id": "AL-9", "kind": "allocation"}]},
        {"name": "something_new", "title": "t", "items": many, "total": 21},
    ]}
    shaped = views.todo_sections(todo, "EST")
    assert [s["n"] for s in shaped] == [25, 1, 2, 21]
    assert shaped[0]["pages"] == ["allocations"] * 20
    assert shaped[0]["more"] == "/allocation?status=proposed&donor=EST"
    assert (shaped[1]["pages"], shaped[1]["more"]) == (["consents"], None)
    assert shaped[2]["pages"] == ["proposals", "allocations"]
    assert len(shaped[3]["pages"]) == 20 and shaped[3]["more"] == "/allocation"
    assert views.todo_sections(todo, None)[0]["more"] == "/allocation?status=proposed&donor="
    assert shaped[0]["items"] == many[:20] and shaped[0]["title"] == "t"



def test_gaps_by_family_counts_each_status_once() -> None:
    requests = [
        {"id": "R1", "family": "a", "quantity": 100, "status": "open"},
        {"id": "R2", "family": "a", "quantity": 50, "status": "open"},
        {"id": "R3", "family": "b", "quantity": 10, "status": "closed"},
        {"id": "R4", "family": "c", "quantity": 10, "status": "open"},
    ]
    allocations = [
        {"request": "R1", "quantity": 30, "status": "proposed"},
        {"request": "R1", "quantity": 20, "status": "pledged"},
        {"request": "R2", "quantity": 25, "status": "delivered"},
        {"request": "R2", "quantity": 5, "status": "withdrawn"},
        {"request": "R3", "quantity": 10, "status": "delivered"},
        {"request": "R9", "quantity": 99, "status": "pledged"},
    ]
    gaps = {g.family: g for g in gaps_by_family(requests, allocations)}
    assert set(gaps) == {"a", "c"}
    a = gaps["a"]
    assert (a.requests, a.requested, a.proposed, a.pledged, a.delivered) == (2, 150, 30, 45, 25)
    assert a.outstanding == 105 and a.fill == pytest.approx(0.3)
    assert a.delivered_share == pytest.approx(25 / 150)
    assert a.proposed_share == pytest.approx(0.2) and a.open_share == pytest.approx(0.5)
    assert gaps["c"].fill == 0 and gaps["c"].outstanding == 10 and gaps["c"].open_share == 1
    assert [g.family for g in gaps_by_family(requests, allocations)] == ["a", "c"]


# -- reports and lab ---------------------------------------------------------------------


def _import_public_data(web: Web) -> None:
    from allied.ingest.kiel import builtin_kiel_path, read_kiel
    from allied.ingest.sipri import builtin_sipri_path, read_sipri
    from allied.service.public_data import import_kiel, import_sipri

    import_kiel(web.uow(), web.caller("coord"), read_kiel(builtin_kiel_path()))
    import_sipri(web.uow(), web.caller("coord"), read_sipri(builtin_sipri_path()), source="t")


def test_reports_show_public_data_to_all_and_records_only_to_who_sees_all(web: Web) -> None:
    _import_public_data(web)
    page = web.signed_in("est").get("/reports?name=burden")
    assert page.status_code == 200 and "data-figure='" in page.text
    assert 'id="report-table"' in page.text and "/charts/reports/burden.svg?" in page.text
    assert web.signed_in("ukr").get("/reports?name=deliveries").status_code == 200
    # gaps and predictability read every record: not for a donor, fine for the coordinator
    refused = web.signed_in("est").get("/reports?name=gaps")
    assert refused.status_code == 422 and 'value="gaps"' not in refused.text
    assert web.signed_in("coord").get("/reports?name=gaps").status_code == 200
    bad = web.signed_in("coord").get("/reports?name=burden&from=2023-01-01&to=2022-01-01")
    assert bad.status_code == 422 and "<strong>Not shown:</strong> To: " in bad.text


def test_reports_without_public_data_say_what_to_import_and_offer_the_rest(web: Web) -> None:
    """Before the Kiel and SIPRI imports the reports page is still the reports page
    (not a 422): it says which report needs which data and the command that imports it,
    and shows the reports that need none."""
    donor = web.signed_in("est").get("/reports")
    assert donor.status_code == 200, donor.text
    need = re.search(r'<section[^>]*id="reports-need-data".*?</section>', donor.text, re.S)
    assert need, donor.text
    words = re.sub(r"<[^>]+>", "", need[0])
    assert "burden needs the Kiel Ukraine Support Tracker data" in words
    assert "deliveries needs the SIPRI trade register data" in words
    assert "<code>allied import kiel</code>" in need[0]
    assert "<code>allied import sipri</code>" in need[0]
    assert "None of your reports can be shown until then" in words
    assert "error-summary" not in donor.text
    # the coordinator's gaps need no public data: shown first, the others named
    coord = web.signed_in("coord").get("/reports")
    assert coord.status_code == 200 and 'id="report-table"' in coord.text
    assert '<option value="gaps" selected>gaps</option>' in coord.text
    assert '<option value="burden">burden (data not imported)</option>' in coord.text
    words = re.sub(r"<[^>]+>", "", coord.text)
    assert "burden and predictability need the Kiel Ukraine Support Tracker data" in words
    assert 'the <a href="/data">Data</a> page' in coord.text  # the coordinator imports
    assert 'Available now: <a href="/reports?name=gaps">gaps</a>.' in coord.text
    # asked for by name: the same page, saying what that report needs
    asked = web.signed_in("coord").get("/reports?name=predictability")
    assert asked.status_code == 200 and 'id="report-table"' not in asked.text
    assert "The predictability report needs data not imported yet" in asked.text
    # its chart answers 409 naming the command, not a 422
    chart = web.signed_in("coord").get("/charts/reports/burden.svg")
    assert chart.status_code == 409 and "allied import kiel" in chart.text
    # once imported, nothing is said about missing data
    _import_public_data(web)
    done = web.signed_in("est").get("/reports")
    assert done.status_code == 200 and 'id="reports-need-data"' not in done.text
    assert '<option value="burden" selected>burden</option>' in done.text


def test_report_tables_use_one_number_format_never_scientific(web: Web) -> None:
    """Review item 20: the burden table showed BGR's financial aid as "6e-05" and CHN's
    pct_gdp as "1.6e-05"; every number cell is in the one format of the HTML export."""
    from allied.reports.render import display_value

    _import_public_data(web)
    page = web.signed_in("coord").get("/reports?name=burden")
    assert page.status_code == 200
    table = re.search(r'<table[^>]*id="report-table".*?</table>', page.text, re.S)
    assert table
    cells = re.findall(r'<td class="num">([^<]*)</td>', table.group(0))
    assert len(cells) > 50
    assert not [c for c in cells if re.search(r"\d[eE][-+]?\d", c)]
    assert any(re.fullmatch(r"0\.0000\d\d", c) for c in cells)  # a small fraction, fixed
    assert display_value(6e-05) == "0.000060" and display_value(1412360000) == "1,412,360,000"


def test_the_lab_runs_a_scenario_and_streams_its_progress(web: Web) -> None:
    client = web.signed_in("ukr")
    page = client.get("/lab")
    assert page.status_code == 200 and "natoization-2024" in page.text
    form = {"scenario": "natoization-2024", "runs": "2000", "seed": "7", "csrf": web.csrf("ukr")}
    run = client.post("/lab/run", data=form)
    assert run.status_code == 200
    html = run.text
    assert re.search(r'<progress value="(\d+)" max="\1"[^>]*>100%</progress>', html)
    assert re.search(r"<span>[\d,]+ of [\d,]+ runs \(100%\)</span>", html)
    assert 'id="lab-table"' in html and "data:image/png;base64," in html
    assert html.rstrip().endswith("</html>")
    # the same seed gives the same figures
    again = client.post("/lab/run", data=form).text
    table = re.compile(r'<table[^>]*id="lab-table".*?</table>', re.S)
    assert table.search(html).group(0) == table.search(again).group(0)  # type: ignore[union-attr]


def test_the_lab_refuses_bad_parameters_before_running(web: Web) -> None:
    client = web.signed_in("est")
    base = {"scenario": "natoization-2024", "runs": "1000", "seed": "0", "csrf": web.csrf("est")}
    too_many = client.post("/lab/run", data={**base, "runs": "99999999"})
    assert too_many.status_code == 422
    assert '<strong>Not run:</strong> <a href="#lab-runs">Runs: ' in too_many.text
    unknown = client.post("/lab/run", data={**base, "scenario": "nope"})
    assert unknown.status_code == 422 and "scenario" in unknown.text
    override = client.post("/lab/run", data={**base, "overrides": "no.such.key=1"})
    assert override.status_code == 422 and "no.such.key" in override.text
    assert client.post("/lab/run", data={**base, "csrf": ""}).status_code == 403


def _field_error(page: str) -> str:
    found = re.search(r'<p class="field-error" id="lab-err">(.*?)</p>', page, re.S)
    assert found, "no message beside a field"
    said = htmllib.unescape(found.group(1))
    # the field's label first, as every refused form says it ("Overrides: ...")
    for label in ("Overrides: ", "Grid: "):
        said = said.removeprefix(label)
    return said


def test_the_lab_lists_each_scenarios_parameters_and_words_errors_in_the_forms_terms(
    web: Web,
) -> None:
    """The review found no list of keys and errors such as "Extra inputs are not
    permitted", "field: --set": the page lists every scenario's parameters (value, default,
    meaning) and a wrong line is refused on the form's own field, naming its keys."""
    client = web.signed_in("est")
    page = client.get("/lab").text
    box = re.search(r'<details class="lab-params" id="params-epf-tranche".*?</details>', page, re.S)
    assert box, "no parameters of epf-tranche"
    row = re.search(r"<tr><th scope=\"row\"><code>decision\.max_rounds</code></th>(.*?)</tr>",
                    box.group(0), re.S)
    assert row, "decision.max_rounds is not listed"
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))
    assert cells[:2] == ["60", "4"]  # in this scenario, default
    assert "rounds" in cells[2] and "at most 200" in cells[3]
    assert 'href="#params"' in page
    base = {"scenario": "epf-tranche", "runs": "1000", "seed": "0", "csrf": web.csrf("est")}

    unknown = client.post("/lab/run", data={**base, "overrides": "decision.nosuch=1"})
    assert unknown.status_code == 422 and "Extra inputs" not in unknown.text
    said = _field_error(unknown.text)
    assert said.startswith("unknown parameter decision.nosuch; this scenario's parameters are:")
    assert "decision.escalation" in said and "decision.holdup.median_days" in said
    assert re.search(r'<textarea id="lab-over" name="overrides"[^>]*aria-invalid="true"',
                     unknown.text)
    assert 'id="params-epf-tranche" open' in unknown.text  # the chosen scenario's list, open

    no_equals = client.post("/lab/run", data={**base, "overrides": "foo"})
    assert no_equals.status_code == 422 and "--set" not in no_equals.text
    assert _field_error(no_equals.text).startswith("'foo' is not key=value")
    assert re.search(r'<textarea id="lab-over" name="overrides"[^>]*aria-invalid="true"',
                     no_equals.text)

    # a block the scenario has not (it would add a mechanism) is not one of its parameters
    other = client.post("/lab/run", data={**base, "overrides": "aid.months=12"})
    assert _field_error(other.text).startswith("unknown parameter aid.months;")

    out_of_range = client.post("/lab/run", data={**base, "overrides": "decision.escalation=2"})
    assert out_of_range.status_code == 422
    assert _field_error(out_of_range.text).startswith("decision.escalation: ")
    assert re.search(r'<textarea id="lab-over" name="overrides"[^>]*aria-invalid="true"',
                     out_of_range.text)

    sweep = client.post("/lab/sweep", data={**base, "runs": "100", "grid": "decision.nosuch=1,2"})
    assert sweep.status_code == 422
    assert "unknown parameter decision.nosuch; this scenario's parameters are:" in htmllib.unescape(
        sweep.text
    )
    assert re.search(r'<textarea id="sweep-grid" name="grid"[^>]*aria-invalid="true"',
                     sweep.text)


def test_the_web_package_imports_on_its_own() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", "import allied.entrypoints.web.pages"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


#: the analyst who records and decides the brief's events in the monitor pages' tests
ANALYST = Caller("analyst")


def _brief_events(web: Web) -> dict[str, str]:
    """The events the extractor proposes in a three-sentence brief (DEU, USA, ITA and the
    states they name), recorded for review: actor -> event id."""
    from allied.adapters.db.tables_monitor import sql_monitor_events
    from allied.monitor.extract import Extractor
    from allied.monitor.model import Document
    from allied.service.monitor import list_events, record_proposals

    text = (
        "Germany refused Estonia permission to pass on the howitzers. "
        "Washington cleared Latvia to transfer American-made missiles to Ukraine. "
        "Italy called for an immediate ceasefire."
    )
    doc = Document("brief.txt", text, "2022-01", source="brief.txt")
    record_proposals(web.uow(), sql_monitor_events, ANALYST, [(doc, Extractor().extract(doc))])
    return {e.actor: e.id for e in list_events(web.uow(), sql_monitor_events)}


def test_the_monitor_shows_stances_from_confirmed_events_only(web: Web) -> None:
    from allied.adapters.db.tables_monitor import sql_monitor_events
    from allied.monitor.record import Status
    from allied.service.monitor import decide

    empty = web.signed_in("est").get("/monitor")
    assert empty.status_code == 200 and "No confirmed event yet" in empty.text
    events = _brief_events(web)
    decide(web.uow(), sql_monitor_events, ANALYST, events["DEU"], Status.CONFIRMED)
    decide(web.uow(), sql_monitor_events, ANALYST, events["USA"], Status.CONFIRMED)
    decide(web.uow(), sql_monitor_events, ANALYST, events["ITA"], Status.REJECTED)
    page = web.signed_in("ukr").get("/monitor").text
    rows = _ids(page, "positions")
    assert rows == {"pos-DEU", "pos-USA"}  # Italy's event was rejected
    deu = re.search(r'<tr id="pos-DEU">.*?</tr>', page, re.S)
    assert deu and "+1.00" in deu.group(0)
    # the record of events is the coordinator's and the auditor's (as in the API)
    assert "waiting for review" not in page and 'id="timeline"' not in page
    coordinator = web.signed_in("coord").get("/monitor").text
    assert "1 proposal waiting" in coordinator  # Latvia's, not yet reviewed
    assert 'id="timeline"' in coordinator


def test_browser_tests_skip_without_chromium_unless_required(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from web import support

    monkeypatch.setattr(support, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.delenv("ALLIED_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        support.require_browser()
    monkeypatch.setenv("ALLIED_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="ALLIED_REQUIRE_BROWSER=1"):
        support.require_browser()


def test_the_allocation_form_can_include_items_awaiting_consent(web: Web) -> None:
    client = web.signed_in("coord")
    page = client.get("/allocation").text
    assert 'name="pending"' in page and 'for="a-pending"' in page
    strict = client.post(
        "/allocation/run", data={"as_of": "2024-06-01", "csrf": web.csrf("coord")}
    )
    assert strict.status_code == 200 and "consent-pending" in strict.text
    relaxed = client.post(
        "/allocation/run",
        data={"as_of": "2024-06-01", "pending": "on", "csrf": web.csrf("coord")},
    )
    assert relaxed.status_code == 200 and 'id="plan"' in relaxed.text
    plan = last_run(web.uow, web.caller("coord"))
    assert plan is not None and plan["allocations"], "offers awaiting consent were proposed"
    assert 'name="pending" type="checkbox" checked' in relaxed.text


def test_pages_do_not_wait_for_writers(web: Web) -> None:
    """Reading a page never takes the writers' turn (the ledger head): with a writer
    holding it, every page of every role still answers at once (PostgreSQL; on SQLite
    readers never wait for the writer under WAL)."""
    if web.store.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL: writers hold the ledger head row")
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import text

    def visit(user: str) -> list[int]:
        client = web.signed_in(user)
        return [client.get(page).status_code for page in PAGES]

    pool = ThreadPoolExecutor(2)
    try:
        with web.store.engine.connect() as writer:
            writer.execute(text("SELECT seq FROM ledger_head WHERE id = 1 FOR UPDATE"))
            done = {u: pool.submit(visit, u) for u in ("coord", "gbr", "audit")}
            try:
                # each page takes milliseconds; a page waiting for the head waits until
                # this transaction ends: the timeout fails the test, then frees it
                codes = {u: f.result(timeout=15) for u, f in done.items()}
            finally:
                writer.rollback()
    finally:
        pool.shutdown(wait=True)
    assert all(code < 500 for c in codes.values() for code in c), codes
    assert codes["coord"] == [200] * len(PAGES)


def test_the_lab_refuses_structural_overrides_and_a_second_run_at_once(web: Web) -> None:
    client = web.signed_in("est")
    base = {"scenario": "natoization-2024", "runs": "1000", "seed": "0", "csrf": web.csrf("est")}
    many = "variants={" + ",".join(f"v{i}: {{}}" for i in range(100)) + "}"
    r = client.post("/lab/run", data={**base, "overrides": many})
    assert r.status_code == 422
    assert "'variants' cannot be set here" in htmllib.unescape(r.text)
    r = client.post("/lab/run", data={**base, "runs": "200000", "overrides": "aid.months=240"})
    assert r.status_code == 422 and "run-actor-months" in r.text
    # a run of this user still going: the next one waits (429), others are not held up
    slots = web.app.state.lab_slots
    slots.take("est")
    try:
        busy = client.post("/lab/run", data=base)
        assert busy.status_code == 429 and busy.headers["retry-after"]
        assert "still going" in busy.text
        other = web.signed_in("gbr")
        done = other.post("/lab/run", data={**base, "csrf": web.csrf("gbr")})
        assert done.status_code == 200 and "(100%)" in done.text
    finally:
        slots.give_back("est")
    assert slots.running() == 0


def test_record_forms_hold_input_to_what_the_server_takes(web: Web) -> None:
    """The browser stops typing where the server's limits are (notes and caveats 2,000
    characters, a quantity of 12 digits), instead of a refusal that loses the form."""
    requests = web.signed_in("ukr").get("/requests").text
    assert re.search(r'id="r-notes" name="notes" rows="2" maxlength="2000"', requests)
    assert re.search(r'id="r-quantity" name="quantity" type="number" min="1" max="999999999999"',
                     requests)
    offers = web.signed_in("est").get("/offers").text
    assert re.search(r'id="o-caveats" name="caveats" rows="2" maxlength="2000"', offers)
    assert 'max="999999999999"' in offers
    assert len(str(999999999999)) == 12  # the quantity's Form(max_length=12)


def test_the_monitors_fissures_offer_only_the_groups_the_states_allow(web: Web) -> None:
    """Review item 6: with 4 states, Groups = 4..6 removed the whole Fissures section
    (the Regroup control too) without a word. It offers 2..3 now, and a count out of range
    keeps the section and its control and says why beside it."""
    from allied.adapters.db.tables_monitor import sql_monitor_events
    from allied.monitor.record import Status
    from allied.service.monitor import decide

    for event_id in _brief_events(web).values():
        decide(web.uow(), sql_monitor_events, ANALYST, event_id, Status.CONFIRMED)
    client = web.signed_in("coord")
    page = client.get("/monitor").text
    states = len(_ids(page, "positions"))
    assert states == 4, page
    select = re.search(r'<select id="mo-groups" name="groups"[^>]*>(.*?)</select>', page, re.S)
    assert select and re.findall(r'<option value="(\d+)"', select.group(1)) == ["2", "3"]
    for asked in ("4", "6", "9"):
        out = client.get(f"/monitor?groups={asked}")
        assert out.status_code == 422
        assert 'id="fissures"' in out.text and 'id="mo-groups"' in out.text  # kept
        assert re.search(r'<select id="mo-groups" name="groups"[^>]*aria-invalid="true"', out.text)
        said = re.search(r'<p class="field-error" id="mo-groups-err">(.*?)</p>', out.text, re.S)
        assert said and said.group(1).startswith(
            "only 4 states have confirmed events: at most 3 groups"
        ), said
        assert "Fissures: 3 groups" in out.text  # the nearest count allowed
    assert "at least 2 groups" in client.get("/monitor?groups=1").text
    assert "whole number" in client.get("/monitor?groups=x").text
    fine = client.get("/monitor?groups=3")
    assert fine.status_code == 200 and "Fissures: 3 groups" in fine.text
