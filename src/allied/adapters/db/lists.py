"""List queries in SQL: releasability as a predicate, sort, search, page and count.

The visibility policy is the domain's (:mod:`allied.domain.visibility`): a viewer's
:class:`~allied.domain.visibility.Grant` says, as data, which stored releasability texts
release a record to it; this module only translates that into SQL over the stored text
(``owner``, ``support``, ``public``, ``public:YYYY-MM-DD``, ``org:X``, ``nations:A,B``:
canonical, as :class:`~allied.adapters.db.types.ReleasabilityText` writes it), and runs
:class:`~allied.service.listing.ListQuery` in the database.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    tuple_,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session

from allied.adapters.db.tables import (
    allocations,
    consent_requests,
    item_types,
    ledger_entries,
    nation_parts,
    offers,
    picture_parts,
    requests,
)
from allied.domain.assistance import (
    IN_FLIGHT,
    PLEDGING,
    Allocation,
    Offer,
    Request,
)
from allied.domain.consent import ConsentRequest, ConsentStatus
from allied.domain.visibility import Grant
from allied.ledger.chain import LedgerEntry, entry_from_row
from allied.service.listing import ListQuery

_PLEDGING = sorted(s.value for s in PLEDGING)

#: The aliases the statements below read the offers, requests and item types under, made
#: once: an alias builds its column collection on first use (0.7 ms of Python for the
#: offers' or the requests' columns), which an alias made per call paid on every call
#: (several times a to-do list or a list page)
_OFFERS_O = offers.alias("o")
_REQUESTS_R = requests.alias("r")
_ITEM_TYPES_IT = item_types.alias("it")


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(column: Any, q: str) -> ColumnElement[bool]:
    """``q`` anywhere in the column's text, whatever the case."""
    text = func.lower(type_coerce(column, String))
    return text.like(f"%{_like_escape(q.lower())}%", escape="\\")


def _listed(column: Any, code: str) -> ColumnElement[bool]:
    """A comma-separated list column names ``code``."""
    text = literal(",") + type_coerce(column, String) + literal(",")
    return text.like(f"%,{_like_escape(code)},%", escape="\\")


def record_visible(grant: Grant, rel_column: Any, owner_column: Any) -> ColumnElement[bool]:
    """The SQL form of :meth:`Grant.admits` over a table's releasability and owner."""
    if grant.everything:
        return true()
    if grant.nation:
        return or_(*_text_terms(grant, rel_column), owner_column == grant.nation)
    return or_(*_text_terms(grant, rel_column))


def released_by_text(grant: Grant, rel_column: Any) -> ColumnElement[bool]:
    """Whether a releasability text releases a record to the grant whoever owns it: what
    of :meth:`Grant.admits` does not look at the owner."""
    if grant.everything:
        return true()
    return or_(*_text_terms(grant, rel_column))


def _text_terms(grant: Grant, rel_column: Any) -> list[ColumnElement[bool]]:
    rel = type_coerce(rel_column, String)
    terms: list[ColumnElement[bool]] = [rel.in_(sorted(grant.forms))]
    terms.append(
        and_(rel.like("public:%"), func.substr(rel, 8) <= grant.public_on.isoformat())
    )
    if grant.nation:
        terms.append(
            and_(
                rel.like("nations:%"),
                _listed(func.substr(rel, 9), grant.nation),
            )
        )
    return terms


def offer_visible(grant: Grant, table: Any = offers) -> ColumnElement[bool]:
    return record_visible(grant, table.c.releasability, table.c.donor)


def request_visible(grant: Grant, table: Any = requests) -> ColumnElement[bool]:
    return record_visible(grant, table.c.releasability, table.c.recipient)


def allocation_visible(
    grant: Grant, offer: Any = offers, request: Any = requests
) -> ColumnElement[bool]:
    """:meth:`Viewer.sees_allocation`: the parties (recipient, donor, an origin state
    asked for consent) whatever the offer's releasability, others where the offer is
    visible."""
    if grant.everything:
        return true()
    if not grant.nation:
        return offer_visible(grant, offer)
    # cheap terms first: an OR stops at the first true one
    return or_(request.c.recipient == grant.nation, _offer_side(grant, offer))


def _offer_side(grant: Grant, offer: Any = offers) -> ColumnElement[bool]:
    """What of :func:`allocation_visible` the offer decides: the viewer is its donor, or
    sees it, or was asked as an origin state to consent to passing it on."""
    seen = offer_visible(grant, offer)
    if grant.everything or not grant.nation:
        return seen
    return or_(offer.c.donor == grant.nation, seen, _asked(grant.nation, offer))


def _asked(n: str, offer: Any = offers) -> ColumnElement[bool]:
    """Nation ``n`` was asked as an origin state to consent to passing the offer on."""
    c = consent_requests.c
    # the consent requests asked of the nation, as two sets computed once (hashed), not
    # a probe per row: those about one offer, and standing ones about a holder's family
    about_offer = select(c.offer_id).where(c.origin == n, c.offer_id.is_not(None))
    about_family = select(c.holder, c.family).where(c.origin == n, c.offer_id.is_(None))
    return and_(
        offer.c.donor != n,
        _listed(offer.c.origin, n),
        or_(
            offer.c.id.in_(about_offer),
            tuple_(offer.c.donor, offer.c.family).in_(about_family),
        ),
    )


def _allocations_seen(session: Session, grant: Grant) -> int:
    """How many allocations a viewer who does not see everything sees, from the counts
    kept per record (``allocation_count``, migration 0017_lists) instead of joining every
    allocation to its offer and request: a viewer with no requests of its own sees the
    allocations of the offers it sees (or gives, or was asked about); one with requests
    of its own sees all of theirs, and of the others' those of such offers (joined from
    the others' requests only)."""
    r, o, a = requests.c, offers.c, allocations.c
    own = _own_requests(grant)
    by_request, mine = session.execute(
        select(func.coalesce(func.sum(r.allocation_count), 0), func.count()).where(own)
    ).one()
    if not mine:
        by_offer = select(func.coalesce(func.sum(o.allocation_count), 0)).where(
            _offer_side(grant)
        )
        return int(session.scalar(by_offer) or 0)
    others = (
        select(func.count())
        .select_from(
            requests.join(allocations, a.request_id == r.id).join(offers, o.id == a.offer_id)
        )
        .where(not_(own), _offer_side(grant))
    )
    return int(by_request) + int(session.scalar(others) or 0)


# the allocations' sorts by a column of their offer or request
_JOINED_SORTS = frozenset({"donor", "recipient", "family", "item_type", "needed_by"})

# the filters on an allocation's own columns (no join needed to test them)
_OWN_FILTERS = frozenset({"offer", "request", "status", "statuses", "needs_consent"})


def _by_own_columns(stmt: Select[Any], query: ListQuery) -> Select[Any]:
    """``stmt`` over allocations filtered by ``query``'s filters of their own columns."""
    a = allocations.c
    for key, column in (("offer", a.offer_id), ("request", a.request_id),
                        ("status", a.status), ("needs_consent", a.needs_consent)):
        if key in query.filters:
            stmt = stmt.where(column == query.filters[key])
    if "statuses" in query.filters:
        stmt = stmt.where(a.status.in_(sorted(str(x) for x in query.filters["statuses"])))
    return stmt


def _counted_in_parts(grant: Grant, query: ListQuery) -> bool:
    """Whether :func:`_seen_by_offer` (for a nation with no requests of its own) and
    :func:`_count_seen_by_offer` answer: a viewer who does not see everything, filtering
    by the allocations' own columns only, with no search."""
    return not (grant.everything or query.q or not query.filters
                or not set(query.filters) <= _OWN_FILTERS)


#: the statuses ``requests.in_flight`` counts (migration 0023_request_in_flight)
_IN_FLIGHT = frozenset(s.value for s in IN_FLIGHT)


def _in_flight_before(grant: Grant, query: ListQuery) -> bool:
    """Whether the allocations ``query`` matches are counted by the requests'
    ``in_flight``: a viewer who sees everything, no search, and the filters exactly the
    statuses ``IN_FLIGHT`` (any order) and a request needed before a day."""
    return (
        grant.everything
        and not query.q
        and set(query.filters) == {"statuses", "needed_before"}
        and {str(x) for x in query.filters["statuses"]} == _IN_FLIGHT
    )


def _has_requests(session: Session, grant: Grant) -> bool:
    return bool(grant.nation) and session.scalar(
        select(requests.c.id).where(requests.c.recipient == grant.nation).limit(1)
    ) is not None


def _seen_offer(grant: Grant) -> ColumnElement[bool]:
    """The allocation's offer is on the viewer's side (:func:`_offer_side`): matched
    against the offers' ids found once (hashed), not the offer joined to each."""
    return allocations.c.offer_id.in_(select(offers.c.id).where(_offer_side(grant)))


def _seen_by_offer(grant: Grant, query: ListQuery) -> Select[Any]:
    """The ids of the allocations a viewer with no requests of its own sees under
    filters on the allocations' own columns (where :func:`_counted_in_parts`): those
    whose offer is on its side, with no request joined and no offer joined to each."""
    return _by_own_columns(select(allocations.c.id).where(_seen_offer(grant)), query)


def _count_seen_by_offer(
    session: Session, grant: Grant, query: ListQuery, has_requests: bool
) -> int:
    """How many allocations a nation sees under filters on the allocations' own columns,
    counted in parts instead of joining each allocation to its offer and its request and
    testing :func:`allocation_visible` on every one (at scale 1, the 720,000 delivered
    allocations): those whose offer is on its side (:func:`_seen_offer`); and, for a
    nation with requests of its own, every allocation of those (the requests' recipient
    and the allocations' index by status: ``ix_allocations_status_parts``, migration
    0021) plus the others' requests' allocations whose offer is on its side. Only
    where :func:`_counted_in_parts`; ``has_requests``: :func:`_has_requests`."""

    def counted(stmt: Select[Any]) -> int:
        return int(session.scalar(_by_own_columns(stmt, query)) or 0)

    a, r = allocations.c, requests.c
    if not has_requests:
        return counted(select(func.count()).select_from(allocations).where(_seen_offer(grant)))
    # a request's recipient is never NULL (tables.requests): the two parts are disjoint
    by_request = allocations.join(requests, r.id == a.request_id)
    own = counted(select(func.count()).select_from(by_request)
                  .where(r.recipient == grant.nation))
    others = counted(select(func.count()).select_from(by_request)
                     .where(r.recipient != grant.nation, _seen_offer(grant)))
    return own + others


def consent_visible(grant: Grant) -> ColumnElement[bool]:
    if grant.everything:
        return true()
    if not grant.nation:
        return false()
    c = consent_requests.c
    return or_(c.origin == grant.nation, c.holder == grant.nation, c.recipient == grant.nation)


def effective_status(day: dt.date) -> Any:
    """:meth:`ConsentRequest.effective_status` on ``day`` as a SQL expression."""
    c = consent_requests.c
    pending = ConsentStatus.PENDING.value
    status = case(
        (and_(c.decided_on.is_not(None), c.decided_on > day), literal(pending)),
        else_=type_coerce(c.status, String),
    )
    return case(
        (
            and_(status == pending, c.expires_on.is_not(None), c.expires_on < day),
            literal(ConsentStatus.EXPIRED.value),
        ),
        else_=status,
    )


def _order(stmt: Select[Any], sort_column: Any, id_column: Any, q: ListQuery) -> Select[Any]:
    """Nulls first ascending and last descending (as Python sorts them), the id after."""
    if q.column == "id":
        first = id_column.desc() if q.descending else id_column.asc()
        return stmt.order_by(first)
    first = sort_column.desc().nulls_last() if q.descending else sort_column.asc().nulls_first()
    return stmt.order_by(first, id_column.asc())


def _fenced(ids: Select[Any], sort_column: Any, query: ListQuery) -> Select[Any]:
    """The allocation ids of ``ids`` in ``query``'s order, for a page counted in the same
    pass (:meth:`ListQueries._counted_page`), the matches found before they are sorted: a
    common table expression, materialised on PostgreSQL. Without it, sorted by an indexed
    column of the allocations (``updated_at``: a donor's offers page lists its latest),
    PostgreSQL's planner costs the page as if the limit stopped the scan early, walks
    that index over every allocation and joins each to its offer (2 s at scale 1 for the
    USA's 3,285 of a million), though counting them all reads them all anyway. For a
    few thousand matches (a donor's own offers' allocations); a materialised set is read
    by one process, so a large one (an origin's 155,000 delivered) is not fenced."""
    keyed = ids if query.column == "id" else ids.add_columns(sort_column.label("sort_key"))
    matched = keyed.cte("matched").prefix_with("MATERIALIZED", dialect="postgresql")
    key = matched.c.id if query.column == "id" else matched.c.sort_key
    return _order(select(matched.c.id), key, matched.c.id, query)


def _count(session: Session, stmt: Select[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def _pledged_seen(grant: Grant) -> Any:
    """Per request: what is pledged against it (held past proposed: ``PLEDGING``),
    counting for others' requests only the allocations of offers the grant admits (see
    ``with_pledged``). A viewer's own requests count every allocation: their ``held`` less
    ``proposed`` (kept by the database, migrations 0017 and 0019) answers for them, so
    only the others' are summed here; :func:`_with_pledged` joins the two.

    As :meth:`ListQueries.pledged_seen` sums it: of the offers released to the grant by
    their releasability text, from their parts (``picture_parts``, migration
    0019_picture_parts: a few rows per request); of the viewer's own offers released to
    nobody else, from their allocations; instead of joining every allocation to its
    offer and request."""
    p = picture_parts.c
    parts: list[Any] = [
        select(p.request_id.label("key"), p.pledged.label("held"))
        .where(released_by_text(grant, p.releasability))
    ]
    if grant.nation:
        a, o = allocations.c, offers.c
        parts.append(
            select(a.request_id.label("key"), a.quantity.label("held"))
            .select_from(allocations.join(offers, o.id == a.offer_id))
            .where(a.status.in_(_PLEDGING), o.donor == grant.nation,
                   not_(released_by_text(grant, o.releasability)))
        )
    held = union_all(*parts).subquery()
    stmt = select(held.c.key, func.sum(held.c.held).label("held")).group_by(held.c.key)
    if grant.nation:
        stmt = stmt.join(requests, requests.c.id == held.c.key).where(
            requests.c.recipient != grant.nation
        )
    return stmt.subquery()


def _own_requests(grant: Grant, r: Any = requests.c) -> ColumnElement[bool]:
    """The requests whose every allocation the viewer counts: all for who sees
    everything, else the viewer's own."""
    if grant.everything:
        return true()
    if not grant.nation:
        return false()
    own: ColumnElement[bool] = r.recipient == grant.nation
    return own


def _available(o: Any = offers.c) -> Any:
    """What is left of an offer: its quantity less what its allocations hold, never
    below nothing (computed by the database and indexed, migration 0019_picture_parts)."""
    return o.available


def _with_pledged(stmt: Select[Any], grant: Grant) -> tuple[Select[Any], Any]:
    """``stmt`` over requests, joined to what the viewer counts as pledged against each
    (:meth:`ListQueries.pledged_seen`), and that quantity as a column."""
    r = requests.c
    if grant.everything:
        return stmt, r.held - r.proposed
    held = _pledged_seen(grant)
    others = func.coalesce(held.c.held, 0)
    stmt = stmt.outerjoin(held, held.c.key == r.id)
    if not grant.nation:
        return stmt, others
    return stmt, case((_own_requests(grant), r.held - r.proposed), else_=others)


class ListQueries:
    """:class:`~allied.service.listing.RecordLists` for the SQL unit of work (its
    ``session`` is open inside ``with uow``)."""

    session: Session

    def request_page(self, grant: Grant, query: ListQuery) -> tuple[list[Request], int]:
        r = requests.c
        stmt: Select[Any] = select(Request).where(request_visible(grant))
        for key in ("recipient", "family", "status", "priority"):
            if key in query.filters:
                stmt = stmt.where(r[key] == query.filters[key])
        if "ids" in query.filters:
            stmt = stmt.where(r.id.in_(sorted(query.filters["ids"])))
        if query.q:
            stmt = stmt.where(
                or_(_contains(r.id, query.q), _contains(r.item_type, query.q),
                    _contains(r.notes, query.q), _contains(r.family, query.q))
            )
        pledged: Any = None
        if query.filters.get("short") or query.column in ("pledged", "outstanding"):
            stmt, pledged = _with_pledged(stmt, grant)
        if query.filters.get("short"):
            stmt = stmt.where(r.quantity > pledged)
        total = _count(self.session, stmt)
        column: Any
        if query.column == "pledged":
            column = pledged
        elif query.column == "outstanding":
            column = case((r.quantity > pledged, r.quantity - pledged), else_=0)
        else:
            column = r[query.column]
        stmt = _order(stmt, column, r.id, query).limit(query.limit).offset(query.offset)
        return list(self.session.scalars(stmt)), total

    def offer_page(self, grant: Grant, query: ListQuery) -> tuple[list[Offer], int]:
        o = offers.c
        stmt: Select[Any] = select(Offer).where(offer_visible(grant))
        for key in ("donor", "family", "channel", "status"):
            if key in query.filters:
                stmt = stmt.where(o[key] == query.filters[key])
        if "ids" in query.filters:
            stmt = stmt.where(o.id.in_(sorted(query.filters["ids"])))
        if query.q:
            stmt = stmt.where(
                or_(_contains(o.id, query.q), _contains(o.item_type, query.q),
                    _contains(o.caveats, query.q), _contains(o.family, query.q))
            )
        total = _count(self.session, stmt)
        column: Any
        if query.column == "committed":
            column = o.held
        elif query.column == "available":
            column = _available()
        else:
            column = o[query.column]
        stmt = _order(stmt, column, o.id, query).limit(query.limit).offset(query.offset)
        return list(self.session.scalars(stmt)), total

    def allocation_page(
        self, grant: Grant, query: ListQuery
    ) -> tuple[list[tuple[Allocation, Offer, Request]], int]:
        a = allocations.c
        ot = _OFFERS_O
        rt = _REQUESTS_R
        joined = (
            not grant.everything
            or bool(query.q)
            or any(k in query.filters for k in ("family", "donor", "recipient", "needed_before"))
            or query.column in ("donor", "recipient", "family", "item_type", "needed_by")
        )
        # who sees everything, filtering and sorting by the allocation's own columns,
        # reads the allocations alone (the count of a million rows needs no join); a
        # nation listing the allocations of its own requests, or of its own offers, sees
        # every one of them (it is a party to each)
        own_offers = bool(grant.nation) and query.filters.get("donor") == grant.nation
        everyone = grant.everything or own_offers or (
            bool(grant.nation) and query.filters.get("recipient") == grant.nation
        )
        # the offers are joined only where something of theirs is asked for (the
        # coordinator's overdue deliveries filter by the request's date alone)
        with_offer = (
            not everyone
            or bool(query.q)
            or any(k in query.filters for k in ("family", "donor"))
            or query.column in ("donor", "family", "item_type")
        )
        # the requests are joined only where the visibility or something of theirs needs
        # them (a donor's own offers' allocations filter by the offer's donor alone)
        with_request = (
            not everyone
            or any(k in query.filters for k in ("recipient", "needed_before"))
            or query.column in ("recipient", "needed_by")
        )
        source: Any = allocations
        if with_request:
            source = source.join(rt, rt.c.id == a.request_id)
        if with_offer:
            source = source.join(ot, ot.c.id == a.offer_id)
        base: Select[Any] = (
            select(a.id).select_from(source).where(
                true() if everyone else allocation_visible(grant, ot, rt)
            )
            if joined
            else select(a.id)
        )
        for key, column in (("offer", a.offer_id), ("request", a.request_id),
                            ("status", a.status), ("family", ot.c.family),
                            ("donor", ot.c.donor), ("recipient", rt.c.recipient),
                            ("needs_consent", a.needs_consent)):
            if key in query.filters:
                base = base.where(column == query.filters[key])
        if "statuses" in query.filters:
            base = base.where(a.status.in_(sorted(str(x) for x in query.filters["statuses"])))
        if "needed_before" in query.filters:
            base = base.where(rt.c.needed_by < query.filters["needed_before"])
        if query.q:
            base = base.where(
                or_(_contains(a.id, query.q), _contains(a.offer_id, query.q),
                    _contains(a.request_id, query.q), _contains(ot.c.item_type, query.q),
                    _contains(ot.c.family, query.q))
            )
        sort_columns: dict[str, Any] = {
            "id": a.id, "offer": a.offer_id, "request": a.request_id, "donor": ot.c.donor,
            "recipient": rt.c.recipient, "family": ot.c.family, "item_type": ot.c.item_type,
            "quantity": a.quantity, "status": a.status, "needed_by": rt.c.needed_by,
            "updated_at": a.updated_at,
        }
        ids_stmt = _order(base, sort_columns[query.column], a.id, query)
        # a donor's own offers' allocations (its to-do list's sections, its offers page),
        # or sorted by a column of the offer or the request: the page query reads and
        # sorts every allocation that matches (no index gives that order across the join
        # to the offers), so it counts them in the same pass (a window over the rows
        # matched) instead of a second query matching them all again; a donor's own are
        # matched before they are sorted (_fenced)
        fenced = own_offers and not query.q
        if fenced:
            page = self._counted_page(_fenced(base, sort_columns[query.column], query), query)
            if page is not None:
                return page
        # (past the last row of a fenced page, none of the counted pages has a row: the
        # total is counted on its own below)
        if not fenced and query.column in _JOINED_SORTS and not (
                grant.everything and not query.filters and not query.q):
            page = self._counted_page(ids_stmt, query)
            if page is not None:
                return page
        in_parts = not (everyone or query.q) and _counted_in_parts(grant, query)
        has_requests = in_parts and _has_requests(self.session, grant)
        # a viewer with no requests of its own, filtering by the allocations' own
        # columns: the allocations of the offers on its side, counted in the same pass
        # (the count reads them all anyway), no request or offer joined to each
        if in_parts and not has_requests and query.column not in _JOINED_SORTS:
            page = self._counted_page(
                _order(_seen_by_offer(grant, query), sort_columns[query.column], a.id, query),
                query)
            if page is not None:
                return page
        if in_parts:
            total = _count_seen_by_offer(self.session, grant, query, has_requests)
        elif _in_flight_before(grant, query):
            # the overdue deliveries (the coordinator's to-do list): the allocations on
            # their way counted per request (``in_flight``, migration
            # 0023_request_in_flight), summed over the requests needed before the day,
            # instead of counting every such allocation joined to its request
            total = int(self.session.scalar(
                select(func.coalesce(func.sum(requests.c.in_flight), 0))
                .where(requests.c.needed_by < query.filters["needed_before"])) or 0)
        elif query.q or query.filters:
            total = _count(self.session, base)
        elif grant.everything:
            # every allocation: the counts kept per request (migration 0017_lists), 5,000
            # rows at scale 0.25 instead of counting 250,000
            total = int(self.session.scalar(
                select(func.coalesce(func.sum(requests.c.allocation_count), 0))) or 0)
        else:
            total = _allocations_seen(self.session, grant)
        ids = list(self.session.scalars(ids_stmt.limit(query.limit).offset(query.offset)))
        return self._allocation_rows(ids, total)

    def _counted_page(
        self, ids_stmt: Select[Any], query: ListQuery
    ) -> tuple[list[tuple[Allocation, Offer, Request]], int] | None:
        """The page of ``ids_stmt`` (allocation ids, in order) and how many it matches,
        in one query (a window over the rows matched); ``None`` past the last row, where
        no row carries the count."""
        rows = self.session.execute(
            ids_stmt.add_columns(func.count().over()).limit(query.limit).offset(query.offset)
        ).all()
        if not rows and query.offset:
            return None
        return self._allocation_rows([r[0] for r in rows], int(rows[0][1]) if rows else 0)

    def _allocation_rows(
        self, ids: list[str], total: int
    ) -> tuple[list[tuple[Allocation, Offer, Request]], int]:
        """The allocations of ``ids`` (in that order) with their offers and requests."""
        if not ids:
            return [], total
        # one statement: each allocation with its offer and its request
        found: dict[str, tuple[Allocation, Offer, Request]] = {
            a.id: (a, o, r)
            for a, o, r in self.session.execute(
                select(Allocation, Offer, Request)
                .join(offers, offers.c.id == allocations.c.offer_id)
                .join(requests, requests.c.id == allocations.c.request_id)
                .where(allocations.c.id.in_(ids))
            )
        }
        return [found[i] for i in ids if i in found], total

    def consent_page(
        self, grant: Grant, query: ListQuery, day: dt.date
    ) -> tuple[list[ConsentRequest], int]:
        c = consent_requests.c
        stmt: Select[Any] = select(ConsentRequest).where(consent_visible(grant))
        for key in ("origin", "holder", "recipient", "family"):
            if key in query.filters:
                stmt = stmt.where(c[key] == query.filters[key])
        if "status" in query.filters:
            stmt = stmt.where(effective_status(day) == str(query.filters["status"]))
        if query.filters.get("answered"):
            stmt = stmt.where(effective_status(day) != ConsentStatus.PENDING.value)
        if query.q:
            stmt = stmt.where(
                or_(_contains(c.id, query.q), _contains(c.item_type, query.q),
                    _contains(c.family, query.q), _contains(c.holder, query.q))
            )
        total = _count(self.session, stmt)
        stmt = _order(stmt, c[query.column], c.id, query).limit(query.limit).offset(query.offset)
        return list(self.session.scalars(stmt)), total

    def pledged_seen(self, grant: Grant, request_ids: Sequence[str]) -> dict[str, int]:
        if not request_ids:
            return {}
        ids = sorted(set(request_ids))
        r = requests.c
        own = self.session.execute(
            select(r.id, r.held - r.proposed).where(
                r.id.in_(ids), _own_requests(grant), r.held != r.proposed
            )
        )
        out = {str(k): int(v) for k, v in own}
        if grant.everything:
            return out
        # of the others' requests, what the allocations of the offers the viewer sees
        # hold (as :func:`_pledged_seen` sums it): of the offers released to it by their
        # releasability text from their parts (migration 0019_picture_parts), of its own
        # offers released to nobody else from their allocations (read by the requests'
        # ids, not every allocation joined to its offer)
        p, a, o = picture_parts.c, allocations.c, offers.c
        others = not_(_own_requests(grant))
        seen: dict[str, int] = defaultdict(int)
        by_text = self.session.execute(
            select(p.request_id, func.sum(p.pledged))
            .select_from(picture_parts.join(requests, requests.c.id == p.request_id))
            .where(p.request_id.in_(ids), others, released_by_text(grant, p.releasability))
            .group_by(p.request_id)
        )
        for k, v in by_text:
            seen[str(k)] += int(v)
        if grant.nation:
            by_own = self.session.execute(
                select(a.request_id, func.sum(a.quantity))
                .select_from(
                    allocations.join(offers, o.id == a.offer_id)
                    .join(requests, requests.c.id == a.request_id)
                )
                .where(a.request_id.in_(ids), others, a.status.in_(_PLEDGING),
                       o.donor == grant.nation, not_(released_by_text(grant, o.releasability)))
                .group_by(a.request_id)
            )
            for k, v in by_own:
                seen[str(k)] += int(v)
        out.update((k, v) for k, v in seen.items() if v)
        return out

    def visible_offer_ids(self, grant: Grant) -> tuple[str, ...]:
        """The ids of the offers the grant admits, in order."""
        stmt = select(offers.c.id).where(offer_visible(grant)).order_by(offers.c.id)
        return tuple(str(i) for i in self.session.scalars(stmt))

    def last_entry_of(self, kind: str) -> LedgerEntry | None:
        """The latest ledger entry of ``kind`` (the kind is indexed)."""
        row = self.session.execute(
            select(ledger_entries)
            .where(ledger_entries.c.kind == kind)
            .order_by(ledger_entries.c.seq.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        return entry_from_row(row.seq, row.at, row.user, row.nation, row.kind, row.payload,
                              row.prev_hash, row.hash)

    def offer_totals(self, grant: Grant, by: str) -> list[tuple[str, int, int, int]]:
        """Per value of ``by`` over the offers the grant admits: (key, offers, quantity
        offered, quantity committed), in order of the key."""
        key = offers.c[by]
        rows = self.session.execute(
            select(key, func.count(), func.sum(offers.c.quantity), func.sum(offers.c.held))
            .where(offer_visible(grant))
            .group_by(key)
        )
        out = [(str(getattr(k, "value", k)), int(n), int(q or 0), int(c or 0))
               for k, n, q, c in rows]
        return sorted(out)

    def family_picture(self, grant: Grant) -> list[dict[str, Any]]:
        """Per family of the open requests the grant admits: requests, quantity requested
        and its value in EUR where the request's item type has a money valuation, and of
        the allocations the viewer sees against them the quantity proposed, pledged (held
        past proposed) with its value, and delivered.

        Of the requests whose every allocation the viewer sees (all, for who sees
        everything; else its own) these are the request's own columns (``held``,
        ``proposed``, ``delivered``: kept by the database, migrations 0017_lists and
        0018_picture) instead of a sum over every allocation. Of the others' requests a
        nation sees, the allocations of the offers it sees: those released to it by
        their releasability text from ``picture_parts`` (migration 0019_picture_parts),
        its own offers released to nobody else and those it was asked about as an origin
        state from ``nation_parts`` (migration 0024_nation_parts): a few rows per request
        each, no allocation read."""
        by_request, by_text, by_nation = _picture_statements(grant)
        out: dict[str, dict[str, Any]] = {}
        for fam, n, q, eur, q_valued, prop, pled, pled_eur, deliv in self.session.execute(
            by_request
        ):
            out[str(fam)] = {"family": str(fam), "requests": int(n), "requested": int(q or 0),
                             "requested_eur": float(eur or 0), "valued": int(q_valued or 0),
                             "proposed": int(prop or 0), "pledged": int(pled or 0),
                             "pledged_eur": float(pled_eur or 0), "delivered": int(deliv or 0)}
        if by_text is None:  # who sees everything: every request's own columns
            return [out[k] for k in sorted(out)]
        rows = list(self.session.execute(by_text))
        if by_nation is not None:
            rows += self.session.execute(by_nation).all()
        for fam, prop, pled, pled_eur, deliv in rows:
            g = out[str(fam)]
            g["proposed"] += int(prop or 0)
            g["pledged"] += int(pled or 0)
            g["pledged_eur"] += float(pled_eur or 0)
            g["delivered"] += int(deliv or 0)
        return [out[k] for k in sorted(out)]


@functools.lru_cache(maxsize=256)
def _picture_statements(
    grant: Grant,
) -> tuple[Select[Any], Select[Any] | None, Select[Any] | None]:
    """:meth:`ListQueries.family_picture`'s statements for ``grant``: its requests' own
    columns per family; for a viewer who does not see everything, the parts of the
    others' requests released to it by text and (a nation) those it sees otherwise.
    Built once per grant (a grant is a value; building the visibility tests is most of
    the picture's Python) and reused, as a statement is, by every session."""
    valued = _money_value()
    r = _REQUESTS_R
    it = _ITEM_TYPES_IT
    own = _own_requests(grant, r.c)
    if grant.nation:  # a request of no recipient is nobody's own
        own = and_(r.c.recipient.is_not(None), own)
    pledged = r.c.held - r.c.proposed
    by_request = (
        select(r.c.family, func.count(), func.sum(r.c.quantity),
               func.sum(r.c.quantity * valued(it)),
               func.sum(case((valued(it).is_not(None), r.c.quantity), else_=0)),
               func.sum(case((own, r.c.proposed), else_=0)),
               func.sum(case((own, pledged), else_=0)),
               func.sum(case((own, pledged * valued(it)), else_=None)),
               func.sum(case((own, r.c.delivered), else_=0)))
        .select_from(r.outerjoin(it, it.c.code == r.c.item_type))
        .where(request_visible(grant, r), r.c.status == "open")
        .group_by(r.c.family)
    )
    if grant.everything:
        return by_request, None, None
    others = and_(not_(own), request_visible(grant, r), r.c.status == "open")

    def summed(parts: Any, *where: ColumnElement[bool]) -> Select[Any]:
        """Per family of the requests joined: the parts' quantities, the pledged valued."""
        t = parts.c
        return (
            select(r.c.family, func.sum(t.proposed), func.sum(t.pledged),
                   func.sum(t.pledged * valued(it)), func.sum(t.delivered))
            .select_from(parts.join(r, r.c.id == t.request_id)
                         .outerjoin(it, it.c.code == r.c.item_type))
            .where(*where)
            .group_by(r.c.family)
        )

    # the offers whose releasability text releases them to the viewer: their parts
    # (migration 0019_picture_parts), a few rows per request
    by_text = summed(picture_parts, others,
                     released_by_text(grant, picture_parts.c.releasability))
    if not grant.nation:
        return by_request, by_text, None
    # the offers the viewer sees otherwise (its own, those it was asked about as an
    # origin state) whose text does not release them to it: their parts (migration
    # 0024_nation_parts), a few rows per request
    n = nation_parts.c
    by_nation = summed(nation_parts, n.nation == grant.nation, others,
                       not_(released_by_text(grant, n.releasability)))
    return by_request, by_text, by_nation


def _money_value() -> Any:
    """An item type's unit value in EUR as a number, or NULL where it has none or its
    basis is not money (SIPRI's trend-indicator values)."""
    from sqlalchemy import Float, cast

    def value(it: Any) -> Any:
        return case(
            (
                and_(it.c.unit_value.is_not(None), it.c.valuation_basis != "sipri-tiv"),
                cast(type_coerce(it.c.unit_value, String), Float),
            ),
            else_=None,
        )

    return value


def _consent_offers(ids: Sequence[str]) -> Any:
    """(consent id, offer id, item type) of the offers each consent request is about: its
    one offer, or the holder's offers of the family made in the origin state.

    Two selects joined by ``UNION ALL`` (a consent request names an offer or does not, so
    no row is in both): each finds its offers by an index (the offer's key; the holder's
    and family's), where one join on ``a OR b`` probes the holder's offers of the family
    for every consent request."""
    c = consent_requests.c
    o = offers.c
    about_offer = (
        select(c.id.label("consent"), o.id.label("offer"), o.item_type)
        .select_from(consent_requests.join(offers, o.id == c.offer_id))
        .where(c.id.in_(list(ids)))
    )
    about_family = (
        select(c.id.label("consent"), o.id.label("offer"), o.item_type)
        .select_from(
            consent_requests.join(
                offers,
                and_(
                    o.donor == c.holder,
                    o.family == c.family,
                    (literal(",") + type_coerce(o.origin, String) + literal(",")).like(
                        literal("%,") + type_coerce(c.origin, String) + literal(",%")
                    ),
                ),
            )
        )
        .where(c.id.in_(list(ids)), c.offer_id.is_(None))
    )
    return union_all(about_offer, about_family)


class ConsentFacts:
    """What each consent request unlocks, for a page of them in two queries."""

    session: Session

    def consent_unlocks(
        self, ids: Sequence[str], statuses: Sequence[str]
    ) -> dict[str, tuple[list[str], list[tuple[str, int]]]]:
        """Per consent request: the item types of its offers, and its offers' allocations
        in ``statuses`` as (id, quantity), by id."""
        out: dict[str, tuple[list[str], list[tuple[str, int]]]] = {i: ([], []) for i in ids}
        if not ids:
            return out
        about = _consent_offers(ids).subquery()
        for consent, _offer, item_type in self.session.execute(select(about)):
            if item_type:
                out[str(consent)][0].append(str(item_type))
        a = allocations.c
        rows = self.session.execute(
            select(about.c.consent, a.id, a.quantity)
            .select_from(about.join(allocations, a.offer_id == about.c.offer))
            .where(a.status.in_(list(statuses)))
            .order_by(a.id)
        )
        for consent, alloc, quantity in rows:
            out[str(consent)][1].append((str(alloc), int(quantity)))
        return out
