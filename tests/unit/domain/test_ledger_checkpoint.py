"""Signed checkpoints: what a well-formed one is, and that a signature holds only for
its own text and key."""

from __future__ import annotations

import dataclasses

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from allied.ledger.checkpoint import Checkpoint, CheckpointError, Signer, check_signature


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("key_id", "../../etc/passwd", "key_id"),
        ("key_id", "ABCDEF0123456789", "key_id"),
        ("seq", -1, "seq"),
        ("seq", "5", "seq"),
        ("hash", "00", "hash"),
        ("at", "yesterday", "at"),
        ("at", "2026-01-01T00:00:00", "no time zone"),
        ("signature", "", "signature"),
        ("format", "other/9", "unknown format"),
    ],
)
def test_a_malformed_checkpoint_is_refused(field: str, value: object, reason: str) -> None:


    good = Signer(Ed25519PrivateKey.generate()).sign(3, "ab" * 32).as_dict()
    assert Checkpoint.from_dict(good).seq == 3
    with pytest.raises(CheckpointError, match=reason):
        Checkpoint.from_dict(good | {field: value})


def test_a_signature_holds_only_for_its_text_and_its_key() -> None:


    signer, other = Signer(Ed25519PrivateKey.generate()), Signer(Ed25519PrivateKey.generate())
    cp = signer.sign(7, "cd" * 32)
    keys = {signer.key_id: signer.public}
    check_signature(cp, keys)
    for forged in (dataclasses.replace(cp, seq=8), dataclasses.replace(cp, hash="ce" * 32)):
        with pytest.raises(CheckpointError, match="does not verify"):
            check_signature(forged, keys)
    with pytest.raises(CheckpointError, match="not a trusted key"):
        check_signature(other.sign(7, "cd" * 32), keys)
    lying = dataclasses.replace(other.sign(7, "cd" * 32), key_id=signer.key_id)
    with pytest.raises(CheckpointError, match="does not verify"):
        check_signature(lying, keys)
