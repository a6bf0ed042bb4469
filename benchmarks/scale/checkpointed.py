"""The checkpointed verification against the full one, on a filled database: a checkpoint
of the entry 1,000 before the head is signed in memory (nothing is written), then
``verify_chain`` resumed from it and the full one, back to back.

    ALLIED_DATABASE_URL=URL python benchmarks/scale/checkpointed.py
"""

import resource
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from allied.bootstrap import build
from allied.ledger.checkpoint import Signer
from allied.service.ledger import RowLedger, verify_chain

store = build(migrate=False)
signer = Signer(Ed25519PrivateKey.generate())
keys = {signer.key_id: signer.public}
with store.read_uow() as uow:
    head = uow.ledger.head()
    assert head is not None and isinstance(uow.ledger, RowLedger)
    row = next(uow.ledger.rows(after=head[0] - 1001, upto=head[0] - 1000))
cp = signer.sign(row[0], row[7])
t = time.perf_counter()
n1 = verify_chain(store.read_uow(), resume=cp, keys=keys)
resumed = time.perf_counter() - t
t = time.perf_counter()
n2 = verify_chain(store.read_uow())
full = time.perf_counter() - t
assert n1 == n2
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(f"resumed from entry {cp.seq}: {n1} entries, {resumed:.2f} s; "
      f"full: {n2} entries, {full:.2f} s; peak {peak} MiB")
