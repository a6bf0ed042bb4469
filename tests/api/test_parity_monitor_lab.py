"""API parity with the CLI: the monitor's record (read, extract, review) and lab runs as
jobs with progress (the examples of docs/api.md, "The monitor and the lab")."""

from __future__ import annotations

import ast
import json
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from allied.entrypoints.api.labjobs import LabJobs
from allied.entrypoints.cli.app import app as cli
from allied.service.lab import LabSlots
from api.conftest import Api

TEXT = (
    "Germany will provide Ukraine with more IRIS-T air defence systems, the government "
    "said on 12 May 2024. Poland called for more sanctions on Russia."
)
SRC = Path(__file__).resolve().parents[2] / "src" / "allied" / "entrypoints"


def _extract(client: TestClient, **body: Any) -> Any:
    return client.post(
        "/api/v1/monitor/extract", json={"document": "note-1", "text": TEXT, **body}
    )


def test_extract_reads_and_saves_for_review(api: Api) -> None:
    coord, audit = api.client("coord"), api.client("audit")
    dry = _extract(coord)
    assert dry.status_code == 200, dry.text
    found = {(e["actor"], e["type"], e["target"]) for e in dry.json()["events"]}
    assert ("DEU", "provide", "UKR") in found and ("POL", "call-for", "RUS") in found
    assert dry.json()["date"] == "2024-05-12" and dry.json()["recorded"] is None
    # a read: nothing recorded
    assert coord.get("/api/v1/monitor/events").json()["total"] == 0
    assert _extract(audit).status_code == 200  # the auditor reads, does not record
    assert _extract(audit, save=True).status_code == 403
    assert _extract(api.client("ukr")).status_code == 403
    saved = _extract(coord, save=True)
    assert saved.status_code == 200, saved.text
    assert saved.json()["recorded"] == {"added": len(found), "skipped": 0}
    again = _extract(coord, save=True).json()["recorded"]
    assert again == {"added": 0, "skipped": len(found)}
    listed = audit.get("/api/v1/monitor/events", params={"status": "proposed"}).json()
    assert listed["total"] == len(found) and listed["items"][0]["status"] == "proposed"
    page = audit.get("/api/v1/monitor/events", params={"limit": 1, "offset": 1}).json()
    assert (len(page["items"]), page["total"], page["offset"]) == (1, len(found), 1)
    assert audit.get("/api/v1/monitor/events", params={"document": "other"}).json()[
        "total"] == 0
    one = listed["items"][0]["id"]
    got = audit.get(f"/api/v1/monitor/events/{one}")
    assert got.status_code == 200 and got.json()["id"] == one
    kinds = [e["kind"] for e in audit.get("/api/v1/ledger/entries").json()["items"]]
    assert kinds.count("monitor.propose") == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "   "}, "text"),
        ({"date": "May 2024"}, "date"),
        ({"min_confidence": 2}, "min_confidence"),
        ({"document": ""}, "document"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_extract_bad_input_names_the_field(api: Api, body: dict[str, Any], field: str) -> None:
    r = _extract(api.client("coord"), save=True, **body)
    assert r.status_code == 422 and r.json()["field"] == field, r.text
    assert api.client("coord").get("/api/v1/monitor/events").json()["total"] == 0


def test_reading_the_record_by_role(api: Api) -> None:
    for user, status in (("coord", 200), ("audit", 200), ("est", 403), ("deu", 403),
                         ("ukr", 403), ("admin", 403)):
        assert api.client(user).get("/api/v1/monitor/events").status_code == status, user
    assert api.client().get("/api/v1/monitor/events").status_code == 401
    bad = api.client("coord").get("/api/v1/monitor/events", params={"status": "maybe"})
    assert bad.status_code == 422 and bad.json()["field"] == "status"
    missing = api.client("audit").get("/api/v1/monitor/events/ev-000000000000")
    assert missing.status_code == 404


def _events(api: Api) -> dict[tuple[str, str, str | None], str]:
    assert _extract(api.client("coord"), save=True).status_code == 200
    items = api.client("coord").get("/api/v1/monitor/events").json()["items"]
    return {(e["actor"], e["type"], e["target"]): e["id"] for e in items}


def test_the_review_is_recorded_in_the_ledger(api: Api) -> None:
    coord, audit = api.client("coord"), api.client("audit")
    ids = _events(api)
    deu, pol = ids[("DEU", "provide", "UKR")], ids[("POL", "call-for", "RUS")]
    # the coordinator reviews; nobody else
    for user in ("audit", "est", "ukr"):
        assert api.client(user).post(f"/api/v1/monitor/events/{deu}/confirm").status_code == 403
    ok = coord.post(f"/api/v1/monitor/events/{deu}/confirm", json={"note": "checked"})
    assert ok.status_code == 200, ok.text
    assert (ok.json()["status"], ok.json()["analyst"], ok.json()["note"]) == (
        "confirmed", "coord", "checked")
    # confirmed once; retracting it (a reject) needs a reason, and nothing changes without
    assert coord.post(f"/api/v1/monitor/events/{deu}/confirm").status_code == 409
    unexplained = coord.post(f"/api/v1/monitor/events/{deu}/reject")
    assert unexplained.status_code == 422 and unexplained.json()["field"] == "reason"
    assert coord.post("/api/v1/monitor/events/ev-000000000000/confirm").status_code == 404
    # a correction: each bad value names its field, and nothing changes
    for body, field in (
        ({"actor": "XXX"}, "actor"),
        ({"type": "invade"}, "type"),
        ({"date": "2024-13"}, "date"),
        ({"target": "POL"}, "target"),
        ({"note": "nothing to change"}, "correction"),
        ({"actor": 3}, "actor"),
    ):
        r = coord.post(f"/api/v1/monitor/events/{pol}/correct", json=body)
        assert r.status_code == 422 and r.json()["field"] == field, (body, r.text)
    assert audit.get(f"/api/v1/monitor/events/{pol}").json()["status"] == "proposed"
    fixed = coord.post(f"/api/v1/monitor/events/{pol}/correct",
                       json={"type": "sanction", "date": "2024-05", "note": "imposed"})
    assert fixed.status_code == 200, fixed.text
    assert (fixed.json()["status"], fixed.json()["type"], fixed.json()["date"],
            fixed.json()["proposed"]) == ("corrected", "sanction", "2024-05",
                                          "POL call-for RUS")
    rest = [i for i in ids.values() if i not in (deu, pol)]
    for other in rest:
        r = coord.post(f"/api/v1/monitor/events/{other}/reject", json={"note": "duplicate"})
        assert r.status_code == 200 and r.json()["status"] == "rejected"
    entries = audit.get("/api/v1/ledger/entries", params={"limit": 200}).json()["items"]
    monitor = [e for e in entries if e["kind"].startswith("monitor.")]
    assert [e["kind"] for e in monitor] == ["monitor.propose", "monitor.confirm",
                                            "monitor.correct"] + ["monitor.reject"] * len(rest)
    correct = monitor[2]
    assert correct["user"] == "coord" and correct["payload"]["id"] == pol
    assert correct["payload"]["previous"] == "POL call-for RUS 2024-05-12"
    assert audit.get("/api/v1/ledger/verify").json()["intact"] is True
    confirmed = audit.get("/api/v1/monitor/events", params={"status": "confirmed"}).json()
    assert [e["id"] for e in confirmed["items"]] == [deu]


def _wait(client: TestClient, job: str) -> dict[str, Any]:
    for _ in range(600):
        got = client.get(f"/api/v1/lab/runs/{job}")
        assert got.status_code == 200, got.text
        if got.json()["state"] in ("done", "failed"):
            return dict(got.json())
        assert 0.0 <= got.json()["progress"] <= 1.0
        time.sleep(0.05)
    raise AssertionError(f"lab job {job} did not finish")


RUN = {"scenario": "trainers-attacked", "runs": 300, "seed": 7,
       "overrides": {"decision.escalation": 0.8}}


def test_a_lab_job_reaches_done_with_the_cli_summary(api: Api) -> None:
    est = api.client("est")
    r = est.post("/api/v1/lab/runs", json=RUN)
    assert r.status_code == 202, r.text
    job = r.json()["id"]
    assert r.headers["Location"] == f"/api/v1/lab/runs/{job}"
    assert r.json()["state"] in ("queued", "running", "done")
    done = _wait(est, job)
    assert done["state"] == "done" and done["progress"] == 1.0 and done["error"] is None
    printed = CliRunner().invoke(cli, ["simulate", "trainers-attacked", "--runs", "300",
                                       "--seed", "7", "--set", "decision.escalation=0.8",
                                       "-f", "json"])
    assert printed.exit_code == 0, printed.output
    assert done["summary"] == json.loads(printed.stdout)
    assert done["table"] and done["finished_at"]
    # its owner and the roles that see everything read it; no one else
    assert api.client("coord").get(f"/api/v1/lab/runs/{job}").status_code == 200
    assert api.client("audit").get(f"/api/v1/lab/runs/{job}").status_code == 200
    assert api.client("gbr").get(f"/api/v1/lab/runs/{job}").status_code == 404
    assert est.get("/api/v1/lab/runs/LAB-000000000000").status_code == 404
    assert api.client().get(f"/api/v1/lab/runs/{job}").status_code == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"scenario": "nope"}, "scenario"),
        ({"scenario": "../../etc/passwd"}, "scenario"),
        ({"runs": 0}, "runs"),
        ({"runs": 200_001}, "runs"),
        ({"runs": "300"}, "runs"),
        ({"seed": -1}, "seed"),
        ({"overrides": {"variants": 1}}, "overrides.variants"),
        ({"overrides": {"decision": 1}}, "overrides.decision"),
        ({"overrides": {"decision.escalation": "high"}}, "overrides.decision.escalation"),
        ({"overrides": {"decision.escalation": [1, 2]}}, "overrides.decision.escalation"),
        # within the runs a job may ask for, beyond the lab's bound on the whole work
        ({"overrides": {"escalation.months": 240}, "scenario": "escalation-ladder",
          "runs": 200_000}, "runs"),
    ],
)
def test_a_lab_job_over_the_bounds_is_refused_up_front(
    api: Api, change: dict[str, Any], field: str
) -> None:
    r = api.client("est").post("/api/v1/lab/runs", json={**RUN, **change})
    assert r.status_code == 422, r.text
    assert r.json()["field"].startswith(field), r.json()
    # nothing queued, no slot held
    assert api.app.state.lab_slots.running() == 0


def test_a_lab_job_beyond_the_slots_answers_429(api: Api) -> None:
    slots = LabSlots(total=1, per_user=1)
    api.app.state.lab_slots = slots
    slots.take("someone-else")
    busy = api.client("est").post("/api/v1/lab/runs", json=RUN)
    assert busy.status_code == 429 and busy.json()["error"] == "busy", busy.text
    assert busy.headers["Retry-After"] == "10"
    slots.give_back("someone-else")
    ok = api.client("est").post("/api/v1/lab/runs", json=RUN)
    assert ok.status_code == 202
    assert _wait(api.client("est"), ok.json()["id"])["state"] == "done"
    assert slots.running() == 0  # given back when the job ended


def test_jobs_are_forgotten_oldest_finished_first_and_close_stops_taking_jobs() -> None:
    from allied.service.caller import Caller

    jobs = LabJobs(workers=1, keep=2)
    slots = LabSlots(total=1, per_user=1)
    me = Caller("u", role="donor", nation="EST")
    made = []
    for _ in range(3):
        job = jobs.start(me, slots, scenario="reexport-2022", runs=100, seed=0, overrides={})
        for _ in range(600):
            if job.as_dict()["state"] in ("done", "failed"):
                break
            time.sleep(0.02)
        made.append(job.id)
        while slots.running():
            time.sleep(0.01)
    assert jobs.get(me, made[2]).state == "done"
    with pytest.raises(Exception, match="no lab job"):
        jobs.get(me, made[0])
    jobs.close()
    with pytest.raises(Exception, match="shutting down"):
        jobs.start(me, slots, scenario="reexport-2022", runs=100, seed=0, overrides={})
    assert slots.running() == 0


def test_api_and_cli_reach_the_monitor_through_checked_use_cases() -> None:
    """The monitor's unchecked service module is the use-cases' inside (the dashboard's
    monitor page is another engineer's and not checked here)."""
    for path in [*(SRC / "api").rglob("*.py"), *(SRC / "cli").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module != "allied.service.monitor", path
                if node.module == "allied.service":
                    assert "monitor" not in {a.name for a in node.names}, path


def test_closing_stops_a_running_job_at_its_next_chunk() -> None:
    from allied.service.caller import Caller

    jobs = LabJobs(workers=1)
    slots = LabSlots()
    me = Caller("u", role="donor", nation="EST")
    job = jobs.start(me, slots, scenario="escalation-ladder", runs=200_000, seed=0,
                     overrides={})
    for _ in range(2000):
        if job.as_dict()["progress"] > 0:
            break
        time.sleep(0.01)
    jobs.close()
    for _ in range(2000):
        if job.as_dict()["state"] == "failed":
            break
        time.sleep(0.01)
    out = job.as_dict()
    assert out["state"] == "failed" and out["error"]["error"] == "stopped", out
    assert 0 < out["progress"] < 1
    assert slots.running() == 0


def test_the_document_lists_the_scenarios_and_the_bounds(api: Api) -> None:
    doc = api.client().get("/api/v1/openapi.json").json()
    body = doc["components"]["schemas"]["LabRunIn"]["properties"]
    assert "trainers-attacked" in body["scenario"]["enum"]
    assert body["runs"]["maximum"] == 200_000
    paths = doc["paths"]
    assert "202" in paths["/api/v1/lab/runs"]["post"]["responses"]
    assert "429" in paths["/api/v1/lab/runs"]["post"]["responses"]
    assert {"/api/v1/monitor/events", "/api/v1/monitor/events/{event_id}",
            "/api/v1/monitor/events/{event_id}/confirm", "/api/v1/monitor/extract",
            "/api/v1/monitor/events/{event_id}/correct", "/api/v1/lab/runs/{job_id}",
            "/api/v1/monitor/events/{event_id}/reject"} <= set(paths)
