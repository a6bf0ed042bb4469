"""``allied allocate`` end to end: database mode on the reference dataset, file mode."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from allied.entrypoints.cli.app import app

runner = CliRunner()
AS_OF = "2023-06-01"


@pytest.fixture
def loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "allied.db"
    monkeypatch.setenv("ALLIED_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("ALLIED_USER", "cell")
    monkeypatch.setenv("ALLIED_NATION", "POL")
    result = runner.invoke(app, ["data", "load"])
    assert result.exit_code == 0, result.output
    return path


def invoke_json(*args: str) -> Any:
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_database_mode_records_proposed_allocations(loaded: Path) -> None:
    out = invoke_json("allocate", "--as-of", AS_OF)
    assert out["status"] == "optimal"
    assert len(out["allocation_ids"]) == len(out["allocations"]) > 0
    unfilled = {u["request"]: u["reasons"] for u in out["unfilled"]}
    assert unfilled["R-2022-122T"] == ["consent-denied:DEU"]
    assert unfilled["R-2022-APC"] == ["no-compatible-offer"]
    assert "consent-pending:USA" in unfilled["R-2023-PATRIOT"]

    stored = invoke_json("allocation", "list")
    assert sorted(a["id"] for a in stored) == sorted(out["allocation_ids"])
    assert {a["status"] for a in stored} == {"proposed"}
    assert sorted((a["offer"], a["request"], a["quantity"]) for a in stored) == sorted(
        (a["offer"], a["request"], a["quantity"]) for a in out["allocations"]
    )

    ledger = runner.invoke(app, ["ledger", "export", "--format", "jsonl"])
    last = json.loads(ledger.stdout.strip().splitlines()[-1])
    assert last["kind"] == "allocation.run"
    assert (last["user"], last["nation"]) == ("cell", "POL")
    assert last["payload"]["allocations"] == out["allocation_ids"]
    assert runner.invoke(app, ["ledger", "verify"]).exit_code == 0

    # the capacity is now held by the proposals: a second run finds nothing more to give
    again = invoke_json("allocate", "--as-of", AS_OF)
    assert again["allocations"] == [] and again["allocation_ids"] == []
    assert {u["request"]: u["reasons"] for u in again["unfilled"]}["R-2022-ATGM"] == [
        "insufficient-supply"]  # its offers exist and are held by the first run's proposals
    assert len(invoke_json("allocation", "list")) == len(stored)


def test_dry_run_shows_the_plan_and_records_nothing(loaded: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    result = runner.invoke(
        app, ["allocate", "--as-of", AS_OF, "--dry-run", "--out", str(plan_file)]
    )
    assert result.exit_code == 0, result.output
    assert "plan written to" in result.output and "recorded" not in result.output
    assert invoke_json("allocation", "list") == []
    plan = json.loads(plan_file.read_text(encoding="utf-8"))
    assert list(plan) == ["status", "objective", "allocations", "unfilled"]
    # the recorded run makes the same plan
    recorded = invoke_json("allocate", "--as-of", AS_OF)
    assert {k: recorded[k] for k in plan} == plan


def test_database_mode_table_names_the_recorded_ids(loaded: Path) -> None:
    result = runner.invoke(app, ["allocate", "--as-of", AS_OF, "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "kind,id,request,offer,quantity,reasons"
    assert re.match(r"allocation,AL-[0-9A-F]{10},", lines[1])
    assert "unfilled,,R-2022-122T,,20000,consent-denied:DEU" in lines
    table = runner.invoke(app, ["allocate", "--as-of", AS_OF, "--dry-run"])
    assert table.exit_code == 0 and "optimal plan by flow" in table.output


def test_allow_pending_consent_and_half_life_flags(loaded: Path) -> None:
    strict = invoke_json("allocate", "--as-of", AS_OF, "--dry-run")
    loose = invoke_json("allocate", "--as-of", AS_OF, "--dry-run", "--allow-pending-consent")
    assert ("O-DEU-PATRIOT", "R-2023-PATRIOT") in {
        (a["offer"], a["request"]) for a in loose["allocations"]}
    assert ("O-DEU-PATRIOT", "R-2023-PATRIOT") not in {
        (a["offer"], a["request"]) for a in strict["allocations"]}
    slow = invoke_json("allocate", "--as-of", AS_OF, "--dry-run", "--half-life", "3650")
    assert slow["objective"] > strict["objective"]  # late offers lose less weight


def test_grace_days_leaves_out_what_the_expiry_job_would_expire(loaded: Path) -> None:
    """On 2023-06-01 with 90 days' grace, the needs of 2022 (needed by 2022-12-31 at the
    latest) are the expiry job's, and leave the plan; those of 2023 stay."""
    every = invoke_json("allocate", "--as-of", AS_OF, "--dry-run")
    graced = invoke_json("allocate", "--as-of", AS_OF, "--dry-run", "--grace-days", "90")

    def asked(plan: dict[str, Any]) -> set[str]:
        return {a["request"] for a in plan["allocations"]} | {
            u["request"] for u in plan["unfilled"]}

    assert {r for r in asked(every) if r.startswith("R-2022")} >= {"R-2022-122T"}
    assert asked(graced) == {r for r in asked(every) if r.startswith("R-2023")}
    assert invoke_json("allocation", "list") == []  # dry runs: nothing recorded


def test_max_pairs_cuts_a_larger_problem_into_a_heuristic_plan(loaded: Path) -> None:
    whole = invoke_json("allocate", "--as-of", AS_OF, "--dry-run")
    same = invoke_json("allocate", "--as-of", AS_OF, "--dry-run", "--max-pairs", "100000")
    assert same == whole and whole["status"] == "optimal"
    cut = invoke_json("allocate", "--as-of", AS_OF, "--dry-run", "--max-pairs", "1")
    assert cut["status"] == "heuristic"
    assert 0 < cut["objective"] <= whole["objective"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--grace-days", "-1"], "--grace-days"),
        (["--max-pairs", "0"], "--max-pairs"),
        (["--as-of", "June"], "--as-of"),
        (["--half-life", "0"], "--half-life"),
        (["--half-life", "nan"], "--half-life"),
        (["--solver", "simplex"], "--solver"),
    ],
)
def test_database_mode_bad_options_exit_2_and_record_nothing(
    loaded: Path, args: list[str], message: str
) -> None:
    result = runner.invoke(app, ["allocate", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert invoke_json("allocation", "list") == []


@pytest.mark.parametrize("flag", [["--as-of", AS_OF], ["--dry-run"],
                                  ["--allow-pending-consent"], ["--half-life", "7"],
                                  ["--grace-days", "90"], ["--max-pairs", "10"]])
def test_database_flags_are_refused_in_file_mode(tmp_path: Path, flag: list[str]) -> None:
    source = tmp_path / "problem.json"
    source.write_text('{"as_of": "2024-03-01", "requests": [], "offers": []}', encoding="utf-8")
    result = runner.invoke(app, ["allocate", "--problem", str(source), *flag])
    assert result.exit_code == 2
    assert flag[0] in result.output and "database mode" in result.output


def test_file_mode_touches_no_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ALLIED_DATABASE_URL", f"sqlite:///{tmp_path / 'never.db'}")
    source = tmp_path / "problem.json"
    source.write_text(json.dumps({
        "as_of": "2024-03-01",
        "requests": [{"id": "R1", "recipient": "UKR", "accepts": ["155mm-nato"],
                      "quantity": 10, "priority": 5, "needed_by": "2024-04-01"}],
        "offers": [{"id": "O1", "donor": "NOR", "family": "155mm-nato", "quantity": 4,
                    "available_from": "2024-03-15", "channel": "udcg", "lethal": True}],
    }), encoding="utf-8")
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    for target in (first, second):
        result = runner.invoke(app, ["allocate", "--problem", str(source), "--out", str(target)])
        assert result.exit_code == 0, result.output
    assert first.read_bytes() == second.read_bytes()
    plan = json.loads(first.read_text(encoding="utf-8"))
    assert plan["allocations"] == [{"offer": "O1", "request": "R1", "quantity": 4}]
    assert plan["unfilled"] == [
        {"request": "R1", "quantity": 6, "reasons": ["insufficient-supply"]}]
    assert not (tmp_path / "never.db").exists()


def _uniform_problem(n: int) -> dict[str, Any]:
    return {
        "as_of": "2024-03-01",
        "requests": [{"id": f"R{i}", "recipient": "UKR", "accepts": ["155mm-nato"],
                      "quantity": 5, "priority": 1 + i % 5, "needed_by": "2024-04-01"}
                     for i in range(n)],
        "offers": [{"id": f"O{i}", "donor": "NOR", "family": "155mm-nato", "quantity": 3,
                    "available_from": "2024-03-15", "channel": "udcg", "lethal": True}
                   for i in range(n)],
    }


@pytest.mark.parametrize(("n", "shown"), [(1_000, True), (10, False)])
def test_large_problems_show_a_progress_bar_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, n: int, shown: bool
) -> None:
    import io

    from rich.console import Console

    from allied.entrypoints.cli import allocate as cli_allocate

    screen = io.StringIO()
    monkeypatch.setattr(cli_allocate, "err_console",
                        lambda: Console(file=screen, force_terminal=True, width=100))
    source, out = tmp_path / "problem.json", tmp_path / "plan.json"
    source.write_text(json.dumps(_uniform_problem(n)), encoding="utf-8")
    result = runner.invoke(app, ["allocate", "--problem", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = screen.getvalue()
    for phase in ("building feasible pairs", "solving"):
        assert (phase in text) is shown
    assert json.loads(out.read_text(encoding="utf-8"))["status"] == "optimal"
