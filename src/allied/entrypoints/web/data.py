"""Data in and out of the clearinghouse, in the browser.

**Imports** (``POST /data/import``, a file upload): the Kiel Ukraine Support Tracker and
the SIPRI trade register (the coordinator's, ``access.import_public``), and files of
requests or offers (CSV or JSON, as ``allied import requests|offers``: the coordinator
for anyone, a recipient or donor its own nation's, ``access.import_requests|offers``).
Each import is one transaction, all or nothing; an error names the file, the line and
the field, and nothing is written.

**Exports** (downloads; a GET reads and never writes): each report the caller may open
as CSV, JSON, PNG or a self-contained HTML page (as ``allied report -f``), and the whole
ledger as JSON lines (as ``allied ledger export``; the roles that read the ledger).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from allied.domain.errors import AlliedError, InvalidInput
from allied.domain.users import Action, may
from allied.entrypoints.api.context import AppContext
from allied.entrypoints.web import UPLOADS
from allied.entrypoints.web.analysis import _date, reports_for
from allied.entrypoints.web.forms import Typed, form_page
from allied.entrypoints.web.pages import _ctx, _error, harden, render
from allied.entrypoints.web.session import check_csrf, current
from allied.service import access
from allied.service.caller import Caller

router = APIRouter(include_in_schema=False)

PATH = "/data"
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "png": "image/png",
    "html": "text/html; charset=utf-8",
}
#: the largest file an import takes (the shipped Kiel release is about 1 MB)
MAX_UPLOAD = UPLOADS["/data/import"]


def imports_for(caller: Caller) -> list[tuple[str, str]]:
    """(kind, label) of the imports the caller's role may make."""
    out = []
    if may(caller.role, Action.IMPORT_PUBLIC):
        out += [("kiel", "Kiel Ukraine Support Tracker (data explorer CSV)"),
                ("sipri", "SIPRI trade register (CSV)")]
    if may(caller.role, Action.CREATE_REQUEST):
        out.append(("requests", "Requests (CSV or JSON)"))
    if may(caller.role, Action.CREATE_OFFER):
        out.append(("offers", "Offers (CSV or JSON)"))
    return out


def _page(
    request: Request,
    caller: Caller,
    token: str,
    *,
    error: dict[str, Any] | None = None,
    form: dict[str, Any] | None = None,
    done: dict[str, Any] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "data.html",
        caller,
        token,
        active=PATH,
        status=error["status"] if error else 200,
        imports=imports_for(caller),
        reports=reports_for(caller),
        formats=list(FORMATS),
        may_ledger=may(caller.role, Action.READ_LEDGER),
        may_expire=may(caller.role, Action.EXPIRE),
        error=error,
        form=form or {"kind": "", "report": "burden", "format": "csv", "from": "", "to": ""},
        done=done,
    )


@router.get(PATH, response_class=HTMLResponse)
def data_page(request: Request) -> HTMLResponse:
    caller, token = current(request, _ctx(request))
    return _page(request, caller, token)


def _refused(
    request: Request, caller: Caller, token: str, typed: Typed, error: dict[str, Any]
) -> Response:
    """The data page again with the refused form as typed (a file is chosen again)."""
    form = {"kind": "", "report": "burden", "format": "csv", "from": "", "to": "",
            "release": "", "grace_days": "90", **typed}
    return _page(request, caller, token, error=error, form=form)


@router.post(PATH + "/import", response_class=HTMLResponse)
@form_page(_refused, {"kind": "i-kind", "file": "i-file", "release": "i-release"})
def import_file(
    request: Request,
    csrf: Annotated[str, Form(max_length=200)] = "",
    kind: Annotated[str, Form(max_length=20)] = "",
    release: Annotated[str, Form(max_length=200)] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    name = (file.filename if file else "") or ""
    raw = file.file.read(MAX_UPLOAD + 1) if file else b""
    kinds = [k for k, _ in imports_for(caller)]
    if kind not in kinds:
        raise InvalidInput(
            f"choose one of {', '.join(kinds)}" if kinds else "your role imports nothing",
            field="kind",
        )
    if not name:
        raise InvalidInput("choose a file to import", field="file")
    if not raw:
        raise InvalidInput(f"{name} is empty: nothing to import", field="file")
    if len(raw) > MAX_UPLOAD:
        raise InvalidInput(f"the file is larger than {MAX_UPLOAD // 2**20} MB", field="file")
    try:
        summary = _import(ctx, caller, kind, raw, name, release.strip() or None)
    except InvalidInput as exc:
        if exc.line is not None or exc.source:
            # the file's own error: name the file and the line, beside the file field
            raise InvalidInput(str(exc), field="file") from exc
        raise
    return _page(request, caller, token, done=summary)


def _import(
    ctx: AppContext, caller: Caller, kind: str, raw: bytes, name: str, release: str | None
) -> dict[str, Any]:
    if kind in ("kiel", "sipri"):
        report, warnings = access.import_public(
            ctx.uow(), caller, kind, raw, source=name, release=release
        )
        return {"kind": kind, "source": name, "report": report.as_dict(), "warnings": warnings}
    from allied.ingest.files import parse_records

    rows = parse_records(raw, name, kind)
    use_case = access.import_requests if kind == "requests" else access.import_offers
    made = use_case(ctx.uow(), caller, ctx.today(), rows, source=name)
    return {"kind": kind, "source": name, "ids": [m.id for m in made], "warnings": []}


@router.post(PATH + "/expire", response_class=HTMLResponse)
@form_page(_refused, {"grace_days": "x-grace", "confirm": "x-confirm"})
def expire(
    request: Request,
    csrf: Annotated[str, Form(max_length=200)] = "",
    grace_days: Annotated[str, Form(max_length=6)] = "90",
    confirm: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """The system's expiry job on today's date (``allied request expire`` and ``allied
    consent expire``): open requests past their needed-by date by more than the grace,
    and consent requests left unanswered past theirs, in one transaction."""
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    check_csrf(request, token, csrf)
    if confirm != "yes":
        raise InvalidInput("tick the box to confirm: this cannot be undone", field="confirm")
    out = access.expire_all(ctx.uow(), caller, ctx.today(), grace_days.strip())
    summary = f"{len(out['requests'])} requests, {len(out['consents'])} consents"
    return RedirectResponse(
        f"{PATH}?ok=expired&ref={summary.replace(' ', '-').replace(',', '')}", status_code=303
    )


@router.get(PATH + "/report")
def download_report(
    request: Request,
    name: Annotated[str, Query(max_length=20)] = "burden",
    format: Annotated[str, Query(max_length=5)] = "csv",
    start: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=10)] = None,
) -> Response:
    """A report as a file to download, in the CLI's formats (a read)."""
    from allied.service.reports import ReportOptions, build_report
    from allied.service.reports import render as render_report

    ctx = _ctx(request)
    caller, token = current(request, ctx)
    form = {"kind": "", "report": name, "format": format, "from": start or "", "to": end or ""}
    try:
        allowed = reports_for(caller)
        if name not in allowed:
            raise InvalidInput(f"choose one of {', '.join(allowed)}", field="report")
        if format not in FORMATS:
            raise InvalidInput(f"choose one of {', '.join(FORMATS)}", field="format")
        options = ReportOptions(start=_date(start, "from"), end=_date(end, "to"))
        body = render_report(build_report(ctx.report_uow(), name, options), format)
    except AlliedError as exc:
        return _page(request, caller, token, error=_error(exc), form=form)
    response = Response(body, media_type=FORMATS[format])
    harden(response)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{format}"'
    return response


@router.get(PATH + "/ledger.jsonl")
def download_ledger(request: Request) -> Response:
    """Every ledger entry, one JSON object a line (a read)."""
    ctx = _ctx(request)
    caller, token = current(request, ctx)
    if not may(caller.role, Action.READ_LEDGER):
        return render(
            request, "denied.html", caller, token, active=PATH, status=403, what="the ledger"
        )
    entries = access.export_ledger(ctx.read_uow(), caller)

    def lines() -> Iterator[str]:
        for entry in entries:
            yield json.dumps(entry, sort_keys=True, ensure_ascii=False, default=str) + "\n"

    response = StreamingResponse(lines(), media_type="application/x-ndjson")
    harden(response)
    day = ctx.today().isoformat()
    response.headers["Content-Disposition"] = f'attachment; filename="ledger-{day}.jsonl"'
    return response
