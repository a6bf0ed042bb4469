"""Quantities held by allocations, per offer and per request, for the SQL unit of work.

What a pledge checks capacity against and what the list pages show as pledged: read from
the ``held`` columns the database keeps beside each offer and request (migration 0017),
or summed from the allocations of given offers. Mixed into every SQL unit of work (the
API's, the dashboard's and the command line's), so none of them falls back to a query per
record (``service.allocations.sum_committed``)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import bindparam, func, literal, select, union_all
from sqlalchemy.orm import Session

from allied.adapters.db.tables import allocations, offers, requests
from allied.domain.assistance import COMMITTING, PLEDGING, RecordStatus

#: What pledges check capacity against: the quantity held by the allocations of each
#: offer and each request, kept beside the record by the database (migration 0017).
_HELD_BOTH = union_all(
    select(literal("offer").label("kind"), offers.c.id, offers.c.held).where(
        offers.c.id.in_(bindparam("offers", expanding=True))
    ),
    select(literal("request").label("kind"), requests.c.id, requests.c.held).where(
        requests.c.id.in_(bindparam("requests", expanding=True))
    ),
)


class HeldQueries:
    """``committed`` / ``committed_both`` (:class:`~allied.service.allocations`'s fast
    path) for the SQL unit of work (its ``session`` is open inside ``with uow``)."""

    session: Session

    def committed(
        self,
        by: str,
        ids: Collection[str],
        *,
        offer_ids: Collection[str] | None = None,
    ) -> dict[str, int]:
        """Quantity held by allocations per offer (``by="offer"``) or per request, summed
        in SQL; ``offer_ids`` restricts the allocations counted to those offers."""
        if not ids:
            return {}
        if offer_ids is None:
            table = offers if by == "offer" else requests
            rows = self.session.execute(
                select(table.c.id, table.c.held).where(
                    table.c.id.in_(sorted(set(ids))), table.c.held != 0
                )
            )
            return {str(k): int(v) for k, v in rows}
        column = allocations.c.offer_id if by == "offer" else allocations.c.request_id
        stmt = (
            select(column, func.sum(allocations.c.quantity))
            .where(column.in_(list(ids)))
            .where(allocations.c.status.in_([s.value for s in COMMITTING]))
            .where(allocations.c.offer_id.in_(list(offer_ids)))
            .group_by(column)
        )
        return {str(k): int(v) for k, v in self.session.execute(stmt)}

    def held_in_status(self, by: str, status: RecordStatus) -> dict[str, int]:
        """Quantity held by allocations per offer (``by="offer"``) or request in
        ``status``, those holding none left out: the ``held`` column, read with the
        records' own rows (no sum over the allocations of every other record)."""
        table = offers if by == "offer" else requests
        rows = self.session.execute(
            select(table.c.id, table.c.held).where(
                table.c.status == status.value, table.c.held != 0
            )
        )
        return {str(k): int(v) for k, v in rows}

    def pledged(
        self, ids: Collection[str], *, offer_ids: Collection[str] | None = None
    ) -> dict[str, int]:
        """Quantity pledged per request of ``ids`` (held past proposed:
        :data:`~allied.domain.assistance.PLEDGING`): the request's ``held`` less its
        ``proposed`` (kept by the database), or summed from the allocations of
        ``offer_ids`` when given."""
        if not ids:
            return {}
        r = requests.c
        if offer_ids is None:
            rows = self.session.execute(
                select(r.id, r.held - r.proposed).where(
                    r.id.in_(sorted(set(ids))), r.held != r.proposed
                )
            )
            return {str(k): int(v) for k, v in rows}
        a = allocations.c
        stmt = (
            select(a.request_id, func.sum(a.quantity))
            .where(a.request_id.in_(list(ids)))
            .where(a.status.in_(sorted(s.value for s in PLEDGING)))
            .where(a.offer_id.in_(list(offer_ids)))
            .group_by(a.request_id)
        )
        return {str(k): int(v) for k, v in self.session.execute(stmt)}

    def committed_both(
        self, offer_ids: Collection[str], request_ids: Collection[str]
    ) -> tuple[dict[str, int], dict[str, int]]:
        """Quantity held by allocations per offer of ``offer_ids`` and per request of
        ``request_ids``, in one query."""
        by_offer: dict[str, int] = {}
        by_request: dict[str, int] = {}
        if not offer_ids and not request_ids:
            return by_offer, by_request
        rows = self.session.execute(
            _HELD_BOTH, {"offers": sorted(set(offer_ids)), "requests": sorted(set(request_ids))}
        )
        for kind, key, held in rows:
            if held:
                (by_offer if kind == "offer" else by_request)[str(key)] = int(held)
        return by_offer, by_request
