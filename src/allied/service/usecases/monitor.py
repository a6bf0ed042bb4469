"""The monitor's record as checked use-cases: read events, propose, review.

Reading the proposed and decided events (with the analysts' notes) is for the roles that
see every record (the coordinator and the auditor: :data:`Action.READ_EVENTS`);
recording proposals and deciding on them (confirm, correct, reject) is the
coordinator's (:data:`Action.REVIEW_EVENTS`). Positions and fissures drawn from the
confirmed events are public analysis: any role reads them (:data:`Action.READ`), as on
the dashboard's monitor page. Each decision is one transaction with one ledger entry
(:func:`allied.service.monitor.decide`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from allied.domain.errors import InvalidInput, NotFound
from allied.domain.users import Action, require
from allied.monitor.dates import date_in_text
from allied.monitor.extract import Extractor
from allied.monitor.model import Document, ProposedEvent, partial_date
from allied.monitor.positions import Issue, Position
from allied.monitor.record import RecordedEvent, Status
from allied.service import monitor as monitor_service
from allied.service.caller import Caller
from allied.service.monitor import EventsOf
from allied.service.ports import UnitOfWork

Batches = list[tuple[Document, list[ProposedEvent]]]


def parse_status(value: str | Status | None, field: str = "status") -> Status | None:
    """An event status (proposed, confirmed, corrected, rejected), or ``None``."""
    if value is None or isinstance(value, Status):
        return value
    try:
        return Status(value.strip().lower())
    except ValueError:
        known = ", ".join(s.value for s in Status)
        raise InvalidInput(f"unknown status {value!r} (one of: {known})", field=field) from None


def list_monitor_events(
    uow: UnitOfWork,
    events_of: EventsOf,
    caller: Caller,
    *,
    status: str | Status | None = None,
    document: str | None = None,
) -> list[RecordedEvent]:
    """The record: proposed events and the analysts' decisions (a read)."""
    require(caller.role, Action.READ_EVENTS)
    st = parse_status(status)
    return monitor_service.list_events(uow, events_of, status=st, document=document)


def get_monitor_event(
    uow: UnitOfWork, events_of: EventsOf, caller: Caller, event: str
) -> RecordedEvent:
    """One event of the record, or :class:`NotFound`."""
    require(caller.role, Action.READ_EVENTS)
    with uow:
        found = events_of(uow).get(event)
    if found is None:
        raise NotFound(f"no monitor event {event!r}")
    return found


def review_monitor_event(
    uow: UnitOfWork,
    events_of: EventsOf,
    caller: Caller,
    event: str,
    status: Status,
    *,
    actor: str | None = None,
    etype: str | None = None,
    target: str | None = None,
    clear_target: bool = False,
    date: str | None = None,
    note: str = "",
) -> RecordedEvent:
    """Confirm, correct or reject one event (one ledger entry)."""
    require(caller.role, Action.REVIEW_EVENTS)
    return monitor_service.decide(
        uow,
        events_of,
        caller,
        event,
        status,
        actor=actor,
        etype=etype,
        target=target,
        clear_target=clear_target,
        date=date,
        note=note,
    )


def extract_events(
    caller: Caller,
    documents: Iterable[Document],
    *,
    min_confidence: float = 0.0,
    background: bool = False,
) -> Batches:
    """The events the extractor proposes in each document (nothing is recorded)."""
    require(caller.role, Action.READ_EVENTS)
    if not 0.0 <= min_confidence <= 1.0:
        raise InvalidInput("must be from 0 to 1", field="min_confidence")
    extractor = Extractor(include_background=background)
    return [
        (d, [e for e in extractor.extract(d) if e.confidence >= min_confidence])
        for d in documents
    ]


def text_document(name: str, text: str, date: str | None = None) -> Document:
    """A document given as plain text (its date: ``date``, else one found in the text)."""
    if not name.strip():
        raise InvalidInput("a document needs a name", field="document")
    if not text.strip():
        raise InvalidInput("the document has no text", field="text")
    when = partial_date(date, "date") if date else date_in_text(text[:2000])
    return Document(name=name.strip(), text=text, date=when, source=name.strip())


def propose_monitor_events(
    uow: UnitOfWork,
    events_of: EventsOf,
    caller: Caller,
    batches: Iterable[tuple[Document, Sequence[ProposedEvent]]],
) -> dict[str, int]:
    """Record proposed events for review (one transaction): ``{"added", "skipped"}``."""
    require(caller.role, Action.REVIEW_EVENTS)
    return monitor_service.record_proposals(uow, events_of, caller, batches)


def monitor_stances(
    uow: UnitOfWork,
    events_of: EventsOf,
    caller: Caller,
    *,
    issues: Sequence[Issue] | None = None,
    on: str | None = None,
) -> list[Position]:
    """Positions per actor and issue from the confirmed and corrected events (public)."""
    require(caller.role, Action.READ)
    return monitor_service.stances(uow, events_of, issues=issues, on=on)
