"""``allied monitor``: read texts into proposed events, review them, and read the record.

extract -> (save) -> review / confirm / correct / reject -> positions, timeline, fissures.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from allied.entrypoints.cli.common import (
    Format,
    FormatOption,
    WideOption,
    console,
    emit,
    errors_to_exit,
    fail,
)
from allied.entrypoints.cli.common import operator_caller as _caller

monitor_app = typer.Typer(
    help="Read news and analysis into events with evidence; review them; positions and fissures.",
    no_args_is_help=True,
)


def _store() -> Any:
    from allied.entrypoints.cli.common import open_store

    return open_store()



def _run(fn: Any, *args: Any, **kwargs: Any) -> Any:
    from allied.adapters.db.tables_monitor import sql_monitor_events

    with errors_to_exit():
        store = _store()
        try:
            return fn(store.uow(), sql_monitor_events, *args, **kwargs)
        finally:
            store.close()


def _short(text: str, n: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _read_json(path: Path, field: str) -> Any:
    from allied.domain.errors import InvalidInput

    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput("no such file", field=field, source=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read: {exc}", field=field, source=str(path)) from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"not JSON: {exc.msg}", field=field, line=exc.lineno, source=str(path)
        ) from None


@monitor_app.command("extract")
def extract(
    path: Path = typer.Argument(..., help="a .txt, .md or .html file, or a folder of them"),
    date: str | None = typer.Option(
        None, "--date", help="the documents' date, YYYY-MM[-DD] (default: file name, text)"
    ),
    encoding: str = typer.Option("utf-8", "--encoding", help="text encoding of the files"),
    min_confidence: float = typer.Option(0.0, "--min-confidence", min=0.0, max=1.0),
    background: bool = typer.Option(
        False, "--background", help="also propose events recounted from years before"
    ),
    save: bool = typer.Option(
        False, "--save", help="store the proposals in the database for review"
    ),
    fmt: Format = FormatOption,
    wide: bool = WideOption,
) -> None:
    """Propose events (actor, type, target, evidence, date, confidence) found in texts."""
    from allied.monitor.documents import read_documents
    from allied.service.access import extract_events

    with errors_to_exit():
        documents = read_documents(path, date=date, encoding=encoding)
        batches = extract_events(
            _caller(), documents, min_confidence=min_confidence, background=background
        )
    if save:
        from allied.service.access import propose_monitor_events

        counts = _run(propose_monitor_events, _caller(), batches)
        typer.echo(
            f"recorded {counts['added']} proposed event(s) for review "
            f"({counts['skipped']} already in the record)",
            err=True,
        )
    if fmt is Format.JSON:
        payload = {
            "documents": [
                {"document": d.name, "date": d.date, "events": [e.as_dict() for e in evs]}
                for d, evs in batches
            ]
        }
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        return
    rows = [
        {
            "document": e.document,
            "actor": e.actor,
            "type": e.type.value,
            "target": e.target,
            "date": e.date,
            "confidence": e.confidence,
            "start": e.start,
            "end": e.end,
            "evidence": e.evidence if fmt is Format.CSV else _short(e.evidence),
        }
        for _, evs in batches
        for e in evs
    ]
    columns = [
        "document",
        "actor",
        "type",
        "target",
        "date",
        "confidence",
        "start",
        "end",
        "evidence",
    ]
    emit(rows, fmt, columns=columns, title="Proposed events")


@monitor_app.command("evaluate")
def evaluate(
    predictions: Path = typer.Argument(..., help="JSON from `allied monitor extract -f json`"),
    gold: Path = typer.Option(..., "--gold", help="gold events, as ../shared/corpus/gold.json"),
    min_confidence: float = typer.Option(0.0, "--min-confidence", min=0.0, max=1.0),
    fmt: Format = FormatOption,
    wide: bool = WideOption,
) -> None:
    """Precision, recall and F1 per event type and overall, on document-level tuples."""
    from allied.monitor.evaluate import evaluate as score

    with errors_to_exit():
        report = score(
            _read_json(gold, "--gold"),
            _read_json(predictions, "PREDICTIONS"),
            min_confidence=min_confidence,
            gold_source=str(gold),
            pred_source=str(predictions),
        )
    if fmt is Format.JSON:
        sys.stdout.write(json.dumps(report.as_dict(), indent=2) + "\n")
        return
    emit(report.rows(), fmt, title="Precision and recall (document-level tuples)")
    if fmt is Format.TABLE:
        for label, items in (("false alarms", report.false_alarms), ("misses", report.misses)):
            if items:
                console().print(f"[bold]{label}[/]")
                emit(items, Format.TABLE)
        if report.unscored:
            typer.echo(f"not in the gold file (unscored): {', '.join(report.unscored)}", err=True)


def _events_rows(events: list[Any], fmt: Format) -> list[dict[str, Any]]:
    return [
        {
            **{k: v for k, v in e.as_dict().items() if k not in ("source",)},
            "evidence": e.evidence if fmt is not Format.TABLE else _short(e.evidence, 70),
        }
        for e in events
    ]


EVENT_COLUMNS = [
    "id",
    "status",
    "document",
    "actor",
    "type",
    "target",
    "date",
    "confidence",
    "evidence",
]


@monitor_app.command("events")
def events(
    status: str | None = typer.Option(
        None, "--status", help="proposed, confirmed, corrected or rejected"
    ),
    document: str | None = typer.Option(None, "--document"),
    fmt: Format = FormatOption,
    wide: bool = WideOption,
) -> None:
    """The record: proposed events and the analysts' decisions."""
    from allied.service.access import list_monitor_events, parse_status

    with errors_to_exit():
        st = parse_status(status, "--status")
    rows = _events_rows(_run(list_monitor_events, _caller(), status=st, document=document), fmt)
    emit(rows, fmt, columns=None if fmt is Format.JSON else EVENT_COLUMNS, title="Monitor events")


def _decide(event: str, status: Any, **kwargs: Any) -> Any:
    from allied.service.access import review_monitor_event

    return _run(review_monitor_event, _caller(), event, status, **kwargs)


@monitor_app.command("confirm")
def confirm(
    ids: list[str] = typer.Argument(..., help="event ids (see `allied monitor review`)"),
    note: str = typer.Option("", "--note"),
) -> None:
    """Confirm proposed events as they stand (one ledger entry each)."""
    from allied.monitor.record import Status

    for event in ids:
        ev = _decide(event, Status.CONFIRMED, note=note)
        typer.echo(f"{ev.id} confirmed: {ev.actor} {ev.type.value} {ev.target or '-'}")


@monitor_app.command("reject")
def reject(
    ids: list[str] = typer.Argument(...),
    note: str = typer.Option("", "--note", help="why (kept in the ledger)"),
) -> None:
    """Reject proposed events."""
    from allied.monitor.record import Status

    for event in ids:
        ev = _decide(event, Status.REJECTED, note=note)
        typer.echo(f"{ev.id} rejected")


@monitor_app.command("correct")
def correct(
    event: str = typer.Argument(...),
    actor: str | None = typer.Option(None, "--actor"),
    etype: str | None = typer.Option(None, "--type"),
    target: str | None = typer.Option(None, "--target"),
    no_target: bool = typer.Option(False, "--no-target", help="the event has no target"),
    date: str | None = typer.Option(None, "--date", help="YYYY[-MM[-DD]]"),
    note: str = typer.Option("", "--note"),
) -> None:
    """Correct a proposed (or corrected) event and accept it."""
    from allied.monitor.record import Status

    ev = _decide(
        event,
        Status.CORRECTED,
        actor=actor,
        etype=etype,
        target=target,
        clear_target=no_target,
        date=date,
        note=note,
    )
    typer.echo(f"{ev.id} corrected: {ev.actor} {ev.type.value} {ev.target or '-'} {ev.date}")


@monitor_app.command("review")
def review(
    document: str | None = typer.Option(None, "--document"),
    interactive: bool = typer.Option(
        False,
        "--interactive",
        "-i",
        help="go through the proposals one by one: [c]onfirm, [e]dit, [r]eject, [s]kip, [q]uit",
    ),
    fmt: Format = FormatOption,
    wide: bool = WideOption,
) -> None:
    """Proposed events awaiting a decision; with -i, decide on each in turn."""
    from allied.monitor.record import Status
    from allied.service.access import list_monitor_events

    pending = _run(list_monitor_events, _caller(), status=Status.PROPOSED, document=document)
    if not interactive:
        emit(
            _events_rows(pending, fmt),
            fmt,
            columns=None if fmt is Format.JSON else EVENT_COLUMNS,
            title="Awaiting review",
        )
        return
    if not pending:
        typer.echo("nothing to review")
        return
    for n, ev in enumerate(pending, start=1):
        console().print(
            f"\n[bold]{n}/{len(pending)}[/] {ev.id}  [bold]{ev.actor} {ev.type.value} "
            f"{ev.target or '-'}[/]  date {ev.date or '?'}  confidence {ev.confidence}\n"
            f"  {ev.document} [{ev.start}:{ev.end}]\n  “{ev.evidence}”",
            highlight=False,
        )
        answer = typer.prompt("[c]onfirm, [e]dit, [r]eject, [s]kip, [q]uit", default="s")
        choice = answer.strip().lower()[:1]
        if choice == "q":
            break
        if choice == "c":
            _decide(ev.id, Status.CONFIRMED)
        elif choice == "r":
            _decide(ev.id, Status.REJECTED, note=typer.prompt("reason", default=""))
        elif choice == "e":
            actor = typer.prompt("actor", default=ev.actor)
            etype = typer.prompt("type", default=ev.type.value)
            target = typer.prompt("target ('-' for none)", default=ev.target or "-")
            date = typer.prompt("date", default=ev.date or "")
            _decide(
                ev.id,
                Status.CORRECTED,
                actor=actor,
                etype=etype,
                target=None if target.strip() == "-" else target,
                clear_target=target.strip() == "-",
                date=date or None,
                note=typer.prompt("note", default=""),
            )


def _issues(values: list[str] | None) -> list[Any] | None:
    from allied.monitor.positions import parse_issue

    if not values:
        return None
    with errors_to_exit():
        return [parse_issue(v) for part in values for v in part.split(",") if v.strip()]


def _renames(values: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values or []:
        old, sep, new = v.partition("=")
        if not sep or not old.strip() or not new.strip():
            fail(f"option '--rename': expected ISSUE=NAME, got {v!r}")
        out[old.strip()] = new.strip()
    return out


@monitor_app.command("positions")
def positions_cmd(
    issue: list[str] | None = typer.Option(
        None,
        "--issue",
        help="military-aid, escalation-tolerance, ukraine-membership, "
        "reexport-restrictiveness, eu-autonomy (repeat or comma-separate)",
    ),
    on: str | None = typer.Option(None, "--on", help="only events up to this date"),
    organisations: bool = typer.Option(
        False, "--organisations", help="include NATO, EU... (the lab models states only)"
    ),
    rename: list[str] | None = typer.Option(
        None, "--rename", help="write an issue under another name, e.g. military-aid=support"
    ),
    evidence: bool = typer.Option(
        True, "--evidence/--no-evidence", help="JSON: the events behind each stance"
    ),
    fmt: Format = FormatOption,
    wide: bool = WideOption,
) -> None:
    """Stances per state and issue from confirmed events; the lab's initial positions.

    ``position`` is on the lab's scale [0, 1] (1 = in favour), ``stance`` the same on
    [-1, 1]; ``salience`` the share of the state's evidence on the issue.
    """
    from allied.monitor.positions import ORGANISATIONS
    from allied.service.access import monitor_stances

    names = _renames(rename)
    found = _run(monitor_stances, _caller(), issues=_issues(issue), on=on)
    rows = []
    for p in found:
        if not organisations and p.actor in ORGANISATIONS:
            continue
        row = {
            "actor": p.actor,
            "issue": names.get(p.issue.value, p.issue.value),
            "position": round((p.position + 1) / 2, 4),
            "salience": p.salience,
            "stance": p.position,
            "events": p.events,
            "source": "monitor:" + " ".join(e.event for e in p.evidence),
        }
        if fmt is Format.JSON and evidence:
            extra = p.as_dict()
            row["series"] = extra["series"]
            row["evidence"] = extra["evidence"]
        rows.append(row)
    if fmt is Format.JSON:
        sys.stdout.write(json.dumps({"positions": rows}, indent=2, ensure_ascii=False) + "\n")
        return
    columns = ["actor", "issue", "position", "salience", "stance", "events", "source"]
    emit(
        rows,
        fmt,
        columns=columns if fmt is Format.CSV else columns[:-1],
        title="Positions from confirmed events",
    )


@monitor_app.command("timeline")
def timeline_cmd(
    on: str | None = typer.Option(None, "--on", help="only events up to this date"),
    fmt: Format = FormatOption,
    wide: bool = WideOption,
) -> None:
    """Confirmed events in date order, with the issues each bears on."""
    from allied.monitor.model import partial_date
    from allied.monitor.positions import timeline
    from allied.service.access import list_monitor_events

    with errors_to_exit():
        when = partial_date(on, "--on") if on else None
    rows = timeline(_run(list_monitor_events, _caller()), on=when)
    if fmt is Format.TABLE:
        for r in rows:
            r["evidence"] = _short(r["evidence"], 60)
    emit(rows, fmt, columns=TIMELINE_COLUMNS, title="Timeline of confirmed events")


#: The timeline's columns, named even when no event is confirmed yet (a CSV keeps its header).
TIMELINE_COLUMNS = ("date", "actor", "type", "target", "issues", "document", "id", "evidence")


@monitor_app.command("fissures")
def fissures_cmd(
    groups: int = typer.Option(2, "--groups", min=1, help="how many groups to cut into"),
    issue: list[str] | None = typer.Option(None, "--issue"),
    on: str | None = typer.Option(None, "--on"),
    chart: Path | None = typer.Option(None, "--chart", help="write a PNG heat map here"),
    fmt: Format = FormatOption,
    wide: bool = WideOption,
) -> None:
    """Cluster states by stance into groups (the 'two-tier alliance' question)."""
    from allied.monitor.positions import fissure_chart, fissures
    from allied.service.access import monitor_stances

    found = _run(monitor_stances, _caller(), issues=_issues(issue), on=on)
    with errors_to_exit():
        result = fissures(found, groups=groups)
    if chart is not None:
        try:
            fissure_chart(result, str(chart))
        except OSError as exc:
            fail(f"option '--chart': cannot write {chart}: {exc.strerror or exc}")
        typer.echo(f"chart written to {chart}", err=True)
    if fmt is Format.JSON:
        sys.stdout.write(json.dumps(result.as_dict(), indent=2) + "\n")
        return
    rows = [
        {"group": n + 1, "actors": " ".join(g), **{k: v for k, v in result.means[n].items()}}
        for n, g in enumerate(result.groups)
    ]
    emit(rows, fmt, title="Fissures: groups of states by stance (group means)")


def register(app: typer.Typer) -> None:
    app.add_typer(monitor_app, name="monitor")
