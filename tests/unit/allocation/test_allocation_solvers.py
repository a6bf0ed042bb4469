"""One suite, run against every solver behind the port (PuLP-style: parametrised).

Solvers whose library is missing are skipped, by name; every other test runs on each.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from allocation_reference import brute_force_optimum, check_plan, offer, problem, request

from allied.allocation import (
    SOLVERS,
    NetworkSolver,
    Plan,
    PlanStatus,
    Solver,
    allocate,
    get_solver,
    parse_problem,
    plan_to_json,
)


@pytest.fixture(params=sorted(SOLVERS))
def solver(request: pytest.FixtureRequest) -> NetworkSolver:
    chosen = SOLVERS[request.param]()
    if not chosen.available():
        pytest.skip(f"solver {request.param} not available here")
    return chosen


def run(solver: NetworkSolver, data: dict[str, Any]) -> Plan:
    spec = parse_problem(data)
    plan = solver.solve(spec)
    check_plan(spec, plan)
    return plan


def reasons(plan: Plan) -> dict[str, tuple[str, ...]]:
    return {u.request: u.reasons for u in plan.unfilled}


def test_satisfies_the_port(solver: NetworkSolver) -> None:
    assert isinstance(solver, Solver)
    assert solver.available()


def test_empty_problem(solver: NetworkSolver) -> None:
    plan = run(solver, problem([], []))
    assert plan.allocations == () and plan.unfilled == () and plan.objective == 0.0


def test_fills_a_request_from_compatible_offers(solver: NetworkSolver) -> None:
    plan = run(solver, problem(
        [request("R1", ["155mm-nato"], 100, priority=4)],
        [offer("O1", "155mm-nato", 60), offer("O2", "155mm-nato", 60),
         offer("O3", "152mm-soviet", 500)],
    ))
    assert plan.allocated_units == 100
    assert {a.offer for a in plan.allocations} <= {"O1", "O2"}
    assert plan.unfilled == ()
    assert plan.objective == pytest.approx(4.0)  # 100 units x 4 / 100


def test_scarce_supply_goes_to_the_higher_weight(solver: NetworkSolver) -> None:
    plan = run(solver, problem(
        [request("R1", ["fa"], 10, priority=1), request("R2", ["fa"], 10, priority=5)],
        [offer("O1", "fa", 10)],
    ))
    assert [(a.request, a.quantity) for a in plan.allocations] == [("R2", 10)]
    assert reasons(plan) == {"R1": ("insufficient-supply",)}
    assert plan.unfilled[0].quantity == 10


def test_exact_solvers_beat_greedy_where_greedy_is_myopic(solver: NetworkSolver) -> None:
    # R1 (weight 0.5) can use either offer; R2 (weight 0.4) only OA. Greedy gives OA to R1.
    data = problem(
        [request("R1", ["fa", "fb"], 10, priority=5), request("R2", ["fa"], 10, priority=4)],
        [offer("OA", "fa", 10), offer("OB", "fb", 10)],
    )
    plan = run(solver, data)
    if solver.exact:
        assert plan.status is PlanStatus.OPTIMAL
        assert plan.objective == pytest.approx(9.0)
        assert plan.unfilled == ()
    else:
        assert plan.status is PlanStatus.HEURISTIC
        assert plan.objective == pytest.approx(5.0)
        assert reasons(plan) == {"R2": ("insufficient-supply",)}


def test_late_offers_are_discounted_by_half_life(solver: NetworkSolver) -> None:
    plan = run(solver, problem(
        [request("R1", ["fa"], 10, priority=2, needed_by=10)],
        [offer("O1", "fa", 4, available=40)],  # 30 days late, half-life 30: d = 0.5
    ))
    assert plan.objective == pytest.approx(4 * 2 / 10 * 0.5)
    assert reasons(plan) == {"R1": ("insufficient-supply", "late:30")}


def test_tiny_weights_still_decide(solver: NetworkSolver) -> None:
    """Weights far below a solver's default tolerance (0.5**23 here) still pick the
    better offer: the LP scales its costs, the flow solver's scale is a power of two."""
    plan = run(solver, problem(
        [request("R1", ["fa"], 1, priority=1, needed_by=0)],
        [offer("O1", "fa", 1, available=24), offer("O2", "fa", 1, available=23)],
        options={"lateness_half_life_days": 1},
    ))
    assert [(a.offer, a.quantity) for a in plan.allocations] == [("O2", 1)]
    assert plan.objective == round(0.5**23, 9)


def test_on_time_offer_preferred_and_late_reason_only_when_all_late(
    solver: NetworkSolver,
) -> None:
    plan = run(solver, problem(
        [request("R1", ["fa"], 10, needed_by=10)],
        [offer("O1", "fa", 3, available=5), offer("O2", "fa", 3, available=20)],
    ))
    assert plan.allocated_units == 6
    assert reasons(plan) == {"R1": ("insufficient-supply",)}


def test_no_compatible_offer(solver: NetworkSolver) -> None:
    plan = run(solver, problem(
        [request("R1", ["155mm-nato"], 5)], [offer("O1", "152mm-soviet", 5)]
    ))
    assert reasons(plan) == {"R1": ("no-compatible-offer",)}


@pytest.mark.parametrize(
    ("consents", "allow_pending", "served", "why"),
    [
        ([{"origin": "DEU", "holder": "EST", "status": "denied"}], False, 0,
         ("consent-denied:DEU",)),
        ([{"origin": "DEU", "holder": "EST", "status": "denied"}], True, 0,
         ("consent-denied:DEU",)),
        ([], False, 0, ("consent-pending:DEU",)),  # no record counts as pending
        ([{"origin": "DEU", "holder": "EST", "status": "pending"}], False, 0,
         ("consent-pending:DEU",)),
        ([{"origin": "DEU", "holder": "EST", "status": "expired"}], False, 0,
         ("consent-pending:DEU",)),
        ([], True, 5, None),
        ([{"origin": "DEU", "holder": "EST", "status": "granted"}], False, 5, None),
        # a consent to another holder does not count for this one
        ([{"origin": "DEU", "holder": "POL", "status": "granted"}], False, 0,
         ("consent-pending:DEU",)),
    ],
)
def test_re_export_consent(
    solver: NetworkSolver, consents: list[dict[str, str]], allow_pending: bool, served: int,
    why: tuple[str, ...] | None,
) -> None:
    plan = run(solver, problem(
        [request("R1", ["fa"], 5)],
        [offer("O1", "fa", 5, donor="EST", origin="DEU")],
        consents=consents, options={"allow_pending_consent": allow_pending},
    ))
    assert plan.allocated_units == served
    assert reasons(plan).get("R1") == why


def test_an_offers_own_consent_overrides_the_list(solver: NetworkSolver) -> None:
    # consent is asked per family: one holder and origin, two different answers
    plan = run(solver, problem(
        [request("R1", ["fa"], 5), request("R2", ["fb"], 5), request("R3", ["fc"], 5)],
        [offer("O1", "fa", 5, donor="EST", origin="DEU", consent="granted"),
         offer("O2", "fb", 5, donor="EST", origin="DEU"),
         offer("O3", "fc", 5, donor="EST", origin="DEU", consent="pending")],
        consents=[{"origin": "DEU", "holder": "EST", "status": "denied"}],
    ))
    assert [(a.request, a.offer) for a in plan.allocations] == [("R1", "O1")]
    assert reasons(plan) == {"R2": ("consent-denied:DEU",), "R3": ("consent-pending:DEU",)}


def test_an_offer_used_up_explains_insufficient_supply(solver: NetworkSolver) -> None:
    """Quantity 0 (database mode: all held by earlier allocations) is an offer used up."""
    spec = parse_problem(problem([request("R1", ["fa"], 5), request("R2", ["fb"], 5)],
                                 [offer("O1", "fa", 1), offer("O2", "fb", 3)]))
    spec = dataclasses.replace(spec, offers=(
        dataclasses.replace(spec.offers[0], quantity=0), spec.offers[1]))
    plan = solver.solve(spec)
    check_plan(spec, plan)
    assert [(a.offer, a.quantity) for a in plan.allocations] == [("O2", 3)]
    assert reasons(plan) == {"R1": ("insufficient-supply",), "R2": ("insufficient-supply",)}


def test_own_make_needs_no_consent(solver: NetworkSolver) -> None:
    plan = run(solver, problem(
        [request("R1", ["fa"], 5)], [offer("O1", "fa", 5, donor="DEU", origin="DEU")],
        consents=[{"origin": "DEU", "holder": "DEU", "status": "denied"}],
    ))
    assert plan.allocated_units == 5


def test_channel_rule_forbids_lethal_only(solver: NetworkSolver) -> None:
    plan = run(solver, problem(
        [request("R1", ["fuel"], 10), request("R2", ["fa"], 10)],
        [offer("O1", "fuel", 10, channel="nato-cap", lethal=False),
         offer("O2", "fa", 10, channel="nato-cap", lethal=True)],
        channel_rules={"nato-cap": {"lethal": False}},
    ))
    assert [(a.request, a.offer) for a in plan.allocations] == [("R1", "O1")]
    assert reasons(plan) == {"R2": ("channel-forbids-lethal:nato-cap",)}


def test_recipient_mismatch(solver: NetworkSolver) -> None:
    plan = run(solver, problem(
        [request("R1", ["fa"], 10, recipient="MDA"), request("R2", ["fa"], 4)],
        [offer("O1", "fa", 10, recipient="UKR")],
    ))
    assert [(a.request, a.quantity) for a in plan.allocations] == [("R2", 4)]
    assert reasons(plan) == {"R1": ("recipient-mismatch",)}


def test_every_blocking_rule_is_named(solver: NetworkSolver) -> None:
    plan = run(solver, problem(
        [request("R1", ["fa", "fb"], 10, recipient="MDA")],
        [offer("O1", "fa", 10, recipient="UKR"),
         offer("O2", "fb", 10, channel="nato-cap", donor="EST", origin="USA"),
         offer("O3", "fa", 2)],
        consents=[{"origin": "USA", "holder": "EST", "status": "denied"}],
        channel_rules={"nato-cap": {"lethal": False}},
    ))
    assert plan.allocated_units == 2
    assert reasons(plan) == {"R1": (
        "channel-forbids-lethal:nato-cap", "consent-denied:USA", "insufficient-supply",
        "recipient-mismatch",
    )}


def test_allocations_sorted_by_request_then_offer(solver: NetworkSolver) -> None:
    plan = run(solver, problem(
        [request("Rb", ["fa"], 3), request("Ra", ["fa"], 3)],
        [offer("O2", "fa", 2), offer("O10", "fa", 2), offer("O1", "fa", 2)],
    ))
    keys = [(a.request, a.offer) for a in plan.allocations]
    assert keys == sorted(keys) and plan.allocated_units == 6


def test_same_input_gives_byte_identical_plans(solver: NetworkSolver) -> None:
    from allocation_reference import random_problem

    data = random_problem(seed=3, n_requests=30, n_offers=40, max_qty=50)
    first = plan_to_json(solver.solve(parse_problem(data)))
    second = plan_to_json(solver.solve(parse_problem(data)))
    assert first == second


def test_matches_brute_force_on_a_fixed_instance(solver: NetworkSolver) -> None:
    from allocation_reference import random_problem

    data = random_problem(seed=11, n_requests=3, n_offers=3, max_qty=3)
    spec = parse_problem(data)
    plan = solver.solve(spec)
    value = check_plan(spec, plan)
    best = brute_force_optimum(spec)
    if solver.exact:
        assert value == pytest.approx(best, rel=1e-9, abs=1e-9)
    else:
        assert value <= best + 1e-9


def test_progress_reports_each_phase_to_completion(solver: NetworkSolver) -> None:
    from allocation_reference import random_problem

    calls: list[tuple[str, int, int]] = []
    solver.solve(parse_problem(random_problem(5, 20, 20, 10)),
                 progress=lambda p, d, t: calls.append((p, d, t)))
    phases = [p for p, _, _ in calls]
    assert {"build", "solve", "explain"} <= set(phases)
    for phase in ("build", "solve", "explain"):
        last = [(d, t) for p, d, t in calls if p == phase][-1]
        assert last[0] == last[1]


def test_library_prints_nothing(
    solver: NetworkSolver, capsys: pytest.CaptureFixture[str]
) -> None:
    from allocation_reference import random_problem

    solver.solve(parse_problem(random_problem(6, 15, 15, 10)))
    out, err = capsys.readouterr()
    assert out == "" and err == ""


def test_allocate_api_by_name() -> None:
    data = problem([request("R1", ["fa"], 2)], [offer("O1", "fa", 2)])
    plan = allocate(parse_problem(data), solver="greedy")
    assert plan.solver == "greedy" and plan.allocated_units == 2
    assert get_solver("auto").exact


def test_unknown_solver_is_invalid_input() -> None:
    from allied.domain.errors import InvalidInput

    with pytest.raises(InvalidInput) as err:
        get_solver("simplex")
    assert err.value.field == "solver"


def test_an_allocation_that_arrives_late_is_flagged(solver: NetworkSolver) -> None:
    """A request long past its date served by an offer years later: the plan says so."""
    plan = run(
        solver,
        problem(
            [request("R-OLD", ["fa"], 10, needed_by=0), request("R-NEW", ["fb"], 5, needed_by=60)],
            [offer("O-LATE", "fa", 10, available=4 * 365), offer("O-SOON", "fb", 5, available=10)],
        ),
    )
    lines = {a.request: a for a in plan.allocations}
    assert lines["R-OLD"].late_days == 4 * 365 and lines["R-OLD"].flags == ("late:1460",)
    assert lines["R-NEW"].late_days == 0 and lines["R-NEW"].flags == ()
    written = {a["request"]: a for a in json.loads(plan_to_json(plan))["allocations"]}
    assert written["R-OLD"]["flags"] == ["late:1460"]
    assert "flags" not in written["R-NEW"]
