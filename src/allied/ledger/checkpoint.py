"""Signed checkpoints of the ledger head (Ed25519, the ``cryptography`` package).

A checkpoint says "the ledger held ``seq`` entries and the last one's hash was
``hash`` at ``at``", signed with the ledger key. The key lives outside the database
(``ALLIED_LEDGER_KEY_FILE``, PEM, PKCS#8); its public half is given to every
participating nation, which keeps copies of the checkpoints it fetched (witnesses).
Whoever rewrites history in the database, even recomputing every hash and the head,
cannot make the chain pass through a kept checkpoint again, nor sign a new one without
the key; a checkpoint signed by another key names itself.

The signed message is a few lines of text (like a Certificate Transparency signed
note): ``allied-ledger-checkpoint/1``, the sequence number, the hash, the time.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from allied.domain.errors import InvalidInput

FORMAT = "allied-ledger-checkpoint/1"
_HEX = frozenset("0123456789abcdef")


class CheckpointError(ValueError):
    """A checkpoint that is malformed or whose signature does not hold."""


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: str  # ISO 8601 UTC
    key_id: str  # the first 16 hex digits of SHA-256 over the raw public key
    signature: str  # base64 of the Ed25519 signature over message()

    def message(self) -> bytes:
        return f"{FORMAT}\n{self.seq}\n{self.hash}\n{self.at}\n".encode()

    def as_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, **asdict(self)}

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), sort_keys=True, indent=2) + "\n"

    @property
    def file_name(self) -> str:
        return f"checkpoint-{self.seq:012d}-{self.key_id}.json"

    @classmethod
    def from_dict(cls, data: Any) -> Checkpoint:
        if not isinstance(data, dict):
            raise CheckpointError("not a JSON object")
        if data.get("format", FORMAT) != FORMAT:
            raise CheckpointError(f"unknown format {data.get('format')!r}")
        seq, hash_, at = data.get("seq"), data.get("hash"), data.get("at")
        key_id, sig = data.get("key_id"), data.get("signature")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise CheckpointError("field seq: not a sequence number")
        if not (isinstance(hash_, str) and len(hash_) == 64 and _HEX.issuperset(hash_)):
            raise CheckpointError("field hash: not a SHA-256 hex digest")
        for name, value in (("at", at), ("key_id", key_id), ("signature", sig)):
            if not isinstance(value, str) or not value:
                raise CheckpointError(f"field {name}: missing or not text")
        assert isinstance(at, str) and isinstance(key_id, str) and isinstance(sig, str)
        if len(key_id) != 16 or not _HEX.issuperset(key_id):
            raise CheckpointError("field key_id: not 16 hex digits")
        try:
            stamp = dt.datetime.fromisoformat(at)
        except ValueError:
            raise CheckpointError("field at: not an ISO 8601 time") from None
        if stamp.utcoffset() is None:
            raise CheckpointError("field at: no time zone")
        return cls(seq, hash_, at, key_id, sig)

    @classmethod
    def read(cls, path: Path) -> Checkpoint:
        try:
            return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise CheckpointError(f"{path.name}: {exc}") from None


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


class Signer:
    """Signs checkpoints with a private key."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self.public = private.public_key()
        self.key_id = key_id(self.public)

    def sign(self, seq: int, hash: str, at: dt.datetime | None = None) -> Checkpoint:
        stamp = (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).isoformat(timespec="seconds")
        unsigned = Checkpoint(seq, hash, stamp, self.key_id, "")
        sig = self._private.sign(unsigned.message())
        return Checkpoint(seq, hash, stamp, self.key_id, base64.b64encode(sig).decode())


def generate_key(path: Path) -> Signer:
    """Write a new private key to ``path`` (mode 0600, never over an existing file) and
    its public half to ``path`` + ``.pub``."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    pub_path = path.with_name(path.name + ".pub")
    for p in (path, pub_path):
        if p.exists():
            raise InvalidInput(f"{p} exists; refusing to overwrite a key", field="out")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    signer = Signer(private)
    pub_path.write_bytes(public_pem(signer.public))
    return signer


def load_signer(path: Path, field: str = "ALLIED_LEDGER_KEY_FILE") -> Signer:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise InvalidInput(
            f"cannot read the ledger key {path}: {exc.strerror}", field=field
        ) from None
    except (ValueError, TypeError) as exc:
        raise InvalidInput(
            f"{path} is not an unencrypted PEM private key: {exc}", field=field
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput(f"{path} is not an Ed25519 key", field=field)
    return Signer(key)


def load_public(path: Path) -> Ed25519PublicKey:
    """A public key from a PEM file (or the public half of a private key file)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}", field="public-key") from None
    try:
        key: Any = serialization.load_pem_public_key(data)
    except ValueError:
        try:
            key = serialization.load_pem_private_key(data, password=None).public_key()
        except (ValueError, TypeError) as exc:
            raise InvalidInput(f"{path} holds no PEM key: {exc}", field="public-key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidInput(f"{path} is not an Ed25519 key", field="public-key")
    return key


def check_signature(cp: Checkpoint, keys: dict[str, Ed25519PublicKey]) -> None:
    """Raise ``CheckpointError`` unless ``cp`` is signed by the trusted key it names."""
    public = keys.get(cp.key_id)
    if public is None:
        raise CheckpointError(
            f"signed by key {cp.key_id}, which is not a trusted key "
            f"(trusted: {', '.join(sorted(keys)) or 'none'})"
        )
    try:
        public.verify(base64.b64decode(cp.signature, validate=True), cp.message())
    except (InvalidSignature, ValueError):
        raise CheckpointError(f"the signature does not verify with key {cp.key_id}") from None
