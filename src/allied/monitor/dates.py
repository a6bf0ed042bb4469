"""Dates: of a document (option, file name, text) and of an event (its sentence)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from allied.monitor.model import date_ceiling

MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for m in names
}
_MONTH = (
    r"(January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)"
)
ISO = re.compile(r"\b((?:19|20)\d{2})-(\d{2})(?:-(\d{2}))?\b")
MDY = re.compile(_MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+((?:19|20)\d{2})\b")
DMY = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+((?:19|20)\d{2})\b")
MY = re.compile(_MONTH + r",?\s+((?:19|20)\d{2})\b")
M_ALONE = re.compile(
    r"\b(?i:in|on|since|from|until|till|by|last|early|late|mid|mid-|this|next|during)\s+"
    r"(?:early\s+|late\s+|mid-?)?"
    + _MONTH
    + r"\b(?!\s*\d)"
)
YEAR = re.compile(r"(?<![\d-])((?:19|20)\d{2})(?![\d-])")


def _month(name: str) -> int:
    return MONTHS[name.lower().rstrip(".")]


def _valid(year: int, month: int, day: int | None = None) -> str | None:
    try:
        if day is None:
            dt.date(year, month, 1)
            return f"{year:04d}-{month:02d}"
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def date_in_name(name: str) -> str | None:
    """A date written in a file name: ``report-2022-06.txt`` -> ``2022-06``."""
    m = ISO.search(name)
    if not m:
        return None
    return _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)) if m.group(3) else None)


def full_dates(text: str) -> list[tuple[int, str]]:
    """(position, date) of every day or month-and-year written out in ``text``."""
    found: list[tuple[int, str]] = []
    for m in ISO.finditer(text):
        d = _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)) if m.group(3) else None)
        if d:
            found.append((m.start(), d))
    for m in MDY.finditer(text):
        d = _valid(int(m.group(3)), _month(m.group(1)), int(m.group(2)))
        if d:
            found.append((m.start(), d))
    for m in DMY.finditer(text):
        d = _valid(int(m.group(3)), _month(m.group(2)), int(m.group(1)))
        if d:
            found.append((m.start(), d))
    taken = {p for p, _ in found}
    for m in MY.finditer(text):
        if m.start() not in taken and not any(p < m.start() < p + 12 for p in taken):
            d = _valid(int(m.group(2)), _month(m.group(1)))
            if d:
                found.append((m.start(), d))
    return sorted(found)


def date_in_text(text: str) -> str | None:
    """The first full date (or month and year) written in the text."""
    dates = full_dates(text)
    return dates[0][1] if dates else None


@dataclass(frozen=True)
class SentenceDate:
    date: str | None
    background: bool  # the sentence recounts events years before the document


def sentence_date(sentence: str, doc_date: str | None) -> SentenceDate:
    """The date a sentence gives its events, else the document's date.

    A month without a year takes the document's year (the year before, if the month
    is later than the document's). A sentence whose only dates are years more than a
    year before the document's is background: it recounts history.
    """
    dates = full_dates(sentence)
    doc_year = int(doc_date[:4]) if doc_date else None
    if dates:
        d = dates[0][1]
        return SentenceDate(d, doc_year is not None and int(d[:4]) < doc_year - 1)
    m = M_ALONE.search(sentence)
    if m and doc_date:
        month = _month(m.group(1))
        ceiling = date_ceiling(doc_date)
        year = int(doc_date[:4])
        if ceiling is not None and len(doc_date) > 4 and month > ceiling.month:
            year -= 1
        return SentenceDate(_valid(year, month), False)
    years = [int(y) for y in YEAR.findall(sentence)]
    if years:
        latest = max(years)
        if doc_year is not None and latest < doc_year - 1:
            return SentenceDate(str(latest), True)
        if doc_year is None or latest != doc_year:
            return SentenceDate(str(latest), False)
    return SentenceDate(doc_date, False)
