"""Several changes in one transaction, each made, refused or undone as if alone.

A change of the store is a use-case run on a unit of work: ``with uow: ...;
uow.commit()``, leaving without the commit undoing it. :func:`each_alone` runs several
such use-cases, unchanged, in one transaction of a :class:`PartedUnitOfWork`: each gets
a :class:`Part` of it, a unit of work whose ``with`` takes a savepoint, whose ``commit``
releases it and whose leaving without a commit (a refusal, raised) rolls it back. A
change that is refused leaves nothing behind and is answered its error; the next change
sees exactly what the earlier kept ones did, as if each had been made alone in turn. The
transaction commits once at the end, with every kept change and its ledger entries.

Only the project's own refusals (:class:`AlliedError`) are answers: anything else (the
store failing, a generated id taken meanwhile, a bug) raises out of :func:`each_alone`
and undoes the whole transaction, for the caller to make each change again alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, Self, TypeVar, cast

from allied.domain.errors import AlliedError
from allied.service.ports import PartedUnitOfWork, Savepoint, UnitOfWork

T = TypeVar("T")


class Part:
    """A unit of work that is a part of another's transaction (see the module).

    Everything but ``with``, ``commit`` and ``rollback`` is the outer unit of work's. The
    blocks run here end with their commit, as every use-case's does: what a block would
    change after its commit stays with the transaction (the savepoint is released)."""

    def __init__(self, outer: PartedUnitOfWork) -> None:
        self._outer = outer
        # the savepoint of each open ``with``; None once committed or rolled back
        self._open: list[Savepoint | None] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._outer, name)

    def __enter__(self) -> Self:
        self._open.append(self._outer.savepoint())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        point = self._open.pop()
        if point is not None:
            point.rollback()  # left without commit: undone

    def _take(self) -> Savepoint:
        if not self._open or self._open[-1] is None:
            raise RuntimeError("commit or rollback outside a with block of the part")
        point = self._open[-1]
        assert point is not None
        self._open[-1] = None
        return point

    def commit(self) -> None:
        """Keep what the block changed (committed with the transaction)."""
        self._take().release()

    def rollback(self) -> None:
        """Undo what the block changed."""
        self._take().rollback()


def each_alone(
    uow: PartedUnitOfWork, works: Sequence[Callable[[UnitOfWork], T]]
) -> list[T | AlliedError]:
    """Run each ``work`` on its :class:`Part` of one transaction, in order; each one's
    result, or the :class:`AlliedError` that refused it (its changes undone). Commits the
    kept changes once, at the end."""
    out: list[T | AlliedError] = []
    if not works:
        return out
    with uow:
        for work in works:
            try:
                out.append(work(cast(UnitOfWork, Part(uow))))
            except AlliedError as refused:
                out.append(refused)
        uow.commit()
    return out
