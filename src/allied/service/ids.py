"""Sequential record ids (``P-00001``, ``C-000001``, ``AL-000001``) drawn from a repository."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable

from allied.service.bulk import get_many
from allied.service.ports import Repository


@runtime_checkable
class IdCounter(Protocol):
    """An optional capability of a unit of work: numbers handed out per prefix, each once,
    in the transaction (a store that has it never counts a table to make an id)."""

    def next_number(self, prefix: str) -> int: ...

    def next_numbers(self, prefix: str, count: int) -> range:
        """``count`` consecutive numbers, taken at once."""
        ...


def free_ids(
    repo: Repository[Any], prefix: str, width: int, counter: object = None
) -> Iterator[str]:
    """Free ids ``{prefix}-{n:0{width}d}``, skipping any taken (call inside the unit of
    work that will add the records). Numbers come from ``counter`` when it is an
    :class:`IdCounter` (pass the unit of work), else from one past the number stored."""
    numbers = counter if isinstance(counter, IdCounter) else None
    n = 0 if numbers is not None else repo.count()
    while True:
        n = numbers.next_number(prefix) if numbers is not None else n + 1
        candidate = f"{prefix}-{n:0{width}d}"
        if repo.get(candidate) is None:
            yield candidate


def free_id_block(
    repo: Repository[Any], prefix: str, width: int, count: int, counter: object = None
) -> list[str]:
    """``count`` free ids as :func:`free_ids` gives them; with an :class:`IdCounter`, the
    numbers are taken and checked for being free a block at a time (two statements)."""
    if count <= 0:
        return []
    if not isinstance(counter, IdCounter):
        ids = free_ids(repo, prefix, width, counter)
        return [next(ids) for _ in range(count)]
    out: list[str] = []
    while len(out) < count:
        candidates = [
            f"{prefix}-{n:0{width}d}" for n in counter.next_numbers(prefix, count - len(out))
        ]
        taken = get_many(repo, candidates)
        out.extend(c for c in candidates if c not in taken)
    return out
