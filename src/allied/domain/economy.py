"""Yearly indicators of an actor (GDP, population...), with their source."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(eq=False)
class Indicator:
    actor: str
    name: str  # "gdp_usd", "population", "milex_share_gdp"...
    year: int
    value: Decimal
    source: str = ""

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.actor, self.name, self.year)
