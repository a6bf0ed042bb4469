"""Strict reader of the Kiel Institute Ukraine Support Tracker data explorer CSV.

The format (``data_explorer.csv`` of a Tracker release): one row per donor and month,
columns ``country, iso, year, month, total, financial, humanitarian, military,
commitments, to_be_allocated, gdp, pct_gdp``; amounts in EUR billion, ``gdp`` the
donor's 2021 GDP in EUR billion (0 or ``NA`` where Kiel gives none, as for EU
institutions), ``pct_gdp`` the month's allocations as a share of that GDP in %.
Columns may come in any order and extra columns are ignored, so later releases read
too; ``iso`` may be missing or empty, the donor is then found by name.

Any donor reads, including organisations ("EU (Commission and Council)" -> ``EU``):
names go through :class:`allied.reports.donors.NameBook`. A malformed row stops the
read with :class:`InvalidInput` naming its line and field; nothing is returned.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from allied.domain.errors import InvalidInput
from allied.reports.donors import NameBook
from allied.reports.records import KielMonth

REQUIRED = (
    "country",
    "year",
    "month",
    "total",
    "financial",
    "humanitarian",
    "military",
    "commitments",
    "to_be_allocated",
    "gdp",
    "pct_gdp",
)
#: The release label of a file imported without one
UNSTATED = "Kiel Institute Ukraine Support Tracker (release not stated)"
OPTIONAL_NUMBERS = ("commitments", "to_be_allocated", "gdp", "pct_gdp")
_MISSING = {"", "na", "n/a", "nan"}


@dataclass(frozen=True)
class KielDataset:
    """The rows of one data explorer file and the release they come from."""

    months: tuple[KielMonth, ...]
    release: str
    source: str

    @property
    def donors(self) -> frozenset[str]:
        return frozenset(m.donor for m in self.months)


def _int(value: str, field: str, low: int, high: int) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise InvalidInput(f"expected a whole number, got {value!r}", field=field) from None
    if not low <= number <= high:
        raise InvalidInput(f"must be between {low} and {high}, got {number}", field=field)
    return number


def _number(value: str, field: str, *, required: bool) -> Decimal | None:
    text = value.strip()
    if text.casefold() in _MISSING:
        if required:
            raise InvalidInput("is required (a number)", field=field)
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise InvalidInput(f"expected a number, got {value!r}", field=field) from None
    if not number.is_finite():
        raise InvalidInput(f"expected a finite number, got {value!r}", field=field)
    return number


def parse_kiel(
    body: str, *, source: str = "input", release: str | None = None, names: NameBook | None = None
) -> KielDataset:
    """Parse the text of a data explorer CSV. ``release`` labels the Tracker release."""
    if names is None:
        from allied.reports.data import name_book

        names = name_book()
    label = release or UNSTATED
    reader = csv.reader(io.StringIO(body.lstrip("\ufeff"), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput("the file is empty", source=source, line=1) from None
    columns = [h.strip().casefold() for h in header]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise InvalidInput(
            "not a Kiel data explorer file: missing column(s) " + ", ".join(missing),
            field=missing[0],
            line=1,
            source=source,
        )
    if len(set(columns)) != len(columns):
        raise InvalidInput("a column name repeats", line=1, source=source)
    where = {c: i for i, c in enumerate(columns)}
    months: list[KielMonth] = []
    seen: dict[tuple[str, int, int], int] = {}
    line = 1
    try:
        for cells in reader:
            line = reader.line_num
            if not cells or all(not c.strip() for c in cells):
                continue
            if len(cells) != len(columns):
                raise InvalidInput(f"expected {len(columns)} fields, got {len(cells)}", field="row")
            row = {c: cells[i] for c, i in where.items()}
            party = names.resolve(row["country"], row.get("iso"), field="country")
            year = _int(row["year"], "year", 1990, 2100)
            month = _int(row["month"], "month", 1, 12)
            amounts = {
                f: _number(row[f], f, required=f not in OPTIONAL_NUMBERS) for f in REQUIRED[3:]
            }
            gdp = amounts["gdp"]
            if gdp is not None and gdp < 0:
                raise InvalidInput(f"must not be negative, got {gdp}", field="gdp")
            item = KielMonth(
                donor=party.code,
                donor_name=party.name,
                donor_kind=party.kind,
                donor_group=party.group,
                year=year,
                month=month,
                total=_required(amounts["total"]),
                financial=_required(amounts["financial"]),
                humanitarian=_required(amounts["humanitarian"]),
                military=_required(amounts["military"]),
                commitments=amounts["commitments"],
                to_be_allocated=amounts["to_be_allocated"],
                gdp_eur_bn=gdp if gdp else None,
                pct_gdp=amounts["pct_gdp"] if gdp else None,
                source=label,
            )
            if item.key in seen:
                raise InvalidInput(
                    f"{party.code} {year}-{month:02d} repeats line {seen[item.key]}",
                    field="month",
                )
            seen[item.key] = line
            months.append(item)
    except InvalidInput as exc:
        raise exc.at(line=line, source=source) from None
    except csv.Error as exc:
        raise InvalidInput(f"not valid CSV: {exc}", line=reader.line_num, source=source) from None
    if not months:
        raise InvalidInput("the file has a header but no rows", line=1, source=source)
    return KielDataset(tuple(months), label, source)


def _required(value: Decimal | None) -> Decimal:
    assert value is not None  # the parser asked for it
    return value


def read_release_label(path: Path) -> str | None:
    """The label in a ``release_info.csv`` beside a data explorer file, if there is one."""
    for candidate in (path.with_name("release_info.csv"), path.with_name("kiel_release_info.csv")):
        if candidate.is_file():
            rows = list(csv.DictReader(io.StringIO(candidate.read_text(encoding="utf-8"))))
            if rows and rows[0].get("label"):
                return rows[0]["label"].strip()
    return None


def read_kiel(path: Path, *, release: str | None = None) -> KielDataset:
    """Read a data explorer file; the release label comes from ``release_info.csv`` beside it."""
    try:
        body = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"no such file: {path}", field="FILE") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}", field="FILE") from None
    return parse_kiel(body, source=str(path), release=release or read_release_label(path))


def builtin_kiel_path() -> Path:
    """The Tracker release shipped with allied (Release 29, a subset of donors)."""
    from importlib import resources

    return Path(str(resources.files("allied.data.public").joinpath("kiel_data_explorer.csv")))
