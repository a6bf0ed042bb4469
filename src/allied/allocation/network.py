"""From a problem to arrays: the feasible (offer, request) pairs, their weights, and the
facts needed to explain what stays unfilled.

Everything here is vectorised with NumPy: a million pairs take well under a second.

Feasibility (issue 3). Offer ``o`` may serve request ``r`` only if

1. ``o.family`` is in ``r.accepts`` (the pair is *compatible*);
2. ``o.recipient``, when given, is ``r.recipient`` (else ``recipient-mismatch``);
3. ``o``'s channel rule allows it: ``"lethal": false`` forbids a lethal offer
   (else ``channel-forbids-lethal:<CHANNEL>``);
4. when ``o`` has an ``origin`` other than its donor, the consent from that origin to the
   donor is ``granted``, or ``pending`` when ``allow_pending_consent`` is true. No consent
   record counts as pending, and so does an ``expired`` one (a lapsed consent has to be
   asked for again); ``denied`` never allows it (else ``consent-denied:<ORIGIN>`` or
   ``consent-pending:<ORIGIN>``). An offer's own ``consent``, when given, takes the place
   of the ``consents`` record for it.

Weight of a feasible pair: ``priority(r) / quantity(r) * d(o, r)`` where ``d = 1`` when
``o.available_from <= r.needed_by`` and otherwise ``0.5 ** (days_late / half_life)``.

Bounded size (issue 24). The pairs grow with open requests x open offers of a family: a
decade's store has hundreds of millions. :func:`compatible_pairs` counts them without
making them; :func:`family_groups` splits a problem into independent parts (families
linked by requests that accept several); :func:`window_for` finds the largest ``K`` that
keeps a problem within a number of pairs; ``build_network(problem, window=K)`` makes a
*cut* network in which each request considers, per family it accepts, only ``K``
feasible offers near its needed-by date: on time where it can (the latest available
before it, unless requests needing later took those: then the ones before theirs, so
that requests needing the same days get different offers), and when fewer than ``K``
are on time, the least late after them. Every weight and every reason
for an unfilled unit is computed as in the full network (the reasons that blocked offers
give are taken from the whole family), so a cut plan is feasible and explained; it is
optimal within its candidates, not proved optimal overall.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from allied.allocation.model import ConsentStatus, Problem, ProgressCallback, no_progress

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

RECIPIENT_MISMATCH = "recipient-mismatch"
_EPOCH_ORDINAL = 719163  # date(1970, 1, 1).toordinal()


@dataclass(frozen=True, eq=False)
class Network:
    """The arrays of one problem. Index ``i`` of a request/offer array is its position in
    ``problem.requests`` / ``problem.offers``; index ``e`` of a pair array is one feasible pair.
    """

    problem: Problem
    req_qty: IntArray  # per request
    off_qty: IntArray  # per offer
    pair_req: IntArray  # per feasible pair: request index
    pair_off: IntArray  # per feasible pair: offer index
    weight: FloatArray  # per feasible pair: priority / quantity * d
    late_days: IntArray  # per feasible pair: days the offer comes after needed_by (>= 0)
    n_compatible: IntArray  # per request: compatible offers (family matches), feasible or not
    blocked_req: IntArray  # (request, reason) pairs that block compatible offers: request
    blocked_code: IntArray  # ... and the index of the reason in ``codes``
    codes: tuple[str, ...]  # reason texts for ``blocked_code``
    req_rank: IntArray  # per request: position of its id in sorted id order
    off_rank: IntArray  # per offer: position of its id in sorted id order
    window: int | None = None  # the cut's K offers per request and family (None: full)

    @property
    def n_requests(self) -> int:
        return len(self.problem.requests)

    @property
    def n_offers(self) -> int:
        return len(self.problem.offers)

    @property
    def n_pairs(self) -> int:
        return int(self.pair_req.shape[0])


def _days(dates: list[int]) -> IntArray:
    return np.asarray(dates, dtype=np.int64) - _EPOCH_ORDINAL


def _ranks(ids: list[str]) -> IntArray:
    order = sorted(range(len(ids)), key=ids.__getitem__)
    rank = np.empty(len(ids), dtype=np.int64)
    rank[np.asarray(order, dtype=np.int64)] = np.arange(len(ids), dtype=np.int64)
    return rank


def ragged_arange(counts: IntArray) -> IntArray:
    """``concatenate([arange(c) for c in counts])``, without a Python loop."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(counts)
    return np.arange(total, dtype=np.int64) - np.repeat(ends - counts, counts)


def compatible_pairs(problem: Problem) -> int:
    """How many (request, offer) pairs are compatible (an offer of a family the request
    accepts): the size a full network would have before its rules, counted without
    making the pairs."""
    per_family: dict[str, int] = {}
    for o in problem.offers:
        per_family[o.family] = per_family.get(o.family, 0) + 1
    return sum(per_family.get(f, 0) for r in problem.requests for f in r.accepts)


def window_for(problem: Problem, max_pairs: int) -> int:
    """The largest ``K`` (at least 1) for which giving each request at most ``K`` offers
    of each family it accepts keeps the compatible pairs within ``max_pairs``."""
    per_family: dict[str, int] = {}
    for o in problem.offers:
        per_family[o.family] = per_family.get(o.family, 0) + 1
    sizes = np.asarray(
        [per_family.get(f, 0) for r in problem.requests for f in r.accepts], dtype=np.int64
    )

    def pairs(k: int) -> int:
        return int(np.minimum(sizes, k).sum())

    low, high = 1, max(int(sizes.max(initial=1)), 1)
    while low < high:  # the largest k in [low, high] with pairs(k) <= max_pairs
        mid = (low + high + 1) // 2
        if pairs(mid) <= max_pairs:
            low = mid
        else:
            high = mid - 1
    return low


def family_groups(problem: Problem) -> list[Problem]:
    """The problem split into independent parts: the families linked by a request that
    accepts several, with their requests and offers (in the problem's order). Parts
    share no request or offer, so solving each on its own is exact. Offers of families
    no request accepts are left out (they can serve nothing); parts come in the order of
    their first request."""
    parent: dict[str, str] = {}

    def root(f: str) -> str:
        parent.setdefault(f, f)
        while parent[f] != f:
            parent[f] = parent[parent[f]]
            f = parent[f]
        return f

    for r in problem.requests:
        first = root(r.accepts[0])
        for f in r.accepts[1:]:
            parent[root(f)] = first
    order: dict[str, int] = {}
    req_parts: list[list[int]] = []
    for i, r in enumerate(problem.requests):
        key = root(r.accepts[0])
        if key not in order:
            order[key] = len(req_parts)
            req_parts.append([])
        req_parts[order[key]].append(i)
    off_parts: list[list[int]] = [[] for _ in req_parts]
    for j, o in enumerate(problem.offers):
        if o.family in parent:
            off_parts[order[root(o.family)]].append(j)
    return [
        Problem(
            as_of=problem.as_of,
            requests=tuple(problem.requests[i] for i in reqs),
            offers=tuple(problem.offers[j] for j in offs),
            consents=problem.consents,
            channel_rules=problem.channel_rules,
            options=problem.options,
        )
        for reqs, offs in zip(req_parts, off_parts, strict=True)
    ]


def build_network(
    problem: Problem, progress: ProgressCallback = no_progress, *, window: int | None = None
) -> Network:
    """Compute the feasible pairs and their weights; with ``window``, only each request's
    ``window`` nearest feasible offers per family it accepts (see the module's text)."""
    if window is not None and window < 1:
        raise ValueError(f"window must be at least 1, got {window}")
    steps = 4
    progress("build", 0, steps)
    requests, offers = problem.requests, problem.offers
    n_req, n_off = len(requests), len(offers)

    # -- per-entry arrays ---------------------------------------------------------------
    actors: dict[str, int] = {}
    families: dict[str, int] = {}
    codes: dict[str, int] = {RECIPIENT_MISMATCH: 0}

    def actor(code: str) -> int:
        return actors.setdefault(code, len(actors))

    def family(code: str) -> int:
        return families.setdefault(code, len(families))

    def reason(text: str) -> int:
        return codes.setdefault(text, len(codes))

    req_qty = np.fromiter((r.quantity for r in requests), dtype=np.int64, count=n_req)
    req_pri = np.fromiter((r.priority for r in requests), dtype=np.int64, count=n_req)
    req_due = _days([r.needed_by.toordinal() for r in requests])
    req_rec = np.fromiter((actor(r.recipient) for r in requests), dtype=np.int64, count=n_req)
    acc_req = np.fromiter(
        (i for i, r in enumerate(requests) for _ in r.accepts), dtype=np.int64
    )
    acc_fam = np.fromiter((family(f) for r in requests for f in r.accepts), dtype=np.int64)

    off_qty = np.fromiter((o.quantity for o in offers), dtype=np.int64, count=n_off)
    off_from = _days([o.available_from.toordinal() for o in offers])
    off_fam = np.fromiter((family(o.family) for o in offers), dtype=np.int64, count=n_off)
    off_rec = np.fromiter(
        (-1 if o.recipient is None else actor(o.recipient) for o in offers),
        dtype=np.int64, count=n_off,
    )

    allow_pending = problem.options.allow_pending_consent
    forbids_lethal = problem.lethal_forbidden()
    chan_block = np.full(n_off, -1, dtype=np.int64)
    consent_block = np.full(n_off, -1, dtype=np.int64)
    for i, (o, status) in enumerate(zip(offers, problem.offer_consents(), strict=True)):
        if o.lethal and o.channel in forbids_lethal:
            chan_block[i] = reason(f"channel-forbids-lethal:{o.channel}")
        if status is ConsentStatus.DENIED:
            consent_block[i] = reason(f"consent-denied:{o.origin}")
        elif status is not None and status is not ConsentStatus.GRANTED and not allow_pending:
            consent_block[i] = reason(f"consent-pending:{o.origin}")
    off_ok = (chan_block < 0) & (consent_block < 0)
    progress("build", 1, steps)

    if window is not None:
        return _cut_network(
            problem, progress, window, req_qty, req_pri, req_due, req_rec, acc_req, acc_fam,
            off_qty, off_from, off_fam, off_rec, off_ok, chan_block, consent_block, codes,
            len(families),
        )

    # -- compatible pairs: join accepted families with offers of that family --------------
    n_fam = len(families)
    fam_count = np.bincount(off_fam, minlength=n_fam).astype(np.int64)
    fam_start = np.concatenate(([0], np.cumsum(fam_count)[:-1])).astype(np.int64)
    by_family = np.argsort(off_fam, kind="stable").astype(np.int64)
    per_accept = fam_count[acc_fam] if acc_fam.size else np.zeros(0, dtype=np.int64)
    cand_req = np.repeat(acc_req, per_accept)
    cand_off = by_family[np.repeat(fam_start[acc_fam], per_accept) + ragged_arange(per_accept)]
    n_compatible = np.bincount(cand_req, minlength=n_req).astype(np.int64)
    progress("build", 2, steps)

    # -- feasibility --------------------------------------------------------------------
    c_rec = off_rec[cand_off]
    mismatch = (c_rec >= 0) & (c_rec != req_rec[cand_req])
    ok = off_ok[cand_off] & ~mismatch
    blocked = ~ok
    b_req = cand_req[blocked]
    b_off = cand_off[blocked]
    b_mis = mismatch[blocked]
    b_chan = chan_block[b_off]
    b_cons = consent_block[b_off]
    n_codes = max(len(codes), 1)
    keys = np.concatenate((
        b_req[b_mis] * n_codes,  # code 0: recipient-mismatch
        b_req[b_chan >= 0] * n_codes + b_chan[b_chan >= 0],
        b_req[b_cons >= 0] * n_codes + b_cons[b_cons >= 0],
    ))
    keys = np.unique(keys)
    del b_req, b_off, b_mis, b_chan, b_cons, c_rec, mismatch, blocked
    pair_req = cand_req[ok]
    pair_off = cand_off[ok]
    del cand_req, cand_off, ok
    progress("build", 3, steps)

    return _weighed(
        problem, progress, req_qty, req_pri, req_due, off_qty, off_from, pair_req, pair_off,
        n_compatible, keys, n_codes, codes, None,
    )


def _weighed(
    problem: Problem, progress: ProgressCallback, req_qty: IntArray, req_pri: IntArray,
    req_due: IntArray, off_qty: IntArray, off_from: IntArray, pair_req: IntArray,
    pair_off: IntArray, n_compatible: IntArray, keys: IntArray, n_codes: int,
    codes: dict[str, int], window: int | None,
) -> Network:
    # -- weights ------------------------------------------------------------------------
    late = np.maximum(off_from[pair_off] - req_due[pair_req], 0)
    base = (req_pri.astype(np.float64) / req_qty.astype(np.float64))[pair_req]
    half_life = problem.options.lateness_half_life_days
    discount = np.where(late > 0, np.power(0.5, late / half_life), 1.0)
    weight = base * discount
    progress("build", 4, 4)

    return Network(
        problem=problem,
        req_qty=req_qty,
        off_qty=off_qty,
        pair_req=pair_req,
        pair_off=pair_off,
        weight=weight,
        late_days=late.astype(np.int64),
        n_compatible=n_compatible,
        blocked_req=keys // n_codes,
        blocked_code=keys % n_codes,
        codes=tuple(codes),
        req_rank=_ranks([r.id for r in problem.requests]),
        off_rank=_ranks([o.id for o in problem.offers]),
        window=window,
    )


def _tiled_starts(
    acc_req: IntArray, acc_fam: IntArray, req_due: IntArray, req_qty: IntArray,
    on_time: IntArray, have: IntArray, ok_start: IntArray, sorted_qty: IntArray, window: int,
) -> IntArray:
    """Where each accept's window starts among its family's feasible offers (sorted by
    available-from). Requests of a family are taken from the latest needed-by date down;
    each window ends at the request's last on-time offer or where the offers that the
    requests needing later would use begin, whichever is earlier (so that requests
    needing the same days get different offers, equally good to each: on time), and the
    offers it would use are the fewest before that end whose quantity covers its need.
    When the offers run out, the next window ends at its own last on-time offer again. A
    window that would start before the first offer starts there (taking the least late
    offers after its on-time ones)."""
    first = np.zeros(acc_req.shape[0], dtype=np.int64)
    order = np.lexsort((acc_req, -req_due[acc_req], acc_fam))
    family = -1
    bound = 0
    cum = np.zeros(0, dtype=np.int64)
    for a in order.tolist():
        f = int(acc_fam[a])
        n = int(have[a])
        if f != family:
            family, bound = f, n
            lo = int(ok_start[a])
            cum = np.concatenate(([0], np.cumsum(sorted_qty[lo:lo + n]))).astype(np.int64)
        end = min(int(on_time[a]), bound)
        first[a] = min(max(end - window, 0), max(n - window, 0))
        # the offers this request would use: back from ``end`` until its need is covered
        used = int(np.searchsorted(cum, cum[end] - int(req_qty[acc_req[a]]), side="right")) - 1
        bound = used if used > 0 else n  # offers used up: start again
    return first


def _cut_network(
    problem: Problem, progress: ProgressCallback, window: int, req_qty: IntArray,
    req_pri: IntArray, req_due: IntArray, req_rec: IntArray, acc_req: IntArray,
    acc_fam: IntArray, off_qty: IntArray, off_from: IntArray, off_fam: IntArray,
    off_rec: IntArray, off_ok: BoolArray, chan_block: IntArray, consent_block: IntArray,
    codes: dict[str, int], n_fam: int,
) -> Network:
    """The cut network: per accepted family, a window of ``window`` feasible offers in
    (available-from, position) order (:func:`_tiled_starts`). No full pair list is made."""
    n_req = req_qty.shape[0]
    # -- what the full network would say, from per-family facts --------------------------
    fam_count = np.bincount(off_fam, minlength=n_fam).astype(np.int64)
    per_accept = fam_count[acc_fam] if acc_fam.size else np.zeros(0, dtype=np.int64)
    n_compatible = np.bincount(acc_req, weights=per_accept, minlength=n_req).astype(np.int64)
    fam_codes: list[set[int]] = [set() for _ in range(n_fam)]
    reserved: dict[int, dict[int, int]] = {}  # family -> recipient -> offers reserved for it
    for f, c, k, rec in zip(off_fam.tolist(), chan_block.tolist(), consent_block.tolist(),
                            off_rec.tolist(), strict=True):
        if c >= 0:
            fam_codes[f].add(c)
        if k >= 0:
            fam_codes[f].add(k)
        if rec >= 0:
            counts = reserved.setdefault(f, {})
            counts[rec] = counts.get(rec, 0) + 1
    n_reserved = {f: sum(counts.values()) for f, counts in reserved.items()}
    n_codes = max(len(codes), 1)
    key_set: set[int] = set()
    for i, f in zip(acc_req.tolist(), acc_fam.tolist(), strict=True):
        key_set.update(i * n_codes + c for c in fam_codes[f])
        if n_reserved.get(f, 0) > reserved.get(f, {}).get(int(req_rec[i]), 0):
            key_set.add(i * n_codes)  # code 0: recipient-mismatch
    keys = np.asarray(sorted(key_set), dtype=np.int64)
    progress("build", 2, 4)

    # -- the windows: feasible offers by family, then available-from, then position -------
    ok_idx = np.flatnonzero(off_ok).astype(np.int64)
    days = np.concatenate((off_from, req_due))
    lo_day = int(days.min()) if days.size else 0
    span = (int(days.max()) - lo_day + 2) if days.size else 2
    sort_key = off_fam[ok_idx] * span + (off_from[ok_idx] - lo_day)
    order = np.lexsort((ok_idx, sort_key))
    sorted_off = ok_idx[order]
    sorted_key = sort_key[order]
    ok_count = np.bincount(off_fam[ok_idx], minlength=n_fam).astype(np.int64)
    ok_start = np.concatenate(([0], np.cumsum(ok_count)[:-1])).astype(np.int64)
    # per accept: how many of the family's feasible offers are on time for the request
    due_key = acc_fam * span + (req_due[acc_req] - lo_day)
    on_time = np.searchsorted(sorted_key, due_key, side="right") - ok_start[acc_fam]
    have = ok_count[acc_fam]
    take = np.minimum(have, window)
    first = _tiled_starts(acc_req, acc_fam, req_due, req_qty, on_time, have,
                          ok_start[acc_fam], off_qty[sorted_off], window)
    cand_req = np.repeat(acc_req, take)
    cand_off = sorted_off[np.repeat(ok_start[acc_fam] + first, take) + ragged_arange(take)]
    c_rec = off_rec[cand_off]
    fits = (c_rec < 0) | (c_rec == req_rec[cand_req])
    pair_req = cand_req[fits]
    pair_off = cand_off[fits]
    # pairs by request, then offer position (a window never holds an offer twice)
    pair_order = np.lexsort((pair_off, pair_req))
    pair_req, pair_off = pair_req[pair_order], pair_off[pair_order]
    progress("build", 3, 4)
    return _weighed(
        problem, progress, req_qty, req_pri, req_due, off_qty, off_from, pair_req, pair_off,
        n_compatible, keys, n_codes, codes, window,
    )


def max_total_flow(net: Network) -> int:
    """``U``: no feasible allocation moves more units than this (the smaller of the total
    quantity of the offers and of the requests that have a feasible pair)."""
    if net.n_pairs == 0:
        return 0
    offers = np.unique(net.pair_off)
    requests = np.unique(net.pair_req)
    return min(int(net.off_qty[offers].sum()), int(net.req_qty[requests].sum()))


@dataclass(frozen=True, eq=False)
class Block:
    """A set of pairs closed under shared offers and requests: a union of connected
    components of the offer-request graph, solvable on its own.

    ``local_off[k]`` is the position of pair ``pairs[k]``'s offer in ``offers`` (global
    offer indices, sorted); likewise for requests.
    """

    pairs: IntArray
    offers: IntArray
    requests: IntArray
    local_off: IntArray
    local_req: IntArray


def component_labels(net: Network) -> IntArray:
    """Per pair: a label shared by exactly the pairs of one connected component.

    Label propagation with pointer jumping over offers and requests as nodes; each
    round halves distances, so it ends after a few rounds on real problems.
    """
    n_off = net.n_offers
    label = np.arange(n_off + net.n_requests, dtype=np.int64)
    a = net.pair_off
    b = n_off + net.pair_req
    while True:
        low = np.minimum(label[a], label[b])
        new = label.copy()
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        new = new[new]
        if np.array_equal(new, label):
            return label[a]
        label = new


def blocks(net: Network, batch_pairs: int = 20_000) -> list[Block]:
    """The network split into independent blocks, small components batched together.

    Solving components separately is exact (they share no offer or request) and much
    faster than one big solve; batching saves per-call overhead on tiny components.
    Blocks come in a deterministic order.
    """
    if net.n_pairs == 0:
        return []
    label = component_labels(net)
    order = np.argsort(label, kind="stable")
    bounds = np.flatnonzero(np.diff(label[order])) + 1
    groups = np.split(order, bounds)
    groups.sort(key=lambda g: (g.size, int(g[0])))
    batches: list[list[IntArray]] = []
    size = batch_pairs
    for g in groups:
        if size + g.size > batch_pairs or not batches:
            batches.append([])
            size = 0
        batches[-1].append(g)
        size += g.size
    out = []
    for batch in batches:
        pairs = np.sort(np.concatenate(batch))
        offers, local_off = np.unique(net.pair_off[pairs], return_inverse=True)
        requests, local_req = np.unique(net.pair_req[pairs], return_inverse=True)
        out.append(Block(
            pairs=pairs, offers=offers, requests=requests,
            local_off=local_off.astype(np.int64), local_req=local_req.astype(np.int64),
        ))
    return out
