"""The public-data and report use-cases over in-memory fakes of the ports."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

import pytest

from allied.domain.errors import InvalidInput, MissingData, StorageError
from allied.ingest.kiel import (
    UNSTATED,
    KielDataset,
    builtin_kiel_path,
    parse_kiel,
    read_kiel,
)
from allied.ingest.sipri import builtin_sipri_path, read_sipri
from allied.reports.records import KielMonth, SipriTransfer
from allied.service.caller import Caller
from allied.service.public_data import import_kiel, import_sipri, public_data
from allied.service.reports import build_report, render, render_report
from fakes import FakeUnitOfWork

CALLER = Caller(user="analyst", nation="")


class FakePublicData:
    def __init__(self) -> None:
        self.kiel: dict[tuple[str, int, int], KielMonth] = {}
        self.sipri: dict[str, SipriTransfer] = {}

    def kiel_months(self, donors: Iterable[str] | None = None) -> list[KielMonth]:
        chosen = None if donors is None else set(donors)
        return [m for k, m in sorted(self.kiel.items()) if chosen is None or k[0] in chosen]

    def add_kiel(self, months: Sequence[KielMonth]) -> None:
        for m in months:
            assert m.key not in self.kiel
            self.kiel[m.key] = m

    def update_kiel(self, months: Sequence[KielMonth]) -> None:
        for m in months:
            assert m.key in self.kiel
            self.kiel[m.key] = m

    def delete_kiel(self, keys: Sequence[tuple[str, int, int]]) -> None:
        for k in keys:
            del self.kiel[k]

    def sipri_transfers(self, recipients: Iterable[str] | None = None) -> list[SipriTransfer]:
        chosen = None if recipients is None else set(recipients)
        return [t for t in self.sipri.values() if chosen is None or t.recipient in chosen]

    def add_sipri(self, transfers: Sequence[SipriTransfer]) -> None:
        for t in transfers:
            self.sipri[t.key] = t

    def delete_sipri(self, keys: Sequence[str]) -> None:
        for k in keys:
            del self.sipri[k]

    def holds(self, dataset: str) -> bool:
        return bool(self.kiel if dataset == "kiel" else self.sipri)


class Uow(FakeUnitOfWork):
    """The fake unit of work with the public-data port, rolled back with the rest."""

    def __init__(self) -> None:
        super().__init__()
        self.public = FakePublicData()

    def __enter__(self) -> Uow:
        super().__enter__()
        self._public_snapshot = copy.deepcopy(self.public)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._snapshot is not None:
            self.public = self._public_snapshot
        super().__exit__(*exc)


def test_imports_go_through_the_port_and_the_ledger() -> None:
    uow = Uow()
    data = read_kiel(builtin_kiel_path())
    report = import_kiel(uow, CALLER, data)
    assert report.inserted == 929 and len(uow.public.kiel) == 929
    assert [e.kind for e in uow.ledger.log] == ["public.kiel.imported"]
    assert uow.ledger.log[0].payload["release"] == data.release
    assert not import_kiel(uow, CALLER, data).changed
    assert len(uow.ledger.log) == 1
    deals = read_sipri(builtin_sipri_path())
    assert import_sipri(uow, CALLER, deals, source="x.csv").inserted == 356
    assert len(uow.ledger.log) == 2


def test_the_same_data_again_without_its_label_or_under_another_name_changes_nothing() -> None:
    """A file imported again with no release label (the dashboard's empty label field),
    or under another file name, is the same data: nothing changes, no ledger entry, and
    the rows keep the label of the import that stored them."""
    uow = Uow()
    data = read_kiel(builtin_kiel_path())
    import_kiel(uow, CALLER, data)
    # the dashboard's upload: the file's text, no release_info.csv beside it, no label typed
    unlabelled = parse_kiel(builtin_kiel_path().read_text(encoding="utf-8"), source="up.csv")
    assert unlabelled.release == UNSTATED and unlabelled.months[0].source == UNSTATED
    again = import_kiel(uow, CALLER, unlabelled)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 929)
    assert {m.source for m in uow.public.kiel.values()} == {data.release}
    deals = read_sipri(builtin_sipri_path())
    import_sipri(uow, CALLER, deals, source="x.csv")
    renamed = [dataclasses.replace(t, source="copy of x.csv") for t in deals]
    assert import_sipri(uow, CALLER, renamed, source="copy of x.csv").unchanged == 356
    assert len(uow.ledger.log) == 2
    # a real change is still one: a number moves
    moved = dataclasses.replace(data.months[0], military=data.months[0].military + 1)
    changed = import_kiel(uow, CALLER, dataclasses.replace(data, months=(moved,)))
    assert changed.updated == 1 and len(uow.ledger.log) == 3


def test_a_failure_inside_the_unit_of_work_leaves_the_port_as_it_was() -> None:
    uow = Uow()
    data = read_kiel(builtin_kiel_path())
    import_kiel(uow, CALLER, data)

    def broken(months: Sequence[KielMonth]) -> None:
        raise StorageError("disk full")

    changed = KielDataset(
        tuple(dataclasses.replace(m, source="R30") for m in data.months), "R30", "r30.csv"
    )
    uow.public.add_kiel = broken  # type: ignore[method-assign]
    extra = dataclasses.replace(data.months[0], year=2030)
    with pytest.raises(StorageError):
        import_kiel(uow, CALLER, dataclasses.replace(changed, months=(*changed.months, extra)))
    assert {m.source for m in uow.public.kiel.values()} == {data.release}
    assert len(uow.ledger.log) == 1


def test_reports_through_the_service() -> None:
    uow = Uow()
    import_kiel(uow, CALLER, read_kiel(builtin_kiel_path()))
    report = build_report(uow, "burden")
    assert report.tables["donors"][0]["code"] == "USA"
    assert isinstance(render(report, "csv"), str)
    with pytest.raises(InvalidInput, match="unknown format"):
        render(report, "xlsx")
    with pytest.raises(MissingData, match="import sipri"):
        render_report(uow, "deliveries", "json")


def test_a_unit_of_work_without_a_store_for_public_data() -> None:
    with pytest.raises(StorageError, match="stores no public data"):
        public_data(FakeUnitOfWork())  # type: ignore[arg-type]
