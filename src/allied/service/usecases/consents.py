"""Re-export consent requests: those naming the caller's nation, and the origin's answer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from allied.domain.actors import Membership
from allied.domain.assistance import AllocationStatus
from allied.domain.consent import ConsentRequest, ConsentStatus, OriginPolicy, queue_filter
from allied.domain.errors import InvalidInput, NotFound, PermissionDenied
from allied.domain.users import (
    Action,
    require,
    require_own_nation,
)
from allied.domain.visibility import Viewer, grant_of
from allied.service import governance, listing
from allied.service.caller import Caller
from allied.service.ports import UnitOfWork
from allied.service.usecases.common import (
    Page,
    viewer,
)

#: Allocations a consent request unlocks: those waiting on it (or pledged, about to ask).
UNLOCKS = frozenset({AllocationStatus.PLEDGED, AllocationStatus.CONSENT_PENDING})


def consent_facts(uow: UnitOfWork, c: ConsentRequest, day: dt.date) -> dict[str, Any]:
    """A consent request with the facts its origin answers on: the item (family and item
    type), the quantity and the allocations it unlocks, the holder and the recipient, and
    how long it has waited."""
    if c.offer_id is not None:
        offer = uow.offers.get(c.offer_id)
        offers = [offer] if offer is not None else []
    else:  # a request about the holder's items of a family
        offers = [
            o for o in uow.offers.list(donor=c.holder, family=c.family)
            if c.origin in o.consent_from
        ]
    allocs = sorted(
        (a for o in offers for a in uow.allocations.list(offer_id=o.id) if a.status in UNLOCKS),
        key=lambda a: a.id,
    )
    item_types = sorted({o.item_type for o in offers if o.item_type})
    return {
        **governance.consent_view(c, day),
        "item_type": c.item_type or (item_types[0] if len(item_types) == 1 else None),
        "quantity": sum(a.quantity for a in allocs),
        "allocations": [a.id for a in allocs],
        "days_waited": max((day - c.requested_on).days, 0),
    }


@runtime_checkable
class ConsentUnlocks(Protocol):
    def consent_unlocks(
        self, ids: Sequence[str], statuses: Sequence[str]
    ) -> dict[str, tuple[list[str], list[tuple[str, int]]]]: ...


def consent_facts_many(
    uow: UnitOfWork, consents: Sequence[ConsentRequest], day: dt.date
) -> list[dict[str, Any]]:
    """:func:`consent_facts` of each, in two queries where the store can (call inside the
    unit of work)."""
    if not isinstance(uow, ConsentUnlocks):
        return [consent_facts(uow, c, day) for c in consents]
    unlocks = uow.consent_unlocks([c.id for c in consents], sorted(s.value for s in UNLOCKS))
    out = []
    for c in consents:
        types, allocs = unlocks[c.id]
        item_types = sorted(set(types))
        out.append({
            **governance.consent_view(c, day),
            "item_type": c.item_type or (item_types[0] if len(item_types) == 1 else None),
            "quantity": sum(q for _, q in allocs),
            "allocations": [i for i, _ in allocs],
            "days_waited": max((day - c.requested_on).days, 0),
        })
    return out


def list_consents(
    uow: UnitOfWork,
    caller: Caller,
    day: dt.date,
    *,
    origin: str | None = None,
    status: str | None = None,
    holder: str | None = None,
    recipient: str | None = None,
    family: str | None = None,
    answered: bool = False,
    q: str | None = None,
    sort: str | None = None,
    limit: int = 50,
    offset: int = 0,
    memberships: Sequence[Membership] | None = None,
) -> Page:
    """The consent requests naming the caller's nation (all for the coordinator and the
    auditor), with the facts they are answered on: filtered (``status``: the status on
    ``day``; ``answered``: any but pending), searched (``q``: id, item type, family,
    holder), sorted (``sort``, see :data:`~allied.service.listing.SORTS`; id by default).
    ``memberships``: the caller's (:func:`memberships_of`), not read again when given."""
    require(caller.role, Action.READ_CONSENTS)
    query = listing.list_query(
        "consents",
        filters={"origin": origin, "status": status, "holder": holder,
                 "recipient": recipient, "family": family, "answered": answered or None},
        q=q, sort=sort, limit=limit, offset=offset,
    )
    with uow:
        found, total = _consent_rows(uow, caller, day, query, memberships)
        rows = consent_facts_many(uow, found, day)
    return Page(rows, total, limit, offset)


def count_consents(
    uow: UnitOfWork, caller: Caller, day: dt.date, *, status: str | None = None
) -> int:
    """How many consent requests :func:`list_consents` lists with ``status`` (a figure:
    counted by the store, none of their facts worked out)."""
    require(caller.role, Action.READ_CONSENTS)
    query = listing.list_query("consents", filters={"status": status}, limit=1)
    with uow:
        return _consent_rows(uow, caller, day, query)[1]


def waiting_consents(
    uow: UnitOfWork,
    caller: Caller,
    day: dt.date,
    *,
    q: str | None = None,
    sort: str | None = None,
    limit: int = 50,
    offset: int = 0,
    memberships: Sequence[Membership] | None = None,
) -> Page:
    """The caller's queue: the consent requests waiting for an answer on ``day`` (pending)
    in which the caller's nation is the party its role is
    (:func:`~allied.domain.consent.queue_filter`: an origin state, the requests asking
    it; a donor, those its items wait on; a recipient, those for items to it; the
    coordinator and the auditor, all). The consents page, the overview's "consents
    waiting" and the to-do list all read this one set."""
    party = queue_filter(caller.role, caller.nation)
    return list_consents(
        uow, caller, day, status=ConsentStatus.PENDING.value, q=q, sort=sort, limit=limit,
        offset=offset, origin=party.get("origin"), holder=party.get("holder"),
        recipient=party.get("recipient"), memberships=memberships,
    )


def count_waiting_consents(uow: UnitOfWork, caller: Caller, day: dt.date) -> int:
    """How many consent requests :func:`waiting_consents` lists (counted by the store)."""
    require(caller.role, Action.READ_CONSENTS)
    query = listing.list_query(
        "consents",
        filters={"status": ConsentStatus.PENDING.value,
                 **queue_filter(caller.role, caller.nation)},
        limit=1,
    )
    with uow:
        return _consent_rows(uow, caller, day, query)[1]


def _consent_rows(
    uow: UnitOfWork, caller: Caller, day: dt.date, query: listing.ListQuery,
    memberships: Sequence[Membership] | None = None,
) -> tuple[list[ConsentRequest], int]:
    """The page ``query`` asks for and how many match (call inside ``with uow``;
    ``memberships``: the caller's, not read again when given)."""
    v = viewer(uow, caller, day, memberships)
    if isinstance(uow, listing.RecordLists):
        return uow.consent_page(grant_of(v), query, day)
    return _consent_page_slow(uow, v, query, day)


def _consent_page_slow(
    uow: UnitOfWork, v: Viewer, query: listing.ListQuery, day: dt.date
) -> tuple[list[ConsentRequest], int]:
    """:meth:`RecordLists.consent_page` from the repositories (stores without it)."""
    f = query.filters
    found = [
        c for c in uow.consents.list()
        if v.sees_consent(c)
        and all(getattr(c, k) == f[k] for k in ("origin", "holder", "recipient", "family")
                if k in f)
        and ("status" not in f or c.effective_status(day).value == f["status"])
        and (not f.get("answered") or c.effective_status(day) is not ConsentStatus.PENDING)
        and (not query.q or listing._matches(query.q, (c.id, c.item_type, c.family, c.holder)))
    ]
    return listing.window(found, query, lambda c: getattr(c, query.column), lambda c: c.id)


def get_consent(uow: UnitOfWork, caller: Caller, day: dt.date, consent_id: str) -> dict[str, Any]:
    require(caller.role, Action.READ_CONSENTS)
    with uow:
        v = viewer(uow, caller, day)
        c = uow.consents.get(consent_id)
        if c is None or not v.sees_consent(c):
            raise NotFound(f"no consent request {consent_id!r}")
        return consent_facts(uow, c, day)


def answer_consent(
    uow: UnitOfWork,
    caller: Caller,
    day: dt.date,
    consent_id: str,
    answer: str,
    reason: str = "",
) -> dict[str, Any]:
    require(caller.role, Action.ANSWER_CONSENT)
    with uow:
        v = viewer(uow, caller, day)
        c = uow.consents.get(consent_id)
        if c is None or not v.sees_consent(c):
            raise NotFound(f"no consent request {consent_id!r}")
        if c.origin != caller.nation:
            raise PermissionDenied(f"only {c.origin} may answer consent request {c.id}")
    try:
        status = ConsentStatus(answer)
    except ValueError:
        raise InvalidInput(
            f"expected granted, denied or expired; got {answer!r}", field="answer"
        ) from None
    if not reason.strip():
        raise InvalidInput(
            "give the reason for the answer (the ledger records it)", field="reason"
        )
    return governance.record_consent_answer(uow, caller, consent_id, status, on=day, reason=reason)


def expire_consents(uow: UnitOfWork, caller: Caller, day: dt.date) -> list[str]:
    """Expire the consent requests left unanswered past their date, and settle the
    allocations waiting on them (one transaction, a ledger entry each). Returns the ids
    of the consent requests expired."""
    require(caller.role, Action.EXPIRE)
    with uow:
        before = {c.id for c in uow.consents.list(status=ConsentStatus.PENDING)}
        governance.expire_consents(uow, caller, day)
        after = {c.id for c in uow.consents.list(status=ConsentStatus.PENDING)}
        uow.commit()
    return sorted(before - after)


def set_consent_policy(
    uow: UnitOfWork,
    caller: Caller,
    origin: str,
    policy: str,
    *,
    since: dt.date,
    today: dt.date,
    source: str | None = None,
) -> dict[str, Any]:
    """An origin state's standing answer to re-export requests (``restrictive``,
    ``permissive``, ``case-by-case``): set by the coordinator, or by the origin state for
    itself, from ``since``, no later than ``today``. ``source`` (where it is declared)
    replaces the one recorded, ``""`` clears it; ``None`` (not given) keeps it."""
    require(caller.role, Action.SET_CONSENT_POLICY)
    code = origin.strip().upper()
    require_own_nation(caller.role, caller.nation, code, "consent policy")
    try:
        value = OriginPolicy(policy)
    except ValueError:
        raise InvalidInput(
            f"expected restrictive, permissive or case-by-case; got {policy!r}", field="policy"
        ) from None
    return governance.set_policy(
        uow, caller, code, value, since=since, source=source, today=today
    )


def list_consent_policies(uow: UnitOfWork, caller: Caller) -> list[dict[str, Any]]:
    """The standing consent policies (public: they are each state's declared practice)."""
    require(caller.role, Action.READ)
    return governance.list_policies(uow)
