"""Parsing of requests, offers and consent records from plain mappings.

One parser serves the CLI flags, CSV and JSON files and the reference dataset, so a
record is validated the same way wherever it comes from. Each error names the field;
callers add the line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from allied.domain.assistance import CHANNELS, Channel, Offer, Request, check_channel
from allied.domain.catalogue import family_code
from allied.domain.consent import ConsentRequest, ConsentStatus
from allied.domain.errors import InvalidInput
from allied.domain.releasability import Releasability, ReleaseKind
from allied.domain.values import (
    actor_code,
    choice,
    identifier,
    int_in_range,
    parse_date,
    parse_optional_date,
    quantity,
    text,
)

T = TypeVar("T")

#: A request's releasability unless the recipient narrows it: the participants of its
#: support (the contact group's members and partners on the day).
SUPPORTERS = Releasability(ReleaseKind.SUPPORT)

REQUEST_FIELDS = frozenset(
    {
        "id",
        "recipient",
        "family",
        "accepts",
        "quantity",
        "priority",
        "needed_by",
        "item_type",
        "notes",
        "releasability",
    }
)
OFFER_FIELDS = frozenset(
    {
        "id",
        "donor",
        "family",
        "quantity",
        "available_from",
        "channel",
        "lethal",
        "item_type",
        "origin",
        "recipient",
        "fund",
        "caveats",
        "releasability",
    }
)
CONSENT_FIELDS = frozenset(
    {
        "id",
        "origin",
        "holder",
        "family",
        "recipient",
        "requested_on",
        "status",
        "decided_on",
        "expires_on",
        "offer_id",
        "item_type",
        "reason",
    }
)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _check_keys(data: Mapping[str, Any], allowed: frozenset[str], required: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise InvalidInput(
            f"unknown field (expected some of {', '.join(sorted(allowed))})", field=unknown[0]
        )
    for name in sorted(required):
        if _blank(data.get(name)):
            raise InvalidInput("is required", field=name)


def _optional(data: Mapping[str, Any], key: str, parse: Callable[[Any, str], T]) -> T | None:
    value = data.get(key)
    return None if _blank(value) else parse(value, key)


def _codes(value: Any, field: str) -> tuple[str, ...]:
    if _blank(value):
        return ()
    items = value if isinstance(value, list | tuple) else str(value).replace(";", ",").split(",")
    return tuple(dict.fromkeys(family_code(v, field) for v in items if str(v).strip()))


def _bool(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    text_value = str(value).strip().lower()
    if text_value in {"1", "true", "yes", "y"}:
        return True
    if text_value in {"0", "false", "no", "n"}:
        return False
    raise InvalidInput(f"expected true or false, got {value!r}", field=field)


def _origins(value: Any, field: str) -> str:
    items = value if isinstance(value, list | tuple) else str(value).replace(";", ",").split(",")
    codes = sorted({actor_code(v, field) for v in items if str(v).strip()})
    if not codes:
        raise InvalidInput("names no state", field=field)
    return ",".join(codes)


def _release(value: Any, field: str) -> Releasability:
    if not isinstance(value, str):
        raise InvalidInput(f"expected text, got {value!r}", field=field)
    return Releasability.parse(value, field)


def parse_request(data: Mapping[str, Any], *, default_id: str | None = None) -> Request:
    _check_keys(data, REQUEST_FIELDS, {"recipient", "family", "quantity", "priority", "needed_by"})
    rid = data.get("id")
    if _blank(rid):
        if default_id is None:
            raise InvalidInput("is required", field="id")
        rid = default_id
    return Request(
        id=identifier(rid, "id"),
        recipient=actor_code(data["recipient"], "recipient"),
        family=family_code(data["family"], "family"),
        accepts=_codes(data.get("accepts"), "accepts"),
        quantity=quantity(data["quantity"]),
        priority=int_in_range(data["priority"], "priority", 1, 5),
        needed_by=parse_date(data["needed_by"], "needed_by"),
        item_type=_optional(data, "item_type", identifier),
        notes=text(data.get("notes"), "notes", required=False),
        releasability=_optional(data, "releasability", _release) or SUPPORTERS,
    )


def parse_offer(data: Mapping[str, Any], *, default_id: str | None = None) -> Offer:
    _check_keys(data, OFFER_FIELDS, {"donor", "family", "quantity", "available_from"})
    oid = data.get("id")
    if _blank(oid):
        if default_id is None:
            raise InvalidInput("is required", field="id")
        oid = default_id
    channel = _optional(data, "channel", lambda v, f: choice(v, f, CHANNELS))
    lethal = _optional(data, "lethal", _bool)
    check_channel(Channel(channel) if channel else Channel.BILATERAL, lethal is not False)
    return Offer(
        id=identifier(oid, "id"),
        donor=actor_code(data["donor"], "donor"),
        family=family_code(data["family"], "family"),
        quantity=quantity(data["quantity"]),
        available_from=parse_date(data["available_from"], "available_from"),
        channel=Channel(channel) if channel else Channel.BILATERAL,
        lethal=True if lethal is None else lethal,
        item_type=_optional(data, "item_type", identifier),
        origin=_optional(data, "origin", _origins),
        recipient=_optional(data, "recipient", actor_code),
        fund=_optional(data, "fund", identifier),
        caveats=text(data.get("caveats"), "caveats", required=False),
        releasability=_optional(data, "releasability", _release) or Releasability(),
    )


def parse_consent(data: Mapping[str, Any]) -> ConsentRequest:
    _check_keys(
        data, CONSENT_FIELDS, {"id", "origin", "holder", "family", "recipient", "requested_on"}
    )
    status = _optional(data, "status", lambda v, f: choice(v, f, {s.value for s in ConsentStatus}))
    return ConsentRequest(
        id=identifier(data["id"], "id"),
        origin=actor_code(data["origin"], "origin"),
        holder=actor_code(data["holder"], "holder"),
        family=family_code(data["family"], "family"),
        recipient=actor_code(data["recipient"], "recipient"),
        requested_on=parse_date(data["requested_on"], "requested_on"),
        status=ConsentStatus(status) if status else ConsentStatus.PENDING,
        decided_on=parse_optional_date(data.get("decided_on"), "decided_on"),
        expires_on=parse_optional_date(data.get("expires_on"), "expires_on"),
        offer_id=_optional(data, "offer_id", identifier),
        item_type=_optional(data, "item_type", identifier),
        reason=text(data.get("reason"), "reason", required=False),
    )
