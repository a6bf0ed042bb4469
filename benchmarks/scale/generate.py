"""Generate ten years of clearinghouse activity through the project's own bulk paths.

At ``--scale 1``: 60 donors and their users, 20,000 requests, 200,000 offers,
1,000,000 allocations moved through their lifecycle (about 4.3 ledger entries each),
the consent requests those moves make, 300 proposals with positions: well over
3,000,000 ledger entries. ``--scale 0.001`` runs in seconds (the CI test uses it).

Everything goes through the service layer, so every record has its ledger entry and
the hash chain is the one the API would have written:

- reference data: ``service.reference.load_reference`` (when the store has no actors);
- users: ``service.users.add_user``; origin policies: ``service.governance.set_policy``;
- requests and offers: ``service.assistance.add_requests`` / ``add_offers`` (the import
  path of ``allied request import`` / ``allied offer import``), in batches;
- pledges: ``service.allocations.make_pledges`` (the API's group-commit path), in batches;
- lifecycle moves: ``service.lifecycle.advance_many`` (consent requests made and
  answered by standing policies on the way), in batches;
- proposals and positions: ``service.governance.circulate_proposal`` / ``record_position``.

The mix (all seeded from ``--seed`` through one ``numpy.random.Generator``):

- donors: the 54 UDCG/NATO/EU states of the reference data other than Ukraine plus 6
  more, weighted by a Zipf law (the largest gives about a fifth, as the US did);
- families: the catalogue's, ammunition-heavy (155 mm, 152 mm, 122 mm, mortars, Grad,
  GMLRS, air-defence interceptors weigh most), quantities log-normal per family;
- channels: bilateral 55%, udcg 20%, eu-epf 12%, nato-cap 6% (non-lethal only), nsatu
  5%, g7 2%;
- releasability: default 70%, ``org:NATO`` 10%, ``org:EU`` 5%, two named nations 10%,
  public 5%;
- origin: the donor itself 85%, else another state (USA permissive, DEU case-by-case,
  CHE restrictive, FRA/GBR/SWE/POL/NOR permissive, KOR case-by-case, ISR restrictive);
- lifecycle end states: pledged 4%, withdrawn 3%, rejected 1% (+ consent denials),
  consent-pending (case-by-case origins), approved, shipped, delivered, lost, in-repair,
  returned.

Usage::

    python benchmarks/scale/generate.py --database-url sqlite:///scale.db --scale 0.01
    nice -n 10 python benchmarks/scale/generate.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test_w24_scale --scale 1

It prints one JSON object: the counts made and the seconds each phase took.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from allied.adapters.db.repository_users import SqlServiceUnitOfWork, service_sessions
from allied.bootstrap import Store, build
from allied.config import Settings
from allied.domain.assistance import AllocationStatus as S
from allied.domain.catalogue import FAMILIES
from allied.domain.consent import OriginPolicy
from allied.domain.rules import Position, Rule
from allied.ingest.reference import load_reference_dataset
from allied.service import governance
from allied.service.allocations import PledgeOrder, make_pledges
from allied.service.assistance import add_offers, add_requests
from allied.service.caller import Caller
from allied.service.lifecycle import Move, advance_many
from allied.service.reference import load_reference
from allied.service.users import add_user

T = TypeVar("T")

FULL = {"requests": 20_000, "offers": 200_000, "allocations": 1_000_000, "proposals": 300}
#: the first day a forum has members in the reference data (proposals circulate after)
FORUM_FROM = {"UDCG": dt.date(2022, 4, 26)}
START = dt.date(2022, 3, 1)
DAYS = 3652  # ten years
RECIPIENT = "UKR"
EXTRA_DONORS = ("CHE", "CHL", "BRA", "SGP", "ZAF", "MEX")
#: origin states other than the donor, their weight among foreign-made offers, policy
ORIGINS = {
    "USA": (0.40, OriginPolicy.PERMISSIVE),
    "DEU": (0.12, OriginPolicy.CASE_BY_CASE),
    "FRA": (0.10, OriginPolicy.PERMISSIVE),
    "GBR": (0.10, OriginPolicy.PERMISSIVE),
    "SWE": (0.08, OriginPolicy.PERMISSIVE),
    "POL": (0.08, OriginPolicy.PERMISSIVE),
    "NOR": (0.06, OriginPolicy.PERMISSIVE),
    "CHE": (0.03, OriginPolicy.RESTRICTIVE),
    "KOR": (0.02, OriginPolicy.CASE_BY_CASE),
    "ISR": (0.01, OriginPolicy.RESTRICTIVE),
}
CHANNELS = {"bilateral": 0.55, "udcg": 0.20, "eu-epf": 0.12, "nato-cap": 0.06, "nsatu": 0.05,
            "g7": 0.02}
#: family -> (weight, median quantity of an offer)
HEAVY = {
    "155mm-nato": (12.0, 4000), "152mm-soviet": (6.0, 3000), "122mm-tube": (4.0, 2000),
    "120mm-mortar": (4.0, 2000), "122mm-grad": (3.0, 500), "227mm-gmlrs": (2.0, 60),
    "sam-patriot": (1.0, 8), "sam-iris-t": (1.0, 6), "sam-nasams": (1.0, 6),
    "manpads": (3.0, 100), "atgm": (4.0, 300), "uav": (4.0, 200),
    "loitering-munition": (3.0, 300), "ifv": (2.0, 20), "apc": (3.0, 40),
    "mbt-western": (1.0, 10), "mbt-soviet": (1.0, 10),
}
BATCH = {"records": 5000, "pledges": 1000, "moves": 2000}
#: rows written between two refreshes of the planner's statistics (``statistics``)
REFRESH_EVERY = 100_000


@dataclass
class Report:
    scale: float
    seed: int
    database: str
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def timed(self, phase: str, work: Callable[[], T]) -> T:
        began = time.perf_counter()
        out = work()
        self.seconds[phase] = round(time.perf_counter() - began, 2)
        print(f"{phase}: {self.seconds[phase]} s", file=sys.stderr, flush=True)
        return out


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _day(offset: int) -> str:
    return (START + dt.timedelta(days=int(offset))).isoformat()


class Generator:
    def __init__(self, store: Store, scale: float, seed: int, report: Report) -> None:
        self.store = store
        self.rng = np.random.default_rng(seed)
        self.report = report
        self.n = {k: max(1, round(v * scale)) for k, v in FULL.items()}
        self.n["allocations"] = max(self.n["allocations"], 5)
        pg = store.engine.dialect.name == "postgresql"
        self._sessions = service_sessions(store.engine)
        self._lock = pg
        self.admin = Caller(user="scale-admin", nation="", role="admin")

    def uow(self) -> SqlServiceUnitOfWork:
        return SqlServiceUnitOfWork(self._sessions, lock_ledger=self._lock)

    # -- actors, users, policies ----------------------------------------------------------

    def setup(self) -> None:
        with self.uow() as uow:
            have_actors = uow.actors.count() > 0
        if not have_actors:
            load_reference(self.uow(), self.admin, load_reference_dataset())
        ds = load_reference_dataset()
        member_of = {m.actor for m in ds.memberships if m.org in ("UDCG", "NATO", "EU")}
        self.donors = sorted(member_of - {RECIPIENT}) + list(EXTRA_DONORS)
        self.donors = self.donors[:60]
        self.users: dict[str, Caller] = {}
        with self.uow() as uow:
            existing = {u.name for u in uow.users.list()}
        wanted = [(f"donor-{c.lower()}", "donor", c) for c in self.donors]
        wanted += [(f"origin-{c.lower()}", "origin", c) for c in ORIGINS]
        wanted += [("recipient-ukr", "recipient", RECIPIENT), ("coordinator", "coordinator", None),
                   ("auditor", "auditor", None)]
        for name, role, nation in wanted:
            if name not in existing:
                add_user(self.uow(), self.admin, name=name, role=role, nation=nation)
            self.users[name] = Caller(user=name, nation=nation or "", role=role)
        for origin, (_, policy) in ORIGINS.items():
            governance.set_policy(self.uow(), self.admin, origin, policy, since=START,
                                  source="benchmarks/scale")
        self.report.counts["donors"] = len(self.donors)
        self.report.counts["users"] = len(wanted)

    # -- requests and offers --------------------------------------------------------------

    def plan_records(self) -> None:
        rng = self.rng
        fams = sorted(FAMILIES)
        weights = np.array([HEAVY.get(f, (0.3, 20))[0] for f in fams])
        weights /= weights.sum()
        self.fams = fams
        n_req, n_off, n_alloc = self.n["requests"], self.n["offers"], self.n["allocations"]
        req_fam = rng.choice(len(fams), size=n_req, p=weights)
        off_fam = rng.choice(len(fams), size=n_off, p=weights)
        # an offer of a family no request asks for takes a requested family instead, so
        # each planned allocation has a pair
        asked = np.unique(req_fam)
        unasked = ~np.isin(off_fam, asked)
        off_fam[unasked] = asked[rng.integers(len(asked), size=int(unasked.sum()))]
        # allocations: pick an offer, then a request of its family
        alloc_off = rng.integers(n_off, size=n_alloc)
        by_family: dict[int, np.ndarray] = {int(f): np.flatnonzero(req_fam == f)
                                            for f in np.unique(req_fam)}
        alloc_req = np.empty(n_alloc, dtype=np.int64)
        for f, reqs in by_family.items():
            mask = off_fam[alloc_off] == f
            alloc_req[mask] = reqs[rng.integers(len(reqs), size=int(mask.sum()))]
        median = np.array([HEAVY.get(f, (0.3, 20))[1] for f in fams], dtype=float)
        qty = np.maximum(1, rng.lognormal(np.log(median[off_fam[alloc_off]] / 5), 0.8)).astype(
            np.int64
        )
        # an offer holds what is allocated from it plus a free part (20-60% more)
        held_off = np.bincount(alloc_off, weights=qty, minlength=n_off)
        held_req = np.bincount(alloc_req, weights=qty, minlength=n_req)
        off_qty = np.maximum(1, np.ceil(held_off * rng.uniform(1.2, 1.6, n_off))).astype(np.int64)
        req_qty = np.maximum(1, np.ceil(held_req * rng.uniform(1.1, 1.5, n_req))).astype(np.int64)
        # empty offers/requests still get a plausible size
        off_qty[held_off == 0] = np.maximum(1, median[off_fam[held_off == 0]]).astype(np.int64)
        req_qty[held_req == 0] = np.maximum(1, median[req_fam[held_req == 0]]).astype(np.int64)
        self.req_fam, self.off_fam = req_fam, off_fam
        self.req_qty, self.off_qty = req_qty, off_qty
        self.alloc_off, self.alloc_req, self.alloc_qty = alloc_off, alloc_req, qty
        zipf = 1.0 / np.arange(1, len(self.donors) + 1) ** 1.1
        self.off_donor = rng.choice(len(self.donors), size=n_off, p=zipf / zipf.sum())
        foreign = rng.random(n_off) < 0.15
        names = list(ORIGINS)
        ow = np.array([ORIGINS[o][0] for o in names])
        origin_idx = rng.choice(len(names), size=n_off, p=ow / ow.sum())
        self.off_origin = [
            names[origin_idx[i]] if foreign[i] and names[origin_idx[i]] != self.donors[
                self.off_donor[i]] else None
            for i in range(n_off)
        ]
        ch = list(CHANNELS)
        self.off_channel = rng.choice(len(ch), size=n_off, p=np.array(list(CHANNELS.values())))
        self.channels = ch

    def _release(self, owner_pool: Sequence[str], u: float) -> str | None:
        if u < 0.70:
            return None
        if u < 0.80:
            return "org:NATO"
        if u < 0.85:
            return "org:EU"
        if u < 0.95:
            a, b = self.rng.choice(len(owner_pool), size=2, replace=False)
            return f"nations:{owner_pool[a]},{owner_pool[b]}"
        return "public"

    def write_records(self) -> None:
        rng = self.rng
        n_req, n_off = self.n["requests"], self.n["offers"]
        self.req_ids = [f"REQ-{i + 1:06d}" for i in range(n_req)]
        self.off_ids = [f"OFF-{i + 1:06d}" for i in range(n_off)]
        needed = rng.integers(30, DAYS, size=n_req)
        prio = rng.choice([1, 2, 3, 4, 5], size=n_req, p=[0.1, 0.25, 0.35, 0.2, 0.1])
        rel = rng.random(n_req)
        recipient = self.users["recipient-ukr"]
        rows: list[tuple[int | None, str, dict[str, Any]]] = []
        for i in range(n_req):
            fam = self.fams[self.req_fam[i]]
            row: dict[str, Any] = {
                "id": self.req_ids[i], "recipient": RECIPIENT, "family": fam,
                "quantity": int(self.req_qty[i]), "priority": int(prio[i]),
                "needed_by": _day(needed[i]),
            }
            release = self._release(self.donors, rel[i])
            if release:
                row["releasability"] = release
            rows.append((i + 2, f"row {i + 1}", row))
        for part in chunks(rows, BATCH["records"]):
            add_requests(self.uow(), recipient, part, source="scale requests")
        self.report.counts["requests"] = n_req
        avail = rng.integers(0, DAYS - 30, size=n_off)
        rel = rng.random(n_off)
        by_donor: dict[int, list[tuple[int | None, str, dict[str, Any]]]] = defaultdict(list)
        for i in range(n_off):
            channel = self.channels[self.off_channel[i]]
            donor = self.donors[self.off_donor[i]]
            row = {
                "id": self.off_ids[i], "donor": donor, "family": self.fams[self.off_fam[i]],
                "quantity": int(self.off_qty[i]), "available_from": _day(avail[i]),
                "channel": channel, "lethal": channel != "nato-cap",
            }
            if self.off_origin[i]:
                row["origin"] = self.off_origin[i]
            release = self._release(self.donors, rel[i])
            if release:
                row["releasability"] = release
            by_donor[int(self.off_donor[i])].append((i + 2, f"row {i + 1}", row))
        # each donor imports its own offers (the ledger names it), in batches
        for d, donor_rows in sorted(by_donor.items()):
            caller = self.users[f"donor-{self.donors[d].lower()}"]
            for part in chunks(donor_rows, BATCH["records"]):
                add_offers(self.uow(), caller, part, source="scale offers")
        self.report.counts["offers"] = n_off
        self.statistics()

    # -- pledges and lifecycle ------------------------------------------------------------

    def pledge(self) -> None:
        n = self.n["allocations"]
        order = np.argsort(self.off_donor[self.alloc_off], kind="stable")
        refused = 0
        self.alloc_ids: list[str | None] = [None] * n
        refresh_at = BATCH["pledges"]
        for made, part in enumerate(chunks(order, BATCH["pledges"])):
            if made * BATCH["pledges"] >= refresh_at:
                # the table has doubled since the planner last counted it, or another
                # REFRESH_EVERY rows have been written (dead versions to vacuum)
                self.statistics()
                refresh_at = min(2 * refresh_at, refresh_at + REFRESH_EVERY)
            # one donor per batch (its user pledges)
            donors = self.off_donor[self.alloc_off[part]]
            for d in np.unique(donors):
                idx = part[donors == d]
                caller = self.users[f"donor-{self.donors[d].lower()}"]
                orders = [
                    PledgeOrder(caller, self.off_ids[self.alloc_off[k]],
                                self.req_ids[self.alloc_req[k]], int(self.alloc_qty[k]))
                    for k in idx
                ]
                for k, outcome in zip(idx, make_pledges(self.uow(), orders), strict=True):
                    if isinstance(outcome, dict):
                        self.alloc_ids[k] = outcome["id"]
                    else:
                        refused += 1
        self.report.counts["allocations"] = n - refused
        self.report.counts["pledges_refused"] = refused

    def lifecycle(self) -> None:
        """Stage by stage: each allocation's path is drawn, then moved in batches."""
        rng = self.rng
        n = self.n["allocations"]
        u = rng.random((n, 4))
        policy = {o: p for o, (_, p) in ORIGINS.items()}
        stages: list[dict[str, list[tuple[str, str]]]] = [defaultdict(list) for _ in range(5)]
        ends: dict[str, int] = defaultdict(int)
        coord = "coordinator"
        for k in range(n):
            aid = self.alloc_ids[k]
            if aid is None:
                continue
            oi = int(self.alloc_off[k])
            donor = f"donor-{self.donors[self.off_donor[oi]].lower()}"
            origin = self.off_origin[oi]
            a = u[k]
            if a[0] < 0.04:
                ends["pledged"] += 1
                continue
            if a[0] < 0.07:
                stages[0][donor].append((aid, S.WITHDRAWN))
                ends["withdrawn"] += 1
                continue
            if a[0] < 0.08:
                stages[0][coord].append((aid, S.REJECTED))
                ends["rejected"] += 1
                continue
            if origin is not None:
                stages[0][coord].append((aid, S.CONSENT_PENDING))
                if policy[origin] is OriginPolicy.RESTRICTIVE:
                    ends["rejected (consent denied)"] += 1
                    continue
                if policy[origin] is OriginPolicy.CASE_BY_CASE:
                    ends["consent-pending"] += 1
                    continue
            else:
                stages[0][coord].append((aid, S.APPROVED))
            if a[1] < 0.10:  # approved recently, not shipped yet
                ends["approved"] += 1
                continue
            stages[1][donor].append((aid, S.SHIPPED))
            if a[2] < 0.03:
                stages[2][donor].append((aid, S.LOST))
                ends["lost"] += 1
                continue
            if a[2] < 0.05:
                ends["shipped"] += 1
                continue
            stages[2]["recipient-ukr"].append((aid, S.DELIVERED))
            if a[3] < 0.06:
                stages[3]["recipient-ukr"].append((aid, S.IN_REPAIR))
                if a[3] < 0.05:
                    stages[4]["recipient-ukr"].append((aid, S.RETURNED))
                    ends["returned"] += 1
                else:
                    ends["in-repair"] += 1
            else:
                ends["delivered"] += 1
        today = START + dt.timedelta(days=DAYS)
        self.statistics()
        moves = refreshed = 0
        for stage in stages:
            for user, items in sorted(stage.items()):
                for part in chunks(items, BATCH["moves"]):
                    advance_many(self.uow(), self.users[user],
                                 [Move(aid, to.value) for aid, to in part], today=today)
                    moves += len(part)
                    if moves >= refreshed + REFRESH_EVERY:
                        self.statistics()
                        refreshed = moves
        self.report.counts["moves"] = moves
        self.report.counts.update({f"end:{k}": v for k, v in sorted(ends.items())})

    def proposals(self) -> None:
        rng = self.rng
        forums = [("NATO", Rule.CONSENSUS_SILENCE), ("EU", Rule.UNANIMITY), ("EU", Rule.QMV),
                  ("UDCG", Rule.COALITION)]
        made = 0
        for i in range(self.n["proposals"]):
            forum, rule = forums[i % len(forums)]
            on = START + dt.timedelta(days=int(rng.integers(0, DAYS - 30)))
            # a forum circulates only once it has members (the UDCG's first meeting)
            on = max(on, FORUM_FROM.get(forum, on))
            view = governance.circulate_proposal(
                self.uow(), self.users["coordinator"], forum=forum, rule=rule,
                title=f"Package {i + 1}", on=on, deadline=on + dt.timedelta(days=14),
            )
            with self.uow() as uow:
                parts = list(governance.participants(uow, rule, forum, on))
            for actor in rng.choice(parts, size=min(3, len(parts)), replace=False):
                pos = Position.NO if rng.random() < 0.1 else Position.YES
                # a vote against (a veto) must give its reason (the domain refuses one
                # without: generate.py --scale 0.06 stopped here before this)
                governance.record_position(self.uow(), self.users["coordinator"], view["id"],
                                         actor=str(actor), position=pos,
                                         on=on + dt.timedelta(days=2),
                                         reason="benchmarks/scale: a modelled objection"
                                         if pos is Position.NO else "")
            made += 1
        self.report.counts["proposals"] = made

    def statistics(self) -> None:
        """Refresh the planner's statistics between bulk phases, and on PostgreSQL vacuum
        the rows the allocation triggers update. Without this (a server with autovacuum
        off, as on the development machine, or before its daemon comes round) the
        triggers' statements keep plans made when the tables were empty and walk the
        dead versions of the offers and requests they update: at scale 1 the pledges
        wrote about 130 ledger entries a second, 650 a second after one ``ANALYZE`` and
        870 after ``VACUUM ANALYZE`` of those tables (2026-12-05, sixth stop, load 7-9)."""
        from sqlalchemy import text

        engine = self.store.engine
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text("VACUUM ANALYZE requests, offers, picture_parts, allocations"))
            conn.execute(text("ANALYZE"))

    def analyze(self) -> None:
        """The planner's statistics of what was written: a store measured without them
        plans its reads blind (the recipient's home page took 87-172 s on its first load
        at scale 0.25 before ``VACUUM ANALYZE``, 0.2 s after)."""
        from sqlalchemy import text

        engine = self.store.engine
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql"
                              else "ANALYZE"))

    def run(self) -> None:
        r = self.report
        r.timed("setup", self.setup)
        r.timed("plan", self.plan_records)
        r.timed("requests+offers", self.write_records)
        r.timed("pledges", self.pledge)
        r.timed("lifecycle", self.lifecycle)
        r.timed("proposals", self.proposals)
        r.timed("analyze", self.analyze)
        with self.uow() as uow:
            head = uow.ledger.head()
            r.counts["ledger_entries"] = head[0] if head else 0
            r.counts["consents"] = uow.consents.count()


def generate(database_url: str, *, scale: float, seed: int) -> Report:
    """Fill the store at ``database_url`` (migrated first); returns what was made."""
    if not 0 < scale <= 10:
        raise ValueError("scale must be in (0, 10]")
    store = build(Settings(database_url=database_url))
    report = Report(scale, seed, store.engine.dialect.name)
    try:
        began = time.perf_counter()
        Generator(store, scale, seed, report).run()
        report.seconds["total"] = round(time.perf_counter() - began, 2)
    finally:
        store.close()
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=24)
    args = parser.parse_args(argv)
    report = generate(args.database_url, scale=args.scale, seed=args.seed)
    print(json.dumps({"scale": report.scale, "seed": report.seed, "database": report.database,
                      "counts": report.counts, "seconds": report.seconds}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
