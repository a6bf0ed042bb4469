"""The to-do list's own reads in SQL (see :mod:`allied.service.usecases.todo`): a section
reads the first items it shows and counts the rest in the database, where the general
list queries would read every record with its sums to keep a few.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import and_, func, select, union_all
from sqlalchemy.orm import Session

from allied.adapters.db.tables import consent_requests, indicators, offers, requests
from allied.domain.assistance import RecordStatus, Request
from allied.domain.consent import ConsentRequest


class TodoQueries:
    """:class:`~allied.service.usecases.todo.TodoReads` for the SQL unit of work (its
    ``session`` is open inside ``with uow``)."""

    session: Session

    def indicator_table(self, name: str) -> dict[int, dict[str, Decimal]]:
        """Per year, per actor: the value of indicator ``name`` (the figures alone, read
        as plain rows: the coordinator's blocked decisions evaluate each QMV proposal on
        the population table, about a thousand figures, and need no record of each)."""
        i = indicators.c
        out: dict[int, dict[str, Decimal]] = {}
        for actor, year, value in self.session.execute(
            select(i.actor, i.year, i.value).where(i.name == name)
        ):
            out.setdefault(int(year), {})[str(actor)] = value  # exact, as recorded
        return out

    def unallocated_requests(self, recipient: str, limit: int) -> tuple[list[Request], int]:
        """The recipient's open requests against which no allocation holds quantity
        (none proposed, pledged or further), the first ``limit`` by id, and how many."""
        r = requests.c
        # ``requests.held``, the read model the database keeps (migration 0017_lists), sums
        # the quantity of its allocations in a committing status (all but rejected and
        # withdrawn, each of a positive quantity): nothing held is no such allocation,
        # without probing the allocations of every open request
        # one statement: the first rows, each with the count of all (none found: none)
        stmt = (
            select(Request, func.count().over())
            .where(r.recipient == recipient, r.status == RecordStatus.OPEN.value, r.held == 0)
            .order_by(r.id)
            .limit(limit)
        )
        rows = self.session.execute(stmt).all()
        return [row[0] for row in rows], int(rows[0][1]) if rows else 0

    def consents_about_offers(
        self, offer_ids: Sequence[str]
    ) -> dict[str, list[ConsentRequest]]:
        """Per offer, the consent requests of its holder and family that may be about it:
        those naming the offer, and those about the holder's items of the family (naming
        no offer), ordered by id."""
        out: dict[str, list[ConsentRequest]] = {i: [] for i in offer_ids}
        if not offer_ids:
            return out
        c = consent_requests.c
        o = offers.c
        same = and_(c.holder == o.donor, c.family == o.family)
        ids = sorted(set(offer_ids))
        pairs = union_all(
            select(o.id.label("offer"), c.id.label("consent"))
            .select_from(offers.join(consent_requests, and_(c.offer_id == o.id, same)))
            .where(o.id.in_(ids)),
            select(o.id.label("offer"), c.id.label("consent"))
            .select_from(offers.join(consent_requests, and_(c.offer_id.is_(None), same)))
            .where(o.id.in_(ids)),
        ).subquery()
        rows = self.session.execute(
            select(pairs.c.offer, ConsentRequest)
            .select_from(pairs.join(consent_requests, c.id == pairs.c.consent))
            .order_by(pairs.c.offer, c.id)
        )
        for offer_id, consent in rows:
            out[str(offer_id)].append(consent)
        return out
