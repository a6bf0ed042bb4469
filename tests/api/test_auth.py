"""Bearer tokens: stored only as a hash; missing, wrong or revoked tokens are 401."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from allied.adapters.db.tables_users import users
from api.conftest import Api


def test_health_needs_no_token(api: Api) -> None:
    r = api.client().get("/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


def test_openapi_document_is_served(api: Api) -> None:
    doc = api.client().get("/api/v1/openapi.json").json()
    for path in ("/api/v1/offers", "/api/v1/requests", "/api/v1/allocation-runs", "/healthz"):
        assert path in doc["paths"]
    assert "post" in doc["paths"]["/api/v1/offers"]


def test_missing_and_wrong_tokens_are_401(api: Api) -> None:
    r = api.client().get("/api/v1/offers")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["error"] == "unauthorized"
    bad = api.client().get("/api/v1/offers", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    basic = api.client().get("/api/v1/offers", headers={"Authorization": "Basic eDp5"})
    assert basic.status_code == 401


def test_token_is_stored_only_as_its_sha256(api: Api) -> None:
    token = api.tokens["est"]
    with api.store.engine.connect() as conn:
        rows = conn.execute(select(users.c.name, users.c.token_hash)).all()
    stored = {name: digest for name, digest in rows}
    assert stored["est"] == hashlib.sha256(token.encode()).hexdigest()
    assert all(token not in digest for digest in stored.values())


def test_me_tells_who_the_token_is(api: Api) -> None:
    assert api.client("est").get("/api/v1/me").json() == {
        "user": "est",
        "nation": "EST",
        "role": "donor",
    }


def test_revoked_token_is_refused(api: Api) -> None:
    client = api.client("gbr")
    assert client.get("/api/v1/me").status_code == 200
    r = api.client("admin").post("/api/v1/users/gbr/revoke")
    assert r.status_code == 200
    assert r.json()["active"] is False
    assert client.get("/api/v1/me").status_code == 401


def test_a_revocation_records_its_reason_and_only_the_admin_may(api: Api) -> None:
    assert api.client("coord").post("/api/v1/users/est/revoke").status_code == 403
    assert api.client("est").get("/api/v1/me").status_code == 200  # nothing changed
    r = api.client("admin").post("/api/v1/users/est/revoke", json={"reason": "left the post"})
    assert r.status_code == 200 and r.json()["active"] is False
    entries = api.client("audit").get("/api/v1/ledger/entries", params={"limit": 200}).json()
    (entry,) = [e for e in entries["items"] if e["kind"] == "user.revoked"]
    assert entry["payload"]["reason"] == "left the post"
    bad = api.client("admin").post("/api/v1/users/pol/revoke", json={"reason": 5})
    assert bad.status_code == 422


def test_only_admin_manages_users(api: Api) -> None:
    assert api.client("coord").get("/api/v1/users").status_code == 403
    made = api.client("admin").post(
        "/api/v1/users", json={"name": "pol", "role": "donor", "nation": "POL"}
    )
    assert made.status_code == 201
    token = made.json()["token"]
    me = api.client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["nation"] == "POL"
    listed = api.client("admin").get("/api/v1/users").json()
    assert "pol" in {u["name"] for u in listed}
    assert all("token" not in u for u in listed)


def test_national_role_needs_a_known_nation(api: Api) -> None:
    admin = api.client("admin")
    r = admin.post("/api/v1/users", json={"name": "x", "role": "donor"})
    assert r.status_code == 422
    assert r.json()["field"] == "nation"
    r = admin.post("/api/v1/users", json={"name": "x", "role": "donor", "nation": "ZZZ"})
    assert r.status_code == 422
    assert r.json()["field"] == "nation"
