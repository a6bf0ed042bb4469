"""The built-in reference dataset, read from the package's ``data`` folder.

See ``allied/data/PROVENANCE.md`` for where each file comes from.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from typing import Any

from allied.domain.accession import Accession
from allied.domain.actors import ORGANISATIONS, Actor, ActorKind, Membership, Role, members_on
from allied.domain.assistance import Offer, Request
from allied.domain.catalogue import Category, ItemType, ValuationBasis
from allied.domain.consent import ConsentPolicy, ConsentRequest, OriginPolicy
from allied.domain.economy import Indicator
from allied.domain.errors import InvalidInput
from allied.domain.funds import Contribution, PooledFund
from allied.service.records import parse_consent, parse_offer, parse_request

SRC_NATO = "NATO public record of accessions (deposit of the instrument of accession)"
SRC_EU = "public record of EU enlargements (first and last day of membership)"
SRC_UDCG = (
    "press reports of UDCG meetings 2022-04-26, 2022-05-23, 2022-06-15, 2024-06-13; "
    "PARTIAL list (about 57 states take part)"
)
SRC_G7 = "public record of G7/G8 summits"
SRC_GDP = "World Bank NY.GDP.MKTP.CD via datasets/gdp (CC BY 4.0)"
SRC_POP = "World Bank SP.POP.TOTL via datasets/population (CC BY 4.0)"
SRC_STATES = "mledoze/countries (ODbL) and restcountries (MPL-2.0)"


@dataclass
class ReferenceDataset:
    actors: list[Actor] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)
    item_types: list[ItemType] = field(default_factory=list)
    consent_policies: list[ConsentPolicy] = field(default_factory=list)
    funds: list[PooledFund] = field(default_factory=list)
    contributions: list[Contribution] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    offers: list[Offer] = field(default_factory=list)
    consents: list[ConsentRequest] = field(default_factory=list)
    accessions: list[Accession] = field(default_factory=list)


def _rows(name: str) -> Iterator[tuple[int, dict[str, str]]]:
    body = resources.files("allied.data").joinpath(name).read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(body, newline=""))
    for row in reader:
        yield reader.line_num, row


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _wrap(name: str, line: int, exc: InvalidInput) -> InvalidInput:
    return exc.at(line=line, source=f"built-in data {name}")


def load_reference_dataset() -> ReferenceDataset:
    """Read every built-in file. Raises ``InvalidInput`` naming file and line on a bad row."""
    ds = ReferenceDataset()
    for _, row in _rows("states.csv"):
        ds.actors.append(Actor(row["iso3"], row["name"], ActorKind.STATE))
    for code, name in ORGANISATIONS.items():
        ds.actors.append(Actor(code, name, ActorKind.ORGANISATION))

    for _, row in _rows("nato_members.csv"):
        ds.memberships.append(
            Membership(
                row["iso3"], "NATO", Role.MEMBER, _date(row["accession_date"]), None, SRC_NATO
            )
        )
    for _, row in _rows("nato_invitees.csv"):
        ds.memberships.append(
            Membership(
                row["iso3"],
                "NATO",
                Role.INVITEE,
                _date(row["invited"]),
                _date(row["last_day_as_invitee"]),
                SRC_NATO + "; " + row["note"],
            )
        )
    for _, row in _rows("eu_members.csv"):
        ds.memberships.append(
            Membership(
                row["iso3"],
                "EU",
                Role.MEMBER,
                _date(row["joined"]),
                _date(row["left"]) if row["left"] else None,
                SRC_EU,
            )
        )
    for _, row in _rows("udcg_participants.csv"):
        role = Role.PARTNER if row["iso3"] == "UKR" else Role.MEMBER
        ds.memberships.append(
            Membership(
                row["iso3"],
                "UDCG",
                role,
                _date(row["first_seen"]),
                None,
                f"{SRC_UDCG}; {row['basis']}",
            )
        )
    for _, row in _rows("g7_members.csv"):
        ds.memberships.append(
            Membership(
                row["iso3"],
                "G7",
                Role.MEMBER,
                _date(row["joined"]),
                _date(row["left"]) if row["left"] else None,
                f"{SRC_G7}; {row['note']}",
            )
        )

    for fname, indicator, source in (
        ("gdp_current_usd.csv", "gdp_usd", SRC_GDP),
        ("population.csv", "population", SRC_POP),
    ):
        for _, row in _rows(fname):
            ds.indicators.append(
                Indicator(row["iso3"], indicator, int(row["year"]), Decimal(row["value"]), source)
            )

    for _, row in _rows("catalogue.csv"):
        ds.item_types.append(
            ItemType(
                code=row["code"],
                name=row["name"],
                category=Category(row["category"]),
                family=row["family"],
                lethal=row["lethal"] == "1",
                unit_value=Decimal(row["unit_value"]) if row["unit_value"] else None,
                valuation_basis=ValuationBasis(row["valuation_basis"])
                if row["valuation_basis"]
                else None,
                calibre_mm=int(row["calibre_mm"]) if row["calibre_mm"] else None,
                source=row["source"],
            )
        )

    for _, row in _rows("scenario/policies.csv"):
        ds.consent_policies.append(
            ConsentPolicy(
                row["origin"], OriginPolicy(row["policy"]), _date(row["since"]), row["source"]
            )
        )
    for _, row in _rows("scenario/funds.csv"):
        ds.funds.append(
            PooledFund(row["code"], row["org"], row["name"], row["channel"], row["source"])
        )
    for _, row in _rows("scenario/contributions.csv"):
        ds.contributions.append(
            Contribution(
                row["id"],
                row["fund"],
                row["contributor"],
                Decimal(row["amount_eur"]),
                _date(row["on"]),
                row["source"],
            )
        )
    ds.requests = _parsed("scenario/requests.csv", parse_request)
    ds.offers = _parsed("scenario/offers.csv", parse_offer)
    ds.consents = _parsed("scenario/consents.csv", parse_consent)
    ds.accessions = _accessions(ds.memberships)
    return ds


def _accessions(memberships: list[Membership]) -> list[Accession]:
    """The reference accession episodes, replayed through the domain's own steps."""
    ratified: dict[str, list[dict[str, str]]] = {}
    for _, row in _rows("scenario/ratifications.csv"):
        ratified.setdefault(row["accession_id"], []).append(row)
    out = []
    for _, row in _rows("scenario/accessions.csv"):
        acc = Accession(
            row["id"], row["candidate"], row["org"], _date(row["applied_on"]), source=row["source"]
        )
        acc.invite(_date(row["invited_on"]))
        signed = _date(row["signed_on"])
        acc.sign(signed, members_on(memberships, acc.org, signed))
        for r in sorted(ratified.get(acc.id, []), key=lambda r: (r["on"], r["state"])):
            acc.ratify(r["state"], _date(r["on"]), r["source"])
        if row["member_from"]:
            acc.join(_date(row["member_from"]))
        out.append(acc)
    return out


def _parsed(name: str, parse: Any) -> list[Any]:
    out = []
    for line, row in _rows(name):
        record = {k: v for k, v in row.items() if v != ""}
        try:
            out.append(parse(record))
        except InvalidInput as exc:
            raise _wrap(name, line, exc) from None
    return out
