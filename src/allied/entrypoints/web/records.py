"""The dashboard's requests board and offers page: posting, prioritising, pledging, and
amending, withdrawing and closing records (forms over the access service, as
:mod:`allied.entrypoints.web.pages` describes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from allied.domain.assistance import RecordStatus
from allied.domain.dates import takes_pledge
from allied.domain.lifecycle import DEFAULT_GRACE_DAYS
from allied.domain.users import Action, UserRole, may
from allied.domain.values import int_in_range
from allied.entrypoints.web import chartcache, tables, views
from allied.entrypoints.web.forms import F, Show, confirmed_reason, form_page, placed
from allied.entrypoints.web.pages import (
    CHANNELS,
    _ctx,
    _done,
    _opt,
    render,
    templates,
)
from allied.entrypoints.web.session import (
    check_csrf,
    current,
)
from allied.service import access
from allied.service.caller import Caller

router = APIRouter(include_in_schema=False)
templates.env.filters["readable_date"] = tables.readable_date


# -- requests ----------------------------------------------------------------------------


REQUEST_COLUMNS = ("id", "recipient", "family", "item_type", "quantity", "pledged",
                   "outstanding", "priority", "needed_by", "status", "notes")


def _requests_page(
    request: Request,
    caller: Caller,
    token: str,
    *,
    family: str | None = None,
    priority: int | None = None,
    status: str | None = None,
    q: str | None = None,
    sort: str | None = None,
    page_no: int | None = None,
    offset: int = 0,
    as_csv: bool = False,
    error: dict[str, Any] | None = None,
    form: dict[str, Any] | None = None,
    edit: dict[str, Any] | None = None,
) -> Response:
    ctx = _ctx(request)
    t = tables.table_state(
        "/requests", "requests", q=q, sort=sort, page=page_no, offset=offset,
        filters={"family": family, "priority": priority, "status": status},
    )
    page = access.list_requests(
        ctx.read_uow(),
        caller,
        ctx.today(),
        family=family,
        priority=priority,
        status=RecordStatus(status) if status else None,
        q=t.q,
        sort=t.sort,
        limit=t.size,
        offset=t.offset,
    )
    if as_csv:
        return tables.csv_response(page.items, REQUEST_COLUMNS, "requests.csv")
    editable = may(caller.role, Action.CREATE_REQUEST)
    changeable = {r["id"] for r in page.items if editable and _may_change(caller, r, "recipient")}
    return render(
        request,
        "requests.html",
        caller,
        token,
        active="/requests",
        status=error["status"] if error else 200,
        page=page,
        t=t,
        families=chartcache.families(request, caller),
        filters={"family": family or "", "priority": priority or "", "status": status or ""},
        editable=editable,
        changeable=changeable,
        edit=edit,
        error=error,
        form=form or {},
    )


@router.get("/requests", response_class=HTMLResponse)
def requests_page(
    request: Request,
    family: Annotated[str | None, Query(max_length=40)] = None,
    priority: Annotated[str | None, Query(max_length=2)] = None,
    status: Annotated[str | None, Query(pattern="^(|open|closed|withdrawn)$")] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    sort: Annotated[str | None, Query(max_length=40)] = None,
    page: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    format: Annotated[str | None, Query(pattern="^(|html|csv)$")] = None,
) -> Response:
    caller, token = current(request, _ctx(request))
    prio = int(priority) if priority and priority.isdigit() and 1 <= int(priority) <= 5 else None
    return _requests_page(
        request,
        caller,
        token,
        family=_opt(family),
        priority=prio,
        status=_opt(status),
        q=q,
        sort=sort,
        page_no=page,
        offset=offset,
        as_csv=format == "csv",
    )


def _request_refused_form(
    request: Request, caller: Caller, token: str, typed: dict[str, str], error: dict[str, Any]
) -> Response:
    """The board again with the post form as typed, the error beside its field."""
    return _requests_page(request, caller, token, error=error, form=typed)


#: the ids of the post form's fields on the board (requests.html)
REQUEST_FORM = {
    "recipient": "r-recipient", "family": "r-family", "quantity": "r-quantity",
    "priority": "r-priority", "needed_by": "r-needed", "releasability": "r-release",
    "notes": "r-notes",
}


@router.post("/requests", response_class=HTMLResponse)
@form_page(_request_refused_form, REQUEST_FORM)
def post_request(
    request: Request,
    csrf: Annotated[str, Form(max_length=200)] = "",
    recipient: Annotated[str, Form(max_length=16)] = "",
    family: Annotated[str, Form(max_length=64)] = "",
    quantity: Annotated[str, Form(max_length=12)] = "",
    priority: Annotated[str, Form(max_length=2)] = "3",
    needed_by: Annotated[str, Form(max_length=10)] = "",
    notes: Annotated[str, Form(max_length=2000)] = "",
    releasability: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    form = {
        "recipient": (recipient or caller.nation).strip().upper(),
        "family": family.strip(),
        "quantity": quantity.strip(),
        "priority": priority.strip(),
        "needed_by": needed_by.strip(),
        "notes": notes.strip(),
        "releasability": releasability.strip(),
    }
    data = {k: v for k, v in form.items() if v != ""}
    made = access.create_request(ctx.uow(), caller, ctx.today(), data)
    return _done("/requests", "request-posted", str(made["id"]))


def _board_refused(
    request: Request, caller: Caller, token: str, typed: dict[str, str], error: dict[str, Any]
) -> Response:
    return _requests_page(request, caller, token, error=error)


@router.post("/requests/{request_id}/priority", response_class=HTMLResponse)
@form_page(_board_refused, {"priority": "prio-{request_id}"})
def post_priority(
    request: Request,
    request_id: str,
    csrf: Annotated[str, Form(max_length=200)] = "",
    priority: Annotated[str, Form(max_length=2)] = "",
) -> Response:
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    access.set_request_priority(ctx.uow(), caller, ctx.today(), request_id, priority)
    return _done("/requests", "priority-set", request_id)


# -- offers and pledges ----------------------------------------------------------------


OFFER_COLUMNS = ("id", "donor", "family", "item_type", "quantity", "committed", "available",
                 "available_from", "channel", "status", "caveats")
#: How many choices the pledge form offers at most (the open offers with the most left,
#: the most urgent open requests); a record not among them is pledged from its own page.
PLEDGE_CHOICES = 200


def _offers_page(
    request: Request,
    caller: Caller,
    token: str,
    *,
    family: str | None = None,
    status: str | None = None,
    donor: str | None = None,
    q: str | None = None,
    sort: str | None = None,
    page_no: int | None = None,
    offset: int = 0,
    as_csv: bool = False,
    error: dict[str, Any] | None = None,
    form: dict[str, Any] | None = None,
    edit: dict[str, Any] | None = None,
    pledge: str | None = None,
) -> Response:
    ctx = _ctx(request)
    day = ctx.today()
    t = tables.table_state(
        "/offers", "offers", q=q, sort=sort, page=page_no, offset=offset,
        filters={"family": family, "status": status, "donor": donor},
    )
    page = access.list_offers(
        ctx.read_uow(),
        caller,
        day,
        donor=donor,
        family=family,
        status=RecordStatus(status) if status else None,
        q=t.q,
        sort=t.sort,
        limit=t.size,
        offset=t.offset,
    )
    if as_csv:
        return tables.csv_response(page.items, OFFER_COLUMNS, "offers.csv")
    mine = caller.role == UserRole.DONOR
    allocations = access.list_allocations(
        ctx.read_uow(), caller, day, donor=caller.nation if mine else None,
        sort="-updated_at", limit=views.PAGE_SIZE, consent=True,
    )
    may_pledge = may(caller.role, Action.PLEDGE)
    # the pledge form: one offer at a time, and only the requests it can fill (its
    # family, something still outstanding, not overdue past the grace: allied.domain.dates);
    # another offer is chosen with a GET
    own_offers: list[dict[str, Any]] = []
    open_requests: list[dict[str, Any]] = []
    chosen: dict[str, Any] | None = None
    if may_pledge:
        own_offers = [
            o for o in access.list_offers(
                ctx.read_uow(), caller, day, donor=caller.nation if mine else None,
                # most left first (the offers' index, migration 0019_picture_parts)
                status=RecordStatus.OPEN, sort="-available", limit=PLEDGE_CHOICES,
            ).items
            if o["available"] > 0
        ]
        chosen = next((o for o in own_offers if o["id"] == pledge), None)
        if chosen is None and pledge:
            # an offer beyond the first choices, asked for by id
            chosen = next(
                (
                    o for o in access.list_offers(
                        ctx.read_uow(), caller, day, donor=caller.nation if mine else None,
                        status=RecordStatus.OPEN, q=pledge, limit=PLEDGE_CHOICES,
                    ).items
                    if o["id"] == pledge and o["available"] > 0
                ),
                None,
            )
            if chosen is not None:
                own_offers = [chosen, *own_offers]
        if chosen is None and own_offers:
            chosen = own_offers[0]
        if chosen is not None:
            open_requests = [
                r for r in access.list_requests(
                    ctx.read_uow(), caller, day, family=chosen["family"],
                    status=RecordStatus.OPEN, sort="-priority", limit=PLEDGE_CHOICES,
                ).items
                if r.get("outstanding", 1) > 0
                # a long-overdue request takes no pledge until its need is confirmed
                and takes_pledge(dt.date.fromisoformat(r["needed_by"]), day, DEFAULT_GRACE_DAYS)
            ]
    return render(
        request,
        "offers.html",
        caller,
        token,
        active="/offers",
        status=error["status"] if error else 200,
        page=page,
        t=t,
        families=chartcache.families(request, caller),
        donors=chartcache.donors(request, caller),
        filters={"family": family or "", "status": status or "", "donor": donor or ""},
        allocations=allocations.items,
        allocations_total=allocations.total,
        moves=access.allocation_moves(
            ctx.read_uow(), caller, day, [a["id"] for a in allocations.items]
        ),
        own_offers=own_offers,
        pledge_offer=chosen,
        open_requests=open_requests,
        channels=CHANNELS,
        may_offer=may(caller.role, Action.CREATE_OFFER),
        may_pledge=may_pledge,
        changeable={
            o["id"]
            for o in page.items
            if may(caller.role, Action.CREATE_OFFER) and _may_change(caller, o, "donor")
        },
        edit=edit,
        error=error,
        form=form or {},
    )


@router.get("/offers", response_class=HTMLResponse)
def offers_page(
    request: Request,
    family: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[str | None, Query(pattern="^(|open|closed|withdrawn)$")] = None,
    donor: Annotated[str | None, Query(max_length=16)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    sort: Annotated[str | None, Query(max_length=40)] = None,
    page: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    pledge: Annotated[str | None, Query(max_length=64)] = None,
    format: Annotated[str | None, Query(pattern="^(|html|csv)$")] = None,
) -> Response:
    caller, token = current(request, _ctx(request))
    return _offers_page(
        request,
        caller,
        token,
        pledge=pledge,
        family=_opt(family),
        status=_opt(status),
        donor=(_opt(donor) or "").upper() or None,
        q=q,
        sort=sort,
        page_no=page,
        offset=offset,
        as_csv=format == "csv",
    )


def _offer_refused_form(
    request: Request, caller: Caller, token: str, typed: dict[str, str], error: dict[str, Any]
) -> Response:
    """The offers page again with the post form as typed, the error beside its field."""
    form: dict[str, Any] = {**typed, "lethal": typed.get("lethal") == "on"}
    return _offers_page(request, caller, token, error=error, form=form)


#: the ids of the offer form's fields on the offers page (offers.html)
OFFER_FORM = {
    "donor": "o-donor", "family": "o-family", "item_type": "o-item", "quantity": "o-quantity",
    "available_from": "o-from", "channel": "o-channel", "origin": "o-origin",
    "lethal": "o-lethal", "releasability": "o-release", "caveats": "o-caveats",
}


@router.post("/offers", response_class=HTMLResponse)
@form_page(_offer_refused_form, OFFER_FORM)
def post_offer(
    request: Request,
    csrf: Annotated[str, Form(max_length=200)] = "",
    donor: Annotated[str, Form(max_length=16)] = "",
    family: Annotated[str, Form(max_length=64)] = "",
    quantity: Annotated[str, Form(max_length=12)] = "",
    available_from: Annotated[str, Form(max_length=10)] = "",
    channel: Annotated[str, Form(max_length=16)] = "bilateral",
    origin: Annotated[str, Form(max_length=200)] = "",
    item_type: Annotated[str, Form(max_length=64)] = "",
    lethal: Annotated[str, Form(max_length=5)] = "",
    caveats: Annotated[str, Form(max_length=2000)] = "",
    releasability: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    form = {
        "donor": (donor or caller.nation).strip().upper(),
        "family": family.strip(),
        "quantity": quantity.strip(),
        "available_from": available_from.strip(),
        "channel": channel.strip(),
        "origin": origin.strip().upper(),
        "item_type": item_type.strip(),
        "caveats": caveats.strip(),
        "releasability": releasability.strip(),
    }
    data: dict[str, Any] = {k: v for k, v in form.items() if v != ""}
    data["lethal"] = lethal == "on"
    made = access.create_offer(ctx.uow(), caller, ctx.today(), data)
    return _done("/offers", "offer-posted", str(made["id"]))


def _pledge_refused(
    request: Request, caller: Caller, token: str, typed: dict[str, str], error: dict[str, Any]
) -> Response:
    """The offers page again with the pledge form of the same offer as typed."""
    return _offers_page(
        request, caller, token, error=error, pledge=typed.get("offer") or None,
        form={"pledge_request": typed.get("request", ""),
              "pledge_quantity": typed.get("quantity", "")},
    )


@router.post("/pledges", response_class=HTMLResponse)
@form_page(_pledge_refused, {"offer": "p-choose", "request": "p-request", "quantity": "p-qty"})
def post_pledge(
    request: Request,
    csrf: Annotated[str, Form(max_length=200)] = "",
    offer: Annotated[str, Form(max_length=64)] = "",
    request_id: Annotated[str, Form(alias="request", max_length=64)] = "",
    quantity: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    qty = int_in_range(quantity, "quantity", 1, 1_000_000_000)
    made = access.pledge(
        ctx.uow(), caller, ctx.today(), offer_id=offer, request_id=request_id, quantity=qty
    )
    return _done("/offers", "pledged", str(made["id"]))


# -- records that live: amend, withdraw, close -------------------------------------------
#
# The forms of the requests board and the offers page over the lifecycle use-cases
# (``access.amend_request`` and the rest, the same the API and the CLI call). A form is
# only shown to who may take its action: an open record of the caller's own nation (as
# its recipient or donor), or any open record for the coordinator. A refused form shows
# the page again with the record's form open, what was typed kept and the error beside
# the field it names.

#: The fields an amendment may change, in the order of the forms.
AMENDABLE = {
    "request": ("quantity", "priority", "needed_by", "notes", "releasability"),
    "offer": ("quantity", "available_from", "caveats", "releasability"),
}


def _may_change(caller: Caller, record: dict[str, Any], owner: str) -> bool:
    """Whether the caller may amend or end this record (what the use-cases check)."""
    if record["status"] != RecordStatus.OPEN.value:
        return False
    return caller.role == UserRole.COORDINATOR or record[owner] == caller.nation


def _changes(current: dict[str, Any], form: dict[str, str]) -> dict[str, str]:
    """The fields whose typed value differs from the record's current one."""
    return {k: v for k, v in form.items() if v != str(current.get(k) or "")}


def _record_refused(kind: str, action: str) -> Show:
    """How a refused amend, withdraw or close form of a request or offer (``kind``:
    requests, offers) is shown: its page searched for the record, the record's form open
    with what was typed and the error beside the field."""

    def show(
        request: Request, caller: Caller, token: str, typed: dict[str, str],
        error: dict[str, Any],
    ) -> Response:
        record_id = str(next(iter(request.path_params.values()), ""))
        fields = AMENDABLE[kind[:-1]] if action == "amend" else ("reason",)
        form = {name: typed.get(name, "").strip() for name in fields}
        if action == "amend" and error["field"] is None and error["status"] == 409:
            # the one rule an amendment can break: a quantity below what is allocated
            error = placed(error, "quantity", f"am-{record_id}-quantity")
        edit = {"id": record_id, "action": action, "form": form, "error": error}
        refused = _request_refused if kind == "requests" else _offer_refused
        return refused(request, caller, token, edit)

    return show


def _record_form(kind: str, action: str) -> Callable[[F], F]:
    """Mark an amend, withdraw or close endpoint (its path's parameter: the record's id)."""
    param = "{request_id}" if kind == "requests" else "{offer_id}"
    prefix = f"am-{param}-" if action == "amend" else f"{action}-{param}-"
    fields = (*AMENDABLE[kind[:-1]],) if action == "amend" else ("reason", "confirm")
    return form_page(_record_refused(kind, action), prefix=prefix, fields=fields)


def _request_refused(
    request: Request, caller: Caller, token: str, edit: dict[str, Any]
) -> Response:
    """The board again, searched for the record (its form open, the error beside it)."""
    return _requests_page(request, caller, token, q=edit["id"], error=edit["error"], edit=edit)


def _offer_refused(
    request: Request, caller: Caller, token: str, edit: dict[str, Any]
) -> Response:
    return _offers_page(request, caller, token, q=edit["id"], error=edit["error"], edit=edit)


@router.post("/requests/{request_id}/amend", response_class=HTMLResponse)
@_record_form("requests", "amend")
def amend_request(
    request: Request,
    request_id: str,
    csrf: Annotated[str, Form(max_length=200)] = "",
    quantity: Annotated[str, Form(max_length=12)] = "",
    priority: Annotated[str, Form(max_length=2)] = "",
    needed_by: Annotated[str, Form(max_length=10)] = "",
    notes: Annotated[str, Form(max_length=2000)] = "",
    releasability: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """The recipient (its own) or the coordinator changes an open request's fields."""
    form = {
        "quantity": quantity, "priority": priority, "needed_by": needed_by, "notes": notes,
        "releasability": releasability,
    }
    return _amend_record(request, "requests", request_id, csrf, form)


def _amend_record(
    request: Request, kind: str, record_id: str, csrf: str, fields: dict[str, str]
) -> Response:
    """Amend a request or offer (``kind``: requests, offers) with the form's fields that
    differ from the record now; a refusal comes back on its page, beside the form."""
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    form = {name: value.strip() for name, value in fields.items()}
    read, amend = {
        "requests": (access.get_request, access.amend_request),
        "offers": (access.get_offer, access.amend_offer),
    }[kind]
    now = read(ctx.read_uow(), caller, ctx.today(), record_id)
    changes = _changes(now, form)
    if changes:
        amend(ctx.uow(), caller, ctx.today(), record_id, changes)
    return _done(f"/{kind}", "amended" if changes else "unchanged", record_id)


def _end_record(
    request: Request, kind: str, record_id: str, csrf: str, confirm: str, reason: str, to: str
) -> Response:
    """Withdraw or close a request or offer (``kind``: requests, offers), confirmed and
    with a reason; a refusal comes back on its page, beside the form."""
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    ends = {
        ("requests", "withdrawn"): access.withdraw_request,
        ("requests", "closed"): access.close_request,
        ("offers", "withdrawn"): access.withdraw_offer,
    }
    why = confirmed_reason(confirm, reason)
    ends[(kind, to)](ctx.uow(), caller, ctx.today(), record_id, why)
    return _done(f"/{kind}", to, record_id)


@router.post("/requests/{request_id}/withdraw", response_class=HTMLResponse)
@_record_form("requests", "withdraw")
def withdraw_request(
    request: Request,
    request_id: str,
    csrf: Annotated[str, Form(max_length=200)] = "",
    confirm: Annotated[str, Form(max_length=3)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Withdraw an open request (confirmed, with a reason): its proposed allocations fall
    away."""
    return _end_record(request, "requests", request_id, csrf, confirm, reason, "withdrawn")


@router.post("/requests/{request_id}/close", response_class=HTMLResponse)
@_record_form("requests", "close")
def close_request(
    request: Request,
    request_id: str,
    csrf: Annotated[str, Form(max_length=200)] = "",
    confirm: Annotated[str, Form(max_length=3)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Close an open request (confirmed, with a reason)."""
    return _end_record(request, "requests", request_id, csrf, confirm, reason, "closed")


@router.post("/offers/{offer_id}/amend", response_class=HTMLResponse)
@_record_form("offers", "amend")
def amend_offer(
    request: Request,
    offer_id: str,
    csrf: Annotated[str, Form(max_length=200)] = "",
    quantity: Annotated[str, Form(max_length=12)] = "",
    available_from: Annotated[str, Form(max_length=10)] = "",
    caveats: Annotated[str, Form(max_length=2000)] = "",
    releasability: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """The donor (its own) or the coordinator changes an open offer's fields."""
    form = {
        "quantity": quantity, "available_from": available_from, "caveats": caveats,
        "releasability": releasability,
    }
    return _amend_record(request, "offers", offer_id, csrf, form)


@router.post("/offers/{offer_id}/withdraw", response_class=HTMLResponse)
@_record_form("offers", "withdraw")
def withdraw_offer(
    request: Request,
    offer_id: str,
    csrf: Annotated[str, Form(max_length=200)] = "",
    confirm: Annotated[str, Form(max_length=3)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Withdraw an open offer (confirmed, with a reason): its proposed allocations fall
    away; pledges already made stay."""
    return _end_record(request, "offers", offer_id, csrf, confirm, reason, "withdrawn")
