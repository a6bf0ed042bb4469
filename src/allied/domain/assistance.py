"""Requests, offers and allocations, with the allocation lifecycle as a state machine.

Lifecycle of an allocation (a quantity of an offer assigned to a request)::

    proposed -> pledged -> consent-pending -> approved -> shipped -> delivered
                        \\------------------/                         |
    (pledged -> approved directly when no re-export consent is needed) |
    delivered -> in-repair -> returned -> in-repair ...               |
    rejected, withdrawn (before shipping), lost (in transit or repair) end it.

An allocation whose offer was made elsewhere (origin != donor) needs the origin
state's consent: it must pass through ``consent-pending`` and may reach ``approved``
only once consent is granted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from allied.domain.errors import IllegalTransition, InvalidInput, RuleViolation
from allied.domain.releasability import Releasability


class Channel(StrEnum):
    BILATERAL = "bilateral"
    UDCG = "udcg"
    NATO_CAP = "nato-cap"
    NSATU = "nsatu"
    EU_EPF = "eu-epf"
    G7 = "g7"


CHANNELS = frozenset(c.value for c in Channel)

#: Channels that carry non-lethal aid only: NATO's Comprehensive Assistance Package.
NON_LETHAL_CHANNELS = frozenset({Channel.NATO_CAP})


def check_channel(channel: Channel, lethal: bool) -> None:
    """Refuse lethal aid through a channel that carries non-lethal aid only."""
    if lethal and channel in NON_LETHAL_CHANNELS:
        raise InvalidInput(
            f"channel {channel.value} carries non-lethal aid only; "
            "mark the offer non-lethal or choose another channel",
            field="lethal",
        )


class RecordStatus(StrEnum):
    """Status of a request or an offer."""

    OPEN = "open"
    CLOSED = "closed"  # fully allocated / filled
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"  # a request long past its needed-by date (see domain.lifecycle)


class AllocationStatus(StrEnum):
    PROPOSED = "proposed"
    PLEDGED = "pledged"
    CONSENT_PENDING = "consent-pending"
    APPROVED = "approved"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    LOST = "lost"
    IN_REPAIR = "in-repair"
    RETURNED = "returned"


S = AllocationStatus

TRANSITIONS: dict[AllocationStatus, frozenset[AllocationStatus]] = {
    S.PROPOSED: frozenset({S.PLEDGED, S.REJECTED, S.WITHDRAWN}),
    S.PLEDGED: frozenset({S.CONSENT_PENDING, S.APPROVED, S.REJECTED, S.WITHDRAWN}),
    S.CONSENT_PENDING: frozenset({S.APPROVED, S.REJECTED, S.WITHDRAWN}),
    S.APPROVED: frozenset({S.SHIPPED, S.WITHDRAWN}),
    S.SHIPPED: frozenset({S.DELIVERED, S.LOST}),
    S.DELIVERED: frozenset({S.IN_REPAIR}),
    S.IN_REPAIR: frozenset({S.RETURNED, S.LOST}),
    S.RETURNED: frozenset({S.IN_REPAIR}),
    S.REJECTED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.LOST: frozenset(),
}

#: Statuses in which an allocation still holds (or held) quantity of its offer.
COMMITTING = frozenset(
    {
        S.PROPOSED,
        S.PLEDGED,
        S.CONSENT_PENDING,
        S.APPROVED,
        S.SHIPPED,
        S.DELIVERED,
        S.IN_REPAIR,
        S.RETURNED,
        S.LOST,
    }
)
#: Statuses in which an allocation is a pledge: accepted (past ``proposed``, a plan line
#: not yet accepted) and still counted against its request (``pledged`` and on to
#: delivery, ``lost`` included; not ``rejected`` or ``withdrawn``). What the API's and the
#: dashboard's ``pledged`` of a request sums.
PLEDGING = COMMITTING - {S.PROPOSED}
#: Statuses that count as delivered to the recipient.
DELIVERED_STATES = frozenset({S.DELIVERED, S.IN_REPAIR, S.RETURNED})
#: Statuses in which an allocation is on its way: pledged and not yet delivered, lost,
#: rejected or withdrawn. Past its request's needed-by date it is an overdue delivery
#: (the coordinator's to-do list); ``requests.in_flight`` counts them per request
#: (migration 0023_request_in_flight, which keeps its own list of them: a test holds the
#: two equal).
IN_FLIGHT = frozenset({S.PLEDGED, S.CONSENT_PENDING, S.APPROVED, S.SHIPPED})


@dataclass(eq=False)
class Request:
    id: str
    recipient: str
    family: str
    quantity: int
    priority: int
    needed_by: dt.date
    accepts: tuple[str, ...] = ()
    item_type: str | None = None
    status: RecordStatus = RecordStatus.OPEN
    notes: str = ""
    releasability: Releasability = field(default_factory=Releasability)
    created_by: str = ""

    def __post_init__(self) -> None:
        if not self.accepts:
            self.accepts = (self.family,)
        elif self.family not in self.accepts:
            self.accepts = (self.family, *self.accepts)

    @property
    def owner(self) -> str:
        return self.recipient

    def __repr__(self) -> str:
        return f"Request({self.id!r}, {self.family!r} x{self.quantity})"


@dataclass(eq=False)
class Offer:
    id: str
    donor: str
    family: str
    quantity: int
    available_from: dt.date
    channel: Channel = Channel.BILATERAL
    lethal: bool = True
    item_type: str | None = None
    origin: str | None = None
    recipient: str | None = None
    fund: str | None = None
    caveats: str = ""
    status: RecordStatus = RecordStatus.OPEN
    releasability: Releasability = field(default_factory=Releasability)
    created_by: str = ""

    @property
    def owner(self) -> str:
        return self.donor

    @property
    def origins(self) -> tuple[str, ...]:
        """The states that made the item (an item may have several, written ``DEU,USA``)."""
        if not self.origin:
            return ()
        return tuple(o for o in self.origin.split(",") if o)

    @property
    def consent_from(self) -> tuple[str, ...]:
        """The origin states whose re-export consent the donor needs (all but itself)."""
        return tuple(o for o in self.origins if o != self.donor)

    @property
    def needs_consent(self) -> bool:
        """Re-export consent is needed when a state other than the donor made the item."""
        return bool(self.consent_from)

    def __repr__(self) -> str:
        return f"Offer({self.id!r}, {self.donor} {self.family!r} x{self.quantity})"


@dataclass(frozen=True)
class Transition:
    at: dt.datetime
    from_status: AllocationStatus
    to_status: AllocationStatus
    by: str = ""
    note: str = ""


@dataclass(eq=False)
class Allocation:
    id: str
    offer_id: str
    request_id: str
    quantity: int
    needs_consent: bool = False
    status: AllocationStatus = AllocationStatus.PROPOSED
    updated_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        if (
            isinstance(self.quantity, bool)
            or not isinstance(self.quantity, int)
            or (self.quantity <= 0)
        ):
            raise InvalidInput(
                f"must be a positive integer, got {self.quantity!r}", field="quantity"
            )

    def allowed_next(self) -> frozenset[AllocationStatus]:
        return TRANSITIONS[self.status]

    def advance(
        self,
        to: AllocationStatus | str,
        *,
        consent_granted: bool = False,
        at: dt.datetime | None = None,
        by: str = "",
        note: str = "",
    ) -> Transition:
        """Move to ``to`` or raise. Returns the transition made.

        ``consent_granted`` says whether the origin state has granted re-export consent;
        it matters only for an allocation that needs consent.
        """
        try:
            target = AllocationStatus(to)
        except ValueError:
            raise InvalidInput(
                f"unknown allocation status {to!r}; expected one of "
                + ", ".join(s.value for s in AllocationStatus),
                field="status",
            ) from None
        if target not in TRANSITIONS[self.status]:
            raise IllegalTransition(
                f"allocation {self.id}",
                self.status.value,
                target.value,
                allowed=[s.value for s in AllocationStatus if s in TRANSITIONS[self.status]],
            )
        if target is S.APPROVED and self.needs_consent:
            if self.status is S.PLEDGED:
                raise RuleViolation(
                    f"allocation {self.id} needs the origin state's re-export consent: "
                    "move it to consent-pending first"
                )
            if not consent_granted:
                raise RuleViolation(
                    f"allocation {self.id} cannot be approved: re-export consent not granted"
                )
        if target is S.CONSENT_PENDING and not self.needs_consent:
            raise RuleViolation(
                f"allocation {self.id} needs no re-export consent (the donor made the item)"
            )
        made = Transition(
            at=at or dt.datetime.now(dt.UTC),
            from_status=self.status,
            to_status=target,
            by=by,
            note=note,
        )
        self.status = target
        self.updated_at = made.at
        return made

    @property
    def is_terminal(self) -> bool:
        return not TRANSITIONS[self.status]

    def __repr__(self) -> str:
        return f"Allocation({self.id!r}, {self.status.value}, x{self.quantity})"
