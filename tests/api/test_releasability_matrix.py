"""Role x route x record: every route shows a caller exactly what is released to it.

Five offers of one new family, each with a different releasability and a quantity that
is a distinct power of two, so any sum (the totals aggregate, a request's ``pledged``)
tells exactly which offers were counted. The expected visibility is written out by hand
below, not computed by the code under test.
"""

from __future__ import annotations

import datetime as dt

import pytest

from allied.bootstrap import Store
from api.conftest import Api, make_api

FAMILY = "radar"  # a family the reference data does not use
#: offer id -> (releasability, quantity)
OFFERS = {
    "M-OWNER": ("owner", 1),
    "M-GBR": ("nations:GBR", 2),
    "M-NATO": ("org:NATO", 4),
    "M-PUBLIC": ("public", 8),
    "M-LATER": ("public:2030-01-01", 16),
}
ALL = set(OFFERS)

#: What each user sees on 2024-06-01 (Sweden a NATO member since 2024-03-07; Ukraine not).
SEES_ON_JUNE = {
    "coord": ALL,
    "audit": ALL,
    "est": ALL,  # the owner sees its own offers whatever their releasability
    "gbr": {"M-GBR", "M-NATO", "M-PUBLIC"},
    "usa": {"M-NATO", "M-PUBLIC"},
    "deu": {"M-NATO", "M-PUBLIC"},
    "swe": {"M-NATO", "M-PUBLIC"},
    "ukr": {"M-PUBLIC"},
    "admin": {"M-PUBLIC"},  # no nation: public records only
}
#: On 2024-03-06 Sweden was not yet a member of NATO.
SEES_ON_MARCH_6 = {**SEES_ON_JUNE, "swe": {"M-PUBLIC"}}

#: The recipient of the requests (UKR) sees every allocation made to it, whatever the
#: offer's releasability (it must confirm receipt); everyone else those of the offers it
#: sees (the donor, EST, sees all its own).
RECIPIENT = "ukr"

#: A request posted with the default releasability: the participants of the recipient's
#: support (UDCG members and partners on the day) see it, users of no nation do not.
SEES_DEFAULT_REQUEST = {"coord", "audit", "est", "gbr", "usa", "deu", "swe", "ukr"}

#: Consent requests of the reference data, visible to the origin, the holder and the
#: recipient the item would go to.
CONSENT = "C-2022-DEU-EST"  # origin DEU, holder EST, recipient UKR
SEES_CONSENT = {"coord", "audit", "est", "deu", "ukr"}
READS_CONSENTS = {"coord", "audit", "est", "gbr", "usa", "deu", "swe", "ukr"}  # admin may not


def _setup(api: Api) -> dict[str, str]:
    """Offers, one public request and a full pledge of each offer; returns offer -> alloc."""
    api.add_user("swe", "donor", "SWE")
    coord = api.client("coord")
    for oid, (release, qty) in OFFERS.items():
        r = coord.post(
            "/api/v1/offers",
            json={
                "id": oid,
                "donor": "EST",
                "family": FAMILY,
                "quantity": qty,
                "available_from": "2024-01-01",
                "releasability": release,
            },
        )
        assert r.status_code == 201, r.text
    r = coord.post(
        "/api/v1/requests",
        json={
            "id": "M-REQ",
            "recipient": "UKR",
            "family": FAMILY,
            "quantity": 100,
            "priority": 3,
            "needed_by": "2024-12-31",
            "releasability": "public",
        },
    )
    assert r.status_code == 201, r.text
    r = coord.post(
        "/api/v1/requests",
        json={
            "id": "M-REQ-SECRET",
            "recipient": "UKR",
            "family": FAMILY,
            "quantity": 5,
            "priority": 3,
            "needed_by": "2024-12-31",
            "releasability": "owner",
        },
    )
    assert r.status_code == 201, r.text
    r = coord.post(
        "/api/v1/requests",
        json={
            "id": "M-REQ-DEFAULT",
            "recipient": "UKR",
            "family": FAMILY,
            "quantity": 5,
            "priority": 3,
            "needed_by": "2024-12-31",
        },
    )
    assert r.status_code == 201 and r.json()["releasability"] == "support", r.text
    allocs = {}
    for oid, (_, qty) in OFFERS.items():
        r = coord.post("/api/v1/pledges", json={"offer": oid, "request": "M-REQ", "quantity": qty})
        assert r.status_code == 201, r.text
        allocs[oid] = r.json()["id"]
    return allocs


def _check(api: Api, user: str, expected: set[str], allocs: dict[str, str]) -> None:
    c = api.client(user)
    weight = sum(OFFERS[o][1] for o in expected)

    listed = c.get("/api/v1/offers", params={"family": FAMILY, "limit": 200}).json()
    assert {o["id"] for o in listed["items"]} == expected, user
    assert listed["total"] == len(expected), user
    all_pages = c.get("/api/v1/offers", params={"limit": 200}).json()
    assert {o["id"] for o in all_pages["items"] if o["family"] == FAMILY} == expected, user

    for oid in OFFERS:
        got = c.get(f"/api/v1/offers/{oid}")
        assert got.status_code == (200 if oid in expected else 404), (user, oid)
        if oid not in expected:
            # exactly what a non-existent offer looks like
            ghost = c.get("/api/v1/offers/NO-SUCH-OFFER")
            assert got.json()["error"] == ghost.json()["error"] == "not-found"

    totals = c.get("/api/v1/offers/totals", params={"by": "family"}).json()
    mine = [t for t in totals if t["key"] == FAMILY]
    if expected:
        assert mine == [
            {"key": FAMILY, "offers": len(expected), "quantity": weight, "committed": weight}
        ], user
    else:
        assert mine == [], user

    party = ALL if user == RECIPIENT else expected
    allocations = c.get("/api/v1/allocations", params={"request": "M-REQ"}).json()
    assert {a["offer"] for a in allocations["items"]} == party, user
    assert allocations["total"] == len(party), user
    for oid, aid in allocs.items():
        got = c.get(f"/api/v1/allocations/{aid}")
        assert got.status_code == (200 if oid in party else 404), (user, aid)
        if oid in party:
            assert got.json()["donor"] == "EST" and got.json()["recipient"] == "UKR"

    counted = sum(OFFERS[o][1] for o in party)
    request = c.get("/api/v1/requests/M-REQ").json()
    assert request["pledged"] == counted, user
    assert request["outstanding"] == 100 - counted, user

    secret = c.get("/api/v1/requests/M-REQ-SECRET")
    sees_secret = user in {"coord", "audit", "ukr"}
    assert secret.status_code == (200 if sees_secret else 404), user
    sees_default = user in SEES_DEFAULT_REQUEST
    default = c.get("/api/v1/requests/M-REQ-DEFAULT")
    assert default.status_code == (200 if sees_default else 404), user
    requests = c.get("/api/v1/requests", params={"family": FAMILY}).json()
    assert {r["id"] for r in requests["items"]} == (
        {"M-REQ"}
        | ({"M-REQ-SECRET"} if sees_secret else set())
        | ({"M-REQ-DEFAULT"} if sees_default else set())
    ), user
    listed_page = c.get("/api/v1/requests", params={"family": FAMILY, "limit": 200}).json()
    pledged = {r["id"]: r["pledged"] for r in listed_page["items"]}
    assert pledged["M-REQ"] == counted, user


@pytest.mark.parametrize(
    ("today", "sees"),
    [(dt.date(2024, 6, 1), SEES_ON_JUNE), (dt.date(2024, 3, 6), SEES_ON_MARCH_6)],
    ids=["2024-06-01", "2024-03-06"],
)
def test_every_read_route_shows_only_released_records(
    store: Store, today: dt.date, sees: dict[str, set[str]]
) -> None:
    api = make_api(store)
    allocs = _setup(api)
    api.app.state.ctx.today = lambda: today
    for user, expected in sees.items():
        _check(api, user, expected, allocs)


def test_consents_are_seen_by_origin_holder_and_recipient_only(api: Api) -> None:
    api.add_user("swe", "donor", "SWE")
    for user in sorted(set(api.tokens)):
        c = api.client(user)
        listed = c.get("/api/v1/consents")
        one = c.get(f"/api/v1/consents/{CONSENT}")
        if user not in READS_CONSENTS:
            assert listed.status_code == one.status_code == 403, user
            continue
        ids = {x["id"] for x in listed.json()["items"]}
        assert (CONSENT in ids) == (user in SEES_CONSENT), user
        assert one.status_code == (200 if user in SEES_CONSENT else 404), user
        if user not in {"coord", "audit"}:
            nation = c.get("/api/v1/me").json()["nation"]
            assert all(
                nation in (x["origin"], x["holder"], x["recipient"])
                for x in listed.json()["items"]
            )


def test_actions_by_role(api: Api) -> None:
    """403 for what a role may not do; 404 (not 403) for a record it may not see."""
    allocs = _setup(api)
    gbr, est, ukr, deu = (api.client(u) for u in ("gbr", "est", "ukr", "deu"))
    pledge = {"request": "M-REQ", "quantity": 1}
    # GBR sees M-GBR but it is Estonia's: may not pledge it
    assert gbr.post("/api/v1/pledges", json={**pledge, "offer": "M-GBR"}).status_code == 403
    # GBR does not see M-OWNER: it does not exist for GBR
    assert gbr.post("/api/v1/pledges", json={**pledge, "offer": "M-OWNER"}).status_code == 404
    # a recipient, an origin, an auditor may not pledge at all
    for user in ("ukr", "deu", "audit", "admin"):
        r = api.client(user).post("/api/v1/pledges", json={**pledge, "offer": "M-PUBLIC"})
        assert r.status_code == 403, user
    # offers only for one's own nation; requests only by recipients (and the coordinator)
    offer = {"family": FAMILY, "quantity": 1, "available_from": "2024-01-01"}
    assert est.post("/api/v1/offers", json={**offer, "donor": "GBR"}).status_code == 403
    assert est.post("/api/v1/offers", json={**offer, "donor": "EST"}).status_code == 201
    req = {"family": FAMILY, "quantity": 1, "needed_by": "2024-12-31"}
    assert est.post("/api/v1/requests", json={**req, "recipient": "UKR"}).status_code == 403
    assert ukr.post("/api/v1/requests", json={**req, "recipient": "UKR"}).status_code == 201
    # allocation runs are for the coordinator
    run = {"as_of": "2024-06-01"}
    assert est.post("/api/v1/allocation-runs", json=run).status_code == 403
    # the ledger is for auditors and the coordinator
    for user in ("est", "gbr", "ukr", "deu", "admin"):
        assert api.client(user).get("/api/v1/ledger/entries").status_code == 403, user
    for user in ("audit", "coord"):
        assert api.client(user).get("/api/v1/ledger/verify").json()["intact"] is True
    # the donor withdraws its own pledge; the recipient may not withdraw it
    aid = allocs["M-PUBLIC"]
    move = {"to": "withdrawn"}
    assert ukr.post(f"/api/v1/allocations/{aid}/transitions", json=move).status_code == 403
    assert deu.post(f"/api/v1/allocations/{aid}/transitions", json=move).status_code == 403
    r = est.post(f"/api/v1/allocations/{aid}/transitions", json=move)
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    again = est.post(f"/api/v1/allocations/{aid}/transitions", json=move)
    assert again.status_code == 409 and again.json()["error"] == "illegal-transition"


def test_a_hidden_offer_answers_a_pledge_exactly_as_a_missing_one(api: Api) -> None:
    """Whatever else is wrong with a pledge, an offer the caller may not see is reported
    first and in the same words as one that does not exist."""
    est_only = api.client("est").post(
        "/api/v1/offers",
        json={"donor": "EST", "family": "atgm", "quantity": 2, "available_from": "2024-01-01",
              "releasability": "owner"},
    ).json()["id"]
    gbr = api.client("gbr")
    for request_id in ("NO-SUCH-REQUEST", "REQ-1"):
        hidden = gbr.post(
            "/api/v1/pledges", json={"offer": est_only, "request": request_id, "quantity": 1}
        )
        missing = gbr.post(
            "/api/v1/pledges", json={"offer": "GBR-NOPE", "request": request_id, "quantity": 1}
        )
        assert hidden.status_code == missing.status_code == 404
        assert hidden.text.replace(est_only, "X") == missing.text.replace("GBR-NOPE", "X")
