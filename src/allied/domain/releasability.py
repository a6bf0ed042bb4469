"""Releasability: who may see a record.

A record's releasability is one of

* ``owner``: the owning nation only (the default for offers and pledges);
* ``nations:USA,GBR``: the owner and the named nations;
* ``org:NATO``: the owner and the members of an organisation on the day of viewing;
* ``public``: everyone; ``public:2024-06-01``: everyone from that day, the owner only before;
* ``support``: the owner and the participants of the recipient's support, the contact
  group (``UDCG``): its members and partners on the day of viewing (the default for
  requests, so that donors see the needs they are asked to fill).

The textual form above is how releasability is written in files, on the command line
and in storage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from allied.domain.actors import Membership, Role, is_member
from allied.domain.errors import InvalidInput
from allied.domain.values import actor_code, parse_date


class ReleaseKind(StrEnum):
    OWNER = "owner"
    NATIONS = "nations"
    ORG = "org"
    PUBLIC = "public"
    SUPPORT = "support"


#: The organisation whose members and partners support the recipient (``support``).
SUPPORT_GROUP = "UDCG"
#: The roles in it that make a state a participant of the support.
SUPPORT_ROLES = frozenset({Role.MEMBER, Role.PARTNER})


@dataclass(frozen=True)
class Releasability:
    kind: ReleaseKind = ReleaseKind.OWNER
    nations: tuple[str, ...] = ()
    org: str | None = None
    public_after: dt.date | None = None

    @classmethod
    def parse(cls, spec: str | None, field: str = "releasability") -> Releasability:
        if spec is None or not spec.strip():
            return cls()
        text = spec.strip()
        head, _, rest = text.partition(":")
        head = head.strip().lower()
        if head == "owner" and not rest:
            return cls()
        if head == "support" and not rest:
            return cls(ReleaseKind.SUPPORT)
        if head == "public":
            return cls(ReleaseKind.PUBLIC, public_after=parse_date(rest, field) if rest else None)
        if head == "nations" and rest:
            codes = tuple(sorted({actor_code(c, field) for c in rest.split(",") if c.strip()}))
            if not codes:
                raise InvalidInput("names no nation", field=field)
            return cls(ReleaseKind.NATIONS, nations=codes)
        if head == "org" and rest:
            return cls(ReleaseKind.ORG, org=actor_code(rest, field))
        raise InvalidInput(
            "expected owner, nations:A,B, org:ORG, support, public or public:YYYY-MM-DD; "
            f"got {spec!r}",
            field=field,
        )

    def __str__(self) -> str:
        if self.kind is ReleaseKind.PUBLIC:
            return f"public:{self.public_after.isoformat()}" if self.public_after else "public"
        if self.kind is ReleaseKind.NATIONS:
            return "nations:" + ",".join(self.nations)
        if self.kind is ReleaseKind.ORG:
            return f"org:{self.org}"
        if self.kind is ReleaseKind.SUPPORT:
            return "support"
        return "owner"

    def visible_to(
        self,
        viewer: str,
        owner: str,
        day: dt.date,
        memberships: Iterable[Membership] = (),
    ) -> bool:
        """Whether nation ``viewer`` may see a record owned by ``owner`` on ``day``."""
        if viewer == owner:
            return True
        if self.kind is ReleaseKind.PUBLIC:
            return self.public_after is None or day >= self.public_after
        if self.kind is ReleaseKind.NATIONS:
            return viewer in self.nations
        if self.kind is ReleaseKind.ORG and self.org is not None:
            return is_member(memberships, viewer, self.org, day)
        if self.kind is ReleaseKind.SUPPORT:
            return any(
                m.actor == viewer
                and m.org == SUPPORT_GROUP
                and m.role in SUPPORT_ROLES
                and m.active_on(day)
                for m in memberships
            )
        return False
