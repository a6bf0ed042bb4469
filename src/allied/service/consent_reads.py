"""An allocation's re-export consent read from the store: the consent requests that may
answer for the offers of a page (one query where the store can) and each allocation's
:class:`~allied.domain.consent.AllocationConsent` worked out by the one definition,
:func:`allied.domain.consent.allocation_consent`.

Every page, list, to-do item and lifecycle move that says where an allocation stands on
consent reads it through here (call inside the unit of work)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol, runtime_checkable

from allied.domain.assistance import Allocation, Offer
from allied.domain.consent import (
    AllocationConsent,
    ConsentRequest,
    OriginPolicy,
    allocation_consent,
)
from allied.service.ports import UnitOfWork


@runtime_checkable
class ConsentsAboutOffers(Protocol):
    """A store that finds the consent requests about many offers in one query."""

    def consents_about_offers(
        self, offer_ids: Sequence[str]
    ) -> dict[str, list[ConsentRequest]]: ...


def consents_about(uow: UnitOfWork, offers: Iterable[Offer]) -> dict[str, list[ConsentRequest]]:
    """Per offer that needs consent: its holder's consent requests of its family naming
    the offer or no offer (a superset of those that answer for its allocations)."""
    needing = {o.id: o for o in offers if o.consent_from}
    if not needing:
        return {}
    if isinstance(uow, ConsentsAboutOffers):
        return uow.consents_about_offers(sorted(needing))
    by_key: dict[tuple[str, str], list[ConsentRequest]] = {}
    for key in sorted({(o.donor, o.family) for o in needing.values()}):
        by_key[key] = list(uow.consents.list(holder=key[0], family=key[1]))
    return {
        i: [c for c in by_key[(o.donor, o.family)] if c.offer_id in (None, o.id)]
        for i, o in needing.items()
    }


def policies(uow: UnitOfWork) -> dict[str, OriginPolicy]:
    """The origin states' standing policies (a small table, read whole)."""
    return {p.origin: p.policy for p in uow.consent_policies.list()}


def consent_of(
    offer: Offer,
    consents: Mapping[str, list[ConsentRequest]],
    day: dt.date,
    standing: Mapping[str, OriginPolicy] | None = None,
) -> AllocationConsent:
    """The consent of an allocation of ``offer``, from what :func:`consents_about` read."""
    return allocation_consent(
        offer.consent_from, consents.get(offer.id, []), day,
        holder=offer.donor, family=offer.family, offer_id=offer.id, policies=standing,
    )


def consents_of(
    uow: UnitOfWork, pairs: Sequence[tuple[Allocation, Offer]], day: dt.date
) -> dict[str, AllocationConsent]:
    """Each allocation's consent (by allocation id), the consent requests of all their
    offers read at once."""
    about = consents_about(uow, [o for _, o in pairs])
    standing = policies(uow) if about else {}
    return {a.id: consent_of(o, about, day, standing) for a, o in pairs}
