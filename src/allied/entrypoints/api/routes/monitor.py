"""The monitor's record through the API, as ``allied monitor`` has it: read the events
(``events``), the analyst's review (``confirm``, ``correct``, ``reject``) and the
extraction of proposed events from a text (``extract``, ``--save``).

The same checked use-cases as the CLI (:mod:`allied.service.usecases.monitor`): reading
the record is for the coordinator and the auditor, proposing and reviewing the
coordinator's; each decision is one transaction with one ledger entry.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)

from allied.adapters.db.tables_monitor import sql_monitor_events
from allied.domain.errors import InvalidInput
from allied.entrypoints.api import idempotency
from allied.entrypoints.api.deps import Ctx, CurrentCaller, Page
from allied.entrypoints.api.routes.common import READ_ERRORS, WRITE_ERRORS, IdempotencyKey
from allied.entrypoints.api.schemas import PageOut, Strict
from allied.monitor.model import partial_date
from allied.monitor.record import RecordedEvent, Status
from allied.service import access
from allied.service.ports import UnitOfWork

router = APIRouter(prefix="/api/v1/monitor", tags=["monitor"])

_NO_NUL = r"^[^\x00]*$"
#: some text that is not all blank
_SOME = r"^[^\x00]*[^\x00\s][^\x00]*$"
Name = Annotated[str, StringConstraints(max_length=200, pattern=_SOME)]
Source = Annotated[str, StringConstraints(max_length=200, pattern=_NO_NUL)]
def _partial_date(value: str) -> str:
    try:
        return partial_date(value)
    except InvalidInput as exc:
        raise ValueError(exc.message) from None


#: YYYY-MM-DD (a calendar day), YYYY-MM or YYYY, as the CLI's ``--date``
PartialDate = Annotated[
    str,
    StringConstraints(max_length=10),
    AfterValidator(_partial_date),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date"},
                {"type": "string", "pattern": "^[1-9][0-9]{3}(-(0[1-9]|1[0-2]))?$"},
            ]
        }
    ),
]
Note = Annotated[str, StringConstraints(max_length=2000, pattern=_NO_NUL)]
Small = Annotated[str, StringConstraints(max_length=40, pattern=_NO_NUL)]
#: the longest text one extraction reads (a long article is 30,000 characters)
MAX_TEXT = 200_000
#: the API's field for each field the service names by its CLI flag
FIELDS = {"--actor": "actor", "--type": "type", "--target": "target", "--date": "date"}


class MonitorEventOut(BaseModel):
    id: str
    document: str
    source: str
    actor: str
    type: str
    target: str | None
    evidence: str = Field(description="the sentence that supports the event")
    start: int = Field(description="offset of the evidence in the document's text")
    end: int
    date: str | None = Field(description="YYYY, YYYY-MM or YYYY-MM-DD, if known")
    confidence: float
    status: str = Field(description="proposed, confirmed, corrected or rejected")
    proposed: str = Field(description="actor type target as first proposed")
    analyst: str
    decided_at: str | None
    note: str


class NoteIn(Strict):
    note: Note = Field(default="", description="why (kept in the ledger)")


class CorrectIn(Strict):
    """At least one change: ``actor``, ``type``, ``target``, ``no_target: true`` or ``date``
    (else 422 naming ``correction``)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "anyOf": [
                {"required": ["actor"]},
                {"required": ["type"]},
                {"required": ["target"]},
                {"required": ["date"]},
                {"required": ["no_target"], "properties": {"no_target": {"const": True}}},
            ]
        },
    )
    actor: Small | None = None
    type: Small | None = None
    target: Small | None = None
    no_target: bool = Field(False, description="the event has no target")
    date: PartialDate | None = Field(None, description="YYYY[-MM[-DD]]")
    note: Note = ""


class ExtractIn(Strict):
    text: str = Field(max_length=MAX_TEXT, pattern=_SOME, description="the plain text")
    document: Name = Field(description="the document's name (part of each event's id)")
    source: Source = Field(default="", description="where it came from (URL); default: the name")
    date: PartialDate | None = Field(
        None, description="the document's date, YYYY[-MM[-DD]] (default: found in the text)"
    )
    min_confidence: float = Field(0.0, ge=0.0, le=1.0)
    background: bool = Field(False, description="also events recounted from years before")
    save: bool = Field(False, description="record the proposals for review (coordinator)")


class ProposedOut(BaseModel):
    actor: str
    type: str
    target: str | None
    evidence: str
    start: int
    end: int
    document: str
    date: str | None
    confidence: float
    trigger: str
    cues: list[str]


class ExtractOut(BaseModel):
    document: str
    date: str | None
    events: list[ProposedOut]
    recorded: dict[str, int] | None = Field(
        description="with save: {added, skipped} (already in the record)"
    )


def _renamed(exc: InvalidInput) -> InvalidInput:
    """The error named by the body's fields rather than the CLI's flags."""
    if exc.field in FIELDS:
        exc.field = FIELDS[exc.field]
    if exc.field == "correction":
        exc.message = "a correction changes actor, type, target (or no_target) or date"
    return exc


@router.get("/events", response_model=PageOut[MonitorEventOut], responses=READ_ERRORS)
def list_events(
    ctx: Ctx,
    caller: CurrentCaller,
    page: Page,
    status: Annotated[
        Literal["proposed", "confirmed", "corrected", "rejected"] | None,
        Query(description="only events in this state"),
    ] = None,
    document: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    """The record: proposed events and the analysts' decisions (coordinator, auditor),
    as ``allied monitor events --status --document``."""
    found = access.list_monitor_events(
        ctx.read_uow(), sql_monitor_events, caller, status=status, document=document
    )
    items = [e.as_dict() for e in found[page.offset : page.offset + page.limit]]
    return {"items": items, "total": len(found), "limit": page.limit, "offset": page.offset}


@router.get("/events/{event_id}", response_model=MonitorEventOut, responses=READ_ERRORS)
def get_event(event_id: str, ctx: Ctx, caller: CurrentCaller) -> dict[str, Any]:
    """One event of the record (coordinator, auditor)."""
    return access.get_monitor_event(ctx.read_uow(), sql_monitor_events, caller, event_id).as_dict()


def _decide(
    request: Request,
    ctx: Ctx,
    caller: Any,
    key: str | None,
    event_id: str,
    status: Status,
    body: dict[str, Any],
    **changes: Any,
) -> JSONResponse:
    def action(uow: UnitOfWork) -> dict[str, Any]:
        try:
            ev: RecordedEvent = access.review_monitor_event(
                uow, sql_monitor_events, caller, event_id, status, **changes
            )
        except InvalidInput as exc:
            raise _renamed(exc) from None
        return ev.as_dict()

    return idempotency.run(
        ctx, caller, key=key, method="POST", path=request.url.path, body=body, status_code=200,
        action=action,
    )


@router.post("/events/{event_id}/confirm", response_model=MonitorEventOut,
             responses=WRITE_ERRORS)
def confirm_event(
    event_id: str,
    request: Request,
    ctx: Ctx,
    caller: CurrentCaller,
    body: NoteIn | None = None,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Confirm a proposed event as it stands (coordinator; one ledger entry)."""
    data = (body or NoteIn()).model_dump(mode="json")
    return _decide(request, ctx, caller, key, event_id, Status.CONFIRMED, data, note=data["note"])


@router.post("/events/{event_id}/reject", response_model=MonitorEventOut,
             responses=WRITE_ERRORS)
def reject_event(
    event_id: str,
    request: Request,
    ctx: Ctx,
    caller: CurrentCaller,
    body: NoteIn | None = None,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Reject a proposed event (coordinator; one ledger entry with the note)."""
    data = (body or NoteIn()).model_dump(mode="json")
    return _decide(request, ctx, caller, key, event_id, Status.REJECTED, data, note=data["note"])


@router.post("/events/{event_id}/correct", response_model=MonitorEventOut,
             responses=WRITE_ERRORS)
def correct_event(
    event_id: str,
    body: CorrectIn,
    request: Request,
    ctx: Ctx,
    caller: CurrentCaller,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Correct a proposed (or corrected) event and accept it (coordinator): any of
    ``actor``, ``type``, ``target`` (or ``no_target``), ``date``; one ledger entry with
    what it was before."""
    data = body.model_dump(mode="json")
    return _decide(
        request, ctx, caller, key, event_id, Status.CORRECTED, data,
        actor=body.actor, etype=body.type, target=body.target, clear_target=body.no_target,
        date=body.date, note=body.note,
    )


@router.post("/extract", response_model=ExtractOut, responses=WRITE_ERRORS)
def extract(
    body: ExtractIn,
    request: Request,
    ctx: Ctx,
    caller: CurrentCaller,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Propose events found in a text, as ``allied monitor extract``: a read unless
    ``save`` (coordinator), which records the proposals for review in one transaction
    (a proposal already in the record is skipped)."""
    when = body.date
    document = access.text_document(body.document, body.text, when)
    if body.source:
        document = type(document)(
            name=document.name, text=document.text, date=document.date, source=body.source
        )
    batches = access.extract_events(
        caller, [document], min_confidence=body.min_confidence, background=body.background
    )
    events = [e.as_dict() for e in batches[0][1]]
    answer: dict[str, Any] = {
        "document": document.name, "date": document.date, "events": events, "recorded": None
    }
    if not body.save:
        return JSONResponse(answer)

    def action(uow: UnitOfWork) -> dict[str, Any]:
        counts = access.propose_monitor_events(uow, sql_monitor_events, caller, batches)
        return {**answer, "recorded": counts}

    return idempotency.run(
        ctx, caller, key=key, method="POST", path=request.url.path,
        body=body.model_dump(mode="json"), status_code=200, action=action,
    )
