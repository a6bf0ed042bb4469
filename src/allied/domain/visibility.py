"""Who may see which record: the visibility policy as pure rules.

A :class:`Viewer` is a nation in a role on a day, with the dated memberships that
``org:`` releasability needs. A record not visible to it must answer as a missing one
(the service layer raises ``NotFound``), so its existence is not revealed.

* requests and offers: their releasability (:mod:`allied.domain.releasability`); a
  request's default (``support``) releases it to the participants of the recipient's
  support: the contact group's members and partners on the day;
* an allocation (a pledge), with its lifecycle: always to the request's recipient, the
  offer's donor and the origin states asked for consent, whatever the offer's own
  releasability; to others where its offer is visible. A party that does not see the
  offer learns of it only what receiving it needs (:data:`DELIVERY_FIELDS`);
* a consent request: its origin state, the holder (the donor that asks) and the
  recipient it would be passed on to;
* a proposal: the states taking part in it;
* actors, memberships, item types and accessions are public reference data.

The coordinator and the auditor see every record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from allied.domain.actors import Membership, Role
from allied.domain.assistance import Offer, Request
from allied.domain.consent import ConsentRequest
from allied.domain.proposals import Proposal, ProposalHead
from allied.domain.releasability import SUPPORT_GROUP, SUPPORT_ROLES, Releasability
from allied.domain.users import sees_all

#: What an allocation's party that may not see the offer learns of it: who gives what,
#: how many, and when (the offer's other fields and other allocations stay hidden).
DELIVERY_FIELDS = ("donor", "family", "item_type", "available_from")


@dataclass(frozen=True)
class Viewer:
    """A nation in a role looking at records on a day."""

    nation: str
    role: str
    day: dt.date
    memberships: tuple[Membership, ...] = ()

    @property
    def all(self) -> bool:
        return sees_all(self.role)

    def sees_record(self, record: Request | Offer) -> bool:
        if self.all:
            return True
        if not self.nation:
            # a user with no nation sees only what is public
            return record.releasability.visible_to("", "\0", self.day, ())
        return record.releasability.visible_to(
            self.nation, record.owner, self.day, self.memberships
        )

    def sees_consent(self, consent: ConsentRequest) -> bool:
        return self.all or (
            bool(self.nation)
            and self.nation in (consent.origin, consent.holder, consent.recipient)
        )

    def sees_proposal(self, proposal: Proposal | ProposalHead) -> bool:
        return self.all or (bool(self.nation) and self.nation in proposal.participants)

    def party_to(self, offer: Offer, request: Request, asked: bool = False) -> bool:
        """Whether the viewer is a party to an allocation of ``offer`` to ``request``: its
        recipient, its donor, or (``asked``) an origin state asked for consent."""
        return bool(self.nation) and (
            self.nation in (request.recipient, offer.donor)
            or (asked and self.nation in offer.consent_from)
        )

    def sees_allocation(self, offer: Offer, request: Request, asked: bool = False) -> bool:
        """An allocation of ``offer`` to ``request``: visible to its parties whatever the
        offer's releasability, and to others where the offer is visible."""
        return self.all or self.party_to(offer, request, asked) or self.sees_record(offer)


@dataclass(frozen=True)
class Grant:
    """What releases requests and offers to a viewer, as data a store can match against
    the stored text of releasability (``str(Releasability)``) without reading records.

    A record is visible when ``everything``, or its owner is ``nation``, or its
    releasability's text is one of ``forms``, or it is ``nations:...`` listing
    ``nation``, or ``public:D`` with ``D`` on or before ``public_on``. It says the same
    as :meth:`Viewer.sees_record` (a property test holds the two together)."""

    everything: bool
    #: the viewer's nation ('' for a user with no nation: it owns and is listed nowhere)
    nation: str
    #: releasability texts that release a record to the viewer whoever owns it
    forms: frozenset[str]
    #: ``public:D`` releases the record when ``D <= public_on``
    public_on: dt.date

    def admits(self, releasability: Releasability, owner: str) -> bool:
        """The grant applied to one record (what a store's predicate computes)."""
        if self.everything or (self.nation and owner == self.nation):
            return True
        text = str(releasability)
        if text in self.forms:
            return True
        if text.startswith("nations:"):
            return bool(self.nation) and self.nation in text[len("nations:"):].split(",")
        if text.startswith("public:"):
            return dt.date.fromisoformat(text[len("public:"):]) <= self.public_on
        return False


def grant_of(v: Viewer) -> Grant:
    """The :class:`Grant` of viewer ``v``: ``public`` always; ``support`` to the
    participants of the contact group on the day; ``org:X`` to the members of X."""
    forms = {str(Releasability.parse("public"))}
    if v.nation and not v.all:
        for m in v.memberships:
            if m.actor != v.nation or not m.active_on(v.day):
                continue
            if m.role is Role.MEMBER:
                forms.add(f"org:{m.org}")
            if m.org == SUPPORT_GROUP and m.role in SUPPORT_ROLES:
                forms.add("support")
    return Grant(v.all, v.nation, frozenset(forms), v.day)


def viewer_on(
    nation: str, role: str, day: dt.date, memberships: tuple[Membership, ...] | list[Membership]
) -> Viewer:
    """The viewer of ``nation`` in ``role`` on ``day``, keeping the memberships active that
    day (roles that see everything, and users with no nation, need none)."""
    if sees_all(role) or not nation:
        return Viewer(nation, role, day)
    return Viewer(nation, role, day, tuple(m for m in memberships if m.active_on(day)))
