"""Time every dashboard page of tests/web/page_catalogue.py per role: p50/p95 over
``--repeat`` loads, in process through the app (``starlette.testclient``, no network),
signed in through the login form as a fresh user of each role (it adds one user per role
to the database: run it on a copy).

    python benchmarks/web/pages.py --database-url URL [--repeat 5] [--roles donor,origin]
        [--paths /offers,/allocation]   # only these paths of the catalogue
        [--compiled]    # every template compiled and the heap frozen before timing, as
                        # a server worker does at start: the cold load is data-cold
        [--catalogue]   # also every page of the catalogue (jobs pages, admin) and one
                        # record page of each kind (request, offer, allocation, consent,
                        # proposal, accession) per role
        [--uncached]    # the pages' kept charts, pictures and to-do lists dropped
                        # before every timed load: what a user sees after any change
                        # (a change moves the data version they are kept under)

Prints one JSON object: {"role path": {"status", "p50_ms", "p95_ms"}}.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "web"))

from page_catalogue import API_PAGES, CATALOGUE, NATIONS, PAGES, RECORD_PAGES, fill


def _sign_in(client: Any, token: str) -> None:
    """Sign in as a person does: the login form's token, then its session cookie."""
    client.cookies.clear()
    form = client.get("/login")
    found = re.search(r'name="csrf" value="([^"]+)"', form.text)
    if found is None:
        raise SystemExit("the login page has no csrf field")
    answer = client.post("/login", data={"token": token, "csrf": found.group(1), "next": "/"},
                         follow_redirects=False)
    if answer.status_code != 303:
        raise SystemExit(f"sign-in refused: {answer.status_code}")


def _check(path: str, text: str) -> None:
    if "<title>Sign in" in text:
        raise SystemExit(f"{path} answered the sign-in page: the session did not hold")


def _timed(get: Any, repeat: int) -> dict[str, Any]:
    """The first load (cold: the API's record cache is empty for it) and p50/p95."""
    times = []
    status = 0
    for _ in range(repeat):
        began = time.perf_counter()
        answer = get()
        status = answer.status_code
        times.append((time.perf_counter() - began) * 1000)
    first = times[0]
    times.sort()
    return {
        "status": status,
        "first_ms": round(first, 1),
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1),
    }


def _record_ids(engine: Any) -> dict[str, str]:
    """One record of each kind to open its page: the largest recipient's oldest request,
    the largest donor's oldest offer, an allocation of it, a consent request, a proposal
    and an accession candidate (the pages are timed whatever the role may see: a record
    hidden from a role answers its 404 page, which is timed too)."""
    from sqlalchemy import text

    queries = {
        "request": "SELECT id FROM requests ORDER BY id LIMIT 1",
        "offer": "SELECT offer_id FROM allocations GROUP BY offer_id ORDER BY count(*) DESC,"
                 " offer_id LIMIT 1",
        "allocation": "SELECT id FROM allocations ORDER BY id LIMIT 1",
        "consent": "SELECT id FROM consent_requests ORDER BY id LIMIT 1",
        "proposal": "SELECT id FROM proposals ORDER BY id LIMIT 1",
        "candidate": "SELECT candidate FROM accessions ORDER BY candidate LIMIT 1",
        "accession": "SELECT id FROM accessions ORDER BY id LIMIT 1",
    }
    ids = {}
    with engine.connect() as conn:
        for name, sql in queries.items():
            try:
                found = conn.execute(text(sql)).scalar()
            except Exception:  # a table this schema names otherwise: that kind is skipped
                conn.rollback()
                found = None
            if found is not None:
                ids[name] = str(found)
    return ids


def _catalogue_pages(ids: dict[str, str]) -> list[tuple[str, str]]:
    """The catalogue's pages not in the list-page set, and the record pages with ids."""
    seen = set(PAGES)
    pages = [(r, p) for r, p in CATALOGUE if (r, p) not in seen]
    for role, path in RECORD_PAGES:
        try:
            pages.append((role, fill(path, ids)))
        except KeyError:  # no record of that kind in this database
            continue
    return pages


def _compile_templates() -> None:
    """Every template of the dashboard compiled before the first load is timed, so the
    first (cold) load of a page times its reads, not the compiling of its template in a
    fresh process (the app does this in the background when it starts; a source without
    that has them compiled here, the same way)."""
    from allied.entrypoints.web import pages

    env = pages.templates.env
    for name in env.list_templates(extensions=["html"]):
        env.get_template(name)


def _freeze_heap() -> None:
    """What a server worker does once its app is built and its templates compiled
    (``allied serve``: ``app_from_env`` then the start-up thread): the objects alive put
    out of the cyclic collector's reach, so a full collection (70-120 ms with the whole
    application loaded) does not land on a timed load. Sources without it: the
    collector as it is."""
    try:
        from allied.entrypoints.api.app import freeze_heap
    except ImportError:
        return
    freeze_heap()


def _drop_kept(app: Any) -> None:
    """Empty the server's cache of what pages keep per data version (as a change
    would make every entry stale); sources without it: nothing kept to drop."""
    cache = getattr(app.state, "chart_cache", None)
    items = getattr(cache, "_items", None)
    if items is not None:
        with cache._lock:
            items.clear()


def measure(
    url: str, repeat: int, roles: set[str] | None, api: bool = False, no_pages: bool = False,
    catalogue: bool = False, paths: set[str] | None = None, compiled: bool = False,
    uncached: bool = False,
) -> dict[str, Any]:
    from starlette.testclient import TestClient

    from allied.adapters.db.repository_users import SqlServiceUnitOfWork, service_sessions
    from allied.bootstrap import build
    from allied.config import Settings
    from allied.entrypoints.api import create_app
    from allied.service.caller import Caller
    from allied.service.users import add_user

    store = build(Settings(database_url=url))
    sessions = service_sessions(store.engine)
    admin = Caller(user="web-bench", role="admin")
    stamp = time.strftime("%H%M%S")
    tokens = {}
    for role, nation in {**NATIONS, **({"admin": None} if catalogue else {})}.items():
        if roles is None or role in roles:
            made = add_user(SqlServiceUnitOfWork(sessions), admin,
                            name=f"web-bench-{role}-{stamp}", role=role, nation=nation)
            tokens[role] = made.token
    results: dict[str, Any] = {}
    signed_in = ""
    try:
        try:  # a worker reads the API's holdings at start-up (sources before: on first use)
            app = create_app(store=store, warm=compiled)  # type: ignore[call-arg,unused-ignore]
        except TypeError:
            app = create_app(store=store)
        with TestClient(app, raise_server_exceptions=False) as client:
            if compiled:
                _compile_templates()
                _freeze_heap()
                # a worker takes traffic once started: its start-up read of the holdings
                # (about 0.7 s at scale 0.25, in the background) is awaited by any API
                # list request, so one (not a timed path) waits for it; otherwise the
                # first timed page shares the CPU with it (the coordinator's home page
                # measured 0.9 s cold that way, 0.1-0.2 s after)
                first = next(iter(tokens.values()))
                client.get("/api/v1/offers?limit=1",
                           headers={"Authorization": f"Bearer {first}"})
                client.cookies.clear()
            pages = [] if no_pages else list(PAGES)
            if catalogue:
                pages += _catalogue_pages(_record_ids(store.engine))
            for role, path in pages:
                if role not in tokens or (paths is not None and path not in paths):
                    continue
                if signed_in != role:
                    _sign_in(client, tokens[role])
                    signed_in = role
                times = []
                status = 0
                for _ in range(repeat):
                    if uncached:
                        _drop_kept(app)
                    began = time.perf_counter()
                    answer = client.get(path)
                    status = answer.status_code
                    times.append((time.perf_counter() - began) * 1000)
                _check(path, answer.text)
                first_ms = times[0]
                times.sort()
                results[f"{role} {path}"] = {
                    "status": status,
                    "first_ms": round(first_ms, 1),
                    "p50_ms": round(statistics.median(times), 1),
                    "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1),
                }
                print(role, path, results[f"{role} {path}"], file=sys.stderr, flush=True)
            for role, path in API_PAGES if api else []:
                if role not in tokens or (paths is not None and path not in paths):
                    continue
                client.cookies.clear()
                headers = {"Authorization": f"Bearer {tokens[role]}"}
                results[f"{role} {path}"] = _timed(
                    lambda p=path, h=headers: client.get(p, headers=h), repeat
                )
                print(role, path, results[f"{role} {path}"], file=sys.stderr, flush=True)
    finally:
        store.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--roles", default="", help="only these roles (comma list)")
    parser.add_argument("--api", action="store_true", help="also the API's list pages")
    parser.add_argument("--no-pages", action="store_true", help="only the API's (with --api)")
    parser.add_argument("--paths", default="",
                        help="only these paths of the catalogue (comma list, exact)")
    parser.add_argument("--catalogue", action="store_true",
                        help="also every other page of the catalogue and the record pages")
    parser.add_argument("--compiled", action="store_true",
                        help="compile every template before timing (cold: the data only)")
    parser.add_argument("--uncached", action="store_true",
                        help="drop the pages' kept figures before every timed load")
    args = parser.parse_args()
    roles = set(args.roles.split(",")) if args.roles else None
    paths = set(args.paths.split(",")) if args.paths else None
    print(json.dumps(measure(args.database_url, args.repeat, roles, args.api, args.no_pages,
                             args.catalogue, paths, args.compiled, args.uncached), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
