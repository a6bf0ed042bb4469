"""Time the dashboard's chart pages on two source trees side by side (before/after).

Builds one SQLite database (reference data, Kiel and SIPRI imports, a coordinator),
serves it twice with ``allied serve`` (once per tree, each on its own port, one worker),
signs in on each and fetches each page ``--views`` times, alternating between the two
servers so that both see the same machine load. Prints median and 95th percentile per
page and tree, and the ratio of the medians (before / after).

Usage (from the repository root, the shared environment's Python):
    .venv/bin/python benchmarks/web_charts/run.py --before /work/main/src --after src --views 40
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ALLIED = str(Path(sys.executable).parent / "allied")
PAGES = ("/", "/reports?name=burden", "/reports?name=predictability", "/reports?name=deliveries")


def allied(src: str, url: str, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": src, "ALLIED_DATABASE_URL": url}
    done = subprocess.run([ALLIED, *args], env=env,
                          capture_output=True, text=True, check=True)
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(src: str, url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": src, "ALLIED_DATABASE_URL": url}
    proc = subprocess.Popen([ALLIED, "serve", "--port", str(port),
                             "--log-level", "warning"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(base + "/healthz").status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"{src}: server did not start")


def signed_in(base: str, token: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    page = client.get("/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf, "no sign-in form"
    client.post("/login", data={"token": token, "csrf": csrf.group(1), "next": "/"},
                headers={"Origin": base})
    return client


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", required=True)
    parser.add_argument("--after", required=True)
    parser.add_argument("--views", type=int, default=40)
    args = parser.parse_args()
    trees = {"before": str(Path(args.before).resolve()), "after": str(Path(args.after).resolve())}
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/allied.db"
        src = trees["after"]
        allied(src, url, "data", "load")
        allied(src, url, "import", "kiel")
        allied(src, url, "import", "sipri")
        token = allied(src, url, "user", "add", "--name", "bench", "--role",
                       "coordinator").strip().splitlines()[-1]
        servers = {name: serve(tree, url) for name, tree in trees.items()}
        try:
            clients = {name: signed_in(base, token) for name, (_, base) in servers.items()}
            times: dict[tuple[str, str], list[float]] = {}
            for path in PAGES:
                for name, client in clients.items():  # one warm-up view each
                    assert client.get(path).status_code == 200, (name, path)
                for _ in range(args.views):
                    for name, client in clients.items():
                        start = time.perf_counter()
                        client.get(path)
                        times.setdefault((name, path), []).append(time.perf_counter() - start)
            print(f"{'page':32s} {'before med':>10s} {'p95':>7s} {'after med':>10s} "
                  f"{'p95':>7s} {'ratio':>6s}")
            for path in PAGES:
                row = []
                for name in ("before", "after"):
                    values = sorted(times[(name, path)])
                    row.append((statistics.median(values), values[int(0.95 * (len(values) - 1))]))
                ratio = row[0][0] / row[1][0]
                print(f"{path:32s} {row[0][0] * 1000:8.0f}ms {row[0][1] * 1000:5.0f}ms "
                      f"{row[1][0] * 1000:8.0f}ms {row[1][1] * 1000:5.0f}ms {ratio:6.1f}")
        finally:
            for proc, _ in servers.values():
                proc.terminate()
                proc.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
