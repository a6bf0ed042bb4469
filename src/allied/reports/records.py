"""Plain records of public data, as the importers produce them and the reports read them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class KielMonth:
    """One donor's aid allocated in one month (Kiel data explorer row), EUR billion.

    ``gdp_eur_bn`` is the donor's 2021 GDP as Kiel gives it (``None`` where Kiel gives
    none, e.g. EU institutions); ``pct_gdp`` is Kiel's monthly share of that GDP in %.
    """

    donor: str
    donor_name: str
    donor_kind: str  # state | organisation | non-state | unknown | unmapped
    donor_group: str  # e.g. eu-institutions for EU bodies; "" otherwise
    year: int
    month: int
    total: Decimal
    financial: Decimal
    humanitarian: Decimal
    military: Decimal
    commitments: Decimal | None
    to_be_allocated: Decimal | None
    gdp_eur_bn: Decimal | None
    pct_gdp: Decimal | None
    source: str = ""

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.donor, self.year, self.month)

    @property
    def period(self) -> tuple[int, int]:
        return (self.year, self.month)


@dataclass(frozen=True)
class SipriTransfer:
    """One deal of the SIPRI trade register: supplier to recipient.

    Numbers SIPRI marks as uncertain ("?") are kept with their ``*_uncertain`` flag.
    ``family`` is the compatibility family derived from the calibre in the designation,
    where it has one (``None`` otherwise).
    """

    key: str
    recipient: str
    recipient_name: str
    supplier: str
    supplier_name: str
    supplier_kind: str
    order_year: int
    order_year_uncertain: bool
    ordered: int | None
    ordered_uncertain: bool
    designation: str
    description: str
    delivered: int | None
    delivered_uncertain: bool
    delivery_years: tuple[int, ...]
    status: str
    comments: str
    tiv_unit: Decimal | None
    tiv_order: Decimal | None
    tiv_delivered: Decimal | None
    calibre_mm: int | None
    family: str | None
    source: str = ""

    @property
    def uncertain(self) -> bool:
        return self.order_year_uncertain or self.ordered_uncertain or self.delivered_uncertain
