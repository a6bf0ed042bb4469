"""Does a hidden offer answer in the same time as a missing one? (issue 20, item 16)

Starts the API (uvicorn, one worker, in this process) over a fresh SQLite file (or
PostgreSQL, ``--database-url``) with the reference data, an offer of GBR released to no
one else, and a donor of EST. Then, on one kept-alive loopback connection, sends
``--samples`` pairs of requests as EST, interleaved in random order within each pair:

* ``GET /api/v1/offers/{id}``: the hidden offer's id against an id that does not exist;
* ``POST /api/v1/pledges``: a pledge of the hidden offer against one of a missing offer
  (both to an open, visible request).

Every answer must be 404 with the same body but the id. With ``--level service`` the same
pairs call the service layer directly, in this process, without HTTP (what the two paths
cost in our own code, without the noise of sockets and the framework): ``access.get_offer``
and ``access.pledge_many`` with one order, on the app's read and write units of work.
Prints one JSON line: median and mean of each side in microseconds, the median of the
paired differences with a bootstrap 95% interval, and the Mann-Whitney U test's p-value
(scipy).

    python benchmarks/api/timing.py --samples 800
    python benchmarks/api/timing.py --samples 2000 --level service
    python benchmarks/api/timing.py --samples 800 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/hbench

Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any


def _serve(app: Any) -> tuple[Any, int]:
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.01)
    return server, int(server.servers[0].sockets[0].getsockname()[1])


def _setup(url: str) -> tuple[Any, dict[str, str], str]:
    from allied.adapters.db.repository_users import SqlServiceUnitOfWork, service_sessions
    from allied.bootstrap import build
    from allied.config import Settings
    from allied.entrypoints.api import create_app
    from allied.ingest.reference import load_reference_dataset
    from allied.service import access
    from allied.service.caller import Caller
    from allied.service.reference import load_reference
    from allied.service.users import add_user

    if url.startswith("postgresql"):
        from sqlalchemy import text

        from allied.adapters.db.engine import make_engine

        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    store = build(Settings(database_url=url))
    admin = Caller("bench", role="coordinator")
    load_reference(store.uow(), admin, load_reference_dataset())
    tokens = {}
    for name, role, nation in (("est", "donor", "EST"), ("gbr", "donor", "GBR")):
        uow = SqlServiceUnitOfWork(service_sessions(store.engine))
        tokens[name] = add_user(uow, admin, name=name, role=role, nation=nation).token
    uow = SqlServiceUnitOfWork(service_sessions(store.engine))
    gbr = Caller("gbr", "GBR", "donor")
    hidden = access.create_offer(
        uow, gbr, dt.date(2024, 6, 1), {"donor": "GBR", "family": "atgm", "quantity": 5,
                   "available_from": "2024-01-01"})["id"]
    uow = SqlServiceUnitOfWork(service_sessions(store.engine))
    coord = Caller("bench", role="coordinator")
    request = access.create_request(
        uow, coord, dt.date(2024, 6, 1),
        {"recipient": "UKR", "family": "atgm", "quantity": 5, "priority": 3,
         "needed_by": "2030-01-01", "releasability": "public"})["id"]
    app = create_app(store=store)
    return app, tokens, json.dumps({"hidden": hidden, "request": request})


def _time(conn: http.client.HTTPConnection, method: str, path: str, headers: dict[str, str],
          body: bytes | None) -> tuple[float, int, bytes]:
    start = time.perf_counter_ns()
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    return (time.perf_counter_ns() - start) / 1000, resp.status, data


def _compare(a: list[float], b: list[float], rng: random.Random) -> dict[str, Any]:
    from scipy.stats import mannwhitneyu

    diffs = [x - y for x, y in zip(a, b, strict=True)]
    boots = sorted(
        statistics.median(rng.choices(diffs, k=len(diffs))) for _ in range(2000)
    )
    return {
        "hidden_median_us": round(statistics.median(a), 1),
        "missing_median_us": round(statistics.median(b), 1),
        "hidden_mean_us": round(statistics.fmean(a), 1),
        "missing_mean_us": round(statistics.fmean(b), 1),
        "paired_median_diff_us": round(statistics.median(diffs), 1),
        "diff_ci95_us": [round(boots[50], 1), round(boots[1949], 1)],
        "mann_whitney_p": float(mannwhitneyu(a, b).pvalue),
    }


def _service_level(
    app: Any, hidden: str, request: str, samples: int, rng: random.Random, url: str
) -> dict[str, Any]:
    import datetime as dt

    from allied.domain.errors import NotFound
    from allied.service import access
    from allied.service.caller import Caller

    ctx = app.state.ctx
    est = Caller("est", "EST", "donor")
    day = dt.date.today()
    missing = "OFF-GBR-00000000"
    members = access.memberships_of(ctx.read_uow(), est)  # as the API keeps them

    def get(offer_id: str) -> float:
        start = time.perf_counter_ns()
        try:
            access.get_offer(ctx.read_uow(), est, day, offer_id)
        except NotFound:
            pass
        else:
            raise SystemExit("the hidden offer was shown")
        return (time.perf_counter_ns() - start) / 1000

    def pledge(offer_id: str) -> float:
        start = time.perf_counter_ns()
        order = access.pledge_order(
            est, day, offer_id=offer_id, request_id=request, quantity=1, memberships=members
        )
        (out,) = access.pledge_many(ctx.uow(), [order])
        took = (time.perf_counter_ns() - start) / 1000
        if not isinstance(out, NotFound):
            raise SystemExit(f"expected NotFound, got {out!r}")
        return took

    report: dict[str, Any] = {"samples": samples, "level": "service",
                              "backend": url.split(":", 1)[0].split("+")[0]}
    for name, call in (("get_offer", get), ("pledge", pledge)):
        for _ in range(100):
            call(hidden)
            call(missing)
        times: dict[str, list[float]] = {"hidden": [], "missing": []}
        for _ in range(samples):
            order = [("hidden", hidden), ("missing", missing)]
            rng.shuffle(order)
            for side, offer_id in order:
                times[side].append(call(offer_id))
        report[name] = _compare(times["hidden"], times["missing"], rng)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=800)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--level", choices=("http", "service"), default="http")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'timing.db'}"
        app, tokens, ids = _setup(url)
        hidden, request = json.loads(ids)["hidden"], json.loads(ids)["request"]
        if args.level == "service":
            print(json.dumps(_service_level(app, hidden, request, args.samples, rng, url)))
            return
        server, port = _serve(app)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Bearer {tokens['est']}",
                   "Content-Type": "application/json"}
        cases = {
            "get_offer": [("GET", f"/api/v1/offers/{hidden}", None),
                          ("GET", "/api/v1/offers/OFF-GBR-00000000", None)],
            "pledge": [
                ("POST", "/api/v1/pledges", json.dumps(
                    {"offer": hidden, "request": request, "quantity": 1}).encode()),
                ("POST", "/api/v1/pledges", json.dumps(
                    {"offer": "OFF-GBR-00000000", "request": request,
                     "quantity": 1}).encode()),
            ],
        }
        report: dict[str, Any] = {"samples": args.samples,
                                  "backend": url.split(":", 1)[0].split("+")[0]}
        for name, (hid, mis) in cases.items():
            for _ in range(50):  # warm-up
                _time(conn, *hid[:2], headers, hid[2])
                _time(conn, *mis[:2], headers, mis[2])
            times: dict[str, list[float]] = {"hidden": [], "missing": []}
            for _ in range(args.samples):
                order = [("hidden", hid), ("missing", mis)]
                rng.shuffle(order)
                for side, (method, path, body) in order:
                    took, status, _ = _time(conn, method, path, headers, body)
                    if status != 404:
                        raise SystemExit(f"{side} {method} {path} answered {status}")
                    times[side].append(took)
            report[name] = _compare(times["hidden"], times["missing"], rng)
        conn.close()
        server.should_exit = True
        print(json.dumps(report))


if __name__ == "__main__":
    main()
