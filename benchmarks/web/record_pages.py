"""Time the dashboard's record pages (entrypoints/web/detail.py) on a volume database.

Signs in a coordinator and a donor (users added to the database given: use a copy),
then GETs each kind of record page ``--repeat`` times in process (FastAPI's TestClient,
no network) and prints the median and 95th percentile per page.

    createdb -h 127.0.0.1 -U postgres -T test_scale test_me_scale
    PYTHONPATH=src:tests python benchmarks/web/record_pages.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test_me_scale
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import secrets
import statistics
import time

from fastapi.testclient import TestClient
from sqlalchemy import text

from allied.adapters.db.repository_users import SqlServiceUnitOfWork, service_sessions
from allied.bootstrap import build
from allied.config import Settings
from allied.domain.users import hash_token
from allied.entrypoints.api import create_app
from allied.entrypoints.web.session import SESSION_COOKIE
from allied.service.caller import Caller
from allied.service.users import add_user, authenticate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    store = build(Settings(database_url=args.database_url))
    with store.engine.connect() as conn:
        def one(sql: str) -> str:
            return str(conn.execute(text(sql)).scalar())

        alloc = one("SELECT id FROM allocations WHERE status = 'consent-pending' LIMIT 1")
        offer, request = (
            conn.execute(text(f"SELECT offer_id, request_id FROM allocations WHERE id = '{alloc}'"))
            .one()
        )
        donor = one(f"SELECT donor FROM offers WHERE id = '{offer}'")
        consent = one(f"SELECT id FROM consent_requests WHERE holder = '{donor}' LIMIT 1")
        proposal = one("SELECT id FROM proposals LIMIT 1")
        candidate = one("SELECT candidate FROM accessions LIMIT 1")
    today = dt.date.today()
    app = create_app(store=store, today=lambda: today)
    clients = {}
    for role, nation in (("coordinator", None), ("donor", donor)):
        name = f"bench-{role}-{secrets.token_hex(3)}"
        uow = SqlServiceUnitOfWork(service_sessions(store.engine))
        token = add_user(uow, Caller("bench"), name=name, role=role, nation=nation).token
        caller = authenticate(SqlServiceUnitOfWork(service_sessions(store.engine)), token)
        assert caller is not None
        sid = secrets.token_urlsafe(32)
        now = dt.datetime.now(dt.UTC)
        app.state.web_sessions.start(
            hash_token(sid), caller.user_id, hash_token(token), now, now + dt.timedelta(hours=1)
        )
        client = TestClient(app, follow_redirects=False)
        client.cookies.set(SESSION_COOKIE, sid)
        clients[role] = client
    pages = [
        f"/requests/{request}", f"/offers/{offer}", f"/allocations/{alloc}",
        f"/consents/{consent}", f"/proposals/{proposal}", f"/accessions/{candidate}",
    ]
    print(f"{'role':12} {'page':40} {'median ms':>10} {'p95 ms':>8}")
    for role, client in clients.items():
        for path in pages:
            first = client.get(path)
            if first.status_code != 200:
                print(f"{role:12} {path:40} {first.status_code}")
                continue
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                assert client.get(path).status_code == 200
                times.append((time.perf_counter() - start) * 1000)
            times.sort()
            p95 = times[max(math.ceil(0.95 * len(times)) - 1, 0)]
            print(f"{role:12} {path:40} {statistics.median(times):10.1f} {p95:8.1f}")
    store.close()


if __name__ == "__main__":
    main()
