"""The one error tree of ``allied``.

Every error the project raises on purpose derives from :class:`AlliedError`. The
domain raises them; adapters translate foreign exceptions (SQLAlchemy, file I/O,
JSON) into them; the edges (CLI, API) translate them into exit codes and HTTP
statuses. Nothing in between catches a foreign exception.

::

    AlliedError                      anything allied raises on purpose
    ├── InvalidInput                 bad input: names the field, and the line when from a file
    │   └── UnknownActor             an actor code that is not in the reference data
    ├── NotFound                     a record that does not exist (or is not released to you)
    ├── Conflict                     a record that already exists / a concurrent change lost
    ├── IllegalTransition            a lifecycle step not allowed from the current state
    ├── RuleViolation                a domain rule forbids the action (e.g. consent missing)
    ├── PermissionDenied             the caller's role may not take this action
    ├── Busy                         too much of the same work is going on now: try again later
    ├── MissingData                  a read needs data not imported yet: names the data set and
    │                                the command that imports it
    ├── LedgerIntegrityError         the audit ledger does not verify; names the sequence number
    └── StorageError                 the store failed (connection, migration) for a reason
                                     that is not the caller's input

CLI exit codes: ``InvalidInput`` (and its subclasses), ``NotFound``, ``Conflict``,
``IllegalTransition``, ``RuleViolation``, ``PermissionDenied``, ``Busy`` and
``MissingData`` exit 2 (the user can fix the call); ``LedgerIntegrityError`` exits 3;
``StorageError`` exits 4. HTTP: 422, 404, 409, 409, 409, 403, 429, 409, 500 and 503
respectively.
"""

from __future__ import annotations

from collections.abc import Sequence


class AlliedError(Exception):
    """Base of every error ``allied`` raises on purpose."""


class InvalidInput(AlliedError):
    """Input that fails validation. Names the field and, for files, the line."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        line: int | None = None,
        source: str | None = None,
    ) -> None:
        self.message = message
        self.field = field
        self.line = line
        self.source = source
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.source:
            where.append(self.source)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field:
            where.append(f"field '{self.field}'")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message

    def at(self, *, line: int | None = None, source: str | None = None) -> InvalidInput:
        """Return a copy of this error located at ``line`` of ``source``."""
        err = type(self).__new__(type(self))
        InvalidInput.__init__(
            err,
            self.message,
            field=self.field,
            line=line if line is not None else self.line,
            source=source if source is not None else self.source,
        )
        return err


class UnknownActor(InvalidInput):
    """An actor code that the reference data does not know."""

    def __init__(
        self, code: str, *, field: str | None = "actor", line: int | None = None, hint: str = ""
    ) -> None:
        self.code = code
        super().__init__(f"unknown actor code {code!r}{hint}", field=field, line=line)


class NotFound(AlliedError):
    """A record that does not exist, or that is not released to the caller."""


class Conflict(AlliedError):
    """A record that already exists, or a concurrent change that won the race."""


class IllegalTransition(AlliedError):
    """A lifecycle step that the state machine does not allow from the current state."""

    def __init__(
        self,
        entity: str,
        current: str,
        attempted: str,
        *,
        allowed: Sequence[str] | None = None,
        detail: str = "",
    ) -> None:
        """``allowed``: the states reachable from ``current`` (empty: it is final), named
        in the message; ``detail``: why, when the step exists but is not yet possible."""
        self.entity = entity
        self.current = current
        self.attempted = attempted
        self.allowed = tuple(allowed) if allowed is not None else None
        message = f"{entity}: illegal transition from '{current}' to '{attempted}'"
        if detail:
            message = f"{entity}: cannot move from '{current}' to '{attempted}': {detail}"
        elif self.allowed == ():
            message += f"; '{current}' is final"
        elif self.allowed:
            message += f"; allowed next: {', '.join(self.allowed)}"
        super().__init__(message)


class RuleViolation(AlliedError):
    """A domain rule forbids the action (consent missing, channel forbids lethal aid...)."""


class PermissionDenied(AlliedError):
    """The caller's role may not take this action."""


class Busy(AlliedError):
    """Too much of the same work is going on now (e.g. lab runs): try again later."""


class MissingData(AlliedError):
    """A read needs a data set that has not been imported yet (e.g. a report over the
    Kiel tracker before ``allied import kiel``): not the caller's input, and nothing the
    store lost. ``dataset`` names the data set, ``command`` the command that imports it."""

    def __init__(self, message: str, *, dataset: str, command: str) -> None:
        self.dataset = dataset
        self.command = command
        super().__init__(message)


class LedgerIntegrityError(AlliedError):
    """The audit ledger does not verify. ``seq`` is the first bad sequence number."""

    def __init__(self, seq: int, reason: str) -> None:
        self.seq = seq
        self.reason = reason
        super().__init__(f"ledger entry {seq}: {reason}")


class StorageError(AlliedError):
    """The store failed for a reason that is not the caller's input."""
