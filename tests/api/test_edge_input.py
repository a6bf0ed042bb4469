"""Input checked at the edge: a NUL or other control character in any path or query
parameter of any route is the caller's mistake (422 naming the parameter), never a
storage failure (it used to answer 503 on PostgreSQL and log an ERROR)."""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from api.conftest import Api

BAD = "a\x00b"


def _query_names(dependant: Dependant) -> list[str]:
    names = [p.alias for p in dependant.query_params]
    for sub in dependant.dependencies:
        names += _query_names(sub)
    return names


def _walk(routes: list[Any]) -> list[APIRoute]:
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):  # an included router
            found += _walk(route.original_router.routes)
    return found


def _routes(api: Api) -> list[APIRoute]:
    return _walk(list(api.app.routes))


def _path_with(route: APIRoute, bad: str | None) -> str:
    """The route's path with each parameter filled (``bad`` for the first one)."""
    names = re.findall(r"{(\w+)(?::\w+)?}", route.path)
    path = route.path
    for i, name in enumerate(names):
        value = bad if (i == 0 and bad is not None) else "x"
        path = re.sub("{" + name + r"(?::\w+)?}", quote(value, safe=""), path)
    return path


def test_a_nul_in_any_path_parameter_is_refused_naming_it(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    coord = api.client("coord")
    checked = 0
    caplog.set_level(logging.ERROR)
    for route in _routes(api):
        names = re.findall(r"{(\w+)(?::\w+)?}", route.path)
        if not names:
            continue
        for method in sorted(route.methods or ()):
            r = coord.request(method, _path_with(route, BAD), json={})
            assert r.status_code == 422, (method, route.path, r.status_code, r.text)
            if route.path.startswith("/api/"):
                assert r.json()["field"] == names[0], (route.path, r.json())
            else:
                assert names[0] in r.text
            checked += 1
    assert checked >= 12
    assert not [rec for rec in caplog.records if rec.levelno >= logging.ERROR]


def test_a_nul_in_any_query_parameter_is_refused_naming_it(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    coord = api.client("coord")
    checked = 0
    caplog.set_level(logging.ERROR)
    for route in _routes(api):
        for name in _query_names(route.dependant):
            for method in sorted(route.methods or ()):
                r = coord.request(
                    method, _path_with(route, None), params={name: BAD}, json={}
                )
                assert r.status_code == 422, (method, route.path, name, r.text)
                if route.path.startswith("/api/"):
                    assert r.json()["field"] == name, (route.path, r.json())
                checked += 1
    assert checked >= 20
    assert not [rec for rec in caplog.records if rec.levelno >= logging.ERROR]


def test_other_control_characters_and_unknown_parameters_too(api: Api) -> None:
    coord = api.client("coord")
    r = coord.get("/api/v1/offers", params={"family": "atgm\x1b[31m"})
    assert r.status_code == 422 and r.json()["field"] == "family"
    r = coord.get("/api/v1/offers", params={"nonsense\x00": "1"})
    assert r.status_code == 422 and r.json()["field"] == "query"
    r = coord.get("/api/v1/offers/OFF%00")
    assert r.status_code == 422 and r.json()["field"] == "offer_id"
    # ordinary text still passes, with tabs and accents
    assert coord.get("/api/v1/offers", params={"family": "atgm"}).status_code == 200
    assert coord.get("/api/v1/offers/caf%C3%A9").status_code == 404


def test_an_id_with_a_slash_is_refused_when_created(api: Api) -> None:
    coord = api.client("coord")
    offer = {"id": "OFF/1", "donor": "EST", "family": "atgm", "quantity": 3,
             "available_from": "2024-01-01"}
    r = coord.post("/api/v1/offers", json=offer)
    assert r.status_code == 422 and r.json()["field"] == "id", r.text
    request = {"id": "REQ/1", "recipient": "UKR", "family": "atgm", "quantity": 3,
               "needed_by": "2024-09-01"}
    r = coord.post("/api/v1/requests", json=request)
    assert r.status_code == 422 and r.json()["field"] == "id", r.text
    proposal = {"id": "P/1", "forum": "NATO", "rule": "consensus-silence", "title": "t",
                "deadline": "2024-09-01"}
    r = coord.post("/api/v1/proposals", json=proposal)
    assert r.status_code == 422 and r.json()["field"] == "id", r.text


@pytest.mark.parametrize("field", ["notes", "id"])
def test_a_lone_surrogate_in_a_body_is_refused_naming_the_field(
    api: Api, caplog: pytest.LogCaptureFixture, field: str
) -> None:
    """``"\\ud800"`` is valid JSON but no character: it cannot be stored or hashed as
    UTF-8, so it is the caller's mistake (422 naming the field), never a server error."""
    caplog.set_level(logging.ERROR)
    body = {"id": "UKR-SUR-1", "recipient": "UKR", "family": "atgm", "quantity": 5,
            "needed_by": "2024-09-01", "notes": "fine"}
    body[field] = "a\ud800b"
    raw = json.dumps(body)  # ensure_ascii: the surrogate travels as the escape \ud800
    assert "\\ud800" in raw
    r = api.client("ukr").post("/api/v1/requests", content=raw,
                               headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert field in str(r.json()["field"])
    assert not [rec for rec in caplog.records if rec.levelno >= logging.ERROR]
    assert api.client("ukr").get("/api/v1/requests/UKR-SUR-1").status_code == 404
