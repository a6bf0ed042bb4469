"""The gazetteer: surface forms that name actors, with the dates an office holder held office.

Shipped in ``allied/data/monitor/`` (see its PROVENANCE.md):

- ``places.csv``: per state, names, adjectives, demonyms, capitals and metonyms
  ("the Kremlin", "Downing Street") used for its government; every other state of the
  reference data (``allied/data/states.csv``) is known by its name.
- ``groups.csv``: names of groups of states ("the Baltic states" -> EST, LVA, LTU).
- ``organisations.csv``: names of the organisations (``NATO``, ``EU``, ``UDCG``, ``G7``).
- ``office_holders.csv``: heads of state and government, foreign and defence ministers,
  NATO and EU officials, 2014 onwards, with the first and last day in office; a name
  resolves to the actor only on the days its holder held that office.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from importlib import resources

from allied.domain.errors import InvalidInput


class MentionKind(StrEnum):
    NAME = "name"  # a state's name
    ADJECTIVE = "adjective"  # "German": an actor only before a title or a trigger noun
    DEMONYM = "demonym"  # "the Germans"
    CAPITAL = "capital"  # "Berlin" for the German government
    METONYM = "metonym"  # "the Kremlin", "Downing Street"
    GROUP = "group"  # "the Baltic states"
    ORGANISATION = "organisation"
    PERSON = "person"  # an office holder, by name, on a date
    TITLE = "title"  # "the German chancellor", "Germany's foreign minister"


@dataclass(frozen=True)
class Entry:
    codes: tuple[str, ...]
    kind: MentionKind
    label: str = ""  # the office, for people
    start: dt.date | None = None
    end: dt.date | None = None

    def valid_on(self, day: dt.date | None) -> bool:
        if day is None:
            return True
        if self.start is not None and day < self.start:
            return False
        return self.end is None or day <= self.end


class Gazetteer:
    """Surface forms (case-sensitive) and what they name."""

    def __init__(self, entries: Mapping[str, Iterable[Entry]]) -> None:
        self._entries: dict[str, tuple[Entry, ...]] = {
            form: tuple(items) for form, items in entries.items() if form
        }

    def forms(self) -> list[str]:
        return sorted(self._entries)

    def entries(self, form: str) -> tuple[Entry, ...]:
        return self._entries.get(form, ())

    def resolve(self, form: str, on: dt.date | None = None) -> Entry | None:
        """What ``form`` names on day ``on`` (``None``: any day; the current holder wins).

        A person's name resolves only while its holder is in office; with several
        entries valid the most specific (a person over a place) wins.
        """
        candidates = [e for e in self.entries(form) if e.valid_on(on)]
        if not candidates:
            return None
        if on is None:
            current = [e for e in candidates if e.end is None]
            candidates = current or sorted(candidates, key=lambda e: e.end or dt.date.max)[-1:]
        return candidates[-1]

    def __contains__(self, form: object) -> bool:
        return form in self._entries

    def __len__(self) -> int:
        return len(self._entries)


def _read(name: str) -> list[dict[str, str]]:
    text = resources.files("allied.data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(";") if v.strip()]


def _day(value: str, name: str, line: int, field: str) -> dt.date | None:
    if not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            f"not a date: {value!r}", field=field, line=line, source=name
        ) from None


def build_gazetteer(
    places: list[dict[str, str]],
    groups: list[dict[str, str]],
    organisations: list[dict[str, str]],
    office_holders: list[dict[str, str]],
    state_names: Mapping[str, str] | None = None,
) -> Gazetteer:
    """Assemble a gazetteer from rows shaped like the shipped CSV files."""
    entries: dict[str, list[Entry]] = defaultdict(list)

    def add(form: str, entry: Entry) -> None:
        forms = [form]
        if form.startswith("the "):
            forms.append("The " + form[4:])  # at the start of a sentence
        for f in forms:
            if entry not in entries[f]:
                entries[f].append(entry)

    for code, name in (state_names or {}).items():
        add(name, Entry((code,), MentionKind.NAME))
    columns = (
        ("names", MentionKind.NAME),
        ("adjectives", MentionKind.ADJECTIVE),
        ("demonyms", MentionKind.DEMONYM),
        ("capitals", MentionKind.CAPITAL),
        ("metonyms", MentionKind.METONYM),
    )
    for row in places:
        code = row["code"].strip().upper()
        for column, kind in columns:
            for form in _split(row.get(column)):
                add(form, Entry((code,), kind))
    for row in groups:
        add(row["text"].strip(), Entry(tuple(_split(row["codes"])), MentionKind.GROUP))
    for row in organisations:
        add(row["text"].strip(), Entry((row["code"].strip(),), MentionKind.ORGANISATION))
    for line, row in enumerate(office_holders, start=2):
        src = "office_holders.csv"
        entry = Entry(
            (row["actor"].strip(),),
            MentionKind.PERSON,
            label=f"{row['office'].strip()}: {row['name'].strip()}",
            start=_day(row["start"], src, line, "start"),
            end=_day(row["end"], src, line, "end"),
        )
        for form in [row["name"].strip(), *_split(row.get("aliases"))]:
            add(form, entry)
    return Gazetteer(entries)


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    """The shipped gazetteer (read once per process)."""
    states = {r["iso3"]: r["name"] for r in _read("states.csv")}
    return build_gazetteer(
        _read("monitor/places.csv"),
        _read("monitor/groups.csv"),
        _read("monitor/organisations.csv"),
        _read("monitor/office_holders.csv"),
        state_names=states,
    )
