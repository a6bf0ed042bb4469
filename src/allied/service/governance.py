"""Use-cases of governance: decisions, proposals, accessions, re-export consent.

Every change goes through the ledger in the same transaction. A query never changes
state: a status or list on any date shows proposals past their deadline and consents
past their expiry as they stand on that date, without recording it. Closing proposals
is a command (:func:`close_due`, on the real date); consents past their expiry are
recorded expired by the next consent or allocation command. No background thread.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from allied.domain.accession import Accession, AccessionStage
from allied.domain.actors import ActorKind, Role, members_on
from allied.domain.assistance import Allocation, AllocationStatus, Offer
from allied.domain.consent import (
    AllocationConsent,
    ConsentPolicy,
    ConsentRequest,
    ConsentState,
    ConsentStatus,
    OriginPolicy,
    standing_answer,
)
from allied.domain.dates import check_move_on
from allied.domain.errors import InvalidInput, NotFound, UnknownActor
from allied.domain.proposals import Proposal, ProposalHead, ProposalStatus, participants_for
from allied.domain.rules import Outcome, Position, Rule, check_forum_rule, evaluate
from allied.domain.values import check_text, identifier
from allied.ledger import kinds
from allied.service.caller import Caller
from allied.service.consent_reads import consents_of
from allied.service.ids import free_ids
from allied.service.ports import UnitOfWork

DEFAULT_CONSENT_EXPIRY_DAYS = 30


# -- participants and population ---------------------------------------------------------


def participants(uow: UnitOfWork, rule: Rule, forum: str, day: dt.date) -> tuple[str, ...]:
    """Who takes part in a decision of ``forum`` under ``rule`` on ``day``."""
    actor = uow.actors.get(forum)
    if actor is None:
        raise UnknownActor(forum, field="org")
    if rule is Rule.NATIONAL:
        if actor.kind is not ActorKind.STATE:
            raise InvalidInput(
                f"{forum} is an organisation; a national decision needs a state", field="org"
            )
        return (forum,)
    if actor.kind is not ActorKind.ORGANISATION:
        raise InvalidInput(
            f"{forum} is a state; rule {rule.value} needs an organisation", field="org"
        )
    memberships = uow.memberships.list(org=forum, role=Role.MEMBER)
    found = participants_for(rule, forum, members_on(memberships, forum, day))
    if not found:
        raise InvalidInput(f"{forum} has no members on {day}", field="on")
    return found


@runtime_checkable
class IndicatorTable(Protocol):
    """A store that reads an indicator's figures without a record of each (SQL)."""

    def indicator_table(self, name: str) -> dict[int, dict[str, Decimal]]:
        """Per year, per actor: the value of indicator ``name``."""
        ...


class Populations:
    """The population figures, read from the store once (on the first question) and then
    asked for any states and year: a page that evaluates many QMV decisions reads the
    reference table once, not once per decision (it changes only when reference data is
    loaded). Keep one for the span of one unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._by_year: dict[int, dict[str, int]] | None = None

    def _table(self) -> dict[int, dict[str, int]]:
        if self._by_year is None:
            by_year: dict[int, dict[str, int]] = {}
            if isinstance(self._uow, IndicatorTable):  # the figures alone (SQL)
                for year, values in self._uow.indicator_table("population").items():
                    by_year[year] = {actor: int(v) for actor, v in values.items()}
            else:
                for i in self._uow.indicators.list(name="population"):
                    by_year.setdefault(i.year, {})[i.actor] = int(i.value)
            self._by_year = by_year
        return self._by_year

    def of(self, codes: Sequence[str], year: int) -> tuple[dict[str, int], int]:
        """Population of each state for ``year`` (or the latest earlier year shipped
        with a figure for every one of them).

        Returns the figures and the year used; raises naming the states with no figure.
        """
        table = self._table()
        for y in sorted((y for y in table if y <= year), reverse=True):
            at_year = table[y]
            if any(c in at_year for c in codes) and all(c in at_year for c in codes):
                return {c: at_year[c] for c in codes}, y
        have = {c for y, at_year in table.items() if y <= year for c in codes if c in at_year}
        missing = [c for c in codes if c not in have]
        raise InvalidInput(
            f"no population figure up to {year} for {', '.join(missing) or 'some participants'}",
            field="population",
        )


def population(uow: UnitOfWork, codes: Sequence[str], year: int) -> tuple[dict[str, int], int]:
    """Population of each state for ``year`` (or the latest earlier year shipped).

    Returns the figures and the year used; raises naming the states with no figure.
    """
    return Populations(uow).of(codes, year)


def _positions(
    yes: Sequence[str], no: Sequence[str], abstain: Sequence[str]
) -> dict[str, Position]:
    out: dict[str, Position] = {}
    for pos, codes in ((Position.YES, yes), (Position.NO, no), (Position.ABSTAIN, abstain)):
        for code in codes:
            if code in out:
                raise InvalidInput(
                    f"{code} is named twice ({out[code].value} and {pos.value})", field=pos.value
                )
            out[code] = pos
    return out


def evaluate_decision(
    uow: UnitOfWork,
    rule: Rule,
    forum: str,
    day: dt.date,
    *,
    yes: Sequence[str] = (),
    no: Sequence[str] = (),
    abstain: Sequence[str] = (),
) -> dict[str, Any]:
    with uow:
        parts = participants(uow, rule, forum, day)
        positions = _positions(yes, no, abstain)
        pop = None
        pop_year = None
        if rule is Rule.QMV:
            pop, pop_year = population(uow, parts, day.year - 1)
        result = evaluate(rule, parts, positions, population=pop)
    out = result.as_dict()
    out.update({"org": forum, "on": day.isoformat()})
    if pop_year is not None:
        out["population_year"] = pop_year
    return out


# -- proposals ---------------------------------------------------------------------------


def _proposal(uow: UnitOfWork, proposal_id: str) -> Proposal:
    found = uow.proposals.get(proposal_id)
    if found is None:
        raise NotFound(f"no proposal {proposal_id!r}")
    return found


def population_for(
    uow: UnitOfWork, proposal: Proposal | ProposalHead, populations: Populations | None = None
) -> dict[str, int] | None:
    """The population figures a QMV proposal is decided on (the participants', of the
    year before its deadline); ``None`` under any other rule."""
    if proposal.rule is not Rule.QMV:
        return None
    pop, _ = (populations or Populations(uow)).of(
        proposal.participants, proposal.deadline.year - 1
    )
    return pop


def _close_due(
    uow: UnitOfWork, caller: Caller, proposal: Proposal, today: dt.date,
    populations: Populations | None = None,
) -> bool:
    if not proposal.due_on(today):
        return False
    result = proposal.close_if_due(today, population_for(uow, proposal, populations))
    if result is None:
        return False
    uow.ledger.append(
        user=caller.user,
        nation=caller.nation,
        kind=kinds.PROPOSAL_CLOSED,
        payload={"id": proposal.id, "version": proposal.version, **result.as_dict()},
    )
    return True


def close_due(
    uow: UnitOfWork, caller: Caller, today: dt.date, proposal_id: str | None = None
) -> list[dict[str, Any]]:
    """Record the closing of every open proposal (or the one named) whose deadline has
    passed on ``today``, the real date: the command behind ``allied decide close``."""
    with uow:
        if proposal_id:
            proposals = [_proposal(uow, proposal_id)]
        else:
            proposals = sorted(uow.proposals.list(), key=lambda p: p.id)
        closed = []
        populations = Populations(uow)
        for proposal in proposals:
            if _close_due(uow, caller, proposal, today, populations):
                closed.append(proposal_view_on(uow, proposal, today, populations))
            elif proposal_id and proposal.status is ProposalStatus.OPEN:
                raise InvalidInput(
                    f"proposal {proposal.id} is open until its deadline {proposal.deadline}; "
                    f"it closes after that day",
                    field="proposal",
                )
            elif proposal_id:
                raise InvalidInput(
                    f"proposal {proposal.id} is already {proposal.status.value} "
                    f"(on {proposal.closed_on})",
                    field="proposal",
                )
        uow.commit()
    return closed


def outcome_on(
    uow: UnitOfWork, proposal: Proposal, populations: Populations | None = None
) -> Outcome | None:
    """What the proposal's rule says on the positions taken (``None`` once withdrawn):
    open, the outcome so far; closed or past the deadline, positions are frozen at the
    deadline, so the same evaluation names who blocked. ``populations``: the figures
    shared by many proposals (:class:`Populations`), else read for this one."""
    if proposal.status is ProposalStatus.WITHDRAWN:
        return None
    return proposal.provisional(population_for(uow, proposal, populations))


def proposal_view_on(
    uow: UnitOfWork, proposal: Proposal, day: dt.date, populations: Populations | None = None
) -> dict[str, Any]:
    """A proposal as it stands on ``day`` (with the rule's outcome so far), read only."""
    return proposal_view(proposal, outcome_on(uow, proposal, populations), day)


def proposal_views_on(
    uow: UnitOfWork, proposals: Sequence[Proposal], day: dt.date
) -> list[dict[str, Any]]:
    """:func:`proposal_view_on` of each, the population figures read once for them all."""
    populations = Populations(uow)
    return [proposal_view_on(uow, p, day, populations) for p in proposals]


def proposal_view(
    proposal: Proposal, outcome: Outcome | None = None, day: dt.date | None = None
) -> dict[str, Any]:
    """The proposal as recorded; with ``day`` (and the ``outcome``), as it stands on that
    day: past its deadline it shows the outcome fixed then, ``recorded_status`` saying
    whether the closing is recorded yet (``open``: not yet; ``allied decide close``)."""
    current = proposal.current_stances()
    due = day is not None and outcome is not None and proposal.due_on(day)
    status = proposal.status
    if due and outcome is not None:
        status = ProposalStatus.ADOPTED if outcome.adopted else ProposalStatus.REJECTED
    return {
        "id": proposal.id,
        "forum": proposal.forum,
        "rule": proposal.rule.value,
        "title": proposal.title,
        "version": proposal.version,
        "status": status.value,
        "recorded_status": proposal.status.value,
        "circulated_on": proposal.circulated_on.isoformat(),
        "deadline": proposal.deadline.isoformat(),
        "participants": len(proposal.participants),
        "positions": {
            a: {"position": s.position.value, "reason": s.reason, "on": s.on.isoformat()}
            for a, s in sorted(current.items())
        },
        "closed_on": (
            proposal.deadline.isoformat()
            if due
            else (proposal.closed_on.isoformat() if proposal.closed_on else None)
        ),
        "outcome": proposal.outcome or (outcome.reason if outcome else ""),
        "adopted": outcome.adopted if outcome else proposal.status is ProposalStatus.ADOPTED,
        # who stands in the way by a stated position (against, broke silence; under QMV
        # abstaining too), and who has not voted though the outcome needs their vote:
        # while open the proposal waits for them; they block nothing by a position
        "blocking": list(outcome.against) if outcome else [],
        "not_voted": list(outcome.not_heard) if outcome else [],
        "text": proposal.text,
    }


#: At most this many ledger entries are read about one proposal for its versions (every
#: position on every version is one; a proposal has at most a few hundred).
VERSION_ENTRIES_LIMIT = 10_000


def proposal_versions(uow: UnitOfWork, proposal: Proposal) -> list[dict[str, Any]]:
    """Each version of the proposal's text, oldest first, as the ledger recorded it (the
    store keeps only the current text): ``version``, ``on`` (circulated or revised),
    ``deadline``, ``text`` and the ledger ``seq`` that recorded it (``None`` for a
    version the ledger does not hold, the current one then read from the proposal)."""
    found: dict[int, dict[str, Any]] = {}
    for e in uow.ledger.about([proposal.id], limit=VERSION_ENTRIES_LIMIT):
        p = e.payload
        if p.get("id") != proposal.id:
            continue
        if e.kind == kinds.PROPOSAL_CIRCULATED:
            on = p.get("circulated_on")
        elif e.kind == kinds.PROPOSAL_REVISED:
            on = p.get("on")
        else:
            continue
        version = int(p.get("version") or 1)
        found[version] = {
            "version": version, "on": str(on or ""), "deadline": str(p.get("deadline") or ""),
            "text": str(p.get("text") or ""), "seq": e.seq,
        }
    if proposal.version not in found:
        found[proposal.version] = {
            "version": proposal.version, "on": proposal.circulated_on.isoformat(),
            "deadline": proposal.deadline.isoformat(), "text": proposal.text, "seq": None,
        }
    return [found[v] for v in sorted(found)]


def _next_id(uow: UnitOfWork) -> str:
    return next(free_ids(uow.proposals, "P"))


def circulate_proposal(
    uow: UnitOfWork,
    caller: Caller,
    *,
    forum: str,
    rule: Rule,
    title: str,
    on: dt.date,
    deadline: dt.date,
    text: str = "",
    proposal_id: str | None = None,
) -> dict[str, Any]:
    check_text(title, "title", multiline=False)
    check_text(text, "text")
    with uow:
        actor = uow.actors.get(forum)
        if actor is not None:
            check_forum_rule(actor.code, rule, state=actor.kind is ActorKind.STATE)
        parts = participants(uow, rule, forum, on)
        pid = identifier(proposal_id, "id") if proposal_id else _next_id(uow)
        if uow.proposals.get(pid) is not None:
            raise InvalidInput(f"proposal {pid!r} already exists", field="id")
        if not title.strip():
            raise InvalidInput("is required", field="title")
        proposal = Proposal(
            pid,
            forum,
            rule,
            title.strip(),
            on,
            deadline,
            parts,
            proposer=caller.nation or caller.user,
            text=text,
        )
        uow.proposals.add(proposal)
        view = proposal_view(proposal)
        uow.ledger.append(
            user=caller.user,
            nation=caller.nation,
            kind=kinds.PROPOSAL_CIRCULATED,
            payload=kinds.proposal_circulated(proposal),
        )
        uow.commit()
    return view


def record_position(
    uow: UnitOfWork,
    caller: Caller,
    proposal_id: str,
    *,
    actor: str,
    position: Position,
    on: dt.date,
    reason: str = "",
) -> dict[str, Any]:
    check_text(reason, "reason")
    with uow:
        proposal = _proposal(uow, proposal_id)
        stance = proposal.take_position(actor, position, on, reason)
        kind = (
            kinds.PROPOSAL_SILENCE_BROKEN
            if proposal.rule is Rule.CONSENSUS_SILENCE and position is Position.NO
            else kinds.PROPOSAL_VOTE
        )
        uow.ledger.append(
            user=caller.user,
            nation=caller.nation,
            kind=kind,
            payload={
                "id": proposal.id,
                "version": stance.version,
                "actor": actor,
                "position": position.value,
                "on": on,
                "reason": reason,
            },
        )
        view = proposal_view(proposal)
        uow.commit()
    return view


def revise(
    uow: UnitOfWork,
    caller: Caller,
    proposal_id: str,
    *,
    text: str,
    on: dt.date,
    deadline: dt.date,
) -> dict[str, Any]:
    check_text(text, "text")
    with uow:
        proposal = _proposal(uow, proposal_id)
        proposal.revise(text, on, deadline)
        uow.ledger.append(
            user=caller.user,
            nation=caller.nation,
            kind=kinds.PROPOSAL_REVISED,
            payload={
                "id": proposal.id,
                "version": proposal.version,
                "on": on,
                "deadline": deadline,
                "text": text,
            },
        )
        view = proposal_view(proposal)
        uow.commit()
    return view


def withdraw(
    uow: UnitOfWork, caller: Caller, proposal_id: str, *, on: dt.date, reason: str = ""
) -> dict[str, Any]:
    check_text(reason, "reason")
    with uow:
        proposal = _proposal(uow, proposal_id)
        proposal.withdraw(on)
        uow.ledger.append(
            user=caller.user,
            nation=caller.nation,
            kind=kinds.PROPOSAL_WITHDRAWN,
            payload={"id": proposal.id, "on": on}
            | ({"reason": reason.strip()} if reason.strip() else {}),
        )
        view = proposal_view(proposal)
        uow.commit()
    return view


def status(uow: UnitOfWork, caller: Caller, today: dt.date) -> dict[str, Any]:
    """Every proposal and every accession as they stand on ``today`` (any date: a query
    records nothing, so asking about next week closes nothing)."""
    with uow:
        views = proposal_views_on(
            uow, sorted(uow.proposals.list(), key=lambda p: p.id), today
        )
        accessions = [a.summary(today) for a in sorted(uow.accessions.list(), key=lambda a: a.id)]
    return {"proposals": views, "accessions": accessions}


# -- accessions --------------------------------------------------------------------------


def _accession(uow: UnitOfWork, accession_id: str) -> Accession:
    found = uow.accessions.get(accession_id)
    if found is None:
        raise NotFound(f"no accession {accession_id!r}")
    return found


def _check_may_apply(uow: UnitOfWork, candidate: str, org: str, on: dt.date) -> None:
    """Refuse an application by a member (on ``on`` or from a later day) or by a candidate
    whose accession to the same organisation is under way, naming the candidate."""
    for m in sorted(uow.memberships.list(org=org, role=Role.MEMBER), key=lambda m: m.start):
        if m.actor == candidate and (m.end is None or m.end >= on):
            when = "since" if m.start <= on else "from"
            raise InvalidInput(
                f"{candidate} is a member of {org} {when} {m.start}", field="candidate"
            )
    for a in sorted(uow.accessions.list(candidate=candidate, org=org), key=lambda a: a.id):
        if a.stage not in (AccessionStage.MEMBER, AccessionStage.ABANDONED):
            raise InvalidInput(
                f"{candidate}'s accession to {org} is already under way: {a.id} "
                f"(applied {a.applied_on}, {a.stage.value})",
                field="candidate",
            )


def record_accession_step(
    uow: UnitOfWork,
    caller: Caller,
    accession_id: str,
    step: str,
    *,
    on: dt.date,
    today: dt.date,
    candidate: str | None = None,
    org: str | None = None,
    state: str | None = None,
) -> dict[str, Any]:
    """``apply`` (needs candidate and org), ``invite``, ``sign``, ``ratify`` (needs state),
    ``join`` (which also records the candidate's membership from ``on``).

    A step is recorded once it has happened: ``on`` after ``today`` is refused (so the
    days waited are never negative). A state applies to an organisation it is not a
    member of, with no other accession to it under way."""
    def happened() -> None:  # after the stored records named are checked
        if on > today:
            raise InvalidInput(
                f"{on} is after today ({today}); record a step once it has happened", field="on"
            )

    with uow:
        if step == "apply":
            if uow.accessions.get(accession_id) is not None:
                raise InvalidInput(f"accession {accession_id!r} already exists", field="id")
            cand = uow.actors.get(candidate or "")
            if candidate is None or cand is None:
                raise UnknownActor(candidate or "", field="candidate")
            if cand.kind is not ActorKind.STATE:
                raise InvalidInput(f"{candidate} is not a state", field="candidate")
            org_actor = uow.actors.get(org or "")
            if org_actor is None or org_actor.kind is not ActorKind.ORGANISATION:
                raise InvalidInput(f"unknown organisation {org!r}", field="org")
            _check_may_apply(uow, candidate, org_actor.code, on)
            happened()
            acc = Accession(accession_id, candidate, org_actor.code, on)
            uow.accessions.add(acc)
        else:
            acc = _accession(uow, accession_id)
            happened()
            if step == "invite":
                acc.invite(on)
            elif step == "sign":
                memberships = uow.memberships.list(org=acc.org, role=Role.MEMBER)
                acc.sign(on, members_on(memberships, acc.org, on))
            elif step == "ratify":
                if state is None:
                    raise InvalidInput("is required", field="state")
                acc.ratify(state, on)
            elif step == "join":
                from allied.domain.actors import Membership

                acc.join(on)
                uow.memberships.add(
                    Membership(acc.candidate, acc.org, Role.MEMBER, on, None, f"accession {acc.id}")
                )
            else:
                raise InvalidInput(f"unknown accession step {step!r}", field="step")
        uow.ledger.append(
            user=caller.user,
            nation=caller.nation,
            kind=kinds.accession_kind(step),
            payload={
                "id": acc.id,
                "candidate": acc.candidate,
                "org": acc.org,
                "on": on,
                "state": state,
            },
        )
        view = acc.summary(on)
        uow.commit()
    return view


# -- allocations and re-export consent -----------------------------------------------------


def allocation_view(alloc: Allocation) -> dict[str, Any]:
    return {
        "id": alloc.id,
        "offer": alloc.offer_id,
        "request": alloc.request_id,
        "quantity": alloc.quantity,
        "status": alloc.status.value,
        "needs_consent": alloc.needs_consent,
        "updated_at": alloc.updated_at.isoformat() if alloc.updated_at else None,
    }


def consent_view(c: ConsentRequest, today: dt.date) -> dict[str, Any]:
    return {
        "id": c.id,
        "origin": c.origin,
        "holder": c.holder,
        "family": c.family,
        "recipient": c.recipient,
        "offer": c.offer_id,
        "status": c.status.value,
        "effective_status": c.effective_status(today).value,
        "requested_on": c.requested_on.isoformat(),
        "decided_on": c.decided_on.isoformat() if c.decided_on else None,
        "expires_on": c.expires_on.isoformat() if c.expires_on else None,
        "reason": c.reason,
    }


def _consent_for(uow: UnitOfWork, alloc: Allocation, today: dt.date) -> AllocationConsent:
    """The allocation's re-export consent on ``today`` (the one definition:
    :func:`~allied.domain.consent.allocation_consent`)."""
    offer = uow.offers.get(alloc.offer_id)
    assert offer is not None
    return consents_of(uow, [(alloc, offer)], today)[alloc.id]


def _settle(
    uow: UnitOfWork, caller: Caller, alloc: Allocation, today: dt.date
) -> dict[str, Any] | None:
    """Move a consent-pending allocation on once every origin has answered; return the
    move made (``{"id", "from", "to", "reason"}``), or None."""
    if alloc.status is not AllocationStatus.CONSENT_PENDING:
        return None
    consent = _consent_for(uow, alloc, today)
    if not consent.settled:
        return None
    overall = consent.combined
    target = (
        AllocationStatus.APPROVED
        if overall is ConsentStatus.GRANTED
        else (AllocationStatus.REJECTED)
    )
    alloc.advance(
        target,
        consent_granted=overall is ConsentStatus.GRANTED,
        by=caller.user,
        note=f"re-export consent {overall.value}",
    )
    uow.ledger.append(
        user=caller.user,
        nation=caller.nation,
        kind=kinds.allocation_kind(target),
        payload={"id": alloc.id, "reason": f"re-export consent {overall.value}"},
    )
    return {
        "id": alloc.id,
        "from": AllocationStatus.CONSENT_PENDING.value,
        "to": target.value,
        "reason": f"re-export consent {overall.value}",
    }


def _answered_by(c: ConsentRequest, today: dt.date, new: bool) -> str:
    """Who or what gave a consent request its answer, in words."""
    status = c.effective_status(today)
    if status is ConsentStatus.PENDING:
        return f"waiting for {c.origin}'s answer until {c.expires_on}" if c.expires_on else (
            f"waiting for {c.origin}'s answer"
        )
    if new:
        return c.reason or f"answered {status.value} at once"
    on = f" on {c.decided_on}" if c.decided_on else ""
    return f"answered earlier{on}" + (f": {c.reason}" if c.reason else "")


def _request_consents(
    uow: UnitOfWork, caller: Caller, alloc: Allocation, today: dt.date, expiry_days: int
) -> list[dict[str, Any]]:
    """Ask each origin that has not already granted or been asked; return, per origin,
    the consent request that answers for it (new or earlier) and what answered it."""
    offer = uow.offers.get(alloc.offer_id)
    request = uow.requests.get(alloc.request_id)
    assert offer is not None and request is not None
    have = {
        o.origin: o.consent
        for o in _consent_for(uow, alloc, today).origins
        if o.consent is not None and o.state in (ConsentState.PENDING, ConsentState.GRANTED)
    }
    asked: list[dict[str, Any]] = []
    for origin in offer.consent_from:
        if origin in have:
            earlier = have[origin]
            asked.append(
                {
                    "origin": origin,
                    "consent": earlier.id,
                    "new": False,
                    "status": earlier.effective_status(today).value,
                    "answered_by": _answered_by(earlier, today, new=False),
                }
            )
            continue
        policy = uow.consent_policies.get(origin)
        c = ConsentRequest(
            next(free_ids(uow.consents, "C")),
            origin,
            offer.donor,
            offer.family,
            request.recipient,
            today,
            offer_id=offer.id,
            expires_on=today + dt.timedelta(days=expiry_days),
        )
        answer = standing_answer(policy.policy if policy else None)
        if answer is not ConsentStatus.PENDING:
            c.answer(
                answer,
                today,
                f"standing policy of {origin}: {policy.policy.value}" if policy else "",
            )
        uow.consents.add(c)
        uow.ledger.append(
            user=caller.user,
            nation=caller.nation,
            kind=kinds.CONSENT_REQUESTED,
            payload=kinds.consent_requested(c),
        )
        asked.append(
            {
                "origin": origin,
                "consent": c.id,
                "new": True,
                "status": c.status.value,
                "answered_by": _answered_by(c, today, new=True),
            }
        )
    return asked


@runtime_checkable
class DueConsents(Protocol):
    """An optional capability of a unit of work: the consent requests still pending
    whose last day to answer is before ``day``, found by the store rather than by
    loading every pending one (a thousand at a year's volume, before every move)."""

    def pending_past(self, day: dt.date) -> list[ConsentRequest]: ...


def expire_consents(uow: UnitOfWork, caller: Caller, today: dt.date) -> list[dict[str, Any]]:
    """Record the pending consents past their deadline as expired, and settle the
    consent-pending allocations they concern; return the moves made. Only those: every
    other answer settles its own allocations when it is given, so with nothing expired
    nothing else can move (this runs before every consent or lifecycle command; it used
    to settle every consent-pending allocation, a query per allocation each time)."""
    expired: set[tuple[str, str]] = set()
    pending = (
        uow.pending_past(today)
        if isinstance(uow, DueConsents)
        else uow.consents.list(status=ConsentStatus.PENDING)
    )
    for c in pending:
        if c.effective_status(today) is ConsentStatus.EXPIRED:
            assert c.expires_on is not None
            c.answer(ConsentStatus.EXPIRED, max(today, c.requested_on), "no answer in time")
            uow.ledger.append(
                user=caller.user,
                nation=caller.nation,
                kind=kinds.consent_kind(ConsentStatus.EXPIRED),
                payload={"id": c.id, "expired_on": c.expires_on},
            )
            expired.add((c.origin, c.holder))
    moved: list[dict[str, Any]] = []
    if not expired:
        return moved
    for alloc in uow.allocations.list(status=AllocationStatus.CONSENT_PENDING):
        offer = uow.offers.get(alloc.offer_id)
        if offer is not None and any((o, offer.donor) in expired for o in offer.consent_from):
            settled = _settle(uow, caller, alloc, today)
            if settled is not None:
                moved.append(settled)
    return moved


def move_allocation(
    uow: UnitOfWork,
    caller: Caller,
    allocation_id: str,
    to: str,
    *,
    today: dt.date,
    expiry_days: int = DEFAULT_CONSENT_EXPIRY_DAYS,
) -> dict[str, Any]:
    """Move an allocation along its lifecycle. Moving to ``consent-pending`` asks each
    origin state; standing policies answer at once and the allocation moves on."""
    with uow:
        view = move_in(uow, caller, allocation_id, to, today=today, expiry_days=expiry_days)
        uow.commit()
    return view


def check_move_dates(
    uow: UnitOfWork, alloc: Allocation, to: str, today: dt.date, offer: Offer | None = None
) -> None:
    """The dates a move of ``alloc`` to ``to`` on ``today`` must keep
    (:func:`allied.domain.dates.check_move_on`): ``shipped`` and ``delivered`` not before
    the offer's available-from date. ``offer``: the allocation's, when read already.

    Accepting a ``proposed`` allocation is not checked against the request's needed-by
    date: the line is the optimiser's, from a plan drawn up as of the day the coordinator
    chose, and the optimiser weighs lateness (``late:<DAYS>``) without refusing it.
    A move the lifecycle does not allow from where the allocation stands is left to the
    state machine to refuse (its error names the move, not a date)."""
    legal = {s.value for s in alloc.allowed_next()}
    if to in legal and to in (AllocationStatus.SHIPPED.value, AllocationStatus.DELIVERED.value):
        offer = offer or uow.offers.get(alloc.offer_id)
        if offer is not None:
            check_move_on(to, offer, today)


def move_in(
    uow: UnitOfWork,
    caller: Caller,
    allocation_id: str,
    to: str,
    *,
    today: dt.date,
    expiry_days: int = DEFAULT_CONSENT_EXPIRY_DAYS,
    reason: str = "",
) -> dict[str, Any]:
    """:func:`move_allocation` inside the caller's transaction (not committed): the
    allocation's view with the moves made (``moves``), the consent requests that answer
    for it (``consents``) and the moves expired consents caused (``expired_moves``).

    The move is made on ``today``, so it keeps to the dates of
    :func:`check_move_dates`."""
    alloc = uow.allocations.get(allocation_id)
    if alloc is None:
        raise NotFound(f"no allocation {allocation_id!r}")
    check_move_dates(uow, alloc, to, today)
    expired = expire_consents(uow, caller, today)
    granted = False
    if to == AllocationStatus.APPROVED.value and alloc.needs_consent:
        granted = _consent_for(uow, alloc, today).state is ConsentState.GRANTED
    before = alloc.status
    alloc.advance(to, consent_granted=granted, by=caller.user, note=reason)
    payload = kinds.allocation_moved(alloc, before)
    if reason:
        payload["reason"] = reason
    uow.ledger.append(
        user=caller.user,
        nation=caller.nation,
        kind=kinds.allocation_kind(to),
        payload=payload,
    )
    moves = [{"id": alloc.id, "from": before.value, "to": to, "reason": reason}]
    consents: list[dict[str, Any]] = []
    if alloc.status is AllocationStatus.CONSENT_PENDING:
        consents = _request_consents(uow, caller, alloc, today, expiry_days)
        settled = _settle(uow, caller, alloc, today)
        if settled is not None:
            moves.append(settled)
    return {
        **allocation_view(alloc),
        "moves": moves,
        "consents": consents,
        "expired_moves": expired,
    }


def record_consent_answer(
    uow: UnitOfWork,
    caller: Caller,
    consent_id: str,
    answer: ConsentStatus,
    *,
    on: dt.date,
    reason: str = "",
) -> dict[str, Any]:
    check_text(reason, "reason")
    with uow:
        moved = expire_consents(uow, caller, on)
        c = uow.consents.get(consent_id)
        if c is None:
            raise NotFound(f"no consent request {consent_id!r}")
        if caller.nation and caller.nation != c.origin:
            from allied.domain.errors import PermissionDenied

            raise PermissionDenied(f"only {c.origin} may answer consent request {c.id}")
        c.answer(answer, on, reason)
        uow.ledger.append(
            user=caller.user,
            nation=caller.nation,
            kind=kinds.consent_kind(answer),
            payload={
                "id": c.id,
                "origin": c.origin,
                "holder": c.holder,
                "on": on,
                "reason": reason,
            },
        )
        for alloc in uow.allocations.list(status=AllocationStatus.CONSENT_PENDING):
            offer = uow.offers.get(alloc.offer_id)
            if offer is not None and offer.donor == c.holder and c.origin in offer.consent_from:
                settled = _settle(uow, caller, alloc, on)
                if settled is not None:
                    moved.append(settled)
        view = {**consent_view(c, on), "allocations_moved": sorted(moved, key=lambda m: m["id"])}
        uow.commit()
    return view


def set_policy(
    uow: UnitOfWork,
    caller: Caller,
    origin: str,
    policy: OriginPolicy,
    *,
    since: dt.date,
    source: str | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """Set ``origin``'s standing policy from ``since``. A policy starts on ``today`` or
    before: given (every entrypoint gives the real date), a later ``since`` is refused.
    ``source`` (where the policy is declared) replaces the one recorded, ``""`` clears
    it; ``None`` (not given) keeps the one recorded earlier."""
    if source is not None:
        check_text(source, "source")
    with uow:
        if uow.actors.get(origin) is None:
            raise UnknownActor(origin, field="origin")
        if today is not None and since > today:
            raise InvalidInput(
                f"{since} is after today ({today}); a standing policy starts today or earlier",
                field="since",
            )
        current = uow.consent_policies.get(origin)
        if current is None:
            source = source or ""
            uow.consent_policies.add(ConsentPolicy(origin, policy, since, source))
        else:
            source = current.source if source is None else source
            current.policy, current.since, current.source = policy, since, source
        uow.ledger.append(
            user=caller.user,
            nation=caller.nation,
            kind=kinds.CONSENT_POLICY,
            payload={"origin": origin, "policy": policy.value, "since": since},
        )
        uow.commit()
    return {"origin": origin, "policy": policy.value, "since": since.isoformat(), "source": source}


def list_policies(uow: UnitOfWork) -> list[dict[str, Any]]:
    with uow:
        return [
            {
                "origin": p.origin,
                "policy": p.policy.value,
                "since": p.since.isoformat(),
                "source": p.source,
            }
            for p in sorted(uow.consent_policies.list(), key=lambda p: p.origin)
        ]
