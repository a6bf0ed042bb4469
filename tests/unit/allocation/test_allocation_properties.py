"""Property tests: every plan is feasible; exact solvers hit the independent optimum;
the LP optimum is integral; the flow solver's rounding stays within its stated bound."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from allocation_reference import (
    brute_force_optimum,
    check_plan,
    day,
    random_problem,
    separate_lp_optimum,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allied.allocation import SOLVERS, Problem, build_network, parse_problem, plan_to_json
from allied.allocation.flow import FlowSolver, error_bound
from allied.allocation.lp import LpSolver, integral, relaxation
from allied.allocation.lp import error_bound as lp_error_bound
from allied.allocation.network import blocks

AVAILABLE = [SOLVERS[name]() for name in sorted(SOLVERS) if SOLVERS[name]().available()]
EXACT = [s for s in AVAILABLE if s.exact]
FAMILIES = ["fa", "fb", "fc"]
STATES = ["POL", "EST", "DEU"]
PROPERTY = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def problems(draw: st.DrawFn, max_entries: int = 3, max_qty: int = 3) -> Problem:
    """Valid problems only: small pools so that pairs, conflicts and every rule occur."""
    n_req = draw(st.integers(0, max_entries))
    n_off = draw(st.integers(0, max_entries))
    requests = [
        {"id": f"R{i}", "recipient": draw(st.sampled_from(["UKR", "MDA"])),
         "accepts": draw(st.lists(st.sampled_from(FAMILIES), min_size=1, max_size=2,
                                  unique=True)),
         "quantity": draw(st.integers(1, max_qty)), "priority": draw(st.integers(1, 5)),
         "needed_by": day(draw(st.integers(0, 30)))}
        for i in range(n_req)
    ]
    offers: list[dict[str, Any]] = []
    for i in range(n_off):
        entry: dict[str, Any] = {
            "id": f"O{i}", "donor": draw(st.sampled_from(STATES)),
            "family": draw(st.sampled_from(FAMILIES)),
            "quantity": draw(st.integers(1, max_qty)),
            "available_from": day(draw(st.integers(0, 60))),
            "channel": draw(st.sampled_from(["bilateral", "nato-cap"])),
            "lethal": draw(st.booleans()),
        }
        origin = draw(st.sampled_from([None, "DEU", "USA"]))
        if origin is not None:
            entry["origin"] = origin
            own = draw(st.sampled_from([None, None, "granted", "pending", "denied", "expired"]))
            if own is not None and origin != entry["donor"]:
                entry["consent"] = own
        recipient = draw(st.sampled_from([None, None, "UKR"]))
        if recipient is not None:
            entry["recipient"] = recipient
        offers.append(entry)
    consents = [
        {"origin": origin, "holder": holder,
         "status": draw(st.sampled_from(["granted", "pending", "denied", "expired"]))}
        for origin in ["DEU", "USA"] for holder in STATES
        if origin != holder and draw(st.booleans())
    ]
    data = {
        "as_of": day(0), "requests": requests, "offers": offers, "consents": consents,
        "channel_rules": {"nato-cap": {"lethal": draw(st.booleans())}},
        "options": {"allow_pending_consent": draw(st.booleans()),
                    "lateness_half_life_days": draw(st.sampled_from([1, 7.5, 30]))},
    }
    return parse_problem(data)


@PROPERTY
@given(problems(max_entries=6, max_qty=40))
def test_every_plan_is_feasible_and_explained(spec: Problem) -> None:
    for solver in AVAILABLE:
        check_plan(spec, solver.solve(spec))


@PROPERTY
@given(problems())
def test_exact_solvers_equal_brute_force(spec: Problem) -> None:
    best = brute_force_optimum(spec)
    net = build_network(spec)
    # each exact solver's stated worst case below the optimum (solver tolerance, rounding)
    bounds = {"lp": lp_error_bound(net), "flow": error_bound(net)}
    for solver in AVAILABLE:
        value = check_plan(spec, solver.solve(spec))
        assert value <= best + 1e-9 * max(best, 1.0), solver.name
        if solver.exact:
            assert best - value <= bounds[solver.name] + 1e-12 * max(best, 1.0), solver.name


@PROPERTY
@given(problems(max_entries=8, max_qty=60))
def test_exact_solvers_equal_a_separately_built_lp(spec: Problem) -> None:
    expected = separate_lp_optimum(spec)
    # HiGHS treats reduced costs below its dual feasibility tolerance (1e-7) as zero, so
    # it may leave pairs of weight < 1e-7 unused: up to 1e-7 per unit below the optimum.
    slack = 1e-7 * sum(o.quantity for o in spec.offers) + 1e-9
    for solver in EXACT:
        value = check_plan(spec, solver.solve(spec))
        assert expected - slack <= value <= expected + slack + 1e-9, solver.name


@pytest.mark.skipif(not LpSolver().available(), reason="highspy not installed")
@pytest.mark.parametrize("seed", range(8))
def test_lp_optimum_is_integral_without_integer_variables(seed: int) -> None:
    """Total unimodularity: the simplex optimum of the relaxation is integral as it is."""
    spec = parse_problem(random_problem(seed, n_requests=40, n_offers=60, max_qty=997))
    net = build_network(spec)
    assert net.n_pairs > 100
    raw = relaxation(net)  # one LP over every pair, no rounding
    assert np.abs(raw - np.rint(raw)).max() < 1e-6
    # and block by block, as the solver runs it
    for block in blocks(net):
        part = relaxation(net, block)
        assert np.abs(part - np.rint(part)).max() < 1e-6


def test_integral_refuses_a_fractional_solution() -> None:
    with pytest.raises(RuntimeError, match="not integral"):
        integral(np.array([1.0, 2.5]))
    assert integral(np.array([1.0000000001, 2.0])).tolist() == [1, 2]


@pytest.mark.skipif(not (FlowSolver().available() and LpSolver().available()),
                    reason="needs ortools and highspy")
@pytest.mark.parametrize("exponent", [2, 4, 8, 40])
@pytest.mark.parametrize("seed", range(6))
def test_flow_rounding_stays_within_the_stated_bound(seed: int, exponent: int) -> None:
    """With a coarse scale the rounding does change the plan; never beyond U / S."""
    spec = parse_problem(random_problem(seed, n_requests=25, n_offers=30, max_qty=50))
    net = build_network(spec)
    exact = LpSolver().solve_network(net).objective
    flow = FlowSolver(exponent=exponent).solve_network(net)
    check_plan(spec, flow)
    bound = error_bound(net, exponent)
    assert flow.objective <= exact + 1e-6
    assert exact - flow.objective <= bound + 1e-6


def test_default_scale_bound_is_negligible() -> None:
    spec = parse_problem(random_problem(1, n_requests=200, n_offers=300, max_qty=1000))
    net = build_network(spec)
    assert error_bound(net) < 1e-6 * sum(r.priority for r in spec.requests)


@PROPERTY
@given(problems(max_entries=6, max_qty=40))
def test_same_problem_same_bytes(spec: Problem) -> None:
    for solver in AVAILABLE:
        assert plan_to_json(solver.solve(spec)) == plan_to_json(solver.solve(spec))
