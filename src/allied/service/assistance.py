"""Use-cases for requests and offers: add one, import many, list."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from allied.domain.actors import ActorKind
from allied.domain.assistance import Offer, RecordStatus, Request
from allied.domain.catalogue import FAMILIES
from allied.domain.errors import InvalidInput, UnknownActor
from allied.domain.releasability import Releasability
from allied.service.caller import Caller
from allied.service.ports import UnitOfWork
from allied.service.records import parse_offer, parse_request

T = TypeVar("T", Request, Offer)

RawRow = tuple[int | None, str, Mapping[str, Any]]


def _next_id(prefix: str, taken: set[str]) -> str:
    n = len(taken) + 1
    while f"{prefix}-{n:06d}" in taken:
        n += 1
    return f"{prefix}-{n:06d}"


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


def _check_release(uow: UnitOfWork, release: Releasability) -> None:
    """The nations named by a releasability are known states, its organisation a known
    organisation: a typo would otherwise hide the record from the partner it was meant for."""
    for code in release.nations:
        actor = uow.actors.get(code)
        if actor is None:
            raise UnknownActor(code, field="releasability")
        if actor.kind is not ActorKind.STATE:
            raise InvalidInput(
                f"{code} is an organisation; release to it with org:{code}", field="releasability"
            )
    if release.org is not None:
        actor = uow.actors.get(release.org)
        if actor is None or actor.kind is not ActorKind.ORGANISATION:
            known = sorted(a.code for a in uow.actors.list(kind=ActorKind.ORGANISATION))
            raise InvalidInput(
                f"unknown organisation {release.org!r}; expected one of {', '.join(known)}",
                field="releasability",
            )


def _check_refs(
    uow: UnitOfWork, record: Request | Offer, known_actors: set[str], families: set[str]
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
            if code and code not in known_actors:
                raise UnknownActor(code, field=name)
    _check_release(uow, record.releasability)
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
) -> list[T]:
    repo = getattr(uow, repo_name)
    taken = {r.id for r in repo.list()}
    known = {a.code for a in uow.actors.list()}
    if not known:
        raise InvalidInput(
            "the database holds no actors yet: run `allied data load` first", field="actor"
        )
    families = known_families(uow)
    records: list[T] = []
    seen: dict[str, str] = {}
    for line, where, data in rows:
        try:
            record = parse(data, default_id=_next_id(prefix, taken | set(seen)))
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
        uow.ledger.append(
            user=caller.user, nation=caller.nation, kind=kind, payload=record_payload(record)
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
    uow: UnitOfWork, caller: Caller, rows: Sequence[RawRow], *, source: str = "input"
) -> list[Request]:
    """Validate every row, then store all of them (one transaction) or none."""
    with uow:
        out = _add_many(
            uow,
            caller,
            rows,
            source=source,
            parse=parse_request,
            repo_name="requests",
            prefix="REQ",
            kind="request.created",
        )
        uow.commit()
    return out


def add_offers(
    uow: UnitOfWork, caller: Caller, rows: Sequence[RawRow], *, source: str = "input"
) -> list[Offer]:
    with uow:
        out = _add_many(
            uow,
            caller,
            rows,
            source=source,
            parse=parse_offer,
            repo_name="offers",
            prefix="OFF",
            kind="offer.created",
        )
        uow.commit()
    return out


def list_requests(uow: UnitOfWork, *, status: RecordStatus | None = None) -> list[dict[str, Any]]:
    with uow:
        found = uow.requests.list(status=status) if status else uow.requests.list()
        return [record_payload(r) for r in sorted(found, key=lambda r: r.id)]


def list_offers(uow: UnitOfWork, *, status: RecordStatus | None = None) -> list[dict[str, Any]]:
    with uow:
        found = uow.offers.list(status=status) if status else uow.offers.list()
        return [record_payload(o) for o in sorted(found, key=lambda o: o.id)]


def members_on(uow: UnitOfWork, org: str, day: dt.date) -> list[dict[str, Any]]:
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
