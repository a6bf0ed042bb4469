"""Public-data imports and reports through real stores (SQLite; PostgreSQL when configured)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import text

from allied.adapters.db.tables_public import SqlPublicData
from allied.bootstrap import Store
from allied.domain.assistance import Allocation, AllocationStatus
from allied.domain.errors import InvalidInput, MissingData, StorageError
from allied.ingest.kiel import KielDataset, builtin_kiel_path, parse_kiel, read_kiel
from allied.ingest.sipri import builtin_sipri_path, parse_sipri, read_sipri
from allied.reports.burden import burden
from allied.reports.data import reference_figures
from allied.service.caller import Caller
from allied.service.ledger import verify_chain
from allied.service.public_data import import_kiel, import_sipri, stored_kiel, stored_sipri
from allied.service.reports import (
    ReportOptions,
    build_report,
    render_report,
    report_data,
    unavailable,
)

CALLER = Caller(user="test", nation="")


def _count(store: Store, table: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_kiel_import_round_trips_and_reimport_changes_nothing(empty_store: Store) -> None:
    data = read_kiel(builtin_kiel_path())
    first = import_kiel(empty_store.uow(), CALLER, data)
    assert (first.inserted, first.updated, first.deleted) == (929, 0, 0)
    assert stored_kiel(empty_store.uow()) == sorted(data.months, key=lambda m: m.key)
    assert _count(empty_store, "ledger_entries") == 1
    again = import_kiel(empty_store.uow(), CALLER, read_kiel(builtin_kiel_path()))
    assert not again.changed and again.unchanged == 929
    assert _count(empty_store, "ledger_entries") == 1  # nothing written, not even the ledger
    assert _count(empty_store, "kiel_allocations") == 929
    assert verify_chain(empty_store.uow()) == 1


def test_a_later_release_updates_adds_and_drops_months_of_the_donors_it_names(
    empty_store: Store,
) -> None:
    data = read_kiel(builtin_kiel_path())
    import_kiel(empty_store.uow(), CALLER, data)
    germany = [m for m in data.months if m.donor == "DEU"]
    revised = [
        dataclasses.replace(
            germany[0],
            military=germany[0].military + 1,
            total=germany[0].total + 1,
            source="Release 30",
        )
    ]
    revised += [dataclasses.replace(m, source="Release 30") for m in germany[2:]]
    revised.append(dataclasses.replace(germany[-1], year=2026, month=12, source="Release 30"))
    report = import_kiel(
        empty_store.uow(), CALLER, KielDataset(tuple(revised), "Release 30", "r30.csv")
    )
    assert (report.inserted, report.deleted) == (1, 1)
    assert report.updated == len(germany) - 1  # the relabelled months and the revised one
    stored = {m.key: m for m in stored_kiel(empty_store.uow())}
    assert stored[germany[0].key].military == germany[0].military + 1
    assert germany[1].key not in stored and ("DEU", 2026, 12) in stored
    assert stored[("USA", 2022, 2)].source == data.release  # donors not named: untouched
    assert _count(empty_store, "ledger_entries") == 2


def test_a_failed_import_writes_nothing(
    empty_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = read_kiel(builtin_kiel_path())
    import_kiel(empty_store.uow(), CALLER, data)
    before = stored_kiel(empty_store.uow())
    revised = [dataclasses.replace(m, source="Release 30") for m in data.months[1:]]
    revised.append(dataclasses.replace(data.months[-1], year=2027, source="Release 30"))

    def broken(self: SqlPublicData, months: object) -> None:
        raise StorageError("disk full")

    # Deletes and updates go through first; the failure after them rolls all back.
    monkeypatch.setattr(SqlPublicData, "add_kiel", broken)
    with pytest.raises(StorageError, match="disk full"):
        import_kiel(empty_store.uow(), CALLER, KielDataset(tuple(revised), "Release 30", "r30.csv"))
    assert stored_kiel(empty_store.uow()) == before
    assert _count(empty_store, "ledger_entries") == 1


def test_a_malformed_file_stops_before_the_store(empty_store: Store) -> None:
    body = builtin_kiel_path().read_text(encoding="utf-8").splitlines()
    body[500] = body[500].replace(",2023,", ",2o23,", 1)
    with pytest.raises(InvalidInput) as err:
        parse_kiel("\n".join(body), source="bad.csv")
    assert err.value.line == 501
    assert _count(empty_store, "kiel_allocations") == 0


def test_all_or_nothing_when_the_database_refuses_a_row(empty_store: Store) -> None:
    data = read_kiel(builtin_kiel_path())
    too_long = dataclasses.replace(data.months[-1], donor_kind="x" * 40)  # column is 32 wide
    bad = KielDataset((*data.months[:-1], too_long), data.release, "bad.csv")
    if empty_store.engine.dialect.name == "sqlite":
        pytest.skip("SQLite does not enforce VARCHAR lengths")
    with pytest.raises(StorageError):
        import_kiel(empty_store.uow(), CALLER, bad)
    assert _count(empty_store, "kiel_allocations") == 0


def test_sipri_import_keeps_uncertain_numbers_and_is_idempotent(empty_store: Store) -> None:
    deals = read_sipri(builtin_sipri_path())
    first = import_sipri(empty_store.uow(), CALLER, deals, source="extract.csv")
    assert first.inserted == 356 and first.uncertain == sum(d.uncertain for d in deals)
    stored = stored_sipri(empty_store.uow())
    assert sorted(stored, key=lambda d: d.key) == sorted(deals, key=lambda d: d.key)
    assert sum(d.ordered_uncertain for d in stored) == 166
    again = import_sipri(
        empty_store.uow(), CALLER, read_sipri(builtin_sipri_path()), source="extract.csv"
    )
    assert not again.changed and _count(empty_store, "ledger_entries") == 1


def test_the_full_register_after_the_extract_keeps_each_deal_once(empty_store: Store) -> None:
    extract = builtin_sipri_path().read_text(encoding="utf-8")
    import_sipri(empty_store.uow(), CALLER, parse_sipri(extract), source="extract.csv")
    register = extract.splitlines()
    register.append("Poland,South Korea,2022,,180,,K-2,tank,10,?,2022; 2023,New,,5.6,1008,56")
    del register[5]  # a deal SIPRI has since revised away
    report = import_sipri(
        empty_store.uow(), CALLER, parse_sipri("\n".join(register)), source="register.csv"
    )
    assert (report.inserted, report.deleted, report.unchanged) == (1, 1, 355)
    assert _count(empty_store, "sipri_transfers") == 356


def test_reports_read_the_store(store: Store) -> None:
    import_kiel(store.uow(), CALLER, read_kiel(builtin_kiel_path()))
    import_sipri(store.uow(), CALLER, read_sipri(builtin_sipri_path()), source="extract.csv")
    data = report_data(store.uow(), "burden")
    direct = burden(
        read_kiel(builtin_kiel_path()).months,
        reference_figures(),
        release=read_kiel(builtin_kiel_path()).release,
    ).as_dict()
    assert data["donors"] == direct["donors"]
    png = render_report(store.uow(), "deliveries", "png")
    assert isinstance(png, bytes) and png.startswith(b"\x89PNG")
    html = render_report(
        store.uow(), "predictability", "html", ReportOptions(start=dt.date(2023, 1, 1))
    )
    assert isinstance(html, str) and "2023-01" in html
    with pytest.raises(InvalidInput, match="unknown report"):
        build_report(store.uow(), "morale")


def test_gaps_from_the_clearinghouse(store: Store) -> None:
    with store.uow() as uow:
        requests = {r.id: r for r in uow.requests.list()}
        offers = uow.offers.list()
        pairs = [(o, r) for o in offers for r in requests.values() if o.family in r.accepts]
        (o1, r1), (o2, r2) = pairs[0], next(p for p in pairs if p[1].family != pairs[0][1].family)
        uow.allocations.add(Allocation("GAP-1", o1.id, r1.id, 3, status=AllocationStatus.DELIVERED))
        uow.allocations.add(Allocation("GAP-2", o2.id, r2.id, 2, status=AllocationStatus.PLEDGED))
        uow.commit()
    families = {r["family"]: r for r in report_data(store.uow(), "gaps")["families"]}
    assert families[r1.family]["delivered"] >= 3 and families[r1.family]["pledged"] >= 3
    assert families[r2.family]["pledged"] >= 2
    expected = sum(
        r.quantity
        for r in requests.values()
        if r.family == r1.family and r.status.value != "withdrawn"
    )
    assert families[r1.family]["requested"] == expected


def test_reports_need_their_data(empty_store: Store) -> None:
    with pytest.raises(MissingData, match="import kiel") as kiel:
        build_report(empty_store.uow(), "burden")
    assert (kiel.value.dataset, kiel.value.command) == ("kiel", "allied import kiel")
    with pytest.raises(MissingData, match="import sipri"):
        build_report(empty_store.uow(), "deliveries")
    assert report_data(empty_store.uow(), "gaps")["families"] == []
    # which reports wait for which data, read without building them
    waiting = unavailable(empty_store.uow())
    assert {n: e.dataset for n, e in waiting.items()} == {
        "burden": "kiel", "predictability": "kiel", "deliveries": "sipri"
    }
    import_sipri(empty_store.uow(), CALLER, read_sipri(builtin_sipri_path()), source="t")
    assert set(unavailable(empty_store.uow(), ("burden", "deliveries", "gaps"))) == {"burden"}


def test_decimal_text_keeps_kiel_figures_exact(empty_store: Store) -> None:
    data = read_kiel(builtin_kiel_path())
    import_kiel(empty_store.uow(), CALLER, data)
    canada = [m for m in stored_kiel(empty_store.uow()) if m.donor == "CAN"]
    assert canada[0].gdp_eur_bn == Decimal("1681.12671460999")
