"""Importing public data: the Kiel Ukraine Support Tracker and the SIPRI trade register.

Each import is one transaction and at most one ledger entry:

- a Kiel data explorer file replaces, for each donor it names, that donor's monthly
  rows (keyed by donor, year, month): rows are inserted, brought up to date or, when a
  later release no longer has them, deleted; donors the file does not name are left
  alone. A Tracker release is a complete snapshot, so importing it twice changes nothing.
- a SIPRI trade register file replaces, for each recipient it names, that recipient's
  deals (keyed by the content of the row and its occurrence, since SIPRI gives deals no
  identifier): importing the extract of transfers to Ukraine and then the full register
  leaves each deal once.

Re-importing the same file changes nothing and writes nothing, not even a ledger
entry, also under another file name or without its release label (the rows keep the
label they had); a later release stated as such relabels the months it holds. A
malformed row is caught by the parser before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from allied.domain.errors import StorageError
from allied.ingest.kiel import UNSTATED, KielDataset
from allied.ledger import kinds
from allied.reports.records import KielMonth, SipriTransfer
from allied.service.caller import Caller
from allied.service.ports import UnitOfWork


class PublicData(Protocol):
    """The port to stored public data (``adapters/db/tables_public.SqlPublicData``)."""

    def kiel_months(self, donors: Iterable[str] | None = None) -> list[KielMonth]: ...

    def add_kiel(self, months: Sequence[KielMonth]) -> None: ...

    def update_kiel(self, months: Sequence[KielMonth]) -> None: ...

    def delete_kiel(self, keys: Sequence[tuple[str, int, int]]) -> None: ...

    def sipri_transfers(self, recipients: Iterable[str] | None = None) -> list[SipriTransfer]: ...

    def add_sipri(self, transfers: Sequence[SipriTransfer]) -> None: ...

    def delete_sipri(self, keys: Sequence[str]) -> None: ...

    def holds(self, dataset: str) -> bool:
        """Whether any row of ``dataset`` (``kiel`` or ``sipri``) is stored."""
        ...


def public_data(uow: UnitOfWork) -> PublicData:
    """The public-data port of an entered unit of work.

    A unit of work may carry its own (``uow.public``, as the test fakes do); the SQL
    unit of work gets one over its session, so imports share its transaction.
    """
    port = getattr(uow, "public", None)
    if port is not None:
        return port  # type: ignore[no-any-return]
    session = getattr(uow, "session", None)
    if session is None:
        raise StorageError("this unit of work stores no public data")
    from allied.adapters.db.tables_public import SqlPublicData

    return SqlPublicData(session)


@dataclass
class ImportReport:
    """What an import did. ``changed`` is false when the store already held the file."""

    dataset: str
    source: str
    release: str
    rows: int
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    uncertain: int = 0
    unmapped: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated or self.deleted)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "source": self.source,
            "release": self.release,
            "rows": self.rows,
            "inserted": self.inserted,
            "updated": self.updated,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "uncertain": self.uncertain,
            "unmapped": list(self.unmapped),
        }


def _same(stored: KielMonth | SipriTransfer, incoming: KielMonth | SipriTransfer) -> bool:
    """Whether a stored row says what the incoming one says, its ``source`` (the file or
    unstated release it came from) aside: a file imported again under another name, or
    without its release label, leaves the rows and their labels as they were."""
    return replace(stored, source="") == replace(incoming, source="")


def _equal(stored: KielMonth, incoming: KielMonth) -> bool:
    return stored == incoming


def import_kiel(uow: UnitOfWork, caller: Caller, dataset: KielDataset) -> ImportReport:
    """Store a parsed Kiel file: all of it in one transaction, or nothing."""
    report = ImportReport(
        "kiel",
        dataset.source,
        dataset.release,
        len(dataset.months),
        unmapped=sorted({m.donor_name for m in dataset.months if m.donor_kind == "unmapped"}),
    )
    with uow:
        port = public_data(uow)
        existing = {m.key: m for m in port.kiel_months(dataset.donors)}
        incoming = {m.key: m for m in dataset.months}
        new = [m for k, m in incoming.items() if k not in existing]
        # a stated release relabels every month it holds; a file without a label keeps
        # the labels of what it does not change
        same = _same if dataset.release == UNSTATED else _equal
        changed = [
            m for k, m in incoming.items() if k in existing and not same(existing[k], m)
        ]
        gone = sorted(k for k in existing if k not in incoming)
        report.inserted, report.updated, report.deleted = len(new), len(changed), len(gone)
        report.unchanged = len(incoming) - len(new) - len(changed)
        if report.changed:
            port.delete_kiel(gone)
            port.update_kiel(changed)
            port.add_kiel(new)
            uow.ledger.append(
                user=caller.user,
                nation=caller.nation,
                kind=kinds.PUBLIC_KIEL_IMPORTED,
                payload=report.as_dict(),
            )
            uow.commit()
    return report


def import_sipri(
    uow: UnitOfWork, caller: Caller, transfers: Sequence[SipriTransfer], *, source: str
) -> ImportReport:
    """Store parsed SIPRI deals: all of them in one transaction, or nothing."""
    report = ImportReport(
        "sipri",
        source,
        "SIPRI Arms Transfers Database, trade register",
        len(transfers),
        uncertain=sum(1 for t in transfers if t.uncertain),
        unmapped=sorted(
            {t.supplier_name for t in transfers if t.supplier_kind == "unmapped"}
            | {t.recipient_name for t in transfers if t.recipient.startswith("X-")}
        ),
    )
    recipients = {t.recipient for t in transfers}
    with uow:
        port = public_data(uow)
        existing = {t.key: t for t in port.sipri_transfers(recipients)}
        incoming = {t.key: t for t in transfers}
        new = [t for k, t in incoming.items() if k not in existing]
        # The key is the row's content, so a deal either stays or goes; only what the
        # importer derives (codes, family) could change between versions of allied.
        changed = [
            t for k, t in incoming.items() if k in existing and not _same(existing[k], t)
        ]
        gone = sorted(k for k in existing if k not in incoming)
        report.inserted = len(new)
        report.updated = len(changed)
        report.deleted = len(gone)
        report.unchanged = len(incoming) - len(new) - len(changed)
        if report.changed:
            port.delete_sipri(gone + [t.key for t in changed])
            port.add_sipri(new + changed)
            uow.ledger.append(
                user=caller.user,
                nation=caller.nation,
                kind=kinds.PUBLIC_SIPRI_IMPORTED,
                payload=report.as_dict(),
            )
            uow.commit()
    return report


def stored_kiel(uow: UnitOfWork) -> list[KielMonth]:
    with uow:
        return public_data(uow).kiel_months()


def stored_sipri(uow: UnitOfWork) -> list[SipriTransfer]:
    with uow:
        return public_data(uow).sipri_transfers()
