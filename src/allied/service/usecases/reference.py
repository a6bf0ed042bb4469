"""Reference data (public to every reader): actors, memberships, item types."""

from __future__ import annotations

import datetime as dt
from typing import Any

from allied.domain.users import (
    Action,
    require,
)
from allied.service.assistance import organisation_members
from allied.service.caller import Caller
from allied.service.ports import UnitOfWork
from allied.service.usecases.common import (
    Page,
    filters_given,
    page,
)


def list_actors(
    uow: UnitOfWork, caller: Caller, *, kind: str | None = None, limit: int = 50, offset: int = 0
) -> Page:
    require(caller.role, Action.READ)
    with uow:
        found = uow.actors.list(**filters_given({"kind": kind}))
        rows = [
            {"code": a.code, "name": a.name, "kind": a.kind.value}
            for a in sorted(found, key=lambda a: a.code)
        ]
    return page(rows, limit, offset)


def list_memberships(
    uow: UnitOfWork,
    caller: Caller,
    *,
    org: str | None = None,
    actor: str | None = None,
    on: dt.date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    require(caller.role, Action.READ)
    with uow:
        found = uow.memberships.list(**filters_given({"org": org, "actor": actor}))
        rows = [
            {
                "actor": m.actor,
                "org": m.org,
                "role": m.role.value,
                "start": m.start.isoformat(),
                "end": m.end.isoformat() if m.end else None,
            }
            for m in sorted(found, key=lambda m: (m.org, m.actor, m.role.value, m.start))
            if on is None or m.active_on(on)
        ]
    return page(rows, limit, offset)


def list_item_types(
    uow: UnitOfWork,
    caller: Caller,
    *,
    family: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    require(caller.role, Action.READ)
    with uow:
        found = uow.item_types.list(**filters_given({"family": family}))
        rows = [
            {
                "code": i.code,
                "name": i.name,
                "category": i.category.value,
                "family": i.family,
                "lethal": i.lethal,
                "unit_value": str(i.unit_value) if i.unit_value is not None else None,
                "valuation_basis": i.valuation_basis.value if i.valuation_basis else None,
            }
            for i in sorted(found, key=lambda i: i.code)
        ]
    return page(rows, limit, offset)


def members_on(uow: UnitOfWork, caller: Caller, org: str, day: dt.date) -> list[dict[str, Any]]:
    """The members of ``org`` on ``day``, with their names and membership dates."""
    require(caller.role, Action.READ)
    return organisation_members(uow, org, day)
