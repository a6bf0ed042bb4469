"""Loading the built-in reference dataset: idempotent, one transaction, one ledger entry.

Reference facts (actors, memberships, indicators, catalogue, consent policies, funds,
contributions) are inserted or brought up to date; the reference scenario (requests,
offers, consents) is inserted only where absent, so work done on it is never undone.
A second load finds nothing to change and writes nothing, not even a ledger entry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from allied.ingest.reference import ReferenceDataset
from allied.ledger import kinds
from allied.service.caller import Caller
from allied.service.ports import Repository, UnitOfWork


@dataclass
class LoadReport:
    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    #: the records inserted, by table (what the ledger entry holds to be replayed)
    added: dict[str, list[Any]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def changed(self) -> bool:
        return any(self.inserted.values()) or any(self.updated.values())


def _columns(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


def _sync(
    name: str,
    repo: Repository[Any],
    incoming: Sequence[Any],
    key: Callable[[Any], Any],
    report: LoadReport,
    *,
    update: bool,
) -> None:
    existing = {key(o): o for o in repo.list()}
    ins = upd = same = 0
    for obj in incoming:
        current = existing.get(key(obj))
        if current is None:
            repo.add(obj)
            existing[key(obj)] = obj
            report.added.setdefault(name, []).append(obj)
            ins += 1
            continue
        wanted = _columns(obj)
        if update and _columns(current) != wanted:
            for attr, value in wanted.items():
                if getattr(current, attr) != value:
                    setattr(current, attr, value)
            upd += 1
        else:
            same += 1
    report.inserted[name], report.updated[name], report.unchanged[name] = ins, upd, same


def load_reference(uow: UnitOfWork, caller: Caller, ds: ReferenceDataset) -> LoadReport:
    report = LoadReport()
    with uow:
        steps: list[tuple[str, Repository[Any], Sequence[Any], Callable[[Any], Any], bool]] = [
            ("actors", uow.actors, ds.actors, lambda o: o.code, True),
            (
                "memberships",
                uow.memberships,
                ds.memberships,
                lambda o: (o.actor, o.org, str(o.role), o.start),
                True,
            ),
            (
                "indicators",
                uow.indicators,
                ds.indicators,
                lambda o: (o.actor, o.name, o.year),
                True,
            ),
            ("item_types", uow.item_types, ds.item_types, lambda o: o.code, True),
            (
                "consent_policies",
                uow.consent_policies,
                ds.consent_policies,
                lambda o: o.origin,
                True,
            ),
            ("funds", uow.funds, ds.funds, lambda o: o.code, True),
            ("contributions", uow.contributions, ds.contributions, lambda o: o.id, True),
            ("requests", uow.requests, ds.requests, lambda o: o.id, False),
            ("offers", uow.offers, ds.offers, lambda o: o.id, False),
            ("consents", uow.consents, ds.consents, lambda o: o.id, False),
            ("accessions", uow.accessions, ds.accessions, lambda o: o.id, False),
        ]
        for name, repo, incoming, key, update in steps:
            for obj in incoming:
                if hasattr(obj, "created_by") and not obj.created_by:
                    obj.created_by = "reference-data"
            _sync(name, repo, incoming, key, report, update=update)
            flush = getattr(uow, "flush", None)
            if flush is not None:
                flush()
        if report.changed:
            uow.ledger.append(
                user=caller.user,
                nation=caller.nation,
                kind=kinds.REFERENCE_LOADED,
                payload=kinds.reference_loaded(report.inserted, report.updated, report.added),
            )
        uow.commit()
    return report
