"""Load benchmark of ``allied serve`` on loopback: a fixed mix of reads and writes.

Starts ``allied serve`` (SQLite file or PostgreSQL) on a free 127.0.0.1 port, loads the
reference data, adds a coordinator and a donor, then runs C concurrent keep-alive
clients for a bounded time and count: every 5th request (by default) is a write
(``POST /api/v1/pledges`` of 1 unit, round robin over 20 large offers and 20
requests), the others read
(``GET /api/v1/offers?limit=20`` as a donor, filtered by releasability). Prints
throughput, p50/p99 latency per kind and the errors (there must be none).

    python benchmarks/api/load.py --backend sqlite --workers 2 --clients 16 --duration 15
    python benchmarks/api/load.py --backend postgres \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench --workers 2

Traffic goes to 127.0.0.1 only; the run stops after --duration seconds or --max-requests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

#: Writes pledge 1 unit of one of PAIRS large offers against one of PAIRS large requests,
#: round robin (as many donors pledging to many requests do).
PAIRS = 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(url: str, fresh_postgres: bool) -> dict[str, str]:
    """Schema, reference data, users and one large offer/request; returns the tokens."""
    from sqlalchemy import text

    from allied.adapters.db.engine import make_engine
    from allied.adapters.db.repository_users import SqlServiceUnitOfWork, service_sessions
    from allied.bootstrap import build
    from allied.config import Settings
    from allied.ingest.reference import load_reference_dataset
    from allied.service.assistance import add_offers, add_requests
    from allied.service.caller import Caller
    from allied.service.reference import load_reference
    from allied.service.users import add_user

    if fresh_postgres:
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    store = build(Settings(database_url=url))
    me = Caller("bench")
    load_reference(store.uow(), me, load_reference_dataset())
    big = 10**9
    add_offers(
        store.uow(),
        me,
        [
            (
                None,
                "bench",
                {
                    "id": f"BENCH-O{i:02d}",
                    "donor": "EST",
                    "family": "other",
                    "quantity": big,
                    "available_from": "2024-01-01",
                    "releasability": "public",
                },
            )
            for i in range(PAIRS)
        ],
    )
    add_requests(
        store.uow(),
        me,
        [
            (
                None,
                "bench",
                {
                    "id": f"BENCH-R{i:02d}",
                    "recipient": "UKR",
                    "family": "other",
                    "quantity": big,
                    "priority": 3,
                    "needed_by": "2030-01-01",
                    "releasability": "public",
                },
            )
            for i in range(PAIRS)
        ],
    )
    sessions = service_sessions(store.engine)
    tokens = {}
    for name, role, nation in (("reader", "donor", "GBR"), ("writer", "donor", "EST")):
        tokens[name] = add_user(
            SqlServiceUnitOfWork(sessions), me, name=name, role=role, nation=nation
        ).token
    store.close()
    return tokens


async def run_load(
    port: int,
    tokens: dict[str, str],
    clients: int,
    duration: float,
    max_requests: int,
    write_every: int,
) -> dict[str, list[tuple[float, int]]]:
    results: dict[str, list[tuple[float, int]]] = {"read": [], "write": []}
    counter = 0
    stop_at = time.perf_counter() + duration
    base = f"http://127.0.0.1:{port}"
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal counter
        while time.perf_counter() < stop_at and counter < max_requests:
            n = counter
            counter += 1
            start = time.perf_counter()
            if write_every and n % write_every == 0:
                kind = "write"
                r = await client.post(
                    "/api/v1/pledges",
                    json={
                        "offer": f"BENCH-O{(n // write_every) % PAIRS:02d}",
                        "request": f"BENCH-R{(n // write_every // PAIRS) % PAIRS:02d}",
                        "quantity": 1,
                    },
                    headers={"Authorization": f"Bearer {tokens['writer']}"},
                )
                ok = r.status_code == 201
            else:
                kind = "read"
                r = await client.get(
                    "/api/v1/offers?limit=20",
                    headers={"Authorization": f"Bearer {tokens['reader']}"},
                )
                ok = r.status_code == 200
            results[kind].append((time.perf_counter() - start, 0 if ok else r.status_code))

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(clients)))
    return results


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU of the server and its worker processes (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--database-url", default=None, help="PostgreSQL URL (its schema is reset)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--duration", type=float, default=15.0)
    ap.add_argument("--max-requests", type=int, default=100_000)
    ap.add_argument("--write-every", type=int, default=5, help="every Nth request writes")
    args = ap.parse_args()
    if args.duration > 120:
        ap.error("--duration: at most 120 s")

    tmp = tempfile.mkdtemp()
    if args.backend == "sqlite":
        url = f"sqlite:///{tmp}/bench.db"
    else:
        url = args.database_url or os.environ.get("ALLIED_BENCH_POSTGRES_URL", "")
        if not url:
            ap.error("--database-url (or ALLIED_BENCH_POSTGRES_URL) is needed for postgres")
    tokens = prepare(url, args.backend == "postgres")

    port = free_port()
    exe = Path(sys.executable).parent / "allied"
    log = open(Path(tmp) / "serve.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            str(exe),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        env={**os.environ, "ALLIED_DATABASE_URL": url},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit("server did not start; see " + str(Path(tmp) / "serve.log"))
            time.sleep(0.2)
        # warm-up: a short burst so every worker has its pools open
        asyncio.run(run_load(port, tokens, args.clients, 2.0, 2000, args.write_every))
        cpu_before = server_cpu_seconds(proc.pid)
        started = time.perf_counter()
        results = asyncio.run(
            run_load(port, tokens, args.clients, args.duration, args.max_requests, args.write_every)
        )
        elapsed = time.perf_counter() - started
        server_cpu = server_cpu_seconds(proc.pid) - cpu_before
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()

    report: dict[str, object] = {
        "backend": args.backend,
        "workers": args.workers,
        "clients": args.clients,
        "seconds": round(elapsed, 2),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    total = sum(len(rows) for rows in results.values())
    report["server_cpu_ms_per_request"] = round(1000 * server_cpu / total, 2) if total else None
    for kind, rows in results.items():
        lat = [t for t, _ in rows]
        errors = [code for _, code in rows if code]
        report[kind] = {
            "count": len(rows),
            "per_second": round(len(rows) / elapsed, 1),
            "p50_ms": round(1000 * pct(lat, 0.50), 1),
            "p99_ms": round(1000 * pct(lat, 0.99), 1),
            "mean_ms": round(1000 * statistics.fmean(lat), 1) if lat else None,
            "errors": len(errors),
            "error_codes": sorted(set(errors)),
        }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
