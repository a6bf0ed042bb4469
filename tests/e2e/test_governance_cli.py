"""Governance commands end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from allied.entrypoints.cli.app import app

runner = CliRunner()


@pytest.fixture
def loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "allied.db"
    monkeypatch.setenv("ALLIED_DATABASE_URL", f"sqlite:///{path}")
    assert runner.invoke(app, ["data", "load"]).exit_code == 0
    return path


def _ledger() -> str:
    return runner.invoke(app, ["ledger", "export"]).stdout


def test_status_names_last_ratifiers(loaded: Path) -> None:
    result = runner.invoke(app, ["decide", "status", "--on", "2025-01-01", "-f", "json"])
    assert result.exit_code == 0, result.output
    acc = {a["candidate"]: a for a in json.loads(result.stdout)["accessions"]}
    assert acc["FIN"]["last_ratifier"] == "TUR"
    assert acc["SWE"]["last_ratifier"] == "HUN"
    assert acc["SWE"]["days_signature_to_last_ratification"] == 601


def test_evaluate_json(loaded: Path) -> None:
    result = runner.invoke(app, ["decide", "evaluate", "--rule", "unanimity", "--org", "EU",
                                 "--on", "2024-05-01", "--no", "HUN", "--abstain", "AUT",
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["adopted"] is False and out["blocking"] == ["HUN"]
    assert out["participants"] == 27 and out["abstain"] == ["AUT"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rule", "majority", "--org", "EU", "--on", "2024-01-01"], "unknown decision rule"),
        (["--rule", "qmv", "--org", "OSCE", "--on", "2024-01-01"], "OSCE"),
        (["--rule", "qmv", "--org", "EU", "--on", "2024-01-01", "--yes", "USA"],
         "USA is not a participant"),
        (["--rule", "qmv", "--org", "EU", "--on", "01/02/2024"], "--on"),
        (["--rule", "unanimity", "--org", "EU", "--on", "2024-01-01", "--yes", "FRA",
          "--no", "FRA"], "named twice"),
    ],
)
def test_evaluate_bad_input(loaded: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["decide", "evaluate", *args])
    assert result.exit_code == 2
    assert message in result.stderr


def test_proposal_lifecycle_and_late_vote(loaded: Path) -> None:
    ok = runner.invoke(app, ["decide", "propose", "--org", "NATO", "--rule",
                             "consensus-silence", "--title", "Trainers", "--on", "2024-04-01",
                             "--deadline", "2024-04-05", "--id", "P1"])
    assert ok.exit_code == 0, ok.output
    before = _ledger()
    late = runner.invoke(app, ["decide", "object", "P1", "--as", "HUN", "--reason", "x",
                               "--on", "2024-04-06"])
    assert late.exit_code == 2 and "too late" in late.stderr
    stranger = runner.invoke(app, ["decide", "vote", "P1", "--as", "AUT", "--position", "no",
                                   "--on", "2024-04-02"])
    assert stranger.exit_code == 2 and "AUT is not a participant" in stranger.stderr
    assert _ledger() == before
    objected = runner.invoke(app, ["decide", "object", "P1", "--as", "HUN", "--reason",
                                   "escalation", "--on", "2024-04-02"])
    assert objected.exit_code == 0
    status = json.loads(runner.invoke(app, ["decide", "status", "--on", "2024-04-06", "-f",
                                            "json"]).stdout)
    assert status["proposals"][0]["status"] == "rejected"
    assert "HUN" in status["proposals"][0]["outcome"]
    assert status["proposals"][0]["blocking"] == ["HUN"]  # still named once closed


def test_consent_policy_and_list(loaded: Path) -> None:
    result = runner.invoke(app, ["consent", "policy", "-f", "json"])
    assert result.exit_code == 0
    assert {p["origin"] for p in json.loads(result.stdout)} >= {"DEU", "USA"}
    listed = json.loads(runner.invoke(app, ["consent", "list", "--on", "2022-02-01", "-f",
                                            "json"]).stdout)
    deu = next(c for c in listed if c["id"] == "C-2022-DEU-EST")
    assert deu["effective_status"] == "denied"
    bad = runner.invoke(app, ["consent", "policy", "DEU", "--policy", "sometimes"])
    assert bad.exit_code == 2 and "policy" in bad.stderr


def test_a_consent_answer_names_the_answering_state(
    loaded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ALLIED_NATION", raising=False)
    pending = [
        c for c in json.loads(runner.invoke(app, ["consent", "list", "-f", "json"]).stdout)
        if c["effective_status"] == "pending"
    ]
    assert pending
    target = pending[0]
    anonymous = runner.invoke(app, ["consent", "grant", target["id"], "--reason", "x"])
    assert anonymous.exit_code == 2 and "--as" in anonymous.stderr
    wrong = runner.invoke(app, ["consent", "grant", target["id"], "--as", "EST", "--reason", "x"])
    assert wrong.exit_code == 2
    no_reason = runner.invoke(app, ["consent", "grant", target["id"], "--as", target["origin"]])
    assert no_reason.exit_code == 2 and "--reason" in no_reason.stderr
    blank = runner.invoke(
        app, ["consent", "grant", target["id"], "--as", target["origin"], "--reason", " "]
    )
    assert blank.exit_code == 2 and "reason" in blank.stderr
    done = runner.invoke(
        app,
        ["consent", "grant", target["id"], "--as", target["origin"], "--reason", "cleared",
         "-f", "json"],
    )
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)[0]["status"] == "granted"
