"""Use-cases for requests and offers: add one, import many, list."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from allied.domain.actors import ActorKind
from allied.domain.assistance import Offer, Request
from allied.domain.catalogue import FAMILIES
from allied.domain.codes import KnownActors, check_actor, check_releasability
from allied.domain.dates import check_new
from allied.domain.errors import InvalidInput
from allied.ledger import kinds
from allied.ledger.chain import EntryDraft
from allied.service.bulk import append_many, get_many
from allied.service.caller import Caller
from allied.service.ports import UnitOfWork
from allied.service.records import parse_offer, parse_request

T = TypeVar("T", Request, Offer)

RawRow = tuple[int | None, str, Mapping[str, Any]]


def _next_id(prefix: str, taken: set[str], seen: Mapping[str, str]) -> str:
    n = len(taken) + len(seen) + 1
    while f"{prefix}-{n:06d}" in taken or f"{prefix}-{n:06d}" in seen:
        n += 1
    return f"{prefix}-{n:06d}"


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def known_families(uow: UnitOfWork) -> set[str]:
    """The compatibility families records may name: the catalogue's built-in families and
    those of every stored item type (a new family enters with an item type of it)."""
    return set(FAMILIES) | {item.family for item in uow.item_types.list()}


def _check_families(record: Request | Offer, families: set[str]) -> None:
    named = record.accepts if isinstance(record, Request) else (record.family,)
    for family in named:
        if family not in families:
            close = difflib.get_close_matches(family, sorted(families), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            field = "family" if family == record.family else "accepts"
            raise InvalidInput(f"unknown compatibility family {family!r}{hint}", field=field)


def _check_refs(
    uow: UnitOfWork, record: Request | Offer, known_actors: KnownActors, families: set[str]
) -> None:
    _check_families(record, families)
    actor_fields: dict[str, str | None]
    if isinstance(record, Request):
        actor_fields = {"recipient": record.recipient}
    else:
        actor_fields = {
            "donor": record.donor,
            "origin": record.origin,
            "recipient": record.recipient,
        }
    for name, codes in actor_fields.items():
        for code in (codes or "").split(","):
            if code:
                check_actor(code, known_actors, name)
    check_releasability(record.releasability, known_actors)
    if record.item_type is not None:
        item = uow.item_types.get(record.item_type)
        if item is None:
            raise InvalidInput(f"unknown item type {record.item_type!r}", field="item_type")
        if item.family not in (record.accepts if isinstance(record, Request) else (record.family,)):
            raise InvalidInput(
                f"item type {item.code!r} is of family {item.family!r}, not {record.family!r}",
                field="item_type",
            )
    if isinstance(record, Offer) and record.fund is not None and uow.funds.get(record.fund) is None:
        raise InvalidInput(f"unknown pooled fund {record.fund!r}", field="fund")


def _add_many(
    uow: UnitOfWork,
    caller: Caller,
    rows: Sequence[RawRow],
    *,
    source: str,
    parse: Callable[..., T],
    repo_name: str,
    prefix: str,
    kind: str,
    today: dt.date | None = None,
) -> list[T]:
    repo = getattr(uow, repo_name)
    if all(not _blank(data.get("id")) for _, _, data in rows):
        # every row names its id: look up only those (not every stored record)
        taken = set(get_many(repo, {str(data["id"]).strip() for _, _, data in rows}))
    else:
        taken = {r.id for r in repo.list()}
    known = {a.code: a.kind for a in uow.actors.list()}
    if not known:
        raise InvalidInput(
            "the database holds no actors yet: run `allied data load` first", field="actor"
        )
    families = known_families(uow)
    records: list[T] = []
    seen: dict[str, str] = {}
    for line, where, data in rows:
        try:
            default = None if not _blank(data.get("id")) else _next_id(prefix, taken, seen)
            record = parse(data, default_id=default)
            if today is not None:
                check_new(record, today)
            if record.id in taken:
                raise InvalidInput(f"id {record.id!r} already exists", field="id")
            if record.id in seen:
                raise InvalidInput(f"id {record.id!r} repeats {seen[record.id]}", field="id")
            _check_refs(uow, record, known, families)
        except InvalidInput as exc:
            located = source if line is not None else f"{source} {where}"
            raise exc.at(line=line, source=located) from None
        else:
            record.created_by = caller.user
            seen[record.id] = where
            records.append(record)
    for record in records:
        repo.add(record)
    append_many(
        uow.ledger,
        [EntryDraft(caller.user, caller.nation, kind, kinds.created(r)) for r in records],
    )
    return records


def record_payload(record: Request | Offer) -> dict[str, Any]:
    """The JSON-ready view of a request or offer (used in the ledger and in outputs)."""
    if isinstance(record, Request):
        return {
            "id": record.id,
            "recipient": record.recipient,
            "family": record.family,
            "accepts": list(record.accepts),
            "quantity": record.quantity,
            "priority": record.priority,
            "needed_by": record.needed_by.isoformat(),
            "item_type": record.item_type,
            "status": record.status.value,
            "notes": record.notes,
            "releasability": str(record.releasability),
        }
    return {
        "id": record.id,
        "donor": record.donor,
        "family": record.family,
        "quantity": record.quantity,
        "available_from": record.available_from.isoformat(),
        "channel": record.channel.value,
        "lethal": record.lethal,
        "item_type": record.item_type,
        "origin": record.origin,
        "recipient": record.recipient,
        "fund": record.fund,
        "caveats": record.caveats,
        "status": record.status.value,
        "releasability": str(record.releasability),
    }


def add_requests(
    uow: UnitOfWork,
    caller: Caller,
    rows: Sequence[RawRow],
    *,
    source: str = "input",
    today: dt.date | None = None,
) -> list[Request]:
    """Validate every row, then store all of them (one transaction) or none. ``today``:
    the day a person files them, whose date rules (:mod:`allied.domain.dates`) they
    meet; without it (the volume generator, benchmarks: records of other days written
    as they were) the dates are taken as they are."""
    with uow:
        out = _add_many(
            uow,
            caller,
            rows,
            source=source,
            parse=parse_request,
            repo_name="requests",
            prefix="REQ",
            kind=kinds.REQUEST_CREATED,
            today=today,
        )
        uow.commit()
    return out


def add_offers(
    uow: UnitOfWork,
    caller: Caller,
    rows: Sequence[RawRow],
    *,
    source: str = "input",
    today: dt.date | None = None,
) -> list[Offer]:
    """As :func:`add_requests`, for offers."""
    with uow:
        out = _add_many(
            uow,
            caller,
            rows,
            source=source,
            parse=parse_offer,
            repo_name="offers",
            prefix="OFF",
            kind=kinds.OFFER_CREATED,
            today=today,
        )
        uow.commit()
    return out


def organisation_members(uow: UnitOfWork, org: str, day: dt.date) -> list[dict[str, Any]]:
    """The members of ``org`` on ``day``, with their names and membership dates."""
    from allied.domain.actors import Role
    from allied.domain.actors import members_on as domain_members_on

    with uow:
        org_actor = uow.actors.get(org)
        if org_actor is None or org_actor.kind is not ActorKind.ORGANISATION:
            known = sorted(a.code for a in uow.actors.list(kind=ActorKind.ORGANISATION))
            if not known:
                raise InvalidInput(
                    "the database holds no organisations yet: run `allied data load` first",
                    field="org",
                )
            raise InvalidInput(
                f"unknown organisation {org!r}; expected one of {', '.join(known)}", field="org"
            )
        memberships = uow.memberships.list(org=org, role=Role.MEMBER)
        codes = domain_members_on(memberships, org, day)
        names = {a.code: a.name for a in uow.actors.list()}
        since = {m.actor: m.start for m in memberships if m.active_on(day)}
        return [
            {"code": c, "name": names.get(c, c), "member_since": since[c].isoformat()}
            for c in codes
        ]
