"""Strict types and known codes (issue 20, item 14): a JSON ``true`` is not a quantity,
``0`` is not a date or a boolean, and a releasability names only nations and
organisations the reference data knows, each in its place."""

from __future__ import annotations

from typing import Any

import pytest

from api.conftest import Api

OFFER = {"donor": "EST", "family": "atgm", "quantity": 3, "available_from": "2024-01-01"}
REQUEST = {"recipient": "UKR", "family": "atgm", "quantity": 3, "needed_by": "2024-09-01"}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/offers", {**OFFER, "quantity": True}, "quantity"),
        ("/api/v1/offers", {**OFFER, "quantity": "3"}, "quantity"),
        ("/api/v1/offers", {**OFFER, "quantity": 3.5}, "quantity"),
        ("/api/v1/offers", {**OFFER, "lethal": 0}, "lethal"),
        ("/api/v1/offers", {**OFFER, "lethal": "yes"}, "lethal"),
        ("/api/v1/offers", {**OFFER, "available_from": 0}, "available_from"),
        ("/api/v1/offers", {**OFFER, "available_from": "2024-01-01T00:00:00"}, "available_from"),
        ("/api/v1/requests", {**REQUEST, "priority": True}, "priority"),
        ("/api/v1/requests", {**REQUEST, "needed_by": 1_700_000_000}, "needed_by"),
        ("/api/v1/allocation-runs", {"as_of": "2024-06-01", "allow_pending_consent": 0},
         "allow_pending_consent"),
        ("/api/v1/allocation-runs", {"as_of": "2024-06-01", "lateness_half_life_days": True},
         "lateness_half_life_days"),
        ("/api/v1/allocation-runs", {"as_of": 0}, "as_of"),
        ("/api/v1/pledges", {"offer": "x", "request": "y", "quantity": True}, "quantity"),
    ],
)
def test_loose_values_are_refused_naming_the_field(
    api: Api, path: str, body: dict[str, Any], field: str
) -> None:
    r = api.client("coord").post(path, json=body)
    assert r.status_code == 422, (body, r.text)
    assert r.json()["field"] == field, r.json()


def test_strict_values_still_pass(api: Api) -> None:
    coord = api.client("coord")
    r = coord.post("/api/v1/offers", json={**OFFER, "lethal": False, "quantity": 3.0})
    assert r.status_code == 201, r.text
    assert r.json()["quantity"] == 3 and r.json()["lethal"] is False
    r = coord.post("/api/v1/allocation-runs",
                   json={"as_of": "2024-06-01", "lateness_half_life_days": 15})
    assert r.status_code == 201, r.text


def test_a_date_query_is_an_iso_date(api: Api) -> None:
    coord = api.client("coord")
    for bad in ("0", "1700000000", "2024-06-01T00:00"):
        r = coord.get("/api/v1/memberships", params={"on": bad})
        assert r.status_code == 422 and r.json()["field"] == "on", (bad, r.text)
    r = coord.get("/api/v1/memberships", params={"on": "2024-06-01", "actor": "SWE"})
    assert r.status_code == 200 and r.json()["items"]


@pytest.mark.parametrize(
    ("releasability", "named"),
    [
        ("nations:POL,XXX", "XXX"),
        ("nations:POL,NATO", "NATO"),  # an organisation is not a nation
        ("org:NATOO", "NATOO"),
        ("org:POL", "POL"),  # a state is not an organisation
    ],
)
def test_a_releasability_names_known_codes_in_their_place(
    api: Api, releasability: str, named: str
) -> None:
    est = api.client("est")
    before = api.client("coord").get("/api/v1/offers").json()["total"]
    r = est.post("/api/v1/offers", json={**OFFER, "releasability": releasability})
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "releasability" and named in r.json()["message"], r.json()
    r = api.client("ukr").post("/api/v1/requests", json={**REQUEST, "releasability": releasability})
    assert r.status_code == 422 and r.json()["field"] == "releasability", r.text
    assert api.client("coord").get("/api/v1/offers").json()["total"] == before


def test_known_releasabilities_pass(api: Api) -> None:
    est = api.client("est")
    for spec in ("nations:POL,UKR", "org:NATO", "org:EU", "public", "owner"):
        r = est.post("/api/v1/offers", json={**OFFER, "releasability": spec})
        assert r.status_code == 201, (spec, r.text)
