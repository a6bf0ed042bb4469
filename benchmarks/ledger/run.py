"""The ledger's costs: signing a checkpoint, verifying the chain (whole, and resumed from
a checkpoint), and replaying the records (``--records``), on a generated SQLite store.

    PYTHONPATH=src python benchmarks/ledger/run.py --entries 100000 --out /tmp/ledger-bench

The store is built through the service layer (requests, offers, then pledges in batches
of 200, each pledge one ``allocation.pledged`` entry), so every entry is what the
clearinghouse writes. The measurements run twice, at half the entries and at all of
them, side by side in one process: time should double, peak memory should not.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import shutil
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from allied.bootstrap import Store, build
from allied.config import Settings
from allied.ingest.reference import load_reference_dataset
from allied.ledger.checkpoint import Signer, check_signature, generate_key
from allied.service.allocations import PledgeOrder, pledge_many
from allied.service.assistance import add_offers, add_requests
from allied.service.caller import Caller
from allied.service.ledger import sign_checkpoint, verify_ledger, verify_records
from allied.service.reference import load_reference

CALLER = Caller(user="bench", nation="")
RECORDS = 1000  # requests and offers each


def build_store(path: Path, entries: int, done: int = 0) -> int:
    """Grow the store at ``path`` to about ``entries`` ledger entries; returns the count."""
    store = build(Settings(database_url=f"sqlite:///{path}"))
    try:
        if done == 0:
            load_reference(store.uow(), CALLER, load_reference_dataset())
            add_requests(store.uow(), CALLER, [
                (None, "bench", {"id": f"R-B{i:05d}", "recipient": "UKR", "family": "fuel",
                                 "quantity": str(10**9), "priority": "3",
                                 "needed_by": "2026-01-01"})
                for i in range(RECORDS)])
            add_offers(store.uow(), CALLER, [
                (None, "bench", {"id": f"O-B{i:05d}", "donor": "NOR", "family": "fuel",
                                 "quantity": str(10**9), "available_from": "2024-01-01",
                                 "channel": "bilateral", "lethal": "false"})
                for i in range(RECORDS)])
        head = _head(store)
        i = head
        while head < entries:
            batch = [PledgeOrder(CALLER, f"O-B{(i + k) % RECORDS:05d}",
                                 f"R-B{(i * 7 + k) % RECORDS:05d}", 1 + k % 5)
                     for k in range(min(200, entries - head))]
            pledge_many(store.uow(), batch)
            i += len(batch)
            head = _head(store)
        return head
    finally:
        store.close()


def _head(store: Store) -> int:
    uow = store.read_uow()
    with uow:
        head = uow.ledger.head()
    return 0 if head is None else head[0]


def measure(work: Callable[[], Any]) -> tuple[float, float, Any]:
    """Seconds of ``work`` (untraced), then its peak traced memory (MiB) in a second run
    under tracemalloc (which slows it several times)."""
    gc.collect()
    start = time.perf_counter()
    out = work()
    seconds = time.perf_counter() - start
    gc.collect()
    tracemalloc.start()
    work()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return seconds, peak, out


def signing(signer: Signer, n: int = 5000) -> tuple[float, float]:
    """Microseconds to sign one checkpoint, and to check one signature."""
    start = time.perf_counter()
    cps = [signer.sign(i, "ab" * 32) for i in range(n)]
    sign_us = (time.perf_counter() - start) / n * 1e6
    keys = {signer.key_id: signer.public}
    start = time.perf_counter()
    for cp in cps:
        check_signature(cp, keys)
    return sign_us, (time.perf_counter() - start) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=Path("/tmp/allied-ledger-bench"))
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    signer = generate_key(args.out / "ledger.pem")
    sign_us, check_us = signing(signer)
    print(f"sign one checkpoint: {sign_us:.1f} us; check one signature: {check_us:.1f} us")
    print(f"  at one checkpoint per 1000 entries: {sign_us / 1000:.3f} us per entry")
    db = args.out / "ledger.db"
    done = 0
    print("entries | build s | verify s | verify MiB | resumed s | --records s | records MiB")
    for target in (args.entries // 2, args.entries):
        t0 = time.perf_counter()
        done = build_store(db, target, done)
        built = time.perf_counter() - t0
        print(f"{done} | {built:.1f} | " + one_round(db, signer, done))


def one_round(db: Path, signer: Signer, done: int) -> str:
    """Sign the head, then time verification whole, resumed from that checkpoint, and
    the records' replay."""
    store = build(Settings(database_url=f"sqlite:///{db}"))
    try:
        cp = sign_checkpoint(store.uow(), signer)
        keys = {signer.key_id: signer.public}
        v_s, v_mb, count = measure(lambda: verify_ledger(store.read_uow()))
        r_s, _, _ = measure(lambda: verify_ledger(
            store.read_uow(), checkpoints=[("head", cp)], keys=keys, resume=cp))
        rec_s, rec_mb, result = measure(lambda: verify_records(store.read_uow()))
        assert count == done and not result.differences
    finally:
        store.close()
    return (f"{v_s:.2f} | {v_mb:.1f} | {r_s:.3f} | {rec_s:.2f} | {rec_mb:.1f}  "
            f"(records {result.records}, {dt.datetime.now(dt.UTC):%H:%M} UTC)")

if __name__ == "__main__":
    main()
