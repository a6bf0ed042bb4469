"""Load benchmark of ``allied serve`` on loopback, traffic driven by ``hey``.

Starts ``allied serve`` (SQLite file or PostgreSQL) on a free 127.0.0.1 port over a
fresh database with the reference data, 20 large offers (BENCH-O00..19) and requests
(BENCH-R00..19), a reader (donor, GBR) and a writer (donor, EST). Reads are
``GET /api/v1/offers?limit=20`` as the reader; writes are ``POST /api/v1/pledges`` of
1 unit as the writer. The traffic comes from ``hey`` processes (Go, one per kind and
per offer/request pair written to), so the load generator costs little of the CPU it
measures. Two modes:

* rate mode (``--read-rate R --write-rate W``): offered load at fixed rates; hey
  rate-limits each of its connections, so R/s over C connections is ``-c C -q R/C``.
  Reports achieved against offered rates.
* closed-loop mode (``--readers N --writers M``, or ``--clients C --write-every K``):
  N connections read and M write flat out, each waiting for its answer; capacity.

Per-request latencies and status codes come from ``hey -o csv``; load.py computes
throughput, p50/p99 per kind and errors (any non-2xx; there must be none), plus the
server's CPU time per request and hey's own CPU time. ``--driver python`` keeps the
earlier closed-loop driver (httpx clients in one asyncio process; its mix is "every
Kth request writes"). Prints one JSON line.

    python benchmarks/api/load.py --backend postgres \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/hbench --workers 2 \\
        --read-rate 1000 --write-rate 200 --duration 10
    python benchmarks/api/load.py --backend sqlite --workers 1 --readers 16 --writers 0

``--write-mix mixed`` (rate mode) replaces the hey writers by this process sending, at
``--write-rate``, pledges, amendments of the bench offers and lifecycle moves of the
allocations pledged during the run (approved, shipped, delivered, by a coordinator), in
the turn of ``MIXED``; the report gives each kind's latencies too (``write:pledge``,
``write:amend``, ``write:transition``), and the driver's CPU includes this process's.

    python benchmarks/api/load.py --backend postgres --keep-data --varied-reads 16 \
        --database-url URL --workers 1 --read-rate 1000 --write-rate 200 \
        --write-mix mixed --duration 20 --warmup 5

Traffic goes to 127.0.0.1 only; every run stops after --duration (at most 120 s).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import make_url

#: Offers BENCH-O00.. and requests BENCH-R00.. created, each large enough for any run.
PAIRS = 20
#: The nations of the readers (donors) with --reader-nations N: the first N.
READER_NATIONS = ("GBR", "FRA", "DEU", "POL", "USA", "CAN", "NLD", "NOR", "DNK", "ITA",
                  "ESP", "CZE", "LTU", "LVA", "FIN", "SWE")
MAX_DURATION = 120.0
READ_PATH = "/api/v1/offers?limit=20"
WRITE_PATH = "/api/v1/pledges"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def git_commits() -> tuple[str, str]:
    """The commit measured and the last commit that changed ``src/`` (the server code):
    ``ALLIED_BENCH_COMMIT``/``ALLIED_BENCH_SRC_COMMIT`` when run_all.sh runs an exported
    tree (PYTHONPATH), else from HEAD, with ``+dirty`` when ``src/`` has uncommitted
    changes (the server then runs the working tree)."""
    if os.environ.get("ALLIED_BENCH_COMMIT"):
        commit = os.environ["ALLIED_BENCH_COMMIT"]
        return commit, os.environ.get("ALLIED_BENCH_SRC_COMMIT", commit)
    root = Path(__file__).resolve().parents[2]
    import allied

    if not Path(allied.__file__).resolve().is_relative_to(root / "src"):
        return "unknown", f"unknown: allied from {Path(allied.__file__).parent}"

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        src = git("log", "-1", "--format=%h", "HEAD", "--", "src")
        dirty = "+dirty" if git("status", "--porcelain", "--", "src") else ""
    except (OSError, subprocess.CalledProcessError):
        return "unknown", "unknown"
    return head + dirty, src + dirty


def reader_name(i: int) -> str:
    return "reader" if i == 0 else f"reader{i}"


def prepare(
    url: str, fresh_postgres: bool, reader_nations: int = 1, keep: bool = False
) -> dict[str, str]:
    """Schema, reference data, users (the writer, and a reader of each of the first
    ``reader_nations`` READER_NATIONS) and PAIRS large offers/requests; returns the
    tokens. With ``keep`` the data stays (a database benchmarks/scale filled): the
    bench offers/requests are added only if missing, the users under fresh names."""
    from sqlalchemy import text

    from allied.adapters.db.engine import make_engine
    from allied.adapters.db.repository_users import SqlServiceUnitOfWork, service_sessions
    from allied.bootstrap import build
    from allied.config import Settings
    from allied.ingest.reference import load_reference_dataset
    from allied.service.caller import Caller
    from allied.service.reference import load_reference
    from allied.service.users import add_user

    if fresh_postgres and not keep:
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    store = build(Settings(database_url=url))
    me = Caller("bench")
    load_reference(store.uow(), me, load_reference_dataset())
    big = 10**9
    with store.uow() as uow:
        have_pairs = uow.offers.get("BENCH-O00") is not None
    if not have_pairs:
        _add_pairs(store, me, big)
    sessions = service_sessions(store.engine)
    tokens = {}
    suffix = f"-{int(time.time())}" if keep else ""
    users = [(reader_name(i), "donor", READER_NATIONS[i]) for i in range(reader_nations)]
    for name, role, nation in [*users, ("writer", "donor", "EST"), ("mover", "coordinator", None)]:
        tokens[name] = add_user(
            SqlServiceUnitOfWork(sessions), me, name=name + suffix, role=role, nation=nation
        ).token
    store.close()
    return tokens


def _add_pairs(store: Any, me: Any, big: int) -> None:
    from allied.service.assistance import add_offers, add_requests

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


def bench_pledges(url: str) -> int:
    """Allocations on the bench offers in the database (to cross-check the 2xx writes)."""
    from sqlalchemy import text

    from allied.adapters.db.engine import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            n = conn.execute(
                text("SELECT count(*) FROM allocations WHERE offer_id LIKE 'BENCH-O%'")
            ).scalar_one()
    finally:
        engine.dispose()
    return int(n)


def db_sessions(url: str) -> int:
    """Sessions ever opened to the bench database (``pg_stat_database.sessions``; a
    session's count reaches it when the session next reports, at the latest when it
    ends), to see whether the server keeps its PostgreSQL connections."""
    from sqlalchemy import text

    from allied.adapters.db.engine import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            n = conn.execute(
                text("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
            ).scalar_one()
    finally:
        engine.dispose()
    return int(n)


# --- hey driver ---------------------------------------------------------------------


@dataclass
class HeyJob:
    """One hey process: ``conns`` connections of one kind, each at most ``qps``/s
    (0: flat out)."""

    kind: str
    conns: int
    qps: float
    #: the offer/request pair written to, or the reader reading
    pair: int = 0
    #: what a read job reads
    path: str = ""


def split(total: int, parts: int) -> list[int]:
    """``total`` as ``parts`` near-equal positive integers."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def plan(
    readers: int,
    writers: int,
    write_procs: int,
    read_rate: float,
    write_rate: float,
    reader_nations: int = 1,
    read_paths: tuple[str, ...] = (),
) -> list[HeyJob]:
    """Reads in one process per reader (nation), or per path of ``read_paths`` (each
    read by the readers in turn); writers spread over up to ``write_procs`` processes,
    each pledging on its own offer/request pair. With a rate, every connection of a
    kind gets the same share of it."""
    jobs = []
    paths = read_paths or (READ_PATH,)
    if readers:
        procs = min(max(reader_nations, len(paths)), readers)
        for i, conns in enumerate(split(readers, procs)):
            jobs.append(
                HeyJob("read", conns, read_rate / readers if read_rate else 0.0,
                       i % reader_nations, paths[i % len(paths)])
            )
    if writers:
        procs = min(write_procs, writers, PAIRS)
        for pair, conns in enumerate(split(writers, procs)):
            jobs.append(HeyJob("write", conns, write_rate / writers if write_rate else 0.0, pair))
    return jobs


def varied_paths(n: int) -> tuple[str, ...]:
    """``n`` list pages: offers, requests and allocations, by family, donor, channel,
    status and priority, at offsets through the first pages (0: none)."""
    families = ("155mm-nato", "152mm-soviet", "atgm", "uav", "apc", "manpads")
    donors = ("USA", "DEU", "GBR", "POL", "FRA", "NLD")
    kinds = [
        lambda k: f"/api/v1/offers?limit=50&offset={50 * (k % 20)}",
        lambda k: f"/api/v1/offers?family={families[k % 6]}&limit=50&offset={50 * (k % 4)}",
        lambda k: f"/api/v1/offers?donor={donors[k % 6]}&status=open&limit=20",
        lambda k: f"/api/v1/offers?channel={('udcg', 'bilateral', 'eu-epf')[k % 3]}&limit=50",
        lambda k: f"/api/v1/requests?limit=50&offset={50 * (k % 20)}",
        lambda k: f"/api/v1/requests?family={families[k % 6]}&priority={1 + k % 5}&limit=50",
        lambda k: f"/api/v1/allocations?limit=50&offset={50 * (k % 20)}",
        lambda k: f"/api/v1/allocations?status={('delivered', 'pledged', 'shipped')[k % 3]}"
        "&limit=50",
    ]
    return tuple(kinds[k % len(kinds)](k // len(kinds)) for k in range(n))


def hey_command(
    hey: str, job: HeyJob, port: int, tokens: dict[str, str], seconds: float
) -> list[str]:
    # -t 0: no client timeout, so every request sent is answered and shows in the CSV
    # (hey leaves failed requests out of its CSV); the caller bounds the whole run.
    cmd = [hey, "-z", f"{seconds:g}s", "-c", str(job.conns), "-t", "0", "-o", "csv"]
    if job.qps:
        cmd += ["-q", f"{job.qps:g}"]
    if job.kind == "read":
        cmd += ["-H", f"Authorization: Bearer {tokens[reader_name(job.pair)]}"]
        cmd.append(f"http://127.0.0.1:{port}{job.path or READ_PATH}")
    else:
        body = json.dumps(
            {"offer": f"BENCH-O{job.pair:02d}", "request": f"BENCH-R{job.pair:02d}", "quantity": 1}
        )
        cmd += ["-H", f"Authorization: Bearer {tokens['writer']}", "-m", "POST"]
        cmd += ["-T", "application/json", "-d", body]
        cmd.append(f"http://127.0.0.1:{port}{WRITE_PATH}")
    return cmd


@dataclass
class Run:
    results: dict[str, list[tuple[float, int]]]  # kind -> (seconds, status) per request
    seconds: dict[str, float]  # kind -> wall time of its hey processes
    driver_cpu: float  # user + system CPU of the hey processes


def run_hey(
    hey: str, jobs: list[HeyJob], port: int, tokens: dict[str, str], seconds: float, tmp: Path
) -> Run:
    """Runs the jobs' hey processes concurrently and parses their CSV output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    procs = []
    outs = []
    started = time.perf_counter()
    for i, job in enumerate(jobs):
        out = open(tmp / f"hey-{i}.csv", "w+b")  # noqa: SIM115
        outs.append(out)
        procs.append(
            subprocess.Popen(
                hey_command(hey, job, port, tokens, seconds), stdout=out, stderr=subprocess.STDOUT
            )
        )
    ended: dict[int, float] = {}
    deadline = started + seconds + 60
    try:
        while len(ended) < len(procs):
            for i, p in enumerate(procs):
                if i not in ended and p.poll() is not None:
                    ended[i] = time.perf_counter()
            if time.perf_counter() > deadline:
                raise SystemExit(f"hey still running {seconds + 60:g} s after start: server stuck?")
            time.sleep(0.01)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    results: dict[str, list[tuple[float, int]]] = {"read": [], "write": []}
    wall: dict[str, float] = {}
    for i, (job, p, out) in enumerate(zip(jobs, procs, outs, strict=True)):
        out.seek(0)
        text = out.read().decode(errors="replace")
        out.close()
        if p.returncode != 0 or not text.startswith("response-time,"):
            raise SystemExit(f"hey failed (exit {p.returncode}): {text[:500]}")
        for row in csv.DictReader(io.StringIO(text)):
            results[job.kind].append((float(row["response-time"]), int(row["status-code"])))
        wall[job.kind] = max(wall.get(job.kind, 0.0), ended[i] - started)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return Run(results, wall, cpu)


# --- mixed writes (pledges, amendments, transitions) at a rate -----------------------

#: the write mix of ``--write-mix mixed``, in turn: a pledge, an amendment of an offer,
#: and two moves of earlier pledges along their lifecycle (approved, shipped, delivered)
MIXED = ("pledge", "amend", "transition", "transition")
NEXT_STATE = {"pledged": "approved", "approved": "shipped", "shipped": "delivered"}


async def run_mixed_writes(
    port: int, tokens: dict[str, str], rate: float, duration: float, conns: int,
) -> list[tuple[float, int, str]]:
    """Writes at ``rate``/s for ``duration`` s over at most ``conns`` connections, in the
    turn of :data:`MIXED`: ``POST /pledges`` (writer, EST, on the bench pairs),
    ``PATCH /offers/{id}`` (writer: the offer's caveats, a new text each time) and
    ``POST /allocations/{id}/transitions`` (a coordinator: the next state of an
    allocation pledged earlier in the run; a pledge instead while none is waiting).
    Returns (seconds, status, kind) per write, latency measured from its send."""
    out: list[tuple[float, int, str]] = []
    waiting: list[tuple[str, str]] = []  # (allocation id, its status) to move next
    base = f"http://127.0.0.1:{port}"
    writer = {"Authorization": f"Bearer {tokens['writer']}"}
    mover = {"Authorization": f"Bearer {tokens['mover']}"}
    gate = asyncio.Semaphore(conns)
    limits = httpx.Limits(max_connections=conns, max_keepalive_connections=conns)

    async def one(client: httpx.AsyncClient, n: int) -> None:
        kind = MIXED[n % len(MIXED)]
        if kind == "transition" and not waiting:
            kind = "pledge"
        async with gate:
            start = time.perf_counter()
            try:
                await send(client, n, kind, start)
            except httpx.HTTPError:  # refused, reset or timed out: an error (status 0)
                out.append((time.perf_counter() - start, 0, kind))

    async def send(client: httpx.AsyncClient, n: int, kind: str, start: float) -> None:
        if kind == "pledge":
            pair = n % PAIRS
            r = await client.post(WRITE_PATH, headers=writer, json={
                "offer": f"BENCH-O{pair:02d}", "request": f"BENCH-R{pair:02d}",
                "quantity": 1})
            if r.status_code in (200, 201):
                waiting.append((r.json()["id"], "pledged"))
        elif kind == "amend":
            r = await client.patch(f"/api/v1/offers/BENCH-O{n % PAIRS:02d}", headers=writer,
                                   json={"caveats": f"bench amendment {n}"})
        else:
            alloc, status = waiting.pop(0)
            to = NEXT_STATE[status]
            r = await client.post(f"/api/v1/allocations/{alloc}/transitions",
                                  headers=mover, json={"to": to})
            if r.status_code == 200 and to in NEXT_STATE:
                waiting.append((alloc, to))
        out.append((time.perf_counter() - start, r.status_code, kind))

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        began = time.perf_counter()
        tasks = []
        n = 0
        while (due := began + n / rate) < began + duration:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(one(client, n)))
            n += 1
        await asyncio.gather(*tasks)
    return out


def mixed_in_thread(
    port: int, tokens: dict[str, str], rate: float, duration: float, conns: int
) -> Callable[[], list[tuple[float, int, str]]]:
    """Start :func:`run_mixed_writes` in a thread; the returned function waits for it."""
    import threading

    box: list[list[tuple[float, int, str]]] = []
    thread = threading.Thread(
        target=lambda: box.append(
            asyncio.run(run_mixed_writes(port, tokens, rate, duration, conns))
        )
    )
    thread.start()

    def wait() -> list[tuple[float, int, str]]:
        thread.join()
        return box[0] if box else []

    return wait


# --- python driver (the earlier one, closed loop only) -------------------------------


async def run_python(
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
                    WRITE_PATH,
                    json={
                        "offer": f"BENCH-O{(n // write_every) % PAIRS:02d}",
                        "request": f"BENCH-R{(n // write_every // PAIRS) % PAIRS:02d}",
                        "quantity": 1,
                    },
                    headers={"Authorization": f"Bearer {tokens['writer']}"},
                )
            else:
                kind = "read"
                r = await client.get(
                    READ_PATH, headers={"Authorization": f"Bearer {tokens['reader']}"}
                )
            results[kind].append((time.perf_counter() - start, r.status_code))

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(clients)))
    return results


# --- server and report ----------------------------------------------------------------


def cpu_seconds(select: Callable[[int, int, str], bool]) -> dict[int, float]:
    """User + system CPU, by pid, of the live processes ``select(pid, ppid, cmdline)``
    picks (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if select(int(entry.name), int(fields[1]), cmdline):
            found[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    return found


def machine_busy_seconds() -> float:
    """CPU time all cores spent busy since boot (user, nice, system, irq, softirq, steal)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


@dataclass
class Usage:
    """CPU seconds used so far, by pid: the server and its workers, the PostgreSQL
    backends of the bench database; the whole machine; the wall clock. A difference
    counts the processes alive at its end (one that exits in between is left out)."""

    server: dict[int, float]
    db: dict[int, float]
    machine: float
    wall: float

    @staticmethod
    def now(server_pid: int, dbname: str | None) -> Usage:
        return Usage(
            server=cpu_seconds(lambda pid, ppid, _: server_pid in (pid, ppid)),
            db=cpu_seconds(
                lambda _pid, _ppid, cmd: cmd.startswith("postgres: ") and f" {dbname} " in cmd
            )
            if dbname
            else {},
            machine=machine_busy_seconds(),
            wall=time.perf_counter(),
        )


@dataclass
class Used:
    server: float
    db: float
    machine: float
    wall: float

    @staticmethod
    def between(before: Usage, after: Usage) -> Used:
        def spent(b: dict[int, float], a: dict[int, float]) -> float:
            return sum(t - b.get(pid, 0.0) for pid, t in a.items())

        return Used(
            spent(before.server, after.server),
            spent(before.db, after.db),
            after.machine - before.machine,
            after.wall - before.wall,
        )


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def start_server(url: str, workers: int, log_path: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    exe = Path(sys.executable).parent / "allied"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                str(exe),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--log-level",
                "warning",
            ],
            env={**os.environ, "ALLIED_DATABASE_URL": url},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc, port
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            stop_server(proc)
            raise SystemExit(f"server did not start; see {log_path}")
        time.sleep(0.2)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--database-url", default=None, help="PostgreSQL URL (its schema is reset)")
    ap.add_argument("--workers", type=int, default=2, help="server worker processes")
    ap.add_argument("--driver", choices=["hey", "python"], default="hey")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds (at most 120)")
    ap.add_argument("--warmup", type=float, default=2.0, help="seconds of load before measuring")
    rate = ap.add_argument_group("rate mode (hey)")
    rate.add_argument("--read-rate", type=float, default=0.0, help="offered reads/s")
    rate.add_argument("--write-rate", type=float, default=0.0, help="offered writes/s")
    rate.add_argument("--read-conns", type=int, default=50, help="connections for the reads")
    rate.add_argument("--write-conns", type=int, default=16, help="connections for the writes")
    closed = ap.add_argument_group("closed-loop mode")
    closed.add_argument("--readers", type=int, default=None, help="connections reading flat out")
    closed.add_argument("--writers", type=int, default=None, help="connections writing flat out")
    closed.add_argument("--clients", type=int, default=16, help="connections (with --write-every)")
    closed.add_argument(
        "--write-every",
        type=int,
        default=5,
        help="hey: clients/K of the connections write; python: every Kth request writes",
    )
    closed.add_argument("--max-requests", type=int, default=100_000, help="python driver only")
    ap.add_argument("--write-procs", type=int, default=4, help="hey processes (pairs) writing")
    ap.add_argument(
        "--reader-nations",
        type=int,
        default=1,
        help=f"readers of this many nations (1 to {len(READER_NATIONS)}), each its own "
        "user, releasability view and hey process (hey driver)",
    )
    ap.add_argument("--label", default="", help="copied to the report")
    ap.add_argument(
        "--keep-data", action="store_true",
        help="PostgreSQL: keep the database's data (e.g. filled by benchmarks/scale)",
    )
    ap.add_argument(
        "--varied-reads", type=int, default=0, metavar="N",
        help="read N list pages of varied filters and offsets (see VARIED_PATHS) instead "
        "of one page",
    )
    ap.add_argument(
        "--write-mix", choices=["pledge", "mixed"], default="pledge",
        help="pledge: hey posts pledges; mixed: pledges, offer amendments and allocation "
        "transitions in turn (see MIXED), sent by this process at --write-rate",
    )
    args = ap.parse_args()
    if args.write_mix == "mixed" and not (args.write_rate and args.driver == "hey"):
        ap.error("--write-mix mixed needs rate mode (--write-rate) and the hey driver")
    if not 0 < args.duration <= MAX_DURATION:
        ap.error(f"--duration: more than 0, at most {MAX_DURATION:g} s")
    if not 0 <= args.warmup <= 10:
        ap.error("--warmup: 0 to 10 s")
    rate_mode = bool(args.read_rate or args.write_rate)
    if args.read_rate < 0 or args.write_rate < 0:
        ap.error("rates must not be negative")
    if not 1 <= args.write_procs <= PAIRS:
        ap.error(f"--write-procs: 1 to {PAIRS}")
    if not 1 <= args.reader_nations <= len(READER_NATIONS):
        ap.error(f"--reader-nations: 1 to {len(READER_NATIONS)}")
    if args.reader_nations > 1 and args.driver != "hey":
        ap.error("--reader-nations needs --driver hey")

    if rate_mode:
        if args.driver != "hey":
            ap.error("rate mode needs --driver hey")
        readers = args.read_conns if args.read_rate else 0
        writers = args.write_conns if args.write_rate else 0
        if (
            readers < 0
            or writers < 0
            or (args.read_rate and not readers)
            or (args.write_rate and not writers)
        ):
            ap.error("--read-conns/--write-conns must be positive for a nonzero rate")
        mode = "rate"
    elif args.readers is not None or args.writers is not None:
        readers, writers = args.readers or 0, args.writers or 0
        if args.driver != "hey":
            ap.error("--readers/--writers need --driver hey (python: --clients/--write-every)")
        mode = "closed"
    else:
        writers = round(args.clients / args.write_every) if args.write_every else 0
        readers = args.clients - writers
        mode = "closed"
    if readers < 0 or writers < 0 or readers + writers == 0 or readers + writers > 512:
        ap.error("need 1 to 512 connections in all")

    hey = shutil.which("hey") or ""
    if args.driver == "hey" and not hey:
        raise SystemExit("hey not found: apt-get install hey (or use --driver python)")

    tmp = Path(tempfile.mkdtemp(prefix="allied-load-"))
    if args.backend == "sqlite":
        url = f"sqlite:///{tmp}/bench.db"
    else:
        url = args.database_url or os.environ.get("ALLIED_BENCH_POSTGRES_URL", "")
        if not url:
            ap.error("--database-url (or ALLIED_BENCH_POSTGRES_URL) is needed for postgres")
    commit, src_commit = git_commits()
    tokens = prepare(url, args.backend == "postgres", args.reader_nations, args.keep_data)
    read_paths = varied_paths(args.varied_reads)

    log_path = tmp / "serve.log"
    proc, port = start_server(url, args.workers, log_path)
    dbname = make_url(url).database if args.backend == "postgres" else None
    try:
        if args.driver == "hey":
            mixed = args.write_mix == "mixed"
            jobs = plan(
                readers, 0 if mixed else writers, args.write_procs, args.read_rate,
                args.write_rate, args.reader_nations, read_paths,
            )
            if args.warmup:
                if mixed:
                    warm = mixed_in_thread(port, tokens, args.write_rate, args.warmup, writers)
                run_hey(hey, jobs, port, tokens, args.warmup, tmp)
                if mixed:
                    warm()
            pledges_before = bench_pledges(url)
            sessions_before = db_sessions(url) if dbname else 0
            before = Usage.now(proc.pid, dbname)
            self_before = resource.getrusage(resource.RUSAGE_SELF)
            if mixed:
                wait = mixed_in_thread(port, tokens, args.write_rate, args.duration, writers)
            run = run_hey(hey, jobs, port, tokens, args.duration, tmp)
            written = wait() if mixed else []
            used = Used.between(before, Usage.now(proc.pid, dbname))
            pledges_made = bench_pledges(url) - pledges_before
            results, seconds, driver_cpu = run.results, run.seconds, run.driver_cpu
            if mixed:
                self_after = resource.getrusage(resource.RUSAGE_SELF)
                driver_cpu += (self_after.ru_utime + self_after.ru_stime) - (
                    self_before.ru_utime + self_before.ru_stime)
                results["write"] = [(t, code) for t, code, _ in written]
                seconds["write"] = args.duration
                for kind in ("pledge", "amend", "transition"):
                    mine = [(t, code) for t, code, k in written if k == kind]
                    if mine:
                        results[f"write:{kind}"] = mine
                        seconds[f"write:{kind}"] = args.duration
        else:
            if args.warmup:
                asyncio.run(
                    run_python(port, tokens, args.clients, args.warmup, 2000, args.write_every)
                )
            pledges_before = bench_pledges(url)
            sessions_before = db_sessions(url) if dbname else 0
            before = Usage.now(proc.pid, dbname)
            self_before = resource.getrusage(resource.RUSAGE_SELF)
            results = asyncio.run(
                run_python(
                    port,
                    tokens,
                    args.clients,
                    args.duration,
                    args.max_requests,
                    args.write_every,
                )
            )
            self_after = resource.getrusage(resource.RUSAGE_SELF)
            used = Used.between(before, Usage.now(proc.pid, dbname))
            driver_cpu = (self_after.ru_utime + self_after.ru_stime) - (
                self_before.ru_utime + self_before.ru_stime
            )
            pledges_made = bench_pledges(url) - pledges_before
            seconds = {"read": used.wall, "write": used.wall}
        server_alive = proc.poll() is None
        # less the session of the count before (+-2: these counts' own sessions)
        sessions = db_sessions(url) - sessions_before - 1 if dbname else None
    finally:
        stop_server(proc)
    log_text = log_path.read_text(errors="replace")
    log_problems = sum(
        1 for line in log_text.splitlines() if "Traceback" in line or "ERROR" in line
    )

    import allied

    report: dict[str, object] = {
        "label": args.label,
        "commit": commit,
        "src_commit": src_commit,
        "allied_src": str(Path(allied.__file__).parent.parent),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "backend": args.backend,
        "workers": args.workers,
        "driver": args.driver,
        "mode": mode,
        "duration": args.duration,
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    if args.driver == "hey":
        report["readers"], report["writers"] = readers, writers
        report["reader_nations"] = args.reader_nations
        report["read_paths"] = list(read_paths) or [READ_PATH]
        report["kept_data"] = args.keep_data
        report["write_procs"] = min(args.write_procs, writers, PAIRS) if writers else 0
        report["write_mix"] = list(MIXED) if args.write_mix == "mixed" else ["pledge"]
    else:
        report["clients"], report["write_every"] = args.clients, args.write_every
    # each request once (a mixed write is also in its write:KIND rows)
    total = sum(len(rows) for kind, rows in results.items() if ":" not in kind)
    report["server_cpu_ms_per_request"] = round(1000 * used.server / total, 2) if total else None
    if dbname:
        report["db_sessions_opened"] = sessions
        report["db_cpu_ms_per_request"] = round(1000 * used.db / total, 2) if total else None
    report["driver_cpu_s"] = round(driver_cpu, 2)
    # what the rest of the machine (other people's work) took meanwhile, in cores
    other = used.machine - used.server - used.db - driver_cpu
    report["other_cpu_cores"] = round(max(0.0, other) / used.wall, 2)
    errors_total = 0
    for kind, rows in results.items():
        if not rows:
            continue
        lat = [t for t, _ in rows]
        bad = [code for _, code in rows if not 200 <= code < 300]
        if ":" not in kind:  # write:KIND rows are also in "write"
            errors_total += len(bad)
        entry: dict[str, object] = {
            "count": len(rows),
            "per_second": round(len(rows) / seconds[kind], 1),
            "p50_ms": round(1000 * pct(lat, 0.50), 1),
            "p99_ms": round(1000 * pct(lat, 0.99), 1),
            "max_ms": round(1000 * max(lat), 1),
            "mean_ms": round(1000 * statistics.fmean(lat), 1),
            "errors": len(bad),
            "error_codes": sorted(set(bad)),
        }
        offered = args.read_rate if kind == "read" else args.write_rate
        if rate_mode and offered and kind in ("read", "write"):
            entry["offered_per_second"] = offered
            # per_second divides by the wall time of the hey processes (their start and
            # the last answers included); this is the share of what was offered
            entry["answered_of_offered"] = round(len(rows) / (offered * args.duration), 3)
        report[kind] = entry
    ok_writes = sum(1 for _, code in results.get("write:pledge", results["write"])
                    if 200 <= code < 300)
    report["write_check"] = {"ok_responses": ok_writes, "pledges_in_db": pledges_made}
    report["server_alive"] = server_alive
    report["server_log_problems"] = log_problems
    if log_problems:
        report["server_log"] = str(log_path)
    report["ok"] = (
        errors_total == 0 and server_alive and not log_problems and ok_writes == pledges_made
    )
    print(json.dumps(report))
    if not log_problems:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
