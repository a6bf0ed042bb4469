"""Generated record ids (``AL-3F9A0C1B7E``, ``C-...``, ``P-...``): random, not counted.

An id drawn from a count shared by every nation told each nation of the others' hidden
records: a donor whose pledge ids went from AL-000001 to AL-000005 learnt of three
pledges it may not see. A generated id is now :data:`RANDOM_BYTES` random bytes in hex
(40 bits), checked against the ids taken (drawn again in the rare case it is), as the
ids of offers and requests a nation is given already are.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import Any, Protocol, runtime_checkable

from allied.service.bulk import get_many
from allied.service.ports import Repository

RANDOM_BYTES = 5

#: where the random part comes from (tests pass their own to force collisions)
Token = Callable[[], str]


def _token() -> str:
    return secrets.token_hex(RANDOM_BYTES).upper()


@runtime_checkable
class IdCounter(Protocol):
    """An optional capability of a unit of work: numbers handed out per prefix, each once,
    in the transaction (for numbered ids a store keeps; generated record ids are random)."""

    def next_number(self, prefix: str) -> int: ...

    def next_numbers(self, prefix: str, count: int) -> range:
        """``count`` consecutive numbers, taken at once."""
        ...


def free_ids(repo: Repository[Any], prefix: str, token: Token = _token) -> Iterator[str]:
    """Free random ids ``{prefix}-{hex}``, skipping any taken (call inside the unit of work
    that will add the records)."""
    given: set[str] = set()
    while True:
        candidate = f"{prefix}-{token()}"
        if candidate not in given and repo.get(candidate) is None:
            given.add(candidate)
            yield candidate


def free_id_block(
    repo: Repository[Any], prefix: str, count: int, token: Token = _token
) -> list[str]:
    """``count`` distinct free random ids, checked against the store a block at a time
    (one statement per block)."""
    out: list[str] = []
    while len(out) < count:
        candidates = list(
            dict.fromkeys(f"{prefix}-{token()}" for _ in range(count - len(out)))
        )
        taken = get_many(repo, candidates)
        out.extend(c for c in candidates if c not in taken and c not in out)
    return out
