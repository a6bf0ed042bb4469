"""The keys of the read caches: one place that says what a kept result depends on.

A key holds everything a result depends on other than the data versions (which the
store keeps beside it): the route or kind of result, the caller's nation and role where
releasability applies, the day (memberships and consents are evaluated on a date) and the
route's parameters. Two callers who may see different records never share a key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable

from allied.service.caller import Caller

Key = tuple[Hashable, ...]


def view_key(kind: str, caller: Caller, day: dt.date, *params: Hashable) -> Key:
    """A result filtered by releasability to ``caller`` on ``day`` (a list page, a set
    of totals), with the route's ``params`` in a fixed order."""
    return (kind, caller.nation, caller.role, day, *params)


def role_key(kind: str, caller: Caller, *params: Hashable) -> Key:
    """A result that depends on the caller's role only (reference data every nation
    sees alike)."""
    return (kind, caller.role, *params)


def json_key(key: Key) -> Key:
    """The encoded JSON of the result kept under ``key``."""
    return ("json", *key)


def auth_key(token_digest: str) -> Key:
    """The user behind a token (by the token's SHA-256 digest, never the token)."""
    return ("auth", token_digest)


def memberships_key(caller: Caller) -> Key:
    """A nation's memberships, as its users' releasability reads them."""
    return ("memberships", caller.nation, str(caller.role))


def answer_key(path: str, query_string: bytes, token_digest: str, day: dt.date) -> Key:
    """A whole answer of the middleware: the raw path and query, the token's digest and
    the day."""
    return ("http", path, query_string, token_digest, day)
