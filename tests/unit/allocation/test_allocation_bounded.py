"""Bounded solves (issue 24): a problem over ``max_pairs`` is solved family part by
family part, and a part over it is cut to each request's nearest offers. Under the bound
the plan is the whole solve's, byte for byte; by parts it keeps the optimum; cut, it is
feasible and explained, with the whole network's reasons."""

from __future__ import annotations

import random

import numpy as np
import pytest
from allocation_reference import check_plan, offer, problem, random_problem, request
from hypothesis import HealthCheck, given, settings
from test_allocation_properties import problems

from allied.allocation import (
    SOLVERS,
    PlanStatus,
    Problem,
    allocate,
    build_network,
    parse_problem,
    plan_to_json,
)
from allied.allocation.flow import error_bound
from allied.allocation.network import compatible_pairs, family_groups, window_for
from allied.domain.errors import InvalidInput

AVAILABLE = sorted(name for name in SOLVERS if SOLVERS[name]().available())
PROPERTY = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _families_problem(seed: int, n_requests: int = 60, n_offers: int = 200) -> Problem:
    """Five families, each request accepting one (so five independent parts)."""
    rnd = random.Random(seed)
    fams = ["fa", "fb", "fc", "fd", "fe"]
    reqs = [request(f"R{i:03d}", [rnd.choice(fams)], rnd.randint(1, 50), rnd.randint(1, 5),
                    rnd.randint(0, 40), rnd.choice(["UKR", "UKR", "MDA"]))
            for i in range(n_requests)]
    offs = [offer(f"O{i:03d}", rnd.choice(fams), rnd.randint(1, 50),
                  available=rnd.randint(0, 60), donor=rnd.choice(["POL", "DEU", "EST"]),
                  recipient=rnd.choice([None, None, None, "UKR"]),
                  origin=rnd.choice([None, None, "USA"]))
            for i in range(n_offers)]
    return parse_problem(problem(reqs, offs, consents=[
        {"origin": "USA", "holder": "POL", "status": "granted"},
        {"origin": "USA", "holder": "DEU", "status": "denied"},
    ]))


def _largest_part(spec: Problem) -> int:
    return max(compatible_pairs(p) for p in family_groups(spec))


def test_compatible_pairs_counts_the_full_networks_pairs_before_its_rules() -> None:
    spec = _families_problem(1)
    net = build_network(spec)
    assert compatible_pairs(spec) == int(net.n_compatible.sum())
    assert compatible_pairs(spec) > net.n_pairs  # some are blocked by the rules


@pytest.mark.parametrize("solver", AVAILABLE)
@pytest.mark.parametrize("seed", range(6))
def test_under_the_bound_the_plan_is_the_whole_solves(solver: str, seed: int) -> None:
    spec = parse_problem(random_problem(seed, 30, 50, 30))
    whole = allocate(spec, solver=solver)
    bounded = allocate(spec, solver=solver, max_pairs=compatible_pairs(spec))
    assert plan_to_json(bounded) == plan_to_json(whole)
    assert bounded.status == whole.status


def test_family_groups_partition_the_requests_and_link_families_through_requests() -> None:
    spec = parse_problem(problem(
        [request("R1", ["fa"], 5), request("R2", ["fb", "fc"], 5), request("R3", ["fc"], 5),
         request("R4", ["fd"], 5)],
        [offer("O1", "fa", 3), offer("O2", "fb", 3), offer("O3", "fc", 3),
         offer("O4", "fz", 3)],  # no request accepts fz
    ))
    parts = family_groups(spec)
    assert [[r.id for r in p.requests] for p in parts] == [["R1"], ["R2", "R3"], ["R4"]]
    assert [[o.id for o in p.offers] for p in parts] == [["O1"], ["O2", "O3"], []]
    assert all(p.as_of == spec.as_of and p.options == spec.options for p in parts)


@pytest.mark.parametrize("seed", range(8))
def test_by_parts_the_plan_keeps_the_optimum(seed: int) -> None:
    """Parts share no request or offer: the objective is the whole solve's (tied offers
    may be picked differently), and the greedy baseline's plan is the same plan."""
    spec = _families_problem(seed)
    largest = _largest_part(spec)
    assert largest < compatible_pairs(spec)
    for solver in AVAILABLE:
        whole = allocate(spec, solver=solver)
        parts = allocate(spec, solver=solver, max_pairs=largest)
        check_plan(spec, parts)
        assert parts.status == whole.status
        if solver == "greedy":
            assert plan_to_json(parts) == plan_to_json(whole)
        else:
            assert parts.status is PlanStatus.OPTIMAL
            slack = 2 * error_bound(build_network(spec)) + 1e-9
            assert abs(parts.objective - whole.objective) <= slack


@PROPERTY
@given(problems(max_entries=6, max_qty=40))
def test_a_cut_network_keeps_the_full_networks_reasons(spec: Problem) -> None:
    full = build_network(spec)
    index = {p: e for e, p in enumerate(zip(full.pair_req.tolist(), full.pair_off.tolist(),
                                            strict=True))}
    pairs = set(index)
    for window in (1, 2, 3, 100):
        cut = build_network(spec, window=window)
        assert np.array_equal(cut.n_compatible, full.n_compatible)
        assert np.array_equal(cut.blocked_req, full.blocked_req)
        assert np.array_equal(cut.blocked_code, full.blocked_code)
        assert cut.codes == full.codes
        got = list(zip(cut.pair_req.tolist(), cut.pair_off.tolist(), strict=True))
        assert len(set(got)) == len(got) and set(got) <= pairs
        per_request = np.bincount(cut.pair_req, minlength=full.n_requests)
        accepts = np.array([len(r.accepts) for r in spec.requests], dtype=np.int64)
        assert (per_request <= window * accepts).all()
        for e, pair in enumerate(got):  # the same weights as in the full network
            assert cut.weight[e] == full.weight[index[pair]]
            assert cut.late_days[e] == full.late_days[index[pair]]
        if window >= len(spec.offers):
            assert set(got) == pairs


def test_the_cut_takes_the_latest_offers_on_time_then_the_least_late() -> None:
    spec = parse_problem(problem(
        [request("R1", ["fa"], 5, needed_by=30), request("R2", ["fa"], 5, needed_by=5)],
        [offer("O0", "fa", 1, available=0), offer("O1", "fa", 1, available=10),
         offer("O2", "fa", 1, available=20), offer("O3", "fa", 1, available=29),
         offer("O4", "fa", 1, available=40), offer("O5", "fa", 1, available=50),
         offer("O6", "fa", 1, available=25, origin="USA", consent="denied")],
    ))
    net = build_network(spec, window=3)
    chosen = {spec.requests[r].id: sorted(spec.offers[o].id for o in net.pair_off[
        net.pair_req == r].tolist()) for r in range(2)}
    # R1: the three latest on time (O6 is blocked, so it takes no place in the window)
    assert chosen["R1"] == ["O1", "O2", "O3"]
    # R2: only O0 is on time, then the two least late
    assert chosen["R2"] == ["O0", "O1", "O2"]
    assert net.window == 3 and build_network(spec).window is None


def test_requests_needing_the_same_day_get_different_offers_while_they_last() -> None:
    """From the latest need down, each request's window ends where the offers covering
    the needs after it begin: R0 (5 units) would use O6-O8 (6 units), R1 then O3-O5,
    R2 then O0-O2; each sees the latest two before that end."""
    spec = parse_problem(problem(
        [request(f"R{i}", ["fa"], 5, needed_by=30) for i in range(3)],
        [offer(f"O{i}", "fa", 2, available=i) for i in range(9)],
    ))
    net = build_network(spec, window=2)
    chosen = [sorted(spec.offers[o].id for o in net.pair_off[net.pair_req == r].tolist())
              for r in range(3)]
    assert chosen == [["O7", "O8"], ["O4", "O5"], ["O1", "O2"]]
    # when the offers run out, the next window ends at its own last on-time offer again
    short = parse_problem(problem(
        [request(f"R{i}", ["fa"], 5, needed_by=30) for i in range(3)],
        [offer(f"O{i}", "fa", 1, available=i) for i in range(8)],
    ))
    net = build_network(short, window=3)
    chosen = [sorted(short.offers[o].id for o in net.pair_off[net.pair_req == r].tolist())
              for r in range(3)]
    assert chosen == [["O5", "O6", "O7"], ["O0", "O1", "O2"], ["O5", "O6", "O7"]]


@pytest.mark.parametrize("solver", AVAILABLE)
@pytest.mark.parametrize("seed", range(6))
def test_a_cut_plan_is_feasible_explained_and_heuristic(solver: str, seed: int) -> None:
    spec = _families_problem(seed, n_requests=80, n_offers=300)
    whole = allocate(spec, solver=solver)
    cut = allocate(spec, solver=solver, max_pairs=_largest_part(spec) // 4)
    assert check_plan(spec, cut) <= whole.objective + 1e-6
    assert cut.status is PlanStatus.HEURISTIC
    assert cut.objective > 0.5 * whole.objective


def test_window_for_is_the_largest_k_within_the_bound() -> None:
    spec = parse_problem(problem(
        [request("R1", ["fa"], 5), request("R2", ["fb"], 5), request("R3", ["fa"], 5)],
        # each offer of its own origin (consent granted): no two interchangeable, so that
        # merging them (allied.allocation.merge) leaves the cut something to cut
        [offer(f"A{i}", "fa", 1, origin=f"X{i}", consent="granted") for i in range(10)]
        + [offer(f"B{i}", "fb", 1, origin=f"Y{i}", consent="granted") for i in range(3)],
    ))
    assert compatible_pairs(spec) == 23
    # K offers of fa for R1 and R3, min(K, 3) of fb for R2: 2K + 3 <= 15 up to K = 6
    assert window_for(spec, 15) == 6
    assert window_for(spec, 16) == 6 and window_for(spec, 17) == 7
    assert window_for(spec, 23) == 10 and window_for(spec, 10**6) == 10
    assert window_for(spec, 1) == 1  # every request keeps at least one offer a family
    cut = allocate(spec, max_pairs=15)
    # R1 and R3 need the same day: they get different offers while these last, so here
    # the cut loses nothing
    assert cut.status is PlanStatus.HEURISTIC
    assert check_plan(spec, cut) == pytest.approx(allocate(spec).objective)


def test_max_pairs_below_one_is_refused_naming_it() -> None:
    spec = _families_problem(0)
    with pytest.raises(InvalidInput) as info:
        allocate(spec, max_pairs=0)
    assert info.value.field == "max_pairs"
    with pytest.raises(ValueError, match="window"):
        build_network(spec, window=0)
