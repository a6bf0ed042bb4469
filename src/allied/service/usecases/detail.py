"""One record with everything linked to it, its ledger history and the actions the caller
may take on it now (the dashboard's record pages).

Each function checks the caller (its role, and the visibility policy: a record the
caller may not see raises :class:`NotFound`, exactly like a missing one) and reads in
one transaction. Linked records the caller may not see are left out, or given as their
id only where the record itself shows it (an allocation's party learns of an offer it
may not see only what receiving it needs). Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from allied.domain.accession import Accession
from allied.domain.actions import (
    Offered,
    allocation_actions,
    consent_actions,
    proposal_actions,
    record_actions,
)
from allied.domain.assistance import PLEDGING, Allocation, Offer, Request
from allied.domain.consent import AllocationConsent
from allied.domain.errors import InvalidInput, NotFound
from allied.domain.users import Action, may, require
from allied.domain.visibility import Viewer
from allied.service import governance
from allied.service.assistance import record_payload
from allied.service.bulk import get_many
from allied.service.caller import Caller
from allied.service.consent_reads import consent_of, consents_about, consents_of, policies
from allied.service.ports import UnitOfWork
from allied.service.usecases.allocations import (
    _visible_allocation,
    allocation_row,
)
from allied.service.usecases.common import viewer
from allied.service.usecases.consents import consent_facts

#: Most ledger entries a record page shows (the latest).
HISTORY_LIMIT = 100

#: Kinds of record a page shows, and the ledger's name of each.
KINDS = ("request", "offer", "allocation", "consent", "proposal", "accession", "event")


def _actions(found: Sequence[Offered]) -> list[dict[str, Any]]:
    return [{"name": a.name, "verb": a.verb, "irreversible": a.irreversible} for a in found]


def _offered_moves(
    caller: Caller, alloc: Allocation, offer: Offer, request: Request,
    consent: AllocationConsent,
) -> list[Offered]:
    return allocation_actions(
        caller.role, caller.nation, status=alloc.status.value,
        needs_consent=alloc.needs_consent, donor=offer.donor, recipient=request.recipient,
        consent=consent.combined if alloc.needs_consent else None,
    )


def _standing_asks(uow: UnitOfWork, nation: str) -> set[tuple[str, str]]:
    """(holder, family) of the standing consent requests asked of ``nation``."""
    if not nation:
        return set()
    return {(c.holder, c.family) for c in uow.consents.list(origin=nation, offer_id=None)}


def _asked_about(
    uow: UnitOfWork, nation: str, offer: Offer, standing: set[tuple[str, str]]
) -> bool:
    """``offer.id in asked_offers(uow, nation)`` without reading every consent asked of
    the nation: a consent request names the offer, or a standing one (``standing``, from
    :func:`_standing_asks`) its holder and family and the offer was made in the nation."""
    if not nation:
        return False
    if (offer.donor, offer.family) in standing and nation in offer.consent_from:
        return True
    return bool(uow.consents.list(origin=nation, offer_id=offer.id))


def allocation_moves(
    uow: UnitOfWork, caller: Caller, day: dt.date, allocation_ids: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """For each allocation (those the caller sees), the moves the caller may make on it
    now: ``{id: [{"name", "verb", "irreversible"}]}``. A list page's buttons."""
    require(caller.role, Action.READ)
    out: dict[str, list[dict[str, Any]]] = {}
    if not may(caller.role, Action.ADVANCE_ALLOCATION):
        return {i: [] for i in allocation_ids}
    with uow:
        v = viewer(uow, caller, day)
        # the page's records, read once for the page; what the viewer was asked about as
        # an origin state only for an allocation it sees by no other right, and only about
        # its offer (not every consent asked of the nation: a long read)
        standing: set[tuple[str, str]] | None = None
        allocs = get_many(uow.allocations, set(allocation_ids))
        offers = get_many(uow.offers, {a.offer_id for a in allocs.values()})
        requests = get_many(uow.requests, {a.request_id for a in allocs.values()})
        about = consents_about(uow, offers.values())
        standing_policies = policies(uow) if about else {}
        for i in allocation_ids:
            alloc = allocs.get(i)
            if alloc is None:
                continue
            offer, request = offers.get(alloc.offer_id), requests.get(alloc.request_id)
            if offer is None or request is None:
                continue
            if not v.sees_allocation(offer, request):
                if standing is None:
                    standing = _standing_asks(uow, v.nation)
                if not v.sees_allocation(
                    offer, request, _asked_about(uow, v.nation, offer, standing)
                ):
                    continue
            consent = consent_of(offer, about, day, standing_policies)
            out[i] = _actions(_offered_moves(caller, alloc, offer, request, consent))
    return out


def _offer_or_none(v: Viewer, offer: Offer | None) -> dict[str, Any] | None:
    return record_payload(offer) if offer is not None and v.sees_record(offer) else None


def _allocations_of(
    uow: UnitOfWork, v: Viewer, allocs: Sequence[Allocation]
) -> list[dict[str, Any]]:
    """The allocations the viewer sees, each with its offer and request."""
    # the offers and requests in one round trip each (not one per allocation)
    offers = get_many(uow.offers, {a.offer_id for a in allocs})
    requests = get_many(uow.requests, {a.request_id for a in allocs})
    # what the viewer was asked about as an origin state, read only for an allocation it
    # sees by no other right, and only about its offer (not every consent asked of the
    # nation: a long read for a large donor)
    standing: set[tuple[str, str]] | None = None
    seen = []
    for a in sorted(allocs, key=lambda a: a.id):
        offer = offers.get(a.offer_id)
        request = requests.get(a.request_id)
        if offer is None or request is None:
            continue
        if v.sees_allocation(offer, request):
            seen.append((a, offer, request))
        elif v.nation in offer.consent_from and v.nation:
            if standing is None:
                standing = _standing_asks(uow, v.nation)
            if v.sees_allocation(offer, request, _asked_about(uow, v.nation, offer, standing)):
                seen.append((a, offer, request))
    states = consents_of(uow, [(a, o) for a, o, _ in seen], v.day)
    rows = []
    for a, offer, request in seen:
        row = allocation_row(a, offer, request)
        row["offer_visible"] = v.sees_record(offer)
        row["request_visible"] = v.sees_record(request)
        row["consent"] = states[a.id].as_dict()
        rows.append(row)
    return rows


def request_detail(
    uow: UnitOfWork, caller: Caller, day: dt.date, request_id: str
) -> dict[str, Any]:
    """A request, its allocations (with their offers) and the actions on it."""
    with uow:
        v = viewer(uow, caller, day)
        request = uow.requests.get(request_id)
        if request is None or not v.sees_record(request):
            raise NotFound(f"no request {request_id!r}")
        allocs = _allocations_of(uow, v, uow.allocations.list(request_id=request.id))
        row = record_payload(request)
        history = _history(uow, caller, "request", request_id, [a["id"] for a in allocs])
    pledging = {s.value for s in PLEDGING}
    pledged = sum(a["quantity"] for a in allocs if a["status"] in pledging)
    return {
        "record": row,
        "allocations": allocs,
        "pledged": pledged,
        "history": history,
        "actions": _actions(record_actions(
            caller.role, caller.nation, kind="request", owner=row["recipient"],
            status=row["status"],
        )),
    }


def offer_detail(uow: UnitOfWork, caller: Caller, day: dt.date, offer_id: str) -> dict[str, Any]:
    """An offer, its allocations, the consent requests asked for it and the actions."""
    with uow:
        v = viewer(uow, caller, day)
        offer = uow.offers.get(offer_id)
        if offer is None or not v.sees_record(offer):
            raise NotFound(f"no offer {offer_id!r}")
        allocs = _allocations_of(uow, v, uow.allocations.list(offer_id=offer.id))
        consents = []
        if may(caller.role, Action.READ_CONSENTS):
            for origin in offer.consent_from:
                for c in uow.consents.list(origin=origin, holder=offer.donor):
                    mine = c.offer_id in (None, offer.id) and c.family == offer.family
                    if mine and v.sees_consent(c):
                        consents.append(governance.consent_view(c, day))
        row = record_payload(offer)
        origins, consent_from = list(offer.origins), list(offer.consent_from)
        history = _history(uow, caller, "offer", offer_id, [a["id"] for a in allocs])
    committed = sum(a["quantity"] for a in allocs if a["status"] not in ("rejected", "withdrawn"))
    return {
        "offer": row,
        "history": history,
        "origins": origins,
        "consent_from": consent_from,
        "allocations": allocs,
        "committed": committed,
        "consents": sorted(consents, key=lambda c: c["id"]),
        "actions": _actions(record_actions(
            caller.role, caller.nation, kind="offer", owner=row["donor"],
            status=row["status"],
        )),
    }


def allocation_detail(
    uow: UnitOfWork, caller: Caller, day: dt.date, allocation_id: str
) -> dict[str, Any]:
    """An allocation, its request and offer (each when the caller sees it), the consent
    requests that answer for it, and the moves the caller may make on it now."""
    with uow:
        v = viewer(uow, caller, day)
        alloc, offer, request = _visible_allocation(uow, v, allocation_id)
        consent = consents_of(uow, [(alloc, offer)], day)[alloc.id]
        row = allocation_row(alloc, offer, request)
        moves = _offered_moves(caller, alloc, offer, request, consent)
        return {
            "allocation": row,
            "request_record": record_payload(request) if v.sees_record(request) else None,
            "offer_record": _offer_or_none(v, offer),
            "origin": offer.origin,
            "consent_from": list(offer.consent_from),
            # where it stands on consent, per origin (the one definition), and the
            # consent requests it names that the caller reads, by id
            "consent": consent.as_dict(),
            "consents": {
                c.id: governance.consent_view(c, day)
                for c in consent.consents if v.sees_consent(c)
            },
            "actions": _actions(moves),
            "history": _history(uow, caller, "allocation", allocation_id),
        }


def consent_detail(
    uow: UnitOfWork, caller: Caller, day: dt.date, consent_id: str
) -> dict[str, Any]:
    """A consent request with the facts it is answered on, the allocations waiting on it
    that the caller sees, and the answers the caller may give."""
    require(caller.role, Action.READ_CONSENTS)
    with uow:
        v = viewer(uow, caller, day)
        c = uow.consents.get(consent_id)
        if c is None or not v.sees_consent(c):
            raise NotFound(f"no consent request {consent_id!r}")
        facts = consent_facts(uow, c, day)
        allocs = _allocations_of(
            uow, v, [a for a in (uow.allocations.get(i) for i in facts["allocations"]) if a]
        )
        offer = uow.offers.get(c.offer_id) if c.offer_id else None
        return {
            "consent": facts,
            "history": _history(uow, caller, "consent", consent_id),
            "allocations": allocs,
            "offer_visible": offer is not None and v.sees_record(offer),
            "actions": _actions(consent_actions(
                caller.role, caller.nation, origin=c.origin, status=facts["effective_status"]
            )),
        }


def proposal_detail(
    uow: UnitOfWork, caller: Caller, day: dt.date, proposal_id: str
) -> dict[str, Any]:
    """A proposal as it stands, every position (and vote) with its reason, who has not
    spoken, the objections, and whether the caller may record a position."""
    with uow:
        v = viewer(uow, caller, day)
        p = uow.proposals.get(proposal_id)
        if p is None or not v.sees_proposal(p):
            raise NotFound(f"no proposal {proposal_id!r}")
        view = governance.proposal_view_on(uow, p, day)
        participants = sorted(p.participants)
        stances = [  # every stance, read in the transaction
            {"actor": s.actor, "position": s.position.value, "on": s.on.isoformat(),
             "version": s.version, "reason": s.reason}
            for s in p.stances
        ]
        history = _history(uow, caller, "proposal", proposal_id)
        versions = governance.proposal_versions(uow, p)
    _revision_changes(history, versions)
    silent = [a for a in participants if a not in view["positions"]]
    objections = [
        {"actor": a, **s} for a, s in view["positions"].items() if s["position"] in ("no", "object")
    ]
    return {
        "proposal": view,
        "participants": participants,
        "silent": silent,
        "objections": objections,
        "stances": stances,
        "versions": versions,
        "history": history,
        "actions": _actions(proposal_actions(
            caller.role, caller.nation, status=view["status"],
            participant=caller.nation in participants,
        )),
    }


def _revision_changes(
    history: list[dict[str, Any]], versions: Sequence[dict[str, Any]]
) -> None:
    """Each ``proposal.revised`` row of a proposal's history shows its change: the text
    and deadline of the version before, and of the version it made."""
    by_seq = {v["seq"]: i for i, v in enumerate(versions) if v["seq"] is not None}
    for row in history:
        at = by_seq.get(row["seq"])
        if row["kind"] != "proposal.revised" or not at:
            continue
        before, after = versions[at - 1], versions[at]
        row["before"] = {"version": before["version"], "text": before["text"],
                         "deadline": before["deadline"]}
        row["after"] = {"version": after["version"], "text": after["text"],
                        "deadline": after["deadline"]}


def _accession_facts(a: Accession, day: dt.date) -> dict[str, Any]:
    """An accession's summary on ``day`` with every ratification and who must ratify."""
    summary = a.summary(day)
    summary["ratifications"] = [
        {"state": r.state, "on": r.on.isoformat()}
        for r in sorted(a.ratifications, key=lambda r: (r.on, r.state))
    ]
    summary["members_required"] = list(a.required)
    return summary


def accession_detail(
    uow: UnitOfWork, caller: Caller, day: dt.date, candidate: str
) -> list[dict[str, Any]]:
    """A candidate's accessions (public reference data), each with its steps and every
    ratification; :class:`NotFound` when it has none."""
    code = candidate.strip().upper()
    with uow:
        viewer(uow, caller, day)
        found = sorted(uow.accessions.list(candidate=code), key=lambda a: a.id)
        out = [_accession_facts(a, day) for a in found]
    if not out:
        raise NotFound(f"no accession of {candidate!r}")
    return out


def accession_by_id(
    uow: UnitOfWork, caller: Caller, day: dt.date, accession_id: str
) -> dict[str, Any]:
    """One accession by its id, with its steps, every ratification and its ledger
    history; :class:`NotFound` when there is none."""
    with uow:
        viewer(uow, caller, day)
        a = uow.accessions.get(accession_id)
        if a is None:
            raise NotFound(f"no accession {accession_id!r}")
        facts = _accession_facts(a, day)
        history = _history(uow, caller, "accession", accession_id)
    return {"accession": facts, "history": history}


def record_history(
    uow: UnitOfWork,
    caller: Caller,
    day: dt.date,
    kind: str,
    record_id: str,
    *,
    limit: int = HISTORY_LIMIT,
) -> list[dict[str, Any]]:
    """The ledger entries about a record the caller sees, oldest first, the latest
    ``limit``: those whose payload's ``id`` is the record's and, for a request or an
    offer, the pledges that made its allocations.

    The roles that read the ledger get each entry whole. Another caller who sees the
    record gets what was done, when, by which nation, the change and the reason given;
    not who (the user) nor the rest of the payload."""
    require(caller.role, Action.READ)
    if kind not in KINDS:
        raise InvalidInput(f"expected one of {', '.join(KINDS)}", field="kind")
    with uow:
        related = _sees(uow, caller, day, kind, record_id)
        return _history(uow, caller, kind, record_id, related, limit)


def _history(
    uow: UnitOfWork,
    caller: Caller,
    kind: str,
    record_id: str,
    related: Sequence[str] = (),
    limit: int = HISTORY_LIMIT,
) -> list[dict[str, Any]]:
    """:func:`record_history` of a record the caller sees (inside ``with uow``);
    ``related``: the ids of its allocations the caller sees (a request's or an offer's)."""
    reader = may(caller.role, Action.READ_LEDGER)
    entries = uow.ledger.about([record_id, *related], limit=limit)
    rows = []
    for e in entries:
        payload = dict(e.payload)
        own = payload.get("id") == record_id
        if not own and not (e.kind == "allocation.pledged" and payload.get(kind) == record_id):
            continue
        row: dict[str, Any] = {
            "seq": e.seq, "at": e.at, "kind": e.kind, "nation": e.nation,
            "reason": str(payload.get("reason") or payload.get("note") or ""),
            "before": payload.get("before") if own else None,
            "after": payload.get("after") if own else None,
        }
        if reader:
            row["user"] = e.user
            row["payload"] = payload
        rows.append(row)
    if kind == "allocation" and len(rows) < limit:
        made = _made_by_run(uow, record_id, reader)
        if made is not None:
            rows.insert(0, made)
    return rows


def _made_by_run(
    uow: UnitOfWork, allocation_id: str, reader: bool
) -> dict[str, Any] | None:
    """The history row of the allocation run that made an allocation (its entry lists
    the allocations it made rather than naming one), or ``None`` when a pledge made it.
    A reader of the ledger gets the run's facts and this allocation's line of the plan,
    not the whole plan."""
    run = uow.ledger.run_that_made(allocation_id)
    if run is None:
        return None
    p = run.payload
    row: dict[str, Any] = {
        "seq": run.seq, "at": run.at, "kind": run.kind, "nation": run.nation,
        "reason": f"proposed by the allocation run as of {p.get('as_of', '?')}",
        "before": None, "after": None,
    }
    if reader:
        line = [m for m in p.get("made", ()) if m.get("id") == allocation_id]
        row["user"] = run.user
        row["payload"] = {
            k: p[k] for k in ("as_of", "solver", "status") if k in p
        } | {"made": line}
    return row


def _sees(uow: UnitOfWork, caller: Caller, day: dt.date, kind: str, record_id: str) -> list[str]:
    """:class:`NotFound` unless the caller sees the record (inside ``with uow``); for a
    request or an offer, the ids of its allocations the caller sees."""
    v = viewer(uow, caller, day)
    if kind in ("request", "offer"):
        record = (uow.requests if kind == "request" else uow.offers).get(record_id)
        if record is None or not v.sees_record(record):
            raise NotFound(f"no {kind} {record_id!r}")
        where = {f"{kind}_id": record_id}
        return [a["id"] for a in _allocations_of(uow, v, uow.allocations.list(**where))]
    if kind == "allocation":
        _visible_allocation(uow, v, record_id)
    elif kind == "consent":
        require(caller.role, Action.READ_CONSENTS)
        c = uow.consents.get(record_id)
        if c is None or not v.sees_consent(c):
            raise NotFound(f"no consent request {record_id!r}")
    elif kind == "proposal":
        p = uow.proposals.get(record_id)
        if p is None or not v.sees_proposal(p):
            raise NotFound(f"no proposal {record_id!r}")
    elif kind == "accession":
        if uow.accessions.get(record_id) is None:
            raise NotFound(f"no accession {record_id!r}")
    else:  # a monitor event: the record of events is the ledger readers'
        require(caller.role, Action.READ_EVENTS)
    return []
