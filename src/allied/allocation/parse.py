"""Strict parsing of the allocation problem file (JSON; the format is in docs/allocation.md).

Every error is an :class:`~allied.domain.errors.InvalidInput` whose ``field`` names the
entry and the key, as ``requests[R1].quantity``; an entry whose id is missing or bad is
named by its position, ``offers[#3].id`` (counting from 1). Malformed JSON names the line.

Strict means: unknown keys, duplicate keys, duplicate ids, a request that accepts no
family, quantities that are not positive integers (``12.0`` and ``"12"`` are refused),
a priority outside 1-5, dates that are not ``YYYY-MM-DD``, and NaN or infinite numbers
are all refused. Nothing is coerced silently except that actor codes are upper-cased.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from allied.allocation.model import (
    ChannelRule,
    ConsentSpec,
    ConsentStatus,
    OfferSpec,
    Options,
    Problem,
    RequestSpec,
)
from allied.domain.assistance import CHANNELS
from allied.domain.catalogue import family_code
from allied.domain.errors import InvalidInput
from allied.domain.values import actor_code, identifier

#: The largest quantity accepted, so that every sum of quantities fits the solvers' int64.
MAX_QUANTITY = 10**12

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_TOP_KEYS = {"as_of", "requests", "offers", "consents", "channel_rules", "options"}
_TOP_REQUIRED = ("as_of", "requests", "offers")
_REQUEST_KEYS = ("id", "recipient", "accepts", "quantity", "priority", "needed_by")
_OFFER_REQUIRED = ("id", "donor", "family", "quantity", "available_from", "channel", "lethal")
_OFFER_OPTIONAL = ("origin", "recipient", "consent")
_CONSENT_KEYS = ("origin", "holder", "status")
_OPTION_KEYS = {"allow_pending_consent", "lateness_half_life_days"}
_RULE_KEYS = {"lethal"}


def load_problem(path: str | Path) -> Problem:
    """Read and parse a problem file. A missing or unreadable file names ``--problem``."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InvalidInput(
            f"cannot read problem file {str(p)!r}: {exc.strerror or exc}", field="--problem"
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"problem file is not UTF-8 (byte {exc.start})", source=str(p)
        ) from None
    try:
        return loads_problem(text)
    except InvalidInput as exc:
        raise exc.at(source=str(p)) from None


def loads_problem(text: str) -> Problem:
    """Parse the JSON text of a problem."""
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"malformed JSON: {exc.msg} (column {exc.colno})", line=exc.lineno
        ) from None
    return parse_problem(data)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise InvalidInput(f"duplicate key {key!r} in one JSON object", field=key)
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise InvalidInput(f"{name} is not a number JSON allows")


def parse_problem(data: Any) -> Problem:
    """Validate already-decoded JSON data (dicts, lists, str, int, float, bool, None)."""
    if not isinstance(data, dict):
        raise InvalidInput(f"the problem must be a JSON object, got {_kind(data)}")
    _check_keys(data, _TOP_KEYS, _TOP_REQUIRED, where="", label="the problem")
    as_of = _date(data["as_of"], "as_of", "the problem")

    requests = tuple(
        _request(entry, n) for n, entry in enumerate(_list(data["requests"], "requests"), 1)
    )
    _unique_ids(requests, "requests")
    offers = tuple(_offer(entry, n) for n, entry in enumerate(_list(data["offers"], "offers"), 1))
    _unique_ids(offers, "offers")

    consents = tuple(
        _consent(entry, n)
        for n, entry in enumerate(_list(data.get("consents", []), "consents"), 1)
    )
    seen: dict[tuple[str, str], int] = {}
    for n, c in enumerate(consents, 1):
        key = (c.origin, c.holder)
        if key in seen:
            raise InvalidInput(
                f"consent from {c.origin} to {c.holder} given twice "
                f"(entries #{seen[key]} and #{n}); keep one",
                field=f"consents[#{n}].holder",
            )
        seen[key] = n

    return Problem(
        as_of=as_of,
        requests=requests,
        offers=offers,
        consents=consents,
        channel_rules=_channel_rules(data.get("channel_rules", {})),
        options=_options(data.get("options", {})),
    )


# -- entries ---------------------------------------------------------------------------


def _request(entry: Any, n: int) -> RequestSpec:
    where, label = _entry_name("requests", "request", entry, n)
    if not isinstance(entry, dict):
        raise InvalidInput(f"{label}: expected a JSON object, got {_kind(entry)}", field=where)
    _check_keys(entry, set(_REQUEST_KEYS), _REQUEST_KEYS, where=where, label=label)
    rid = _ident(entry["id"], where, label)
    accepts_raw = entry["accepts"]
    if not isinstance(accepts_raw, list):
        raise InvalidInput(
            f"{label}: 'accepts' must be a list of families, got {_kind(accepts_raw)}",
            field=f"{where}.accepts",
        )
    if not accepts_raw:
        raise InvalidInput(f"{label}: accepts no family", field=f"{where}.accepts")
    accepts: list[str] = []
    for k, fam in enumerate(accepts_raw):
        code = _wrap(family_code, fam, f"{where}.accepts[{k}]", label)
        if code in accepts:
            raise InvalidInput(
                f"{label}: family {code!r} listed twice in 'accepts'", field=f"{where}.accepts"
            )
        accepts.append(code)
    return RequestSpec(
        id=rid,
        recipient=_wrap(actor_code, entry["recipient"], f"{where}.recipient", label),
        accepts=tuple(accepts),
        quantity=_quantity(entry["quantity"], f"{where}.quantity", label),
        priority=_priority(entry["priority"], f"{where}.priority", label),
        needed_by=_date(entry["needed_by"], f"{where}.needed_by", label),
    )


def _offer(entry: Any, n: int) -> OfferSpec:
    where, label = _entry_name("offers", "offer", entry, n)
    if not isinstance(entry, dict):
        raise InvalidInput(f"{label}: expected a JSON object, got {_kind(entry)}", field=where)
    _check_keys(
        entry, set(_OFFER_REQUIRED) | set(_OFFER_OPTIONAL), _OFFER_REQUIRED, where=where,
        label=label,
    )
    oid = _ident(entry["id"], where, label)
    channel = entry["channel"]
    if not isinstance(channel, str) or channel not in CHANNELS:
        raise InvalidInput(
            f"{label}: channel must be one of {', '.join(sorted(CHANNELS))}; got {channel!r}",
            field=f"{where}.channel",
        )
    origin = entry.get("origin")
    recipient = entry.get("recipient")
    donor = _wrap(actor_code, entry["donor"], f"{where}.donor", label)
    origin_code = None if origin is None else _wrap(actor_code, origin, f"{where}.origin", label)
    consent = None
    if "consent" in entry:
        consent = _status(entry["consent"], f"{where}.consent", label)
        if origin_code is None or origin_code == donor:
            raise InvalidInput(
                f"{label}: 'consent' is for an offer whose origin differs from its donor",
                field=f"{where}.consent",
            )
    return OfferSpec(
        id=oid,
        donor=donor,
        family=_wrap(family_code, entry["family"], f"{where}.family", label),
        quantity=_quantity(entry["quantity"], f"{where}.quantity", label),
        available_from=_date(entry["available_from"], f"{where}.available_from", label),
        channel=channel,
        lethal=_bool(entry["lethal"], f"{where}.lethal", label),
        origin=origin_code,
        recipient=(
            None if recipient is None
            else _wrap(actor_code, recipient, f"{where}.recipient", label)
        ),
        consent=consent,
    )


def _consent(entry: Any, n: int) -> ConsentSpec:
    where, label = f"consents[#{n}]", f"consent #{n}"
    if not isinstance(entry, dict):
        raise InvalidInput(f"{label}: expected a JSON object, got {_kind(entry)}", field=where)
    _check_keys(entry, set(_CONSENT_KEYS), _CONSENT_KEYS, where=where, label=label)
    return ConsentSpec(
        origin=_wrap(actor_code, entry["origin"], f"{where}.origin", label),
        holder=_wrap(actor_code, entry["holder"], f"{where}.holder", label),
        status=_status(entry["status"], f"{where}.status", label),
    )


def _status(value: Any, field: str, label: str) -> ConsentStatus:
    allowed = [s.value for s in ConsentStatus]
    if not isinstance(value, str) or value not in allowed:
        raise InvalidInput(
            f"{label}: status must be one of {', '.join(allowed)}; got {value!r}", field=field
        )
    return ConsentStatus(value)


def _channel_rules(raw: Any) -> dict[str, ChannelRule]:
    if not isinstance(raw, dict):
        raise InvalidInput(
            f"channel_rules must be an object keyed by channel, got {_kind(raw)}",
            field="channel_rules",
        )
    rules: dict[str, ChannelRule] = {}
    for channel, rule in raw.items():
        where = f"channel_rules[{channel}]"
        if channel not in CHANNELS:
            raise InvalidInput(
                f"unknown channel {channel!r}; expected one of {', '.join(sorted(CHANNELS))}",
                field=where,
            )
        label = f"channel rule {channel!r}"
        if not isinstance(rule, dict):
            raise InvalidInput(f"{label}: expected a JSON object, got {_kind(rule)}", field=where)
        _check_keys(rule, _RULE_KEYS, (), where=where, label=label)
        rules[channel] = ChannelRule(
            lethal=_bool(rule.get("lethal", True), f"{where}.lethal", label)
        )
    return rules


def _options(raw: Any) -> Options:
    if not isinstance(raw, dict):
        raise InvalidInput(f"options must be a JSON object, got {_kind(raw)}", field="options")
    _check_keys(raw, _OPTION_KEYS, (), where="options", label="options")
    allow = _bool(raw.get("allow_pending_consent", False), "options.allow_pending_consent",
                  "options")
    half_life = raw.get("lateness_half_life_days", 30)
    if (
        isinstance(half_life, bool)
        or not isinstance(half_life, int | float)
        or not math.isfinite(half_life)
        or half_life <= 0
    ):
        raise InvalidInput(
            f"options: lateness_half_life_days must be a positive number of days, "
            f"got {half_life!r}",
            field="options.lateness_half_life_days",
        )
    return Options(allow_pending_consent=allow, lateness_half_life_days=float(half_life))


# -- values ----------------------------------------------------------------------------


def _entry_name(section: str, noun: str, entry: Any, n: int) -> tuple[str, str]:
    """``requests[R1]`` / ``request 'R1'`` when the id is usable, else by position."""
    if isinstance(entry, dict):
        raw = entry.get("id")
        if isinstance(raw, str) and raw == raw.strip():
            try:
                rid = identifier(raw, "id")
            except InvalidInput:
                pass
            else:
                return f"{section}[{rid}]", f"{noun} {rid!r}"
    return f"{section}[#{n}]", f"{noun} #{n}"


def _check_keys(
    obj: Mapping[str, Any], allowed: set[str], required: tuple[str, ...], *, where: str, label: str
) -> None:
    prefix = f"{where}." if where else ""
    for key in obj:
        if key not in allowed:
            raise InvalidInput(
                f"{label}: unknown key {key!r}; expected {', '.join(sorted(allowed))}",
                field=f"{prefix}{key}",
            )
    for key in required:
        if key not in obj:
            raise InvalidInput(f"{label}: missing required key {key!r}", field=f"{prefix}{key}")


def _ident(value: Any, where: str, label: str) -> str:
    if not isinstance(value, str) or value != value.strip():
        raise InvalidInput(
            f"{label}: id must be an identifier (letters, digits, . _ : -; at most 64), "
            f"got {value!r}",
            field=f"{where}.id",
        )
    return _wrap(identifier, value, f"{where}.id", label)


def _wrap(check: Any, value: Any, field: str, label: str) -> str:
    """Run a domain value check, re-raising its error under the entry's name and field."""
    try:
        result: str = check(value, field)
    except InvalidInput as exc:
        raise InvalidInput(f"{label}: {exc.message}", field=field) from None
    return result


def _quantity(value: Any, field: str, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(
            f"{label}: quantity must be a positive integer, got {value!r}", field=field
        )
    if value <= 0:
        raise InvalidInput(
            f"{label}: quantity must be a positive integer, got {value}", field=field
        )
    if value > MAX_QUANTITY:
        raise InvalidInput(
            f"{label}: quantity {value} is larger than the limit {MAX_QUANTITY}", field=field
        )
    return value


def _priority(value: Any, field: str, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise InvalidInput(
            f"{label}: priority must be an integer from 1 to 5, got {value!r}", field=field
        )
    return value


def _bool(value: Any, field: str, label: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{label}: expected true or false, got {value!r}", field=field)
    return value


def _date(value: Any, field: str, label: str) -> dt.date:
    if not isinstance(value, str) or not _DATE.match(value):
        raise InvalidInput(f"{label}: not a date (YYYY-MM-DD): {value!r}", field=field)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{label}: not a date (YYYY-MM-DD): {value!r}", field=field) from None


def _list(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidInput(f"{field} must be a JSON list, got {_kind(value)}", field=field)
    return value


def _unique_ids(entries: tuple[RequestSpec, ...] | tuple[OfferSpec, ...], section: str) -> None:
    seen: dict[str, int] = {}
    noun = section[:-1]
    for n, ident in enumerate((e.id for e in entries), 1):
        if ident in seen:
            raise InvalidInput(
                f"{noun} {ident!r}: id used twice (entries #{seen[ident]} and #{n})",
                field=f"{section}[{ident}].id",
            )
        seen[ident] = n


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


# -- writing ---------------------------------------------------------------------------


def problem_to_dict(problem: Problem) -> dict[str, Any]:
    """The JSON-ready form of a problem (the inverse of :func:`parse_problem`)."""
    out: dict[str, Any] = {
        "as_of": problem.as_of.isoformat(),
        "requests": [
            {"id": r.id, "recipient": r.recipient, "accepts": list(r.accepts),
             "quantity": r.quantity, "priority": r.priority,
             "needed_by": r.needed_by.isoformat()}
            for r in problem.requests
        ],
        "offers": [],
        "consents": [
            {"origin": c.origin, "holder": c.holder, "status": c.status.value}
            for c in problem.consents
        ],
        "channel_rules": {
            ch: {"lethal": rule.lethal} for ch, rule in problem.channel_rules.items()
        },
        "options": {
            "allow_pending_consent": problem.options.allow_pending_consent,
            "lateness_half_life_days": problem.options.lateness_half_life_days,
        },
    }
    for o in problem.offers:
        offer: dict[str, Any] = {
            "id": o.id, "donor": o.donor, "family": o.family, "quantity": o.quantity,
            "available_from": o.available_from.isoformat(), "channel": o.channel,
            "lethal": o.lethal,
        }
        if o.origin is not None:
            offer["origin"] = o.origin
        if o.recipient is not None:
            offer["recipient"] = o.recipient
        if o.consent is not None:
            offer["consent"] = o.consent.value
        out["offers"].append(offer)
    return out
