"""``GET /api/v1/todo`` answers each section a page (issue 19): its first ``limit`` items
(default 20, as the home page shows; at most the app's page size) and how many there are
(``total``), where it used to answer every item of every section."""

from __future__ import annotations

from typing import Any

from allied.bootstrap import Store
from allied.entrypoints.api import ApiOptions
from api.conftest import Api, make_api


def _sections(api: Api, user: str, **params: Any) -> dict[str, dict[str, Any]]:
    r = api.client(user).get("/api/v1/todo", params=params)
    assert r.status_code == 200, r.text
    return {s["name"]: s for s in r.json()["sections"]}


def test_each_section_answers_its_first_items_and_their_total(api: Api) -> None:
    for user in ("coord", "ukr", "gbr", "deu"):
        every = _sections(api, user, limit=200)
        for s in every.values():
            assert s["total"] == len(s["items"]), (user, s["name"])
        for limit in (1, 2):
            paged = _sections(api, user, limit=limit)
            assert paged.keys() == every.keys()
            for name, s in paged.items():
                assert s["total"] == every[name]["total"], (user, name)
                assert s["items"] == every[name]["items"][:limit], (user, name, limit)
    # the reference data has a section longer than one item, so the page cut something
    assert any(s["total"] > 1 for s in _sections(api, "coord", limit=200).values())


def test_the_default_is_the_home_pages_twenty(api: Api) -> None:
    every = _sections(api, "coord", limit=200)
    for name, s in _sections(api, "coord").items():
        assert s["items"] == every[name]["items"][:20]
        assert s["total"] == every[name]["total"]


def test_a_bad_limit_names_the_field(store: Store) -> None:
    api = make_api(store, ApiOptions(max_page_size=50, default_page_size=10))
    try:
        coord = api.client("coord")
        for bad in (0, 51, "many"):
            r = coord.get("/api/v1/todo", params={"limit": bad})
            assert r.status_code == 422 and r.json()["field"] == "limit", (bad, r.text)
        assert coord.get("/api/v1/todo", params={"limit": 50}).status_code == 200
        openapi = coord.get("/api/v1/openapi.json").json()
        (param,) = [p for p in openapi["paths"]["/api/v1/todo"]["get"]["parameters"]
                    if p["name"] == "limit"]
        assert "1 to 50 (default 20)" in param["description"]
        assert param["schema"]["maximum"] == 50
        section = openapi["components"]["schemas"]["TodoSection"]
        assert "total" in section["required"]
    finally:
        api.app.state.ctx.close()
