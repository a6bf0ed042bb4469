"""Reference data: actors, dated memberships, item types (visible to every user); reports."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from allied.entrypoints.api.deps import Ctx, CurrentCaller, DataVersions, Page
from allied.entrypoints.api.fast import acached_json, role_key
from allied.entrypoints.api.routes.common import READ_ERRORS
from allied.entrypoints.api.schemas import ActorOut, IsoDate, ItemTypeOut, MembershipOut, PageOut
from allied.service import access

router = APIRouter(prefix="/api/v1", tags=["reference"])


@router.get("/actors", response_model=PageOut[ActorOut], responses=READ_ERRORS)
async def list_actors(
    ctx: Ctx,
    caller: CurrentCaller,
    versions: DataVersions,
    page: Page,
    kind: Annotated[Literal["state", "organisation"] | None, Query()] = None,
) -> Response:
    return await acached_json(
        ctx.cache,
        role_key("actors", caller, kind, page.limit, page.offset),
        lambda: access.list_actors(
            ctx.read_uow(), caller, kind=kind, limit=page.limit, offset=page.offset
        ),
        versions.records,
    )


@router.get("/memberships", response_model=PageOut[MembershipOut], responses=READ_ERRORS)
def list_memberships(
    ctx: Ctx,
    caller: CurrentCaller,
    page: Page,
    org: Annotated[str | None, Query(max_length=16)] = None,
    actor: Annotated[str | None, Query(max_length=16)] = None,
    on: Annotated[IsoDate | None, Query(description="only memberships active on this day")] = None,
) -> access.Page:
    """Memberships (both ends inclusive), optionally those active on a day."""
    return access.list_memberships(
        ctx.read_uow(),
        caller,
        org=org.upper() if org else None,
        actor=actor.upper() if actor else None,
        on=on,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/item-types", response_model=PageOut[ItemTypeOut], responses=READ_ERRORS)
def list_item_types(
    ctx: Ctx,
    caller: CurrentCaller,
    page: Page,
    family: Annotated[str | None, Query(max_length=40)] = None,
) -> access.Page:
    return access.list_item_types(
        ctx.read_uow(), caller, family=family, limit=page.limit, offset=page.offset
    )


REPORT_ERRORS: dict[int | str, dict[str, Any]] = {
    **READ_ERRORS,
    409: {
        "model": READ_ERRORS[404]["model"],
        "description": "the report's public data has not been imported yet (`missing-data`; "
        "the message names the data set and the command that imports it, e.g. "
        "`allied import kiel`)",
    },
}


@router.get("/reports/{name}", response_model=dict[str, Any], responses=REPORT_ERRORS)
def get_report(
    name: Annotated[str, Path(max_length=40)],
    ctx: Ctx,
    caller: CurrentCaller,
    start: Annotated[IsoDate | None, Query()] = None,
    end: Annotated[IsoDate | None, Query()] = None,
    gdp_year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    attribute_eu: bool = False,
    recipient: Annotated[str | None, Query(max_length=16)] = None,
) -> dict[str, Any]:
    """A report as JSON: burden, deliveries (public data: anyone); gaps, predictability
    (from every nation's records: coordinator and auditor). A report whose public data
    (Kiel tracker: burden, predictability; SIPRI register: deliveries) has not been
    imported answers 409 ``missing-data``, naming the data and the import command."""
    from allied.service.reports import ReportOptions

    options = ReportOptions(
        start=start,
        end=end,
        gdp_year=gdp_year,
        attribute_eu=attribute_eu,
        recipient=recipient.upper() if recipient else None,
    )
    return access.report(ctx.report_uow(), caller, name, options)
