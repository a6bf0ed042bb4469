"""What the recipient learns of an offer that is not released to it: what receiving its
allocation needs (donor, item, quantity, dates), nothing else of the offer and nothing of
its other allocations; and it can confirm receipt."""

from __future__ import annotations

import json
import re

from api.conftest import Api

SECRET_CAVEAT = "only-for-the-eastern-front-7c1f"
OFFERED = 977  # the offer's quantity: neither it nor what is left may reach the recipient


def _setup(api: Api) -> tuple[str, str, str]:
    est, coord = api.client("est"), api.client("coord")
    r = est.post(
        "/api/v1/offers",
        json={
            "donor": "EST",
            "family": "atgm",
            "quantity": OFFERED,
            "available_from": "2024-02-01",
            "channel": "nsatu",
            "caveats": SECRET_CAVEAT,
            "releasability": "owner",
        },
    )
    assert r.status_code == 201, r.text
    offer = r.json()["id"]
    requests = []
    for rid, recipient, release in (
        ("R-UKR-ATGM", "UKR", "support"),
        ("R-MDA-ATGM", "MDA", "owner"),
    ):
        r = coord.post(
            "/api/v1/requests",
            json={"id": rid, "recipient": recipient, "family": "atgm", "quantity": 50,
                  "needed_by": "2024-09-01", "releasability": release},
        )
        assert r.status_code == 201, r.text
        requests.append(rid)
    ukr_alloc = est.post(
        "/api/v1/pledges", json={"offer": offer, "request": "R-UKR-ATGM", "quantity": 3}
    ).json()["id"]
    other = coord.post(  # Moldova's request is not released to Estonia
        "/api/v1/pledges", json={"offer": offer, "request": "R-MDA-ATGM", "quantity": 11}
    ).json()["id"]
    return offer, ukr_alloc, other


def test_the_recipient_learns_only_what_receiving_needs(api: Api) -> None:
    offer, mine, other = _setup(api)
    ukr, gbr = api.client("ukr"), api.client("gbr")
    answers = []

    got = ukr.get(f"/api/v1/allocations/{mine}")
    assert got.status_code == 200
    view = got.json()
    assert {k: view[k] for k in ("offer", "quantity", "donor", "family", "available_from",
                                 "recipient", "needed_by", "status")} == {
        "offer": offer, "quantity": 3, "donor": "EST", "family": "atgm",
        "available_from": "2024-02-01", "recipient": "UKR", "needed_by": "2024-09-01",
        "status": "pledged",
    }
    answers.append(got.text)

    # the offer itself answers as a missing one, in lists and totals too
    hidden, ghost = ukr.get(f"/api/v1/offers/{offer}"), ukr.get("/api/v1/offers/UKR-NOPE")
    assert hidden.status_code == ghost.status_code == 404
    assert hidden.text.replace(offer, "X") == ghost.text.replace("UKR-NOPE", "X")
    for path, params in (
        ("/api/v1/offers", {"family": "atgm", "limit": 200}),
        ("/api/v1/offers/totals", {"by": "family"}),
        ("/api/v1/allocations", {"offer": offer}),
        ("/api/v1/allocations", {"limit": 200}),
        ("/api/v1/requests", {"family": "atgm"}),
        (f"/api/v1/requests/{'R-UKR-ATGM'}", {}),
    ):
        r = ukr.get(path, params=params)
        assert r.status_code == 200, path
        answers.append(r.text)
    listed = json.loads(answers[3])["items"]
    assert [a["id"] for a in listed] == [mine]  # not the offer's other allocation
    assert not any(o["id"] == offer for o in json.loads(answers[1])["items"])
    assert json.loads(answers[-1])["pledged"] == 3

    # its other allocation (to another recipient) does not exist for the recipient
    assert ukr.get(f"/api/v1/allocations/{other}").status_code == 404
    # nothing of the offer's other fields, its size or its other pledges reaches it
    everything = "\n".join(answers)
    for secret in (SECRET_CAVEAT, "nsatu", "R-MDA-ATGM", other):
        assert secret not in everything, secret
    # the quantities as numbers, not as digits inside a time ("...57.977334") or an id
    for number in (OFFERED, OFFERED - 3, OFFERED - 14):
        assert not re.search(rf"(?<![\w.]){number}(?![\w.])", everything), number

    # a state that is no party sees neither
    assert gbr.get(f"/api/v1/allocations/{mine}").status_code == 404


def test_the_recipient_confirms_receipt_of_a_hidden_offer(api: Api) -> None:
    _, mine, _ = _setup(api)
    est, coord, ukr = api.client("est"), api.client("coord"), api.client("ukr")
    move = f"/api/v1/allocations/{mine}/transitions"
    assert coord.post(move, json={"to": "approved"}).status_code == 200
    assert est.post(move, json={"to": "shipped"}).status_code == 200
    r = ukr.post(move, json={"to": "delivered"})
    assert r.status_code == 200 and r.json()["status"] == "delivered", r.text
    r = ukr.post(move, json={"to": "in-repair"})
    assert r.status_code == 200 and r.json()["donor"] == "EST"
    # a state that is no party may not even find it
    assert api.client("gbr").post(move, json={"to": "returned"}).status_code == 404
