"""In-process timing of the service calls behind the pages of issue 24's seventh stop
(benchmarks/web/README.md, "2026-12-05, seventh stop: donor pages"): each call run
``--repeat`` times on one store, p50 and min in ms. Run it with ``PYTHONPATH`` set to the
source tree to time (before / after side by side).

    PYTHONPATH=<src> python benchmarks/web/donor_calls.py --database-url URL [--repeat 9]
        [--only shipped,offers_count,picture_usa,todo_coordinator] [--first] [--statements]

``--statements`` also counts, on one run of each call after the timed ones, the SQL
statements it sends and the transactions it begins (engine events).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import time
from collections.abc import Callable
from typing import Any


def calls(url: str) -> dict[str, Callable[[], Any]]:
    from allied.adapters.db.repository_users import SqlServiceUnitOfWork, service_sessions
    from allied.bootstrap import build
    from allied.config import Settings
    from allied.service import access
    from allied.service.caller import Caller

    store = build(Settings(database_url=url))
    sessions = service_sessions(store.engine)

    def uow() -> SqlServiceUnitOfWork:
        return SqlServiceUnitOfWork(sessions)

    day = dt.date.today()
    usa = Caller(user="bench", role="donor", nation="USA")
    ukr = Caller(user="bench", role="recipient", nation="UKR")
    deu = Caller(user="bench", role="origin", nation="DEU")
    coordinator = Caller(user="bench", role="coordinator")
    return {
        # the donor's /allocation?status=shipped&sort=needed_by: its page and total
        "shipped": lambda: access.list_allocations(
            uow(), usa, day, status="shipped", sort="needed_by", limit=50),
        # the donor's /offers: the page of offers and its total
        "offers_count": lambda: access.list_offers(uow(), usa, day, limit=50),
        # the home page's picture by family (donor, origin, recipient, coordinator)
        "picture_usa": lambda: access.family_gaps(uow(), usa, day),
        "picture_deu": lambda: access.family_gaps(uow(), deu, day),
        "picture_ukr": lambda: access.family_gaps(uow(), ukr, day),
        "picture_coordinator": lambda: access.family_gaps(uow(), coordinator, day),
        # /api/v1/allocations?limit=50&offset=2000&status=delivered per role
        "api_delivered_ukr": lambda: access.list_allocations(
            uow(), ukr, day, status="delivered", limit=50, offset=2000),
        "api_delivered_usa": lambda: access.list_allocations(
            uow(), usa, day, status="delivered", limit=50, offset=2000),
        "api_delivered_deu": lambda: access.list_allocations(
            uow(), deu, day, status="delivered", limit=50, offset=2000),
        # the rest of the home page (its to-do list keeps the first 20 of each section)
        "todo_coordinator": lambda: access.todo(uow(), coordinator, day, limit=20),
        "todo_usa": lambda: access.todo(uow(), usa, day, limit=20),
        "todo_ukr": lambda: access.todo(uow(), ukr, day, limit=20),
        "todo_deu": lambda: access.todo(uow(), deu, day, limit=20),
        "offer_totals_coordinator": lambda: access.offer_totals(
            uow(), coordinator, day, "donor"),
        "offer_totals_usa": lambda: access.offer_totals(uow(), usa, day, "donor"),
        "open_proposals": lambda: access.open_proposals(uow(), coordinator, day),
        "consents_waiting_coordinator": lambda: access.count_waiting_consents(
            uow(), coordinator, day),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--only", default="")
    parser.add_argument("--first", action="store_true",
                        help="also report each call's first run (a page's first load)")
    parser.add_argument("--statements", action="store_true",
                        help="also count each call's SQL statements and transactions")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat: at least 1")
    found = calls(args.database_url)
    names = args.only.split(",") if args.only else list(found)
    unknown = [n for n in names if n not in found]
    if unknown:
        parser.error(f"--only: no call {', '.join(unknown)} (calls: {', '.join(found)})")
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    counts = {"statements": 0, "transactions": 0}

    def statement(*_: Any) -> None:
        counts["statements"] += 1

    def begun(*_: Any) -> None:
        counts["transactions"] += 1

    out: dict[str, Any] = {}
    for name in names:
        times = []
        for _ in range(args.repeat):
            began = time.perf_counter()
            result = found[name]()
            times.append((time.perf_counter() - began) * 1000)
        total = getattr(result, "total", None)
        out[name] = {"p50_ms": round(statistics.median(times), 1),
                     "min_ms": round(min(times), 1), "total": total}
        if args.first:
            out[name]["first_ms"] = round(times[0], 1)
        if args.statements:  # one more run, its statements and transactions counted
            counts.update(statements=0, transactions=0)
            event.listen(Engine, "before_cursor_execute", statement)
            event.listen(Engine, "begin", begun)
            try:
                found[name]()
            finally:
                event.remove(Engine, "before_cursor_execute", statement)
                event.remove(Engine, "begin", begun)
            out[name].update(counts)
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
