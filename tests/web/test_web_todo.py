"""The dashboard's home page shows the caller's to-do list (as ``GET /api/v1/todo``)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from web.test_web_pages import Web, web  # noqa: F401  (the fixture)


def test_the_home_page_lists_what_waits_on_the_caller(web: Web) -> None:  # noqa: F811
    coord = TestClient(web.app, headers={"Authorization": f"Bearer {web.tokens['coord']}"})
    ids = coord.post("/api/v1/allocation-runs", json={"as_of": "2023-06-01"}).json()[
        "allocation_ids"
    ]
    html = web.signed_in("coord").get("/").text
    assert "Your to-do list" in html and "Proposed allocations to accept" in html
    assert f"({len(ids)})" in html and ids[0] in html
    ukr = web.signed_in("ukr").get("/").text
    assert "Deliveries to confirm" in ukr and "Proposed allocations to accept" not in ukr
    assert ids[0] not in ukr  # a proposal is not the recipient's to act on
