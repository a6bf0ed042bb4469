"""Settings, read from the environment when asked (never at import time)."""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite:///./allied.db"
TRUE = frozenset({"1", "true", "yes", "on"})


def os_user() -> str:
    """The operating-system account running the command, recorded as ``os:NAME`` so the
    ledger tells it apart from an identity given explicitly (``ALLIED_USER``). Read from
    the environment (LOGNAME, USER...) or, without one (a service, a container), from the
    account database; ``os:uid-N`` when the account has no name."""
    try:
        return f"os:{getpass.getuser()}"
    except (KeyError, OSError):  # no variable set and the uid is not in the passwd file
        return f"os:uid-{os.getuid()}" if hasattr(os, "getuid") else "os:unnamed"


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
    #: ``user`` came from ``ALLIED_USER`` (not from the operating system).
    user_explicit: bool = True
    #: ``ALLIED_REQUIRE_USER``: refuse changes unless ``ALLIED_USER`` names who acts.
    require_user: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        explicit = (env.get("ALLIED_USER") or "").strip()
        return cls(
            database_url=env.get("ALLIED_DATABASE_URL") or DEFAULT_DATABASE_URL,
            user=explicit or os_user(),
            nation=(env.get("ALLIED_NATION") or "").upper(),
            ledger_key_file=env.get("ALLIED_LEDGER_KEY_FILE") or None,
            checkpoint_every=_positive(env, "ALLIED_LEDGER_CHECKPOINT_EVERY", 1000),
            read_database_url=env.get("ALLIED_READ_DATABASE_URL") or None,
            user_explicit=bool(explicit),
            require_user=(env.get("ALLIED_REQUIRE_USER") or "").strip().lower() in TRUE,
        )

    def changes_refused(self) -> str:
        """Why this deployment refuses changes from these settings ("" if it does not)."""
        if self.require_user and not self.user_explicit:
            return (
                "this deployment requires an explicit identity for changes "
                f"(ALLIED_REQUIRE_USER is set): set ALLIED_USER (the operating-system user "
                f"{self.user} is not enough)"
            )
        return ""


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
