"""API parity with the CLI: standing consent policies, proposal revise and withdraw."""

from __future__ import annotations

from api.conftest import Api


def test_standing_consent_policies(api: Api) -> None:
    deu, coord, gbr = api.client("deu"), api.client("coord"), api.client("gbr")
    listed = {p["origin"]: p["policy"] for p in gbr.get("/api/v1/consent-policies").json()}
    assert listed["DEU"] == "case-by-case" and listed["CHE"] == "restrictive"
    r = deu.put("/api/v1/consent-policies/DEU", json={"policy": "permissive",
                                                      "source": "cabinet decision"})
    assert r.status_code == 200, r.text
    assert r.json() == {"origin": "DEU", "policy": "permissive", "since": "2024-06-01",
                        "source": "cabinet decision"}
    other = deu.put("/api/v1/consent-policies/USA", json={"policy": "restrictive"})
    assert other.status_code == 403
    assert gbr.put("/api/v1/consent-policies/GBR", json={"policy": "permissive"}).status_code == 403
    bad = coord.put("/api/v1/consent-policies/CHE", json={"policy": "maybe"})
    assert bad.status_code == 422 and "policy" in bad.json()["field"]
    unknown = coord.put("/api/v1/consent-policies/XXX", json={"policy": "permissive"})
    assert unknown.status_code == 422 and unknown.json()["field"] == "origin"
    ok = coord.put("/api/v1/consent-policies/CHE",
                   json={"policy": "case-by-case", "since": "2024-05-01"})
    assert ok.status_code == 200 and ok.json()["since"] == "2024-05-01"
    listed = {p["origin"]: p["policy"] for p in gbr.get("/api/v1/consent-policies").json()}
    assert (listed["DEU"], listed["CHE"]) == ("permissive", "case-by-case")
    # a source not given is kept (as the CLI's --source and the dashboard's blank field);
    # "" clears it
    again = deu.put("/api/v1/consent-policies/DEU", json={"policy": "restrictive"})
    assert again.status_code == 200 and again.json()["source"] == "cabinet decision"
    sources = {p["origin"]: p["source"] for p in gbr.get("/api/v1/consent-policies").json()}
    assert sources["DEU"] == "cabinet decision"
    cleared = deu.put("/api/v1/consent-policies/DEU", json={"policy": "restrictive",
                                                            "source": ""})
    assert cleared.status_code == 200 and cleared.json()["source"] == ""
    assert api.client("audit").get("/api/v1/ledger/verify").json()["intact"] is True


def test_a_proposal_is_revised_and_withdrawn(api: Api) -> None:
    coord, est = api.client("coord"), api.client("est")
    made = coord.post("/api/v1/proposals", json={
        "forum": "NATO", "rule": "consensus-silence", "title": "Air defence package",
        "deadline": "2024-06-10", "id": "P-AD-1"})
    assert made.status_code == 201, made.text
    assert est.post("/api/v1/proposals/P-AD-1/positions",
                    json={"actor": "EST", "position": "yes"}).status_code in (200, 201)
    r = coord.post("/api/v1/proposals/P-AD-1/revise",
                   json={"text": "with training", "deadline": "2024-06-20"})
    assert r.status_code == 200, r.text
    assert (r.json()["version"], r.json()["deadline"], r.json()["positions"]) == (
        2, "2024-06-20", {})
    assert est.post("/api/v1/proposals/P-AD-1/revise",
                    json={"text": "x", "deadline": "2024-06-30"}).status_code == 403
    assert coord.post("/api/v1/proposals/P-NOPE/withdraw").status_code == 404
    w = coord.post("/api/v1/proposals/P-AD-1/withdraw")
    assert w.status_code == 200 and w.json()["status"] == "withdrawn"
    again = coord.post("/api/v1/proposals/P-AD-1/withdraw")
    assert again.status_code == 409


def test_imports_through_the_api(api: Api) -> None:
    coord, ukr = api.client("coord"), api.client("ukr")
    good = {"recipient": "UKR", "family": "atgm", "quantity": 3, "priority": 2,
            "needed_by": "2024-12-01"}
    bad = coord.post("/api/v1/imports/requests",
                     json={"records": [good, {**good, "quantity": "many"}]})
    assert bad.status_code == 422 and bad.json()["field"] == "records.1.quantity", bad.text
    assert bad.json()["message"] == "record 1: expected a positive integer, got 'many'"
    before = coord.get("/api/v1/requests", params={"limit": 1}).json()["total"]
    r = coord.post("/api/v1/imports/requests",
                   json={"records": [{**good, "id": "IMP-1"}, {**good, "id": "IMP-2"}]})
    assert r.status_code == 201 and r.json() == {"kind": "requests", "imported": 2,
                                                 "ids": ["IMP-1", "IMP-2"]}, r.text
    assert coord.get("/api/v1/requests", params={"limit": 1}).json()["total"] == before + 2
    # a recipient imports its own nation's records only
    other = ukr.post("/api/v1/imports/requests", json={"records": [{**good, "recipient": "MDA"}]})
    assert other.status_code == 403
    assert api.client("est").post("/api/v1/imports/requests",
                                  json={"records": [good]}).status_code == 403
    offers = coord.post("/api/v1/imports/offers", json={"records": [
        {"id": "IMP-O1", "donor": "EST", "family": "atgm", "quantity": 4,
         "available_from": "2024-01-01"}]})
    assert offers.status_code == 201 and offers.json()["ids"] == ["IMP-O1"]
    assert coord.post("/api/v1/imports/nonsense", json={"records": [good]}).status_code == 422


def test_a_nation_importing_gets_ids_that_reveal_nothing(api: Api) -> None:
    ukr = api.client("ukr")
    good = {"recipient": "UKR", "family": "atgm", "quantity": 3, "priority": 3,
            "needed_by": "2024-12-01"}
    r = ukr.post("/api/v1/imports/requests", json={"records": [good]})
    assert r.status_code == 201 and r.json()["ids"][0].startswith("REQ-UKR-"), r.text
    chosen = ukr.post("/api/v1/imports/requests", json={"records": [{**good, "id": "R-1"}]})
    assert chosen.status_code == 422 and chosen.json()["field"] == "records.0.id"
