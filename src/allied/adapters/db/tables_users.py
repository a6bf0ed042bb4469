"""Tables of the clearinghouse service: users (token digests only), idempotency keys and
the dashboard's sign-in sessions (digests of their ids only).

Registered on the shared ``metadata`` (``tables.py`` imports this module) and mapped by
:func:`start_user_mappers`; ``repository_users.py`` holds the unit of work over them.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, String, Table, Text

from allied.adapters.db.tables import mapper_registry, metadata, start_mappers
from allied.adapters.db.types import EnumText
from allied.domain.users import User, UserRole

users = Table(
    "users",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("nation", String(16), nullable=False, default=""),
    Column("role", EnumText(UserRole), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("response", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_idempotency_keys_created_at", "created_at"),
)

#: A dashboard session: the SHA-256 digest of its random id (the cookie's value), the user
#: and the digest of the token it was opened with (rotating or revoking the token ends
#: it), when it expires and when it was ended (sign-out).
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", String(64), nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=True),
    Index("ix_web_sessions_expires_at", "expires_at"),
)

_mapped = False


def start_user_mappers() -> None:
    """Map :class:`User` (and the core domain) once per process."""
    global _mapped
    start_mappers()
    if _mapped:
        return
    mapper_registry.map_imperatively(User, users)
    _mapped = True
