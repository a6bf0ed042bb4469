"""The dashboard's pages, as (role, path): what page-wide checks (axe, screenshots, timing)
walk through. Record pages name their record by a placeholder (``{request}``, ...),
filled with :func:`fill` from ids of the data a test loaded. (Not ``catalogue.py``: that
name would shadow the ``catalogue`` package spaCy imports, tests/web being on sys.path.)"""

from __future__ import annotations

ROLES = ("coordinator", "donor", "origin", "recipient", "auditor")

#: the list and job pages, for every role
LIST_PAGES: list[tuple[str, str]] = [
    (role, path)
    for role in ROLES
    for path in (
        "/", "/requests", "/offers", "/allocation", "/consents", "/decisions", "/ledger",
        "/reports", "/lab", "/monitor",
    )
]

#: one page per record kind (detail.py), for every role that sees it in the demo data
RECORD_PAGES: list[tuple[str, str]] = [
    (role, path)
    for role in ROLES
    for path in (
        "/requests/{request}",
        "/offers/{offer}",
        "/allocations/{allocation}",
        "/consents/{consent}",
        "/proposals/{proposal}",
        "/accessions/{candidate}",
    )
] + [(role, "/monitor/events/{event}") for role in ("coordinator", "auditor")]

PAGES = LIST_PAGES + RECORD_PAGES


def fill(path: str, ids: dict[str, str]) -> str:
    """A catalogue path with its placeholder replaced by the id given for it."""
    return path.format(**ids)
