"""The dashboard's pages per role, as (role, path): what benchmarks/web/pages.py times
(and what a page-by-page check may walk). A plain list others extend: add a tuple per
new page and role."""

from __future__ import annotations

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
