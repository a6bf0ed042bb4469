"""The OpenAPI document says what the server does (issue 20, item 17): the page-size
limit comes from the same options, the Idempotency-Key format is declared and enforced
as declared, and a 405 names every method the path allows."""

from __future__ import annotations

import re
from typing import Any

from allied.bootstrap import Store
from allied.entrypoints.api import ApiOptions
from api.conftest import Api, make_api


def _limit_schemas(openapi: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for item in openapi["paths"].values():
        for op in item.values():
            for param in op.get("parameters", []):
                if param["in"] == "query" and param["name"] == "limit":
                    found.append(param["schema"])
    return found


def _integer(schema: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in schema.get("anyOf", [schema]) if s.get("type") == "integer")


def test_the_documented_page_limit_is_the_servers(store: Store) -> None:
    api = make_api(store, ApiOptions(max_page_size=120, default_page_size=20))
    try:
        coord = api.client("coord")
        openapi = coord.get("/api/v1/openapi.json").json()
        limits = _limit_schemas(openapi)
        assert len(limits) >= 8
        for schema in limits:
            assert _integer(schema)["maximum"] == 120 and _integer(schema)["minimum"] == 1
        assert coord.get("/api/v1/offers", params={"limit": 120}).status_code == 200
        r = coord.get("/api/v1/offers", params={"limit": 121})
        assert r.status_code == 422 and r.json()["field"] == "limit"
    finally:
        api.app.state.ctx.close()


def test_the_default_page_limit_is_documented_as_200(api: Api) -> None:
    openapi = api.client("coord").get("/api/v1/openapi.json").json()
    assert {_integer(s)["maximum"] for s in _limit_schemas(openapi)} == {200}


def test_the_idempotency_key_format_is_declared_and_enforced(api: Api) -> None:
    coord = api.client("coord")
    openapi = coord.get("/api/v1/openapi.json").json()
    declared = set()
    for item in openapi["paths"].values():
        for op in item.values():
            for param in op.get("parameters", []):
                if param["name"] == "Idempotency-Key":
                    schema = next(s for s in param["schema"].get("anyOf", [param["schema"]])
                                  if s.get("type") == "string")
                    declared.add(schema["pattern"])
    assert len(declared) == 1
    pattern = re.compile(declared.pop())
    body = {"as_of": "2024-06-01"}
    for key, ok in (("run-1", True), ("has space", False), ("x" * 201, False)):
        assert bool(pattern.search(key)) is ok, key
        r = coord.post("/api/v1/allocation-runs", json=body, headers={"Idempotency-Key": key})
        assert (r.status_code == 201) is ok, (key, r.text)
        if not ok:
            assert r.status_code == 422 and r.json()["field"] == "Idempotency-Key", r.text


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _allowed(client: Any, path: str) -> set[str]:
    """The methods the server does not answer 405 on ``path``."""
    return {m for m in METHODS if client.request(m, path).status_code != 405}


def test_a_405_names_every_method_the_path_allows(api: Api) -> None:
    coord = api.client("coord")
    openapi = coord.get("/api/v1/openapi.json").json()
    checked = 0
    paths = [re.sub(r"{[^}]+}", "x", t) for t in openapi["paths"]] + ["/requests", "/login"]
    for path in paths:
        allowed = _allowed(coord, path)
        refused = [m for m in ("DELETE", "PUT", "PATCH") if m not in allowed]
        for method in refused:
            r = coord.request(method, path)
            header = {m.strip() for m in r.headers["allow"].split(",")}
            assert header == allowed, (method, path, header, allowed)
            checked += 1
    assert checked > 30
    openapi_methods = {m.upper() for m in openapi["paths"]["/api/v1/offers"]}
    assert openapi_methods == {"GET", "POST"} <= _allowed(coord, "/api/v1/offers")
