"""What the dashboard's forms share: the confirmation and reason of an irreversible
action, and keeping what was typed when the session ran out.

**Irreversible actions** (withdraw a proposal, reject an event, disable a user, deny...)
post ``confirm=yes`` (a ticked box) and a ``reason``; :func:`confirmed_reason` refuses the
form, naming the field, when either is missing, so nothing is written. The reason goes
into the action's ledger entry.

**A session that ran out** while a form was being filled: the form's post finds no
session. :func:`resume_fields` keeps its fields (not the stale CSRF token); the sign-in
page carries them as hidden fields and, once the user has signed in again, shows the
form filled with them, to check and send again. Nothing is sent on the user's behalf.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from allied.domain.errors import InvalidInput

#: fields never carried over (the stale session's token; the sign-in form's own)
_NOT_CARRIED = frozenset({"csrf", "token", "next"})
#: at most this many fields, of at most this many characters, are carried
MAX_FIELDS = 60
MAX_VALUE = 4000
#: the prefix of the carried fields on the sign-in form
CARRY = "carry."


def confirmed_reason(confirm: str, reason: str) -> str:
    """The reason of a confirmed irreversible action; raises naming the field otherwise."""
    if confirm != "yes":
        raise InvalidInput("tick the box to confirm: this cannot be undone", field="confirm")
    if not reason.strip():
        raise InvalidInput("give a reason; it is recorded in the ledger", field="reason")
    return reason.strip()


async def resume_fields(request: Request) -> list[tuple[str, str]]:
    """The text fields of a form post (in order; files and the CSRF token left out)."""
    if request.method != "POST":
        return []
    kind = request.headers.get("content-type", "")
    if not kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return []
    try:
        form = await request.form()
    except Exception:  # an unreadable body carries nothing; the sign-in page still shows
        return []
    out: list[tuple[str, str]] = []
    for key, value in form.multi_items():
        if isinstance(value, str) and key not in _NOT_CARRIED and len(out) < MAX_FIELDS:
            out.append((key[:100], value[:MAX_VALUE]))
    return out


def carried(form: Any) -> list[tuple[str, str]]:
    """The carried fields a sign-in post brings back (``carry.<name>``)."""
    out: list[tuple[str, str]] = []
    for key, value in form.multi_items():
        if isinstance(value, str) and key.startswith(CARRY) and len(out) < MAX_FIELDS:
            out.append((key[len(CARRY) :][:100], value[:MAX_VALUE]))
    return out
