"""Requests, offers, pledges, allocations and allocation runs."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from allied.allocation.model import Options
from allied.domain.assistance import RecordStatus
from allied.entrypoints.api import idempotency
from allied.entrypoints.api.deps import (
    Ctx,
    CurrentCaller,
    DataVersions,
    Page,
    acaller_memberships,
    caller_memberships,
)
from allied.entrypoints.api.fast import afresh_json, record_page, view_key
from allied.entrypoints.api.routes.common import READ_ERRORS, WRITE_ERRORS, IdempotencyKey
from allied.entrypoints.api.schemas import (
    AllocationOut,
    AllocationStatusName,
    ChannelName,
    OfferIn,
    OfferOut,
    PageOut,
    PledgeIn,
    PriorityIn,
    RequestIn,
    RequestOut,
    RunIn,
    RunOut,
    TotalOut,
    TransitionIn,
)
from allied.service import access
from allied.service.listing import SORTS
from allied.service.ports import UnitOfWork
from allied.service.unchanged import groups_unchanged, page_unchanged, sums_sorted

router = APIRouter(prefix="/api/v1")

StatusQ = Annotated[Literal["open", "closed", "withdrawn", "expired"] | None, Query()]
CodeQ = Annotated[str | None, Query(max_length=16)]
FamilyQ = Annotated[str | None, Query(max_length=40)]
IdQ = Annotated[str | None, Query(max_length=64)]


SearchQ = Annotated[
    str | None,
    Query(max_length=100, description="text to find in the id, item type, notes or family"),
]


def sort_query(kind: str) -> Any:
    """``sort``: one of the list's columns, ``-`` before it for descending."""
    return Query(
        pattern=f"^-?({'|'.join(SORTS[kind])})$",
        description="a column to sort by, - before it for descending (the id breaks ties)",
    )


RequestSortQ = Annotated[str | None, sort_query("requests")]
OfferSortQ = Annotated[str | None, sort_query("offers")]
AllocationSortQ = Annotated[str | None, sort_query("allocations")]


def _status(value: str | None) -> RecordStatus | None:
    return RecordStatus(value) if value else None


# -- requests ----------------------------------------------------------------------------


@router.post(
    "/requests",
    status_code=201,
    response_model=RequestOut,
    responses=WRITE_ERRORS,
    tags=["requests"],
)
def create_request(
    body: RequestIn, request: Request, ctx: Ctx, caller: CurrentCaller, key: IdempotencyKey = None
) -> JSONResponse:
    """Register a request (recipient: for its own nation; coordinator: for anyone)."""
    data = body.model_dump(mode="json", exclude_none=True)
    return idempotency.run(
        ctx,
        caller,
        key=key,
        method="POST",
        path=request.url.path,
        body=data,
        status_code=201,
        action=lambda uow: access.create_request(uow, caller, ctx.today(), data),
    )


def _page_weight(page: access.RecordPage) -> int:
    """About what a page of records weighs in memory (a row is 0.3-0.5 kB of JSON)."""
    return 1024 * len(page.items) + 64 * len(page.counted_offers or ())


def _groups_weight(groups: access.OfferGroups) -> int:
    return sum(128 + 64 * len(ids) for _, _, ids in groups.groups)


@router.get(
    "/requests", response_model=PageOut[RequestOut], responses=READ_ERRORS, tags=["requests"]
)
async def list_requests(
    ctx: Ctx,
    caller: CurrentCaller,
    versions: DataVersions,
    page: Page,
    recipient: CodeQ = None,
    family: FamilyQ = None,
    status: StatusQ = None,
    priority: Annotated[int | None, Query(ge=1, le=5)] = None,
    q: SearchQ = None,
    sort: RequestSortQ = None,
) -> Response:
    """Requests the caller may see; filter by recipient, family, status, priority, search
    with ``q``, order by ``sort`` (id by default)."""
    day = ctx.today()
    key = view_key(
        "requests",
        caller,
        day,
        recipient,
        family,
        status,
        priority,
        q,
        sort,
        page.limit,
        page.offset,
    )

    return await record_page(
        ctx,
        key,
        versions,
        lambda at: access.request_records(
            ctx.read_uow(),
            caller,
            day,
            recipient=recipient.upper() if recipient else None,
            family=family,
            status=_status(status),
            priority=priority,
            q=q,
            sort=sort,
            limit=page.limit,
            offset=page.offset,
            memberships=caller_memberships(ctx, caller, at),
        ),
        access.with_pledged_held,
        _page_weight,
        lambda records, changes: page_unchanged(
            "requests", records, changes,
            filters={"recipient": recipient, "family": family, "status": status,
                     "priority": priority},
            q=q, sort=sort,
        ),
        sums_sorted=sums_sorted(sort),
    )


@router.get(
    "/requests/{request_id}", response_model=RequestOut, responses=READ_ERRORS, tags=["requests"]
)
def get_request(request_id: str, ctx: Ctx, caller: CurrentCaller) -> dict[str, object]:
    return access.get_request(ctx.read_uow(), caller, ctx.today(), request_id)


@router.post(
    "/requests/{request_id}/priority",
    response_model=RequestOut,
    responses=WRITE_ERRORS,
    tags=["requests"],
)
def set_request_priority(
    request_id: str,
    body: PriorityIn,
    request: Request,
    ctx: Ctx,
    caller: CurrentCaller,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """The recipient (its own nation's requests) or the coordinator re-prioritises a request."""
    data = body.model_dump(mode="json")
    return idempotency.run(
        ctx,
        caller,
        key=key,
        method="POST",
        path=request.url.path,
        body=data,
        status_code=200,
        action=lambda uow: access.set_request_priority(
            uow, caller, ctx.today(), request_id, body.priority
        ),
    )


# -- offers ------------------------------------------------------------------------------


@router.post(
    "/offers", status_code=201, response_model=OfferOut, responses=WRITE_ERRORS, tags=["offers"]
)
def create_offer(
    body: OfferIn, request: Request, ctx: Ctx, caller: CurrentCaller, key: IdempotencyKey = None
) -> JSONResponse:
    """Register an offer (donor: for its own nation; coordinator: for anyone)."""
    data = body.model_dump(mode="json", exclude_none=True)
    return idempotency.run(
        ctx,
        caller,
        key=key,
        method="POST",
        path=request.url.path,
        body=data,
        status_code=201,
        action=lambda uow: access.create_offer(uow, caller, ctx.today(), data),
    )


@router.get("/offers", response_model=PageOut[OfferOut], responses=READ_ERRORS, tags=["offers"])
async def list_offers(
    ctx: Ctx,
    caller: CurrentCaller,
    versions: DataVersions,
    page: Page,
    donor: CodeQ = None,
    family: FamilyQ = None,
    channel: Annotated[ChannelName | None, Query()] = None,
    status: StatusQ = None,
    q: SearchQ = None,
    sort: OfferSortQ = None,
) -> Response:
    """Offers released to the caller; filter by donor, family, channel, status, search
    with ``q``, order by ``sort`` (id by default)."""
    day = ctx.today()
    key = view_key(
        "offers",
        caller,
        day,
        donor,
        family,
        channel,
        status,
        q,
        sort,
        page.limit,
        page.offset,
    )

    return await record_page(
        ctx,
        key,
        versions,
        lambda at: access.offer_records(
            ctx.read_uow(),
            caller,
            day,
            donor=donor.upper() if donor else None,
            family=family,
            channel=channel,
            status=_status(status),
            q=q,
            sort=sort,
            limit=page.limit,
            offset=page.offset,
            memberships=caller_memberships(ctx, caller, at),
        ),
        access.with_committed_held,
        _page_weight,
        lambda records, changes: page_unchanged(
            "offers", records, changes,
            filters={"donor": donor, "family": family, "channel": channel, "status": status},
            q=q, sort=sort,
        ),
        sums_sorted=sums_sorted(sort),
    )


@router.get("/offers/totals", response_model=list[TotalOut], responses=READ_ERRORS, tags=["offers"])
async def offer_totals(
    ctx: Ctx,
    caller: CurrentCaller,
    versions: DataVersions,
    by: Annotated[Literal["family", "donor", "channel", "status"], Query()] = "family",
) -> Response:
    """Offered and committed quantities per group, over the offers released to the caller."""
    day = ctx.today()
    return await record_page(
        ctx,
        view_key("offer-groups", caller, day, by),
        versions,
        lambda at: access.offer_groups(
            ctx.read_uow(), caller, day, by, memberships=caller_memberships(ctx, caller, at)
        ),
        access.totals_held,
        _groups_weight,
        groups_unchanged,
    )


@router.get("/offers/{offer_id}", response_model=OfferOut, responses=READ_ERRORS, tags=["offers"])
def get_offer(offer_id: str, ctx: Ctx, caller: CurrentCaller) -> dict[str, object]:
    return access.get_offer(ctx.read_uow(), caller, ctx.today(), offer_id)


# -- pledges and allocations -------------------------------------------------------------


@router.post(
    "/pledges",
    status_code=201,
    response_model=AllocationOut,
    responses=WRITE_ERRORS,
    tags=["allocations"],
)
async def create_pledge(
    body: PledgeIn,
    request: Request,
    ctx: Ctx,
    caller: CurrentCaller,
    versions: DataVersions,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Pledge part of an offer against a request. Never over-commits either, under any load.

    Pledges without an ``Idempotency-Key`` that arrive together are made in one
    transaction (group commit), each checked and answered as if made alone."""
    memberships = await acaller_memberships(ctx, caller, versions)
    if key is None:
        order = access.pledge_order(
            caller,
            ctx.today(),
            offer_id=body.offer,
            request_id=body.request,
            quantity=body.quantity,
            memberships=memberships,
        )
        return JSONResponse(await ctx.writes.submit(order), status_code=201)
    data = body.model_dump(mode="json")
    return await run_in_threadpool(
        idempotency.run,
        ctx,
        caller,
        key=key,
        method="POST",
        path=request.url.path,
        body=data,
        status_code=201,
        action=lambda uow: access.pledge(
            uow,
            caller,
            ctx.today(),
            offer_id=body.offer,
            request_id=body.request,
            quantity=body.quantity,
            memberships=memberships,
        ),
    )


@router.get(
    "/allocations",
    response_model=PageOut[AllocationOut],
    responses=READ_ERRORS,
    tags=["allocations"],
)
async def list_allocations(
    ctx: Ctx,
    caller: CurrentCaller,
    page: Page,
    offer: IdQ = None,
    request: IdQ = None,
    status: Annotated[AllocationStatusName | None, Query()] = None,
    q: SearchQ = None,
    sort: AllocationSortQ = None,
) -> Response:
    """Allocations (pledges) the caller sees: its own and those whose offer is released
    to it; search with ``q``, order by ``sort`` (id by default)."""
    day = ctx.today()
    return await afresh_json(
        ctx.cache,
        view_key("allocations", caller, day, offer, request, status, q, sort, page.limit,
                 page.offset),
        lambda: access.list_allocations(
            ctx.read_uow(),
            caller,
            day,
            offer=offer,
            request=request,
            status=status,
            q=q,
            sort=sort,
            limit=page.limit,
            offset=page.offset,
        ),
    )


@router.get(
    "/allocations/{allocation_id}",
    response_model=AllocationOut,
    responses=READ_ERRORS,
    tags=["allocations"],
)
def get_allocation(allocation_id: str, ctx: Ctx, caller: CurrentCaller) -> dict[str, object]:
    return access.get_allocation(ctx.read_uow(), caller, ctx.today(), allocation_id)


@router.post(
    "/allocations/{allocation_id}/transitions",
    response_model=AllocationOut,
    responses=WRITE_ERRORS,
    tags=["allocations"],
)
async def advance_allocation(
    allocation_id: str,
    body: TransitionIn,
    request: Request,
    ctx: Ctx,
    caller: CurrentCaller,
    versions: DataVersions,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Move an allocation along its lifecycle (pledged, consent-pending, approved, shipped...).

    Moves without an ``Idempotency-Key`` that arrive together are made in one transaction
    with the other writes waiting (group commit), each checked and answered as if alone."""
    data = body.model_dump(mode="json")
    memberships = await acaller_memberships(ctx, caller, versions)
    if key is None:
        order = access.MoveOrder(caller, ctx.today(), allocation_id, body.to, memberships)
        return JSONResponse(await ctx.writes.submit(order))

    def action(uow: UnitOfWork) -> dict[str, Any]:
        return access.advance_allocation(
            uow, caller, ctx.today(), allocation_id, body.to, memberships=memberships
        )

    # with a key, alone in its transaction, in a worker thread: measured against the
    # event loop, one change per transaction there cost more CPU and waited longer
    return await run_in_threadpool(
        idempotency.run, ctx, caller, key=key, method="POST", path=request.url.path,
        body=data, status_code=200, action=action,
    )


@router.post(
    "/allocation-runs",
    status_code=201,
    response_model=RunOut,
    responses=WRITE_ERRORS,
    tags=["allocations"],
)
def run_allocation(
    body: RunIn, request: Request, ctx: Ctx, caller: CurrentCaller, key: IdempotencyKey = None
) -> JSONResponse:
    """Run the optimiser on stored data (coordinator); records ``proposed`` allocations."""
    data = body.model_dump(mode="json")
    return idempotency.run(
        ctx,
        caller,
        key=key,
        method="POST",
        path=request.url.path,
        body=data,
        status_code=201,
        action=lambda uow: access.run_allocation(
            uow,
            caller,
            as_of=body.as_of,
            solver=body.solver,
            options=Options(
                allow_pending_consent=body.allow_pending_consent,
                lateness_half_life_days=body.lateness_half_life_days,
            ),
        ),
    )
