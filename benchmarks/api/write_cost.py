"""Server CPU per write, by kind: the three writes of ``load.py --write-mix mixed``, one
at a time.

Starts ``allied serve --workers 1`` on the database (the source the server runs is the
one on ``PYTHONPATH``), adds the users and bench records ``load.py`` uses (kept data:
nothing is reset), then sends, one after another on one kept-alive connection, ``--count``
requests of each kind: ``POST /pledges`` (writer, EST, on the bench pairs), ``PATCH
/offers/{id}`` (the writer amends a bench offer's caveats), ``POST
/allocations/{id}/transitions`` (a coordinator moves the allocations just pledged to
approved, then shipped, then delivered). For each kind it reports the server's CPU
(user + system, from ``/proc``) per request, the database backends' CPU per request, and
the latency's p50/p99. One request at a time, so a pledge is a batch of one: this is the
cost of a write alone, without group commit or queueing.

Usage::

    PYTHONPATH=src python benchmarks/api/write_cost.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test_x --count 300
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import (  # the load tool's own helpers, next to this file
    NEXT_STATE,
    PAIRS,
    Usage,
    Used,
    pct,
    prepare,
    start_server,
    stop_server,
)

KINDS = ("pledge", "amend", "transition")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", required=True, help="PostgreSQL URL (data kept)")
    ap.add_argument("--count", type=int, default=300, help="requests of each kind")
    ap.add_argument("--warmup", type=int, default=30, help="requests of each kind first")
    ap.add_argument("--kinds", default=",".join(KINDS), help="comma-separated, in order")
    args = ap.parse_args()
    kinds = [k for k in args.kinds.split(",") if k]
    if not kinds or any(k not in KINDS for k in kinds):
        ap.error(f"--kinds: some of {', '.join(KINDS)}")
    if args.count < 1 or args.warmup < 0:
        ap.error("--count must be positive and --warmup not negative")
    url = args.database_url
    tokens = prepare(url, True, 1, keep=True)
    tmp = Path(tempfile.mkdtemp(prefix="allied-write-cost-"))
    proc, port = start_server(url, 1, tmp / "serve.log")
    dbname = make_url(url).database
    writer = {"Authorization": f"Bearer {tokens['writer']}"}
    mover = {"Authorization": f"Bearer {tokens['mover']}"}
    waiting: list[tuple[str, str]] = []  # (allocation, its status), to move next
    serial = [0]
    report: dict[str, dict[str, float]] = {}

    def one(client: httpx.Client, kind: str) -> tuple[float, int]:
        n = serial[0] = serial[0] + 1
        pair = n % PAIRS
        start = time.perf_counter()
        if kind == "pledge":
            r = client.post("/api/v1/pledges", headers=writer, json={
                "offer": f"BENCH-O{pair:02d}", "request": f"BENCH-R{pair:02d}", "quantity": 1})
            took = time.perf_counter() - start
            if r.status_code == 201:
                waiting.append((r.json()["id"], "pledged"))
        elif kind == "amend":
            r = client.patch(f"/api/v1/offers/BENCH-O{pair:02d}", headers=writer,
                             json={"caveats": f"write cost {n}"})
            took = time.perf_counter() - start
        else:
            if not waiting:
                raise SystemExit("no allocation left to move: put pledge before transition")
            alloc, status = waiting.pop(0)
            to = NEXT_STATE[status]
            r = client.post(f"/api/v1/allocations/{alloc}/transitions", headers=mover,
                            json={"to": to})
            took = time.perf_counter() - start
            if r.status_code == 200 and to in NEXT_STATE:
                waiting.append((alloc, to))
        if r.status_code not in (200, 201):
            raise SystemExit(f"{kind}: {r.status_code} {r.text[:300]}")
        return took, r.status_code

    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            for kind in kinds:
                for _ in range(args.warmup):
                    one(client, kind)
            for kind in kinds:
                before = Usage.now(proc.pid, dbname)
                took = [one(client, kind)[0] for _ in range(args.count)]
                used = Used.between(before, Usage.now(proc.pid, dbname))
                report[kind] = {
                    "requests": args.count,
                    "server_cpu_ms": round(1000 * used.server / args.count, 3),
                    "db_cpu_ms": round(1000 * used.db / args.count, 3),
                    "p50_ms": round(1000 * pct(took, 0.5), 2),
                    "p99_ms": round(1000 * pct(took, 0.99), 2),
                    "wall_ms": round(1000 * used.wall / args.count, 3),
                }
    finally:
        stop_server(proc)
    print(json.dumps({"database": dbname, "kinds": report}, indent=2))


if __name__ == "__main__":
    main()
