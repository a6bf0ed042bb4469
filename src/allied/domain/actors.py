"""Actors (states and organisations) and their dated memberships.

A membership is an interval of days, both ends inclusive: ``start`` is the first day
as a member, ``end`` the last (``None`` while it lasts). Every rule asks membership
*on a date*.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from allied.domain.errors import InvalidInput


class ActorKind(StrEnum):
    STATE = "state"
    ORGANISATION = "organisation"


class Role(StrEnum):
    MEMBER = "member"
    PARTNER = "partner"
    INVITEE = "invitee"


#: the organisations whose members the reference data records (memberships by date)
MEMBERSHIP_ORGANISATIONS: dict[str, str] = {
    "NATO": "North Atlantic Treaty Organization",
    "EU": "European Union",
    "UDCG": "Ukraine Defense Contact Group",
    "G7": "Group of Seven",
}

#: further intergovernmental organisations the monitor names as actors and targets of
#: events in the news (codes as in the annotation guidelines of docs/monitor.md); the reference
#: data records no memberships for them, so a releasability to one reaches nobody
NAMED_ORGANISATIONS: dict[str, str] = {
    "UN": "United Nations",
    "IMF": "International Monetary Fund",
    "WB": "World Bank",
    "WTO": "World Trade Organization",
    "WHO": "World Health Organization",
    "IAEA": "International Atomic Energy Agency",
    "AU": "African Union",
    "ECOWAS": "Economic Community of West African States",
    "ASEAN": "Association of Southeast Asian Nations",
    "OAS": "Organization of American States",
    "OPEC": "Organization of the Petroleum Exporting Countries",
    "G20": "Group of Twenty",
    "ICC": "International Criminal Court",
}

ORGANISATIONS: dict[str, str] = {**MEMBERSHIP_ORGANISATIONS, **NAMED_ORGANISATIONS}


@dataclass(eq=False)
class Actor:
    code: str
    name: str
    kind: ActorKind = ActorKind.STATE

    def __repr__(self) -> str:
        return f"Actor({self.code!r})"


@dataclass(eq=False)
class Membership:
    actor: str
    org: str
    role: Role
    start: dt.date
    end: dt.date | None = None
    source: str = ""

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise InvalidInput(
                f"membership of {self.actor} in {self.org} ends ({self.end}) before it starts "
                f"({self.start})",
                field="end",
            )

    def active_on(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    @property
    def key(self) -> tuple[str, str, str, dt.date]:
        return (self.actor, self.org, str(self.role), self.start)


def members_on(
    memberships: Iterable[Membership],
    org: str,
    day: dt.date,
    roles: Iterable[Role] = (Role.MEMBER,),
) -> list[str]:
    """The codes of the actors holding one of ``roles`` in ``org`` on ``day``, sorted."""
    wanted = set(roles)
    return sorted(
        {m.actor for m in memberships if m.org == org and m.role in wanted and m.active_on(day)}
    )


def is_member(memberships: Iterable[Membership], actor: str, org: str, day: dt.date) -> bool:
    return any(
        m.actor == actor and m.org == org and m.role is Role.MEMBER and m.active_on(day)
        for m in memberships
    )
