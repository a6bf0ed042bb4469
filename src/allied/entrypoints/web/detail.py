"""A page per record: request, offer, allocation, consent, proposal, accession (by its
id; a candidate's code lists its accessions) and monitor event, with everything linked
to it, its ledger history and the actions the caller may take on it now
(:mod:`allied.domain.actions`).

Every page reads through the checked use-cases (:mod:`allied.service.access`): a record
the caller may not see answers exactly as a missing one (the same 404 page). A GET never
writes. Irreversible actions (withdraw, reject, report lost, deny consent) first show a
confirmation step (``?do=ACTION``) asking for a reason, which the ledger entry records;
that works without JavaScript. Also the ``reason`` Jinja filter: a reason code in words
with the code beside it (:mod:`allied.domain.reasons`), for every page.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape

from allied.domain.errors import InvalidInput, NotFound, PermissionDenied
from allied.domain.reasons import consent_in_words, in_words, is_code
from allied.entrypoints.web.forms import Typed, confirmed_reason, form_page, placed
from allied.entrypoints.web.pages import _ctx, render, templates
from allied.entrypoints.web.session import check_csrf, current
from allied.service import access
from allied.service.caller import Caller

router = APIRouter(include_in_schema=False)

STATES = Path(__file__).resolve().parents[2] / "data" / "states.csv"


@lru_cache(maxsize=1)
def state_names() -> dict[str, str]:
    """ISO3 code -> name of every state of the reference data (shipped with the package)."""
    with STATES.open(encoding="utf-8", newline="") as f:
        return {row["iso3"]: row["name"] for row in csv.DictReader(f)}


def reason_filter(text: object) -> Markup:
    """A reason code in words with the code beside it; other text as it is."""
    value = "" if text is None else str(text)
    if not is_code(value):
        return Markup(escape(value))
    shown = '<span class="reason-words">{}</span> <code class="reason-code">{}</code>'
    return Markup(shown).format(in_words(value, state_names()), value)


def consent_filter(part: dict[str, object]) -> str:
    """One origin state's part in an allocation's consent, in words (names for codes)."""
    shown = dict(part)
    if part.get("until"):
        shown["until"] = day_filter(part["until"])
    return consent_in_words(shown, state_names())


def day_filter(value: object) -> str:
    """``2024-06-01`` (or a timestamp) as ``1 Jun 2024`` (``… 14:03 UTC``)."""
    if value is None or value == "":
        return ""
    text = str(value)
    try:
        if len(text) > 10:
            at = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            return at.strftime("%-d %b %Y %H:%M UTC")
        return dt.date.fromisoformat(text).strftime("%-d %b %Y")
    except ValueError:
        return text


def unit_of(family: str) -> str:
    """What one unit of a family is, as a quantity is read."""
    return "trainee places" if family == "training" else "units"


def late_days(available_from: str, needed_by: str) -> int:
    """Days an offer available on ``available_from`` comes after ``needed_by``."""
    return (dt.date.fromisoformat(available_from) - dt.date.fromisoformat(needed_by)).days


#: Ledger kinds in words, as a record's history reads them (the kind shown beside).
KIND_WORDS = {
    "created": "posted", "amended": "amended", "withdrawn": "withdrawn", "closed": "closed",
    "expired": "expired", "priority": "priority changed", "pledged": "pledged",
    "proposed": "proposed", "consent-pending": "consent asked", "approved": "approved",
    "shipped": "shipped", "delivered": "receipt confirmed", "in-repair": "sent for repair",
    "returned": "returned", "lost": "reported lost", "rejected": "rejected",
    "requested": "asked", "granted": "granted", "denied": "denied",
    "circulated": "circulated", "vote": "position recorded",
    "silence-broken": "silence broken", "revised": "revised", "apply": "applied",
    "invite": "invited", "sign": "protocols signed", "ratify": "ratified", "join": "joined",
    "propose": "proposed", "confirm": "confirmed", "correct": "corrected",
    "reject": "rejected", "policy": "standing policy set", "run": "run: plan proposed",
}


def kind_filter(kind: object) -> Markup:
    """A ledger kind in words, the kind beside it (``allocation.shipped``)."""
    text = str(kind)
    area, _, what = text.partition(".")
    words = KIND_WORDS.get(what)
    if not words:
        return Markup("<code>{}</code>").format(text)
    shown = '{} <code class="reason-code">{}</code>'
    return Markup(shown).format(f"{area.capitalize()} {words}", text)


templates.env.filters["kind"] = kind_filter
templates.env.filters["reason"] = reason_filter
templates.env.filters["day"] = day_filter
templates.env.filters["consent_words"] = consent_filter
templates.env.globals["unit"] = unit_of
templates.env.globals["late_days"] = late_days


def _missing(request: Request, caller: Caller, token: str, what: str) -> HTMLResponse:
    """The one answer for a record that does not exist and one the caller may not see."""
    return render(
        request, "detail_missing.html", caller, token, active="", status=404, what=what
    )


def _history(
    request: Request, caller: Caller, kind: str, record_id: str
) -> list[dict[str, Any]]:
    ctx = _ctx(request)
    return access.record_history(ctx.read_uow(), caller, ctx.today(), kind, record_id)


def _confirming(actions: list[dict[str, Any]], do: str | None) -> dict[str, Any] | None:
    """The irreversible action whose confirmation step is asked for (``?do=``)."""
    for a in actions:
        if a["name"] == do and a["irreversible"]:
            return a
    return None


def _amending(actions: list[dict[str, Any]], do: str | None) -> bool:
    """Whether the amend form is asked for (``?do=amend``) and the caller may amend."""
    return do == "amend" and any(a["name"] == "amend" for a in actions)


def _page(
    request: Request,
    template: str,
    caller: Caller,
    token: str,
    *,
    active: str,
    error: dict[str, Any] | None = None,
    **context: Any,
) -> HTMLResponse:
    return render(
        request, template, caller, token, active=active,
        status=error["status"] if error else 200, error=error, **context,
    )


# -- requests and offers -----------------------------------------------------------------


@router.get("/requests/{request_id}", response_class=HTMLResponse)
def request_page(
    request: Request, request_id: str, do: Annotated[str | None, Query(max_length=20)] = None
) -> HTMLResponse:
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    try:
        data = access.request_detail(ctx.read_uow(), caller, ctx.today(), request_id)
    except NotFound:
        return _missing(request, caller, token, f"request {request_id}")
    return _page(
        request, "detail_request.html", caller, token, active="/requests", **data,
        confirm=_confirming(data["actions"], do), amending=_amending(data["actions"], do),
    )


@router.get("/offers/{offer_id}", response_class=HTMLResponse)
def offer_page(
    request: Request, offer_id: str, do: Annotated[str | None, Query(max_length=20)] = None
) -> HTMLResponse:
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    try:
        data = access.offer_detail(ctx.read_uow(), caller, ctx.today(), offer_id)
    except NotFound:
        return _missing(request, caller, token, f"offer {offer_id}")
    return _page(
        request, "detail_offer.html", caller, token, active="/offers", **data,
        confirm=_confirming(data["actions"], do), amending=_amending(data["actions"], do),
    )


# -- allocations -------------------------------------------------------------------------


def _allocation_page(
    request: Request,
    caller: Caller,
    token: str,
    allocation_id: str,
    *,
    do: str | None = None,
    error: dict[str, Any] | None = None,
    form: dict[str, Any] | None = None,
) -> HTMLResponse:
    ctx = _ctx(request)
    try:
        data = access.allocation_detail(ctx.read_uow(), caller, ctx.today(), allocation_id)
    except NotFound:
        return _missing(request, caller, token, f"allocation {allocation_id}")
    return _page(
        request, "detail_allocation.html", caller, token, active="/allocation", **data,
        confirm=_confirming(data["actions"], do), error=error, form=form or {},
    )


@router.get("/allocations/{allocation_id}", response_class=HTMLResponse)
def allocation_page(
    request: Request,
    allocation_id: str,
    do: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    caller, token = current(request, _ctx(request))
    return _allocation_page(request, caller, token, allocation_id, do=do)


def _act_refused(
    request: Request, caller: Caller, token: str, typed: Typed, error: dict[str, Any]
) -> Response:
    """The allocation's page again, the move's form as typed (a record no longer seen:
    the page says it is missing)."""
    to = typed.get("to", "")
    return _allocation_page(
        request, caller, token, str(request.path_params.get("allocation_id", "")), do=to,
        error=error, form={"reason": typed.get("reason", ""), "to": to},
    )


@router.post("/allocations/{allocation_id}/act", response_class=HTMLResponse)
@form_page(_act_refused, {"reason": "c-reason", "confirm": "c-confirm"})
def act_on_allocation(
    request: Request,
    allocation_id: str,
    csrf: Annotated[str, Form(max_length=200)] = "",
    to: Annotated[str, Form(max_length=20)] = "",
    confirm: Annotated[str, Form(max_length=3)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Move an allocation from its page; an irreversible move needs ``confirm=yes`` and a
    reason (recorded in the ledger entry). A refusal comes back on the page, beside the
    form, with what was typed."""
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    data = access.allocation_detail(ctx.read_uow(), caller, ctx.today(), allocation_id)
    offered = {a["name"]: a for a in data["actions"]}
    why = reason.strip()
    if to in offered and offered[to]["irreversible"]:
        why = confirmed_reason(confirm, reason)
    access.advance_allocation(ctx.uow(), caller, ctx.today(), allocation_id, to, reason=why)
    return RedirectResponse(
        f"/allocations/{allocation_id}?ok=moved&ref={allocation_id}", status_code=303
    )


# -- consents ----------------------------------------------------------------------------


def _consent_page(
    request: Request,
    caller: Caller,
    token: str,
    consent_id: str,
    *,
    do: str | None = None,
    error: dict[str, Any] | None = None,
    form: dict[str, Any] | None = None,
) -> HTMLResponse:
    ctx = _ctx(request)
    try:
        data = access.consent_detail(ctx.read_uow(), caller, ctx.today(), consent_id)
    except (NotFound, PermissionDenied):
        return _missing(request, caller, token, f"consent request {consent_id}")
    return _page(
        request, "detail_consent.html", caller, token, active="/consents", **data,
        confirm=_confirming(data["actions"], do), error=error, form=form or {},
    )


@router.get("/consents/{consent_id}", response_class=HTMLResponse)
def consent_page(
    request: Request, consent_id: str, do: Annotated[str | None, Query(max_length=20)] = None
) -> HTMLResponse:
    caller, token = current(request, _ctx(request))
    return _consent_page(request, caller, token, consent_id, do=do)


def _decide_refused(
    request: Request, caller: Caller, token: str, typed: Typed, error: dict[str, Any]
) -> Response:
    """The consent request's page again: a refused denial on its confirmation step, a
    refused grant on the answer form, with the reason as typed."""
    answer = typed.get("answer", "")
    if answer != "denied" and error["field"] in ("reason", "answer"):
        error = placed(error, "reason", "g-reason")  # the answer form's one field
    return _consent_page(
        request, caller, token, str(request.path_params.get("consent_id", "")),
        do="denied" if answer == "denied" else None, error=error,
        form={"reason": typed.get("reason", ""), "answer": answer},
    )


@router.post("/consents/{consent_id}/decide", response_class=HTMLResponse)
@form_page(_decide_refused, {"reason": "c-reason", "confirm": "c-confirm"})
def decide_consent(
    request: Request,
    consent_id: str,
    csrf: Annotated[str, Form(max_length=200)] = "",
    answer: Annotated[str, Form(max_length=10)] = "",
    confirm: Annotated[str, Form(max_length=3)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The origin state grants, or (confirmed, with a reason) denies, from the page."""
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    if answer not in ("granted", "denied"):
        raise InvalidInput("choose to grant or to deny", field="answer")
    why = confirmed_reason(confirm, reason) if answer == "denied" else reason.strip()
    access.answer_consent(ctx.uow(), caller, ctx.today(), consent_id, answer, why)
    return RedirectResponse(
        f"/consents/{consent_id}?ok=answered&ref={consent_id}", status_code=303
    )


# -- proposals, accessions, monitor events ----------------------------------------------


def proposal_record(
    request: Request,
    caller: Caller,
    token: str,
    proposal_id: str,
    *,
    error: dict[str, Any] | None = None,
    form: dict[str, Any] | None = None,
) -> HTMLResponse:
    """The proposal's page; with the refused position form shown again (``error``,
    ``form``) beside its field."""
    ctx = _ctx(request)
    try:
        data = access.proposal_detail(ctx.read_uow(), caller, ctx.today(), proposal_id)
    except NotFound:
        return _missing(request, caller, token, f"proposal {proposal_id}")
    return _page(
        request, "detail_proposal.html", caller, token, active="/decisions", **data,
        error=error, form=form or {},
    )


@router.get("/proposals/{proposal_id}", response_class=HTMLResponse)
def proposal_page(request: Request, proposal_id: str) -> HTMLResponse:
    caller, token = current(request, _ctx(request))
    return proposal_record(request, caller, token, proposal_id)


@router.get("/accessions/{key}", response_class=HTMLResponse)
def accession_page(request: Request, key: str) -> HTMLResponse:
    """One accession by its id (``/accessions/UKR-EU``); a candidate's code
    (``/accessions/UKR``) lists that candidate's accessions, each linked to its page."""
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    try:
        data = access.accession_by_id(ctx.read_uow(), caller, ctx.today(), key)
    except NotFound:
        data = None
    if data is not None:
        a = data["accession"]
        return _page(
            request, "detail_accession.html", caller, token, active="/decisions",
            a=a, name=state_names().get(a["candidate"], ""), history=data["history"],
        )
    code = key.strip().upper()
    try:
        found = access.accession_detail(ctx.read_uow(), caller, ctx.today(), code)
    except NotFound:
        return _missing(request, caller, token, f"accession {key}")
    return _page(
        request, "accessions_of.html", caller, token, active="/decisions",
        candidate=code, accessions=found, name=state_names().get(code, ""),
    )


def evidence_parts(sentence: str, words: list[str]) -> list[tuple[str, bool]]:
    """The sentence cut into (text, highlighted) parts, the words given highlighted
    (whole words, any case)."""
    wanted = sorted({w for w in words if w and len(w) > 1}, key=len, reverse=True)
    if not wanted:
        return [(sentence, False)]
    pattern = re.compile(
        r"\b(" + "|".join(re.escape(w) for w in wanted) + r")\b", re.IGNORECASE
    )
    parts: list[tuple[str, bool]] = []
    at = 0
    for m in pattern.finditer(sentence):
        if m.start() > at:
            parts.append((sentence[at : m.start()], False))
        parts.append((m.group(0), True))
        at = m.end()
    if at < len(sentence):
        parts.append((sentence[at:], False))
    return parts


@router.get("/monitor/events/{event_id}", response_class=HTMLResponse)
def monitor_event_page(request: Request, event_id: str) -> HTMLResponse:
    from allied.adapters.db.tables_monitor import sql_monitor_events

    ctx = _ctx(request)
    caller, token = current(request, ctx)
    try:
        event = access.get_monitor_event(ctx.read_uow(), sql_monitor_events, caller, event_id)
    except (NotFound, PermissionDenied):
        return _missing(request, caller, token, f"monitor event {event_id}")
    names = state_names()
    row = event.as_dict()
    codes = [c for c in (row["actor"], row["target"]) if c]
    words = [w for c in codes for w in (c, names.get(c, ""))]
    others = [
        e.as_dict()
        for e in access.list_monitor_events(
            ctx.read_uow(), sql_monitor_events, caller, document=row["document"]
        )
        if e.id != row["id"]
    ]
    return _page(
        request, "detail_event.html", caller, token, active="/monitor", event=row,
        parts=evidence_parts(row["evidence"], words), names=names,
        others=sorted(others, key=lambda e: e["start"]),
        history=_history(request, caller, "event", event_id),
    )
