"""The cost the triggers on ``allocations`` add to writes: a few set-based writes of many
allocations (every row fires the row triggers), each in a transaction rolled back, on
two databases side by side (for instance a copy at one migration and a copy at the
next), alternating, each table vacuumed before each write. Prints milliseconds per write.

    python benchmarks/scale/trigger_writes.py postgresql://... postgresql://... [rounds]
"""

from __future__ import annotations

import sys
import time

import psycopg

WRITES = {
    "quantity +1 (20,000)": "UPDATE allocations SET quantity = quantity + 1 "
    "WHERE id IN (SELECT id FROM allocations ORDER BY id LIMIT 20000)",
    "insert (20,000)": "INSERT INTO allocations (id, offer_id, request_id, quantity, "
    "needs_consent, status) SELECT 'X' || id, offer_id, request_id, quantity, "
    "needs_consent, status FROM allocations ORDER BY id LIMIT 20000",
    "delete (20,000)": "DELETE FROM allocations "
    "WHERE id IN (SELECT id FROM allocations ORDER BY id LIMIT 20000)",
    "approved -> shipped (8,000)": "UPDATE allocations SET status = 'shipped' WHERE id IN "
    "(SELECT id FROM allocations WHERE status = 'approved' ORDER BY id LIMIT 8000)",
    # consent requests asked again (copies of the first 2,000: their offers are asked
    # already, so nothing moves, but each is looked up)
    "consent requests (2,000)": "INSERT INTO consent_requests (id, origin, holder, family, "
    "recipient, requested_on, status, item_type, offer_id, reason) SELECT 'X' || id, origin, "
    "holder, family, recipient, requested_on, status, item_type, offer_id, reason "
    "FROM consent_requests ORDER BY id LIMIT 2000",
}


def _kept_tables(conn: psycopg.Connection) -> str:
    """The tables the writes touch, and the read models of those there are."""
    found = {r[0] for r in conn.execute(
        "SELECT tablename FROM pg_tables WHERE tablename IN ('picture_parts', 'nation_parts')")}
    return ", ".join(["allocations", "offers", "requests", "consent_requests", *sorted(found)])


def timed(url: str, sql: str) -> float:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"VACUUM {_kept_tables(conn)}")
    with psycopg.connect(url) as conn:
        t = time.perf_counter()
        conn.execute(sql)
        spent = time.perf_counter() - t
        conn.rollback()
    return spent


def main() -> int:
    urls = sys.argv[1:3]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    for label, sql in WRITES.items():
        got: dict[str, list[int]] = {url: [] for url in urls}
        for _ in range(rounds):
            for url in urls:
                got[url].append(round(timed(url, sql) * 1000))
        print(label, *(f"{url.rsplit('/', 1)[-1]}: {ms}" for url, ms in got.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
