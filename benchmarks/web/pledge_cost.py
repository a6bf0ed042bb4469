"""What a pledge and a lifecycle move cost to write, in process on a volume database: each
one transaction through the service layer (``access.pledge``, ``access.advance_allocation``)
as the API's writers make them (PostgreSQL: the ledger head taken first), timed one after
another: p50/p95 over ``--count`` of each. It writes pledges and moves: run it on a copy.

    python benchmarks/web/pledge_cost.py --database-url URL [--count 200] [--seed 1]

The pairs are chosen from the open offers with something left and the open requests of
their family still short, by a seeded generator, so two copies of one database get the
same pledges. Prints one JSON object: {"pledge": {...}, "move": {...}}.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import time
from typing import Any


def _figures(times: list[float]) -> dict[str, Any]:
    times = sorted(times)
    return {
        "n": len(times),
        "p50_ms": round(statistics.median(times) * 1000, 2),
        "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))] * 1000, 2),
        "mean_ms": round(statistics.fmean(times) * 1000, 2),
    }


def measure(url: str, count: int, seed: int) -> dict[str, Any]:
    from sqlalchemy import text

    from allied.adapters.db.repository_users import SqlServiceUnitOfWork, service_sessions
    from allied.bootstrap import build
    from allied.config import Settings
    from allied.domain.errors import AlliedError
    from allied.service import access
    from allied.service.caller import Caller

    store = build(Settings(database_url=url))
    sessions = service_sessions(store.engine)
    postgres = store.engine.dialect.name == "postgresql"
    coordinator = Caller(user="pledge-cost", nation="", role="coordinator")
    day = dt.date.today()
    with store.engine.connect() as conn:
        offers = conn.execute(text(
            "SELECT o.id, o.family FROM offers o WHERE o.status = 'open' AND o.quantity > "
            "(SELECT coalesce(sum(a.quantity), 0) FROM allocations a WHERE a.offer_id = o.id "
            "AND a.status NOT IN ('rejected', 'withdrawn')) ORDER BY o.id"
        )).all()
        requests = conn.execute(text(
            "SELECT r.id, r.family FROM requests r WHERE r.status = 'open' AND r.quantity > "
            "(SELECT coalesce(sum(a.quantity), 0) FROM allocations a WHERE a.request_id = r.id"
            " AND a.status NOT IN ('rejected', 'withdrawn')) ORDER BY r.id"
        )).all()
    by_family: dict[str, list[str]] = {}
    for rid, family in requests:
        by_family.setdefault(str(family), []).append(str(rid))
    rng = random.Random(seed)
    candidates = [(str(o), rng.choice(by_family[str(f)])) for o, f in offers
                  if str(f) in by_family]
    rng.shuffle(candidates)
    pledged: list[str] = []
    pledge_times: list[float] = []
    for offer_id, request_id in candidates:
        if len(pledge_times) >= count:
            break
        began = time.perf_counter()
        try:
            made = access.pledge(SqlServiceUnitOfWork(sessions, lock_ledger=postgres),
                                 coordinator, day, offer_id=offer_id, request_id=request_id,
                                 quantity=1)
        except AlliedError:
            continue
        pledge_times.append(time.perf_counter() - began)
        pledged.append(str(made["id"]))
    move_times: list[float] = []
    for allocation_id in pledged:
        began = time.perf_counter()
        access.advance_allocation(SqlServiceUnitOfWork(sessions, lock_ledger=postgres),
                                  coordinator, day, allocation_id, "withdrawn")
        move_times.append(time.perf_counter() - began)
    store.close()
    return {"pledge": _figures(pledge_times), "move": _figures(move_times)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(json.dumps(measure(args.database_url, args.count, args.seed), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
