"""Use-cases of the monitor's record: propose, review (confirm, correct, reject), read.

The record lives behind the ``MonitorEvents`` port, opened on a unit of work by a
factory (``adapters.db.tables_monitor.sql_monitor_events`` in production, a fake in
tests). Every analyst decision is one transaction with one ledger entry that names the
event, its source document and the evidence offsets.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from allied.domain.errors import InvalidInput, NotFound, UnknownActor
from allied.ledger import kinds
from allied.monitor.model import Document, ProposedEvent, parse_event_type, partial_date
from allied.monitor.positions import Issue, Position, positions
from allied.monitor.record import RecordedEvent, Status, event_id
from allied.service.caller import Caller
from allied.service.ports import UnitOfWork


class MonitorEvents(Protocol):
    def get(self, event_id: str) -> RecordedEvent | None: ...

    def add(self, ev: RecordedEvent) -> None: ...

    def update(self, ev: RecordedEvent) -> None: ...

    def list(
        self, *, status: Status | None = None, document: str | None = None
    ) -> builtins.list[RecordedEvent]: ...


EventsOf = Callable[[UnitOfWork], MonitorEvents]

LEDGER_KINDS = {
    Status.CONFIRMED: kinds.MONITOR_CONFIRM,
    Status.CORRECTED: kinds.MONITOR_CORRECT,
    Status.REJECTED: kinds.MONITOR_REJECT,
}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _known(uow: UnitOfWork, code: str | None, field: str) -> None:
    if code is not None and uow.actors.get(code) is None:
        if uow.actors.count() == 0:
            raise InvalidInput(
                "the database holds no actors: load the reference data first "
                "(`allied data load`)",
                field=field,
            )
        raise UnknownActor(code, field=field)


def record_proposals(
    uow: UnitOfWork,
    events_of: EventsOf,
    caller: Caller,
    batches: Iterable[tuple[Document, Sequence[ProposedEvent]]],
) -> dict[str, int]:
    """Store proposed events for review; a proposal already in the record is skipped."""
    added = skipped = 0
    documents: list[str] = []
    with uow:
        repo = events_of(uow)
        for document, events in batches:
            documents.append(document.name)
            for e in events:
                _known(uow, e.actor, "actor")
                _known(uow, e.target, "target")
                eid = event_id(document.name, e.start, e.actor, e.type.value, e.target)
                if repo.get(eid) is not None:
                    skipped += 1
                    continue
                repo.add(
                    RecordedEvent(
                        id=eid,
                        document=document.name,
                        source=document.source or document.name,
                        actor=e.actor,
                        type=e.type,
                        target=e.target,
                        evidence=e.evidence,
                        start=e.start,
                        end=e.end,
                        date=e.date,
                        confidence=e.confidence,
                        proposed=f"{e.actor} {e.type.value} {e.target or '-'}",
                    )
                )
                added += 1
        if added:
            uow.ledger.append(
                user=caller.user,
                nation=caller.nation,
                kind=kinds.MONITOR_PROPOSE,
                payload={"documents": documents, "added": added, "skipped": skipped},
            )
        uow.commit()
    return {"added": added, "skipped": skipped}


def _decision_payload(ev: RecordedEvent, previous: str | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": ev.id,
        "document": ev.document,
        "source": ev.source,
        "actor": ev.actor,
        "type": ev.type.value,
        "target": ev.target,
        "date": ev.date,
        "evidence": {"start": ev.start, "end": ev.end},
        "note": ev.note,
    }
    if previous is not None:
        payload["previous"] = previous
    return payload


def decide(
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
    at: dt.datetime | None = None,
) -> RecordedEvent:
    """Confirm, correct or reject one proposed event; a confirmed or corrected one may be
    corrected again or retracted (rejected, with a reason); a rejected one stays so."""
    if status is Status.PROPOSED:
        raise InvalidInput("a decision is confirm, correct or reject", field="status")
    changes = actor is not None or etype is not None or target is not None or clear_target or (
        date is not None
    )
    if changes and status is not Status.CORRECTED:
        raise InvalidInput("only a correction changes actor, type, target or date",
                           field="status")
    if status is Status.CORRECTED and not changes:
        raise InvalidInput("a correction needs --actor, --type, --target or --date",
                           field="correction")
    with uow:
        repo = events_of(uow)
        ev = repo.get(event)
        if ev is None:
            raise NotFound(f"no monitor event {event!r}")
        previous = f"{ev.actor} {ev.type.value} {ev.target or '-'} {ev.date or '-'}"
        if status is Status.REJECTED and ev.status is not Status.PROPOSED and not note.strip():
            raise InvalidInput(
                f"give a reason to retract a {ev.status.value} event; it is recorded in the "
                "ledger", field="reason"
            )
        if status is Status.CORRECTED:
            if actor is not None:
                code = actor.strip().upper()
                _known(uow, code, "--actor")
                ev.actor = code
            if etype is not None:
                ev.type = parse_event_type(etype, "--type")
            if clear_target:
                ev.target = None
            elif target is not None:
                code = target.strip().upper()
                _known(uow, code, "--target")
                ev.target = code
            if date is not None:
                ev.date = partial_date(date, "--date")
            if ev.target is not None and ev.target == ev.actor:
                raise InvalidInput("the target cannot be the actor", field="--target")
        ev.decide(status, caller.user, at or _now(), note)
        repo.update(ev)
        uow.ledger.append(
            user=caller.user,
            nation=caller.nation,
            kind=LEDGER_KINDS[status],
            payload=_decision_payload(ev, previous if status is Status.CORRECTED else None),
        )
        uow.commit()
        return ev


def list_events(
    uow: UnitOfWork,
    events_of: EventsOf,
    *,
    status: Status | None = None,
    document: str | None = None,
) -> list[RecordedEvent]:
    with uow:
        return events_of(uow).list(status=status, document=document)


def stances(
    uow: UnitOfWork,
    events_of: EventsOf,
    *,
    issues: Sequence[Issue] | None = None,
    on: str | None = None,
) -> list[Position]:
    """Positions per actor and issue from the confirmed and corrected events."""
    when = partial_date(on, "--on") if on else None
    with uow:
        events = events_of(uow).list()
    return positions(events, issues=issues, on=when)
