"""The ledger: entries and verification, for the roles that read it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from allied.domain.errors import InvalidInput
from allied.domain.users import (
    Action,
    require,
)
from allied.service.caller import Caller
from allied.service.ledger import entry_dict, ledger_rows
from allied.service.ports import UnitOfWork
from allied.service.usecases.common import (
    Page,
)


def ledger_entries(uow: UnitOfWork, caller: Caller, *, after: int = 0, limit: int = 50) -> Page:
    require(caller.role, Action.READ_LEDGER)
    if after < 0:
        raise InvalidInput("must not be negative", field="after")
    rows: list[dict[str, Any]] = []
    with uow:
        entries = uow.ledger.entries(after=after)
        try:
            for entry in entries:
                rows.append(entry_dict(entry))
                if len(rows) >= limit:
                    break
        finally:
            entries.close()
        head = uow.ledger.head()
    return Page(rows, head[0] if head else 0, limit, after)


def verify_ledger(uow: UnitOfWork, caller: Caller) -> int:
    from allied.service.ledger import verify_chain as verify

    require(caller.role, Action.READ_LEDGER)
    return verify(uow)


def export_ledger(uow: UnitOfWork, caller: Caller) -> Iterator[dict[str, Any]]:
    """Every ledger entry, in order (for the roles that read the ledger)."""
    require(caller.role, Action.READ_LEDGER)
    return ledger_rows(uow)
