"""Every page of the dashboard, for each of the six roles: the shared page catalogue.

A plain list of ``(role, path)``: the accessibility check (``test_web_a11y.py``, axe-core
at desktop width and at 390 px) and ``make screenshots`` (``scripts/screenshots.py``)
visit each. A page a role may not open is not listed for it (its link is not in that
role's navigation). Whoever adds a page appends its rows here, for every role that sees
it; a record page names a record of the reference data or of the browser scenario.

(Named ``page_catalogue`` because pytest puts ``tests/web`` on ``sys.path``: a
``catalogue.py`` here would hide the PyPI package ``catalogue`` that spaCy imports.)
"""

from __future__ import annotations

ROLES = ("coordinator", "donor", "origin", "recipient", "auditor", "admin")

#: pages every signed-in role opens
_EVERYONE = (
    "/",
    "/requests",
    "/offers",
    "/allocation",
    "/decisions",
    "/reports",
    "/reports?name=deliveries",
    "/lab",
    "/monitor",
)

CATALOGUE: list[tuple[str, str]] = [
    *[(role, path) for role in ROLES for path in _EVERYONE],
    # the consents inbox: every role but the admin
    *[(role, "/consents") for role in ROLES if role != "admin"],
    # the ledger, and the reports over every record: the roles that see all
    *[
        (role, path)
        for role in ("coordinator", "auditor")
        for path in ("/ledger", "/reports?name=gaps", "/reports?name=predictability")
    ],
    # the jobs of each role (web/admin.py, governance.py, policies.py, data.py, monitor.py)
    *[(role, path) for role in ROLES for path in ("/consents/policies", "/data")],
    *[(role, "/monitor/review") for role in ("coordinator", "auditor")],
    ("admin", "/admin/users"),
]

#: pages shown before signing in
SIGNED_OUT: list[str] = ["/login"]


def paths_for(role: str) -> list[str]:
    """The catalogue's pages of one role, in order."""
    return [path for r, path in CATALOGUE if r == role]


#: one page per record kind (detail.py), for every role that sees it in the demo data;
#: a record page names its record by a placeholder (``{request}``, ...) filled with
#: :func:`fill` from ids of the data a test loaded
RECORD_PAGES: list[tuple[str, str]] = [
    (role, path)
    for role in ("coordinator", "donor", "origin", "recipient", "auditor")
    for path in (
        "/requests/{request}",
        "/offers/{offer}",
        "/allocations/{allocation}",
        "/consents/{consent}",
        "/proposals/{proposal}",
        "/accessions/{candidate}",
        "/accessions/{accession}",
    )
] + [(role, "/monitor/events/{event}") for role in ("coordinator", "auditor")]


def fill(path: str, ids: dict[str, str]) -> str:
    """A catalogue path with its placeholder replaced by the id given for it."""
    return path.format(**ids)


# -- what benchmarks/web/pages.py times at volume: list pages with sorts, searches and
# later pages, per role, and the API's list pages ----------------------------------------

#: the nation each role's user belongs to when the pages are timed
NATIONS = {"coordinator": None, "donor": "USA", "recipient": "UKR", "origin": "DEU",
           "auditor": None}

_LISTS = [
    "/",
    "/requests",
    "/requests?sort=-outstanding",
    "/requests?q=155&page=2",
    "/offers",
    "/offers?sort=-available",
    "/offers?page=20",
    "/allocation",
    "/allocation?status=shipped&sort=needed_by",
    "/consents",
    "/decisions",
]

PAGES: list[tuple[str, str]] = [(role, path) for role in NATIONS for path in _LISTS]

_API = [
    "/api/v1/requests?limit=50",
    "/api/v1/requests?limit=50&offset=200&sort=-outstanding",
    "/api/v1/offers?limit=50",
    "/api/v1/offers?limit=50&offset=1000&sort=-available",
    "/api/v1/allocations?limit=50",
    "/api/v1/allocations?limit=50&offset=2000&status=delivered",
    "/api/v1/consents?limit=50",
    "/api/v1/todo",
]

#: The API's list pages per role (timed with the role's bearer token).
API_PAGES: list[tuple[str, str]] = [(role, path) for role in NATIONS for path in _API]
