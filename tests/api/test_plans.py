"""Plans accepted as plans: a dry-run preview, then many moves in one transaction."""

from __future__ import annotations

from api.conftest import TODAY, Api
from needs import confirm_needs


def _count(api: Api) -> tuple[int, int]:
    coord = api.client("coord")
    allocations = coord.get("/api/v1/allocations", params={"limit": 1}).json()["total"]
    entries = coord.get("/api/v1/ledger/verify").json()["entries"]
    return allocations, entries


def test_preview_writes_nothing_and_a_plan_is_accepted_in_one_call(api: Api) -> None:
    confirm_needs(api.uow, TODAY)  # accepted lines: needs not past
    coord = api.client("coord")
    before = _count(api)
    preview = coord.post("/api/v1/allocation-runs/preview", json={"as_of": "2023-06-01"})
    assert preview.status_code == 200, preview.text
    plan = preview.json()
    assert plan["recorded"] is False and plan["allocation_ids"] == []
    assert len(plan["allocations"]) > 2
    assert _count(api) == before  # a preview records nothing
    assert api.client("est").post(
        "/api/v1/allocation-runs/preview", json={"as_of": "2023-06-01"}
    ).status_code == 403

    run = coord.post("/api/v1/allocation-runs", json={"as_of": "2023-06-01"}).json()
    assert [(a["offer"], a["request"], a["quantity"]) for a in run["allocations"]] == [
        (a["offer"], a["request"], a["quantity"]) for a in plan["allocations"]
    ]  # the same data gives the plan previewed
    ids = run["allocation_ids"]
    moved = coord.post(
        "/api/v1/allocations/transitions", json=[{"allocation": i, "to": "pledged"} for i in ids]
    )
    assert moved.status_code == 200, moved.text
    assert [(a["id"], a["status"]) for a in moved.json()] == [(i, "pledged") for i in ids]
    assert _count(api)[1] == before[1] + 1 + len(ids)  # the run, then one entry per move
    assert coord.get("/api/v1/ledger/verify").json()["intact"] is True


def test_all_or_nothing_and_the_error_names_the_item(api: Api) -> None:
    confirm_needs(api.uow, TODAY)  # accepted lines: needs not past
    coord = api.client("coord")
    ids = coord.post("/api/v1/allocation-runs", json={"as_of": "2023-06-01"}).json()[
        "allocation_ids"
    ]
    before = _count(api)
    body = [{"allocation": ids[0], "to": "pledged"}, {"allocation": ids[1], "to": "shipped"}]
    r = coord.post("/api/v1/allocations/transitions", json=body)
    assert r.status_code == 409 and r.json()["error"] == "illegal-transition", r.text
    assert r.json()["message"].startswith(f"item 1 (allocation {ids[1]}): ")
    assert coord.get(f"/api/v1/allocations/{ids[0]}").json()["status"] == "proposed"
    assert _count(api) == before  # nothing of the first move stayed

    missing = coord.post(
        "/api/v1/allocations/transitions",
        json=[{"allocation": ids[0], "to": "pledged"}, {"allocation": "AL-NOPE", "to": "pledged"}],
    )
    assert missing.status_code == 404 and "item 1 (allocation AL-NOPE)" in missing.json()["message"]
    twice = coord.post(
        "/api/v1/allocations/transitions",
        json=[{"allocation": ids[0], "to": "pledged"}, {"allocation": ids[0], "to": "withdrawn"}],
    )
    assert twice.status_code == 422 and twice.json()["field"] == "1.allocation"
    bad = coord.post("/api/v1/allocations/transitions", json=[{"allocation": ids[0], "to": "x"}])
    assert bad.status_code == 422 and "to" in bad.json()["field"]
    assert coord.post("/api/v1/allocations/transitions", json=[]).status_code == 422
    assert _count(api) == before


def test_each_move_is_checked_as_a_single_one(api: Api) -> None:
    confirm_needs(api.uow, TODAY)  # accepted lines: needs not past
    coord, ukr = api.client("coord"), api.client("ukr")
    ids = coord.post("/api/v1/allocation-runs", json={"as_of": "2023-06-01"}).json()[
        "allocation_ids"
    ]
    # a recipient may not pledge (accept a plan); it is told which item
    r = ukr.post("/api/v1/allocations/transitions", json=[{"allocation": ids[0], "to": "pledged"}])
    assert r.status_code == 403 and r.json()["message"].startswith("item 0 ")
    assert api.client("deu").post(
        "/api/v1/allocations/transitions", json=[{"allocation": ids[0], "to": "pledged"}]
    ).status_code == 403


def test_a_bulk_move_records_each_line_s_reason(api: Api) -> None:
    confirm_needs(api.uow, TODAY)  # accepted lines: needs not past
    coord = api.client("coord")
    ids = coord.post("/api/v1/allocation-runs", json={"as_of": "2023-06-01"}).json()[
        "allocation_ids"
    ]
    head = coord.get("/api/v1/ledger/verify").json()["entries"]
    body = [
        {"allocation": ids[0], "to": "rejected", "reason": "the request was met bilaterally"},
        {"allocation": ids[1], "to": "rejected"},
    ]
    moved = coord.post("/api/v1/allocations/transitions", json=body)
    assert moved.status_code == 200, moved.text
    entries = coord.get("/api/v1/ledger/entries", params={"after": head, "limit": 10}).json()
    payloads = [e["payload"] for e in entries["items"]]
    assert len(payloads) == 2
    assert payloads[0]["id"] == ids[0]
    assert payloads[0]["reason"] == "the request was met bilaterally"
    assert payloads[1]["id"] == ids[1] and "reason" not in payloads[1]
    # a reason that is not text, or holds a NUL, is refused naming the item's field
    bad = coord.post("/api/v1/allocations/transitions",
                     json=[{"allocation": ids[2], "to": "rejected", "reason": 3}])
    assert bad.status_code == 422 and "reason" in bad.json()["field"]
    nul = coord.post("/api/v1/allocations/transitions",
                     json=[{"allocation": ids[2], "to": "rejected", "reason": "a\u0000b"}])
    assert nul.status_code == 422 and "reason" in nul.json()["field"]
    assert coord.get(f"/api/v1/allocations/{ids[2]}").json()["status"] == "proposed"
