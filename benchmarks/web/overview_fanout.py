"""The overview page's reads (picture, offers by donor, proposals, consents waiting, the
to-do list) side by side (``FanOut``, as the server runs them on PostgreSQL) and one
after the other, timed in process on one store: each role's reads alone (p50 of
``--repeat``), and ``--pages`` of them at once from ``--concurrent`` threads (pages a
second), so a busy server's throughput is compared as well as one page's wait.

    PYTHONPATH=src python benchmarks/web/overview_fanout.py --database-url URL \\
        [--repeat 7] [--concurrent 4] [--pages 24]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--concurrent", type=int, default=4)
    parser.add_argument("--pages", type=int, default=24)
    args = parser.parse_args()

    from allied.adapters.db.repository_users import (
        SqlServiceUnitOfWork,
        read_engine,
        service_sessions,
    )
    from allied.bootstrap import build
    from allied.config import Settings
    from allied.entrypoints.api.fast.fanout import THREADS, FanOut
    from allied.entrypoints.web import views
    from allied.entrypoints.web.chartcache import TODO_SHOWN
    from allied.service import access
    from allied.service.caller import Caller

    store = build(Settings(database_url=args.database_url))
    reader = read_engine(store.engine)
    sessions = service_sessions(reader)

    def uow() -> SqlServiceUnitOfWork:
        return SqlServiceUnitOfWork(sessions)

    day = dt.date.today()
    callers = [Caller(user="bench", role="coordinator"),
               Caller(user="bench", role="donor", nation="USA"),
               Caller(user="bench", role="origin", nation="DEU"),
               Caller(user="bench", role="recipient", nation="UKR")]

    def reads(caller: Caller) -> dict[str, Any]:
        found = views.overview_reads(uow, caller, day)
        found["todo"] = lambda: access.todo(uow(), caller, day, limit=TODO_SHOWN)
        return found

    fans = {"in turn": FanOut(0), "side by side": FanOut(THREADS)}
    alone: dict[str, dict[str, list[float]]] = {how: {} for how in fans}
    for caller in callers:
        name = f"{caller.role} {caller.nation or ''}".strip()
        for fan in fans.values():
            fan.run(reads(caller))  # statements compiled, connections open
        for _ in range(args.repeat):  # the two ways alternating
            for how, fan in fans.items():
                began = time.perf_counter()
                fan.run(reads(caller))
                alone[how].setdefault(name, []).append((time.perf_counter() - began) * 1000)
    out: dict[str, Any] = {}
    for how, fan in fans.items():
        def page(i: int, fan: FanOut = fan) -> None:
            fan.run(reads(callers[i % len(callers)]))

        with ThreadPoolExecutor(args.concurrent) as pages:
            began = time.perf_counter()
            list(pages.map(page, range(args.pages)))
            wall = time.perf_counter() - began
        fan.close()
        out[how] = {"p50_ms": {k: round(statistics.median(v), 1) for k, v in alone[how].items()},
                    "pages_per_s": round(args.pages / wall, 2),
                    "concurrent": args.concurrent}
        print(how, json.dumps(out[how]), flush=True)
    if reader is not store.engine:
        reader.dispose()
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
