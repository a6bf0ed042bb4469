"""Modelled allies and partners, parameterised from the shipped data.

Every array is indexed like ``ActorTable.codes`` (sorted ISO3 codes). Sources and the
defaults used where a figure is missing are in ``docs/lab.md`` and
``allied/data/lab/PROVENANCE.md``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np
import numpy.typing as npt

from allied.domain.actors import Membership, Role, members_on
from allied.domain.consent import OriginPolicy
from allied.ingest.reference import load_reference_dataset

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

PARAMETER_YEAR = 2021  # the last pre-war year: GDP, population, defence effort
DEFAULT_MILEX_PCT = 1.0  # ASSUMPTION for states SIPRI's extract lacks (Iceland: no armed forces)
DEFAULT_TRANSACTIONALISM = 0.1  # ASSUMPTION for states not in assumptions.csv
DEFAULT_ORIGIN_POLICY = OriginPolicy.CASE_BY_CASE  # the domain's "no policy" behaves alike
MODELLED_ORGS = ("NATO", "EU", "UDCG")


def _rows(name: str) -> Iterator[dict[str, str]]:
    body = resources.files("allied.data").joinpath(name).read_text(encoding="utf-8")
    yield from csv.DictReader(io.StringIO(body, newline=""))


@dataclass(frozen=True)
class ActorTable:
    """The modelled actors and their parameters (one entry per actor, same order)."""

    codes: tuple[str, ...]
    names: tuple[str, ...]
    gdp_usd: FloatArray
    population: npt.NDArray[np.int64]
    milex_pct: FloatArray
    milex_imputed: BoolArray
    kiel_pct_gdp: FloatArray  # aid allocated 2022-2024 as % of 2021 GDP; nan where absent
    kiel_by_year: dict[int, FloatArray]
    borders_russia_belarus: BoolArray
    dist_moscow_km: FloatArray
    gas_russia_pct: FloatArray
    gas_imputed: BoolArray
    transactionalism: FloatArray
    origin_policy: tuple[OriginPolicy, ...]
    memberships: tuple[Membership, ...] = field(repr=False)
    population_by_year: dict[int, npt.NDArray[np.int64]] = field(default_factory=dict, repr=False)

    def population_for(self, day: dt.date) -> npt.NDArray[np.int64]:
        """Population for QMV on ``day``: the World Bank figure for the year before, or
        the latest earlier year shipped (as the clearinghouse does)."""
        years = [y for y in self.population_by_year if y <= day.year - 1]
        return self.population_by_year[max(years)] if years else self.population

    @property
    def n(self) -> int:
        return len(self.codes)

    def index(self, code: str) -> int:
        try:
            return self.codes.index(code)
        except ValueError:
            from allied.domain.errors import UnknownActor

            raise UnknownActor(code) from None

    def members(self, org: str, day: dt.date, roles: Iterable[Role] = (Role.MEMBER,)) -> BoolArray:
        """Mask of the modelled actors that hold a role in ``org`` on ``day``."""
        on = set(members_on(self.memberships, org, day, roles))
        return np.array([c in on for c in self.codes], dtype=bool)

    def proximity(self) -> FloatArray:
        """Threat proximity in [0, 1]: 1 for a border with Russia or Belarus, else
        ``1000 km / distance`` of the capital from Moscow, capped at 1."""
        near = np.minimum(1.0, 1000.0 / np.maximum(self.dist_moscow_km, 1.0))
        out: FloatArray = np.where(self.borders_russia_belarus, 1.0, near)
        return out

    def default_support(self) -> FloatArray:
        """Default position on supporting Ukraine, in [0, 1] (ASSUMPTION, docs/lab.md).

        ``sigmoid(-1 + 2.5*proximity + 0.5*(milex - 2) - 1.5*gas_share - 2*transactionalism)``
        """
        z = (
            -1.0
            + 2.5 * self.proximity()
            + 0.5 * (self.milex_pct - 2.0)
            - 1.5 * self.gas_russia_pct / 100.0
            - 2.0 * self.transactionalism
        )
        out: FloatArray = 1.0 / (1.0 + np.exp(-z))
        return out

    def default_salience(self) -> FloatArray:
        """Default salience in [0.3, 1]: ``0.3 + 0.7 * proximity`` (ASSUMPTION)."""
        out: FloatArray = 0.3 + 0.7 * self.proximity()
        return out

    def weight(self) -> FloatArray:
        """Capability weight: share of modelled GDP."""
        out: FloatArray = self.gdp_usd / self.gdp_usd.sum()
        return out


def _latest(values: dict[int, float], year: int) -> float | None:
    years = [y for y in values if y <= year]
    return values[max(years)] if years else None


@lru_cache(maxsize=1)
def load_actors() -> ActorTable:
    """The modelled actors: every state that is a NATO or EU member or a known UDCG
    participant at any time from 2022-01-01 to 2024-12-31 (Ukraine is the recipient and
    is not modelled), with parameters from the shipped data."""
    ref = load_reference_dataset()
    memberships = tuple(ref.memberships)
    window_start, window_end = dt.date(2022, 1, 1), dt.date(2024, 12, 31)
    codes = sorted(
        {
            m.actor
            for m in memberships
            if m.org in MODELLED_ORGS
            and m.start <= window_end
            and (m.end is None or m.end >= window_start)
            and m.actor != "UKR"
        }
    )
    names = {a.code: a.name for a in ref.actors}
    series: dict[tuple[str, str], dict[int, float]] = {}
    for ind in ref.indicators:
        series.setdefault((ind.actor, ind.name), {})[ind.year] = float(ind.value)
    states = {r["iso3"]: r for r in _rows("states.csv")}
    milex: dict[str, float] = {}
    for r in _rows("lab/milex_share_gdp.csv"):
        if int(r["year"]) == PARAMETER_YEAR:
            milex[r["iso3"]] = float(r["milex_share_gdp_pct"])
    gas = {
        r["iso3"]: float(r["gas_share_from_russia_pct"]) for r in _rows("lab/gas_russia_2020.csv")
    }
    assumptions = {r["iso3"]: r for r in _rows("lab/assumptions.csv")}
    kiel_total: dict[str, float] = {}
    kiel_year: dict[int, dict[str, float]] = {}
    kiel_gdp: dict[str, float] = {}
    for r in _rows("lab/kiel_aid.csv"):
        iso, year = r["iso3"], int(r["year"])
        kiel_total[iso] = kiel_total.get(iso, 0.0) + float(r["total_eur_bn"])
        kiel_year.setdefault(year, {})[iso] = float(r["total_eur_bn"])
        kiel_gdp[iso] = float(r["gdp_2021_eur_bn"])

    def pct(values: dict[str, float]) -> FloatArray:
        return np.array([100.0 * values[c] / kiel_gdp[c] if c in values else np.nan for c in codes])

    gdp = []
    pop = []
    for c in codes:
        g = _latest(series.get((c, "gdp_usd"), {}), PARAMETER_YEAR)
        p = _latest(series.get((c, "population"), {}), PARAMETER_YEAR)
        if g is None or p is None:
            from allied.domain.errors import InvalidInput

            raise InvalidInput(f"no GDP or population figure for {c}", field="actor")
        gdp.append(g)
        pop.append(int(p))
    return ActorTable(
        codes=tuple(codes),
        names=tuple(names.get(c, c) for c in codes),
        gdp_usd=np.array(gdp),
        population=np.array(pop, dtype=np.int64),
        milex_pct=np.array([milex.get(c, DEFAULT_MILEX_PCT) for c in codes]),
        milex_imputed=np.array([c not in milex for c in codes]),
        kiel_pct_gdp=pct(kiel_total),
        kiel_by_year={y: pct(v) for y, v in sorted(kiel_year.items())},
        borders_russia_belarus=np.array(
            [
                states[c]["borders_russia"] == "1" or states[c]["borders_belarus"] == "1"
                for c in codes
            ]
        ),
        dist_moscow_km=np.array([float(states[c]["dist_capital_to_moscow_km"]) for c in codes]),
        gas_russia_pct=np.array([gas.get(c, 0.0) for c in codes]),
        gas_imputed=np.array([c not in gas for c in codes]),
        transactionalism=np.array(
            [
                float(assumptions[c]["transactionalism"])
                if c in assumptions
                else DEFAULT_TRANSACTIONALISM
                for c in codes
            ]
        ),
        origin_policy=tuple(
            OriginPolicy(assumptions[c]["origin_policy"])
            if c in assumptions
            else DEFAULT_ORIGIN_POLICY
            for c in codes
        ),
        memberships=memberships,
        population_by_year=_population_by_year(codes, series),
    )


def _population_by_year(
    codes: list[str], series: dict[tuple[str, str], dict[int, float]]
) -> dict[int, npt.NDArray[np.int64]]:
    years = sorted({y for c in codes for y in series.get((c, "population"), {})})
    out: dict[int, npt.NDArray[np.int64]] = {}
    for year in years:
        values = [_latest(series.get((c, "population"), {}), year) for c in codes]
        if all(v is not None for v in values):
            out[year] = np.array([int(v) for v in values if v is not None], dtype=np.int64)
    return out
