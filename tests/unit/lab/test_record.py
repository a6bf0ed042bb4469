"""The recorded episodes: complete, dated, sourced, and refused when malformed."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator

import numpy as np
import pytest

from allied.domain.errors import InvalidInput
from allied.lab import record
from allied.lab.actors import _rows, load_actors


def test_every_ally_on_the_day_of_signature_has_one_row_per_protocol() -> None:
    actors = load_actors()
    rows = defaultdict(list)
    for r in record.ratifications():
        rows[r.accession].append(r.state)
    for acc in record.accessions():
        allies = {
            c for c, m in zip(actors.codes, actors.members("NATO", acc.signed_on), strict=True) if m
        } - {acc.candidate}
        assert sorted(rows[acc.id]) == sorted(allies), acc.id
    assert {a.id: len(rows[a.id]) for a in record.accessions()} == {
        "NATO-MNE-2016": 28,
        "NATO-MKD-2019": 29,
        "NATO-FIN-2022": 30,
        "NATO-SWE-2022": 30,
    }


def test_finland_and_sweden_are_dated_to_the_day_and_end_with_the_record() -> None:
    rats = [r for r in record.ratifications() if r.accession in ("NATO-FIN-2022", "NATO-SWE-2022")]
    assert all(r.exact for r in rats)
    last = {
        acc: max((r for r in rats if r.accession == acc), key=lambda r: r.by)
        for acc in ("NATO-FIN-2022", "NATO-SWE-2022")
    }
    assert (last["NATO-FIN-2022"].state, last["NATO-FIN-2022"].by) == ("TUR", dt.date(2023, 3, 30))
    assert (last["NATO-SWE-2022"].state, last["NATO-SWE-2022"].by) == ("HUN", dt.date(2024, 2, 26))
    # rows that are not dated to the day say so
    assert all(r.confidence == "interval" for r in record.ratifications() if not r.exact)


def test_episodes_name_what_ended_them_and_the_epf_hold_up_is_still_going() -> None:
    eps = {e.id: e for e in record.episodes()}
    epf = eps["eu-epf-reimbursement"]
    assert epf.end is None and epf.blocker == "HUN"
    days, ended = epf.duration()
    assert not ended and days == (record.RECORD_END - epf.start).days
    assert eps["nato-ratify-swe-hun"].ended_by == "side payment"
    assert all(e.accession for e in eps.values() if e.venue == "ratification")


def test_kiel_months_add_up_to_the_yearly_file() -> None:
    by_year: dict[tuple[str, int], float] = defaultdict(float)
    for k in record.kiel_monthly():
        by_year[(k.iso3, k.year)] += k.total_eur_bn
    yearly = {
        (r["iso3"], int(r["year"])): float(r["total_eur_bn"]) for r in _rows("lab/kiel_aid.csv")
    }
    assert by_year.keys() == yearly.keys()
    assert np.allclose([by_year[k] for k in yearly], list(yearly.values()), atol=1e-5)


@pytest.mark.parametrize(
    ("name", "patch", "field"),
    [
        ("ratifications.csv", {"on": "2022-13-01"}, "on"),
        ("ratifications.csv", {"on": "2021-01-01"}, "on"),
        ("ratifications.csv", {"confidence": "sure"}, "confidence"),
        ("blocking_episodes.csv", {"ended_by": "ongoing"}, "ended_by"),
        ("blocking_episodes.csv", {"venue": "UN"}, "venue"),
    ],
)
def test_a_bad_row_is_refused_naming_its_line_and_field(
    monkeypatch: pytest.MonkeyPatch, name: str, patch: dict[str, str], field: str
) -> None:
    original = record._rows

    def rows(n: str) -> Iterator[tuple[int, dict[str, str]]]:
        for i, r in original(n):
            yield i, ({**r, **patch} if n == name and i == 3 else r)

    monkeypatch.setattr(record, "_rows", rows)
    loader = record.ratifications if name == "ratifications.csv" else record.episodes
    loader.cache_clear()
    try:
        with pytest.raises(InvalidInput) as exc:
            loader()
        assert exc.value.field == field and exc.value.line == 3
    finally:
        monkeypatch.undo()
        loader.cache_clear()
