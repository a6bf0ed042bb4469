"""Measure the clearinghouse on a database the generator filled (or an empty one).

Each CLI measurement runs the real command in a subprocess under ``/usr/bin/time -v``
(end to end: interpreter start, imports, database, output), giving wall seconds and
peak resident memory:

- ``allied ledger verify`` (entries per second, peak memory);
- ``allied allocate --dry-run`` over every open request and offer (the feasible pairs
  are counted in SQL beside it);
- ``allied report NAME -f json`` for each report over the full period;

and in-process, through the app (``starlette.testclient``, no network), the dashboard's
pages for a user of each role: p50/p95 over ``--repeat`` loads each.

    python benchmarks/scale/measure.py --database-url URL [--only ledger,allocate,...]

Prints one JSON object. ``allied db upgrade`` is measured by its own command (see
README.md), since it changes the database.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

ALLIED = str(Path(sys.executable).with_name("allied"))
REPORTS = ("burden", "predictability", "gaps", "deliveries")
PAGES = ("/", "/requests", "/offers", "/allocation", "/consents", "/decisions", "/ledger",
         "/reports?name=burden")
ROLES = {"coordinator": None, "donor": "USA", "recipient": "UKR", "origin": "DEU",
         "auditor": None}


def timed_command(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run ``allied ARGS``; wall seconds, peak RSS (MiB), exit code, the output's tail."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        began = time.perf_counter()
        done = subprocess.run(["/usr/bin/time", "-v", ALLIED, *args], env=env, stdout=out,
                              stderr=err, check=False)
        wall = time.perf_counter() - began
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    return {
        "command": "allied " + " ".join(args),
        "seconds": round(wall, 2),
        "peak_mib": round(int(rss.group(1)) / 1024, 1) if rss else None,
        "exit": done.returncode,
        "tail": (stdout.strip().splitlines() or [""])[-1][:200],
    }


_INPROC = """
import datetime as dt, json, resource, sys, time
from allied.bootstrap import build
from allied.service.caller import Caller
store = build(migrate=False)  # measure the database as it is (never upgrade it here)
caller = Caller(user="scale-measure", role="coordinator")
what, arg = sys.argv[1], sys.argv[2]
def rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
if what == "ledger":
    from allied.service.ledger import verify_chain as work_fn
    work = lambda: verify_ledger_n(store.read_uow())
    def verify_ledger_n(uow):
        if arg:  # ledger:N verifies in N processes (peak memory is this process's)
            from allied.bootstrap import ReadUowOpener
            return work_fn(uow, jobs=int(arg), open_uow=ReadUowOpener(store.settings))
        return work_fn(uow)
elif what == "allocate":
    from allied.service.allocations import allocate_stored
    def work():
        run = allocate_stored(store.read_uow(), caller, as_of=dt.date.fromisoformat(arg),
                              record=False)
        return {"requests": len(run.problem.requests), "offers": len(run.problem.offers),
                "allocations": len(run.plan.allocations), "solver": run.plan.solver}
else:
    from allied.service.reports import ReportOptions, build_report
    def work():
        report = build_report(store.read_uow(), arg, ReportOptions())
        return len(report.main)
before = rss()
began = time.perf_counter()
cpu = time.process_time()
result = work()
seconds = time.perf_counter() - began
cpu = time.process_time() - cpu  # this process's own (steadier than wall on a busy machine)
print(json.dumps({"seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3), "result": result,
                  "peak_mib": round(rss(), 1), "rss_before_mib": round(before, 1)}))
"""


def in_process(what: str, arg: str, env: dict[str, str]) -> dict[str, Any]:
    """Time one operation inside a fresh interpreter, after its imports and the store are
    ready: seconds of the operation, peak RSS of the process and RSS before it."""
    done = subprocess.run([sys.executable, "-c", _INPROC, what, arg], env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1][:300]}
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def counts(url: str) -> dict[str, int]:
    from allied.adapters.db.engine import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            out = {
                t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one())
                for t in ("requests", "offers", "allocations", "consent_requests",
                          "ledger_entries")
            }
            # feasible pairs: an open offer and an open request of a family it accepts
            out["feasible_pairs"] = int(
                conn.execute(
                    text(
                        "SELECT coalesce(sum(r.n * o.n), 0) FROM "
                        "(SELECT family, count(*) n FROM requests WHERE status = 'open' "
                        "GROUP BY family) r JOIN "
                        "(SELECT family, count(*) n FROM offers WHERE status = 'open' "
                        "GROUP BY family) o ON o.family = r.family"
                    )
                ).scalar_one()
            )
    finally:
        engine.dispose()
    return out


def dashboard(url: str, repeat: int, only_roles: set[str] | None = None) -> dict[str, Any]:
    """p50/p95 (ms) of each dashboard page per role, through the app in-process."""
    from starlette.testclient import TestClient

    from allied.adapters.db.repository_users import SqlServiceUnitOfWork, service_sessions
    from allied.bootstrap import build
    from allied.config import Settings
    from allied.entrypoints.api import create_app
    from allied.entrypoints.web.session import SESSION_COOKIE
    from allied.service.caller import Caller
    from allied.service.users import add_user

    store = build(Settings(database_url=url))
    sessions = service_sessions(store.engine)
    admin = Caller(user="scale-measure", role="admin")
    stamp = time.strftime("%H%M%S")
    tokens = {}
    roles = {r: n for r, n in ROLES.items() if r in only_roles} if only_roles else ROLES
    for role, nation in roles.items():
        made = add_user(SqlServiceUnitOfWork(sessions), admin, name=f"measure-{role}-{stamp}",
                        role=role, nation=nation)
        tokens[role] = made.token
    app = create_app(store=store)
    results: dict[str, Any] = {}
    try:
        with TestClient(app) as client:
            for role, token in tokens.items():
                client.cookies.clear()
                client.cookies.set(SESSION_COOKIE, token)  # as signing in sets it
                for page in PAGES:
                    times = []
                    status = 0
                    for _ in range(repeat):
                        began = time.perf_counter()
                        answer = client.get(page)
                        times.append((time.perf_counter() - began) * 1000)
                        status = answer.status_code
                    times.sort()
                    results[f"{role} {page}"] = {
                        "status": status,
                        "p50_ms": round(statistics.median(times), 1),
                        "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1),
                    }
                    print(role, page, results[f"{role} {page}"], file=sys.stderr, flush=True)
    finally:
        store.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--only", default="counts,ledger,allocate,reports,dashboard")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--roles", default="", help="dashboard: only these roles (comma list)")
    parser.add_argument("--as-of", default="2031-12-31")
    args = parser.parse_args()
    only = set(args.only.split(","))
    env = dict(os.environ, ALLIED_DATABASE_URL=args.database_url, ALLIED_USER="scale-measure")
    out: dict[str, Any] = {}
    if "counts" in only:
        out["counts"] = counts(args.database_url)
    if "ledger" in only:
        r = timed_command(["ledger", "verify"], env)
        inner = in_process("ledger", "", env)
        if isinstance(inner.get("result"), int):
            inner["entries_per_s"] = round(inner["result"] / max(inner["seconds"], 1e-6))
        out["ledger_verify"] = {"cli": r, "in_process": inner}
    if "allocate" in only:
        out["allocate"] = {
            "cli": timed_command(["allocate", "--dry-run", "--as-of", args.as_of, "-f",
                                  "json", "--out", os.devnull], env),
            "in_process": in_process("allocate", args.as_of, env),
        }
    if "reports" in only:
        for kind in ("kiel", "sipri"):  # the public data the reports read (idempotent)
            subprocess.run([ALLIED, "import", kind], env=env, capture_output=True, check=False)
        out["reports"] = {
            name: {
                "cli": timed_command(["report", name, "-f", "json", "-o", os.devnull], env),
                "in_process": in_process("report", name, env),
            }
            for name in REPORTS
        }
    if "dashboard" in only:
        roles = set(args.roles.split(",")) if args.roles else None
        out["dashboard"] = dashboard(args.database_url, args.repeat, roles)
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
