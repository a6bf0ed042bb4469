"""ledger payloads stored as their canonical text

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-05

Entries were stored with their payload as ``json.dumps(sort_keys=True)`` (spaces after
``,`` and ``:``, non-ASCII escaped), while the hash covers the canonical text (no
spaces, UTF-8): verifying an entry had to decode its payload and encode it again. Since
this revision entries are stored with the canonical text, so ``allied ledger verify``
hashes the stored text as it is (``allied.ledger.stream``); this migration re-stores the
entries written before in that form.

Only the representation changes: a row is rewritten only when the canonical text of its
payload makes its stored hash hold (so the hashed content is provably the same); a row
whose hash does not hold either way is left as it is, for ``ledger verify`` to name. The
hashes, the head and the signed checkpoints are untouched. Work is done in batches of
sequence numbers: on PostgreSQL 101 s for a million entries on the shared development
machine (benchmarks/scale/README.md); run ``VACUUM ANALYZE ledger_entries`` after it
(or let autovacuum), since until then reads pass the rewritten rows' old versions too.
Downgrading leaves the canonical text (every reader decodes either form).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from json.encoder import encode_basestring
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 20_000

_canonical = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def _restored(row: Any) -> str | None:
    """The canonical text of the row's payload when it differs from the stored one and
    makes the stored hash hold; otherwise None (leave the row)."""
    text = row.payload
    if not isinstance(text, str):
        return None
    try:
        payload = json.loads(text)
        again = _canonical(payload)
    except (ValueError, TypeError):
        return None
    if again == text or not isinstance(payload, dict):
        return None
    try:
        body = (
            '{"at":' + encode_basestring(row.at) + ',"kind":' + encode_basestring(row.kind)
            + ',"nation":' + encode_basestring(row.nation) + ',"payload":' + again
            + ',"prev":' + encode_basestring(row.prev_hash) + ',"seq":' + str(row.seq)
            + ',"user":' + encode_basestring(row.user) + "}"
        )
    except TypeError:
        return None
    return again if hashlib.sha256(body.encode()).hexdigest() == row.hash else None


def upgrade() -> None:
    conn = op.get_bind()
    last = conn.execute(sa.text("SELECT max(seq) FROM ledger_entries")).scalar()
    if last is None:
        return
    select = sa.text(
        'SELECT seq, at, "user", nation, kind, payload, prev_hash, hash FROM ledger_entries '
        "WHERE seq > :lo AND seq <= :hi"
    )
    update = sa.text("UPDATE ledger_entries SET payload = :p WHERE seq = :s")
    for lo in range(0, int(last), BATCH):
        changed = [
            {"s": row.seq, "p": again}
            for row in conn.execute(select, {"lo": lo, "hi": lo + BATCH})
            if (again := _restored(row)) is not None
        ]
        if changed:
            conn.execute(update, changed)


def downgrade() -> None:
    pass
