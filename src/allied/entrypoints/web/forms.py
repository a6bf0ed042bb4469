"""What the dashboard's forms share: the confirmation and reason of an irreversible
action, and keeping what was typed when the session ran out.

**Irreversible actions** (withdraw a proposal, reject an event, disable a user, deny...)
post ``confirm=yes`` (a ticked box) and a ``reason``; :func:`confirmed_reason` refuses the
form, naming the field, when either is missing, so nothing is written. The reason goes
into the action's ledger entry.

**A session that ran out** while a form was being filled: the form's post finds no
session. :func:`resume_fields` keeps its fields (not the stale CSRF token); the sign-in
page carries them as hidden fields and, once the user has signed in again, shows the
form filled with them, to check and send again. Nothing is sent on the user's behalf.

**A refused form** comes back as the same page with what was typed kept, the error
beside the field it names and a summary at the top linking to that field. One mechanism
for every dashboard form: its endpoint is marked with :func:`form_page` (how its page is
shown again, and the ids of its fields), and :func:`refused_form` answers both a post
that FastAPI's own validation refuses (``RequestValidationError``: a value over a
field's limit, a missing or non-numeric field) and an ``AlliedError`` the service
raises, with the HTML page and the status the API would give (422, 403, 404, 409...).
Nothing is written: the validation runs before the endpoint, and the service's
transaction is rolled back before its error leaves it. Routes that are not dashboard
forms (the JSON API) keep the API's JSON answers. The wording is for people: the field
is named by its label, without a status code or a field's code name (:func:`refusal`).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from allied.domain.errors import AlliedError, InvalidInput
from allied.service.caller import Caller

#: fields never carried over (the stale session's token; the sign-in form's own)
_NOT_CARRIED = frozenset({"csrf", "token", "next"})
#: at most this many fields, of at most this many characters, are carried
MAX_FIELDS = 60
MAX_VALUE = 4000
#: the prefix of the carried fields on the sign-in form
CARRY = "carry."


def confirmed_reason(confirm: str, reason: str) -> str:
    """The reason of a confirmed irreversible action; raises naming the field otherwise."""
    if confirm != "yes":
        raise InvalidInput("tick the box to confirm: this cannot be undone", field="confirm")
    if not reason.strip():
        raise InvalidInput("give a reason; it is recorded in the ledger", field="reason")
    return reason.strip()


async def resume_fields(request: Request) -> list[tuple[str, str]]:
    """The text fields of a form post (in order; files and the CSRF token left out)."""
    if request.method != "POST":
        return []
    kind = request.headers.get("content-type", "")
    if not kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return []
    try:
        form = await request.form()
    except Exception:  # an unreadable body carries nothing; the sign-in page still shows
        return []
    out: list[tuple[str, str]] = []
    for key, value in form.multi_items():
        if isinstance(value, str) and key not in _NOT_CARRIED and len(out) < MAX_FIELDS:
            out.append((key[:100], value[:MAX_VALUE]))
    return out


def carried(form: Any) -> list[tuple[str, str]]:
    """The carried fields a sign-in post brings back (``carry.<name>``)."""
    out: list[tuple[str, str]] = []
    for key, value in form.multi_items():
        if isinstance(value, str) and key.startswith(CARRY) and len(out) < MAX_FIELDS:
            out.append((key[len(CARRY) :][:100], value[:MAX_VALUE]))
    return out


# -- refused forms -------------------------------------------------------------------------

#: The label a person sees for each form field (the dashboard's forms name the same field
#: the same way); a field not listed is named from its code name.
LABELS = {
    "actor": "State",
    "answer": "Answer",
    "as_of": "As of",
    "available_from": "Available from",
    "candidate": "Candidate",
    "caveats": "Caveats",
    "channel": "Channel",
    "confirm": "Confirmation box",
    "csrf": "Security token",
    "date": "Date",
    "deadline": "Deadline",
    "document": "Document",
    "donor": "Donor",
    "family": "Capability family",
    "forum": "Forum",
    "grace_days": "Grace days",
    "id": "Id",
    "item_type": "Item type",
    "lethal": "Lethal",
    "name": "Name",
    "nation": "Nation",
    "needed_by": "Needed by",
    "note": "Note",
    "notes": "Notes",
    "offer": "Offer",
    "on": "Date",
    "org": "Organisation",
    "origin": "Made by",
    "policy": "Policy",
    "position": "Position",
    "priority": "Priority",
    "quantity": "Quantity",
    "reason": "Reason",
    "recipient": "Recipient",
    "releasability": "Releasable to",
    "request": "Request",
    "role": "Role",
    "rule": "Rule",
    "since": "Since",
    "solver": "Solver",
    "source": "Source",
    "state": "State",
    "step": "Step",
    "target": "Target",
    "text": "Text",
    "title": "Title",
    "type": "Type",
}


def label_of(field: str) -> str:
    """The label of a form field as a person reads it."""
    return LABELS.get(field) or field.replace("_", " ").strip().capitalize() or "Field"


def _first_lower(text: str) -> str:
    """A sentence's first letter lower-cased (it follows the field's label and a colon),
    unless the sentence starts with a code or a name (two capitals)."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def _num(text: str) -> str:
    return f"{int(text):,}" if text.isdigit() else text


def _not_one(given: str) -> str:
    return f"; {given} is not one" if given not in ("''", '""', "None") else ""


#: the service's wording of a value's check (domain/values.py), for people: what to give
_PLAIN: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"expected an integer from (\d+) to (\d+), got (.*)", re.S),
     lambda m: f"give a whole number from {_num(m[1])} to {_num(m[2])}{_not_one(m[3])}"),
    (re.compile(r"(?:expected|must be) a positive integer, got (.*)", re.S),
     lambda m: f"give a whole number above 0{_not_one(m[1])}"),
    (re.compile(r"must be at most ([\d,]+), got ([\d,]+)", re.S),
     lambda m: f"at most {m[1]}; this is {m[2]}"),
    (re.compile(r"(?:expected a date YYYY-MM-DD, got|not a date \(YYYY-MM-DD\):) (.*)", re.S),
     lambda m: f"give a date as year-month-day (2024-08-01){_not_one(m[1])}"),
    (re.compile(r"expected a number, got (.*)", re.S),
     lambda m: f"give a number{_not_one(m[1])}"),
    (re.compile(r"is required"), lambda m: "this is required"),
    (re.compile(r"longer than (\d+) characters"),
     lambda m: f"at most {_num(m[1])} characters"),
    (re.compile(r"expected one of (.*); got (.*)", re.S),
     lambda m: f"choose one of {m[1]}{_not_one(m[2])}"),
)


def plain_words(message: str) -> str:
    """A check's message as a person reads it (``expected an integer from 1 to 5, got
    '9'`` -> ``give a whole number from 1 to 5; '9' is not one``); others as they are."""
    for pattern, words in _PLAIN:
        found = pattern.fullmatch(message.strip())
        if found:
            return words(found)
    return message


def refusal(
    exc: AlliedError, anchors: Mapping[str, str] | None = None, lead: str = "Not saved"
) -> dict[str, Any]:
    """A refusal as a refused form shows it: ``status`` (the response's, as the API would
    give it), ``field`` (its code name, or None), ``label``, ``message`` (plain words),
    ``text`` (the label, then the message: what stands beside the field and in the
    summary), ``anchor`` (the id of the field on the page, when the form shows it) and
    ``lead`` (what the summary starts with: what did not happen)."""
    from allied.entrypoints.api.errors import status_for

    status, _ = status_for(exc)
    field = exc.field if isinstance(exc, InvalidInput) else None
    message = plain_words(exc.message if isinstance(exc, InvalidInput) else str(exc)).strip()
    message = message.rstrip(".") + "." if message else "it was refused."
    label = label_of(field) if field else None
    text = f"{label}: {_first_lower(message)}" if label else message[:1].upper() + message[1:]
    anchor = (anchors or {}).get(field) if field else None
    return {
        "status": status, "field": field, "label": label, "message": message, "text": text,
        "anchor": anchor, "lead": lead,
    }


def placed(error: dict[str, Any], field: str, anchor: str | None) -> dict[str, Any]:
    """A refusal that names no field (a rule the service checks) shown beside ``field``,
    the one the form's rule is about."""
    label = label_of(field)
    return {**error, "field": field, "label": label, "anchor": anchor,
            "text": f"{label}: {_first_lower(error['message'])}"}


def _plain(error: Mapping[str, Any]) -> str:
    """What a validation error of FastAPI (pydantic) means, in words for people."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    given = error.get("input")
    if kind == "string_too_long":
        most = int(ctx.get("max_length", 0))
        unit = "digits" if isinstance(given, str) and given.strip().isdigit() else "characters"
        has = f"; this has {len(given):,}" if isinstance(given, str) else ""
        return f"at most {most:,} {unit}{has}"
    if kind == "string_too_short":
        return f"at least {int(ctx.get('min_length', 1)):,} characters"
    if kind == "missing":
        return "this is required"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "give a whole number"
    if kind in ("float_parsing", "float_type", "decimal_parsing", "decimal_type"):
        return "give a number"
    bounds = {
        "greater_than_equal": ("at least", "ge"), "greater_than": ("more than", "gt"),
        "less_than_equal": ("at most", "le"), "less_than": ("less than", "lt"),
    }
    if kind in bounds:
        words, key = bounds[kind]
        return f"give {words} {ctx.get(key)}"
    if kind == "too_long":
        return f"at most {int(ctx.get('max_length', 0)):,} may be chosen"
    if kind in ("string_pattern_mismatch", "literal_error", "enum"):
        return "choose one of the choices offered"
    msg = str(error.get("msg") or "this value is refused")
    return _first_lower(msg)


def invalid_input_of(exc: RequestValidationError) -> InvalidInput:
    """FastAPI's refusal of a form's fields as the service's refusal, naming the field
    (the first field refused, as the form shows one error at a time)."""
    errors = exc.errors()
    first: Mapping[str, Any] = errors[0] if errors else {}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "header")]
    return InvalidInput(_plain(first), field=loc[0] if loc else None)


#: how a refused form's page is shown again: (request, caller, session, what was typed,
#: the refusal) -> the page
Show = Callable[[Request, Caller, str, "Typed", dict[str, Any]], Response]
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class FormPage:
    """How a dashboard form's post that is refused is answered (see :func:`form_page`)."""

    show: Show
    #: the fields the form shows, each with its element's id on the page (a ``{id}`` in
    #: it is filled from the path's parameters: ``am-{request_id}-``)
    ids: Mapping[str, str]

    def anchors(self, request: Request) -> dict[str, str]:
        params = {k: str(v) for k, v in request.path_params.items()}
        return {name: fid.format(**params) for name, fid in self.ids.items()}


def form_page(show: Show, ids: Mapping[str, str] | None = None, *,
              prefix: str = "", fields: Sequence[str] = ()) -> Callable[[F], F]:
    """Mark a dashboard form's endpoint: a refusal of its post (by FastAPI's validation or
    by the service) shows ``show``'s page again. ``ids`` maps each field to the id of its
    element on that page; ``prefix`` and ``fields`` say the same for ids named
    ``prefix + field``."""
    page = FormPage(show, {**{f: prefix + f for f in fields}, **(ids or {})})

    def mark(endpoint: F) -> F:
        endpoint.form_page = page  # type: ignore[attr-defined]
        return endpoint

    return mark


def form_page_of(request: Request) -> FormPage | None:
    """The :class:`FormPage` of the endpoint a request was routed to, if it is one."""
    page = getattr(request.scope.get("endpoint"), "form_page", None)
    return page if isinstance(page, FormPage) else None


class Typed(dict[str, str]):
    """What was typed in a posted form: each text field's first value (``typed[name]``),
    and every value of a field that has several (:meth:`every`); never files nor the
    CSRF token."""

    def __init__(self, pairs: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__()
        self._every: dict[str, list[str]] = {}
        for key, value in pairs:
            self.setdefault(key, value)
            self._every.setdefault(key, []).append(value)

    def every(self, name: str) -> list[str]:
        return list(self._every.get(name, ()))


#: at most this many values are kept of a refused form (a plan's ticked lines: 1,000)
MAX_TYPED = 2000


async def typed_fields(request: Request) -> Typed:
    """What was typed in a posted form, to show the form again with it (nothing, when
    the body is not a form that can be read)."""
    try:
        form = await request.form()
    except Exception:  # an unreadable body keeps nothing; the page still shows
        return Typed()
    # kept whole (the body's size is bounded by the app): a refused over-long note comes
    # back as it was typed, to shorten
    pairs = [
        (key[:100], value)
        for key, value in form.multi_items()
        if isinstance(value, str) and key not in _NOT_CARRIED
    ]
    return Typed(pairs[:MAX_TYPED])


Fallback = Callable[[Request, Exception], Response | Awaitable[Response]]


def refused_form(fallback: Fallback | None) -> Callable[[Request, Exception], Awaitable[Response]]:
    """The app's handler of ``RequestValidationError`` and ``AlliedError``: a dashboard
    form's post gets its page again (see the module's doc); anything else (the JSON API,
    a refusal the store caused) gets ``fallback``, the API's own handler."""

    async def handle(request: Request, exc: Exception) -> Response:
        page = form_page_of(request) if request.method == "POST" else None
        refused: AlliedError | None = (
            invalid_input_of(exc) if isinstance(exc, RequestValidationError)
            else exc if isinstance(exc, AlliedError) else None
        )
        if page is not None and refused is not None:
            from allied.entrypoints.api.errors import status_for

            if status_for(refused)[0] < 500:
                shown = await _show_again(request, page, refused, isinstance(exc, AlliedError))
                if shown is not None:
                    return shown
        if fallback is None:
            raise exc
        answer = fallback(request, exc)
        return await answer if isinstance(answer, Awaitable) else answer

    return handle


async def _show_again(
    request: Request, page: FormPage, exc: AlliedError, raised: bool
) -> Response | None:
    """The form's page with the refusal; None when no one is signed in and the refusal
    is not FastAPI's of the form's fields (``raised``: a check of the address, before the
    endpoint: the API's answer stands)."""
    from allied.entrypoints.web import _csrf, _sign_in
    from allied.entrypoints.web.pages import _ctx
    from allied.entrypoints.web.session import (
        CsrfFailed,
        SignInRequired,
        check_csrf,
        current,
    )

    typed = await typed_fields(request)
    try:
        submitted = (await request.form()).get("csrf")
    except Exception:  # unreadable: no token, so refused as a forged post below
        submitted = None

    def show() -> Response:
        caller, token = current(request, _ctx(request))
        # the endpoint may not have run (FastAPI refused its fields first): the form is
        # shown again only to the session that sent it
        check_csrf(request, token, submitted if isinstance(submitted, str) else None)
        return page.show(request, caller, token, typed, refusal(exc, page.anchors(request)))

    try:
        return await run_in_threadpool(show)
    except SignInRequired as gone:
        if raised:
            return None
        # the session ended while the form was filled: the sign-in page carries it
        return await _sign_in(request, gone)
    except CsrfFailed as failed:
        return _csrf(request, failed)
    except AlliedError:  # the page itself could not be read now: the API's answer stands
        return None
