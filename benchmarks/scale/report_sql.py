"""Build one report in a fresh process (as ``measure.py --only reports`` does in process)
with every SQL statement timed by engine events: the report's milliseconds, the SQL's,
and the slowest statements.

    PYTHONPATH=src python benchmarks/scale/report_sql.py URL predictability
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from sqlalchemy import event

from allied.bootstrap import build
from allied.config import Settings
from allied.service.reports import ReportOptions, build_report


def main() -> int:
    url, name = sys.argv[1], sys.argv[2]
    store = build(Settings(database_url=url), migrate=False)
    spent: list[tuple[float, str]] = []

    def before(conn: Any, *_: Any) -> None:
        conn.info["t0"] = time.perf_counter()

    def after(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        spent.append((time.perf_counter() - conn.info.pop("t0"), statement))

    engines = {id(e): e for e in (store.engine, getattr(store, "read_engine", None)) if e}
    for engine in engines.values():
        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
    try:
        t = time.perf_counter()
        build_report(store.read_uow(), name, ReportOptions())
        total = time.perf_counter() - t
    finally:
        store.close()
    spent.sort(reverse=True)
    print(json.dumps({
        "report_ms": round(total * 1000, 1),
        "sql_ms": round(sum(s for s, _ in spent) * 1000, 1),
        "statements": len(spent),
        "slowest": [(round(s * 1000, 1), " ".join(q.split())[:100]) for s, q in spent[:3]],
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
