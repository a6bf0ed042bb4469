"""The recorded episodes the lab is fitted to and tested on (``allied/data/lab/``).

- ``accessions.csv``: the four NATO accessions of 2016-2024 (candidate, signature date);
- ``ratifications.csv``: each ally's ratification of each protocol, either a date (``on``)
  or, where the record gives only bounds, an interval (``after``, ``by``), with a
  confidence (``high``, ``medium``, ``interval``) and a source per row;
- ``blocking_episodes.csv``: dated hold-ups in the NAC, the EU Council and the European
  Council and in ratifications, 2022-2024 (start, end or still going, blocker, what ended
  it, source);
- ``kiel_monthly.csv``: Kiel aid allocations by donor and month (2022-2024).

Sources and caveats: ``allied/data/lab/PROVENANCE.md``. A malformed row raises
``InvalidInput`` naming the file, line and field.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from allied.domain.errors import InvalidInput

RECORD_END = dt.date(2024, 12, 31)  # an episode still going is censored here
CONFIDENCE = ("high", "medium", "interval")
VENUES = ("NAC", "EU Council", "European Council", "ratification")
ENDINGS = ("linked concession", "side payment", "change of government", "deadline", "abstention")


@dataclass(frozen=True)
class Accession:
    id: str
    candidate: str
    signed_on: dt.date
    member_from: dt.date


@dataclass(frozen=True)
class Ratification:
    accession: str
    state: str
    after: dt.date  # earliest possible date (= ``by`` when the date is known)
    by: dt.date  # latest possible date
    confidence: str

    @property
    def exact(self) -> bool:
        return self.after == self.by


@dataclass(frozen=True)
class Episode:
    id: str
    venue: str
    decision: str
    accession: str  # the accession protocol held up (venue "ratification"), else ""
    blocker: str
    start: dt.date
    end: dt.date | None  # None: still going at the end of the record
    ended_by: str
    confidence: str

    def duration(self, on: dt.date = RECORD_END) -> tuple[int, bool]:
        """Days held up as known on ``on``, and whether it had ended by then."""
        if self.end is not None and self.end <= on:
            return (self.end - self.start).days, True
        return (min(on, RECORD_END) - self.start).days, False


@dataclass(frozen=True)
class KielMonth:
    iso3: str
    year: int
    month: int
    total_eur_bn: float


def _rows(name: str) -> Iterator[tuple[int, dict[str, str]]]:
    body = resources.files("allied.data").joinpath(f"lab/{name}").read_text(encoding="utf-8")
    yield from enumerate(csv.DictReader(io.StringIO(body, newline="")), start=2)


def _date(name: str, line: int, field: str, text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"not a date: {text!r}", field=field, line=line, source=f"lab/{name}"
        ) from None


def _choice(name: str, line: int, field: str, text: str, allowed: tuple[str, ...]) -> str:
    if text not in allowed:
        raise InvalidInput(
            f"{text!r} is not one of {', '.join(allowed)}",
            field=field,
            line=line,
            source=f"lab/{name}",
        )
    return text


@lru_cache(maxsize=1)
def accessions() -> tuple[Accession, ...]:
    name = "accessions.csv"
    return tuple(
        Accession(
            r["accession"],
            r["candidate"],
            _date(name, i, "signed_on", r["signed_on"]),
            _date(name, i, "member_from", r["member_from"]),
        )
        for i, r in _rows(name)
    )


@lru_cache(maxsize=1)
def ratifications() -> tuple[Ratification, ...]:
    name = "ratifications.csv"
    signed = {a.id: a.signed_on for a in accessions()}
    out = []
    for i, r in _rows(name):
        if r["accession"] not in signed:
            raise InvalidInput(
                f"unknown accession {r['accession']!r}", field="accession", line=i, source=name
            )
        conf = _choice(name, i, "confidence", r["confidence"], CONFIDENCE)
        if r["on"]:
            after = by = _date(name, i, "on", r["on"])
        else:
            after = _date(name, i, "after", r["after"])
            by = _date(name, i, "by", r["by"])
        if not signed[r["accession"]] <= after <= by:
            raise InvalidInput(
                "a ratification falls between the signature and its 'by' date",
                field="on" if r["on"] else "after",
                line=i,
                source=f"lab/{name}",
            )
        if not r["source"].strip():
            raise InvalidInput("every row names its source", field="source", line=i, source=name)
        out.append(Ratification(r["accession"], r["state"], after, by, conf))
    return tuple(out)


@lru_cache(maxsize=1)
def episodes() -> tuple[Episode, ...]:
    name = "blocking_episodes.csv"
    out = []
    for i, r in _rows(name):
        start = _date(name, i, "start", r["start"])
        end = _date(name, i, "end", r["end"]) if r["end"] else None
        ended_by = _choice(name, i, "ended_by", r["ended_by"], (*ENDINGS, "ongoing"))
        if (end is None) != (ended_by == "ongoing"):
            raise InvalidInput(
                "an episode without an end is 'ongoing', and only then",
                field="ended_by",
                line=i,
                source=f"lab/{name}",
            )
        if end is not None and end < start:
            raise InvalidInput("ends before it starts", field="end", line=i, source=name)
        if (r["venue"] == "ratification") != bool(r["accession"]):
            raise InvalidInput(
                "a ratification hold-up names its accession, and only it does",
                field="accession",
                line=i,
                source=f"lab/{name}",
            )
        out.append(
            Episode(
                r["id"],
                _choice(name, i, "venue", r["venue"], VENUES),
                r["decision"],
                r["accession"],
                r["blocker"],
                start,
                end,
                ended_by,
                _choice(name, i, "confidence", r["confidence"], CONFIDENCE[:2]),
            )
        )
    return tuple(out)


@lru_cache(maxsize=1)
def kiel_monthly() -> tuple[KielMonth, ...]:
    return tuple(
        KielMonth(r["iso3"], int(r["year"]), int(r["month"]), float(r["total_eur_bn"]))
        for _, r in _rows("kiel_monthly.csv")
    )
