"""docs/allocation.md cannot rot: its example problem gives exactly its example plan,
with every exact solver and through the CLI, and its Python API snippet runs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from allocation_reference import check_plan, separate_lp_optimum
from typer.testing import CliRunner

from allied.allocation import SOLVERS, loads_problem, plan_to_json
from allied.entrypoints.cli.app import app

DOC = Path(__file__).resolve().parents[3] / "docs" / "allocation.md"


def example(name: str) -> str:
    """The fenced block after ``<!-- example: NAME -->`` in the doc."""
    found = re.findall(
        rf"<!-- example: {name} -->\n```json\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S
    )
    assert len(found) == 1, f"docs/allocation.md must have one '{name}' example"
    return str(found[0])


def python_snippet() -> str:
    found = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(found) == 1
    return str(found[0])


@pytest.mark.parametrize("name", [n for n in sorted(SOLVERS) if SOLVERS[n]().exact])
def test_the_example_problem_gives_the_example_plan(name: str) -> None:
    solver = SOLVERS[name]()
    if not solver.available():
        pytest.skip(f"solver {name} not available here")
    problem = loads_problem(example("problem"))
    plan = solver.solve(problem)
    assert plan_to_json(plan) == example("plan")
    assert check_plan(problem, plan) == pytest.approx(separate_lp_optimum(problem))


def test_the_example_shows_every_reason_code() -> None:
    unfilled = json.loads(example("plan"))["unfilled"]
    codes = {reason.split(":")[0] for u in unfilled for reason in u["reasons"]}
    assert {"no-compatible-offer", "consent-denied", "consent-pending",
            "channel-forbids-lethal", "recipient-mismatch", "late",
            "insufficient-supply"} <= codes


def test_the_cli_writes_the_example_plan_byte_for_byte(tmp_path: Path) -> None:
    source = tmp_path / "problem.json"
    source.write_text(example("problem"), encoding="utf-8")
    out = tmp_path / "plan.json"
    result = CliRunner().invoke(app, ["allocate", "--problem", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == example("plan").encode("utf-8")


def test_the_python_api_snippet_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "problem.json").write_text(example("problem"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(python_snippet(), str(DOC), "exec"), namespace)
    assert namespace["text"] == example("plan")
    assert capsys.readouterr().out.splitlines() == ["R1 O1 500", "R4 O5 40", "R6 O1 100"]
