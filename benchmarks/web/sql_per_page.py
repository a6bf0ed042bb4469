"""The SQL of each timed page load, statement by statement: benchmarks/web/pages.py's
``measure`` with an engine event timing every statement, printing per page load the
statements that took longest (their time in ms and their first characters).

    python benchmarks/web/sql_per_page.py --database-url URL --roles donor \
        --paths '/offers' [--repeat 2] [--top 8] [--api] [--catalogue] [--compiled]
        [--uncached]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pages
from sqlalchemy import event
from sqlalchemy.engine import Engine

_timings: list[tuple[float, str]] = []
_raw: list[tuple[str, Any]] = []


@event.listens_for(Engine, "before_cursor_execute")
def _began(conn: Any, cursor: Any, statement: str, params: Any, context: Any,
           executemany: bool) -> None:
    conn.info.setdefault("began", []).append(time.perf_counter())


@event.listens_for(Engine, "after_cursor_execute")
def _ended(conn: Any, cursor: Any, statement: str, params: Any, context: Any,
           executemany: bool) -> None:
    began = conn.info["began"].pop()
    _timings.append(((time.perf_counter() - began) * 1000, " ".join(statement.split())))
    _raw.append((statement, params))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--roles", default="")
    parser.add_argument("--paths", default="")
    parser.add_argument("--top", type=int, default=8)
    parser.add_argument("--api", action="store_true")
    parser.add_argument("--catalogue", action="store_true")
    parser.add_argument("--compiled", action="store_true")
    parser.add_argument("--uncached", action="store_true",
                        help="every load with the pages' kept figures dropped (pages.py)")
    parser.add_argument("--explain", type=int, default=0,
                        help="EXPLAIN (ANALYZE, BUFFERS) the N slowest SELECTs of the last load")
    args = parser.parse_args()
    roles = set(args.roles.split(",")) if args.roles else None
    paths = set(args.paths.split(",")) if args.paths else None
    original = time.perf_counter
    loads: list[tuple[float, float]] = []

    class _Clock:
        """pages.measure's clock: each load's start marks where its statements begin."""

        @staticmethod
        def perf_counter() -> float:
            now = original()
            loads.append((now, len(_timings)))
            return now

        strftime = staticmethod(time.strftime)

    setattr(pages, "time", _Clock)  # noqa: B010 (the module's clock, for this run)
    results = pages.measure(args.database_url, args.repeat, roles, args.api,
                            args.api and not args.catalogue and not paths, args.catalogue,
                            paths, args.compiled, args.uncached)
    # every load brackets its statements between two clock readings
    marks = [n for _, n in loads]
    for i in range(0, len(marks) - 1, 2):
        part = _timings[int(marks[i]):int(marks[i + 1])]
        total = sum(t for t, _ in part)
        print(f"--- load {i // 2}: {len(part)} statements, {total:.1f} ms of SQL")
        for t, sql in sorted(part, reverse=True)[: args.top]:
            print(f"  {t:8.1f}  {sql[:240]}")
    print(results)
    if args.explain and len(marks) > 1:
        import psycopg

        start, end = int(marks[-2]), int(marks[-1])
        order = sorted(range(start, end), key=lambda i: -_timings[i][0])
        dsn = args.database_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn) as conn:
            for i in [i for i in order if _raw[i][0].lstrip().upper().startswith(
                    ("SELECT", "WITH"))][: args.explain]:
                statement, params = _raw[i]
                again = []
                for _ in range(7):
                    began = time.perf_counter()
                    conn.execute(statement, params).fetchall()
                    again.append((time.perf_counter() - began) * 1000)
                again.sort()
                print(f"=== {_timings[i][0]:.1f} ms in the load; run 7 times alone: median "
                      f"{again[3]:.1f} ms, min {again[0]:.1f} ms\n{statement}\n{params}")
                for (line,) in conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement,
                                            params).fetchall():
                    print("   ", line)
                conn.rollback()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
