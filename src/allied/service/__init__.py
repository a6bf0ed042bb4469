"""Use-cases: commands in, events (ledger entries) out, over ports."""
