"""Issue 18's "done when": one full cycle through the HTTP API across five users of five
nations and roles, on SQLite and PostgreSQL (``store`` runs on both when
``ALLIED_TEST_POSTGRES_URL`` is set), checking at each step what every other user can
and cannot see, and that the ledger verifies.

The five: the recipient (UKR), a donor (GBR), the origin state of the donor's item (DEU),
the coordinator (NLD), and a bystander donor (EST); the auditor checks the ledger.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from allied.adapters.db.repository_users import SqlServiceUnitOfWork, service_sessions
from allied.bootstrap import Store
from allied.service import access
from allied.service.caller import Caller
from api.conftest import Api, make_api

FAMILY = "radar"  # no reference record uses it
FIVE = ("ukr", "gbr", "deu", "cell", "est")
EVERYONE = (*FIVE, "admin")


def _sees(api: Api, path: str, expected: set[str]) -> None:
    """Exactly ``expected`` (of the five and the admin) get ``path``; the others 404."""
    got = {u for u in EVERYONE if api.client(u).get(path).status_code == 200}
    assert got == expected, path
    for u in set(EVERYONE) - expected:
        assert api.client(u).get(path).status_code in (403, 404), (u, path)


def _intact(api: Api) -> None:
    assert api.client("audit").get("/api/v1/ledger/verify").json()["intact"] is True


def _todo(api: Api, user: str, section: str) -> list[dict[str, Any]]:
    out = api.client(user).get("/api/v1/todo", params={"limit": 200})
    assert out.status_code == 200, out.text
    (found,) = [s for s in out.json()["sections"] if s["name"] == section]
    return list(found["items"])


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_one_full_cycle_across_five_users(store: Store) -> None:
    api = make_api(store)
    api.add_user("cell", "coordinator", "NLD")
    ukr, gbr, deu, cell = (api.client(u) for u in FIVE[:4])

    # 1. the recipient posts its requests with the default releasability (one it filed
    # last autumn, needed by 2023-12-01: a request is needed by the day it is filed or later)
    for rid, qty, needed in (("UKR-R1", 10, "2024-12-31"), ("UKR-R2", 5, "2024-12-31")):
        made = _ok(ukr.post("/api/v1/requests", json={
            "id": rid, "recipient": "UKR", "family": FAMILY, "quantity": qty,
            "needed_by": needed}), 201)
        assert made["releasability"] == "support"
    old_uow = SqlServiceUnitOfWork(service_sessions(store.engine))
    made = access.create_request(old_uow, Caller("ukr", "UKR", "recipient"), dt.date(2023, 11, 1), {
        "id": "UKR-OLD", "recipient": "UKR", "family": FAMILY, "quantity": 4, "priority": 3,
        "needed_by": "2023-12-01"})
    assert made["releasability"] == "support"
    # 2. a donor of another nation sees it with default settings (every supporter does)
    _sees(api, "/api/v1/requests/UKR-R1", {"ukr", "gbr", "deu", "cell", "est"})
    _intact(api)

    # 3. the donor offers an owner-only offer of an item made by a third state
    offer = _ok(gbr.post("/api/v1/offers", json={
        "donor": "GBR", "family": FAMILY, "quantity": 30, "available_from": "2024-01-01",
        "origin": "DEU", "caveats": "GBR-internal note", "releasability": "owner"}), 201)["id"]
    _sees(api, f"/api/v1/offers/{offer}", {"gbr", "cell"})

    # 4. the coordinator previews a plan (nothing written), records it, accepts in bulk
    before = _ok(cell.get("/api/v1/ledger/verify"))["entries"]
    run_body = {"as_of": "2024-06-01", "allow_pending_consent": True}
    preview = _ok(cell.post("/api/v1/allocation-runs/preview", json=run_body))
    assert preview["recorded"] is False
    assert _ok(cell.get("/api/v1/ledger/verify"))["entries"] == before
    run = _ok(cell.post("/api/v1/allocation-runs", json=run_body), 201)
    ours = {a["request"]: a for a in _ok(cell.get(
        "/api/v1/allocations", params={"offer": offer, "limit": 200}))["items"]}
    assert set(ours) == {"UKR-R1", "UKR-R2", "UKR-OLD"}
    assert {a["id"] for a in ours.values()} <= set(run["allocation_ids"])
    a1, a2, a3 = (ours[r]["id"] for r in ("UKR-R1", "UKR-R2", "UKR-OLD"))
    proposed = [a["id"] for a in _todo(api, "cell", "proposed_to_accept")]
    assert {a1, a2, a3} <= set(proposed)
    moved = _ok(cell.post("/api/v1/allocations/transitions",
                          json=[{"allocation": a1, "to": "pledged"}]))
    assert [m["status"] for m in moved] == ["pledged"]
    # the recipient sees the allocation made to it (not the offer); others do not
    _sees(api, f"/api/v1/allocations/{a1}", {"ukr", "gbr", "cell"})
    _sees(api, f"/api/v1/offers/{offer}", {"gbr", "cell"})
    _intact(api)

    # 5. the donor asks for consent; the origin sees item and quantity in its to-do list
    _ok(gbr.post(f"/api/v1/allocations/{a1}/transitions", json={"to": "consent-pending"}))
    (ask,) = _todo(api, "deu", "consents_to_answer")
    assert (ask["family"], ask["quantity"], ask["holder"], ask["recipient"],
            ask["allocations"]) == (FAMILY, 10, "GBR", "UKR", [a1])
    assert ask["days_waited"] == 0
    holding = _todo(api, "gbr", "consents_holding_pledges")
    assert [(h["id"], h["blocked_by"]) for h in holding] == [(a1, ["DEU"])]
    _sees(api, f"/api/v1/allocations/{a1}", {"ukr", "gbr", "deu", "cell"})
    _sees(api, f"/api/v1/consents/{ask['id']}", {"ukr", "gbr", "deu", "cell"})
    assert _todo(api, "est", "consents_holding_pledges") == []
    # an answer needs a reason, which the ledger records
    no_reason = deu.post(f"/api/v1/consents/{ask['id']}/answer", json={"answer": "granted"})
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    _ok(deu.post(f"/api/v1/consents/{ask['id']}/answer",
                 json={"answer": "granted", "reason": "air defence of Ukrainian cities"}))
    assert _todo(api, "deu", "consents_to_answer") == []
    assert _ok(cell.get(f"/api/v1/allocations/{a1}"))["status"] == "approved"
    _intact(api)

    # 6. the donor ships
    assert [p["id"] for p in _todo(api, "gbr", "pledges_to_ship")] == [a1]
    _ok(gbr.post(f"/api/v1/allocations/{a1}/transitions", json={"to": "shipped"}))

    # 7. the recipient sees it in its to-do list, confirms receipt, sends one for repair
    (delivery,) = _todo(api, "ukr", "deliveries_to_confirm")
    assert (delivery["id"], delivery["donor"], delivery["quantity"]) == (a1, "GBR", 10)
    assert "caveats" not in delivery
    _ok(ukr.post(f"/api/v1/allocations/{a1}/transitions", json={"to": "delivered"}))
    assert _todo(api, "ukr", "deliveries_to_confirm") == []
    _ok(ukr.post(f"/api/v1/allocations/{a1}/transitions", json={"to": "in-repair"}))
    _ok(gbr.post(f"/api/v1/allocations/{a1}/transitions", json={"to": "returned"}))
    assert [b["id"] for b in _todo(api, "ukr", "back_from_repair")] == [a1]
    assert _ok(ukr.get("/api/v1/requests/UKR-R1"))["pledged"] == 10
    _sees(api, f"/api/v1/allocations/{a1}", {"ukr", "gbr", "deu", "cell"})
    _intact(api)

    # 8. the coordinator amends, then withdraws another request: its proposed allocation falls
    amended = _ok(cell.patch("/api/v1/requests/UKR-R2", json={"quantity": 6, "priority": 5}))
    assert (amended["quantity"], amended["priority"]) == (6, 5)
    withdrawn = _ok(cell.post("/api/v1/requests/UKR-R2/withdraw", json={"reason": "covered"}))
    assert withdrawn["status"] == "withdrawn"
    assert _ok(cell.get(f"/api/v1/allocations/{a2}"))["status"] == "withdrawn"
    _sees(api, "/api/v1/requests/UKR-R2", {"ukr", "gbr", "deu", "cell", "est"})
    _intact(api)

    # 9. an overdue request expires (the system's job), and its proposal with it
    assert _ok(ukr.get("/api/v1/requests/UKR-OLD"))["status"] == "open"  # reads change nothing
    expired = _ok(cell.post("/api/v1/expiry", json={"grace_days": 90}))
    (old,) = [r for r in expired["requests"] if r["id"] == "UKR-OLD"]
    assert old["dropped"] == [a3]
    assert _ok(ukr.get("/api/v1/requests/UKR-OLD"))["status"] == "expired"
    refused = gbr.post("/api/v1/pledges", json={"offer": offer, "request": "UKR-OLD",
                                                "quantity": 1})
    assert refused.status_code == 409
    _intact(api)

    # the ledger names who did what, as which nation
    kinds = {(e["kind"], e["nation"]) for e in _entries(api)}
    assert {("request.created", "UKR"), ("consent.granted", "DEU"),
            ("allocation.delivered", "UKR"), ("request.withdrawn", "NLD"),
            ("request.expired", "NLD"), ("allocation.shipped", "GBR")} <= kinds
    api.app.state.ctx.close()


def _entries(api: Api) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    audit = api.client("audit")
    while True:
        page = audit.get("/api/v1/ledger/entries",
                         params={"after": out[-1]["seq"] if out else 0, "limit": 200}).json()
        out += page["items"]
        if len(page["items"]) < 200:
            return out
