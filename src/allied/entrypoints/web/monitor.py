"""The dashboard's monitor page: positions per state and issue drawn from the events the
analysts confirmed, the fissures between states, and (for the roles that read the record)
the timeline of events and how many proposals wait for review.

The review page (``/monitor/review``, the coordinator's and the auditor's) holds the
analysts' jobs of ``allied monitor extract|review|confirm|correct|reject``: a text pasted
or uploaded is read by the extractor (a preview, or recorded as proposals for review by
the coordinator); each proposed event shows its evidence sentence with the words that
made the extractor propose it highlighted, and is confirmed, corrected or rejected
(rejecting is confirmed, with a reason in the ledger) through the checked use-cases."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from allied.domain.errors import AlliedError, InvalidInput
from allied.domain.users import Action, may
from allied.entrypoints.web import UPLOADS
from allied.entrypoints.web.forms import confirmed_reason
from allied.entrypoints.web.pages import _ctx, _done, _error, render
from allied.entrypoints.web.session import check_csrf, current
from allied.monitor.record import Status
from allied.service import access
from allied.service.caller import Caller

router = APIRouter(include_in_schema=False)


# -- the monitor -------------------------------------------------------------------------


#: the most groups the monitor's Fissures offers (and at most one fewer than the states)
MAX_GROUPS = 6


def group_counts(states: int) -> list[int]:
    """The numbers of groups Fissures offers for ``states`` states with stances: 2 up to
    one fewer than the states (every state its own group says nothing), at most
    :data:`MAX_GROUPS`; none below three states."""
    return list(range(2, min(MAX_GROUPS, states - 1) + 1))


def _groups(value: str, states: int) -> int:
    """The Groups field as a number the states allow, or ``InvalidInput`` saying why."""
    try:
        n = int(value.strip())
    except ValueError:
        raise InvalidInput(f"groups is a whole number, got {value!r}", field="groups") from None
    if n < 2:
        raise InvalidInput("at least 2 groups", field="groups")
    if n > states - 1:
        raise InvalidInput(
            f"only {states} state{'' if states == 1 else 's'} "
            f"{'has' if states == 1 else 'have'} confirmed events: "
            + (f"at most {states - 1} groups" if states > 2 else "fissures need at least 3"),
            field="groups",
        )
    if n > MAX_GROUPS:
        raise InvalidInput(f"at most {MAX_GROUPS} groups", field="groups")
    return n


@router.get("/monitor", response_class=HTMLResponse)
def monitor_page(
    request: Request,
    groups: Annotated[str, Query(max_length=6)] = "2",
) -> HTMLResponse:
    """Positions per state and issue from the analysts' confirmed events, the fissures
    between states, the timeline of events and how many proposals wait for review.

    Fissures offers 2 groups up to one fewer than the states with stances (at most
    :data:`MAX_GROUPS`); a count out of range keeps the section and its Regroup control,
    says why beside it (422) and shows the groups at the nearest count allowed.

    The monitor reads public news and analysis (no releasability applies); reviewing
    proposals stays with ``allied monitor review|confirm|correct|reject``.
    """
    from allied.adapters.db.tables_monitor import sql_monitor_events
    from allied.domain.users import Action, may
    from allied.monitor.positions import ISSUE_HELP, ORGANISATIONS, Issue, fissures, timeline
    from allied.monitor.record import Status
    from allied.service.access import list_monitor_events, monitor_stances

    ctx = _ctx(request)
    caller, token = current(request, ctx)
    found = monitor_stances(ctx.read_uow(), sql_monitor_events, caller)
    issues = [i for i in Issue if any(p.issue is i for p in found)]
    actors = sorted({p.actor for p in found})
    cell = {(p.actor, p.issue): p for p in found}
    states = len({p.actor for p in found if p.actor not in ORGANISATIONS})
    counts = group_counts(states)
    error: dict[str, Any] | None = None
    chosen = 2
    try:
        if counts or "groups" in request.query_params:  # asked of too few states: say so
            chosen = _groups(groups, states)
    except InvalidInput as exc:
        error = _error(exc)
        asked = int(groups) if groups.strip().isdigit() else 2
        chosen = max(counts) if counts and asked > max(counts) else 2  # the nearest allowed
    split = fissures(found, groups=chosen) if counts else None
    # the record of events (proposals and the analysts' decisions) is the coordinator's
    # and the auditor's, as in the API; every role sees the positions drawn from it
    waiting: int | None = None
    rows: list[Any] | None = None
    if may(caller.role, Action.READ_EVENTS):
        events = list_monitor_events(ctx.read_uow(), sql_monitor_events, caller)
        waiting = sum(1 for e in events if e.status is Status.PROPOSED)
        rows = timeline(events)
    return render(
        request,
        "monitor.html",
        caller,
        token,
        active="/monitor",
        issues=issues,
        help=ISSUE_HELP,
        actors=actors,
        cell=cell,
        split=split,
        groups=chosen,
        group_counts=counts,
        states=states,
        error=error,
        status=422 if error else 200,
        waiting=waiting,
        timeline=None if rows is None else list(reversed(rows))[:100],
        total_events=0 if rows is None else len(rows),
    )


# -- extract and review ------------------------------------------------------------------

REVIEW = "/monitor/review"
#: the largest text an extract reads (a long analysis paper is about 200 kB)
MAX_TEXT = UPLOADS["/monitor/extract"]


def highlight(sentence: str, words: list[str]) -> list[tuple[str, bool]]:
    """The sentence cut into (text, marked) pieces: each of ``words`` marked where it
    first occurs (case-insensitive), so a template shows the evidence with its cue."""
    marks: list[tuple[int, int]] = []
    low = sentence.casefold()
    for word in words:
        at = low.find(word.casefold()) if word else -1
        if at >= 0 and not any(a < at + len(word) and at < b for a, b in marks):
            marks.append((at, at + len(word)))
    out: list[tuple[str, bool]] = []
    pos = 0
    for a, b in sorted(marks):
        if a > pos:
            out.append((sentence[pos:a], False))
        out.append((sentence[a:b], True))
        pos = b
    if pos < len(sentence):
        out.append((sentence[pos:], False))
    return out


def _cue_words(event: Any) -> list[str]:
    """The trigger and cues of an event's sentence (read again from the sentence alone:
    the record keeps the sentence, not the words that made the extractor propose it)."""
    from allied.monitor.extract import Extractor
    from allied.monitor.model import Document

    trigger = getattr(event, "trigger", None)
    if trigger is not None:
        return [trigger, *getattr(event, "cues", ())]
    doc = Document(name="-", text=event.evidence, date=event.date, source="-")
    for found in Extractor(include_background=True).extract(doc):
        if found.actor == event.actor and found.type == event.type:
            return [found.trigger, *found.cues]
    return []


def _in_context(text: str, start: int, end: int, around: int = 160) -> dict[str, str]:
    """The evidence sentence with a little of the text before and after it."""
    before = text[max(0, start - around) : start]
    after = text[end : end + around]
    return {
        "before": ("…" if start > around else "") + before,
        "after": after + ("…" if end + around < len(text) else ""),
    }


def _review_page(
    request: Request,
    caller: Caller,
    token: str,
    *,
    status: str = "proposed",
    error: dict[str, Any] | None = None,
    form: dict[str, Any] | None = None,
    edit: dict[str, Any] | None = None,
    extracted: dict[str, Any] | None = None,
) -> HTMLResponse:
    from allied.adapters.db.tables_monitor import sql_monitor_events
    from allied.monitor.model import EventType

    ctx = _ctx(request)
    if not may(caller.role, Action.READ_EVENTS):
        return render(
            request, "denied.html", caller, token, active="/monitor", status=403,
            what="the monitor's record of events",
        )
    events = access.list_monitor_events(ctx.read_uow(), sql_monitor_events, caller)
    counts = {s.value: sum(1 for e in events if e.status is s) for s in Status}
    shown = [e for e in events if e.status.value == status][:100]
    may_review = may(caller.role, Action.REVIEW_EVENTS)
    return render(
        request,
        "monitor_review.html",
        caller,
        token,
        active="/monitor",
        status=error["status"] if error else 200,
        events=[(e, highlight(e.evidence, _cue_words(e))) for e in shown],
        counts=counts,
        selected=status,
        statuses=[s.value for s in Status],
        may_review=may_review,
        types=[t.value for t in EventType],
        actors=[a["code"] for a in access.list_actors(ctx.read_uow(), caller, limit=10_000).items]
        if may_review
        else [],
        error=error,
        edit=edit,
        form=form or {"document": "", "date": "", "text": ""},
        extracted=extracted,
    )


@router.get(REVIEW, response_class=HTMLResponse)
def review_page(
    request: Request,
    status: Annotated[str, Query(pattern="^(proposed|confirmed|corrected|rejected)$")] = (
        "proposed"
    ),
) -> HTMLResponse:
    caller, token = current(request, _ctx(request))
    return _review_page(request, caller, token, status=status)


@router.post("/monitor/extract", response_class=HTMLResponse)
def extract(
    request: Request,
    csrf: Annotated[str, Form(max_length=200)] = "",
    document: Annotated[str, Form(max_length=200)] = "",
    date: Annotated[str, Form(max_length=10)] = "",
    text: Annotated[str, Form(max_length=MAX_TEXT)] = "",
    action: Annotated[str, Form(max_length=10)] = "preview",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Events the extractor finds in a pasted or uploaded text: a preview (nothing
    written), or recorded as proposals for review (``action=save``, the coordinator's)."""
    from allied.adapters.db.tables_monitor import sql_monitor_events

    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    upload = file.file.read(MAX_TEXT + 1) if file and file.filename else b""
    form = {"document": document, "date": date, "text": text}
    try:
        if upload:
            if len(upload) > MAX_TEXT:
                raise InvalidInput("the file is larger than 2 MB", field="file")
            try:
                body = upload.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                line = upload.count(b"\n", 0, exc.start) + 1
                raise InvalidInput(
                    f"line {line} is not UTF-8 text; save the file as UTF-8", field="file"
                ) from None
            name = document.strip() or (file.filename if file else "") or "upload"
        else:
            body, name = text, document.strip()
        doc = access.text_document(name, body, date.strip() or None)
        batches = access.extract_events(caller, [doc])
        recorded = None
        if action == "save":
            recorded = access.propose_monitor_events(
                ctx.uow(), sql_monitor_events, caller, batches
            )
    except AlliedError as exc:
        err = _error(exc)
        if err["field"] == "document" and not document.strip() and not upload:
            err["field"] = "document"
        return _review_page(request, caller, token, error=err, form=form)
    found = [
        {
            "event": e,
            "sentence": highlight(e.evidence, [e.trigger, *e.cues]),
            **_in_context(doc.text, e.start, e.end),
        }
        for e in batches[0][1]
    ]
    extracted = {"document": doc.name, "date": doc.date, "found": found, "recorded": recorded}
    keep = form if recorded is None else None
    return _review_page(request, caller, token, form=keep, extracted=extracted)


def _field(exc: AlliedError) -> dict[str, Any]:
    err = _error(exc)
    if err["field"]:
        err["field"] = str(err["field"]).lstrip("-")
    if err["field"] == "correction":
        err["message"] = "a correction changes the actor, the type, the target or the date"
    return err


@router.post("/monitor/events/{event_id}/{decision}", response_class=HTMLResponse)
def review_event(
    request: Request,
    event_id: str,
    decision: str,
    csrf: Annotated[str, Form(max_length=200)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    confirm: Annotated[str, Form(max_length=3)] = "",
    actor: Annotated[str, Form(max_length=16)] = "",
    type: Annotated[str, Form(max_length=30)] = "",
    target: Annotated[str, Form(max_length=16)] = "",
    date: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Confirm, correct or reject a proposed event (rejecting is confirmed, with a reason
    recorded in the ledger entry)."""
    from allied.adapters.db.tables_monitor import sql_monitor_events

    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    form = {"note": note, "actor": actor, "type": type, "target": target, "date": date}
    try:
        if decision == "confirm":
            access.review_monitor_event(
                ctx.uow(), sql_monitor_events, caller, event_id, Status.CONFIRMED,
                note=note.strip(),
            )
        elif decision == "reject":
            why = confirmed_reason(confirm, note)
            access.review_monitor_event(
                ctx.uow(), sql_monitor_events, caller, event_id, Status.REJECTED, note=why
            )
        elif decision == "correct":
            ev = access.get_monitor_event(ctx.read_uow(), sql_monitor_events, caller, event_id)
            new_target = target.strip().upper()
            access.review_monitor_event(
                ctx.uow(), sql_monitor_events, caller, event_id, Status.CORRECTED,
                actor=actor.strip().upper() if actor.strip().upper() != ev.actor else None,
                etype=type.strip() if type.strip() != ev.type.value else None,
                target=new_target if new_target and new_target != ev.target else None,
                clear_target=not new_target and ev.target is not None,
                date=date.strip() if date.strip() and date.strip() != ev.date else None,
                note=note.strip(),
            )
        else:
            raise InvalidInput("a decision is confirm, correct or reject", field="decision")
    except AlliedError as exc:
        err = _field(exc)
        edit = {"id": event_id, "action": decision, "error": err, "form": form}
        return _review_page(request, caller, token, error=err, edit=edit)
    return _done(REVIEW, "reviewed", event_id)
