"""From a solution vector to a :class:`Plan`: allocations, objective, and the reasons
for every unfilled unit; and the plan file (JSON, byte-identical for the same input).

Reason codes (issue 3), given for each request with unfilled units, sorted:

- ``no-compatible-offer``: no offer of a family the request accepts;
- ``recipient-mismatch``, ``channel-forbids-lethal:<CHANNEL>``, ``consent-denied:<ORIGIN>``,
  ``consent-pending:<ORIGIN>``: a compatible offer exists but this rule keeps it from the
  request (one code per rule and channel/origin that blocks at least one compatible offer);
- ``late:<DAYS>``: the only offers that may serve the request come after its
  ``needed_by``; ``DAYS`` is the smallest delay among them;
- ``insufficient-supply``: offers that may serve the request exist, but they are used up
  (by requests of higher weight, or they simply run out).

An allocation itself carries ``flags`` when the offer is available only after the
request's ``needed_by``: ``late:<DAYS>``, the delay (the file omits ``flags`` when empty).
A late offer is worth less (its weight halves every ``lateness_half_life_days``) but is
still better than nothing, so the optimiser may choose it; the flag says so.

Every plan made here is *maximal*: no feasible pair of positive weight has spare
quantity at both ends (the solvers' results are topped up greedily to make sure), so
every unfilled unit has at least one reason.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from allied.allocation.merge import Members
from allied.allocation.model import (
    AllocationLine,
    Plan,
    PlanStatus,
    ProgressCallback,
    Unfilled,
    no_progress,
)
from allied.allocation.network import BoolArray, IntArray, Network
from allied.domain.errors import InvalidInput

#: Decimal places of the objective in a plan (it is a sum of floats; this hides the last bits).
OBJECTIVE_DECIMALS = 9


def greedy_fill(net: Network, x: IntArray, candidates: IntArray | None = None) -> IntArray:
    """Add quantity to pairs, highest weight first, while both ends have some left.

    ``candidates`` restricts and orders the pairs considered (default: all pairs of
    positive weight, by weight descending, then request id, then offer id). Returns a new
    solution vector; ``x`` is not changed.
    """
    x = x.copy()
    res_req = net.req_qty.copy()
    res_off = net.off_qty.copy()
    np.subtract.at(res_req, net.pair_req, x)
    np.subtract.at(res_off, net.pair_off, x)
    if candidates is None:
        open_pairs = np.flatnonzero(
            (net.weight > 0) & (res_req[net.pair_req] > 0) & (res_off[net.pair_off] > 0)
        )
        candidates = open_pairs[greedy_order(net, open_pairs)]
    if candidates.size == 0:
        return x
    rr: list[int] = res_req.tolist()
    ro: list[int] = res_off.tolist()
    add = [0] * int(candidates.size)
    reqs: list[int] = net.pair_req[candidates].tolist()
    offs: list[int] = net.pair_off[candidates].tolist()
    for k, (r, o) in enumerate(zip(reqs, offs, strict=True)):
        a = rr[r]
        if a == 0:
            continue
        b = ro[o]
        if b == 0:
            continue
        q = a if a < b else b
        add[k] = q
        rr[r] = a - q
        ro[o] = b - q
    x[candidates] += np.asarray(add, dtype=np.int64)
    return x


def greedy_order(net: Network, pairs: IntArray) -> IntArray:
    """Positions into ``pairs`` sorted by weight descending, then request id, then offer id."""
    return np.lexsort((
        net.off_rank[net.pair_off[pairs]],
        net.req_rank[net.pair_req[pairs]],
        -net.weight[pairs],
    )).astype(np.int64)


@dataclass(frozen=True)
class PlanPart:
    """The plan of one part of a problem (:func:`plan_part`): its lines, unfilled
    requests and each line's weight times quantity, kept apart so that parts solved one
    after another make the same plan as one solve (:func:`merge_parts`)."""

    allocations: tuple[AllocationLine, ...]
    unfilled: tuple[Unfilled, ...]
    terms: tuple[float, ...]


def make_plan(
    net: Network,
    x: IntArray,
    *,
    status: PlanStatus,
    solver: str,
    progress: ProgressCallback = no_progress,
    members: Members | None = None,
) -> Plan:
    """Check ``x`` (one integer per feasible pair), top it up, and explain the rest
    (``members``: as :func:`plan_part` takes them)."""
    return merge_parts([plan_part(net, x, progress, members)], status=status, solver=solver)


def merge_parts(parts: list[PlanPart], *, status: PlanStatus, solver: str) -> Plan:
    """One plan from the plans of independent parts: lines by request id then offer id,
    unfilled by request id, the objective summed over every line at once."""
    allocations = [a for p in parts for a in p.allocations]
    unfilled = [u for p in parts for u in p.unfilled]
    if len(parts) > 1:
        allocations.sort(key=lambda a: (a.request, a.offer))
        unfilled.sort(key=lambda u: u.request)
    objective = math.fsum(t for p in parts for t in p.terms)
    return Plan(
        status=status,
        objective=round(objective, OBJECTIVE_DECIMALS) + 0.0,
        allocations=tuple(allocations),
        unfilled=tuple(unfilled),
        solver=solver,
    )


def plan_part(
    net: Network, x: IntArray, progress: ProgressCallback = no_progress,
    members: Members | None = None,
) -> PlanPart:
    """Check ``x`` (one integer per feasible pair), top it up, and explain the rest;
    with ``members``, ``net``'s problem has merged offers (:func:`merge_offers`) and
    each merged offer's lines are split over the offers it stands for."""
    progress("explain", 0, 2)
    x = np.asarray(x, dtype=np.int64)
    if x.shape != net.pair_req.shape:
        raise ValueError(f"solution has {x.shape[0]} values for {net.n_pairs} pairs")
    if (x < 0).any():
        raise ValueError("solution has a negative quantity")
    x = greedy_fill(net, x)
    used_req = np.zeros(net.n_requests, dtype=np.int64)
    used_off = np.zeros(net.n_offers, dtype=np.int64)
    np.add.at(used_req, net.pair_req, x)
    np.add.at(used_off, net.pair_off, x)
    if (used_req > net.req_qty).any() or (used_off > net.off_qty).any():
        raise ValueError("solution exceeds a request's or an offer's quantity")

    nz = np.flatnonzero(x)
    saturated = used_off >= net.off_qty
    if members:
        allocations, terms = _split(net, x, nz, saturated, members)
    else:
        nz = nz[np.lexsort((net.off_rank[net.pair_off[nz]], net.req_rank[net.pair_req[nz]]))]
        requests, offers = net.problem.requests, net.problem.offers
        allocations = tuple(
            AllocationLine(
                request=requests[r].id,
                offer=offers[o].id,
                quantity=q,
                late_days=max(0, (offers[o].available_from - requests[r].needed_by).days),
            )
            for r, o, q in zip(
                net.pair_req[nz].tolist(), net.pair_off[nz].tolist(), x[nz].tolist(),
                strict=True,
            )
        )
        terms = tuple((net.weight[nz] * x[nz].astype(np.float64)).tolist())
    progress("explain", 1, 2)
    unfilled = _explain(net, used_req, saturated)
    progress("explain", 2, 2)
    return PlanPart(allocations, unfilled, terms)


def _split(
    net: Network, x: IntArray, nz: IntArray, saturated: BoolArray, members: Members
) -> tuple[tuple[AllocationLine, ...], tuple[float, ...]]:
    """The lines of ``x`` with each merged offer's quantity split over its members
    (:mod:`allied.allocation.merge`): per merged offer, its lines in request id order take
    its members the longest available first (available-from date, then id), each member
    filled before the next. Also each line's weight times quantity. ``saturated`` (per
    offer of ``net``, whether it is used up) is updated to whether an offer a merged one
    stands for is used up."""
    requests, offers = net.problem.requests, net.problem.offers
    for o in range(net.n_offers):
        group = members.get(offers[o].id)
        if group is not None:
            saturated[o] = any(m.quantity <= 0 for m in group)
    nz = nz[np.lexsort((net.req_rank[net.pair_req[nz]], net.off_rank[net.pair_off[nz]]))]
    lines: list[AllocationLine] = []
    terms: list[float] = []
    at: dict[int, tuple[int, int]] = {}  # merged offer -> (member, quantity of it used)
    for r, o, q, w in zip(net.pair_req[nz].tolist(), net.pair_off[nz].tolist(),
                          x[nz].tolist(), net.weight[nz].tolist(), strict=True):
        request = requests[r]
        group = members.get(offers[o].id)
        if group is None:
            lines.append(AllocationLine(
                request.id, offers[o].id, q,
                max(0, (offers[o].available_from - request.needed_by).days)))
            terms.append(w * q)
            continue
        k, used = at.get(o, (0, 0))
        while q > 0:
            member = group[k]
            take = min(q, member.quantity - used)
            if take <= 0:
                k, used = k + 1, 0
                continue
            lines.append(AllocationLine(
                request.id, member.id, take,
                max(0, (member.available_from - request.needed_by).days)))
            terms.append(w * take)
            q -= take
            used += take
            if used >= member.quantity:
                saturated[o] = True
        at[o] = (k, used)
    lines.sort(key=lambda a: (a.request, a.offer))
    return tuple(lines), tuple(terms)


def _explain(
    net: Network, used_req: IntArray, saturated: BoolArray
) -> tuple[Unfilled, ...]:
    short = net.req_qty - used_req
    todo = np.flatnonzero(short > 0)
    if todo.size == 0:
        return ()
    n_req = net.n_requests
    n_feasible = np.bincount(net.pair_req, minlength=n_req)
    on_time = np.bincount(net.pair_req[net.late_days == 0], minlength=n_req) > 0
    min_late = np.full(n_req, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(min_late, net.pair_req, net.late_days)
    any_saturated = np.bincount(net.pair_req[saturated[net.pair_off]], minlength=n_req) > 0
    lo = np.searchsorted(net.blocked_req, todo, side="left")
    hi = np.searchsorted(net.blocked_req, todo, side="right")

    out: list[Unfilled] = []
    requests = net.problem.requests
    for k, r in enumerate(todo.tolist()):
        reasons: set[str] = {net.codes[c] for c in net.blocked_code[lo[k]:hi[k]].tolist()}
        if net.n_compatible[r] == 0:
            reasons.add("no-compatible-offer")
        if n_feasible[r] > 0 and not on_time[r]:
            reasons.add(f"late:{int(min_late[r])}")
        if any_saturated[r]:
            reasons.add("insufficient-supply")
        if not reasons:  # impossible for a maximal plan; guard the invariant loudly
            raise RuntimeError(f"request {requests[r].id!r} is short with no reason")
        out.append(Unfilled(
            request=requests[r].id, quantity=int(short[r]), reasons=tuple(sorted(reasons))
        ))
    out.sort(key=lambda u: u.request)
    return tuple(out)


# -- the plan file ---------------------------------------------------------------------


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The plan file's content: exactly ``status``, ``objective``, ``allocations``, ``unfilled``."""
    return {
        "status": plan.status.value,
        "objective": plan.objective,
        "allocations": [
            {"offer": a.offer, "request": a.request, "quantity": a.quantity}
            | ({"flags": list(a.flags)} if a.flags else {})
            for a in plan.allocations
        ],
        "unfilled": [
            {"request": u.request, "quantity": u.quantity, "reasons": list(u.reasons)}
            for u in plan.unfilled
        ],
    }


def plan_to_json(plan: Plan) -> str:
    """The plan file's text. The same plan always gives the same bytes."""
    return json.dumps(plan_to_dict(plan), indent=2, ensure_ascii=False) + "\n"


def write_plan(plan: Plan, path: str | Path) -> None:
    """Write the plan file atomically: a temporary file beside it, then a rename.

    A failure leaves any previous file at ``path`` untouched and no partial file behind.
    """
    target = Path(path)
    text = plan_to_json(plan).encode("utf-8")
    directory = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise InvalidInput(
            f"cannot write plan file {str(target)!r}: {exc.strerror or exc}", field="--out"
        ) from None
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        _unlink_quietly(tmp)
        raise InvalidInput(
            f"cannot write plan file {str(target)!r}: {exc.strerror or exc}", field="--out"
        ) from None
    except BaseException:
        _unlink_quietly(tmp)
        raise


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        return
