"""The benchmark's pieces (never its timings): the seeded generator and the PuLP model."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from allied.allocation import allocate, build_network, load_problem, parse_problem
from script_loader import load_script

BENCH = Path(__file__).resolve().parents[3] / "benchmarks" / "allocation"


def bench_module(name: str) -> ModuleType:
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return load_script(BENCH / f"{name}.py", f"allocation_bench_{name}")


def test_same_seed_same_problem_and_a_valid_one() -> None:
    gen = bench_module("generate")
    size = gen.SIZES["xs"]
    first = gen.generate(size, 7)
    assert json.dumps(first) == json.dumps(gen.generate(size, 7))
    assert json.dumps(first) != json.dumps(gen.generate(size, 8))
    problem = parse_problem(first)  # the strict parser accepts it as it is
    assert (len(problem.requests), len(problem.offers)) == (size.requests, size.offers)
    assert len({o.donor for o in problem.offers}) <= size.donors
    net = build_network(problem)
    assert 0 < net.n_pairs < int(net.n_compatible.sum())  # some pairs blocked by a rule


def test_generator_cli_writes_the_same_bytes(tmp_path: Path) -> None:
    gen = bench_module("generate")
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert gen.main(["--size", "xs", "--seed", "3", "--out", str(a)]) == 0
    assert gen.main(["--size", "xs", "--seed", "3", "--out", str(b)]) == 0
    assert a.read_bytes() == b.read_bytes()
    load_problem(a)


# PuLP 3.3 deprecates its bundled CBC for 4.0; it is still what `pip install pulp` runs
@pytest.mark.filterwarnings("ignore:PULP_CBC_CMD is deprecated:DeprecationWarning")
def test_the_pulp_model_is_the_same_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What the benchmark compares against must reach the same optimum."""
    pytest.importorskip("pulp", reason="PuLP is in the 'bench' extra")
    gen, run = bench_module("generate"), bench_module("run")
    source, plan_path = tmp_path / "p.json", tmp_path / "plan.json"
    source.write_text(json.dumps(gen.generate(gen.SIZES["xs"], 5)), encoding="utf-8")
    run.pulp_child(source, plan_path)
    child = json.loads(capsys.readouterr().out)
    expected = allocate(load_problem(source)).objective
    assert child["status"] == "optimal"
    assert child["objective"] == pytest.approx(expected, rel=1e-7)
    plan = json.loads(plan_path.read_text(encoding="utf-8"))
    assert plan["objective"] == child["objective"] and plan["allocations"]
