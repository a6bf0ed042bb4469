"""Strict reader of the SIPRI Arms Transfers Database trade register CSV.

The format (SIPRI's trade register export, as in ``transfers_to_ukraine.csv``)::

    Recipient,Supplier,Year of order, ,Number ordered, ,Weapon designation,
    Weapon description,Number delivered, ,Year(s) of delivery,status,Comments,
    SIPRI TIV per unit,SIPRI TIV for total order,SIPRI TIV of delivered weapons

The unnamed columns after the year of order and the two numbers hold SIPRI's "?"
(uncertain): the number is kept and flagged, never dropped. An unknown number is
empty. Lines before the header (SIPRI's export preamble) are skipped. Every row of
the full register (all recipients) reads the same way.

Each deal gets a compatibility family where its designation gives a calibre
("PzH-2000 155mm" -> ``155mm-nato``), following the catalogue's rule that a calibre
alone does not make two items compatible: 122 mm tube artillery and 122 mm Grad
rockets are different families, 152 mm and 155 mm are not interchangeable.

The export as SIPRI publishes it has two blemishes, which are repaired, each repair
reported as a warning naming its line (:func:`read_sipri_report`, ``allied import
sipri``):

- a record whose free text (comments, designation, description, status) holds a line
  break without quotes arrives split over several lines (e.g. 13 fields, then 4): when
  the pieces' fields add up to a record's (pieces joined at the break, the break kept),
  they are joined; when they do not, or the break is not in a free-text field, the read
  stops naming the line;
- bytes that are not UTF-8 (names and comments in Windows-1252): a file that does not
  decode as UTF-8 is read as Windows-1252 (what SIPRI's export uses; the choice is a
  rule, not a guess), with a warning naming the first line concerned; a byte that is
  not Windows-1252 either stops the read naming its line.

Anything else malformed stops the read with :class:`InvalidInput` naming its line and
field, and nothing is imported.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from allied.domain.errors import InvalidInput
from allied.ingest.files import csv_records
from allied.reports.donors import NameBook
from allied.reports.records import SipriTransfer

HEADER = (
    "recipient",
    "supplier",
    "year of order",
    "",
    "number ordered",
    "",
    "weapon designation",
    "weapon description",
    "number delivered",
    "",
    "year(s) of delivery",
    "status",
    "comments",
    "sipri tiv per unit",
    "sipri tiv for total order",
    "sipri tiv of delivered weapons",
)
FIELDS = (
    "recipient",
    "supplier",
    "year_of_order",
    "year_of_order_uncertain",
    "number_ordered",
    "number_ordered_uncertain",
    "weapon_designation",
    "weapon_description",
    "number_delivered",
    "number_delivered_uncertain",
    "years_of_delivery",
    "status",
    "comments",
    "tiv_per_unit",
    "tiv_total_order",
    "tiv_delivered",
)
_CALIBRE = re.compile(r"(\d{2,3}(?:\.\d)?)\s?mm\b", re.IGNORECASE)
_MAX_PREAMBLE = 30


def calibre_of(designation: str) -> int | None:
    """The calibre in mm a designation names ("M-777 155mm" -> 155), if any."""
    found = _CALIBRE.findall(designation)
    if not found:
        return None
    return round(float(found[-1]))


_MRL = ("mrl", "rocket")
_TUBE = ("gun", "howitzer")


def family_for(calibre: int | None, description: str) -> str | None:
    """The compatibility family of an item of ``calibre`` described as ``description``."""
    if calibre is None:
        return None
    text = description.casefold()
    is_mrl = any(w in text for w in _MRL)
    is_mortar = "mortar" in text
    is_tube = not is_mrl and not is_mortar and any(w in text for w in _TUBE)
    if is_mortar:
        return "120mm-mortar" if calibre == 120 else "mortar-other"
    if is_mrl:
        return {122: "122mm-grad", 227: "227mm-gmlrs"}.get(calibre, "mrl-other")
    if is_tube and "aa" not in text.split() and "naval" not in text:
        return {
            155: "155mm-nato",
            152: "152mm-soviet",
            122: "122mm-tube",
            105: "105mm-nato",
        }.get(calibre, "artillery-other")
    if "shell" in text or "guided shell" in text:
        return {155: "155mm-nato", 152: "152mm-soviet", 122: "122mm-tube"}.get(calibre)
    return None


def _blank(value: str) -> bool:
    return not value.strip()


def _mark(value: str, field: str) -> bool:
    text = value.strip()
    if text not in ("", "?"):
        raise InvalidInput(f"expected '?' or nothing, got {value!r}", field=field)
    return text == "?"


def _int(value: str, field: str, *, low: int = 0, high: int = 10**9) -> int | None:
    text = value.strip()
    if not text:
        return None
    try:
        number = int(text)
    except ValueError:
        raise InvalidInput(f"expected a whole number, got {value!r}", field=field) from None
    if not low <= number <= high:
        raise InvalidInput(f"must be between {low} and {high}, got {number}", field=field)
    return number


def _tiv(value: str, field: str) -> Decimal | None:
    text = value.strip()
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise InvalidInput(f"expected a number, got {value!r}", field=field) from None
    if not number.is_finite() or number < 0:
        raise InvalidInput(f"expected a number >= 0, got {value!r}", field=field)
    return number


def _years(value: str, field: str) -> tuple[int, ...]:
    years: list[int] = []
    for part in re.split(r"[;,]", value):
        text = part.strip()
        if not text:
            continue
        span = re.fullmatch(r"(\d{4})\s*-\s*(\d{4})", text)
        if span:
            first, last = int(span.group(1)), int(span.group(2))
            if last < first:
                raise InvalidInput(f"backwards year range {text!r}", field=field)
            years.extend(range(first, last + 1))
            continue
        year = _int(text, field, low=1900, high=2100)
        assert year is not None
        years.append(year)
    return tuple(sorted(set(years)))


def _is_header(cells: list[str]) -> bool:
    return tuple(c.strip().casefold() for c in cells) == HEADER


def _key(cells: list[str], occurrence: int) -> str:
    digest = hashlib.sha256("\x1f".join(c.strip() for c in cells).encode("utf-8")).hexdigest()
    return f"{digest[:40]}-{occurrence}"


#: Fields where a line break without quotes can split a record: the free text.
_SPLITTABLE = frozenset({"weapon_designation", "weapon_description", "status", "comments"})


@dataclass(frozen=True)
class SipriRead:
    """The deals of a trade register file, the repairs made to read it (one warning
    each, naming its line) and the encoding it was read in."""

    transfers: list[SipriTransfer]
    warnings: tuple[str, ...] = ()
    encoding: str = "utf-8"


def parse_sipri(
    body: str, *, source: str = "input", names: NameBook | None = None
) -> list[SipriTransfer]:
    """Parse the text of a trade register CSV into deals (one per record)."""
    return parse_sipri_report(body, source=source, names=names).transfers


def parse_sipri_report(
    body: str, *, source: str = "input", names: NameBook | None = None
) -> SipriRead:
    """Parse the text of a trade register CSV into deals, joining records split over
    several lines (a warning for each); see the module's documentation."""
    if names is None:
        from allied.reports.data import name_book

        names = name_book()
    records = csv_records(io.StringIO(body.lstrip("\ufeff"), newline=""), source)
    header_line = None
    for line, cells in records:
        if _is_header(cells):
            header_line = line
            break
        if line >= _MAX_PREAMBLE:
            break
    if header_line is None:
        raise InvalidInput(
            "not a SIPRI trade register file: no header row "
            "'Recipient,Supplier,Year of order, ,Number ordered, ,...'",
            line=1,
            source=source,
        )
    deals: list[SipriTransfer] = []
    warnings: list[str] = []
    occurrences: Counter[tuple[str, ...]] = Counter()
    width = len(HEADER)
    pending: list[str] | None = None  # the first pieces of a record split over lines
    first = last = 0  # the lines the pending record covers
    line = header_line
    try:
        for line, cells in records:
            if pending is None:
                if not cells or all(_blank(c) for c in cells):
                    continue
                if len(cells) < width:
                    pending, first, last = cells, line, line
                    continue
                if len(cells) > width:
                    raise InvalidInput(f"expected {width} fields, got {len(cells)}", field="row")
                deals.append(_deal(cells, names, source, occurrences))
                continue
            broken = FIELDS[len(pending) - 1]
            joined = [*pending[:-1], pending[-1] + "\n" + (cells[0] if cells else ""), *cells[1:]]
            if broken not in _SPLITTABLE or len(joined) > width:
                line = first
                raise InvalidInput(
                    f"expected {width} fields, got {len(pending)}; the next line (line "
                    f"{last + 1}, {len(cells)} fields) does not complete it"
                    + (
                        f": a line break in {broken.replace('_', ' ')} cannot be repaired"
                        if broken not in _SPLITTABLE
                        else f" ({len(joined)} fields together)"
                    ),
                    field="row",
                )
            pending, last = joined, line
            if len(joined) == width:
                line = first
                deals.append(_deal(joined, names, source, occurrences))
                warnings.append(
                    f"{source}, lines {first}-{last}: one record split over "
                    f"{last - first + 1} lines by a line break without quotes in its "
                    f"{broken.replace('_', ' ')}; joined"
                )
                pending = None
        if pending is not None:
            line = first
            raise InvalidInput(
                f"expected {width} fields, got {len(pending)} (the file ends before the "
                "record is complete)",
                field="row",
            )
    except InvalidInput as exc:
        raise exc.at(line=line, source=source) from None
    if not deals:
        raise InvalidInput("the file has a header but no rows", line=header_line, source=source)
    return SipriRead(deals, tuple(warnings))


def _deal(
    cells: list[str], names: NameBook, source: str, occurrences: Counter[tuple[str, ...]]
) -> SipriTransfer:
    row = dict(zip(FIELDS, cells, strict=True))
    for name in ("recipient", "supplier", "weapon_designation", "weapon_description"):
        if _blank(row[name]):
            raise InvalidInput("is required", field=name)
    recipient = names.resolve(row["recipient"], field="recipient")
    supplier = names.resolve(row["supplier"], field="supplier")
    order_year = _int(row["year_of_order"], "year_of_order", low=1900, high=2100)
    if order_year is None:
        raise InvalidInput("is required", field="year_of_order")
    designation = row["weapon_designation"].strip()
    description = row["weapon_description"].strip()
    calibre = calibre_of(designation)
    signature = tuple(c.strip() for c in cells)
    occurrences[signature] += 1
    return SipriTransfer(
        key=_key(cells, occurrences[signature]),
        recipient=recipient.code,
        recipient_name=recipient.name,
        supplier=supplier.code,
        supplier_name=supplier.name,
        supplier_kind=supplier.kind,
        order_year=order_year,
        order_year_uncertain=_mark(row["year_of_order_uncertain"], "year_of_order_uncertain"),
        ordered=_int(row["number_ordered"], "number_ordered"),
        ordered_uncertain=_mark(row["number_ordered_uncertain"], "number_ordered_uncertain"),
        designation=designation,
        description=description,
        delivered=_int(row["number_delivered"], "number_delivered"),
        delivered_uncertain=_mark(row["number_delivered_uncertain"], "number_delivered_uncertain"),
        delivery_years=_years(row["years_of_delivery"], "years_of_delivery"),
        status=row["status"].strip(),
        comments=row["comments"].strip(),
        tiv_unit=_tiv(row["tiv_per_unit"], "tiv_per_unit"),
        tiv_order=_tiv(row["tiv_total_order"], "tiv_total_order"),
        tiv_delivered=_tiv(row["tiv_delivered"], "tiv_delivered"),
        calibre_mm=calibre,
        family=family_for(calibre, description),
        source=source,
    )


def read_sipri(path: Path) -> list[SipriTransfer]:
    return read_sipri_report(path).transfers


def decode_register(raw: bytes, source: str) -> tuple[str, str, list[str]]:
    """The text of a register file, its encoding and a warning if it is not UTF-8:
    UTF-8 (with or without a byte-order mark), else Windows-1252; a byte that is
    neither stops the read naming its line."""
    try:
        return raw.decode("utf-8-sig"), "utf-8", []
    except UnicodeDecodeError as exc:
        first_bad = raw.count(b"\n", 0, exc.start) + 1
    try:
        body = raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InvalidInput(
            f"byte 0x{raw[exc.start]:02X} is neither UTF-8 nor Windows-1252: "
            "save the file as UTF-8",
            line=line,
            source=source,
        ) from None
    lines = sum(
        1 for text in raw.split(b"\n") if any(b >= 0x80 for b in text)
    )
    sample = body.splitlines()[first_bad - 1] if body else ""
    word = next((w for w in sample.split(",") if any(ord(c) > 127 for c in w)), "")
    return body, "windows-1252", [
        f"{source}, line {first_bad}: not UTF-8; read as Windows-1252 ({lines} line(s) "
        f"with such characters, the first {word.strip()!r})"
    ]


def read_sipri_report(path: Path) -> SipriRead:
    """Read a trade register file as published (see the module's documentation)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"no such file: {path}", field="FILE") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc}", field="FILE") from None
    body, encoding, warned = decode_register(raw, path.name)
    read = parse_sipri_report(body, source=path.name)
    return SipriRead(read.transfers, (*warned, *read.warnings), encoding)


def builtin_sipri_path() -> Path:
    """The extract shipped with allied: transfers to Ukraine, to 2023."""
    from importlib import resources

    return Path(
        str(resources.files("allied.data.public").joinpath("sipri_transfers_to_ukraine.csv"))
    )
