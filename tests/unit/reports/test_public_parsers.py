"""The Kiel and SIPRI readers: the shipped files, any donor, "?" kept, malformed rows."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest

from allied.domain.errors import InvalidInput
from allied.ingest.kiel import builtin_kiel_path, parse_kiel, read_kiel
from allied.ingest.sipri import (
    builtin_sipri_path,
    calibre_of,
    family_for,
    parse_sipri,
    parse_sipri_report,
    read_sipri,
    read_sipri_report,
)
from allied.reports.donors import NameBook, derived_code, normalise

KIEL_HEADER = (
    '"country","iso","year","month","total","financial","humanitarian","military",'
    '"commitments","to_be_allocated","gdp","pct_gdp"'
)
SIPRI_HEADER = (
    "Recipient,Supplier,Year of order, ,Number ordered, ,Weapon designation,Weapon description,"
    "Number delivered, ,Year(s) of delivery,status,Comments,SIPRI TIV per unit,"
    "SIPRI TIV for total order,SIPRI TIV of delivered weapons"
)
GOOD_SIPRI = (
    "Ukraine,Germany,2022,,14,,PzH-2000 155mm,self-propelled gun,14,,2022,New,aid,1.8,25.2,25.2"
)


def kiel(*rows: str, header: str = KIEL_HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def sipri(*rows: str) -> str:
    return "\r\n".join([SIPRI_HEADER, *rows]) + "\r\n"


# -- Kiel ---------------------------------------------------------------------------------


def test_the_shipped_kiel_release_reads_whole() -> None:
    data = read_kiel(builtin_kiel_path())
    raw = list(csv.DictReader(io.StringIO(builtin_kiel_path().read_text(encoding="utf-8"))))
    assert len(data.months) == len(raw) == 929
    assert data.release == "Ukraine Support Tracker, Release 29 (04/2026)"
    assert len(data.donors) == 36
    eu = [m for m in data.months if m.donor == "EU"]
    assert eu and all(m.donor_group == "eu-institutions" and m.gdp_eur_bn is None for m in eu)
    assert {m.donor_name for m in data.months if m.donor == "KOR"} == {"South Korea"}
    first = data.months[0]
    assert (first.donor, first.year, first.month, first.total) == (
        "AUS",
        2022,
        2,
        Decimal("0.002645"),
    )


def test_any_donor_reads_with_its_code_or_a_derived_one() -> None:
    body = kiel(
        '"European Investment Bank","EIB",2023,5,1.5,1.5,0,0,2,0.5,NA,NA',
        '"Atlantis","ATL",2023,5,0.1,0,0.1,0,0.1,0,12.5,0.8',
        '"Iceland","",2023,5,0.01,0,0.01,0,0.01,0,20,0.05',
        '"Ukraine Friends Fund","",2023,6,0.2,0.2,0,0,0.2,0,0,0',
    )
    data = parse_kiel(body, source="t.csv", release="Release 99")
    by = {m.donor: m for m in data.months}
    assert by["EIB"].donor_group == "eu-institutions" and by["EIB"].donor_kind == "organisation"
    assert by["EIB"].gdp_eur_bn is None and by["EIB"].commitments == Decimal(2)
    assert by["ATL"].donor_kind == "state" and by["ATL"].gdp_eur_bn == Decimal("12.5")
    assert by["ISL"].donor_name == "Iceland"
    assert by["X-UKRAINEFRIENDS"].donor_kind == "unmapped"
    assert {m.source for m in data.months} == {"Release 99"}


def test_columns_in_another_order_and_extra_columns_read() -> None:
    header = '"year","month","country","note","iso","military","financial","humanitarian",'
    header += '"total","commitments","to_be_allocated","gdp","pct_gdp"'
    body = kiel('2024,1,"Germany","x","DEU",1,0.5,0.5,2,3,1,3601.75,0.0555', header=header)
    (m,) = parse_kiel(body).months
    assert (m.donor, m.total, m.military, m.financial) == ("DEU", 2, 1, Decimal("0.5"))


@pytest.mark.parametrize(
    ("row", "field", "line"),
    [
        ('"Germany","DEU",2024,13,1,1,0,0,1,0,3601,0.02', "month", 3),
        ('"Germany","DEU",20x4,1,1,1,0,0,1,0,3601,0.02', "year", 3),
        ('"Germany","DEU",2024,1,one,1,0,0,1,0,3601,0.02', "total", 3),
        ('"Germany","DEU",2024,1,NA,1,0,0,1,0,3601,0.02', "total", 3),
        ('"Germany","DEU",2024,1,1,1,0,0,1,0,-5,0.02', "gdp", 3),
        ('"Germany","FRA",2024,1,1,1,0,0,1,0,3601,0.02', "iso", 3),
        ('"Germany","D E",2024,1,1,1,0,0,1,0,3601,0.02', "iso", 3),
        ('"","DEU",2024,1,1,1,0,0,1,0,3601,0.02', "country", 3),
        ('"Germany","DEU",2024,1,1,1,0,0,1,0,3601', "row", 3),
        ('"Germany","DEU",2024,2,1,1,0,0,1,0,3601,0.02', "month", 3),
    ],
)
def test_a_malformed_kiel_row_names_its_line_and_field(row: str, field: str, line: int) -> None:
    body = kiel('"Germany","DEU",2024,2,1,1,0,0,1,0,3601,0.02', row)
    with pytest.raises(InvalidInput) as err:
        parse_kiel(body, source="bad.csv")
    assert (err.value.line, err.value.field, err.value.source) == (line, field, "bad.csv")
    assert "line 3" in str(err.value)


def test_a_file_that_is_not_kiel_is_refused() -> None:
    with pytest.raises(InvalidInput, match="missing column"):
        parse_kiel("a,b\n1,2\n")
    with pytest.raises(InvalidInput, match="empty"):
        parse_kiel("")
    with pytest.raises(InvalidInput, match="no rows"):
        parse_kiel(kiel())


def test_missing_kiel_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        read_kiel(tmp_path / "nope.csv")


# -- SIPRI --------------------------------------------------------------------------------


def test_the_shipped_sipri_extract_reads_whole_with_uncertain_numbers_kept() -> None:
    deals = read_sipri(builtin_sipri_path())
    raw = list(csv.reader(io.StringIO(builtin_sipri_path().read_text(encoding="utf-8"))))[1:]
    assert len(deals) == len(raw) == 356
    assert sum(d.ordered_uncertain for d in deals) == sum(r[5] == "?" for r in raw) == 166
    assert sum(d.delivered_uncertain for d in deals) == sum(r[9] == "?" for r in raw)
    assert sum(d.order_year_uncertain for d in deals) == sum(r[3] == "?" for r in raw)
    assert len({d.key for d in deals}) == 356  # identical rows stay two deals
    assert sum(d.delivered or 0 for d in deals) == sum(int(r[8] or 0) for r in raw)
    suppliers = {r[1]: d.supplier for r, d in zip(raw, deals, strict=True)}
    assert suppliers["Turkiye"] == "TUR" and suppliers["UAE"] == "ARE"
    assert suppliers["unknown supplier(s)"] == "UNKNOWN"
    assert {d.recipient for d in deals} == {"UKR"}
    pzh = next(d for d in deals if d.designation == "PzH-2000 155mm")
    assert (pzh.calibre_mm, pzh.family, pzh.tiv_delivered) == (155, "155mm-nato", Decimal("25.2"))
    tb2 = next(d for d in deals if d.designation == "Bayraktar TB2" and d.ordered is None)
    assert tb2.ordered_uncertain and tb2.uncertain and tb2.delivered == 60


@pytest.mark.parametrize(
    ("designation", "description", "family"),
    [
        ("PzH-2000 155mm", "self-propelled gun", "155mm-nato"),
        ("M-777 155mm", "towed gun", "155mm-nato"),
        ("2S3 152mm", "self-propelled gun", "152mm-soviet"),
        ("D-30 122mm", "towed gun", "122mm-tube"),
        ("RM-70 Vampire 122mm", "self-propelled MRL", "122mm-grad"),
        ("M-142 HIMARS 227mm", "self-propelled MRL", "227mm-gmlrs"),
        ("L-119 105mm", "towed gun", "105mm-nato"),
        ("M/41D 120mm", "mortar", "120mm-mortar"),
        ("M-252 81mm", "mortar", "mortar-other"),
        ("Vulcano 155mm", "guided shell", "155mm-nato"),
        ("AK-630 30mm", "naval gun", None),
        ("Leopard-2A4", "tank", None),
    ],
)
def test_family_comes_from_the_calibre(designation: str, description: str, family: str) -> None:
    assert family_for(calibre_of(designation), description) == family


@pytest.mark.parametrize(
    ("column", "value", "field"),
    [
        (3, "x", "year_of_order_uncertain"),
        (4, "14.5", "number_ordered"),
        (6, "", "weapon_designation"),
        (2, "", "year_of_order"),
        (10, "20x2", "years_of_delivery"),
        (10, "2023-2022", "years_of_delivery"),
        (13, "-1", "tiv_per_unit"),
        (15, "lots", "tiv_delivered"),
        (1, "", "supplier"),
        (16, None, "row"),
    ],
)
def test_a_malformed_sipri_row_names_its_line_and_field(
    column: int, value: str | None, field: str
) -> None:
    cells = next(csv.reader([GOOD_SIPRI]))
    if value is None:
        cells.append("extra")
    else:
        cells[column] = value
    bad = ",".join(cells)
    with pytest.raises(InvalidInput) as err:
        parse_sipri(sipri(GOOD_SIPRI, GOOD_SIPRI, bad), source="reg.csv")
    assert (err.value.line, err.value.field) == (4, field)
    assert "reg.csv, line 4" in str(err.value)


def test_the_full_register_format_reads_with_preamble_and_other_recipients() -> None:
    body = "Trade Register\r\nInformation generated: 01 March 2024\r\n\r\n" + sipri(
        GOOD_SIPRI,
        "Poland,Korea South,2022,,180,,K-2,tank,10,?,2022-2023,New,,5.6,1008,56",
        "Hezbollah*,Iran,2019,?,,?,Fajr-5 333mm,MRL,5,?,2020,New,,0.1,,0.5",
        "NATO**,United States,2021,,2,,E-3,AEW aircraft,2,,2021,New,,10,20,20",
    )
    deals = parse_sipri(body)
    assert [d.recipient for d in deals] == ["UKR", "POL", "X-HEZBOLLAH", "NATO"]
    assert deals[1].supplier == "X-KOREASOUTH"  # an unknown spelling still imports
    assert deals[1].delivery_years == (2022, 2023) and deals[1].delivered_uncertain
    assert deals[2].ordered is None and deals[2].tiv_order is None
    assert deals[2].family == "mrl-other"


def test_a_file_without_the_register_header_is_refused() -> None:
    with pytest.raises(InvalidInput, match="not a SIPRI trade register"):
        parse_sipri("a,b,c\n1,2,3\n")
    with pytest.raises(InvalidInput, match="no rows"):
        parse_sipri(sipri())


# -- names --------------------------------------------------------------------------------


def test_names_resolve_regardless_of_case_accents_and_stars() -> None:
    book = NameBook({"TUR": "Turkiye", "CZE": "Czechia"}, [("Türkiye", "TUR", "state", "")])
    assert book.resolve("TÜRKIYE").code == "TUR"
    assert book.resolve("  czechia ").code == "CZE"
    assert book.resolve("Some Group*").kind == "non-state"
    assert book.resolve("Some Body**").kind == "organisation"
    assert normalise("Korea,  South*") == "korea, south"
    assert derived_code("An extremely long organisation name") == "X-ANEXTREMELYLON"


# -- the SIPRI register as published (issue 20, item 18) ----------------------------------

#: A record whose comments hold a line break without quotes: 13 fields, then 4.
SPLIT_SIPRI = (
    "Ukraine,Poland,2022,,60,?,T-72M1,tank,60,?,2022,Second hand,Second-hand; aid after\r\n"
    "2022 Russian invasion of Ukraine,0.9,54,54"
)


def test_a_record_split_by_a_line_break_is_joined_with_a_warning() -> None:
    read = parse_sipri_report(sipri(GOOD_SIPRI, SPLIT_SIPRI, GOOD_SIPRI), source="reg.csv")
    assert [d.supplier for d in read.transfers] == ["DEU", "POL", "DEU"]
    tank = read.transfers[1]
    assert tank.comments == "Second-hand; aid after\n2022 Russian invasion of Ukraine"
    assert (tank.delivered, tank.tiv_delivered) == (60, Decimal("54"))
    (warning,) = read.warnings
    assert warning.startswith("reg.csv, lines 3-4: one record split over 2 lines")
    assert "comments" in warning
    # split over three lines too
    three = SPLIT_SIPRI.replace("Second-hand; aid", "Second-hand;\r\naid")
    again = parse_sipri_report(sipri(three), source="reg.csv")
    assert again.transfers[0].comments == (
        "Second-hand;\naid after\n2022 Russian invasion of Ukraine"
    )
    assert "lines 2-4" in again.warnings[0]


@pytest.mark.parametrize(
    ("rows", "line", "message"),
    [
        # the pieces add up to more than a record
        ((GOOD_SIPRI, SPLIT_SIPRI.replace("0.9,54,54", "0.9,54,54,1")), 3, "17 fields together"),
        # a break in a number cannot be repaired
        (("Ukraine,Poland,2022,,6\r\n0,?,T-72M1,tank,60,?,2022,New,c,0.9,54,54",), 2,
         "line break in number ordered cannot be repaired"),
        # the file ends inside a record
        ((GOOD_SIPRI, "Ukraine,Poland,2022,,60,?,T-72M1,tank"), 3, "file ends before"),
    ],
)
def test_what_cannot_be_repaired_is_refused_naming_the_line(
    rows: tuple[str, ...], line: int, message: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_sipri_report(sipri(*rows), source="reg.csv")
    assert err.value.line == line and message in str(err.value)


def test_a_windows_1252_register_is_read_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    rows = (GOOD_SIPRI, "Ukraine,Türkiye,2022,,20,?,Bayraktar TB2,UAV,20,?,2022,New,"
            "aid – donated,1,20,20")
    path.write_bytes(sipri(*rows).encode("cp1252"))
    read = read_sipri_report(path)
    assert read.encoding == "windows-1252"
    assert read.transfers[1].supplier_name in ("Türkiye", "Turkey", "Turkiye")
    assert read.transfers[1].comments == "aid – donated"
    (warning,) = read.warnings
    assert warning.startswith("register.csv, line 3: not UTF-8; read as Windows-1252")
    # the same file in UTF-8 reads without a warning, to the same deals
    path.write_text(sipri(*rows), encoding="utf-8")
    utf8 = read_sipri_report(path)
    assert utf8.warnings == () and utf8.transfers == read.transfers


def test_a_byte_that_is_neither_utf8_nor_windows_1252_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    path.write_bytes(sipri(GOOD_SIPRI, GOOD_SIPRI.replace("aid", "ai\x81d")).encode("latin-1"))
    with pytest.raises(InvalidInput) as err:
        read_sipri_report(path)
    assert err.value.line == 3 and "0x81" in str(err.value)
