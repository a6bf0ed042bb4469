"""EXPLAIN ANALYZE of the consent-request lookups without and with their indexes.

Migration ``0020_consent_lookups`` indexes ``consent_requests`` by ``offer_id`` and by
``(holder, family)``. This measures, side by side in one run on one store (PostgreSQL),
the statements the project itself sends for the lookups those serve, captured from its
own code:

- ``about_offers``: ``TodoQueries.consents_about_offers`` for a page of 50 offers that
  have consent requests (the allocation and to-do pages' consents);
- ``by_holder_family``: ``consents.list(holder=, family=)`` for the pair with the most
  consent requests (``service.consent_reads.consents_about`` without the SQL path);
- ``by_offer``: ``consents.list(offer_id=)`` for one offer.

Each round runs every statement once "before" (inside a transaction that drops the two
indexes, then rolls back: nothing changes) and once "after" (indexes in place),
alternating, so both see the same machine load. The store must be at 0020 (``allied db
upgrade``). It prints one JSON object: per statement and state, the median execution
and planning times (ms) over the rounds and the scans of the plan.

Usage::

    nice -n 10 python benchmarks/scale/consent_indexes.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test_fixes_s02
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine

from allied.adapters.db.engine import current_revision, make_engine
from allied.adapters.db.repository_users import SqlServiceUnitOfWork, service_sessions

INDEXES = ("ix_consent_requests_offer_id", "ix_consent_requests_holder_family")


def _captured(engine: Engine, call: Callable[[SqlServiceUnitOfWork], Any]) -> list[Any]:
    """The statements (with their parameters) ``call`` sends over ``engine``."""
    seen: list[Any] = []

    def hook(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "consent_requests" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", hook)
    try:
        with SqlServiceUnitOfWork(service_sessions(engine)) as uow:
            call(uow)
    finally:
        event.remove(engine, "before_cursor_execute", hook)
    return seen


def _scans(node: dict[str, Any]) -> Iterator[str]:
    kind = str(node.get("Node Type", ""))
    index = str(node.get("Index Name", ""))
    if "Scan" in kind and (
        node.get("Relation Name") == "consent_requests" or "consent_requests" in index
    ):
        yield f"{kind} {index}".strip()
    for child in node.get("Plans", ()):
        yield from _scans(child)


def _explain(engine: Engine, statement: str, parameters: Any, drop: bool) -> dict[str, Any]:
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            if drop:
                for name in INDEXES:
                    conn.execute(text(f"DROP INDEX {name}"))
            raw = conn.exec_driver_sql(
                "EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters
            ).scalar()
        finally:
            trans.rollback()
    plan = (raw if isinstance(raw, list) else json.loads(raw))[0]
    return {
        "execution_ms": float(plan["Execution Time"]),
        "planning_ms": float(plan["Planning Time"]),
        "scans": sorted(set(_scans(plan["Plan"]))),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    engine = make_engine(args.database_url)
    if engine.dialect.name != "postgresql":
        raise SystemExit("--database-url: a PostgreSQL store (EXPLAIN ANALYZE, FORMAT JSON)")
    with engine.connect() as conn:
        present = {str(i["name"]) for i in inspect(conn).get_indexes("consent_requests")}
    if not set(INDEXES) <= present:
        raise SystemExit(
            f"the store is at {current_revision(engine)}, without {', '.join(INDEXES)}: "
            "run `allied db upgrade` first"
        )
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM consent_requests")).scalar()
        offer_ids = [r[0] for r in conn.execute(text(
            "SELECT DISTINCT offer_id FROM consent_requests WHERE offer_id IS NOT NULL "
            "ORDER BY offer_id LIMIT 50"))]
        holder, family = conn.execute(text(
            "SELECT holder, family FROM consent_requests GROUP BY holder, family "
            "ORDER BY count(*) DESC, holder, family LIMIT 1")).one()
    calls: dict[str, Callable[[SqlServiceUnitOfWork], Any]] = {
        "about_offers": lambda uow: uow.consents_about_offers(offer_ids),
        "by_holder_family": lambda uow: uow.consents.list(holder=holder, family=family),
        "by_offer": lambda uow: uow.consents.list(offer_id=offer_ids[0]),
    }
    statements = {name: _captured(engine, call)[0] for name, call in calls.items()}
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {
        name: {"before": [], "after": []} for name in statements
    }
    for _ in range(args.rounds):
        for name, (statement, parameters) in statements.items():
            runs[name]["before"].append(_explain(engine, statement, parameters, True))
            runs[name]["after"].append(_explain(engine, statement, parameters, False))
    out: dict[str, Any] = {
        "database": engine.url.render_as_string(hide_password=True),
        "consent_requests": count,
        "rounds": args.rounds,
        "offers_in_page": len(offer_ids),
        "holder_family": [holder, family],
        "results": {},
    }
    for name, states in runs.items():
        out["results"][name] = {
            state: {
                "execution_ms_median": round(
                    statistics.median(r["execution_ms"] for r in rows), 3),
                "planning_ms_median": round(
                    statistics.median(r["planning_ms"] for r in rows), 3),
                "scans": rows[-1]["scans"],
            }
            for state, rows in states.items()
        }
    engine.dispose()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
