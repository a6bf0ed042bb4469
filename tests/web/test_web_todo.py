"""The dashboard's home page shows the caller's to-do list (as ``GET /api/v1/todo``)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from allied.service import access
from needs import confirm_needs
from web.support import TODAY
from web.test_web_pages import Web, web  # noqa: F401  (the fixture)


def test_the_home_page_lists_what_waits_on_the_caller(web: Web) -> None:  # noqa: F811
    coord = TestClient(web.app, headers={"Authorization": f"Bearer {web.tokens['coord']}"})
    ids = coord.post("/api/v1/allocation-runs", json={"as_of": "2023-06-01"}).json()[
        "allocation_ids"
    ]
    html = web.signed_in("coord").get("/").text
    assert "Your to-do list" in html and "Proposed allocations to accept" in html
    # the section lists the first of them by id (the ids are random: the run's first
    # line is not always among the first twenty shown) and says how many there are
    assert f"({len(ids)})" in html and min(ids) in html
    ukr = web.signed_in("ukr").get("/").text
    assert "Deliveries to confirm" in ukr and "Proposed allocations to accept" not in ukr
    assert not [i for i in ids if i in ukr]  # a proposal is not the recipient's to act on


def test_a_recorded_plan_is_accepted_or_rejected_in_one_action(web: Web) -> None:  # noqa: F811
    confirm_needs(web.uow, TODAY)  # lines are accepted: their needs not past
    page = web.signed_in("coord").post(
        "/allocation/run",
        data={"as_of": "2023-06-01", "solver": "auto", "csrf": web.csrf("coord")},
    )
    assert page.status_code == 200 and 'id="plan-decision"' in page.text
    api = TestClient(web.app, headers={"Authorization": f"Bearer {web.tokens['coord']}"})
    proposed = [
        a["id"]
        for a in api.get("/api/v1/allocations", params={"status": "proposed", "limit": 200})
        .json()["items"]
    ]
    assert proposed and all(i in page.text for i in proposed)
    client = web.signed_in("coord")
    # all or nothing: one unknown line and nothing moves
    bad = client.post("/allocation/plan", data={"to": "pledged", "ids": [proposed[0], "AL-NOPE"],
                                                "csrf": web.csrf("coord")})
    assert bad.status_code == 404 and "Item 1 (allocation AL-NOPE)" in bad.text
    assert api.get(f"/api/v1/allocations/{proposed[0]}").json()["status"] == "proposed"
    done = client.post("/allocation/plan", data={"to": "pledged", "ids": proposed[:2],
                                                 "csrf": web.csrf("coord")},
                       follow_redirects=False)
    assert done.status_code == 303
    assert {api.get(f"/api/v1/allocations/{i}").json()["status"] for i in proposed[:2]} == {
        "pledged"}
    # rejecting cannot be undone: a confirmation step lists the lines and asks for a reason
    rest = proposed[2:]
    asked = client.post("/allocation/plan", data={"to": "rejected", "ids": rest,
                                                  "csrf": web.csrf("coord")},
                        follow_redirects=False)
    assert asked.status_code == 200 and f"Reject {len(rest)} allocation" in asked.text
    assert all(f'name="ids" value="{i}"' in asked.text for i in rest)
    assert 'name="step" value="confirm"' in asked.text
    assert {api.get(f"/api/v1/allocations/{i}").json()["status"] for i in rest} == {"proposed"}
    # no reason: the error is beside the reason field, the lines are still listed, nothing moves
    bare = client.post("/allocation/plan", data={"to": "rejected", "ids": rest, "step": "confirm",
                                                 "confirm": "yes", "csrf": web.csrf("coord")},
                       follow_redirects=False)
    assert bare.status_code == 422 and 'id="c-reason-err"' in bare.text
    assert 'aria-invalid="true" aria-describedby="c-reason-err"' in bare.text
    assert all(f'name="ids" value="{i}"' in bare.text for i in rest)
    unticked = client.post("/allocation/plan", data={
        "to": "rejected", "ids": rest, "step": "confirm", "reason": "superseded by a new plan",
        "csrf": web.csrf("coord")}, follow_redirects=False)
    assert unticked.status_code == 422 and 'id="c-confirm-err"' in unticked.text
    assert "superseded by a new plan" in unticked.text  # what was typed is kept
    assert {api.get(f"/api/v1/allocations/{i}").json()["status"] for i in rest} == {"proposed"}
    rejected = client.post("/allocation/plan", data={
        "to": "rejected", "ids": rest, "step": "confirm", "confirm": "yes",
        "reason": "superseded by a new plan", "csrf": web.csrf("coord")},
        follow_redirects=False)
    assert rejected.status_code == 303
    assert {api.get(f"/api/v1/allocations/{i}").json()["status"] for i in rest} == {"rejected"}
    # the reason is in each allocation's ledger history, shown on its page
    assert "superseded by a new plan" in client.get(f"/allocations/{rest[0]}").text
    # a recipient may not accept a plan
    ukr = web.signed_in("ukr").post("/allocation/plan", data={
        "to": "pledged", "ids": proposed[:1], "csrf": web.csrf("ukr")})
    assert ukr.status_code == 403


def test_the_to_do_list_kept_per_data_version_moves_with_a_change(web: Web) -> None:  # noqa: F811
    ukr = web.signed_in("ukr")

    def waiting() -> int:
        html = ukr.get("/").text
        found = re.search(r"Open requests with nothing allocated <span[^>]*>\(([\d,]+)\)", html)
        assert found is not None
        return int(found.group(1).replace(",", ""))

    before = waiting()
    built = web.app.state.chart_cache.built
    assert waiting() == before and web.app.state.chart_cache.built == built  # kept
    made = access.create_request(web.uow(), web.caller("ukr"), TODAY, {
        "recipient": "UKR", "family": "155mm-nato", "quantity": 5, "priority": 3,
        "needed_by": "2024-09-01", "releasability": "public"})
    # the change moved the data version: the list is read again and shows the request
    assert made["id"] and waiting() == before + 1


def test_every_pledge_and_every_open_vote_waits_on_someone(web: Web) -> None:  # noqa: F811
    """A pledge needing no consent is on the coordinator's list (to approve); one of an
    item made elsewhere on its donor's (to ask consent); an open proposal on the list of
    each participant that has not spoken, until it does."""
    import datetime as dt

    from allied.domain.rules import Rule
    from allied.service.governance import circulate_proposal
    from web.support import TODAY
    from web.test_web_pages import _offer, _request_form

    request_id = access.create_request(
        web.uow(), web.caller("ukr"), TODAY, {**_request_form(), "recipient": "UKR", "quantity": 50}
    )["id"]
    own = _offer(web, "EST", "public")
    made_elsewhere = _offer(web, "EST", "public", origin="DEU")
    plain = access.pledge(web.uow(), web.caller("est"), TODAY, offer_id=own,
                          request_id=request_id, quantity=10)["id"]
    asking = access.pledge(web.uow(), web.caller("est"), TODAY, offer_id=made_elsewhere,
                           request_id=request_id, quantity=10)["id"]

    def section(user: str, name: str) -> list[str]:
        out = access.todo(web.uow(), web.caller(user), TODAY)
        return [i["id"] for s in out["sections"] if s["name"] == name for i in s["items"]]

    assert section("coord", "pledges_to_approve") == [plain]
    assert section("est", "pledges_to_ask_consent") == [asking]
    home = web.signed_in("coord").get("/").text
    assert "Pledges to approve" in home and f'href="/allocations/{plain}"' in home
    access.advance_allocation(web.uow(), web.caller("coord"), TODAY, plain, "approved")
    access.advance_allocation(web.uow(), web.caller("est"), TODAY, asking, "consent-pending")
    assert section("coord", "pledges_to_approve") == []
    assert section("est", "pledges_to_ask_consent") == []
    # a vote awaited: on EST's list until EST takes a position
    made = circulate_proposal(
        web.uow(), web.caller("coord"), forum="EU", rule=Rule.UNANIMITY,
        title="Tranche for air defence", on=TODAY, deadline=TODAY + dt.timedelta(days=14),
    )
    pid = made["id"]
    assert section("est", "positions_awaited") == [pid]
    home = web.signed_in("est").get("/").text
    assert "Proposals awaiting EST&#39;s position" in home or "Proposals awaiting EST's" in home
    assert f'href="/proposals/{pid}"' in home and "Tranche for air defence" in home
    access.take_position(web.uow(), web.caller("est"), TODAY, pid, actor="EST",
                         position="yes")
    assert section("est", "positions_awaited") == []
    assert pid in section("deu", "positions_awaited")  # DEU has not spoken yet


def test_a_long_to_do_section_links_to_the_whole_list(web: Web) -> None:  # noqa: F811
    from web.support import TODAY
    from web.test_web_pages import _request_form

    for n in range(23):
        access.create_request(
            web.uow(), web.caller("ukr"),
            TODAY, {**_request_form(), "recipient": "UKR", "quantity": n + 1},
        )
    home = web.signed_in("ukr").get("/").text
    more = re.search(r'<li class="more"><a href="([^"]+)">and (\d+) more: see them all</a>', home)
    assert more and more.group(1) == "/requests?status=open"
    assert int(more.group(2)) >= 3
    assert TODAY  # the requests are open on the test's day


def test_the_home_page_lists_the_decisions_due_soonest_and_links_to_the_rest(
    web: Web,  # noqa: F811
) -> None:
    """With more than 20 decisions open, the home page shows how many, the 20 whose
    deadline is nearest (soonest first) and a link to the decisions page for the rest;
    with 20 or fewer, all of them and no link."""
    import datetime as dt

    from allied.domain.rules import Rule
    from allied.service.governance import circulate_proposal

    made: dict[str, int] = {}
    # deadlines out of id order: proposal n is due in (25 - n) * 3 days
    for n in range(25):
        days = (25 - n) * 3
        pid = circulate_proposal(
            web.uow(), web.caller("coord"), forum="EU", rule=Rule.UNANIMITY,
            title=f"Decision {n}", on=TODAY, deadline=TODAY + dt.timedelta(days=days),
        )["id"]
        made[pid] = days
        if n == 19:  # 20 open: every one shown, no link
            home = web.signed_in("coord").get("/").text
            listed = re.findall(r'<li><a href="/proposals/([^"]+)">',
                                home.split('data-list="decisions-waiting"')[1].split("</ul>")[0])
            assert listed == sorted(made, key=lambda p: made[p])  # soonest first
            assert 'href="/decisions">and' not in home
    home = web.signed_in("coord").get("/").text
    assert re.search(r"Decisions waiting <span[^>]*>\(25\)</span>", home)
    waiting = home.split('data-list="decisions-waiting"')[1].split("</ul>")[0]
    listed = re.findall(r'<li><a href="/proposals/([^"]+)">', waiting)
    assert listed == sorted(made, key=lambda p: made[p])[:20]  # soonest first
    assert '<li class="more"><a href="/decisions">and 5 more: see them all</a>' in waiting
    assert access.list_proposals(web.uow(), web.caller("coord"), TODAY, limit=100).total == 25
