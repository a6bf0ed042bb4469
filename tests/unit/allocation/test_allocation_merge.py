"""Interchangeable offers solved as one (issue 24, allied.allocation.merge): which offers
merge, and that a plan made on the merged problem and split back is, on the original
problem, feasible, optimal, maximal and explained exactly as the original network would
explain it."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from allocation_reference import check_plan, day, offer, problem, request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allied.allocation import (
    SOLVERS,
    Problem,
    allocate,
    build_network,
    parse_problem,
    plan_to_json,
)
from allied.allocation.merge import merge_offers
from allied.allocation.plan import plan_part

AVAILABLE = sorted(name for name in SOLVERS if SOLVERS[name]().available())
EXACT = [name for name in AVAILABLE if SOLVERS[name]().exact]
PROPERTY = settings(max_examples=80, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _used_up(spec: Problem, *ids: str) -> Problem:
    """``spec`` with the offers ``ids`` at quantity 0 (the file format refuses 0; the
    engine takes it: an offer all held by earlier allocations)."""
    return dataclasses.replace(spec, offers=tuple(
        dataclasses.replace(o, quantity=0) if o.id in ids else o for o in spec.offers))


def test_offers_merge_when_every_request_sees_them_alike() -> None:
    spec = _used_up(parse_problem(problem(
        [request("R1", ["fa"], 5, needed_by=30), request("R2", ["fa", "fb"], 5, needed_by=40)],
        [
            offer("O1", "fa", 3, available=10),  # on time for both: merges with O2, O3
            offer("O2", "fa", 4, available=30),
            offer("O3", "fa", 1, available=0),  # used up: merges too (quantity 0)
            offer("O4", "fa", 2, available=35),  # late for R1: only with the same day
            offer("O5", "fa", 2, available=35),
            offer("O6", "fa", 2, available=36),
            offer("O7", "fa", 2, available=10, recipient="UKR"),  # reserved: apart
            offer("O8", "fa", 2, available=10, origin="USA"),  # needs consent: apart
            offer("O9", "fb", 2, available=10),  # another family
            offer("OA", "fc", 2, available=10),  # no request accepts fc
            offer("OB", "fc", 1, available=99),
        ],
    )), "O3")
    merged, members = merge_offers(spec)
    assert members is not None
    assert {k: [o.id for o in v] for k, v in members.items()} == {
        "O1": ["O3", "O1", "O2"], "O4": ["O4", "O5"], "OA": ["OA", "OB"],
    }
    assert [(o.id, o.quantity) for o in merged.offers] == [
        ("O1", 7), ("O4", 4), ("O6", 2), ("O7", 2), ("O8", 2), ("O9", 2), ("OA", 3),
    ]
    assert merged.requests == spec.requests


def test_no_interchangeable_offers_leaves_the_problem_as_it_is() -> None:
    spec = parse_problem(problem(
        [request("R1", ["fa"], 5, needed_by=10)],
        [offer("O1", "fa", 3, available=20), offer("O2", "fa", 3, available=21)],
    ))
    assert merge_offers(spec) == (spec, None)


def test_a_merged_offer_is_split_over_its_members_longest_available_first() -> None:
    spec = _used_up(parse_problem(problem(
        [request("R1", ["fa"], 4, priority=5), request("R2", ["fa"], 6, priority=1)],
        [offer("O3", "fa", 5, available=2), offer("O1", "fa", 3, available=2),
         offer("O2", "fa", 1), offer("O0", "fa", 1, available=9)],
    )), "O2")
    plan = allocate(spec)
    # one class (all on time): O2 (day 0, used up), then O1 and O3 (day 2, by id), then
    # O0 (day 9); R1 (id first) takes O1 then O3, R2 the rest of O3 and O0
    assert [(a.request, a.offer, a.quantity) for a in plan.allocations] == [
        ("R1", "O1", 3), ("R1", "O3", 1), ("R2", "O0", 1), ("R2", "O3", 4),
    ]
    assert [(u.request, u.quantity, u.reasons) for u in plan.unfilled] == [
        ("R2", 1, ("insufficient-supply",)),
    ]


@st.composite
def crowded_problems(draw: st.DrawFn) -> Problem:
    """Many offers on few days, so that classes of interchangeable offers are common."""
    requests = [
        {"id": f"R{i}", "recipient": draw(st.sampled_from(["UKR", "MDA"])),
         "accepts": draw(st.lists(st.sampled_from(["fa", "fb"]), min_size=1, max_size=2,
                                  unique=True)),
         "quantity": draw(st.integers(1, 30)), "priority": draw(st.integers(1, 5)),
         "needed_by": day(draw(st.sampled_from([5, 10, 20])))}
        for i in range(draw(st.integers(1, 6)))
    ]
    offers: list[dict[str, Any]] = []
    for i in range(draw(st.integers(1, 14))):
        entry: dict[str, Any] = {
            "id": f"O{draw(st.integers(0, 99)):02d}-{i}",
            "donor": draw(st.sampled_from(["POL", "DEU"])),
            "family": draw(st.sampled_from(["fa", "fb"])),
            "quantity": draw(st.integers(0, 12)) if i else draw(st.integers(1, 12)),
            "available_from": day(draw(st.sampled_from([0, 3, 10, 15, 25]))),
            "channel": draw(st.sampled_from(["bilateral", "nato-cap"])),
            "lethal": draw(st.booleans()),
        }
        if draw(st.booleans()):
            entry["origin"] = "USA"
        if draw(st.integers(0, 3)) == 0:
            entry["recipient"] = "UKR"
        offers.append(entry)
    data = {
        "as_of": day(0), "requests": requests, "offers": offers,
        "consents": [{"origin": "USA", "holder": "POL", "status": "granted"}],
        "channel_rules": {"nato-cap": {"lethal": False}},
        "options": {"lateness_half_life_days": draw(st.sampled_from([1, 30]))},
    }
    # the file format refuses a quantity of 0; the engine takes it (an offer used up)
    zero = [o["id"] for o in offers if o["quantity"] == 0]
    for o in offers:
        o["quantity"] = max(o["quantity"], 1)
    return _used_up(parse_problem(data), *zero)


@PROPERTY
@given(crowded_problems())
def test_the_split_plan_is_the_original_networks_optimum_and_explanation(spec: Problem) -> None:
    net = build_network(spec)  # the original network: no offer merged
    for name in EXACT:
        solver = SOLVERS[name]()
        plan = solver.solve(spec)
        value = check_plan(spec, plan)
        unmerged = solver.solve_network(net)
        assert abs(value - unmerged.objective) <= 1e-6 * max(1.0, unmerged.objective), name
        # the same lines read on the original network: nothing left to top up (maximal),
        # and the same reasons for every unit left unfilled
        index = {(net.pair_req[e], net.pair_off[e]): e for e in range(net.n_pairs)}
        req_at = {r.id: i for i, r in enumerate(spec.requests)}
        off_at = {o.id: j for j, o in enumerate(spec.offers)}
        x = np.zeros(net.n_pairs, dtype=np.int64)
        for a in plan.allocations:
            x[index[(req_at[a.request], off_at[a.offer])]] = a.quantity
        again = plan_part(net, x)
        assert again.allocations == plan.allocations, name
        assert again.unfilled == plan.unfilled, name
        assert plan_to_json(solver.solve(spec)) == plan_to_json(plan)  # deterministic


def test_a_part_over_the_bound_once_merged_is_cut_among_its_own_offers() -> None:
    """Bounded by parts: a part that fits once merged is solved merged (exact); one that
    does not is cut as without merging (its windows chosen among the offers)."""
    from allied.allocation.flow import FlowSolver
    from allied.allocation.network import compatible_pairs, family_groups, window_for
    from allied.allocation.plan import merge_parts

    if "flow" not in AVAILABLE:
        return
    reqs = [request(f"A{i}", ["fa"], 3, needed_by=30 + i) for i in range(4)]
    reqs += [request(f"B{i}", ["fb"], 2 + i % 3, needed_by=10 + 2 * i) for i in range(8)]
    offs = [offer(f"OA{i}", "fa", 2, available=i) for i in range(8)]  # all early: one class
    # two by two on one day: four classes of fb, still over the bound once merged
    offs += [offer(f"OB{i}", "fb", 1 + i % 2, available=8 + 3 * (i // 2)) for i in range(8)]
    spec = parse_problem(problem(reqs, offs))
    fa, fb = family_groups(spec)
    assert compatible_pairs(merge_offers(fa)[0]) == 4
    assert compatible_pairs(merge_offers(fb)[0]) == 32 and compatible_pairs(fb) == 64
    bound = 20
    plan = allocate(spec, solver="flow", max_pairs=bound)
    assert plan.status.value == "heuristic"
    check_plan(spec, plan)
    lines = {a for a in plan.allocations if a.request.startswith("B")}
    net = build_network(fb, window=window_for(fb, bound))
    cut_fb = merge_parts([plan_part(net, FlowSolver().assign(net))], status=plan.status,
                         solver="flow")
    assert lines == set(cut_fb.allocations)
    whole_fa = allocate(fa, solver="flow")
    assert {a for a in plan.allocations if a.request.startswith("A")} == set(
        whole_fa.allocations)
