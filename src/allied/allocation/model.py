"""The allocation problem and its plan, as typed, immutable objects.

A :class:`Problem` is what ``allied allocate`` reads (from a JSON file, or, later, from
the database); a :class:`Plan` is what it writes. Both are plain data: the rules that
decide which offer may serve which request, and with what weight, live in
:mod:`allied.allocation.network`; the parsing of the JSON file in
:mod:`allied.allocation.parse`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType


class ConsentStatus(StrEnum):
    """An origin state's answer to a re-export request."""

    PENDING = "pending"
    GRANTED = "granted"
    DENIED = "denied"
    EXPIRED = "expired"


class PlanStatus(StrEnum):
    OPTIMAL = "optimal"  # proved optimal by an exact solver (LP or network flow)
    HEURISTIC = "heuristic"  # feasible, not proved optimal: the greedy baseline, or a cut
    # problem (each request given its nearest offers only, ``max_pairs``)


@dataclass(frozen=True, slots=True)
class RequestSpec:
    """The recipient's requirement: any of the ``accepts`` families, up to ``quantity``."""

    id: str
    recipient: str
    accepts: tuple[str, ...]
    quantity: int
    priority: int
    needed_by: dt.date


@dataclass(frozen=True, slots=True)
class OfferSpec:
    """A donor's available quantity of one family, from a date, through a channel.

    ``consent``, when given, is the origin's answer for this very offer and overrides the
    problem's ``consents`` list for it. Consent is asked per family (and sometimes per
    offer), so two offers of one donor and origin can have different answers: database
    mode sets it for every offer that needs consent.

    ``quantity`` is positive in a problem file; the engine also takes 0, an offer used up
    (database mode keeps offers all held by earlier allocations that way, so that the
    requests they could serve read ``insufficient-supply``).
    """

    id: str
    donor: str
    family: str
    quantity: int
    available_from: dt.date
    channel: str
    lethal: bool
    origin: str | None = None
    recipient: str | None = None
    consent: ConsentStatus | None = None

    @property
    def needs_consent(self) -> bool:
        """Re-export consent is needed when the item was made by a state other than the donor."""
        return self.origin is not None and self.origin != self.donor


@dataclass(frozen=True, slots=True)
class ConsentSpec:
    """The origin state's answer to ``holder`` passing its items on."""

    origin: str
    holder: str
    status: ConsentStatus


@dataclass(frozen=True, slots=True)
class ChannelRule:
    """What a channel allows. ``lethal=False`` forbids lethal offers through it."""

    lethal: bool = True


@dataclass(frozen=True, slots=True)
class Options:
    allow_pending_consent: bool = False
    lateness_half_life_days: float = 30.0


def _frozen_rules(rules: Mapping[str, ChannelRule]) -> Mapping[str, ChannelRule]:
    return MappingProxyType(dict(rules))


@dataclass(frozen=True, slots=True)
class Problem:
    """Requests, offers and the rules between them, as of a date.

    ``as_of`` records the day the problem was drawn up; it does not enter the weights,
    which depend only on each offer's ``available_from`` and each request's ``needed_by``.
    """

    as_of: dt.date
    requests: tuple[RequestSpec, ...]
    offers: tuple[OfferSpec, ...]
    consents: tuple[ConsentSpec, ...] = ()
    channel_rules: Mapping[str, ChannelRule] = field(default_factory=dict)
    options: Options = field(default_factory=Options)

    def __post_init__(self) -> None:
        object.__setattr__(self, "channel_rules", _frozen_rules(self.channel_rules))

    def offer_consents(self) -> list[ConsentStatus | None]:
        """Per offer, in order, the re-export answer the optimiser goes by: ``None`` for
        one that needs none (no origin, or made by its donor); else its own ``consent``,
        else its origin's answer to its donor in ``consents``, else pending."""
        answers = {(c.origin, c.holder): c.status for c in self.consents}
        return [
            None if o.origin is None or o.origin == o.donor
            else o.consent if o.consent is not None
            else answers.get((o.origin, o.donor), ConsentStatus.PENDING)
            for o in self.offers
        ]

    def lethal_forbidden(self) -> frozenset[str]:
        """The channels whose rule refuses lethal offers."""
        return frozenset(ch for ch, rule in self.channel_rules.items() if not rule.lethal)


@dataclass(frozen=True, slots=True, order=True)
class AllocationLine:
    """``quantity`` units of ``offer`` assigned to ``request``; ``late_days`` > 0 when the
    offer is available only after the request's ``needed_by`` (by that many days)."""

    request: str
    offer: str
    quantity: int
    late_days: int = 0

    @property
    def flags(self) -> tuple[str, ...]:
        """Reason codes that qualify the allocation: ``late:<DAYS>`` when it arrives late."""
        return (f"late:{self.late_days}",) if self.late_days > 0 else ()


@dataclass(frozen=True, slots=True)
class Unfilled:
    """Units of a request that the plan leaves unfilled, with every reason that applies."""

    request: str
    quantity: int
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    """The result: who sends what, and why the rest stays unfilled.

    ``allocations`` are sorted by request id, then offer id; ``unfilled`` by request id.
    ``solver`` names the solver that made the plan (not part of the plan file).
    """

    status: PlanStatus
    objective: float
    allocations: tuple[AllocationLine, ...]
    unfilled: tuple[Unfilled, ...]
    solver: str = ""

    @property
    def allocated_units(self) -> int:
        return sum(a.quantity for a in self.allocations)

    @property
    def unfilled_units(self) -> int:
        return sum(u.quantity for u in self.unfilled)


ProgressCallback = Callable[[str, int, int], None]
"""Called as ``progress(phase, done, total)`` while a plan is made.

Phases are ``"build"`` (feasible pairs and weights), ``"solve"`` and ``"explain"``
(reasons for what stays unfilled). The library never prints; the CLI turns these calls
into a progress bar.
"""


def no_progress(phase: str, done: int, total: int) -> None:
    """The default progress callback: report nothing."""
