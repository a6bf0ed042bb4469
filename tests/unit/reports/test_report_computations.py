"""The reports as pure functions over plain records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allied.domain.assistance import Allocation, AllocationStatus, Channel, Offer, Request
from allied.domain.errors import InvalidInput
from allied.reports.burden import burden, eu_key, parse_gdp_year
from allied.reports.data import EuMembership, ReferenceFigures, reference_figures
from allied.reports.deliveries import deliveries
from allied.reports.gaps import gaps
from allied.reports.model import Period
from allied.reports.predictability import predictability
from allied.reports.records import KielMonth, SipriTransfer

D = Decimal


def month(
    donor: str,
    year: int,
    mon: int,
    *,
    mil: str = "0",
    fin: str = "0",
    hum: str = "0",
    committed: str | None = None,
    gdp: str | None = "100",
    kind: str = "state",
    group: str = "",
) -> KielMonth:
    total = D(mil) + D(fin) + D(hum)
    return KielMonth(
        donor=donor,
        donor_name=donor.title(),
        donor_kind=kind,
        donor_group=group,
        year=year,
        month=mon,
        total=total,
        financial=D(fin),
        humanitarian=D(hum),
        military=D(mil),
        commitments=D(committed) if committed is not None else total,
        to_be_allocated=(D(committed) - total) if committed is not None else D(0),
        gdp_eur_bn=D(gdp) if gdp else None,
        pct_gdp=total / D(gdp) * 100 if gdp else None,
        source="test release",
    )


FIGURES = ReferenceFigures(
    gdp_usd={
        ("USA", 2023): D("220e9"),
        ("DEU", 2023): D("110e9"),
        ("DEU", 2021): D("300e9"),
        ("FRA", 2021): D("100e9"),
    },
    population={("USA", 2021): 1000, ("DEU", 2021): 500, ("USA", 2023): 1100},
    usd_per_eur={2021: D("1.2"), 2023: D("1.1")},
    europe=frozenset({"DEU", "FRA", "NOR"}),
    eu=(
        EuMembership("DEU", dt.date(1958, 1, 1), None),
        EuMembership("FRA", dt.date(1958, 1, 1), None),
    ),
    names={"DEU": "Germany", "FRA": "France", "USA": "United States", "NOR": "Norway"},
)

MONTHS = [
    month("USA", 2022, 3, mil="6", fin="3", hum="1", gdp="1000"),
    month("USA", 2023, 1, mil="4", gdp="1000"),
    month("DEU", 2022, 3, mil="2", hum="1", gdp="200"),
    month("NOR", 2023, 2, fin="1", gdp="50"),
    month("JPN", 2023, 2, hum="1", gdp="400"),
    month("EU", 2022, 4, fin="8", gdp=None, kind="organisation", group="eu-institutions"),
]


def by_code(rows: list[dict[str, object]], key: str = "code") -> dict[object, dict[str, object]]:
    return {r[key]: r for r in rows}


def test_burden_sums_types_shares_and_groups() -> None:
    report = burden(MONTHS, FIGURES, period=Period(end=dt.date(2024, 1, 1)))
    donors = by_code(report.tables["donors"])
    assert [r["code"] for r in report.tables["donors"]] == ["USA", "EU", "DEU", "JPN", "NOR"]
    usa = donors["USA"]
    assert (usa["military_eur_bn"], usa["financial_eur_bn"], usa["total_eur_bn"]) == (10, 3, 14)
    assert usa["share_of_total_pct"] == pytest.approx(14 / 27 * 100)
    assert usa["pct_gdp"] == pytest.approx(1.4)
    assert usa["per_capita_eur"] == pytest.approx(14e9 / 1000)
    assert donors["EU"]["pct_gdp"] is None and donors["EU"]["group"] == "eu-institutions"
    assert donors["DEU"]["group"] == "eu-members" and donors["NOR"]["group"] == "other-europe"
    assert donors["JPN"]["group"] == "others" and donors["JPN"]["population"] is None
    groups = by_code(report.tables["groups"], "group")
    assert groups["european-pillar"]["total_eur_bn"] == 8 + 3 + 1
    assert groups["total"]["total_eur_bn"] == 27 and groups["total"]["donors"] == 5
    assert groups["eu-members"]["pct_gdp"] == pytest.approx(3 / 200 * 100)
    assert report.options["gdp_basis"] == "kiel-2021"


def test_burden_period_keeps_whole_months() -> None:
    report = burden(MONTHS, FIGURES, period=Period(dt.date(2023, 1, 31), dt.date(2023, 2, 1)))
    assert {r["code"]: r["total_eur_bn"] for r in report.tables["donors"]} == {
        "USA": 4,
        "NOR": 1,
        "JPN": 1,
    }
    with pytest.raises(InvalidInput, match="before it starts"):
        Period(dt.date(2023, 2, 1), dt.date(2023, 1, 1))


def test_burden_on_another_gdp_year_converts_world_bank_gdp_at_the_ecb_rate() -> None:
    report = burden(MONTHS, FIGURES, gdp_year=2023)
    donors = by_code(report.tables["donors"])
    # 220e9 US$ / 1.1 US$ per EUR = 200 bn EUR
    assert donors["USA"]["gdp_eur_bn"] == pytest.approx(200)
    assert donors["USA"]["pct_gdp"] == pytest.approx(14 / 200 * 100)
    assert donors["USA"]["per_capita_eur"] == pytest.approx(14e9 / 1100)
    assert donors["JPN"]["gdp_eur_bn"] is None and donors["JPN"]["pct_gdp"] is None
    assert report.options["usd_per_eur"] == pytest.approx(1.1)
    with pytest.raises(InvalidInput, match="no exchange rate for 2019"):
        burden(MONTHS, FIGURES, gdp_year=2019)


def test_attributing_eu_aid_shares_it_by_gdp_and_keeps_the_total() -> None:
    plain = burden(MONTHS, FIGURES, period=Period(end=dt.date(2024, 1, 1)))
    shared = burden(MONTHS, FIGURES, period=Period(end=dt.date(2024, 1, 1)), attribute_eu=True)
    donors = by_code(shared.tables["donors"])
    assert "EU" not in donors
    assert donors["DEU"]["eu_attributed_eur_bn"] == pytest.approx(6)  # 8 * 300/(300+100)
    assert donors["FRA"]["eu_attributed_eur_bn"] == pytest.approx(2)
    assert donors["DEU"]["financial_eur_bn"] == pytest.approx(6)
    assert donors["FRA"]["gdp_eur_bn"] == pytest.approx(100 / 1.2)  # World Bank 2021 at 2021 rate
    total = by_code(shared.tables["groups"], "group")["total"]["total_eur_bn"]
    assert total == pytest.approx(by_code(plain.tables["groups"], "group")["total"]["total_eur_bn"])
    assert eu_key(FIGURES, frozenset({"DEU", "FRA"}), 2021) == {"DEU": 0.75, "FRA": 0.25}
    with pytest.raises(InvalidInput, match="no GDP for EU member"):
        eu_key(FIGURES, frozenset({"DEU", "ITA"}), 2021)


def test_gdp_year_option() -> None:
    assert parse_gdp_year(None) is None and parse_gdp_year("kiel") is None
    assert parse_gdp_year("2023") == 2023
    with pytest.raises(InvalidInput):
        parse_gdp_year("last year")


amounts = st.decimals(min_value=0, max_value=50, places=3, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["USA", "DEU", "FRA", "NOR", "JPN", "EU"]), amounts, amounts),
        min_size=1,
        max_size=12,
    ),
    st.booleans(),
)
def test_burden_totals_add_up_whatever_the_data(
    rows: list[tuple[str, Decimal, Decimal]], attribute: bool
) -> None:
    months = []
    for i, (code, mil, hum) in enumerate(rows):
        eu = code == "EU"
        months.append(
            month(
                code,
                2022 + i // 12,
                i % 12 + 1,
                mil=str(mil),
                hum=str(hum),
                gdp=None if eu else "100",
                kind="organisation" if eu else "state",
                group="eu-institutions" if eu else "",
            )
        )
    report = burden(months, FIGURES, attribute_eu=attribute)
    grand = float(sum(m.total for m in months))
    donors = report.tables["donors"]
    assert sum(r["total_eur_bn"] for r in donors) == pytest.approx(grand, abs=1e-9)
    for r in donors:
        parts = r["military_eur_bn"] + r["financial_eur_bn"] + r["humanitarian_eur_bn"]
        assert parts == pytest.approx(r["total_eur_bn"], abs=1e-9)
    groups = by_code(report.tables["groups"], "group")
    five = sum(
        groups[g]["total_eur_bn"]
        for g in ("us", "eu-institutions", "eu-members", "other-europe", "others")
    )
    assert five == pytest.approx(groups["total"]["total_eur_bn"], abs=1e-9)
    if grand:
        assert sum(r["share_of_total_pct"] for r in donors) == pytest.approx(100)


def test_predictability_tracks_committed_against_allocated() -> None:
    months = [
        month("DEU", 2022, 3, mil="1", committed="4"),
        month("DEU", 2022, 5, mil="3", committed="0"),
        month("EU", 2022, 4, fin="2", committed="10", gdp=None, group="eu-institutions"),
    ]
    report = predictability(months)
    donors = by_code(report.tables["donors"])
    assert donors["DEU"]["committed_eur_bn"] == 4 and donors["DEU"]["allocated_eur_bn"] == 4
    assert donors["DEU"]["to_be_allocated_pct"] == 0
    assert donors["EU"]["to_be_allocated_pct"] == pytest.approx(80)
    assert donors["EU"]["channel"] == "eu-institutions"
    assert donors["DEU"]["months"] == 3 and donors["DEU"]["months_with_allocations"] == 2
    series = [r for r in report.tables["series"] if r["channel"] == "all"]
    assert [r["month"] for r in series] == ["2022-03", "2022-04", "2022-05"]
    assert [r["committed_cum_eur_bn"] for r in series] == [4, 14, 14]
    assert [r["allocated_cum_eur_bn"] for r in series] == [1, 3, 6]
    assert series[-1]["to_be_allocated_pct"] == pytest.approx(8 / 14 * 100)
    assert "still to be allocated" in report.notes[0]


def _offer(oid: str, donor: str, family: str, qty: int, channel: Channel) -> Offer:
    return Offer(oid, donor, family, qty, dt.date(2023, 1, 1), channel=channel)


def _alloc(aid: str, offer: str, request: str, qty: int, status: AllocationStatus) -> Allocation:
    return Allocation(aid, offer, request, qty, status=status)


S = AllocationStatus
REQUESTS = [
    Request("R1", "UKR", "155mm-nato", 1000, 5, dt.date(2023, 6, 1)),
    Request("R2", "UKR", "sam-iris-t", 4, 5, dt.date(2023, 9, 1)),
    Request("R3", "UKR", "apc", 50, 3, dt.date(2025, 1, 1)),
]
OFFERS = [
    _offer("O1", "DEU", "155mm-nato", 600, Channel.BILATERAL),
    _offer("O2", "DEU", "sam-iris-t", 2, Channel.UDCG),
    _offer("O3", "NLD", "155mm-nato", 300, Channel.EU_EPF),
]
ALLOCATIONS = [
    _alloc("A1", "O1", "R1", 500, S.DELIVERED),
    _alloc("A2", "O3", "R1", 300, S.SHIPPED),
    _alloc("A3", "O2", "R2", 2, S.PROPOSED),
    _alloc("A4", "O1", "R1", 100, S.WITHDRAWN),
]


def test_gaps_per_family() -> None:
    report = gaps(REQUESTS, OFFERS, ALLOCATIONS)
    rows = by_code(report.tables["families"], "family")
    r = rows["155mm-nato"]
    assert (r["requested"], r["offered"], r["pledged"], r["delivered"]) == (1000, 900, 800, 500)
    assert (r["gap_pledged"], r["gap_delivered"]) == (200, 500)
    assert r["delivered_pct"] == 50
    assert rows["sam-iris-t"]["pledged"] == 0  # a proposal is not a pledge
    assert rows["apc"]["gap_pledged"] == 50
    within = gaps(REQUESTS, OFFERS, ALLOCATIONS, period=Period(end=dt.date(2024, 1, 1)))
    assert "apc" not in by_code(within.tables["families"], "family")


def test_predictability_clearinghouse_by_donor_and_channel() -> None:
    report = predictability([], OFFERS, ALLOCATIONS)
    rows = {(r["donor"], r["channel"]): r for r in report.tables["clearinghouse"]}
    assert rows[("DEU", "bilateral")]["pledged"] == 500
    assert rows[("DEU", "bilateral")]["delivered_of_pledged_pct"] == 100
    assert rows[("NLD", "eu-epf")]["shipped"] == 300 and rows[("NLD", "eu-epf")]["delivered"] == 0
    assert rows[("DEU", "udcg")]["pledged"] == 0 and rows[("DEU", "udcg")]["offered"] == 2


def deal(
    supplier: str,
    year: int,
    family: str | None,
    tiv: str,
    *,
    unsure: bool = False,
    delivered: int | None = 1,
) -> SipriTransfer:
    return SipriTransfer(
        key=f"{supplier}{year}{family}{tiv}",
        recipient="UKR",
        recipient_name="Ukraine",
        supplier=supplier,
        supplier_name=supplier.title(),
        supplier_kind="state",
        order_year=year,
        order_year_uncertain=False,
        ordered=2,
        ordered_uncertain=unsure,
        designation="X",
        description="APC",
        delivered=delivered,
        delivered_uncertain=False,
        delivery_years=(year,),
        status="New",
        comments="",
        tiv_unit=D("1"),
        tiv_order=D(tiv),
        tiv_delivered=D(tiv) / 2,
        calibre_mm=None,
        family=family,
    )


def test_deliveries_by_supplier_family_and_year() -> None:
    deals = [
        deal("DEU", 2022, "155mm-nato", "10"),
        deal("DEU", 2022, "155mm-nato", "4", unsure=True),
        deal("DEU", 2023, None, "2"),
        deal("USA", 2023, None, "20", delivered=None),
    ]
    report = deliveries(deals)
    detail = {(r["supplier"], r["family"], r["year"]): r for r in report.tables["deliveries"]}
    assert detail[("DEU", "155mm-nato", 2022)]["deals"] == 2
    assert detail[("DEU", "155mm-nato", 2022)]["tiv_delivered"] == 7
    assert detail[("DEU", "155mm-nato", 2022)]["uncertain_deals"] == 1
    assert detail[("DEU", "APC", 2023)]["deals"] == 1
    suppliers = by_code(report.tables["suppliers"], "supplier")
    assert suppliers["USA"]["share_of_tiv_delivered_pct"] == pytest.approx(10 / 18 * 100)
    assert suppliers["DEU"]["delivered_tiv_pct"] == 50
    years = predictability([], (), (), deals).tables["sipri_by_year"]
    assert [
        (r["year"], r["deals"], r["tiv_order"], r["deals_nothing_delivered"]) for r in years
    ] == [
        (2022, 2, 14.0, 0),
        (2023, 2, 22.0, 1),
    ]
    assert years[1]["delivered_tiv_pct"] == 50
    only_2023 = deliveries(deals, period=Period(dt.date(2023, 1, 1)))
    assert {r["year"] for r in only_2023.tables["deliveries"]} == {2023}


def test_reference_figures_cover_every_eu_member_and_the_kiel_fx_year() -> None:
    figures = reference_figures()
    members = figures.eu_members_on(dt.date(2024, 1, 1))
    assert len(members) == 27 and "GBR" not in members
    assert "GBR" in figures.eu_members_on(dt.date(2019, 1, 1))
    assert all((c, 2021) in figures.gdp_usd for c in members)
    assert figures.usd_per_eur[2021] == D("1.1827")
    # Kiel's GDP 2021 in EUR is the World Bank's 2021 GDP at the ECB 2021 rate (Czechia).
    czech = float(figures.gdp_usd[("CZE", 2021)] / figures.usd_per_eur[2021]) / 1e9
    assert czech == pytest.approx(238.241552030118, rel=0.001)
