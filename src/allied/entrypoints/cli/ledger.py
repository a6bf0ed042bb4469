"""``allied ledger keygen|checkpoint|witness|verify``: signed checkpoints and the checks
an outsider can run (see docs/ledger.md)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from allied.domain.errors import InvalidInput, LedgerIntegrityError, StorageError
from allied.entrypoints.cli.common import console, err_console, errors_to_exit
from allied.entrypoints.cli.common import operator_caller as _caller
from allied.ledger.checkpoint import (
    Checkpoint,
    CheckpointError,
    Signer,
    check_signature,
    generate_key,
    key_id,
    load_public,
    load_signer,
    public_pem,
)


def _store() -> Any:
    from allied.bootstrap import build

    return build()


def _signer(store: Any) -> Signer:
    path = store.settings.ledger_key_file
    if not path:
        raise InvalidInput("no ledger key: set ALLIED_LEDGER_KEY_FILE (see `allied ledger "
                           "keygen`)", field="ALLIED_LEDGER_KEY_FILE")
    return load_signer(Path(path))


def trusted_keys(folder: Path | None, extra: list[Path]) -> dict[str, Ed25519PublicKey]:
    """The public keys a witness trusts: every ``*.pub`` in its folder, and ``extra``."""
    found = sorted(folder.glob("*.pub")) if folder is not None and folder.is_dir() else []
    keys = {}
    for path in [*found, *extra]:
        public = load_public(path)
        keys[key_id(public)] = public
    return keys


def read_checkpoints(folder: Path) -> list[tuple[str, Checkpoint]]:
    """Every ``*.json`` checkpoint kept in ``folder``; an unreadable one is named (exit 2;
    one whose signature does not hold is an integrity finding, exit 3)."""
    if not folder.is_dir():
        raise InvalidInput(f"{folder} is not a folder", field="checkpoints")
    out = []
    for path in sorted(folder.glob("*.json")):
        try:
            out.append((path.name, Checkpoint.read(path)))
        except CheckpointError as exc:
            raise InvalidInput(f"not a checkpoint file: {exc}", field="checkpoints") from None
    return out


def keygen_command(
    out: Path = typer.Option(..., "--out", help="the private key file to write (PEM)"),
) -> None:
    """Make a new Ed25519 ledger key: FILE (private, mode 0600; point
    ALLIED_LEDGER_KEY_FILE at it, keep it out of the database's backups) and FILE.pub
    (public: give it to every nation that keeps witness copies)."""
    with errors_to_exit():
        signer = generate_key(out)
    console().print(f"key {signer.key_id}: private {out}, public {out}.pub")


def checkpoint_command(
    sign: bool = typer.Option(False, "--sign", help="sign the head now (needs the key)"),
) -> None:
    """Print the latest signed checkpoint (JSON); with --sign, sign the head first."""
    from allied.service.access import latest_checkpoint, sign_checkpoint

    with errors_to_exit():
        store = _store()
        try:
            if sign:
                cp: Checkpoint | None = sign_checkpoint(store.uow(), _caller(), _signer(store))
            else:
                cp = latest_checkpoint(store.read_uow(), _caller())
        finally:
            store.close()
        if cp is None:
            raise InvalidInput("no checkpoint signed yet (allied ledger checkpoint --sign)",
                               field="ledger")
    typer.echo(cp.to_json(), nl=False)


def _fetch(url: str, token: str | None) -> Checkpoint:
    target = url.rstrip("/") + "/api/v1/ledger/checkpoint"
    request = urllib.request.Request(target, headers={"Accept": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        raise StorageError(f"{target}: HTTP {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        raise StorageError(f"{target}: {exc}") from None
    try:
        return Checkpoint.from_dict(body)
    except CheckpointError as exc:
        raise InvalidInput(f"{target} answered no checkpoint: {exc}", field="url") from None


def witness_command(
    save: Path = typer.Option(..., "--save", help="the folder that keeps the copies"),
    url: str | None = typer.Option(
        None, "--url", help="the server (e.g. http://host:8000); default: read the database"
    ),
    token: str | None = typer.Option(None, "--token", envvar="ALLIED_TOKEN",
                                     help="API token (auditor or coordinator)"),
    public_key: Path | None = typer.Option(
        None, "--public-key", help="the ledger's public key; kept in the folder on first use"
    ),
) -> None:
    """Fetch the latest checkpoint, check its signature against the kept public key,
    and keep a copy in the folder (never overwriting one). A checkpoint signed by
    another key is refused, exit 3."""
    from allied.service.access import latest_checkpoint

    with errors_to_exit():
        save.mkdir(parents=True, exist_ok=True)
        keys = trusted_keys(save, [])
        if public_key is not None:
            public = load_public(public_key)
            kept = save / f"ledger-{key_id(public)}.pub"
            if not kept.exists():
                kept.write_bytes(public_pem(public))
            keys[key_id(public)] = public
        if not keys:
            raise InvalidInput("the folder holds no public key yet: give --public-key",
                               field="public-key")
        if url is not None:
            cp: Checkpoint | None = _fetch(url, token)
        else:
            store = _store()
            try:
                cp = latest_checkpoint(store.read_uow(), _caller())
            finally:
                store.close()
        if cp is None:
            raise InvalidInput("no checkpoint signed yet", field="ledger")
        try:
            check_signature(cp, keys)
        except CheckpointError as exc:
            raise LedgerIntegrityError(cp.seq, f"checkpoint refused: {exc}") from None
        path = save / cp.file_name
        if path.exists():
            if Checkpoint.read(path) != cp:
                raise LedgerIntegrityError(
                    cp.seq, f"checkpoint differs from the copy kept in {path.name}"
                )
            console().print(f"already kept: {path}")
            return
        path.write_text(cp.to_json(), encoding="utf-8")
    console().print(f"kept checkpoint of entry {cp.seq} ({cp.at}) in {path}")


def verify_command(
    checkpoints: Path | None = typer.Option(
        None, "--checkpoints", help="a witness folder: the chain must pass through every "
        "checkpoint kept there, each signed by a key kept there (*.pub)"
    ),
    public_key: list[Path] = typer.Option(
        [], "--public-key", help="a further trusted public key (repeatable)"
    ),
    resume: Path | None = typer.Option(
        None, "--from", help="a trusted checkpoint file: read only the entries from it on"
    ),
    records: bool = typer.Option(
        False, "--records", help="also replay the ledger and compare the records' tables"
    ),
    jobs: int = typer.Option(
        0, "--jobs", "-j", min=0, help="verify the chain in this many processes at once "
        "(ranges of entries, then the links between them); 0: one per core, for a chain "
        "of at least 50,000 entries a process"
    ),
) -> None:
    """Check the hash chain and every payload's schema; exit 3 naming the first bad
    entry, the first kept checkpoint that does not hold, or each record that differs."""
    from allied.service.access import verify_ledger, verify_records

    with errors_to_exit():
        keys = trusted_keys(checkpoints, public_key)
        kept = read_checkpoints(checkpoints) if checkpoints is not None else []
        start = None
        if resume is not None:
            try:
                start = Checkpoint.read(resume)
            except CheckpointError as exc:
                raise InvalidInput(str(exc), field="from") from None
        if (kept or start) and not keys:
            raise InvalidInput("no trusted public key (a *.pub in the folder or --public-key)",
                               field="public-key")
        store = _store()
        try:
            from allied.bootstrap import ReadUowOpener

            count = verify_ledger(
                store.read_uow(), _caller(), checkpoints=kept, keys=keys, resume=start,
                jobs=jobs, open_uow=ReadUowOpener(store.settings) if jobs != 1 else None,
            )
            result = verify_records(store.read_uow(), _caller()) if records else None
        finally:
            store.close()
        if result is not None and result.differences:
            for d in result.differences:
                err_console().print(f"[bold red]differs:[/] {d}", highlight=False)
            from allied.service.access import records_error

            raise records_error(result)
    line = f"ledger intact: {count} entries verified"
    if kept:
        line += f", through {len(kept)} signed checkpoint(s)"
    if start is not None:
        line += f" (from entry {start.seq} on)"
    console().print(line)
    if result is not None:
        console().print(
            f"records match the ledger: {result.records} records, replayed from "
            + (f"the baseline at entry {result.start}" if result.start else "the first entry")
        )


def register(ledger_app: typer.Typer) -> None:
    ledger_app.command("verify")(verify_command)
    ledger_app.command("keygen")(keygen_command)
    ledger_app.command("checkpoint")(checkpoint_command)
    ledger_app.command("witness")(witness_command)
