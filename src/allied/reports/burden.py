"""Burden-sharing: who gives what, against what they could give.

Per donor: aid allocated by type (military, financial, humanitarian) in EUR billion,
its share of the total of all donors shown, its share of GDP and per capita; then the
same by group: the United States, EU institutions, EU member states, other Europe,
others, and the "European pillar" (EU institutions, EU member states and other Europe
together), against the total.

Share of GDP, by default on Kiel's basis: allocations over the donor's 2021 GDP as the
Tracker gives it, in EUR, so the figures are the Tracker's own. With ``gdp_year`` the
denominator is the World Bank's GDP of that year (current US$, shipped with allied)
converted to euro at the ECB's annual average US dollar/euro reference rate of the same
year. Per capita divides by the World Bank population of the GDP year (2021 on Kiel's
basis).

Attribution of EU-institution aid back to the member states is off by default, as
Kiel reports it. With ``attribute_eu`` every month's EU-institution aid is shared out
among the states that were EU members in that month, in proportion to their GDP of the
GDP year (World Bank): a stand-in for the GNI-based own resource, the largest part of
what member states pay into the EU budget. The EU institutions then no longer appear.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from allied.domain.errors import InvalidInput
from allied.reports.data import (
    FX_SOURCE,
    GDP_SOURCE,
    KIEL_SOURCE,
    POPULATION_SOURCE,
    ReferenceFigures,
)
from allied.reports.donors import EU_INSTITUTIONS
from allied.reports.model import Period, Report, pct
from allied.reports.records import KielMonth

KIEL_GDP_YEAR = 2021
TYPES = ("military", "financial", "humanitarian")

GROUPS = {
    "us": "United States",
    "eu-institutions": "EU institutions",
    "eu-members": "EU member states",
    "other-europe": "Other Europe",
    "others": "Others",
}
AGGREGATES = {
    "european-pillar": ("European pillar", ("eu-institutions", "eu-members", "other-europe")),
    "total": ("All donors", tuple(GROUPS)),
}

DONOR_COLUMNS = [
    "rank",
    "code",
    "name",
    "group",
    "military_eur_bn",
    "financial_eur_bn",
    "humanitarian_eur_bn",
    "total_eur_bn",
    "share_of_total_pct",
    "gdp_eur_bn",
    "pct_gdp",
    "population",
    "per_capita_eur",
    "committed_eur_bn",
    "eu_attributed_eur_bn",
    "months",
]
GROUP_COLUMNS = [
    "group",
    "name",
    "donors",
    "military_eur_bn",
    "financial_eur_bn",
    "humanitarian_eur_bn",
    "total_eur_bn",
    "share_of_total_pct",
    "gdp_eur_bn",
    "pct_gdp",
    "population",
    "per_capita_eur",
]


@dataclass
class _Donor:
    code: str
    name: str
    kind: str
    group: str
    amounts: dict[str, float] = field(default_factory=lambda: dict.fromkeys(TYPES, 0.0))
    committed: float = 0.0
    attributed: float = 0.0
    kiel_gdp: float | None = None
    months: int = 0

    @property
    def total(self) -> float:
        return sum(self.amounts.values())


def group_of(code: str, kind: str, group: str, eu: frozenset[str], europe: frozenset[str]) -> str:
    if group == EU_INSTITUTIONS:
        return "eu-institutions"
    if code == "USA":
        return "us"
    if kind == "state" and code in eu:
        return "eu-members"
    if kind == "state" and code in europe:
        return "other-europe"
    return "others"


def eu_key(figures: ReferenceFigures, members: frozenset[str], year: int) -> dict[str, float]:
    """Each member's share of the members' GDP in ``year`` (World Bank), summing to 1."""
    gdp = {c: figures.gdp_usd.get((c, year)) for c in members}
    missing = sorted(c for c, v in gdp.items() if v is None)
    if missing:
        raise InvalidInput(
            f"no GDP for EU member(s) {', '.join(missing)} in {year} to attribute EU aid",
            field="gdp_year",
        )
    whole = sum(float(v) for v in gdp.values() if v is not None)
    return {c: float(v) / whole for c, v in gdp.items() if v is not None}


def burden(
    months: Sequence[KielMonth],
    figures: ReferenceFigures,
    *,
    period: Period | None = None,
    gdp_year: int | None = None,
    attribute_eu: bool = False,
    release: str | None = None,
) -> Report:
    """The burden-sharing report over Kiel allocations (pure; no I/O)."""
    period = period or Period()
    year = gdp_year or KIEL_GDP_YEAR
    if gdp_year is not None and gdp_year not in figures.usd_per_eur:
        raise InvalidInput(
            f"no exchange rate for {gdp_year}; GDP years available: "
            + ", ".join(str(y) for y in sorted(figures.usd_per_eur)),
            field="gdp_year",
        )
    until = period.end or dt.date.today()
    eu_now = figures.eu_members_on(until)
    donors: dict[str, _Donor] = {}
    keys: dict[dt.date, dict[str, float]] = {}

    def donor(code: str, name: str, kind: str, group: str) -> _Donor:
        if code not in donors:
            donors[code] = _Donor(
                code, name, kind, group_of(code, kind, group, eu_now, figures.europe)
            )
        return donors[code]

    for m in months:
        if not period.has_month(m.year, m.month):
            continue
        if attribute_eu and m.donor_group == EU_INSTITUTIONS:
            day = dt.date(m.year, m.month, 1)
            if day not in keys:
                keys[day] = eu_key(figures, figures.eu_members_on(day), year)
            for code, share in keys[day].items():
                d = donor(code, figures.names.get(code, code), "state", "")
                for t in TYPES:
                    d.amounts[t] += float(getattr(m, t)) * share
                d.attributed += float(m.total) * share
            continue
        d = donor(m.donor, m.donor_name, m.donor_kind, m.donor_group)
        for t in TYPES:
            d.amounts[t] += float(getattr(m, t))
        d.committed += float(m.commitments or 0)
        d.months += 1
        if m.gdp_eur_bn is not None:
            d.kiel_gdp = float(m.gdp_eur_bn)

    grand = sum(d.total for d in donors.values())
    rows: list[dict[str, Any]] = []
    for rank, d in enumerate(sorted(donors.values(), key=lambda d: (-d.total, d.code)), 1):
        gdp = _gdp(d, figures, gdp_year)
        pop = figures.population.get((d.code, year)) if d.kind == "state" else None
        rows.append(
            {
                "rank": rank,
                "code": d.code,
                "name": d.name,
                "group": d.group,
                **{f"{t}_eur_bn": d.amounts[t] for t in TYPES},
                "total_eur_bn": d.total,
                "share_of_total_pct": pct(d.total, grand),
                "gdp_eur_bn": gdp,
                "pct_gdp": pct(d.total, gdp) if gdp else None,
                "population": pop,
                "per_capita_eur": d.total * 1e9 / pop if pop else None,
                "committed_eur_bn": d.committed,
                "eu_attributed_eur_bn": d.attributed if attribute_eu else None,
                "months": d.months,
            }
        )
    groups = _groups(rows, grand)
    basis = (
        f"Kiel's donor GDP 2021 in EUR ({KIEL_SOURCE})"
        if gdp_year is None
        else f"GDP {gdp_year} ({GDP_SOURCE}) at {figures.usd_per_eur[gdp_year]} US$ per EUR "
        f"({FX_SOURCE} {gdp_year})"
    )
    notes = [
        "Amounts are Kiel's allocations (aid earmarked for delivery), EUR billion, "
        "summed over the months of the period.",
        f"Share of GDP: allocations / {basis} x 100.",
        f"Per capita: allocations / population {year} ({POPULATION_SOURCE}).",
        "EU member states are those in the EU on "
        f"{until.isoformat()}; other Europe is the rest of UN M49 Europe.",
    ]
    if attribute_eu:
        notes.append(
            "EU-institution aid attributed to member states by their share of the members' "
            f"GDP {year} (World Bank), month by month; eu_attributed_eur_bn shows it."
        )
    else:
        notes.append("EU-institution aid shown on its own, as Kiel reports it.")
    sources = [release or KIEL_SOURCE, POPULATION_SOURCE]
    if gdp_year is not None or attribute_eu:
        sources += [GDP_SOURCE, FX_SOURCE]
    return Report(
        name="burden",
        title="Burden-sharing: aid allocated to Ukraine by donor",
        tables={"donors": rows, "groups": groups},
        columns={"donors": DONOR_COLUMNS, "groups": GROUP_COLUMNS},
        period=period,
        options={
            "gdp_basis": "kiel-2021" if gdp_year is None else f"world-bank-{gdp_year}",
            "gdp_year": year,
            "attribute_eu": attribute_eu,
            "usd_per_eur": float(figures.usd_per_eur[gdp_year]) if gdp_year else None,
        },
        sources=sources,
        notes=notes,
        brief={
            "donors": [
                "code",
                "name",
                "military_eur_bn",
                "financial_eur_bn",
                "humanitarian_eur_bn",
                "total_eur_bn",
                "share_of_total_pct",
                "pct_gdp",
                "per_capita_eur",
            ],
            "groups": [
                "name",
                "donors",
                "total_eur_bn",
                "share_of_total_pct",
                "pct_gdp",
                "per_capita_eur",
            ],
        },
    )


def _gdp(d: _Donor, figures: ReferenceFigures, gdp_year: int | None) -> float | None:
    if gdp_year is None:
        if d.kiel_gdp is not None:
            return d.kiel_gdp
        if d.attributed and d.kind == "state":
            # A member shown only through attributed EU aid: Kiel's basis for it is the
            # World Bank's 2021 GDP at the 2021 rate, as Kiel converts.
            usd = figures.gdp_usd.get((d.code, KIEL_GDP_YEAR))
            rate = figures.usd_per_eur.get(KIEL_GDP_YEAR)
            return float(usd / rate) / 1e9 if usd is not None and rate else None
        return None
    if d.kind != "state":
        return None
    usd = figures.gdp_usd.get((d.code, gdp_year))
    if usd is None:
        return None
    return float(usd / figures.usd_per_eur[gdp_year]) / 1e9


def _groups(rows: list[dict[str, Any]], grand: float) -> list[dict[str, Any]]:
    def summary(key: str, name: str, members: tuple[str, ...]) -> dict[str, Any]:
        chosen = [r for r in rows if r["group"] in members]
        sums = {t: sum(r[f"{t}_eur_bn"] for r in chosen) for t in TYPES}
        total = sum(sums.values())
        with_gdp = [r for r in chosen if r["gdp_eur_bn"]]
        gdp = sum(r["gdp_eur_bn"] for r in with_gdp) or None
        with_pop = [r for r in chosen if r["population"]]
        pop = sum(r["population"] for r in with_pop) or None
        return {
            "group": key,
            "name": name,
            "donors": len(chosen),
            **{f"{t}_eur_bn": sums[t] for t in TYPES},
            "total_eur_bn": total,
            "share_of_total_pct": pct(total, grand),
            "gdp_eur_bn": gdp,
            # Share of GDP and per capita over the donors that have a GDP / population.
            "pct_gdp": pct(sum(r["total_eur_bn"] for r in with_gdp), gdp) if gdp else None,
            "population": pop,
            "per_capita_eur": sum(r["total_eur_bn"] for r in with_pop) * 1e9 / pop if pop else None,
        }

    out = [summary(k, n, (k,)) for k, n in GROUPS.items()]
    out += [summary(k, n, members) for k, (n, members) in AGGREGATES.items()]
    return out


def parse_gdp_year(value: Any) -> int | None:
    if value is None or value == "" or str(value).strip().lower() == "kiel":
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        raise InvalidInput(f"expected a year or 'kiel', got {value!r}", field="gdp_year") from None


__all__ = ["KIEL_GDP_YEAR", "burden", "eu_key", "group_of", "parse_gdp_year"]
