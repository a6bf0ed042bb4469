"""The append-only, hash-chained audit ledger."""

from allied.ledger.chain import GENESIS, LedgerEntry, canonical, entry_hash, make_entry, verify

__all__ = ["GENESIS", "LedgerEntry", "canonical", "entry_hash", "make_entry", "verify"]
