"""Independent reference implementations for the allocation tests.

Written straight from issue 3's text, one pair at a time, sharing no code with
``allied.allocation.network``: feasibility, weights, a plan checker, a brute-force
optimum and a separately built LP (HiGHS' modelling API, one variable per pair).
"""

from __future__ import annotations

import datetime as dt
import importlib
import itertools
import random
from typing import Any

from allied.allocation import OfferSpec, Plan, Problem, RequestSpec


def feasible(problem: Problem, o: OfferSpec, r: RequestSpec) -> bool:
    if o.family not in r.accepts:
        return False
    if o.recipient is not None and o.recipient != r.recipient:
        return False
    rule = problem.channel_rules.get(o.channel)
    if rule is not None and not rule.lethal and o.lethal:
        return False
    if o.origin is not None and o.origin != o.donor:
        statuses = [c.status.value for c in problem.consents
                    if c.origin == o.origin and c.holder == o.donor]
        status = statuses[0] if statuses else None
        if o.consent is not None:  # the offer's own answer overrides the list
            status = o.consent.value
        pending = status in (None, "pending", "expired")
        if not (status == "granted" or (problem.options.allow_pending_consent and pending)):
            return False
    return True


def weight(problem: Problem, o: OfferSpec, r: RequestSpec) -> float:
    late = (o.available_from - r.needed_by).days
    d = 1.0 if late <= 0 else 0.5 ** (late / problem.options.lateness_half_life_days)
    return r.priority / r.quantity * d


def pairs(problem: Problem) -> list[tuple[OfferSpec, RequestSpec, float]]:
    return [(o, r, weight(problem, o, r)) for r in problem.requests for o in problem.offers
            if feasible(problem, o, r)]


def check_plan(problem: Problem, plan: Plan) -> float:
    """Assert the plan is feasible and consistent; return its objective, recomputed."""
    offers = {o.id: o for o in problem.offers}
    requests = {r.id: r for r in problem.requests}
    used_o = dict.fromkeys(offers, 0)
    used_r = dict.fromkeys(requests, 0)
    total = 0.0
    keys = [(a.request, a.offer) for a in plan.allocations]
    assert keys == sorted(keys), "allocations not sorted by request, then offer"
    assert len(set(keys)) == len(keys), "a pair allocated twice"
    for a in plan.allocations:
        o, r = offers[a.offer], requests[a.request]
        assert a.quantity > 0
        assert feasible(problem, o, r), f"infeasible pair {a.offer} -> {a.request}"
        used_o[a.offer] += a.quantity
        used_r[a.request] += a.quantity
        total += a.quantity * weight(problem, o, r)
    for oid, used in used_o.items():
        assert used <= offers[oid].quantity, f"offer {oid} over-allocated"
    for rid, used in used_r.items():
        assert used <= requests[rid].quantity, f"request {rid} over-filled"
    unfilled = {u.request: u for u in plan.unfilled}
    assert [u.request for u in plan.unfilled] == sorted(unfilled)
    for rid, r in requests.items():
        short = r.quantity - used_r[rid]
        if short:
            assert rid in unfilled and unfilled[rid].quantity == short
            assert unfilled[rid].reasons, f"request {rid} short with no reason"
            assert list(unfilled[rid].reasons) == sorted(unfilled[rid].reasons)
        else:
            assert rid not in unfilled
    assert abs(total - plan.objective) <= 1e-6 * max(1.0, abs(total))
    return total


def brute_force_optimum(problem: Problem) -> float:
    """The best objective over every integer allocation (tiny problems only)."""
    ps = pairs(problem)
    best = 0.0

    def go(k: int, left_o: dict[str, int], left_r: dict[str, int], value: float) -> None:
        nonlocal best
        if k == len(ps):
            best = max(best, value)
            return
        o, r, w = ps[k]
        for q in range(min(left_o[o.id], left_r[r.id]) + 1):
            left_o[o.id] -= q
            left_r[r.id] -= q
            go(k + 1, left_o, left_r, value + q * w)
            left_o[o.id] += q
            left_r[r.id] += q

    go(0, {o.id: o.quantity for o in problem.offers},
       {r.id: r.quantity for r in problem.requests}, 0.0)
    return best


def separate_lp_optimum(problem: Problem) -> float:
    """The optimum of an LP built pair by pair with highspy's modelling API."""
    highspy: Any = importlib.import_module("highspy")
    ps = pairs(problem)
    if not ps:
        return 0.0
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    xs = [h.addVariable(lb=0.0) for _ in ps]
    for o in problem.offers:
        mine = [x for x, (oo, _, _) in zip(xs, ps, strict=True) if oo.id == o.id]
        if mine:
            h.addConstr(sum(mine[1:], mine[0] * 1.0) <= o.quantity)
    for r in problem.requests:
        mine = [x for x, (_, rr, _) in zip(xs, ps, strict=True) if rr.id == r.id]
        if mine:
            h.addConstr(sum(mine[1:], mine[0] * 1.0) <= r.quantity)
    objective = sum((x * w for x, (_, _, w) in zip(xs[1:], ps[1:], strict=True)),
                    xs[0] * ps[0][2])
    h.maximize(objective)
    return float(h.getInfo().objective_function_value)


AS_OF = dt.date(2024, 3, 1)


def day(offset: int) -> str:
    return (AS_OF + dt.timedelta(days=offset)).isoformat()


def request(rid: str, accepts: list[str], quantity: int, priority: int = 3,
            needed_by: int = 30, recipient: str = "UKR") -> dict[str, Any]:
    return {"id": rid, "recipient": recipient, "accepts": accepts, "quantity": quantity,
            "priority": priority, "needed_by": day(needed_by)}


def offer(oid: str, family: str, quantity: int, *, donor: str = "POL", available: int = 0,
          channel: str = "bilateral", lethal: bool = True, origin: str | None = None,
          recipient: str | None = None, consent: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": oid, "donor": donor, "family": family, "quantity": quantity,
                           "available_from": day(available), "channel": channel,
                           "lethal": lethal}
    if origin is not None:
        out["origin"] = origin
    if recipient is not None:
        out["recipient"] = recipient
    if consent is not None:
        out["consent"] = consent
    return out


def problem(requests: list[dict[str, Any]], offers: list[dict[str, Any]],
            **extra: Any) -> dict[str, Any]:
    return {"as_of": AS_OF.isoformat(), "requests": requests, "offers": offers, **extra}


def random_problem(seed: int, n_requests: int, n_offers: int, max_qty: int) -> dict[str, Any]:
    """A seeded random problem over a small pool of families, donors and rules."""
    rnd = random.Random(seed)
    families = ["fa", "fb", "fc"]
    reqs = [request(f"R{i}", rnd.sample(families, rnd.randint(1, 2)), rnd.randint(1, max_qty),
                    rnd.randint(1, 5), rnd.randint(0, 40), rnd.choice(["UKR", "UKR", "MDA"]))
            for i in range(n_requests)]
    offs = [offer(f"O{i}", rnd.choice(families), rnd.randint(1, max_qty),
                  donor=rnd.choice(["POL", "EST", "DEU"]), available=rnd.randint(0, 70),
                  channel=rnd.choice(["bilateral", "nato-cap", "udcg"]),
                  lethal=rnd.random() < 0.7,
                  origin=rnd.choice([None, None, "DEU", "USA"]),
                  recipient=rnd.choice([None, None, None, "UKR"]))
            for i in range(n_offers)]
    consents = [{"origin": o, "holder": h, "status": rnd.choice(
        ["granted", "pending", "denied", "expired"])}
        for o, h in itertools.product(["DEU", "USA"], ["POL", "EST"]) if rnd.random() < 0.7]
    return problem(reqs, offs, consents=consents,
                   channel_rules={"nato-cap": {"lethal": False}},
                   options={"allow_pending_consent": rnd.random() < 0.3,
                            "lateness_half_life_days": rnd.choice([5, 30])})
