"""The engine: one seed, byte-identical results, independent of workers and chunking."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from allied.domain.errors import InvalidInput
from allied.lab import backtest as bt
from allied.lab import engine
from allied.lab import scenario as sc
from allied.lab import sweep as sw
from allied.service import lab as service

DOCS = Path(__file__).resolve().parents[3] / "docs" / "lab.md"


def raw(name: str) -> dict[str, object]:
    return sc.load_raw(name)[0]


@pytest.mark.parametrize("name", sc.builtin_names())
def test_same_seed_same_bytes_other_seed_other_numbers(name: str) -> None:
    a = engine.run(raw(name), runs=1200, seed=7).to_json()
    b = engine.run(raw(name), runs=1200, seed=7).to_json()
    c = engine.run(raw(name), runs=1200, seed=8).to_json()
    assert a == b
    assert json.loads(a)["variants"] != json.loads(c)["variants"]


def test_results_do_not_depend_on_the_number_of_workers() -> None:
    r = raw("trainers-attacked")
    one = engine.run(r, runs=engine.CHUNK * 2 + 17, seed=3, workers=1)
    two = engine.run(r, runs=engine.CHUNK * 2 + 17, seed=3, workers=2)
    assert one.to_json() == two.to_json()
    for key, value in one.arrays["base"].items():
        assert np.array_equal(value, two.arrays["base"][key]), key


def test_progress_reaches_the_total_and_bad_arguments_are_named() -> None:
    seen: list[tuple[int, int]] = []
    engine.run(
        raw("escalation-ladder"),
        runs=engine.CHUNK + 1,
        seed=1,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert seen[-1] == (2 * (engine.CHUNK + 1), 2 * (engine.CHUNK + 1))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    for kwargs, field in (({"runs": 0, "seed": 1}, "runs"), ({"runs": 5, "seed": -1}, "seed")):
        with pytest.raises(InvalidInput) as exc:
            engine.run(raw("two-tier"), **kwargs)  # type: ignore[arg-type]
        assert exc.value.field == field


def test_variants_share_their_random_numbers() -> None:
    """Common random numbers: a variant identical to the base gives identical runs."""
    r = raw("escalation-ladder")
    r["variants"] = {"a": {"escalation.strategy": "salami"}, "b": {"escalation.strategy": "salami"}}
    out = engine.run(r, runs=3000, seed=11)
    assert out.summary["variants"]["a"] == out.summary["variants"]["b"]


def test_service_runs_a_scenario_with_positions_and_returns_a_chart() -> None:
    calls: list[int] = []
    out = service.run_scenario(
        "trainers-attacked",
        runs=1000,
        seed=1,
        overrides={"decision.max_rounds": 2},
        positions=[{"actor": "HUN", "issue": "support", "position": 1.0, "salience": 0.1}],
        progress=lambda d, t: calls.append(d),
    )
    assert out["chart"][:8] == b"\x89PNG\r\n\x1a\n"
    assert out["summary"]["variants"]["base"]["decision"]["rounds"]["p90"] <= 2
    assert calls == [1000]
    assert any(row["metric"] == "decision.p_adopted" for row in out["table"])
    assert {s["name"] for s in service.list_scenarios()} == set(sc.builtin_names())
    html = service.run_scenario("two-tier", runs=200, chart="html")["chart"]
    assert html.startswith(b"<!doctype html>")
    with pytest.raises(InvalidInput) as exc:
        service.run_scenario("two-tier", runs=10, positions=[{"actor": "XXX"}])
    assert exc.value.field == "actor"


def test_sweep_grid_and_lhs_are_deterministic_and_backend_independent() -> None:
    r = raw("trainers-attacked")
    points = sw.parse_grid(["decision.escalation=0.2,0.8", "decision.max_rounds=1,3"])
    assert len(points) == 4
    rows1 = sw.sweep(r, points, runs=1000, seed=5)
    rows2 = sw.sweep(r, points, runs=1000, seed=5, workers=2)
    assert rows1 == rows2
    by = {(p["decision.escalation"], p["decision.max_rounds"]): p for p in rows1}
    assert by[(0.2, 3)]["base.decision.p_adopted"] > by[(0.8, 1)]["base.decision.p_adopted"]
    lhs = sw.lhs_points(sw.parse_ranges(["decision.escalation=0:1"]), 5, seed=2)
    assert lhs == sw.lhs_points(sw.parse_ranges(["decision.escalation=0:1"]), 5, seed=2)
    cells = sorted(int(p["decision.escalation"] * 5) for p in lhs)
    assert cells == [0, 1, 2, 3, 4]  # one point per stratum
    assert all(len(b) >= 1 for b in sw.batches(points, 1000))
    assert sum(len(b) for b in sw.batches(points, 1000)) == 4
    with pytest.raises(InvalidInput) as exc:
        sw.sweep(r, [{"decision.max_rounds": 0}], runs=10, seed=1)
    assert exc.value.field == "decision.max_rounds"


@pytest.mark.slow
def test_sweep_on_a_local_ray_instance() -> None:
    ray = pytest.importorskip("ray")
    r = raw("trainers-attacked")
    points = sw.parse_grid(["decision.escalation=0.3,0.9"])
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        got = sw.sweep(r, points, runs=500, seed=4, backend="ray")
    finally:
        ray.shutdown()
    assert got == sw.sweep(r, points, runs=500, seed=4)


def _same_cell(got: str, written: str) -> bool:
    """A cell as computed and as written: the same text, or the same number within 0.1%
    (the simulation is seeded, but the last digits of a float sum differ between CPUs,
    as numpy picks its SIMD kernels by the processor, and a draw near a threshold can
    fall the other way: 0.1% is far inside any figure the docs quote)."""
    if got == written:
        return True
    try:
        a, b = float(got), float(written)
    except ValueError:
        return False
    return math.isclose(a, b, rel_tol=1e-3, abs_tol=1e-9)


def _written_table(text: str, header: str) -> list[list[str]]:
    """The rows of the markdown table in ``text`` that starts with ``header``."""
    lines = text[text.index(header):].splitlines()[2:]
    rows = []
    for line in lines:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows


def _assert_table_written(markdown: str, text: str) -> None:
    header, _, *lines = markdown.splitlines()
    assert header in text, "regenerate: allied lab backtest"
    written = _written_table(text, header)
    got = [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines]
    assert len(got) == len(written), "regenerate: allied lab backtest"
    for row, was in zip(got, written, strict=True):
        assert len(row) == len(was) and all(
            _same_cell(a, b) for a, b in zip(row, was, strict=True)
        ), f"regenerate: allied lab backtest ({row[:2]} is now {row}, written {was})"


def test_backtests_match_the_figures_written_in_docs() -> None:
    result = bt.run()
    text = DOCS.read_text(encoding="utf-8")
    _assert_table_written(bt.markdown(result.rows), text)
    _assert_table_written(bt.markdown(result.reliability, bt.RELIABILITY_COLUMNS), text)


def test_a_backtest_figure_written_wrong_is_found() -> None:
    result = bt.run()
    text = DOCS.read_text(encoding="utf-8")
    first = result.rows[0]
    prefix = f"| {first['family']} | {first['episode']} |"
    written_line = next(ln for ln in text.splitlines() if ln.startswith(prefix))
    cells = written_line.split(" | ")
    idx = bt.COLUMNS.index("crps_model")
    cells[idx] = f"{float(cells[idx]) * 1.01:.6g}"  # 1% off
    altered = text.replace(written_line, " | ".join(cells))
    with pytest.raises(AssertionError):
        _assert_table_written(bt.markdown(result.rows), altered)


def test_the_share_done_before_the_first_escalation_is_a_share() -> None:
    """Step sizes are noisy (lognormal around the plan), so the share is taken of the
    steps as realised: it stays in [0, 1] in every run."""
    result = json.loads(engine.run(raw("escalation-ladder"), runs=4000, seed=11).to_json())
    for variant in result["variants"].values():
        share = variant["escalation"]["share_done_before_first_escalation"]
        assert 0.0 <= share["p10"] <= share["p50"] <= share["p90"] <= 1.0
        assert 0.0 <= share["mean"] <= 1.0


def test_variant_histograms_share_their_bins() -> None:
    """Overlaid histograms of two variants compare bar by bar only with the same bins."""
    import matplotlib.pyplot as plt

    from allied.lab.charts import figure

    raw, _ = sc.load_raw("natoization-2024")
    result = engine.run(raw, runs=400, seed=3)
    assert len(result.arrays) == 2
    fig = figure(result)
    try:
        for ax in fig.axes:
            bars = [p for p in ax.patches if type(p).__name__ == "Rectangle"]
            if not ax.get_title().startswith(("aid lateness", "days to")):
                continue
            per_variant = len(bars) // 2
            first, second = bars[:per_variant], bars[per_variant:]
            assert [round(b.get_x(), 9) for b in first] == [round(b.get_x(), 9) for b in second]
            assert {round(b.get_width(), 9) for b in first + second} == {
                round(first[0].get_width(), 9)
            }
    finally:
        plt.close(fig)
