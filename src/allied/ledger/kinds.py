"""Every kind of ledger entry, defined once: its name, the schema of its payload in each
version, what it does to the records when the ledger is replayed, and the functions
that build its payload from the domain's objects.

Payloads are the ledger's own: they are hashed, kept for years and replayed, so they
are never an API's or a page's view of a record (a view may rename a key; a payload
may not). A payload's shape changes only by a new version: the payload then carries
``"v": N``; a payload without ``"v"`` is version 1, the shape written before versions
were counted. Old versions stay readable for as long as entries of them exist.

Adding a kind is one :class:`Kind` in :data:`KINDS` (below): its schema, and a
``replay`` function if it changes requests, offers, allocations, consents or
proposals. An entry of a kind not listed here does not verify.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from allied.domain.assistance import Allocation, AllocationStatus, Offer, RecordStatus, Request
from allied.domain.consent import ConsentRequest, ConsentStatus
from allied.domain.errors import LedgerIntegrityError
from allied.domain.proposals import Proposal, ProposalStatus
from allied.ledger.state import FIELDS, Records, ReplayError, pick

# -- names ------------------------------------------------------------------------------

REFERENCE_LOADED = "reference.loaded"
REQUEST_CREATED = "request.created"
REQUEST_PRIORITY = "request.priority"
OFFER_CREATED = "offer.created"
REQUEST_AMENDED = "request.amended"
OFFER_AMENDED = "offer.amended"
OFFER_WITHDRAWN = "offer.withdrawn"
ALLOCATION_RUN = "allocation.run"
ALLOCATION_PLEDGED = "allocation.pledged"
CONSENT_REQUESTED = "consent.requested"
CONSENT_POLICY = "consent.policy"
PROPOSAL_CIRCULATED = "proposal.circulated"
PROPOSAL_VOTE = "proposal.vote"
PROPOSAL_SILENCE_BROKEN = "proposal.silence-broken"
PROPOSAL_REVISED = "proposal.revised"
PROPOSAL_WITHDRAWN = "proposal.withdrawn"
PROPOSAL_CLOSED = "proposal.closed"
USER_ADDED = "user.added"
USER_REVOKED = "user.revoked"
USER_TOKEN_ROTATED = "user.token-rotated"
MONITOR_PROPOSE = "monitor.propose"
MONITOR_CONFIRM = "monitor.confirm"
MONITOR_CORRECT = "monitor.correct"
MONITOR_REJECT = "monitor.reject"
PUBLIC_KIEL_IMPORTED = "public.kiel.imported"
PUBLIC_SIPRI_IMPORTED = "public.sipri.imported"
#: the records as they stood when replay began to be checked (written by migration 0012)
LEDGER_BASELINE = "ledger.baseline"

ACCESSION_STEPS = ("apply", "invite", "sign", "ratify", "join")


def allocation_kind(status: AllocationStatus | str) -> str:
    """The kind of an allocation's move to ``status`` (``allocation.approved``, ...)."""
    return f"allocation.{AllocationStatus(status).value}"


def consent_kind(answer: ConsentStatus | str) -> str:
    """The kind of a consent answer (``consent.granted``, ``consent.denied``, ...)."""
    return f"consent.{ConsentStatus(answer).value}"


def accession_kind(step: str) -> str:
    if step not in ACCESSION_STEPS:
        raise ValueError(f"unknown accession step {step!r}")
    return f"accession.{step}"


# -- payload schemas ----------------------------------------------------------------------


def _one_of(values: Iterable[str]) -> Callable[[str], str]:
    allowed = frozenset(values)

    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"expected one of {', '.join(sorted(allowed))}")
        return value

    return check


def _values(enum: type[Enum]) -> list[str]:
    return [str(m.value) for m in enum]


Id = Annotated[str, StringConstraints(min_length=1)]
Day = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")]
RecordState = Annotated[str, AfterValidator(_one_of(_values(RecordStatus)))]
AllocationState = Annotated[str, AfterValidator(_one_of(_values(AllocationStatus)))]
ConsentState = Annotated[str, AfterValidator(_one_of(_values(ConsentStatus)))]
ProposalState = Annotated[str, AfterValidator(_one_of(_values(ProposalStatus)))]


class Payload(BaseModel):
    """A payload: the named fields of the types given (JSON values, strictly: ``"5"``
    is no integer); further keys are kept and not checked."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)


class Loose(Payload):
    """A payload read by nothing but people: any JSON object."""


class WithId(Payload):
    id: Id


class RequestV1(Payload):
    id: Id
    recipient: Id
    family: str
    quantity: int
    priority: int
    needed_by: Day
    status: RecordState


class OfferV1(Payload):
    id: Id
    donor: Id
    family: str
    quantity: int
    available_from: Day
    channel: str
    status: RecordState


class ChangedV1(Payload):
    """An amendment or an end of a request or offer: the fields that changed, before
    and after (``status`` when it ends), plus who-knows-why extras (reason, dropped)."""

    id: Id
    before: dict[str, Any]
    after: dict[str, Any]


class PriorityV1(Payload):
    id: Id
    to: int


class AllocationMade(Payload):
    id: Id
    offer: Id
    request: Id
    quantity: int
    needs_consent: bool


class RunV1(Payload):
    """As written before version 2: the ids made, not what they hold."""

    allocations: list[str]


class RunV2(RunV1):
    made: list[AllocationMade]


class PledgedV1(Payload):
    """A new allocation (``offer``, ``request``, ``quantity``, ``status``) or a move of
    one from ``proposed`` (``from``, ``to``); v1 was the API's view of the allocation."""

    id: Id
    offer: Id | None = None
    request: Id | None = None
    quantity: int | None = None
    status: AllocationState | None = None
    needs_consent: bool | None = None


class PledgedV2(PledgedV1):
    pass


class MovedV1(Payload):
    id: Id


class ConsentV1(Payload):
    id: Id
    origin: Id
    holder: Id
    family: str
    recipient: Id
    offer: Id | None
    status: ConsentState


class ConsentV2(ConsentV1):
    requested_on: Day
    expires_on: Day | None


class CirculatedV1(Payload):
    id: Id
    forum: Id
    rule: str
    title: str
    circulated_on: Day
    deadline: Day


class CirculatedV2(CirculatedV1):
    version: int
    status: ProposalState
    members: list[str]
    text: str


class RevisedV1(Payload):
    id: Id
    version: int
    on: Day
    deadline: Day


class ClosedV1(Payload):
    id: Id
    adopted: bool


class ReferenceV1(Payload):
    inserted: dict[str, int]
    updated: dict[str, int]


class ReferenceV2(ReferenceV1):
    """Version 2 carries the requests, offers and consents it inserted."""

    records: dict[str, list[dict[str, Any]]]


class BaselineV1(Payload):
    records: dict[str, dict[str, dict[str, Any]]]


class BaselineV2(BaselineV1):
    """A baseline in parts (``part`` of ``parts``, one entry each, in a row), so that no
    entry grows with the store: part 1 starts again, the others add their records."""

    part: Annotated[int, Field(ge=1)]
    parts: Annotated[int, Field(ge=1)]


# -- replay -------------------------------------------------------------------------------

Replay = Callable[[Records, Any], None]


def _request_created(r: Records, p: RequestV1) -> None:
    r.add("requests", p.id, p.model_dump())


def _offer_created(r: Records, p: OfferV1) -> None:
    r.add("offers", p.id, p.model_dump())


def _changed(record_type: str) -> Replay:
    """Apply the compared fields an amendment or end changed to a request or offer."""
    compared = set(FIELDS[record_type])

    def apply(r: Records, p: ChangedV1) -> None:
        r.update(record_type, p.id, **{k: v for k, v in p.after.items() if k in compared})

    return apply


def record_ended_kind(record_type: str, to: RecordStatus | str) -> str:
    """``request.withdrawn``, ``request.closed``, ``request.expired``, ``offer.withdrawn``..."""
    return f"{record_type}.{RecordStatus(to).value}"


def _priority(r: Records, p: PriorityV1) -> None:
    r.update("requests", p.id, priority=p.to)


def _run_v1(r: Records, p: RunV1) -> None:
    if p.allocations:
        raise ReplayError(
            "a version-1 run names the allocations it made but not what they hold; "
            "replay can begin only at a later baseline"
        )


def _run(r: Records, p: RunV2) -> None:
    for a in p.made:
        r.add("allocations", a.id, {**a.model_dump(), "status": AllocationStatus.PROPOSED.value})


def _pledged(r: Records, p: PledgedV1) -> None:
    if p.offer is not None:
        r.add("allocations", p.id, p.model_dump())
    else:
        r.update("allocations", p.id, status=AllocationStatus.PLEDGED.value)


def _moved_to(status: AllocationStatus) -> Replay:
    def apply(r: Records, p: MovedV1) -> None:
        r.update("allocations", p.id, status=status.value)

    return apply


def _consent_requested(r: Records, p: ConsentV1) -> None:
    r.add("consents", p.id, p.model_dump())


def _consent_to(status: ConsentStatus) -> Replay:
    def apply(r: Records, p: WithId) -> None:
        r.update("consents", p.id, status=status.value)

    return apply


def _circulated_v1(r: Records, p: CirculatedV1) -> None:
    r.add("proposals", p.id, {**p.model_dump(), "version": 1, "status": "open"})


def _circulated(r: Records, p: CirculatedV2) -> None:
    r.add("proposals", p.id, p.model_dump())


def _revised(r: Records, p: RevisedV1) -> None:
    r.update("proposals", p.id, version=p.version, circulated_on=p.on, deadline=p.deadline)


def _withdrawn(r: Records, p: WithId) -> None:
    r.update("proposals", p.id, status=ProposalStatus.WITHDRAWN.value)


def _closed(r: Records, p: ClosedV1) -> None:
    status = ProposalStatus.ADOPTED if p.adopted else ProposalStatus.REJECTED
    r.update("proposals", p.id, status=status.value)


def _reference_v1(r: Records, p: ReferenceV1) -> None:
    if any(p.inserted.get(k) for k in ("requests", "offers", "consents")):
        raise ReplayError(
            "a version-1 reference load counts the records it inserted but does not hold "
            "them; replay can begin only at a later baseline"
        )


def _reference(r: Records, p: ReferenceV2) -> None:
    for kind in ("requests", "offers", "consents"):
        for record in p.records.get(kind, []):
            r.add(kind, str(record["id"]), record)


def _baseline(r: Records, p: BaselineV1) -> None:
    r.reset(p.records)


def _baseline_part(r: Records, p: BaselineV2) -> None:
    r.reset(p.records, more=p.part > 1)


@dataclass(frozen=True)
class Version:
    schema: type[Payload]
    replay: Replay | None = None


@dataclass(frozen=True)
class Kind:
    """A kind of entry: its payload versions (1, 2, ...; the last is written now).
    ``allocations_only``: it changes allocations and nothing else (the records version
    the read caches key on stays; see ``ledger_head.records_seq``)."""

    name: str
    versions: tuple[Version, ...]
    allocations_only: bool = False

    @property
    def current(self) -> int:
        return len(self.versions)


def _kinds() -> dict[str, Kind]:
    loose = (Version(Loose),)
    out = [
        Kind(
            REFERENCE_LOADED,
            (Version(ReferenceV1, _reference_v1), Version(ReferenceV2, _reference)),
        ),
        Kind(REQUEST_CREATED, (Version(RequestV1, _request_created),)),
        Kind(REQUEST_PRIORITY, (Version(PriorityV1, _priority),)),
        Kind(OFFER_CREATED, (Version(OfferV1, _offer_created),)),
        Kind(REQUEST_AMENDED, (Version(ChangedV1, _changed("requests")),)),
        Kind(OFFER_AMENDED, (Version(ChangedV1, _changed("offers")),)),
        Kind(ALLOCATION_RUN, (Version(RunV1, _run_v1), Version(RunV2, _run))),
        Kind(
            ALLOCATION_PLEDGED,
            (Version(PledgedV1, _pledged), Version(PledgedV2, _pledged)),
            allocations_only=True,
        ),
        Kind(CONSENT_REQUESTED, (Version(ConsentV1, _consent_requested),
                                 Version(ConsentV2, _consent_requested))),
        Kind(CONSENT_POLICY, loose),
        Kind(PROPOSAL_CIRCULATED, (Version(CirculatedV1, _circulated_v1),
                                   Version(CirculatedV2, _circulated))),
        Kind(PROPOSAL_VOTE, (Version(WithId),)),
        Kind(PROPOSAL_SILENCE_BROKEN, (Version(WithId),)),
        Kind(PROPOSAL_REVISED, (Version(RevisedV1, _revised),)),
        Kind(PROPOSAL_WITHDRAWN, (Version(WithId, _withdrawn),)),
        Kind(PROPOSAL_CLOSED, (Version(ClosedV1, _closed),)),
        Kind(USER_ADDED, (Version(WithId),)),
        Kind(USER_REVOKED, (Version(WithId),)),
        Kind(USER_TOKEN_ROTATED, (Version(WithId),)),
        Kind(MONITOR_PROPOSE, loose),
        Kind(MONITOR_CONFIRM, (Version(WithId),)),
        Kind(MONITOR_CORRECT, (Version(WithId),)),
        Kind(MONITOR_REJECT, (Version(WithId),)),
        Kind(PUBLIC_KIEL_IMPORTED, loose),
        Kind(PUBLIC_SIPRI_IMPORTED, loose),
        Kind(LEDGER_BASELINE, (Version(BaselineV1, _baseline),
                               Version(BaselineV2, _baseline_part))),
    ]
    for status in AllocationStatus:
        if status is not AllocationStatus.PLEDGED:
            # a move changes its allocation only (the consents it asks or answers are
            # entries of their own)
            out.append(Kind(allocation_kind(status), (Version(MovedV1, _moved_to(status)),),
                            allocations_only=True))
    for answer in (ConsentStatus.GRANTED, ConsentStatus.DENIED, ConsentStatus.EXPIRED):
        out.append(Kind(consent_kind(answer), (Version(WithId, _consent_to(answer)),)))
    for step in ACCESSION_STEPS:
        out.append(Kind(accession_kind(step), (Version(WithId),)))
    for record_type, singular in (("requests", "request"), ("offers", "offer")):
        for ended in RecordStatus:
            if ended is not RecordStatus.OPEN:
                name = record_ended_kind(singular, ended)
                out.append(Kind(name, (Version(ChangedV1, _changed(record_type)),)))
    return {k.name: k for k in out}


#: every kind, by name
KINDS: dict[str, Kind] = _kinds()

#: kinds that change allocations only (they leave the records version)
ALLOCATIONS_ONLY = frozenset(k.name for k in KINDS.values() if k.allocations_only)


def parse(seq: int, kind: str, payload: Mapping[str, Any]) -> tuple[Version, Payload]:
    """The payload's version and its parsed form; ``LedgerIntegrityError`` naming entry
    ``seq`` for an unknown kind or version, a missing field or one of the wrong type."""
    spec = KINDS.get(kind)
    if spec is None:
        raise LedgerIntegrityError(seq, f"unknown kind {kind!r}")
    v = payload.get("v", 1)
    if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= spec.current:
        raise LedgerIntegrityError(seq, f"{kind}: unknown payload version {v!r}")
    version = spec.versions[v - 1]
    try:
        return version, version.schema.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "payload"
        raise LedgerIntegrityError(
            seq, f"{kind} payload v{v}: field {where}: {first['msg']}"
        ) from None


def versioned(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` stamped with the current version of ``kind`` (none for version 1)."""
    current = KINDS[kind].current
    return payload if current == 1 else {"v": current, **payload}


# -- payload builders ---------------------------------------------------------------------


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def request_created(record: Request) -> dict[str, Any]:
    return versioned(REQUEST_CREATED, {
        "id": record.id,
        "recipient": record.recipient,
        "family": record.family,
        "accepts": list(record.accepts),
        "quantity": record.quantity,
        "priority": record.priority,
        "needed_by": record.needed_by.isoformat(),
        "item_type": record.item_type,
        "status": record.status.value,
        "notes": record.notes,
        "releasability": str(record.releasability),
    })


def offer_created(record: Offer) -> dict[str, Any]:
    return versioned(OFFER_CREATED, {
        "id": record.id,
        "donor": record.donor,
        "family": record.family,
        "quantity": record.quantity,
        "available_from": record.available_from.isoformat(),
        "channel": record.channel.value,
        "lethal": record.lethal,
        "item_type": record.item_type,
        "origin": record.origin,
        "recipient": record.recipient,
        "fund": record.fund,
        "caveats": record.caveats,
        "status": record.status.value,
        "releasability": str(record.releasability),
    })


def allocation_made(alloc: Allocation) -> dict[str, Any]:
    """An allocation as a run or a pledge makes it."""
    return {
        "id": alloc.id,
        "offer": alloc.offer_id,
        "request": alloc.request_id,
        "quantity": alloc.quantity,
        "needs_consent": alloc.needs_consent,
    }


def allocation_pledged(alloc: Allocation) -> dict[str, Any]:
    """A new allocation, pledged (``allocation.pledged``)."""
    return versioned(ALLOCATION_PLEDGED, {**allocation_made(alloc), "status": alloc.status.value})


def allocation_moved(alloc: Allocation, before: AllocationStatus | str) -> dict[str, Any]:
    """An allocation's move along its lifecycle (``allocation.<to>``)."""
    return {"id": alloc.id, "from": AllocationStatus(before).value, "to": alloc.status.value}


def consent_requested(c: ConsentRequest) -> dict[str, Any]:
    return versioned(CONSENT_REQUESTED, {
        "id": c.id,
        "origin": c.origin,
        "holder": c.holder,
        "family": c.family,
        "recipient": c.recipient,
        "offer": c.offer_id,
        "status": c.status.value,
        "requested_on": c.requested_on.isoformat(),
        "decided_on": _day(c.decided_on),
        "expires_on": _day(c.expires_on),
        "reason": c.reason,
    })


def proposal_circulated(p: Proposal) -> dict[str, Any]:
    return versioned(PROPOSAL_CIRCULATED, {
        "id": p.id,
        "forum": p.forum,
        "rule": p.rule.value,
        "title": p.title,
        "version": p.version,
        "status": p.status.value,
        "circulated_on": p.circulated_on.isoformat(),
        "deadline": p.deadline.isoformat(),
        "participants": len(p.participants),
        "members": list(p.participants),
        "text": p.text,
    })


def created(record: Request | Offer) -> dict[str, Any]:
    """``request.created`` or ``offer.created``: the record as made."""
    return request_created(record) if isinstance(record, Request) else offer_created(record)


def stored_fields(kind: str, record: Any) -> dict[str, Any]:
    """The compared fields (``allied.ledger.state.FIELDS``) of a stored record of type
    ``kind``, through the payload its creation writes."""
    build: dict[str, Callable[[Any], dict[str, Any]]] = {
        "requests": request_created,
        "offers": offer_created,
        "allocations": allocation_pledged,
        "consents": consent_requested,
        "proposals": proposal_circulated,
    }
    # the compared fields are plain JSON scalars as built: no canonical round trip
    return pick(kind, build[kind](record))


def reference_loaded(
    inserted: Mapping[str, int], updated: Mapping[str, int], added: Mapping[str, Iterable[Any]]
) -> dict[str, Any]:
    """A reference load: counts per table, and the requests, offers and consents it
    inserted (``added``: records by table), as their creation entries would hold them."""
    build: dict[str, Callable[[Any], dict[str, Any]]] = {
        "requests": request_created,
        "offers": offer_created,
        "consents": consent_requested,
    }
    records = {name: [b(r) for r in added.get(name, ())] for name, b in build.items()}
    return versioned(
        REFERENCE_LOADED,
        {"inserted": dict(inserted), "updated": dict(updated), "records": records},
    )
