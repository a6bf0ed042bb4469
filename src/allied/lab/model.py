"""The mechanisms of the alliance lab, vectorised over runs (arrays of runs x actors).

Each mechanism takes a ``numpy.random.Generator`` and a number of runs and returns a
dict of arrays: per-run arrays of shape ``(runs,)`` or ``(runs, k)``, and per-actor
totals over the runs, named with the prefix ``actor_`` (shape ``(actors,)``). The
engine concatenates the first and adds the second, chunk by chunk in a fixed order.
Every formula is written down in ``docs/lab.md``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from allied.domain.actors import Role
from allied.domain.consent import ConsentStatus, OriginPolicy, standing_answer
from allied.domain.errors import InvalidInput
from allied.domain.rules import Rule
from allied.lab import rules as vr
from allied.lab.actors import ActorTable
from allied.lab.positions import PositionRow
from allied.lab.scenario import (
    Aid,
    Cohesion,
    Consent,
    Decision,
    Escalation,
    Logit,
    Ratification,
    Scenario,
)

F = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]
Arrays = dict[str, npt.NDArray[Any]]

INVASION = dt.date(2022, 2, 24)
CONSENT_CODES = {
    ConsentStatus.PENDING: 0,
    ConsentStatus.GRANTED: 1,
    ConsentStatus.DENIED: 2,
    ConsentStatus.EXPIRED: 3,
}


def sigmoid(z: F) -> F:
    out: F = 1.0 / (1.0 + np.exp(-z))
    return out


@dataclass(frozen=True)
class World:
    """The actors and their positions for one scenario."""

    actors: ActorTable
    scenario: Scenario
    support: dict[str, F]
    salience: dict[str, F]

    def position(self, issue: str) -> tuple[F, F]:
        default_s = self.actors.default_support()
        default_w = self.actors.default_salience()
        return self.support.get(issue, default_s), self.salience.get(issue, default_w)

    def forum(self, org: str, day: dt.date) -> B:
        if org in ("NATO", "EU", "G7"):
            mask = self.actors.members(org, day)
        elif org == "UDCG":
            mask = self.actors.members(org, day, (Role.MEMBER, Role.PARTNER))
        else:
            mask = np.array([c == org for c in self.actors.codes])
        if not mask.any():
            raise InvalidInput(f"no modelled actor sits in {org} on {day}", field="forum")
        return mask

    def logit(self, m: Logit, escalation: F | float, issue: str) -> F:
        """The actor part of a logistic response, shape ``(actors,)`` plus escalation."""
        s, w = self.position(issue)
        z: F = (
            m.base
            + m.reluctance * (1.0 - s) * w
            + m.support * s * w
            + m.transactional * self.actors.transactionalism
        ) + m.escalation * np.asarray(escalation)
        return z


def build_world(actors: ActorTable, scenario: Scenario, rows: list[PositionRow]) -> World:
    support: dict[str, F] = {}
    salience: dict[str, F] = {}
    for r in rows:
        i = actors.index(r.actor)
        if r.issue not in support:
            support[r.issue] = actors.default_support().copy()
            salience[r.issue] = actors.default_salience().copy()
        support[r.issue][i] = r.position
        salience[r.issue][i] = r.salience
    return World(actors, scenario, support, salience)


# --- decisions: consensus with silence, unanimity, QMV, coalition, national -------------


def decision(world: World, d: Decision, rng: np.random.Generator, runs: int) -> Arrays:
    a = world.actors
    n = a.n
    part = world.forum(d.forum, world.scenario.date)
    rule = d.rule
    if rule is Rule.NATIONAL and part.sum() != 1:
        raise InvalidInput("a national decision names one state as forum", field="decision.forum")
    _s, _w = world.position(d.issue)
    actor_z = world.logit(d.objection, 0.0, d.issue)
    shock = (
        rng.normal(0.0, d.objection.run_noise, runs) if d.objection.run_noise else np.zeros(runs)
    )
    e = np.full(runs, d.escalation)
    done = np.zeros(runs, dtype=bool)
    adopted = np.zeros(runs, dtype=bool)
    days = np.zeros(runs)
    rounds = np.zeros(runs, dtype=np.int64)
    block_count = np.zeros(n)
    delay_days = np.zeros(n)
    pop = a.population_for(world.scenario.date)
    held, release = holdups(world, d, rng, runs, part)
    for k in range(d.max_rounds):
        active = ~done
        p = sigmoid(actor_z[None, :] + (d.objection.escalation * e + shock)[:, None])
        u = rng.random((runs, n))
        obj = (u < p) & part
        if held is not None:
            # a hostage-taker objects (and does not abstain) until it is released
            hostage = held & (release > k * d.days_per_round)
            obj |= hostage
            u = np.where(hostage, 1.0, u)
        abstain = obj & (u < p * d.abstain_share)
        if rule is Rule.CONSENSUS_SILENCE:
            pos = np.where(obj, vr.NO, vr.SILENT)
        elif rule is Rule.UNANIMITY:
            pos = np.where(abstain, vr.ABSTAIN, np.where(obj, vr.NO, vr.SILENT))
        elif rule is Rule.QMV:
            pos = np.where(abstain, vr.ABSTAIN, np.where(obj, vr.NO, vr.YES))
        else:  # coalition, national: those who do not object opt in
            pos = np.where(obj, vr.NO, vr.YES)
        pos = np.where(part, pos, vr.SILENT).astype(np.int8)
        ok = vr.adopted(rule, pos, part, pop)
        blk = vr.blocking(rule, pos, part, pop)
        if rule is Rule.COALITION:
            blk = pos == vr.NO  # nobody can block; count who stays out
        newly = active & ok
        failed = active & ~ok
        days[active] += d.days_per_round
        rounds[active] += 1
        nb = blk.sum(axis=1)
        share = np.where(failed & (nb > 0), d.days_per_round / np.maximum(nb, 1), 0.0)
        delay_days += (blk * share[:, None]).sum(axis=0)
        block_count += (blk & failed[:, None]).sum(axis=0)
        adopted |= newly
        done |= newly
        e = np.where(failed, e * (1.0 - d.softening), e)
    out: Arrays = {
        "adopted": adopted,
        "days": days,
        "rounds": rounds,
        "final_escalation": e,
        "actor_blocks": block_count,
        "actor_delay_days": delay_days,
    }
    if held is not None:
        out["held_up"] = np.asarray(held.any(axis=1), dtype=bool)
        out["actor_hostage"] = held.sum(axis=0).astype(np.float64)
    if d.fallback == "coalition":
        pool = world.forum(d.coalition_pool, world.scenario.date)
        zj = world.logit(d.join, 0.0, d.issue)
        # the run's mood works the other way for joining: a hawkish run objects less, joins more
        pj = sigmoid(zj[None, :] + (d.join.escalation * d.escalation - shock)[:, None])
        join = (rng.random((runs, n)) < pj) & pool & ~adopted[:, None]
        out["coalition_size"] = join.sum(axis=1)
        out["coalition_acts"] = ~adopted & (join.sum(axis=1) > 0)
        out["actor_acts_alone"] = join.sum(axis=0).astype(np.float64)
    return out


def holdups(
    world: World, d: Decision, rng: np.random.Generator, runs: int, part: B
) -> tuple[B | None, F]:
    """Who takes the decision hostage (runs x actors) and the day each is released."""
    h = d.holdup
    if h is None:
        return None, np.zeros((runs, world.actors.n))
    n = world.actors.n
    z = world.logit(h.start, d.escalation, d.issue)
    noise = rng.normal(0.0, h.start.run_noise, runs)[:, None] if h.start.run_noise else 0.0
    held = (rng.random((runs, n)) < sigmoid(z[None, :] + noise)) & part
    release = rng.lognormal(np.log(h.median_days), h.sigma, (runs, n))
    if h.government_change_days is not None:
        release = np.minimum(release, rng.exponential(h.government_change_days, (runs, n)))
    if h.deadline_days is not None:
        release = np.minimum(release, h.deadline_days)
    return held, np.where(held, release, 0.0)


# --- re-export consent by origin policy ----------------------------------------------


def consent(world: World, c: Consent, rng: np.random.Generator, runs: int) -> Arrays:
    a = world.actors
    k = len(c.cases)
    status = np.zeros((runs, k), dtype=np.int8)
    days = np.zeros((runs, k))
    for j, case in enumerate(c.cases):
        oi = a.index(case.origin) if case.origin in a.codes else None
        hi = a.index(case.holder)
        policy = c.policies.get(case.origin) or (
            a.origin_policy[oi] if oi is not None else OriginPolicy.CASE_BY_CASE
        )
        standing = standing_answer(policy)
        if standing is not ConsentStatus.PENDING:
            status[:, j] = CONSENT_CODES[standing]
            continue
        s, w = world.position("support")
        z = np.full(runs, c.grant.base)
        if oi is not None:
            z += c.grant.reluctance * (1.0 - s[oi]) * w[oi] + c.grant.transactional * float(
                a.transactionalism[oi]
            )
        z += c.lethal * case.lethal + c.prewar * (c.requested_on < INVASION)
        z += rng.normal(0.0, c.grant.run_noise, runs) if c.grant.run_noise else 0.0
        grant = rng.random(runs) < sigmoid(z)
        t = rng.exponential(c.answer_days_mean, runs)
        expired = t > c.expiry_days
        status[:, j] = np.where(
            expired,
            CONSENT_CODES[ConsentStatus.EXPIRED],
            np.where(
                grant, CONSENT_CODES[ConsentStatus.GRANTED], CONSENT_CODES[ConsentStatus.DENIED]
            ),
        )
        days[:, j] = np.minimum(t, c.expiry_days)
        del hi
    return {"consent_status": status, "consent_days": days}


def combined_codes(status: npt.NDArray[np.int8]) -> npt.NDArray[np.int8]:
    """``domain.consent.combined`` over the last axis (every origin must grant)."""
    d, e, p = (
        CONSENT_CODES[x]
        for x in (ConsentStatus.DENIED, ConsentStatus.EXPIRED, ConsentStatus.PENDING)
    )
    out = np.full(status.shape[:-1], CONSENT_CODES[ConsentStatus.GRANTED], dtype=np.int8)
    out = np.where((status == p).any(axis=-1), p, out)
    out = np.where((status == e).any(axis=-1), e, out)
    out = np.where((status == d).any(axis=-1), d, out)
    return out.astype(np.int8)


# --- ratification as a time-to-event process per parliament -------------------------


def ratification_required(world: World, r: Ratification) -> B:
    mask = world.forum(r.org, r.signed_on)
    if r.candidate in world.actors.codes:
        mask = mask & (np.array(world.actors.codes) != r.candidate)
    return mask


def ratification(world: World, r: Ratification, rng: np.random.Generator, runs: int) -> Arrays:
    a = world.actors
    req = ratification_required(world, r)
    idx = np.flatnonzero(req)
    m = idx.size
    t = rng.lognormal(np.log(r.median_days), r.sigma, (runs, m))
    z = world.logit(r.holdup, 0.0, r.issue)[idx] + r.war
    noise = rng.normal(0.0, r.holdup.run_noise, runs)[:, None] if r.holdup.run_noise else 0.0
    hold = rng.random((runs, m)) < sigmoid(z[None, :] + noise)
    if r.holdup_median_days is not None:
        extra = rng.lognormal(np.log(r.holdup_median_days), r.holdup_sigma, (runs, m))
    else:
        extra = rng.exponential(r.holdup_mean_days, (runs, m))
    t = t + hold * extra
    last = t.argmax(axis=1)
    last_counts = np.zeros(a.n)
    np.add.at(last_counts, idx[last], 1.0)
    hold_counts = np.zeros(a.n)
    hold_counts[idx] = hold.sum(axis=0)
    return {
        "ratification_days": t.max(axis=1),
        "actor_last_ratifier": last_counts,
        "actor_holdups": hold_counts,
    }


# --- monthly aid flows, limited by stocks and production -----------------------------


def aid_targets(world: World, aid: Aid) -> F:
    """Monthly aid each actor pledges, USD (target share of GDP per year / 12)."""
    a = world.actors
    s, _ = world.position("support")
    model_pct = aid.model_scale_pct * s
    if aid.target == "kiel":
        kiel_per_year = a.kiel_pct_gdp / 3.0  # 2022-2024 total over three years
        pct = np.where(np.isnan(kiel_per_year), model_pct, kiel_per_year)
    else:
        pct = model_pct
    out: F = a.gdp_usd * pct / 100.0 / 12.0
    return out


def aid(world: World, aid: Aid, rng: np.random.Generator, runs: int) -> Arrays:
    """Monthly pledges (target x uniform shock of mean one, none while paused), delivered
    up to the stock, which production refills; under the consensus channel the NATO allies'
    deliveries wait for a monthly package that any ally can block.

    Works in float32 on the donors only, NATO allies first (so that a blocked package
    is a slice), and in place: this is the loop the benchmark times."""
    a = world.actors
    donors = world.forum("UDCG", aid.start)
    # donors, the forum's members first (in both channels, so that both draw the same
    # numbers for the same donor); the package rule binds only them
    in_nato = world.forum(aid.forum, aid.start)
    cols = np.concatenate([np.flatnonzero(donors & in_nato), np.flatnonzero(donors & ~in_nato)])
    m = int((donors & in_nato).sum()) if aid.channel == "consensus" else 0
    k = cols.size
    f32 = np.float32
    target = (aid_targets(world, aid)[cols] / 1e9).astype(f32)  # USD bn per month
    production = (aid.production_share * target).astype(f32)
    stock0 = (aid.stock_months * target).astype(f32)
    stock = np.broadcast_to(stock0, (runs, k)).copy()
    backlog = np.zeros((runs, k), dtype=f32)
    pause_left = np.zeros((runs, k), dtype=f32)
    active = np.empty((runs, k), dtype=f32)
    starts = np.empty((runs, k), dtype=bool)
    pledge = np.empty((runs, k), dtype=f32)
    deliverable = np.empty((runs, k), dtype=f32)
    waiting_acc = np.zeros((runs, k), dtype=f32)  # sum over months of each backlog
    monthly = np.zeros((runs, aid.months))
    p_pause = sigmoid(world.logit(aid.pause, 0.0, "support"))[cols].astype(f32)
    p_pkg = sigmoid(world.logit(aid.package, aid.package_escalation, "support"))[cols[:m]].astype(
        f32
    )
    objections = np.zeros(m)
    packages_blocked = np.zeros(runs)
    # One uniform u per donor and month decides both whether a pause starts (u < p) and,
    # when it does not, the pledge shock: given u >= p, (u - p) / (1 - p) is again
    # uniform, so shock = 1 + noise*sqrt(3)*(2(u - p)/(1 - p) - 1) = a + b*u, mean one,
    # sd `noise`. The pledge is target*(a + b*u) while active.
    half_width = np.sqrt(3.0) * aid.noise
    b = 2.0 * half_width / (1.0 - p_pause.astype(np.float64))
    a_ = 1.0 - half_width - b * p_pause.astype(np.float64)
    pledge_a = (target * a_).astype(f32)
    pledge_b = (target * b).astype(f32)
    # The package is blocked when any ally objects: P(blocked) = 1 - prod(1 - p_i), one
    # uniform per run; each ally's objections are counted by their expectation given
    # the outcome, p_i / P(blocked) when blocked (the same mean, less noise).
    p_block = float(1.0 - np.prod(1.0 - p_pkg.astype(np.float64))) if m else 0.0
    share_if_blocked = p_pkg.astype(np.float64) / p_block if m and p_block > 0 else np.zeros(m)
    # package decisions draw from their own stream, so that both channels see the same
    # pledges and pauses (common random numbers)
    pkg_rng = np.random.default_rng(rng.integers(0, 2**63))
    u = np.empty((runs, k), dtype=f32)
    pauses = f32(aid.pause_months)
    for _month in range(aid.months):
        rng.random((runs, k), dtype=f32, out=u)
        # a pause running since an earlier month goes on; a donor not paused starts one
        # with probability p_pause
        np.subtract(pause_left, 1, out=pause_left)
        np.maximum(pause_left, 0, out=pause_left)
        np.less(u, p_pause, out=starts)
        np.logical_and(starts, pause_left == 0, out=starts)
        np.putmask(pause_left, starts, pauses)
        np.equal(pause_left, 0, out=active)
        np.multiply(u, pledge_b, out=pledge)
        pledge += pledge_a
        pledge *= active
        backlog += pledge
        np.minimum(backlog, stock, out=deliverable)
        if m:
            blocked = pkg_rng.random(runs) < p_block
            packages_blocked += blocked
            objections += float(blocked.sum()) * share_if_blocked
            # allies coordinated through NATO wait for the package; others act bilaterally
            deliverable[:, :m] *= ~blocked[:, None]
        stock -= deliverable
        stock += production
        backlog -= deliverable
        waiting_acc += backlog
        monthly[:, _month] = deliverable.sum(axis=1)
    waiting = waiting_acc.sum(axis=1, dtype=np.float64)
    # conservation: what left the stock was delivered
    delivered = (stock0.astype(np.float64) + aid.months * production.astype(np.float64)) - stock
    delivered = np.maximum(delivered, 0.0)
    total = delivered.sum(axis=1)
    pledged_total = total + backlog.sum(axis=1, dtype=np.float64)
    mean_m = monthly.mean(axis=1)
    cv = np.where(mean_m > 0, monthly.std(axis=1) / np.maximum(mean_m, 1e-12), 0.0)
    share = np.zeros(a.n)
    share[cols] = (delivered / np.maximum(total, 1e-12)[:, None]).sum(axis=0)
    pkg_obj = np.zeros(a.n)
    pkg_obj[cols[:m]] = objections
    safe = np.maximum(pledged_total, 1e-12)
    return {
        "aid_delivered_usd_bn": total,
        "aid_fill_rate": np.where(pledged_total > 0, total / safe, 1.0),
        "aid_lateness_months": np.where(pledged_total > 0, waiting / safe, 0.0),
        "aid_monthly_cv": cv,
        "aid_packages_blocked": packages_blocked,
        "actor_burden_share": share,
        "actor_package_objections": pkg_obj,
    }


# --- adversary escalation ladder -----------------------------------------------------


def step_plan(esc: Escalation) -> F:
    plan = np.zeros(esc.months)
    if esc.strategy == "steps":
        for st in esc.steps:
            if st.month >= esc.months:
                raise InvalidInput("step after the last month", field="escalation.steps.month")
            plan[st.month] += st.size
    elif esc.strategy == "fait-accompli":
        plan[min(esc.first_month, esc.months - 1)] = esc.total
    else:
        span = max(esc.months - esc.first_month, 1)
        gap = max(span // esc.n_steps, 1)
        for i in range(esc.n_steps):
            m = esc.first_month + i * gap
            if m < esc.months:
                plan[m] += esc.total / esc.n_steps
    return plan


def escalation(world: World, esc: Escalation, rng: np.random.Generator, runs: int) -> Arrays:
    plan = step_plan(esc)
    # thresholds are normal across runs, floored at a tenth of their mean (never <= 0)
    single = np.maximum(
        rng.normal(esc.single_threshold, esc.single_sd, runs), 0.1 * esc.single_threshold
    )
    cumulative = np.maximum(
        rng.normal(esc.cumulative_threshold, esc.cumulative_sd, runs),
        0.1 * esc.cumulative_threshold,
    )
    pressure = np.zeros(runs)
    rung = np.zeros(runs, dtype=np.int64)
    first = np.full(runs, -1, dtype=np.int64)
    responses = np.zeros(runs, dtype=np.int64)
    before_first = np.zeros(runs)
    done = np.zeros(runs)  # the steps as realised (noisy sizes), the share's denominator
    for month in range(esc.months):
        base = plan[month]
        u_detect = rng.random(runs)
        u_noise = rng.random(runs)
        size = base * rng.lognormal(0.0, esc.size_noise, runs) if base > 0 else np.zeros(runs)
        detected = (size > 0) & (u_detect < sigmoid(esc.detect_slope * (size - esc.detect_mid)))
        pressure = pressure * esc.decay + np.where(detected, size, 0.0)
        respond = detected & ((size > single) | (pressure > cumulative))
        inadvertent = u_noise < esc.inadvertent
        up = respond | inadvertent
        before_first += np.where(first < 0, size, 0.0)
        done += size
        first = np.where((first < 0) & up, month, first)
        rung = np.minimum(rung + up, esc.rungs)
        responses += respond
        pressure = np.where(respond, 0.0, pressure)
    return {
        "escalation_rung": rung,
        "escalation_first_month": first,
        "escalation_deliberate_responses": responses,
        "escalation_done_before_response": np.divide(
            before_first, done, out=np.zeros(runs), where=done > 0
        ),
    }


# --- cohesion: a two-tier split by position and behaviour ---------------------------


def two_means_1d(x: F) -> tuple[F, B]:
    """Optimal split of each row into two groups (1-D k-means is a split of the sorted
    values): returns the between-group share of the variance and the upper-group mask."""
    runs, n = x.shape
    order = np.argsort(x, axis=1, kind="stable")
    xs = np.take_along_axis(x, order, axis=1)
    c1 = np.cumsum(xs, axis=1)
    c2 = np.cumsum(xs * xs, axis=1)
    tot1, tot2 = c1[:, -1:], c2[:, -1:]
    k = np.arange(1, n)[None, :]
    left1, left2 = c1[:, :-1], c2[:, :-1]
    right1, right2 = tot1 - left1, tot2 - left2
    ssw = (left2 - left1**2 / k) + (right2 - right1**2 / (n - k))
    sst = (tot2 - tot1**2 / n)[:, 0]
    best = ssw.argmin(axis=1)
    spread = sst > 1e-9 * np.maximum(tot2[:, 0], 1e-300)  # not all (nearly) equal
    ratio = ssw[np.arange(runs), best] / np.where(spread, sst, 1.0)
    between = np.where(spread, np.clip(1.0 - ratio, 0.0, 1.0), 0.0)
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(n)[None, :].repeat(runs, axis=0), axis=1)
    upper = rank > best[:, None]
    return between, upper


def cohesion(world: World, co: Cohesion, rng: np.random.Generator, runs: int) -> Arrays:
    a = world.actors
    s0, _w = world.position(co.issue)
    donors = world.forum("UDCG", world.scenario.date)
    idx = np.flatnonzero(donors)
    anchor = s0[idx]
    beh = np.nan_to_num(a.kiel_pct_gdp[idx], nan=0.0)
    beh_scaled = beh / beh.max() if beh.max() > 0 else beh
    s = np.broadcast_to(anchor, (runs, idx.size)).copy()
    t = a.transactionalism[idx]
    ny = len(co.years)
    split = np.zeros((runs, ny))
    upper_counts = np.zeros(a.n)
    switches = np.zeros(runs)
    prev: B | None = None
    for y in range(ny):
        s = s + co.drift * (anchor - s) + rng.normal(0.0, co.noise, s.shape) - co.fatigue * t
        s = np.clip(s, 0.0, 1.0)
        score = (1.0 - co.behaviour_weight) * s + co.behaviour_weight * beh_scaled * (
            s / np.maximum(anchor, 1e-9)
        )
        between, upper = two_means_1d(score)
        split[:, y] = between
        if prev is not None:
            switches += (upper != prev).sum(axis=1)
        prev = upper
    assert prev is not None
    upper_counts[idx] = prev.sum(axis=0)
    return {
        "cohesion_split": split,
        "cohesion_upper_size": prev.sum(axis=1),
        "cohesion_switches": switches,
        "actor_upper_tier": upper_counts,
    }


MECHANISMS = ("decision", "consent", "ratification", "aid", "escalation", "cohesion")


def simulate(world: World, scenario: Scenario, rng: np.random.Generator, runs: int) -> Arrays:
    """Every mechanism of the scenario on ``runs`` runs, in a fixed order."""
    out: Arrays = {}
    if scenario.decision is not None:
        out.update(decision(world, scenario.decision, rng, runs))
    if scenario.consent is not None:
        out.update(consent(world, scenario.consent, rng, runs))
    if scenario.ratification is not None:
        out.update(ratification(world, scenario.ratification, rng, runs))
    if scenario.aid is not None:
        out.update(aid(world, scenario.aid, rng, runs))
    if scenario.escalation is not None:
        out.update(escalation(world, scenario.escalation, rng, runs))
    if scenario.cohesion is not None:
        out.update(cohesion(world, scenario.cohesion, rng, runs))
    return out
