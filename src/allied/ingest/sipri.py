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

A malformed row stops the read with :class:`InvalidInput` naming its line and field.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from decimal import Decimal, InvalidOperation
from pathlib import Path

from allied.domain.errors import InvalidInput
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


def parse_sipri(
    body: str, *, source: str = "input", names: NameBook | None = None
) -> list[SipriTransfer]:
    """Parse the text of a trade register CSV into deals (one per row)."""
    if names is None:
        from allied.reports.data import name_book

        names = name_book()
    reader = csv.reader(io.StringIO(body.lstrip("\ufeff"), newline=""))
    header_line = None
    line = 0
    try:
        for cells in reader:
            line = reader.line_num
            if _is_header(cells):
                header_line = line
                break
            if line >= _MAX_PREAMBLE:
                break
    except csv.Error as exc:
        raise InvalidInput(f"not valid CSV: {exc}", line=reader.line_num, source=source) from None
    if header_line is None:
        raise InvalidInput(
            "not a SIPRI trade register file: no header row "
            "'Recipient,Supplier,Year of order, ,Number ordered, ,...'",
            line=1,
            source=source,
        )
    deals: list[SipriTransfer] = []
    occurrences: Counter[tuple[str, ...]] = Counter()
    try:
        for cells in reader:
            line = reader.line_num
            if not cells or all(_blank(c) for c in cells):
                continue
            if len(cells) != len(HEADER):
                raise InvalidInput(f"expected {len(HEADER)} fields, got {len(cells)}", field="row")
            deals.append(_deal(cells, names, source, occurrences))
    except InvalidInput as exc:
        raise exc.at(line=line, source=source) from None
    except csv.Error as exc:
        raise InvalidInput(f"not valid CSV: {exc}", line=reader.line_num, source=source) from None
    if not deals:
        raise InvalidInput("the file has a header but no rows", line=header_line, source=source)
    return deals


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
    try:
        body = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"no such file: {path}", field="FILE") from None
    except UnicodeDecodeError:
        try:
            body = path.read_text(encoding="cp1252")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"cannot read {path}: {exc}", field="FILE") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc}", field="FILE") from None
    return parse_sipri(body, source=path.name)


def builtin_sipri_path() -> Path:
    """The extract shipped with allied: transfers to Ukraine, to 2023."""
    from importlib import resources

    return Path(
        str(resources.files("allied.data.public").joinpath("sipri_transfers_to_ukraine.csv"))
    )
