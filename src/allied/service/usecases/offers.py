"""Offers: pages and totals of those released to the caller, one offer, a new offer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from allied.domain.actors import Membership
from allied.domain.assistance import Offer, RecordStatus
from allied.domain.errors import InvalidInput, NotFound
from allied.domain.users import (
    Action,
    require,
    require_own_nation,
)
from allied.domain.visibility import Grant, Viewer, grant_of
from allied.service import allocations as allocation_service
from allied.service import listing
from allied.service.assistance import RawRow, add_offers, record_payload
from allied.service.caller import Caller
from allied.service.holdings import Holdings
from allied.service.ports import UnitOfWork
from allied.service.usecases.common import (
    Page,
    RecordPage,
    filters_given,
    national_id,
    national_ids,
    own_record,
    viewer,
)


def _offer_row(payload: Mapping[str, Any], committed: int) -> dict[str, Any]:
    """An offer's record payload with what is committed and what is still available."""
    return {**payload, "committed": committed, "available": max(payload["quantity"] - committed, 0)}


def offer_view(offer: Offer, committed: int) -> dict[str, Any]:
    """An offer as :func:`get_offer` answers it, with ``committed`` held of it."""
    return _offer_row(record_payload(offer), committed)


def _visible_offers(uow: UnitOfWork, v: Viewer, **where: Any) -> list[Offer]:
    return [o for o in uow.offers.list(**filters_given(where)) if v.sees_record(o)]


def offer_records(
    uow: UnitOfWork,
    caller: Caller,
    day: dt.date,
    *,
    donor: str | None = None,
    family: str | None = None,
    channel: str | None = None,
    status: RecordStatus | None = None,
    q: str | None = None,
    sort: str | None = None,
    limit: int = 50,
    offset: int = 0,
    memberships: Sequence[Membership] | None = None,
    ids: Sequence[str] | None = None,
) -> RecordPage:
    """A page of the offers released to the caller, without committed quantities:
    filtered, searched (``q``: id, item type, caveats, family), sorted (``sort``: a
    column of :data:`~allied.service.listing.SORTS`, ``-`` for descending; id by
    default)."""
    query = listing.list_query(
        "offers",
        filters={"donor": donor, "family": family, "channel": channel, "status": status,
                 "ids": frozenset(ids) if ids is not None else None},
        q=q, sort=sort, limit=limit, offset=offset,
    )
    with uow:
        v = viewer(uow, caller, day, memberships)
        if isinstance(uow, listing.RecordLists):
            found, total = uow.offer_page(grant_of(v), query)
        else:
            found, total = _offer_page_slow(uow, v, query)
        rows = [record_payload(o) for o in found]
    return RecordPage(rows, total, limit, offset)


def _offer_page_slow(
    uow: UnitOfWork, v: Viewer, query: listing.ListQuery
) -> tuple[list[Offer], int]:
    """:meth:`RecordLists.offer_page` from the repositories (stores without it)."""
    where = {k: val for k, val in query.filters.items() if k != "ids"}
    offers = _visible_offers(uow, v, **where)
    if "ids" in query.filters:
        offers = [o for o in offers if o.id in query.filters["ids"]]
    if query.q:
        offers = [o for o in offers if listing._matches(
            query.q, (o.id, o.item_type, o.caveats, o.family))]
    committed: dict[str, int] = {}
    if query.column in ("committed", "available"):
        committed = listing.committed_all(uow, "offer")

    def key(o: Offer) -> Any:
        if query.column == "committed":
            return committed.get(o.id, 0)
        if query.column == "available":
            return max(o.quantity - committed.get(o.id, 0), 0)
        return getattr(o, query.column)

    return listing.window(offers, query, key, lambda o: o.id)


def with_committed(uow: UnitOfWork, page: RecordPage) -> Page:
    """The offers of ``page`` with their committed and available quantities now."""
    with uow:
        committed = allocation_service.sum_committed(uow, "offer", [r["id"] for r in page.items])
    return _offers_page(page, committed)


def with_committed_held(page: RecordPage, holdings: Holdings) -> Page:
    """:func:`with_committed` from holdings kept along the ledger (no store read)."""
    return _offers_page(page, holdings.by_offer(r["id"] for r in page.items))


def _offers_page(page: RecordPage, committed: Mapping[str, int]) -> Page:
    rows = [_offer_row(row, committed.get(row["id"], 0)) for row in page.items]
    return Page(rows, page.total, page.limit, page.offset)


def list_offers(
    uow: UnitOfWork,
    caller: Caller,
    day: dt.date,
    *,
    donor: str | None = None,
    family: str | None = None,
    channel: str | None = None,
    status: RecordStatus | None = None,
    q: str | None = None,
    sort: str | None = None,
    limit: int = 50,
    offset: int = 0,
    ids: Sequence[str] | None = None,
) -> Page:
    """A page of the offers released to the caller (see :func:`offer_records`), with
    committed quantities."""
    records = offer_records(
        uow, caller, day, donor=donor, family=family, channel=channel, status=status,
        q=q, sort=sort, limit=limit, offset=offset, ids=ids,
    )
    return with_committed(uow, records)


def get_offer(uow: UnitOfWork, caller: Caller, day: dt.date, offer_id: str) -> dict[str, Any]:
    with uow:
        v = viewer(uow, caller, day)
        offer = uow.offers.get(offer_id)
        if offer is None or not v.sees_record(offer):
            raise NotFound(f"no offer {offer_id!r}")
        committed = allocation_service.sum_committed(uow, "offer", [offer.id])
        return offer_view(offer, committed.get(offer.id, 0))


OFFER_GROUPS = ("family", "donor", "channel", "status")


@runtime_checkable
class OfferTotals(Protocol):
    """A store that sums the offers a grant admits per group itself (the SQL one)."""

    def offer_totals(self, grant: Grant, by: str) -> list[tuple[str, int, int, int]]: ...


def _check_group(by: str) -> None:
    if by not in OFFER_GROUPS:
        raise InvalidInput(f"expected one of {', '.join(OFFER_GROUPS)}; got {by!r}", field="by")


@dataclass(frozen=True)
class OfferGroups:
    """The offers released to a viewer grouped by one field, without what pledges change
    (the committed sums): right while the records are, so a cache may keep it across
    pledges; :func:`totals_with` completes it."""

    #: per group, in order of its key: (key, quantity offered, the offers' ids)
    groups: list[tuple[str, int, tuple[str, ...]]]


def offer_groups(
    uow: UnitOfWork,
    caller: Caller,
    day: dt.date,
    by: str,
    memberships: Sequence[Membership] | None = None,
) -> OfferGroups:
    """The offers visible to the caller grouped by ``by``, without committed quantities."""
    _check_group(by)
    with uow:
        return _groups(_visible_offers(uow, viewer(uow, caller, day, memberships)), by)


def _groups(offers: Sequence[Offer], by: str) -> OfferGroups:
    quantity: dict[str, int] = {}
    ids: dict[str, list[str]] = {}
    for o in offers:
        raw = getattr(o, by)
        key = str(raw.value if hasattr(raw, "value") else raw)
        quantity[key] = quantity.get(key, 0) + o.quantity
        ids.setdefault(key, []).append(o.id)
    return OfferGroups([(k, quantity[k], tuple(ids[k])) for k in sorted(quantity)])


def totals_with(groups: OfferGroups, committed: Mapping[str, int]) -> list[dict[str, Any]]:
    """Offered and committed quantity per group, from the committed quantity per offer."""
    return [
        {
            "key": key,
            "offers": len(ids),
            "quantity": quantity,
            "committed": sum(committed.get(i, 0) for i in ids),
        }
        for key, quantity, ids in groups.groups
    ]


def totals_held(groups: OfferGroups, holdings: Holdings) -> list[dict[str, Any]]:
    """:func:`totals_with` from holdings kept along the ledger (no store read)."""
    return totals_with(groups, holdings.by_offer(i for _, _, ids in groups.groups for i in ids))


def offer_totals(uow: UnitOfWork, caller: Caller, day: dt.date, by: str) -> list[dict[str, Any]]:
    """Offered and committed quantity per ``by`` over the offers visible to the caller
    (read in one transaction)."""
    _check_group(by)
    with uow:
        v = viewer(uow, caller, day)
        if isinstance(uow, OfferTotals):
            return [
                {"key": key, "offers": n, "quantity": quantity, "committed": committed}
                for key, n, quantity, committed in uow.offer_totals(grant_of(v), by)
            ]
        offers = _visible_offers(uow, v)
        committed = allocation_service.sum_committed(uow, "offer", [o.id for o in offers])
        return totals_with(_groups(offers, by), committed)


def create_offer(
    uow: UnitOfWork, caller: Caller, day: dt.date, data: Mapping[str, Any]
) -> dict[str, Any]:
    """A new offer filed on ``day`` (its dates checked against it:
    :mod:`allied.domain.dates`)."""
    require(caller.role, Action.CREATE_OFFER)
    donor = str(data.get("donor") or "").strip().upper()
    require_own_nation(caller.role, caller.nation, donor, "offer")
    body = national_id(uow, caller, data, "OFF", donor)
    made = add_offers(uow, caller, [(None, "body", body)], source="request body",
                    today=day)
    return offer_view(made[0], 0)


def import_offers(
    uow: UnitOfWork, caller: Caller, day: dt.date, rows: Sequence[RawRow], *, source: str
) -> list[Offer]:
    """Offers from a file or options: every row checked first, all or nothing, filed on
    ``day`` (their dates checked against it: :mod:`allied.domain.dates`). A donor
    registers offers of its own nation only."""
    require(caller.role, Action.CREATE_OFFER)
    for line, _, data in rows:
        own_record(caller, data, "donor", line)
    # a nation's ids never reveal another's records (see national_id)
    named = national_ids(uow, caller, rows, "OFF", source, "donor")
    return add_offers(uow, caller, named, source=source, today=day)
