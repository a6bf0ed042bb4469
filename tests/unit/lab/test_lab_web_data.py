"""What the dashboard's lab shows: the charts as data (variants on the same bins) and a
sweep through the service equal to the CLI's sweep (same seed, same figures)."""

from __future__ import annotations

import itertools

import pytest

from allied.domain.errors import InvalidInput
from allied.lab import scenario as sc
from allied.lab import sweep as sw
from allied.service.lab import MAX_SWEEP_POINTS, run_scenario, run_sweep


def test_histogram_panels_share_their_bins_and_sum_to_the_runs_counted() -> None:
    out = run_scenario("epf-tranche", runs=300, seed=2, chart=None)
    (panel,) = [p for p in out["panels"] if p["kind"] == "histogram"]
    assert len(panel["series"]) == 3  # the three variants
    assert len(panel["edges"]) == len(panel["x"]) + 1
    for series in panel["series"]:
        assert len(series["y"]) == len(panel["x"])
        # shares of the variant's runs: adopted runs only, so at most 1 in all
        assert 0 < sum(series["y"]) <= 1.0 + 1e-9


def test_a_sweep_through_the_service_gives_the_clis_rows() -> None:
    grid = ["decision.escalation=0.2,0.7"]
    seen: list[tuple[int, int]] = []
    out = run_sweep("trainers-attacked", grid, runs=300, seed=4,
                    progress=lambda done, total: seen.append((done, total)))
    raw, _ = sc.load_raw("trainers-attacked")
    assert out["rows"] == sw.sweep(raw, sw.parse_grid(grid), runs=300, seed=4)
    assert out["keys"] == ["decision.escalation"]
    assert seen[-1] == (600, 600) and all(a <= b for (a, _), (b, _) in itertools.pairwise(seen))


def test_a_sweeps_progress_counts_every_variant_only_up_and_ends_at_the_total() -> None:
    """escalation-ladder has 2 variants: 3 points x 2 variants x 6,000 runs (chunks of 5,000
    and 1,000). The review saw the count fall back at each point and end at 166 %."""
    seen: list[tuple[int, int]] = []
    run_sweep("escalation-ladder", ["escalation.total=0.5,1,1.5"], runs=6000, seed=1,
              progress=lambda done, total: seen.append((done, total)))
    assert {total for _, total in seen} == {36_000}
    done = [d for d, _ in seen]
    assert done == [5000, 6000, 11000, 12000, 17000, 18000, 23000, 24000, 29000, 30000,
                    35000, 36000]
    assert all(a < b for a, b in itertools.pairwise(done)) and done[-1] == 36_000


@pytest.mark.parametrize(
    ("grid", "field"),
    [
        ([], "grid"),
        (["nonsense"], "grid"),
        (["variants=1,2"], "grid"),
        (["decision.escalation=" + ",".join(str(i / 100) for i in range(MAX_SWEEP_POINTS + 1))],
         "grid"),
    ],
)
def test_a_bad_sweep_is_refused_before_running(grid: list[str], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        run_sweep("trainers-attacked", grid, runs=100,
                  progress=lambda *_: pytest.fail("ran"))
    assert refused.value.field == field


def test_a_sweep_too_large_names_the_runs() -> None:
    with pytest.raises(InvalidInput) as refused:
        run_sweep("natoization-2024", ["aid.months=200,240"], runs=200_000)
    assert refused.value.field == "runs"
