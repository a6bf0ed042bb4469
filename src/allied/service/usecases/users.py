"""Users as checked use-cases: the admin lists, adds, disables (revokes) users and resets
their tokens. The unchecked steps live in :mod:`allied.service.users` (the CLI's operator
and ``allied demo`` use them); the API and the dashboard come here, where the caller's
role is checked before anything is read or written."""

from __future__ import annotations

from typing import Any

from allied.domain.users import Action, require
from allied.service import users as user_service
from allied.service.caller import Caller
from allied.service.users import NewUser, UsersUnitOfWork


def list_users(uow: UsersUnitOfWork, caller: Caller) -> list[dict[str, Any]]:
    """Every user (never a token), by name."""
    require(caller.role, Action.MANAGE_USERS)
    return user_service.list_users(uow)


def users_with_versions(
    uow: UsersUnitOfWork, caller: Caller
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Every user (never a token), by name, and each user's
    :func:`~allied.service.users.token_version` by name (what the dashboard's reset form
    carries so that a reset is sent once), from one read of the users."""
    require(caller.role, Action.MANAGE_USERS)
    return user_service.users_with_versions(uow)


def add_user(
    uow: UsersUnitOfWork, caller: Caller, *, name: str, role: str, nation: str | None = None
) -> NewUser:
    """Add a user with a role (and the nation a national role acts for); its token is in
    the answer, shown once and never stored."""
    require(caller.role, Action.MANAGE_USERS)
    return user_service.add_user(uow, caller, name=name, role=role, nation=nation)


def revoke_user(
    uow: UsersUnitOfWork, caller: Caller, name: str, *, reason: str = ""
) -> dict[str, Any]:
    """Disable a user: its token is refused from now on (one ledger entry, with the reason)."""
    require(caller.role, Action.MANAGE_USERS)
    return user_service.revoke_user(uow, caller, name, reason=reason)


def reset_user_token(
    uow: UsersUnitOfWork, caller: Caller, name: str, *, expected: str | None = None
) -> NewUser:
    """Give a user a new token (the old one stops working; a disabled user is enabled);
    with ``expected``, only if the token is still the one of that version."""
    require(caller.role, Action.MANAGE_USERS)
    return user_service.rotate_token(uow, caller, name, expected=expected)
