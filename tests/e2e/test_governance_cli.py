"""Governance commands end to end."""

from __future__ import annotations

import datetime as dt
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


def test_consent_policy_source_is_set_kept_and_cleared_as_the_api_does(loaded: Path) -> None:
    """``--source`` is the API's and the dashboard's ``source``; not given, the source
    recorded earlier (say through the API) is kept, ``--source ""`` clears it."""
    from allied.bootstrap import build
    from allied.service import access
    from allied.service.caller import Caller

    store = build()
    try:
        access.set_consent_policy(store.uow(), Caller("cell", "", "coordinator"), "DEU",
                                  "restrictive", since=dt.date(2024, 1, 1),
                                  today=dt.date.today(), source="Bundestag 2024")
    finally:
        store.close()

    def deu() -> dict[str, str]:
        listed = json.loads(runner.invoke(app, ["consent", "policy", "-f", "json"]).stdout)
        return next(p for p in listed if p["origin"] == "DEU")

    kept = runner.invoke(app, ["consent", "policy", "DEU", "--policy", "case-by-case",
                               "-f", "json"])
    assert kept.exit_code == 0, kept.output
    assert json.loads(kept.stdout)[0]["source"] == "Bundestag 2024"
    assert (deu()["policy"], deu()["source"]) == ("case-by-case", "Bundestag 2024")
    given = runner.invoke(app, ["consent", "policy", "DEU", "--policy", "permissive",
                                "--source", "cabinet decision", "-f", "json"])
    assert given.exit_code == 0 and json.loads(given.stdout)[0]["source"] == "cabinet decision"
    assert deu()["source"] == "cabinet decision"
    cleared = runner.invoke(app, ["consent", "policy", "DEU", "--policy", "permissive",
                                  "--source", ""])
    assert cleared.exit_code == 0 and deu()["source"] == ""
    bad = runner.invoke(app, ["consent", "policy", "DEU", "--policy", "permissive",
                              "--source", "x\x00y"])
    assert bad.exit_code == 2 and "source" in bad.stderr


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


def test_status_on_a_future_date_changes_nothing(loaded: Path) -> None:
    """Asking where a proposal will stand after its deadline records nothing: the
    proposal is still open (a revision is accepted), and the ledger is unchanged."""
    import datetime as dt

    today = dt.date.today()
    deadline = today + dt.timedelta(days=5)
    ok = runner.invoke(app, ["decide", "propose", "--org", "NATO", "--rule",
                             "consensus-silence", "--title", "Winter", "--deadline",
                             deadline.isoformat(), "--id", "P-NEXT"])
    assert ok.exit_code == 0, ok.output
    objected = runner.invoke(app, ["decide", "object", "P-NEXT", "--as", "HUN", "--reason", "x"])
    assert objected.exit_code == 0, objected.output
    before = _ledger()
    week = (today + dt.timedelta(days=7)).isoformat()
    ahead = runner.invoke(app, ["decide", "status", "--on", week, "-f", "json"])
    assert ahead.exit_code == 0, ahead.output
    seen = json.loads(ahead.stdout)["proposals"][0]
    assert seen["status"] == "rejected" and seen["recorded_status"] == "open"
    assert seen["closed_on"] == deadline.isoformat() and seen["blocking"] == ["HUN"]
    listed = runner.invoke(app, ["consent", "list", "--on", "2099-01-01", "-f", "json"])
    assert listed.exit_code == 0
    assert _ledger() == before
    revised = runner.invoke(app, ["decide", "revise", "P-NEXT", "--text", "softer",
                                  "--deadline", week])
    assert revised.exit_code == 0, revised.output
    # not due: nothing to close, and naming it says until when it is open
    assert "nothing closed" in runner.invoke(app, ["decide", "close"]).stdout
    named = runner.invoke(app, ["decide", "close", "P-NEXT"])
    assert named.exit_code == 2 and f"until its deadline {week}" in named.stderr


def test_close_records_proposals_past_their_deadline(loaded: Path) -> None:
    runner.invoke(app, ["decide", "propose", "--org", "NATO", "--rule", "consensus-silence",
                        "--title", "Old", "--on", "2024-04-01", "--deadline", "2024-04-05",
                        "--id", "P-OLD"])
    runner.invoke(app, ["decide", "object", "P-OLD", "--as", "TUR", "--reason", "no",
                        "--on", "2024-04-02"])
    shown = json.loads(runner.invoke(app, ["decide", "status", "-f", "json"]).stdout)
    assert shown["proposals"][0]["recorded_status"] == "open"
    closed = runner.invoke(app, ["decide", "close", "-f", "json"])
    assert closed.exit_code == 0, closed.output
    (row,) = json.loads(closed.stdout)
    assert (row["id"], row["status"], row["closed_on"]) == ("P-OLD", "rejected", "2024-04-05")
    last = json.loads(_ledger().strip().splitlines()[-1])
    assert last["kind"] == "proposal.closed" and last["payload"]["id"] == "P-OLD"
    again = json.loads(runner.invoke(app, ["decide", "close", "-f", "json"]).stdout)
    assert again == []
    named = runner.invoke(app, ["decide", "close", "P-OLD"])
    assert named.exit_code == 2 and "already rejected (on 2024-04-05)" in named.stderr
    shown = json.loads(runner.invoke(app, ["decide", "status", "-f", "json"]).stdout)
    assert shown["proposals"][0]["recorded_status"] == "rejected"


def _pledged_with_origin(origin: str, family: str = "105mm-nato", tag: str = "") -> str:
    """An offer made by ``origin`` and passed on by POL, matched and pledged: its id."""
    for args in (
        ["offer", "add", "--donor", "POL", "--family", family, "--quantity", "10",
         "--available-from", "2023-05-01", "--origin", origin, "--id", f"O-{origin}{tag}",
         "--on", "2023-05-01"],
        ["request", "add", "--recipient", "UKR", "--family", family, "--quantity", "10",
         "--needed-by", "2023-09-01", "--id", f"R-{origin}{tag}", "--on", "2023-05-01"],
        ["allocate", "--as-of", "2023-06-01", "--allow-pending-consent"],
    ):
        done = runner.invoke(app, args)
        assert done.exit_code == 0, done.output
    listed = json.loads(runner.invoke(app, ["allocation", "list", "-f", "json"]).stdout)
    alloc = next(a["id"] for a in listed if a["offer"] == f"O-{origin}{tag}")
    # accepted on the plan's day: the request (needed by 2023-09-01) is overdue today
    accepted = runner.invoke(app, ["allocation", "advance", alloc, "--to", "pledged",
                                   "--on", "2023-06-01"])
    assert accepted.exit_code == 0, accepted.output
    return alloc


def test_consent_pending_says_who_answered_and_prints_new_consent_ids(loaded: Path) -> None:
    # USA's standing policy is permissive: the allocation goes on to approved at once
    usa = _pledged_with_origin("USA")
    done = runner.invoke(app, ["allocation", "advance", usa, "--to", "consent-pending"])
    assert done.exit_code == 0, done.output
    assert "consent-pending -> approved (re-export consent granted)" in done.stdout
    assert "consent of USA" in done.stdout and "standing policy of USA: permissive" in (
        done.stdout
    )
    as_json = json.loads(runner.invoke(app, ["consent", "list", "-f", "json"]).stdout)
    new_id = next(c["id"] for c in as_json if c["offer"] == "O-USA")
    assert new_id in done.stdout
    # DEU is case-by-case: a new pending request, its id printed, nothing answered yet
    deu = _pledged_with_origin("DEU", family="120mm-mortar")
    asked = runner.invoke(app, ["allocation", "advance", deu, "--to", "consent-pending",
                                "-f", "json"])
    (view,) = json.loads(asked.stdout)
    assert view["status"] == "consent-pending"
    assert [m["to"] for m in view["moves"]] == ["consent-pending"]
    (consent,) = view["consents"]
    assert consent["origin"] == "DEU" and consent["new"] and consent["status"] == "pending"
    # the origin's answer says which allocation it moved
    granted = runner.invoke(
        app, ["consent", "grant", consent["consent"], "--as", "DEU", "--reason", "cleared"]
    )
    assert granted.exit_code == 0, granted.output
    assert f"moved {deu}: consent-pending -> approved" in granted.stdout
    # an earlier answer (the US cleared Estonia in January 2022) answers for Estonia's offer
    listed = json.loads(runner.invoke(app, ["allocation", "list", "-f", "json"]).stdout)
    est = next(a["id"] for a in listed if a["offer"] == "O-EST-JAV")
    # accepted while its request (R-2022-ATGM, needed by 2022-03-15) was not overdue
    pledged = runner.invoke(app, ["allocation", "advance", est, "--to", "pledged",
                                  "--on", "2022-03-01"])
    assert pledged.exit_code == 0, pledged.output
    reused = runner.invoke(app, ["allocation", "advance", est, "--to", "consent-pending"])
    assert reused.exit_code == 0, reused.output
    assert "consent-pending -> approved (re-export consent granted)" in reused.stdout
    assert "C-2022-USA-EST (already answered) granted: answered earlier on 2022-01-19" in (
        reused.stdout
    )


def test_an_illegal_transition_lists_the_allowed_next_states(loaded: Path) -> None:
    alloc = _pledged_with_origin("USA")
    bad = runner.invoke(app, ["allocation", "advance", alloc, "--to", "delivered"])
    assert bad.exit_code == 2
    assert "from 'pledged' to 'delivered'" in bad.stderr
    assert "allowed next: consent-pending, approved, rejected, withdrawn" in bad.stderr
    runner.invoke(app, ["allocation", "advance", alloc, "--to", "withdrawn"])
    final = runner.invoke(app, ["allocation", "advance", alloc, "--to", "pledged"])
    assert "'withdrawn' is final" in final.stderr


def test_joining_before_every_ratification_says_who_is_awaited(loaded: Path) -> None:
    for args in (
        ["decide", "accession", "apply", "NATO-UKR", "--candidate", "UKR", "--org", "NATO",
         "--on", "2024-07-10"],
        ["decide", "accession", "invite", "NATO-UKR", "--on", "2024-07-11"],
        ["decide", "accession", "sign", "NATO-UKR", "--on", "2024-07-12"],
        ["decide", "accession", "ratify", "NATO-UKR", "--state", "POL", "--on", "2024-07-13"],
        ["decide", "accession", "ratify", "NATO-UKR", "--state", "EST", "--on", "2024-07-14"],
    ):
        assert runner.invoke(app, args).exit_code == 0, args
    early = runner.invoke(app, ["decide", "accession", "join", "NATO-UKR", "--on", "2024-08-01"])
    assert early.exit_code == 2
    assert "2 of 32 ratified; waiting for ALB, BEL," in early.stderr
    assert "illegal transition" not in early.stderr
