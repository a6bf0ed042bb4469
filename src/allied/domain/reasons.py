"""Reason codes in words (pure): what the optimiser's codes mean, for people.

The allocation engine says why a request stays unfilled, and qualifies an allocation,
with short codes (:mod:`allied.allocation.plan`): ``no-compatible-offer``,
``recipient-mismatch``, ``channel-forbids-lethal:<CHANNEL>``, ``consent-denied:<ORIGIN>``,
``consent-pending:<ORIGIN>``, ``late:<DAYS>`` and ``insufficient-supply``. A code is
stored as it is (plans, ledger entries, the API); the dashboard shows :func:`in_words`
with the code beside it.

``names`` maps an actor's code to its name (``USA`` -> ``United States``); a code
without a name is shown as the code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

#: Channels by their code, as a sentence names them.
CHANNEL_NAMES = {
    "bilateral": "bilateral aid",
    "udcg": "the Ukraine Defense Contact Group",
    "nato-cap": "NATO's Comprehensive Assistance Package",
    "nsatu": "NATO Security Assistance and Training for Ukraine",
    "eu-epf": "the European Peace Facility",
    "g7": "the G7",
}

#: Names read with "the" before them ("the United States", "the Netherlands").
_WITH_THE = re.compile(
    r"^(United |Netherlands|Czech Republic|Philippines|Republic of|Russian Federation"
    r"|Slovak Republic|Dominican Republic|Bahamas|Gambia|Holy See|Marshall Islands"
    r"|Solomon Islands|Maldives|Comoros|Central African Republic|Democratic Republic)"
)

Words = Callable[[str, Mapping[str, str]], str]


def state_name(code: str, names: Mapping[str, str]) -> str:
    """``USA`` -> ``the United States``; a code without a name stays the code."""
    name = names.get(code)
    if not name:
        return code
    return f"the {name}" if _WITH_THE.match(name) else name


def _possessive(code: str, names: Mapping[str, str]) -> str:
    name = state_name(code, names)
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _days(value: str) -> str:
    n = int(value)
    return f"{n} day" if n == 1 else f"{n:,} days"


def _late(arg: str, _: Mapping[str, str]) -> str:
    return f"arrives {_days(arg)} after it is needed"


def _channel(arg: str, _: Mapping[str, str]) -> str:
    name = CHANNEL_NAMES.get(arg, arg)
    return f"the offers that could serve it are lethal and go through {name}, which carries " \
        "non-lethal aid only"


def _pending(arg: str, names: Mapping[str, str]) -> str:
    return f"waiting for {_possessive(arg, names)} consent as origin state"


def _denied(arg: str, names: Mapping[str, str]) -> str:
    return f"{state_name(arg, names)} denied consent to pass on the items it made"


#: Codes without an argument.
PLAIN: dict[str, str] = {
    "no-compatible-offer": "no offer is of a family the request accepts",
    "recipient-mismatch": "the offers that could serve it are earmarked for another recipient",
    "insufficient-supply": "the offers that could serve it are used up by other requests",
}

#: Codes with an argument after the colon (``late:337``), and how each reads.
WITH_ARGUMENT: dict[str, Words] = {
    "late": _late,
    "channel-forbids-lethal": _channel,
    "consent-pending": _pending,
    "consent-denied": _denied,
}

_ARG = {"late": re.compile(r"^\d{1,7}$")}
_CODE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def is_code(text: str) -> bool:
    """Whether ``text`` is a reason code this module knows (else it is shown as it is)."""
    head, sep, arg = text.partition(":")
    if not sep:
        return head in PLAIN
    if head not in WITH_ARGUMENT or not arg:
        return False
    pattern = _ARG.get(head)
    return bool(pattern.match(arg)) if pattern else bool(_CODE.match(arg.lower()))


def in_words(text: str, names: Mapping[str, str] | None = None) -> str:
    """A reason code as a sentence; any other text (a reason a person wrote, a reason
    phrased already) as it is."""
    names = names or {}
    if not is_code(text):
        return text
    head, sep, arg = text.partition(":")
    if not sep:
        return PLAIN[head]
    return WITH_ARGUMENT[head](arg, names)


def consent_in_words(part: Mapping[str, object], names: Mapping[str, str] | None = None) -> str:
    """One origin state's part in an allocation's consent (an item of
    :meth:`allied.domain.consent.AllocationConsent.as_dict`'s ``origins``) as a phrase:
    not asked yet (and what its standing policy would answer), waiting for it (until
    when), granted (by a standing consent), denied, expired."""
    names = names or {}
    origin = str(part["origin"])
    state = str(part["state"])
    who = state_name(origin, names)
    if state == "not-asked":
        words = f"{who} not asked yet (moving it to consent-pending asks)"
        policy = part.get("policy")
        if policy == "permissive":
            words += f"; {_possessive(origin, names)} standing policy grants at once"
        elif policy == "restrictive":
            words += f"; {_possessive(origin, names)} standing policy denies at once"
        return words
    if state == "pending":
        until = part.get("until")
        return _pending(origin, names) + (f", asked to answer by {until}" if until else "")
    if state == "granted":
        return f"granted by {who}" + (" (a standing consent)" if part.get("standing") else "")
    if state == "denied":
        return _denied(origin, names)
    return f"{_possessive(origin, names)} consent {state}"


__all__ = ["CHANNEL_NAMES", "PLAIN", "WITH_ARGUMENT", "consent_in_words", "in_words",
           "is_code", "state_name"]
