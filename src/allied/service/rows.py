"""Requests and offers as plain rows, for reads that use a few fields of every record.

The optimiser's problem (every open request and offer) and the reports (every request
and offer of the period) read a handful of columns of tens of thousands of records. A
store that can (:class:`RecordRows`) reads those columns into tuples in one query each,
instead of building a full domain object per record (its releasability parsed, its
relationships loaded): at the decade's volume that is most of the time such a read
takes. The test fakes have no such capability: the rows then come from the
repositories' objects, with the same values.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple, Protocol, runtime_checkable

from allied.domain.assistance import Channel, Offer, RecordStatus, Request
from allied.service.ports import UnitOfWork


class RequestRow(NamedTuple):
    id: str
    recipient: str
    family: str
    accepts: tuple[str, ...]
    quantity: int
    priority: int
    needed_by: dt.date
    status: RecordStatus


class OfferRow(NamedTuple):
    id: str
    donor: str
    family: str
    quantity: int
    available_from: dt.date
    channel: Channel
    lethal: bool
    origin: str | None
    recipient: str | None
    status: RecordStatus

    @property
    def consent_from(self) -> tuple[str, ...]:
        """As ``Offer.consent_from``: the origin states other than the donor."""
        if not self.origin:
            return ()
        return tuple(o for o in self.origin.split(",") if o and o != self.donor)


@runtime_checkable
class RecordRows(Protocol):
    def request_rows(
        self, status: RecordStatus | None = None, *, lock: bool = False
    ) -> list[RequestRow]:
        """Every request (in ``status``, when given) as a row, ordered by id; with
        ``lock``, each row locked for the transaction, in that order."""
        ...

    def offer_rows(
        self, status: RecordStatus | None = None, *, lock: bool = False
    ) -> list[OfferRow]:
        """Every offer (in ``status``, when given) as a row, ordered by id; with
        ``lock``, each row locked for the transaction, in that order."""
        ...


def _request_row(r: Request) -> RequestRow:
    return RequestRow(r.id, r.recipient, r.family, tuple(r.accepts), r.quantity, r.priority,
                      r.needed_by, r.status)


def _offer_row(o: Offer) -> OfferRow:
    return OfferRow(o.id, o.donor, o.family, o.quantity, o.available_from, o.channel, o.lethal,
                    o.origin, o.recipient, o.status)


def request_rows(
    uow: UnitOfWork, status: RecordStatus | None = None, *, lock: bool = False
) -> list[RequestRow]:
    """Requests as rows ordered by id; with ``lock``, each locked for the transaction
    in that order (the order every writer takes them in). Call inside the unit of work."""
    if isinstance(uow, RecordRows):
        return uow.request_rows(status, lock=lock)
    found = uow.requests.list() if status is None else uow.requests.list(status=status)
    rows = sorted((_request_row(r) for r in found), key=lambda r: r.id)
    if lock:
        for row in rows:
            uow.requests.lock(row.id)
    return rows


def offer_rows(
    uow: UnitOfWork, status: RecordStatus | None = None, *, lock: bool = False
) -> list[OfferRow]:
    """Offers as rows ordered by id; with ``lock``, each locked for the transaction in
    that order (the order every writer takes them in). Call inside the unit of work."""
    if isinstance(uow, RecordRows):
        return uow.offer_rows(status, lock=lock)
    found = uow.offers.list() if status is None else uow.offers.list(status=status)
    rows = sorted((_offer_row(o) for o in found), key=lambda o: o.id)
    if lock:
        for row in rows:
            uow.offers.lock(row.id)
    return rows
