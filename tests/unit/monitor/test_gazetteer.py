"""The shipped gazetteer and its rules."""

from __future__ import annotations

import datetime as dt

import pytest

from allied.domain.errors import InvalidInput
from allied.monitor.gazetteer import MentionKind, build_gazetteer, default_gazetteer

D = dt.date


@pytest.mark.parametrize(
    ("form", "day", "codes", "kind"),
    [
        ("Germany", None, ("DEU",), MentionKind.NAME),
        ("German", None, ("DEU",), MentionKind.ADJECTIVE),
        ("Berlin", None, ("DEU",), MentionKind.CAPITAL),
        ("the Kremlin", None, ("RUS",), MentionKind.METONYM),
        ("Kyiv", None, ("UKR",), MentionKind.CAPITAL),
        ("Kiev", None, ("UKR",), MentionKind.CAPITAL),
        ("Baltic states", None, ("EST", "LVA", "LTU"), MentionKind.GROUP),
        ("NATO", None, ("NATO",), MentionKind.ORGANISATION),
        ("the alliance", None, ("NATO",), MentionKind.ORGANISATION),
        ("Rutte", D(2023, 1, 1), ("NLD",), MentionKind.PERSON),
        ("Rutte", D(2025, 1, 1), ("NATO",), MentionKind.PERSON),
        ("Kallas", D(2022, 1, 1), ("EST",), MentionKind.PERSON),
        ("Kallas", D(2025, 1, 1), ("EU",), MentionKind.PERSON),
        ("Tusk", D(2016, 1, 1), ("EU",), MentionKind.PERSON),
        ("Tusk", D(2024, 1, 1), ("POL",), MentionKind.PERSON),
        ("Ursula von der Leyen", D(2015, 1, 1), ("DEU",), MentionKind.PERSON),
        ("Ursula von der Leyen", D(2022, 1, 1), ("EU",), MentionKind.PERSON),
        ("Moldova", None, ("MDA",), MentionKind.NAME),
        ("Kazakhstan", None, ("KAZ",), MentionKind.NAME),
        # organisations beyond the four with memberships, and their heads on a date
        ("U.N.", None, ("UN",), MentionKind.ORGANISATION),
        ("the Security Council", None, ("UN",), MentionKind.ORGANISATION),
        ("ECOWAS", None, ("ECOWAS",), MentionKind.ORGANISATION),
        ("the African Union", None, ("AU",), MentionKind.ORGANISATION),
        ("Guterres", D(2024, 1, 1), ("UN",), MentionKind.PERSON),
        ("Georgieva", D(2024, 1, 1), ("IMF",), MentionKind.PERSON),
        # heads of state and government imported from the reference leaders (Wikidata)
        ("Pashinyan", D(2024, 1, 1), ("ARM",), MentionKind.PERSON),
        ("Kiril Petkov", D(2022, 3, 1), ("BGR",), MentionKind.PERSON),
    ],
)
def test_resolution(form: str, day: dt.date | None, codes: tuple[str, ...], kind: str) -> None:
    entry = default_gazetteer().resolve(form, day)
    assert entry is not None
    assert (entry.codes, entry.kind) == (codes, kind)


def test_out_of_office_names_nobody() -> None:
    g = default_gazetteer()
    assert g.resolve("Merkel", D(2023, 1, 1)) is None
    assert g.resolve("Merkel", D(2020, 1, 1)) is not None
    assert g.resolve("Stoltenberg", D(2013, 1, 1)) is None
    assert g.resolve("Kiril Petkov", D(2024, 1, 1)) is None  # prime minister 2021-2022


def test_without_a_date_the_current_holder_wins() -> None:
    entry = default_gazetteer().resolve("Rutte")
    assert entry is not None and entry.codes == ("NATO",)


def test_ambiguous_surnames_are_not_aliases() -> None:
    g = default_gazetteer()
    for word in ("May", "Johnson", "Austin", "Cleverly", "Michel", "Singh", "Meta", "Ban"):
        assert word not in g
    assert "Theresa May" in g


def test_every_office_holder_row_has_a_known_actor_and_ordered_dates() -> None:
    from allied.ingest.reference import load_reference_dataset

    codes = {a.code for a in load_reference_dataset().actors}
    g = default_gazetteer()
    for form in g.forms():
        for entry in g.entries(form):
            assert set(entry.codes) <= codes, (form, entry)
            if entry.start and entry.end:
                assert entry.start <= entry.end, (form, entry)


def test_bad_dates_in_rows_name_line_and_field() -> None:
    rows = [{"actor": "DEU", "office": "x", "name": "A B", "aliases": "", "start": "2020-13-01",
             "end": "", "source": "s"}]
    with pytest.raises(InvalidInput) as err:
        build_gazetteer([], [], [], rows)
    assert err.value.line == 2 and err.value.field == "start"
