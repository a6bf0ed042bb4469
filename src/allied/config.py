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
            read_database_url=env.get("ALLIED_READ_DATABASE_URL") or None,
        )
