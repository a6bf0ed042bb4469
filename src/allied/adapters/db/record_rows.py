"""Requests and offers read as plain rows (``allied.service.rows``): the columns the
optimiser and the reports use, one query per table, no domain object built."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from allied.adapters.db.tables import consent_requests, offers, requests
from allied.domain.assistance import RecordStatus
from allied.domain.consent import ConsentRequest
from allied.service.rows import OfferRow, RequestRow


def request_rows(
    session: Session, status: RecordStatus | None = None, *, lock: bool = False
) -> list[RequestRow]:
    t = requests.c
    stmt = select(t.id, t.recipient, t.family, t.accepts, t.quantity, t.priority, t.needed_by,
                  t.status)
    if status is not None:
        stmt = stmt.where(t.status == status)
    stmt = stmt.order_by(t.id)
    if lock:  # row locks taken in id order, as every writer takes them
        stmt = stmt.with_for_update()
    return [RequestRow._make(row) for row in session.execute(stmt)]


def offer_rows(
    session: Session, status: RecordStatus | None = None, *, lock: bool = False
) -> list[OfferRow]:
    t = offers.c
    stmt = select(t.id, t.donor, t.family, t.quantity, t.available_from, t.channel, t.lethal,
                  t.origin, t.recipient, t.status)
    if status is not None:
        stmt = stmt.where(t.status == status)
    stmt = stmt.order_by(t.id)
    if lock:  # row locks taken in id order, as every writer takes them
        stmt = stmt.with_for_update()
    return [OfferRow._make(row) for row in session.execute(stmt)]


def consent_requests_until(session: Session, day: dt.date) -> list[ConsentRequest]:
    """The consent requests made on or before ``day``, built from their columns in one
    query, outside the session (no identity map, no change tracking: for reading)."""
    t = consent_requests.c
    stmt = select(t.id, t.origin, t.holder, t.family, t.recipient, t.requested_on, t.status,
                  t.item_type, t.offer_id, t.decided_on, t.expires_on, t.reason
                  ).where(t.requested_on <= day)
    return [ConsentRequest(*row) for row in session.execute(stmt)]
