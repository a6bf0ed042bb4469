"""Sequential record ids (``P-00001``, ``C-000001``, ``AL-000001``) drawn from a repository."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from allied.service.ports import Repository


def free_ids(repo: Repository[Any], prefix: str, width: int) -> Iterator[str]:
    """Free ids ``{prefix}-{n:0{width}d}``, from one past the number stored, skipping any
    taken (call inside the unit of work that will add the records)."""
    n = repo.count()
    while True:
        n += 1
        candidate = f"{prefix}-{n:0{width}d}"
        if repo.get(candidate) is None:
            yield candidate
