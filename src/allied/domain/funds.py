"""Pooled funds: an organisation's trust fund receives money from states and offers what
it procures (NATO's Comprehensive Assistance Package trust funds, the EU's European
Peace Facility). Contributions are recorded so that reports can credit each
contributor pro rata with what the fund gives.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from allied.domain.errors import InvalidInput


@dataclass(eq=False)
class PooledFund:
    code: str
    org: str
    name: str
    channel: str
    source: str = ""


@dataclass(eq=False)
class Contribution:
    id: str
    fund: str
    contributor: str
    amount_eur: Decimal
    on: dt.date
    source: str = ""

    def __post_init__(self) -> None:
        if self.amount_eur <= 0:
            raise InvalidInput(
                f"a contribution must be positive, got {self.amount_eur}", field="amount_eur"
            )


def pro_rata_shares(
    contributions: Iterable[Contribution], fund: str, up_to: dt.date | None = None
) -> dict[str, Decimal]:
    """Each contributor's share of ``fund`` (contributions up to and including ``up_to``).

    Shares sum to exactly 1 (the last contributor in code order absorbs rounding).
    """
    totals: dict[str, Decimal] = {}
    for c in contributions:
        if c.fund == fund and (up_to is None or c.on <= up_to):
            totals[c.contributor] = totals.get(c.contributor, Decimal(0)) + c.amount_eur
    grand = sum(totals.values(), Decimal(0))
    if grand == 0:
        return {}
    codes = sorted(totals)
    shares = {code: totals[code] / grand for code in codes[:-1]}
    shares[codes[-1]] = Decimal(1) - sum(shares.values(), Decimal(0))
    return shares


def credit(
    value: Decimal, contributions: Iterable[Contribution], fund: str, up_to: dt.date | None = None
) -> dict[str, Decimal]:
    """Split ``value`` given by ``fund`` among its contributors pro rata."""
    return {
        code: value * share for code, share in pro_rata_shares(contributions, fund, up_to).items()
    }
