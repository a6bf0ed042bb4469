"""The API list pages take ``q`` (search) and ``sort`` (a column, ``-`` for descending,
the id breaking ties) besides their filters and window; a bad sort is a 422 naming it."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from api.conftest import Api


def _all(client: Any, path: str, **params: Any) -> list[dict[str, Any]]:
    r = client.get(path, params={**params, "limit": 200})
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


@pytest.mark.parametrize(
    "path,column",
    [
        ("/api/v1/requests", "quantity"),
        ("/api/v1/requests", "needed_by"),
        ("/api/v1/requests", "outstanding"),
        ("/api/v1/offers", "available"),
        ("/api/v1/offers", "donor"),
        ("/api/v1/allocations", "recipient"),
        ("/api/v1/consents", "requested_on"),
    ],
)
def test_sort_orders_by_the_column_then_id(api: Api, path: str, column: str) -> None:
    coord = api.client("coord")
    ids = [r["id"] for r in _all(coord, path)]
    assert ids == sorted(ids)
    for desc in (False, True):
        rows = _all(coord, path, sort=("-" if desc else "") + column)
        assert sorted(r["id"] for r in rows) == sorted(ids)  # the same set
        keys = [(r[column] is not None, r[column]) for r in rows]
        assert keys == sorted(keys, reverse=desc)
        for a, b in itertools.pairwise(rows):
            if a[column] == b[column]:
                assert a["id"] < b["id"]


def test_pages_walk_the_sorted_list(api: Api) -> None:
    coord = api.client("coord")
    whole = [r["id"] for r in _all(coord, "/api/v1/offers", sort="-quantity")]
    walked: list[str] = []
    offset = 0
    while True:
        r = coord.get("/api/v1/offers", params={"sort": "-quantity", "limit": 4,
                                                  "offset": offset})
        body = r.json()
        assert body["total"] == len(whole)
        if not body["items"]:
            break
        walked += [x["id"] for x in body["items"]]
        offset += 4
    assert walked == whole


def test_search_finds_text_in_id_item_type_and_notes(api: Api) -> None:
    coord = api.client("coord")
    made = coord.post(
        "/api/v1/requests",
        json={"id": "R-SEARCH-1", "recipient": "UKR", "family": "atgm", "quantity": 5,
              "needed_by": "2024-09-01", "notes": "Winter Kit for the northern brigade"},
    )
    assert made.status_code == 201, made.text
    found = _all(coord, "/api/v1/requests", q="northern BRIGADE")
    assert [r["id"] for r in found] == ["R-SEARCH-1"]
    assert [r["id"] for r in _all(coord, "/api/v1/requests", q="search-1")] == ["R-SEARCH-1"]
    assert _all(coord, "/api/v1/requests", q="no such text anywhere") == []
    # a search never reveals what the caller may not see
    assert _all(api.client("est"), "/api/v1/requests", q="%") == _all(
        api.client("est"), "/api/v1/requests", q="%")
    est_all = {r["id"] for r in _all(api.client("est"), "/api/v1/requests")}
    assert {r["id"] for r in _all(api.client("est"), "/api/v1/requests", q="R")} <= est_all


@pytest.mark.parametrize("path", ["/api/v1/requests", "/api/v1/offers", "/api/v1/allocations",
                                  "/api/v1/consents"])
def test_a_sort_not_listed_is_refused_naming_it(api: Api, path: str) -> None:
    r = api.client("coord").get(path, params={"sort": "releasability"})
    assert r.status_code == 422
    assert "sort" in r.text
