"""The catalogue: item types, their categories and compatibility families.

A compatibility family groups items that can stand in for each other at the
recipient's end: a request names the families it accepts. A calibre alone does not
make two items compatible: 122 mm tube rounds (D-30, 2S1) and 122 mm Grad rockets are
different families, and 152 mm and 155 mm are not interchangeable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from allied.domain.errors import InvalidInput


class Category(StrEnum):
    ARTILLERY = "artillery"
    AMMUNITION = "ammunition"
    ROCKET_ARTILLERY = "rocket-artillery"
    AIR_DEFENCE = "air-defence"
    ARMOUR = "armour"
    ANTI_TANK = "anti-tank"
    AIRCRAFT = "aircraft"
    HELICOPTER = "helicopter"
    DRONE = "drone"
    MISSILE = "missile"
    RADAR = "radar"
    NAVAL = "naval"
    VEHICLE = "vehicle"
    SMALL_ARMS = "small-arms"
    FUEL = "fuel"
    MEDICAL = "medical"
    TRAINING = "training"
    OTHER = "other"


class ValuationBasis(StrEnum):
    """Where a unit value comes from."""

    SIPRI_TIV = "sipri-tiv"  # SIPRI trend-indicator value (million TIV per unit), not money
    REPLACEMENT_COST = "replacement-cost"
    BOOK_VALUE = "book-value"
    CONTRACT_PRICE = "contract-price"
    ILLUSTRATIVE = "illustrative"  # a stated estimate, marked as such wherever shown


#: Known compatibility families: code -> (category, description).
FAMILIES: dict[str, tuple[Category, str]] = {
    "155mm-nato": (Category.ARTILLERY, "155 mm NATO tube artillery (guns, howitzers, shells)"),
    "152mm-soviet": (Category.ARTILLERY, "152 mm Soviet-standard tube artillery"),
    "122mm-tube": (Category.ARTILLERY, "122 mm tube artillery (D-30, 2S1) and its rounds"),
    "122mm-grad": (Category.ROCKET_ARTILLERY, "122 mm Grad-type rockets and launchers"),
    "227mm-gmlrs": (Category.ROCKET_ARTILLERY, "227 mm GMLRS rockets and HIMARS/M270 launchers"),
    "105mm-nato": (Category.ARTILLERY, "105 mm light guns and their rounds"),
    "120mm-mortar": (Category.ARTILLERY, "120 mm mortars and bombs"),
    "mortar-other": (Category.ARTILLERY, "mortars of other calibres"),
    "artillery-other": (Category.ARTILLERY, "tube artillery of other calibres"),
    "mrl-other": (Category.ROCKET_ARTILLERY, "rocket artillery of other calibres"),
    "sam-patriot": (Category.AIR_DEFENCE, "Patriot systems and interceptors"),
    "sam-iris-t": (Category.AIR_DEFENCE, "IRIS-T SLM systems and missiles"),
    "sam-nasams": (Category.AIR_DEFENCE, "NASAMS systems and AMRAAM-family interceptors"),
    "sam-soviet": (Category.AIR_DEFENCE, "Soviet-standard SAM systems (S-300, Buk, Osa...)"),
    "sam-other": (Category.AIR_DEFENCE, "other surface-to-air systems"),
    "manpads": (Category.AIR_DEFENCE, "portable SAM (Stinger, Strela, Piorun...)"),
    "aa-gun": (Category.AIR_DEFENCE, "anti-aircraft guns (Gepard...)"),
    "mbt-western": (Category.ARMOUR, "Western main battle tanks"),
    "mbt-soviet": (Category.ARMOUR, "Soviet-standard main battle tanks"),
    "ifv": (Category.ARMOUR, "infantry fighting vehicles"),
    "apc": (Category.ARMOUR, "armoured personnel carriers and protected vehicles"),
    "armour-support": (Category.ARMOUR, "recovery, engineering and bridging vehicles"),
    "atgm": (Category.ANTI_TANK, "anti-tank guided missiles and launchers"),
    "combat-aircraft": (Category.AIRCRAFT, "combat aircraft"),
    "helicopter": (Category.HELICOPTER, "helicopters"),
    "uav": (Category.DRONE, "reconnaissance and armed UAVs"),
    "loitering-munition": (Category.DRONE, "loitering munitions"),
    "air-launched-missile": (Category.MISSILE, "air-to-air and air-to-surface missiles"),
    "surface-missile": (Category.MISSILE, "surface-to-surface and anti-ship missiles"),
    "radar": (Category.RADAR, "counter-battery, air-search and other radars"),
    "naval": (Category.NAVAL, "ships, boats and naval systems"),
    "vehicle": (Category.VEHICLE, "unarmoured vehicles and engines"),
    "small-arms": (Category.SMALL_ARMS, "small arms and their ammunition"),
    "fuel": (Category.FUEL, "fuel and lubricants"),
    "medical": (Category.MEDICAL, "medical supplies and equipment"),
    "training": (Category.TRAINING, "training courses (one unit = one trainee place)"),
    "other": (Category.OTHER, "anything else"),
}

_FAMILY_SHAPE = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")


def family_code(value: object, field: str = "family") -> str:
    """A family code: a known family, or a new one of the same shape (lower-case, dashes)."""
    if not isinstance(value, str) or not _FAMILY_SHAPE.match(value.strip()):
        raise InvalidInput(
            f"not a compatibility family (lower-case letters, digits, dashes): {value!r}",
            field=field,
        )
    return value.strip()


def family_category(family: str) -> Category:
    known = FAMILIES.get(family)
    return known[0] if known else Category.OTHER


@dataclass(eq=False)
class ItemType:
    code: str
    name: str
    category: Category
    family: str
    lethal: bool
    unit_value: Decimal | None = None
    valuation_basis: ValuationBasis | None = None
    calibre_mm: int | None = None
    source: str = ""

    def __post_init__(self) -> None:
        family_code(self.family)
        if self.unit_value is not None:
            if self.unit_value < 0:
                raise InvalidInput("must not be negative", field="unit_value")
            if self.valuation_basis is None:
                raise InvalidInput(
                    "a unit value needs its valuation basis", field="valuation_basis"
                )

    def __repr__(self) -> str:
        return f"ItemType({self.code!r}, family={self.family!r})"
