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
