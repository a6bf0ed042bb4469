"""Units of work the tests make as the API makes them. A plain module, not a conftest
(see ``callers.py``)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from allied.adapters.db.repository_users import SqlServiceUnitOfWork, service_sessions
from allied.bootstrap import Store


def service_uow(store: Store) -> SqlServiceUnitOfWork:
    """A unit of work for a change, as the API makes one (see ``AppContext.uow``)."""
    sqlite = store.engine.dialect.name == "sqlite"
    return SqlServiceUnitOfWork(
        service_sessions(store.engine),
        writer_lock=threading.RLock() if sqlite else None,
        lock_ledger=not sqlite,
    )


def pledged_entry(view: Mapping[str, Any]) -> dict[str, Any]:
    """The ``allocation.pledged`` payload of a new allocation shown as ``view`` (the
    ledger's own schema, version 2: the view without its time)."""
    keep = ("id", "offer", "request", "quantity", "status", "needs_consent")
    return {"v": 2, **{k: view[k] for k in keep}}
