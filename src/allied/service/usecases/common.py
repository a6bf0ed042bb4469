"""What every use-case shares: the caller's viewer, pages of rows, ids a nation chooses."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from allied.domain.actors import ActorKind, Membership
from allied.domain.errors import InvalidInput, PermissionDenied
from allied.domain.users import Action, require, require_own_nation, sees_all
from allied.domain.visibility import Grant, Viewer, viewer_on
from allied.service.caller import Caller
from allied.service.ports import UnitOfWork


def viewer(
    uow: UnitOfWork,
    caller: Caller,
    day: dt.date,
    memberships: Sequence[Membership] | None = None,
) -> Viewer:
    """The viewer for ``caller`` on ``day`` (call inside ``with uow``); ``memberships``,
    when given, are the caller's nation's (from :func:`memberships_of`) and are not read
    again."""
    require(caller.role, Action.READ)
    if memberships is None and caller.nation and not sees_all(caller.role):
        memberships = uow.memberships.list(actor=caller.nation)
    return viewer_of(caller, day, memberships or ())


def viewer_of(caller: Caller, day: dt.date, memberships: Sequence[Membership]) -> Viewer:
    """The viewer for ``caller`` on ``day``, given its nation's memberships."""
    require(caller.role, Action.READ)
    return viewer_on(caller.nation, caller.role, day, list(memberships))


def memberships_of(uow: UnitOfWork, caller: Caller) -> tuple[Membership, ...]:
    """The memberships a viewer of ``caller``'s nation needs (for :func:`viewer`; a cache
    may keep them while the records do not change)."""
    require(caller.role, Action.READ)
    if sees_all(caller.role) or not caller.nation:
        return ()
    with uow:
        # plain copies: they outlive the unit of work that read them
        return tuple(
            Membership(m.actor, m.org, m.role, m.start, m.end, m.source)
            for m in uow.memberships.list(actor=caller.nation)
        )


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class RecordPage:
    """A page of offers or requests without the quantities pledges change (committed,
    pledged). It stays right while the records do not change, so a cache may keep it
    across pledges; ``with_committed`` and ``with_pledged`` complete it."""

    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int
    #: for requests: the offers whose pledges the viewer may count (``None``: all)
    counted_offers: tuple[str, ...] | None = None
    #: for requests: those whose pledges the viewer counts in full (its own: a recipient
    #: sees every allocation made to it)
    full: tuple[str, ...] = ()
    #: for requests: the viewer's grant, for a store that counts pledges itself
    grant: Grant | None = None


def check_window(limit: int, offset: int) -> None:
    if limit < 1:
        raise InvalidInput("must be at least 1", field="limit")
    if offset < 0:
        raise InvalidInput("must not be negative", field="offset")


def page(rows: Sequence[dict[str, Any]], limit: int, offset: int) -> Page:
    check_window(limit, offset)
    return Page(list(rows[offset : offset + limit]), len(rows), limit, offset)


def filters_given(filters: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in filters.items() if v is not None}


def keep_national_prefix(uow: UnitOfWork, given: object, owner: str) -> None:
    """An id chosen by a role that sees everything may start with a state's code only for
    that state's record: else that nation's own later choice of it would answer "already
    exists" (telling it of a record it may not see)."""
    if not isinstance(given, str) or "-" not in given:
        return
    head = given.strip().split("-", 1)[0].upper()
    if head == owner:
        return
    with uow:
        actor = uow.actors.get(head)
        is_state = actor is not None and actor.kind is ActorKind.STATE
    if is_state:
        raise InvalidInput(
            f"ids starting with {head}- are kept for {head}'s own records; this one is "
            f"{owner or 'no nation'}'s",
            field="id",
        )


def national_id(
    uow: UnitOfWork, caller: Caller, data: Mapping[str, Any], prefix: str, owner: str
) -> dict[str, Any]:
    """The record's id as a national user may have it.

    A nation sees only part of the records, so an id must not tell it about the rest: an
    id it chooses starts with its own code (it cannot collide with, and so reveal, another
    nation's hidden record), and an id the server assigns is random rather than a count
    of every record. Roles that see everything choose ids freely, but not in another
    nation's prefix (``EST-...`` only for an Estonian record)."""
    body = dict(data)
    given = body.get("id")
    if sees_all(caller.role):
        keep_national_prefix(uow, given, owner)
        return body
    if given is None or (isinstance(given, str) and not given.strip()):
        body["id"] = f"{prefix}-{caller.nation}-{secrets.token_hex(4).upper()}"
    elif not (isinstance(given, str) and given.strip().upper().startswith(f"{caller.nation}-")):
        raise InvalidInput(
            f"an id you choose starts with your nation's code ({caller.nation}-...); "
            "leave it out to have one assigned",
            field="id",
        )
    return body


def own_record(caller: Caller, data: Mapping[str, Any], field: str, line: int | None) -> None:
    """A national role registers records of its own nation only (the coordinator any)."""
    owner = str(data.get(field) or "").strip().upper()
    try:
        require_own_nation(caller.role, caller.nation, owner, field)
    except PermissionDenied as exc:
        where = f" (line {line})" if line is not None else ""
        raise PermissionDenied(f"{exc}{where}") from None


def national_ids(
    uow: UnitOfWork,
    caller: Caller,
    rows: Sequence[tuple[int | None, str, Mapping[str, Any]]],
    prefix: str,
    source: str,
    owner_field: str,
) -> list[tuple[int | None, str, Mapping[str, Any]]]:
    """:func:`national_id` for each row of an import, an error naming the row's line."""
    out: list[tuple[int | None, str, Mapping[str, Any]]] = []
    for line, where, data in rows:
        owner = str(data.get(owner_field) or "").strip().upper()
        try:
            out.append((line, where, national_id(uow, caller, data, prefix, owner)))
        except InvalidInput as exc:
            raise exc.at(line=line, source=source) from None
    return out
