"""The package data the reports read: names, regions, GDP, population, exchange rates.

Read from ``allied/data`` (World Bank GDP and population, EU membership, states) and
``allied/data/public`` (ECB exchange rates, UN M49 Europe, name aliases); see
``allied/data/public/PROVENANCE.md``. Reading package files is the only I/O here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib import resources

from allied.reports.donors import NameBook


def _rows(package: str, name: str) -> list[dict[str, str]]:
    body = resources.files(package).joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(body)))


@dataclass(frozen=True)
class EuMembership:
    code: str
    joined: dt.date
    left: dt.date | None

    def on(self, day: dt.date) -> bool:
        return self.joined <= day and (self.left is None or day <= self.left)


@dataclass(frozen=True)
class ReferenceFigures:
    """Yearly figures and groupings the reports use; plain dictionaries inside."""

    gdp_usd: dict[tuple[str, int], Decimal]
    population: dict[tuple[str, int], int]
    usd_per_eur: dict[int, Decimal]
    europe: frozenset[str]
    eu: tuple[EuMembership, ...]
    names: dict[str, str]

    def eu_members_on(self, day: dt.date) -> frozenset[str]:
        return frozenset(m.code for m in self.eu if m.on(day))


GDP_SOURCE = "World Bank NY.GDP.MKTP.CD (current US$), CC BY 4.0"
POPULATION_SOURCE = "World Bank SP.POP.TOTL, CC BY 4.0"
FX_SOURCE = "ECB euro reference rate, US dollar per euro, annual average"
KIEL_SOURCE = "Kiel Institute for the World Economy, Ukraine Support Tracker"
SIPRI_SOURCE = "SIPRI Arms Transfers Database, trade register"


@lru_cache(maxsize=1)
def reference_figures() -> ReferenceFigures:
    gdp = {
        (r["iso3"], int(r["year"])): Decimal(r["value"])
        for r in _rows("allied.data", "gdp_current_usd.csv")
    }
    population = {
        (r["iso3"], int(r["year"])): int(Decimal(r["value"]))
        for r in _rows("allied.data", "population.csv")
    }
    fx = {
        int(r["year"]): Decimal(r["usd_per_eur"])
        for r in _rows("allied.data.public", "eur_usd.csv")
    }
    europe = frozenset(r["iso3"] for r in _rows("allied.data.public", "europe.csv"))
    eu = tuple(
        EuMembership(
            r["iso3"],
            dt.date.fromisoformat(r["joined"]),
            dt.date.fromisoformat(r["left"]) if r["left"] else None,
        )
        for r in _rows("allied.data", "eu_members.csv")
    )
    names = {r["iso3"]: r["name"] for r in _rows("allied.data", "states.csv")}
    return ReferenceFigures(gdp, population, fx, europe, eu, names)


@lru_cache(maxsize=1)
def name_book() -> NameBook:
    states = {r["iso3"]: r["name"] for r in _rows("allied.data", "states.csv")}
    aliases = [
        (r["name"], r["code"], r["kind"], r["group"])
        for r in _rows("allied.data.public", "names.csv")
    ]
    return NameBook(states, aliases)
