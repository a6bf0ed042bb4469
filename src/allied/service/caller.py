"""Who is acting: a user, as a nation, in a role."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    user: str
    nation: str = ""
    role: str = "coordinator"
    user_id: str = ""
