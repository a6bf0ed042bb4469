"""Accession to an organisation: application, invitation, signature, ratifications, entry.

Invitation is a consensus decision; once the accession protocols are signed, every
state that was a member on the day of signature must ratify; the protocols are in force
when the last has ratified; the candidate is a member from the day it deposits its
instrument of accession. Finland waited from 2022-05-18 to 2023-04-04 (last
ratification: Turkiye, 2023-03-30); Sweden to 2024-03-07 (last: Hungary, 2024-02-26).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from allied.domain.errors import IllegalTransition, InvalidInput


class AccessionStage(StrEnum):
    APPLIED = "applied"
    INVITED = "invited"
    SIGNED = "signed"  # protocols signed; ratifications under way
    RATIFIED = "ratified"  # every required state has ratified
    MEMBER = "member"
    ABANDONED = "abandoned"


#: The stage each step leads to from each stage (abandoning aside).
_NEXT: dict[AccessionStage, tuple[AccessionStage, ...]] = {
    AccessionStage.APPLIED: (AccessionStage.INVITED,),
    AccessionStage.INVITED: (AccessionStage.SIGNED,),
    AccessionStage.SIGNED: (AccessionStage.RATIFIED,),
    AccessionStage.RATIFIED: (AccessionStage.MEMBER,),
}


@dataclass(eq=False)
class Ratification:
    accession_id: str
    state: str
    on: dt.date
    source: str = ""


@dataclass(eq=False)
class Accession:
    id: str
    candidate: str
    org: str
    applied_on: dt.date
    invited_on: dt.date | None = None
    signed_on: dt.date | None = None
    member_from: dt.date | None = None
    required: tuple[str, ...] = ()
    stage: AccessionStage = AccessionStage.APPLIED
    source: str = ""
    ratifications: list[Ratification] = field(default_factory=list)

    def _step(self, allowed: set[AccessionStage], target: AccessionStage) -> None:
        if self.stage not in allowed:
            detail = ""
            if target is AccessionStage.MEMBER and self.stage is AccessionStage.SIGNED:
                waiting = self.pending()
                detail = (
                    f"{len(self.required) - len(waiting)} of {len(self.required)} ratified; "
                    f"waiting for {', '.join(waiting)}"
                )
            raise IllegalTransition(
                f"accession {self.id}",
                self.stage.value,
                target.value,
                allowed=[s.value for s in AccessionStage if s in _NEXT.get(self.stage, ())],
                detail=detail,
            )

    def invite(self, on: dt.date) -> None:
        self._step({AccessionStage.APPLIED}, AccessionStage.INVITED)
        if on < self.applied_on:
            raise InvalidInput(f"invitation {on} is before the application", field="on")
        self.invited_on = on
        self.stage = AccessionStage.INVITED

    def sign(self, on: dt.date, members_on_signature: Sequence[str]) -> None:
        """Protocols signed: every member on that day must now ratify."""
        self._step({AccessionStage.INVITED}, AccessionStage.SIGNED)
        if self.invited_on and on < self.invited_on:
            raise InvalidInput(f"signature {on} is before the invitation", field="on")
        required = tuple(sorted(set(members_on_signature) - {self.candidate}))
        if not required:
            raise InvalidInput(f"{self.org} has no members on {on}", field="on")
        self.signed_on = on
        self.required = required
        self.stage = AccessionStage.SIGNED

    def ratify(self, state: str, on: dt.date, source: str = "") -> Ratification:
        self._step({AccessionStage.SIGNED}, AccessionStage.RATIFIED)
        if state not in self.required:
            raise InvalidInput(
                f"{state} was not a member of {self.org} when the protocols were signed "
                f"({self.signed_on}) and need not ratify",
                field="state",
            )
        if any(r.state == state for r in self.ratifications):
            raise InvalidInput(f"{state} has already ratified", field="state")
        assert self.signed_on is not None
        if on < self.signed_on:
            raise InvalidInput(f"ratification {on} is before the signature", field="on")
        made = Ratification(self.id, state, on, source)
        self.ratifications.append(made)
        if not self.pending():
            self.stage = AccessionStage.RATIFIED
        return made

    def join(self, on: dt.date) -> None:
        """The candidate deposits its instrument: a member from ``on``."""
        self._step({AccessionStage.RATIFIED}, AccessionStage.MEMBER)
        last = self.last_ratification()
        if last and on < last.on:
            raise InvalidInput(f"membership {on} is before the last ratification", field="on")
        self.member_from = on
        self.stage = AccessionStage.MEMBER

    def pending(self) -> list[str]:
        done = {r.state for r in self.ratifications}
        return [s for s in self.required if s not in done]

    def last_ratification(self) -> Ratification | None:
        if self.pending() or not self.ratifications:
            return None
        return max(self.ratifications, key=lambda r: (r.on, r.state))

    def summary(self, today: dt.date) -> dict[str, Any]:
        last = self.last_ratification()
        end = self.member_from or today
        took = {
            r.state: (r.on - self.signed_on).days
            for r in sorted(self.ratifications, key=lambda r: (r.on, r.state))
            if self.signed_on
        }
        return {
            "id": self.id,
            "candidate": self.candidate,
            "org": self.org,
            "stage": self.stage.value,
            "applied_on": self.applied_on.isoformat(),
            "invited_on": self.invited_on.isoformat() if self.invited_on else None,
            "signed_on": self.signed_on.isoformat() if self.signed_on else None,
            "member_from": self.member_from.isoformat() if self.member_from else None,
            "ratified": len(self.ratifications),
            "required": len(self.required),
            "pending": self.pending(),
            "last_ratifier": last.state if last else None,
            "last_ratified_on": last.on.isoformat() if last else None,
            "days_signature_to_last_ratification": (last.on - self.signed_on).days
            if last and self.signed_on
            else None,
            "days_waited": (end - self.applied_on).days,
            "days_to_ratify": took,
        }
