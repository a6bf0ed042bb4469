"""`allied request amend|withdraw|close|expire` and `allied offer amend|withdraw`."""

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
    monkeypatch.setenv("ALLIED_USER", "tester")
    result = runner.invoke(app, ["data", "load"])
    assert result.exit_code == 0, result.output
    return path


def _ok(*args: str) -> list[dict[str, object]]:
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return list(json.loads(result.output))


def _ledger() -> list[dict[str, object]]:
    result = runner.invoke(app, ["ledger", "export"])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


def test_requests_and_offers_live_from_the_command_line(loaded: Path) -> None:
    _ok("request", "add", "--id", "CLI-R1", "--recipient", "UKR", "--family", "atgm",
        "--quantity", "40", "--needed-by", "2024-09-01", "--on", "2024-06-01")
    (row,) = _ok("request", "amend", "CLI-R1", "--quantity", "30", "--priority", "5")
    assert (row["quantity"], row["priority"]) == (30, 5)
    bad = runner.invoke(app, ["request", "amend", "CLI-R1", "--needed-by", "soon"])
    assert bad.exit_code == 2 and "needed_by" in bad.output
    (row,) = _ok("request", "withdraw", "CLI-R1", "--reason", "covered by a fund")
    assert row["status"] == "withdrawn"
    again = runner.invoke(app, ["request", "withdraw", "CLI-R1"])
    assert again.exit_code == 2 and "illegal transition" in again.output

    _ok("offer", "add", "--id", "CLI-O1", "--donor", "EST", "--family", "atgm",
        "--quantity", "8", "--available-from", "2024-05-01", "--on", "2024-06-01")
    (row,) = _ok("offer", "amend", "CLI-O1", "--caveats", "with training")
    assert row["quantity"] == 8
    (row,) = _ok("offer", "withdraw", "CLI-O1")
    assert row["status"] == "withdrawn"

    changes = {"request.amended", "request.withdrawn", "offer.amended", "offer.withdrawn"}
    kinds = [(e["kind"], e["payload"]["id"]) for e in _ledger() if e["kind"] in changes]  # type: ignore[index]
    assert kinds == [("request.amended", "CLI-R1"), ("request.withdrawn", "CLI-R1"),
                     ("offer.amended", "CLI-O1"), ("offer.withdrawn", "CLI-O1")]
    verified = runner.invoke(app, ["ledger", "verify"])
    assert verified.exit_code == 0, verified.output


def test_the_expiry_job(loaded: Path) -> None:
    _ok("request", "add", "--id", "CLI-OLD", "--recipient", "UKR", "--family", "atgm",
        "--quantity", "4", "--needed-by", "2024-01-01", "--on", "2024-01-01")
    rows = _ok("request", "list")
    assert {r["id"]: r["status"] for r in rows}["CLI-OLD"] == "open"  # a read changes nothing
    out = runner.invoke(app, ["request", "expire", "--on", "2024-03-31", "--format", "json"])
    assert out.exit_code == 0 and "CLI-OLD" not in out.output  # 90 days: not yet
    out = runner.invoke(app, ["request", "expire", "--on", "2024-04-01", "--format", "json"])
    assert out.exit_code == 0 and "CLI-OLD" in out.output, out.output
    assert {r["id"]: r["status"] for r in _ok("request", "list")}["CLI-OLD"] == "expired"
    out = runner.invoke(app, ["request", "expire", "--grace-days", "-3"])
    assert out.exit_code == 2 and "grace_days" in out.output


def test_a_plan_is_accepted_in_one_command(loaded: Path) -> None:
    result = runner.invoke(app, ["allocate", "--as-of", "2023-06-01", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = [r for r in _ok("allocation", "list") if r["status"] == "proposed"]
    assert len(rows) >= 2
    bad = runner.invoke(app, ["allocation", "bulk", f"{rows[0]['id']}=pledged",
                              f"{rows[1]['id']}=delivered"])
    assert bad.exit_code == 2 and f"item 1 (allocation {rows[1]['id']})" in bad.output
    assert {r["id"]: r["status"] for r in _ok("allocation", "list")}[rows[0]["id"]] == "proposed"
    moved = _ok("allocation", "bulk", *(f"{r['id']}=pledged" for r in rows))
    assert {r["status"] for r in moved} == {"pledged"} and len(moved) == len(rows)
    assert runner.invoke(app, ["allocation", "bulk", "nonsense"]).exit_code == 2


def test_todo_per_role(loaded: Path) -> None:
    result = runner.invoke(app, ["todo", "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["role"] == "coordinator"
    assert [s["name"] for s in out["sections"]] == [
        "proposed_to_accept", "pledges_to_approve", "unfilled_requests", "blocked_decisions",
        "overdue_deliveries", "consents_waiting"]
    origin = runner.invoke(app, ["todo", "--role", "origin", "--as", "DEU", "--format", "json"])
    assert origin.exit_code == 0, origin.output
    assert json.loads(origin.output)["sections"][0]["name"] == "consents_to_answer"
    table = runner.invoke(app, ["todo", "--role", "recipient", "--as", "UKR"])
    assert table.exit_code == 0 and "Deliveries to confirm" in table.output
    missing = runner.invoke(app, ["todo", "--role", "donor"])
    assert missing.exit_code == 2 and "--as" in missing.output
    assert runner.invoke(app, ["todo", "--role", "king"]).exit_code == 2
