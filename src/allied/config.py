"""Settings, read from the environment when asked (never at import time)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite:///./allied.db"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    user: str = "cli"
    nation: str = ""
    #: the Ed25519 key that signs ledger checkpoints (``allied ledger keygen``)
    ledger_key_file: str | None = None
    #: writers sign a checkpoint every this many entries (and daily)
    checkpoint_every: int = 1000
    #: a read-only copy of the database (a PostgreSQL streaming replica) for units of
    #: work that only read: reports, ledger checks, listings (``None``: the database)
    read_database_url: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get("ALLIED_DATABASE_URL") or DEFAULT_DATABASE_URL,
            user=env.get("ALLIED_USER") or f"cli:{env.get('USER', 'unknown')}",
            nation=(env.get("ALLIED_NATION") or "").upper(),
            ledger_key_file=env.get("ALLIED_LEDGER_KEY_FILE") or None,
            checkpoint_every=_positive(env, "ALLIED_LEDGER_CHECKPOINT_EVERY", 1000),
            read_database_url=env.get("ALLIED_READ_DATABASE_URL") or None,
        )


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    from allied.domain.errors import InvalidInput

    raw = env.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise InvalidInput(f"expected a positive integer, got {raw!r}", field=name)
    return value
