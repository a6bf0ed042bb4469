"""Imports of public data as checked use-cases: the Kiel Ukraine Support Tracker and the
SIPRI trade register, read from the bytes of a file (an upload). Importing is the
coordinator's (:data:`Action.IMPORT_PUBLIC`); each import is one transaction, all or
nothing, and a line that cannot be read is named in the error
(:class:`~allied.domain.errors.InvalidInput` with ``line`` and ``source``)."""

from __future__ import annotations

from allied.domain.errors import InvalidInput
from allied.domain.users import Action, require
from allied.service import public_data
from allied.service.caller import Caller
from allied.service.ports import UnitOfWork

#: the public datasets that can be imported
PUBLIC_SOURCES = ("kiel", "sipri")


def import_public(
    uow: UnitOfWork,
    caller: Caller,
    kind: str,
    raw: bytes,
    *,
    source: str,
    release: str | None = None,
) -> tuple[public_data.ImportReport, list[str]]:
    """Parse and store a Kiel or SIPRI file: the import's report and the warnings of the
    read (a SIPRI record joined over lines, a file read as Windows-1252)."""
    require(caller.role, Action.IMPORT_PUBLIC)
    if kind not in PUBLIC_SOURCES:
        raise InvalidInput(f"expected one of {', '.join(PUBLIC_SOURCES)}", field="kind")
    if not raw.strip():
        raise InvalidInput("the file is empty", field="file", source=source, line=1)
    if kind == "kiel":
        from allied.ingest.kiel import parse_kiel

        try:
            body = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            raise InvalidInput(
                "not UTF-8 text; save the file as UTF-8", source=source, line=line
            ) from None
        dataset = parse_kiel(body, source=source, release=release)
        return public_data.import_kiel(uow, caller, dataset), []
    from allied.ingest.sipri import decode_register, parse_sipri_report

    text, _, warned = decode_register(raw, source)
    read = parse_sipri_report(text, source=source)
    report = public_data.import_sipri(uow, caller, read.transfers, source=source)
    return report, [*warned, *read.warnings]
