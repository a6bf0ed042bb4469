"""Re-export consent: an origin state's answer to a request to pass on an item it made.

Each origin state has a standing policy (``restrictive``, ``permissive``,
``case-by-case``); each request is ``pending`` until answered ``granted`` or
``denied``, or until it ``expired``. A grant may later be expired explicitly.

In January 2022 Germany refused Estonia consent to pass German-origin (ex-GDR) D-30
howitzers to Ukraine, while the United States cleared the Baltic states to pass on
US-made Javelin and Stinger missiles.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from allied.domain.errors import IllegalTransition, InvalidInput


class ConsentStatus(StrEnum):
    PENDING = "pending"
    GRANTED = "granted"
    DENIED = "denied"
    EXPIRED = "expired"


class OriginPolicy(StrEnum):
    RESTRICTIVE = "restrictive"
    PERMISSIVE = "permissive"
    CASE_BY_CASE = "case-by-case"


CONSENT_TRANSITIONS: dict[ConsentStatus, frozenset[ConsentStatus]] = {
    ConsentStatus.PENDING: frozenset(
        {ConsentStatus.GRANTED, ConsentStatus.DENIED, ConsentStatus.EXPIRED}
    ),
    ConsentStatus.GRANTED: frozenset({ConsentStatus.EXPIRED}),
    ConsentStatus.DENIED: frozenset(),
    ConsentStatus.EXPIRED: frozenset(),
}


@dataclass(eq=False)
class ConsentPolicy:
    origin: str
    policy: OriginPolicy
    since: dt.date
    source: str = ""


@dataclass(eq=False)
class ConsentRequest:
    id: str
    origin: str
    holder: str
    family: str
    recipient: str
    requested_on: dt.date
    status: ConsentStatus = ConsentStatus.PENDING
    item_type: str | None = None
    offer_id: str | None = None
    decided_on: dt.date | None = None
    expires_on: dt.date | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        if self.origin == self.holder:
            raise InvalidInput(
                "an origin state needs no consent to pass on its own items", field="holder"
            )

    def answer(self, status: ConsentStatus | str, on: dt.date, reason: str = "") -> None:
        try:
            target = ConsentStatus(status)
        except ValueError:
            raise InvalidInput(
                f"unknown consent status {status!r}; expected granted, denied or expired",
                field="status",
            ) from None
        if target not in CONSENT_TRANSITIONS[self.status]:
            raise IllegalTransition(
                f"consent {self.id}",
                self.status.value,
                target.value,
                allowed=[s.value for s in ConsentStatus if s in CONSENT_TRANSITIONS[self.status]],
            )
        if on < self.requested_on:
            raise InvalidInput(
                f"answer date {on} is before the request ({self.requested_on})", field="on"
            )
        self.status = target
        self.decided_on = on
        if reason:
            self.reason = reason

    def effective_status(self, day: dt.date) -> ConsentStatus:
        """The status on ``day``: a request still pending after ``expires_on`` has expired.

        ``expires_on`` is the last day to answer; a grant stays valid until it is
        explicitly expired (``answer("expired")``). An answer dated after ``day`` had not
        been given on ``day``: the request was still pending then."""
        status = self.status
        if self.decided_on is not None and day < self.decided_on:
            status = ConsentStatus.PENDING
        expired = self.expires_on is not None and day > self.expires_on
        if status is ConsentStatus.PENDING and expired:
            return ConsentStatus.EXPIRED
        return status


def standing_answer(policy: OriginPolicy | None) -> ConsentStatus:
    """What an origin's standing policy answers at once: ``restrictive`` denies,
    ``permissive`` grants, ``case-by-case`` (or no policy) leaves the request pending."""
    if policy is OriginPolicy.RESTRICTIVE:
        return ConsentStatus.DENIED
    if policy is OriginPolicy.PERMISSIVE:
        return ConsentStatus.GRANTED
    return ConsentStatus.PENDING


def combined(statuses: list[ConsentStatus]) -> ConsentStatus:
    """Consent for an item with several origins: every origin must grant.

    Any denial denies; otherwise any expiry expires; otherwise any pending answer keeps
    it pending; only all grants grant. No origin at all counts as granted.
    """
    if ConsentStatus.DENIED in statuses:
        return ConsentStatus.DENIED
    if ConsentStatus.EXPIRED in statuses:
        return ConsentStatus.EXPIRED
    if ConsentStatus.PENDING in statuses:
        return ConsentStatus.PENDING
    return ConsentStatus.GRANTED


# -- an allocation's consent: the one definition every page, list and count uses -----------


class ConsentState(StrEnum):
    """Where an allocation stands on re-export consent (or one origin state's part in it).

    ``not-asked``: an origin state has not been asked yet (asking is the move to
    consent-pending); ``pending``: asked and not answered; then ``granted``, ``denied``
    or ``expired``. ``not-needed``: the donor made the item."""

    NOT_NEEDED = "not-needed"
    NOT_ASKED = "not-asked"
    PENDING = "pending"
    GRANTED = "granted"
    DENIED = "denied"
    EXPIRED = "expired"


@dataclass(frozen=True)
class OriginAnswer:
    """One origin state's part in an allocation's consent: the consent request that
    answers for it (``None``: not asked yet), and its state on the day."""

    origin: str
    state: ConsentState
    consent: ConsentRequest | None = None
    #: the origin's standing policy (what asking it would answer at once), when not asked
    policy: OriginPolicy | None = None

    @property
    def until(self) -> dt.date | None:
        """The last day to answer, while the request is pending."""
        if self.state is ConsentState.PENDING and self.consent is not None:
            return self.consent.expires_on
        return None

    @property
    def standing(self) -> bool:
        """Whether the answer covers the holder's items of the family (a request naming
        no offer) or came from the origin's standing policy."""
        c = self.consent
        return c is not None and (
            c.offer_id is None or c.reason.startswith(f"standing policy of {c.origin}")
        )


@dataclass(frozen=True)
class AllocationConsent:
    """An allocation's re-export consent on a day: the state and each origin's part."""

    state: ConsentState
    origins: tuple[OriginAnswer, ...] = ()

    @property
    def waiting_on(self) -> tuple[OriginAnswer, ...]:
        """The origin states asked that have not answered."""
        return tuple(o for o in self.origins if o.state is ConsentState.PENDING)

    @property
    def not_asked(self) -> tuple[str, ...]:
        return tuple(o.origin for o in self.origins if o.state is ConsentState.NOT_ASKED)

    @property
    def settled(self) -> bool:
        """Whether every origin has answered (or one denied, or one expired): the
        allocation may leave consent-pending."""
        return self.state in (ConsentState.GRANTED, ConsentState.DENIED, ConsentState.EXPIRED)

    @property
    def combined(self) -> ConsentStatus:
        """As one :class:`ConsentStatus` (the lifecycle's terms): an origin not asked yet
        counts as pending; needing no consent counts as granted."""
        if self.state is ConsentState.NOT_ASKED:
            return ConsentStatus.PENDING
        if self.state is ConsentState.NOT_NEEDED:
            return ConsentStatus.GRANTED
        return ConsentStatus(self.state.value)

    @property
    def consents(self) -> tuple[ConsentRequest, ...]:
        """The consent requests that answer for the allocation, one per origin asked."""
        return tuple(o.consent for o in self.origins if o.consent is not None)

    @property
    def label(self) -> str:
        """A list's cell: ``granted``, ``pending: DEU``, ``not asked: DEU``, ``denied:
        DEU``, ``expired: DEU``, ``not needed``."""
        if self.state is ConsentState.NOT_NEEDED:
            return "not needed"
        if self.state is ConsentState.GRANTED:
            return "granted"
        which = [o.origin for o in self.origins if o.state.value == self.state.value]
        words = "not asked" if self.state is ConsentState.NOT_ASKED else self.state.value
        return f"{words}: {', '.join(which)}"

    def as_dict(self) -> dict[str, object]:
        """The state as data (a page's, the API's): ``state``, ``label``, and per origin
        ``origin``, ``state``, ``consent`` (its id), ``until``, ``standing``, ``policy``."""
        return {
            "state": self.state.value,
            "label": self.label,
            "origins": [
                {
                    "origin": o.origin,
                    "state": o.state.value,
                    "consent": o.consent.id if o.consent else None,
                    "requested_on": o.consent.requested_on.isoformat() if o.consent else None,
                    "until": o.until.isoformat() if o.until else None,
                    "standing": o.standing,
                    "policy": o.policy.value if o.policy else None,
                }
                for o in self.origins
            ],
        }


def answering(
    consents: Iterable[ConsentRequest], origin: str, holder: str, family: str, offer_id: str
) -> ConsentRequest | None:
    """The consent request that answers for ``origin`` about an allocation of an offer:
    the latest (by day asked, then id) of ``holder``'s requests of ``family`` naming the
    offer or no offer (a request about the holder's items of the family)."""
    found = [
        c for c in consents
        if c.origin == origin and c.holder == holder and c.family == family
        and c.offer_id in (None, offer_id)
    ]
    return max(found, key=lambda c: (c.requested_on, c.id), default=None)


def allocation_consent(
    consent_from: Iterable[str],
    consents: Iterable[ConsentRequest],
    day: dt.date,
    *,
    holder: str,
    family: str,
    offer_id: str,
    policies: Mapping[str, OriginPolicy] | None = None,
) -> AllocationConsent:
    """The re-export consent of an allocation of offer ``offer_id`` (held by ``holder``,
    of ``family``, made in the states ``consent_from``) on ``day``, from the consent
    requests given (any superset of those that answer: :func:`answering` picks them).

    Every origin must grant: any denial denies; otherwise any expiry expires; otherwise
    any origin asked and not answered keeps it pending; otherwise any origin not asked
    yet leaves it ``not-asked``; only grants from all grant. No origin: ``not-needed``.
    """
    pool = list(consents)
    policies = policies or {}
    parts = []
    for origin in consent_from:
        c = answering(pool, origin, holder, family, offer_id)
        if c is None:
            parts.append(OriginAnswer(origin, ConsentState.NOT_ASKED, None, policies.get(origin)))
        else:
            parts.append(OriginAnswer(origin, ConsentState(c.effective_status(day).value), c))
    if not parts:
        return AllocationConsent(ConsentState.NOT_NEEDED)
    states = {p.state for p in parts}
    for state in (ConsentState.DENIED, ConsentState.EXPIRED, ConsentState.PENDING,
                  ConsentState.NOT_ASKED):
        if state in states:
            return AllocationConsent(state, tuple(parts))
    return AllocationConsent(ConsentState.GRANTED, tuple(parts))


#: Whose queue of consent requests waiting for an answer a request is in, by the role of
#: the caller: the origin state asked (it answers), the holder (the donor whose items wait
#: on it), the recipient (the items would pass to it). The coordinator and the auditor:
#: every request (no party).
QUEUE_PARTY: dict[str, str] = {"origin": "origin", "donor": "holder", "recipient": "recipient"}


def queue_filter(role: str, nation: str) -> dict[str, str]:
    """The consent requests in the caller's queue, as a filter on their parties
    (``{"origin": "DEU"}`` for Germany as origin state; ``{}``: every one the caller
    sees). A nation's queue as origin holds only the requests asking it, never those it
    is the holder or the recipient of."""
    party = QUEUE_PARTY.get(str(role))
    return {party: nation} if party and nation else {}
