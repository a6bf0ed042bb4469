"""Accepting a plan line (a ``proposed`` allocation, to ``pledged``) for a request that
has since passed its needed-by date by more than the grace period (90 days, a pledge's
terms: the expiry job would expire it) is refused, naming the request and its date, on
the API, the dashboard and the command line (one check, in the service); a line for a
request a few days late is still accepted, as a late pledge is."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from allied.adapters.db.repository_users import SqlServiceUnitOfWork, service_sessions
from allied.bootstrap import Store
from allied.domain.lifecycle import DEFAULT_GRACE_DAYS
from allied.entrypoints.api import create_app
from allied.entrypoints.cli.app import app as cli
from allied.service import access
from allied.service.caller import Caller
from allied.service.users import add_user
from web.support import TODAY
from web.test_web_pages import USERS, Web

NEEDED_BY = TODAY + dt.timedelta(days=10)


def _line_for_new_request(web: Web) -> tuple[str, str]:
    """A request needed by NEEDED_BY, an offer for it, and the plan line the optimiser
    draws between them today: (allocation id, request id)."""
    coord = web.caller("coord")
    rid = access.create_request(web.uow(), web.caller("ukr"), TODAY, {
        "recipient": "UKR", "family": "120mm-mortar", "quantity": 7, "priority": 5,
        "needed_by": NEEDED_BY.isoformat(), "releasability": "public"})["id"]
    access.create_offer(web.uow(), web.caller("est"), TODAY, {
        "donor": "EST", "family": "120mm-mortar", "quantity": 7,
        "available_from": TODAY.isoformat(), "releasability": "public"})
    access.run_allocation(web.uow(), coord, as_of=TODAY)
    with web.uow() as uow:
        lines = [a.id for a in uow.allocations.list(request_id=rid)
                 if a.status.value == "proposed"]
    assert lines, "the optimiser proposed a line for the new request"
    return lines[0], rid


@pytest.fixture
def late_web(store: Store) -> tuple[Web, list[dt.date]]:
    """The app with a clock the test moves."""
    day = [TODAY]
    app = create_app(store=store, today=lambda: day[0])
    tokens = {
        name: add_user(SqlServiceUnitOfWork(service_sessions(store.engine)),
                       Caller("test-admin"), name=name, role=role, nation=nation).token
        for name, (role, nation) in USERS.items()
    }
    return Web(app, store, tokens), day


def _refused(message: str, rid: str, on: dt.date) -> None:
    assert rid in message and f"needed by {NEEDED_BY.isoformat()}" in message, message
    assert f"today ({on.isoformat()})" in message, message


def test_the_api_and_the_dashboard_refuse_a_line_of_an_overdue_request(
    late_web: tuple[Web, list[dt.date]],
) -> None:
    web, day = late_web
    aid, rid = _line_for_new_request(web)
    late = NEEDED_BY + dt.timedelta(days=DEFAULT_GRACE_DAYS + 1)
    day[0] = late
    api = web.anonymous()
    api.headers["Authorization"] = f"Bearer {web.tokens['coord']}"
    one = api.post(f"/api/v1/allocations/{aid}/transitions", json={"to": "pledged"})
    assert one.status_code == 422, one.text
    assert one.json()["field"] == "request"
    _refused(one.json()["message"], rid, late)
    bulk = api.post("/api/v1/allocations/transitions", json=[{"allocation": aid, "to": "pledged"}])
    assert bulk.status_code == 422 and bulk.json()["field"] == "0.request", bulk.text
    # the dashboard: the plan's accept button and the allocation's move button
    coord = web.signed_in("coord")
    page = coord.post("/allocation/plan", data={"to": "pledged", "ids": [aid],
                                                "csrf": web.csrf("coord")})
    assert page.status_code == 422 and "error-summary" in page.text
    _refused(" ".join(page.text.split()), rid, late)
    moved = coord.post(f"/allocations/{aid}/move", data={"to": "pledged",
                                                          "csrf": web.csrf("coord")})
    assert moved.status_code == 422
    _refused(" ".join(moved.text.split()), rid, late)
    with web.uow() as uow:
        line = uow.allocations.get(aid)
        assert line is not None and line.status.value == "proposed"  # nothing moved
    # on the grace's last day it is accepted
    day[0] = NEEDED_BY + dt.timedelta(days=DEFAULT_GRACE_DAYS)
    done = api.post(f"/api/v1/allocations/{aid}/transitions", json={"to": "pledged"})
    assert done.status_code == 200 and done.json()["status"] == "pledged", done.text


def test_the_cli_refuses_a_line_of_an_overdue_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    monkeypatch.setenv("ALLIED_DATABASE_URL", f"sqlite:///{tmp_path / 'allied.db'}")
    assert runner.invoke(cli, ["data", "load"]).exit_code == 0

    def run(*args: str) -> Any:
        done = runner.invoke(cli, [*args, "--format", "json"])
        assert done.exit_code == 0, done.output
        return json.loads(done.stdout)

    plan = run("allocate", "--as-of", "2023-01-01")
    requests = {r["id"]: r for r in run("request", "list")}
    line = next(a for a in plan["allocations"]
                if requests[a["request"]]["needed_by"] >= "2023-01-01")
    aid = plan["allocation_ids"][plan["allocations"].index(line)]
    needed = dt.date.fromisoformat(requests[line["request"]]["needed_by"])
    after = (needed + dt.timedelta(days=DEFAULT_GRACE_DAYS + 1)).isoformat()
    refused = runner.invoke(cli, ["allocation", "advance", aid, "--to", "pledged",
                                  "--on", after])
    assert refused.exit_code == 2, refused.output
    said = " ".join(refused.output.split())
    assert f"request {line['request']} was needed by {needed.isoformat()}" in said
    assert "Traceback" not in said
    within = (needed + dt.timedelta(days=3)).isoformat()  # a few days late: accepted
    ok = run("allocation", "advance", aid, "--to", "pledged", "--on", within)
    assert ok[0]["status"] == "pledged"
