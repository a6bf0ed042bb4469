"""Use-cases on users: add (returns the bearer token once), revoke, list, authenticate.

Only the SHA-256 digest of a token is stored (:func:`allied.domain.users.hash_token`),
so a lost token cannot be recovered: revoke the user and add a new one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from allied.domain.errors import Conflict, InvalidInput, NotFound
from allied.domain.users import (
    User,
    UserRole,
    hash_token,
    parse_role,
    user_name,
    user_nation,
)
from allied.ledger import kinds
from allied.service.caller import Caller
from allied.service.ports import Repository, UnitOfWork

TOKEN_BYTES = 32


class UsersUnitOfWork(UnitOfWork, Protocol):
    users: Repository[User]


@dataclass(frozen=True)
class NewUser:
    """A user just added, with the only copy of its bearer token."""

    user: User
    token: str


def user_view(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "nation": user.nation,
        "role": user.role.value,
        "created_at": user.created_at.isoformat(),
        "revoked_at": user.revoked_at.isoformat() if user.revoked_at else None,
        "active": user.active,
    }


def add_user(
    uow: UsersUnitOfWork,
    caller: Caller,
    *,
    name: str,
    role: str | UserRole,
    nation: str | None = None,
) -> NewUser:
    """Add a user and return its token (shown once, never stored)."""
    clean_name = user_name(name)
    clean_role = parse_role(role)
    clean_nation = user_nation(clean_role, nation)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with uow:
        if clean_nation and uow.actors.get(clean_nation) is None:
            raise InvalidInput(f"unknown nation {clean_nation!r}", field="nation")
        if uow.users.list(name=clean_name):
            raise InvalidInput(f"user {clean_name!r} already exists", field="name")
        user = User(
            id="U-" + secrets.token_hex(8),
            name=clean_name,
            nation=clean_nation,
            role=clean_role,
            token_hash=hash_token(token),
            created_at=dt.datetime.now(dt.UTC),
        )
        uow.users.add(user)
        uow.ledger.append(
            user=caller.user,
            nation=caller.nation,
            kind=kinds.USER_ADDED,
            payload={"id": user.id, "name": user.name, "nation": user.nation, "role": user.role},
        )
        uow.commit()
    return NewUser(user, token)


def revoke_user(
    uow: UsersUnitOfWork, caller: Caller, name: str, *, reason: str = ""
) -> dict[str, Any]:
    """Revoke a user's token: every later request with it is refused (401). A reason,
    when given, is recorded in the ledger entry."""
    with uow:
        found = uow.users.list(name=name)
        if not found:
            raise NotFound(f"no user {name!r}")
        user = found[0]
        user.revoke(dt.datetime.now(dt.UTC))
        uow.ledger.append(
            user=caller.user,
            nation=caller.nation,
            kind=kinds.USER_REVOKED,
            payload={"id": user.id, "name": user.name}
            | ({"reason": reason.strip()} if reason.strip() else {}),
        )
        view = user_view(user)
        uow.commit()
    return view


def list_users(uow: UsersUnitOfWork) -> list[dict[str, Any]]:
    with uow:
        return [user_view(u) for u in sorted(uow.users.list(), key=lambda u: u.name)]


def users_with_versions(uow: UsersUnitOfWork) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """:func:`list_users` and each user's :func:`token_version` by name, from one read."""
    with uow:
        users = sorted(uow.users.list(), key=lambda u: u.name)
        return [user_view(u) for u in users], {u.name: token_version(u) for u in users}


def authenticate(uow: UsersUnitOfWork, token: str) -> Caller | None:
    """The caller a bearer token stands for, or ``None`` (unknown or revoked token)."""
    if not token or len(token) > 512:
        return None
    return authenticate_digest(uow, hash_token(token))


def authenticate_digest(uow: UsersUnitOfWork, digest: str) -> Caller | None:
    """The caller whose token has this SHA-256 digest, or ``None`` (unknown or revoked)."""
    with uow:
        found = uow.users.list(token_hash=digest)
        if not found:
            return None
        user = found[0]
        # The lookup is by digest; compare again in constant time for good measure.
        if not hmac.compare_digest(user.token_hash, digest) or not user.active:
            return None
        return Caller(user=user.name, nation=user.nation, role=user.role.value, user_id=user.id)


def token_version(user: User) -> str:
    """A short fingerprint of a user's current token (of its stored hash, so it says
    nothing of the token): a form that resets the token carries it, and a reset asked of
    a token already replaced (the result page reloaded, two admins at once) is refused."""
    return hashlib.sha256(user.token_hash.encode("ascii")).hexdigest()[:16]


def rotate_token(
    uow: UsersUnitOfWork, caller: Caller, name: str, *, expected: str | None = None
) -> NewUser:
    """Give a user a new token (the old one stops working) and reactivate it.
    ``expected``: the :func:`token_version` the caller saw; :class:`Conflict` when the
    token has been replaced since, and nothing changes."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with uow:
        found = uow.users.list(name=name)
        if not found:
            raise NotFound(f"no user {name!r}")
        user = found[0]
        if expected is not None and expected != token_version(user):
            raise Conflict(
                f"{name}'s token was already replaced after this page was shown (a reload "
                "sends the reset again): the token shown then is the one that works; to "
                "reset it again, use Reset token on the users list"
            )
        user.token_hash = hash_token(token)
        user.revoked_at = None
        uow.ledger.append(
            user=caller.user,
            nation=caller.nation,
            kind=kinds.USER_TOKEN_ROTATED,
            payload={"id": user.id, "name": user.name},
        )
        uow.commit()
    return NewUser(user, token)


#: The users ``allied demo`` creates: name -> (role, nation).
DEMO_USERS: dict[str, tuple[UserRole, str | None]] = {
    "demo-coordinator": (UserRole.COORDINATOR, None),
    "demo-donor-est": (UserRole.DONOR, "EST"),
    "demo-donor-usa": (UserRole.DONOR, "USA"),
    "demo-origin-deu": (UserRole.ORIGIN, "DEU"),
    "demo-recipient-ukr": (UserRole.RECIPIENT, "UKR"),
    "demo-auditor": (UserRole.AUDITOR, None),
    "demo-admin": (UserRole.ADMIN, None),
}


def ensure_demo_users(uow_factory: Callable[[], UsersUnitOfWork], caller: Caller) -> list[NewUser]:
    """One user per role (a fresh token for each, whether it existed or not)."""
    made = []
    for name, (role, nation) in DEMO_USERS.items():
        try:
            made.append(add_user(uow_factory(), caller, name=name, role=role, nation=nation))
        except InvalidInput as exc:
            if exc.field != "name":
                raise
            made.append(rotate_token(uow_factory(), caller, name))
    return made
