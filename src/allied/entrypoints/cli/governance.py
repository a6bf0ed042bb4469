"""Governance commands: decide (rules, proposals, accessions), consent, allocation lifecycle."""

from __future__ import annotations

import datetime as dt
from typing import Any

import typer

from allied.entrypoints.cli.common import (
    Format,
    FormatOption,
    WideOption,
    console,
    emit,
    errors_to_exit,
    parse_day,
)

decide_app = typer.Typer(
    help="Collective decisions: rules, proposals, accessions.", no_args_is_help=True
)
accession_app = typer.Typer(
    help="Accession: apply, invite, sign, ratify, join.", no_args_is_help=True
)
consent_app = typer.Typer(
    help="Re-export consent: requests, answers, standing policies.", no_args_is_help=True
)
allocation_app = typer.Typer(
    help="Allocations (pledges) and their lifecycle.", no_args_is_help=True
)


def _store() -> Any:
    from allied.entrypoints.cli.common import open_store

    return open_store()


def _caller(as_nation: str | None = None, role: str = "coordinator") -> Any:
    """The operator at the command line: the coordinator, as ``ALLIED_NATION`` (or the
    nation given); an origin state's answer is given in the origin role."""
    from allied.config import Settings
    from allied.service.caller import Caller

    settings = Settings.from_env()
    return Caller(user=settings.user, nation=(as_nation or settings.nation).upper(), role=role)


#: a page as long as any list (the CLI lists every record its caller sees)
_EVERY = 10**9


def _codes(value: str | None) -> list[str]:
    return [c.strip().upper() for c in (value or "").split(",") if c.strip()]


def _run(fn: Any, *args: Any, **kwargs: Any) -> Any:
    with errors_to_exit():
        store = _store()
        try:
            return fn(store.uow(), *args, **kwargs)
        finally:
            store.close()


def _rule(value: str) -> Any:
    from allied.domain.rules import parse_rule

    with errors_to_exit():
        return parse_rule(value, "--rule")


def _print_proposal(view: dict[str, Any], fmt: Format) -> None:
    if fmt is Format.TABLE:
        rows = [{"actor": a, **p} for a, p in view["positions"].items()]
        console().print(
            f"[bold]{view['id']}[/] v{view['version']} in {view['forum']} ({view['rule']}): "
            f"{view['title']} — {view['status']}, deadline {view['deadline']}, "
            f"{view['participants']} participants"
        )
        if rows:
            emit(rows, Format.TABLE, columns=["actor", "position", "on", "reason"])
        return
    emit([view], fmt)


@decide_app.command("evaluate")
def decide_evaluate(
    rule: str = typer.Option(..., help="consensus-silence, unanimity, qmv, coalition, national"),
    org: str = typer.Option(..., help="organisation (or the state, for national)"),
    on: str = typer.Option(..., help="date of the decision, YYYY-MM-DD"),
    yes: str | None = typer.Option(None, help="in favour, comma-separated ISO3"),
    no: str | None = typer.Option(None, help="against / breaking silence"),
    abstain: str | None = typer.Option(None, help="abstaining"),
    fmt: Format = FormatOption,
    wide: bool = WideOption,
) -> None:
    """Apply a decision rule to positions on a date (nothing is stored)."""
    from allied.service.access import evaluate_decision

    day = parse_day(on, "--on")
    out = _run(
        evaluate_decision,
        _caller(),
        _rule(rule),
        org.strip().upper(),
        day,
        yes=_codes(yes),
        no=_codes(no),
        abstain=_codes(abstain),
    )
    if fmt is Format.JSON:
        import json

        typer.echo(json.dumps(out, indent=2))
        return
    flat = {k: (",".join(v) if isinstance(v, list) else v) for k, v in out.items()}
    emit([flat], fmt)


@decide_app.command("propose")
def decide_propose(
    org: str = typer.Option(..., "--org", help="forum: NATO, EU, UDCG, G7 (or a state)"),
    rule: str = typer.Option(..., help="consensus-silence, unanimity, qmv, coalition, national"),
    title: str = typer.Option(...),
    deadline: str = typer.Option(..., help="last day to speak, YYYY-MM-DD"),
    on: str | None = typer.Option(None, help="circulation date (default today)"),
    text: str = typer.Option("", help="the proposal's text"),
    proposal_id: str | None = typer.Option(None, "--id"),
    fmt: Format = FormatOption,
    wide: bool = WideOption,
) -> None:
    """Circulate a proposal in a forum under a rule, with a deadline."""
    from allied.service.access import propose

    day = parse_day(on, "--on")
    end = parse_day(deadline, "--deadline")
    view = _run(
        propose,
        _caller(),
        forum=org.strip().upper(),
        rule=_rule(rule),
        title=title,
        on=day,
        deadline=end,
        text=text,
        proposal_id=proposal_id,
    )
    _print_proposal(view, fmt)


@decide_app.command("object")
def decide_object(
    proposal_id: str = typer.Argument(...),
    actor: str = typer.Option(..., "--as", help="the participant breaking silence, ISO3"),
    reason: str = typer.Option(..., help="why"),
    on: str | None = typer.Option(None, help="date (default today)"),
    fmt: Format = FormatOption,
    wide: bool = WideOption,
) -> None:
    """Break silence (object) on a proposal, with a reason."""
    from allied.service.access import take_position

    day = parse_day(on, "--on")
    view = _run(
        take_position,
        _caller(actor),
        day,
        proposal_id,
        actor=actor.strip().upper(),
        position="no",
        reason=reason,
    )
    _print_proposal(view, fmt)


@decide_app.command("vote")
def decide_vote(
    proposal_id: str = typer.Argument(...),
    actor: str = typer.Option(..., "--as", help="the participant voting, ISO3"),
    position: str = typer.Option(..., "--position", help="yes, no or abstain"),
    reason: str = typer.Option(
        "", help="why (required for a no under unanimity or consensus: an objection)"
    ),
    on: str | None = typer.Option(None, help="date (default today)"),
    fmt: Format = FormatOption,
    wide: bool = WideOption,
) -> None:
    """Vote yes, no or abstain on a proposal."""
    from allied.domain.errors import InvalidInput
    from allied.service.access import take_position

    day = parse_day(on, "--on")
    with errors_to_exit():
        if position not in ("yes", "no", "abstain"):
            raise InvalidInput(f"expected yes, no or abstain; got {position!r}", field="position")
    view = _run(
        take_position,
        _caller(actor),
        day,
        proposal_id,
        actor=actor.strip().upper(),
        position=position,
        reason=reason,
    )
    _print_proposal(view, fmt)


@decide_app.command("revise")
def decide_revise(
    proposal_id: str = typer.Argument(...),
    text: str = typer.Option(..., help="the revised text"),
    deadline: str = typer.Option(..., help="new deadline, YYYY-MM-DD (the clock restarts)"),
    on: str | None = typer.Option(None, help="date (default today)"),
    fmt: Format = FormatOption,
    wide: bool = WideOption,
) -> None:
    """Revise a proposal: a new version restarts the clock and clears positions."""
    from allied.service.access import revise_proposal

    day = parse_day(on, "--on")
    end = parse_day(deadline, "--deadline")
    view = _run(revise_proposal, _caller(), proposal_id, text=text, on=day, deadline=end)
    _print_proposal(view, fmt)


@decide_app.command("withdraw")
def decide_withdraw(
    proposal_id: str = typer.Argument(...),
    on: str | None = typer.Option(None, help="date (default today)"),
    fmt: Format = FormatOption,
    wide: bool = WideOption,
) -> None:
    """Withdraw an open proposal."""
    from allied.service.access import withdraw_proposal

    day = parse_day(on, "--on")
    _print_proposal(_run(withdraw_proposal, _caller(), proposal_id, on=day), fmt)


@decide_app.command("close")
def decide_close(
    proposal_id: str | None = typer.Argument(None, help="one proposal (default: every one due)"),
    fmt: Format = FormatOption,
    wide: bool = WideOption,
) -> None:
    """Record the closing of proposals whose deadline has passed, on today's real date."""
    import datetime as dt

    from allied.service.access import close_proposals

    closed = _run(close_proposals, _caller(), dt.date.today(), proposal_id)
    if fmt is Format.TABLE and not closed:
        console().print("no open proposal is past its deadline; nothing closed")
        return
    emit(
        [{**p, "blocking": ",".join(p["blocking"])} for p in closed],
        fmt,
        title=f"Closed ({len(closed)})",
        columns=["id", "forum", "rule", "title", "status", "closed_on", "blocking", "outcome"],
    )


@decide_app.command("status")
def decide_status(
    on: str | None = typer.Option(None, help="evaluate against this date (default today)"),
    fmt: Format = FormatOption,
    wide: bool = WideOption,
) -> None:
    """Proposals and accessions as they stand on a date (a query: nothing is recorded).

    A proposal past its deadline shows the outcome fixed at the deadline; its
    recorded_status stays open until `allied decide close` records the closing."""
    from allied.service.access import decision_status

    day = parse_day(on, "--on")
    out = _run(decision_status, _caller(), day)
    if fmt is Format.JSON:
        import json

        typer.echo(json.dumps(out, indent=2))
        return
    proposals = [
        {**p, "positions": len(p["positions"]), "blocking": ",".join(p["blocking"])}
        for p in out["proposals"]
    ]
    emit(
        proposals,
        fmt,
        title="Proposals",
        columns=["id", "forum", "rule", "title", "status", "deadline", "blocking", "outcome"],
    )
    accessions = [
        {
            **a,
            "ratified": f"{a['ratified']}/{a['required']}",
            "pending": ",".join(a["pending"]),
            "last_ratifier": a["last_ratifier"] or "",
            "days_to_last": a["days_signature_to_last_ratification"],
        }
        for a in out["accessions"]
    ]
    emit(
        accessions,
        fmt,
        title="Accessions",
        columns=[
            "id",
            "stage",
            "ratified",
            "pending",
            "last_ratifier",
            "last_ratified_on",
            "days_to_last",
            "days_waited",
        ],
    )


def _accession(step: str, accession_id: str, on: str | None, fmt: Format, **kw: Any) -> None:
    from allied.service.access import accession_step

    day = parse_day(on, "--on")
    view = _run(
        accession_step, _caller(), accession_id, step, on=day, today=dt.date.today(), **kw
    )
    emit(
        [
            {
                **view,
                "pending": ",".join(view["pending"]),
                "days_to_ratify": len(view["days_to_ratify"]),
            }
        ],
        fmt,
        columns=[
            "id",
            "candidate",
            "org",
            "stage",
            "ratified",
            "required",
            "pending",
            "last_ratifier",
            "member_from",
        ],
    )


@accession_app.command("apply")
def accession_apply(
    accession_id: str = typer.Argument(..., help="an id, e.g. NATO-UKR"),
    candidate: str = typer.Option(..., help="candidate state, ISO3"),
    org: str = typer.Option(..., help="organisation"),
    on: str | None = typer.Option(None),
    fmt: Format = FormatOption,
    wide: bool = WideOption,
) -> None:
    """Record an application for membership."""
    _accession(
        "apply", accession_id, on, fmt, candidate=candidate.strip().upper(), org=org.strip().upper()
    )


@accession_app.command("invite")
def accession_invite(
    accession_id: str = typer.Argument(...),
    on: str | None = typer.Option(None),
    fmt: Format = FormatOption,
    wide: bool = WideOption,
) -> None:
    """Record the invitation (a consensus decision of the members)."""
    _accession("invite", accession_id, on, fmt)


@accession_app.command("sign")
def accession_sign(
    accession_id: str = typer.Argument(...),
    on: str | None = typer.Option(None),
    fmt: Format = FormatOption,
    wide: bool = WideOption,
) -> None:
    """Record the signature of the protocols: every member on that day must ratify."""
    _accession("sign", accession_id, on, fmt)


@accession_app.command("ratify")
def accession_ratify(
    accession_id: str = typer.Argument(...),
    state: str = typer.Option(..., help="the ratifying member, ISO3"),
    on: str | None = typer.Option(None),
    fmt: Format = FormatOption,
    wide: bool = WideOption,
) -> None:
    """Record one member's ratification."""
    _accession("ratify", accession_id, on, fmt, state=state.strip().upper())


@accession_app.command("join")
def accession_join(
    accession_id: str = typer.Argument(...),
    on: str | None = typer.Option(None),
    fmt: Format = FormatOption,
    wide: bool = WideOption,
) -> None:
    """Record the deposit of the instrument: a member from that day."""
    _accession("join", accession_id, on, fmt)


@consent_app.command("list")
def consent_list(
    origin: str | None = typer.Option(None, help="only requests to this origin state"),
    status: str | None = typer.Option(None, help="pending, granted, denied, expired"),
    on: str | None = typer.Option(None, help="evaluate expiry against this date"),
    fmt: Format = FormatOption,
    wide: bool = WideOption,
) -> None:
    """Re-export consent requests, each with its status on a date (a query: an unanswered
    one past its expiry shows expired; ``allied consent expire`` records it)."""
    from allied.service.access import list_consents

    day = parse_day(on, "--on")
    rows = _run(
        list_consents,
        _caller(),
        day,
        origin=origin.upper() if origin else None,
        status=status,
        limit=_EVERY,
    ).items
    emit(
        rows,
        fmt,
        title=f"Consent requests ({len(rows)})",
        hide_first=["family", "recipient", "decided_on", "requested_on", "holder", "offer"],
        columns=[
            "id",
            "origin",
            "holder",
            "family",
            "item_type",
            "quantity",
            "recipient",
            "offer",
            "effective_status",
            "requested_on",
            "decided_on",
            "expires_on",
            "reason",
        ],
    )


def _answer(
    consent_id: str, answer: str, reason: str, on: str | None, as_nation: str | None, fmt: Format
) -> None:
    from allied.domain.errors import InvalidInput
    from allied.service.access import answer_consent

    day = parse_day(on, "--on")
    caller = _caller(as_nation, role="origin")
    if not caller.nation:
        with errors_to_exit():
            raise InvalidInput(
                "say which origin state answers: --as ISO3 or ALLIED_NATION", field="--as"
            )
    view = _run(answer_consent, caller, day, consent_id, answer, reason)
    moved = view["allocations_moved"]
    if fmt is Format.JSON:
        emit([view], fmt)
        return
    row = {**view, "allocations_moved": _moves_cell(moved)}
    emit(
        [row],
        fmt,
        columns=["id", "origin", "holder", "status", "decided_on", "reason", "allocations_moved"],
    )
    if fmt is Format.TABLE:
        _print_moves(moved, none="no allocation moved: none was waiting on this answer alone")


def _moves_cell(moves: list[dict[str, Any]]) -> str:
    return " ".join(f"{m['id']}:{m['from']}>{m['to']}" for m in moves)


def _print_moves(moves: list[dict[str, Any]], none: str = "") -> None:
    out = console()
    for m in moves:
        why = f" ({m['reason']})" if m.get("reason") else ""
        out.print(f"moved {m['id']}: {m['from']} -> {m['to']}{why}", highlight=False)
    if not moves and none:
        out.print(none, highlight=False)



@consent_app.command("grant")
def consent_grant(
    consent_id: str = typer.Argument(...),
    reason: str = typer.Option(..., help="why (the ledger records it)"),
    on: str | None = typer.Option(None),
    as_nation: str | None = typer.Option(None, "--as", help="answering origin"),
    fmt: Format = FormatOption,
    wide: bool = WideOption,
) -> None:
    """Grant a re-export consent request (as the origin state)."""
    _answer(consent_id, "granted", reason, on, as_nation, fmt)


@consent_app.command("deny")
def consent_deny(
    consent_id: str = typer.Argument(...),
    reason: str = typer.Option(..., help="why"),
    on: str | None = typer.Option(None),
    as_nation: str | None = typer.Option(None, "--as", help="answering origin"),
    fmt: Format = FormatOption,
    wide: bool = WideOption,
) -> None:
    """Deny a re-export consent request (as the origin state)."""
    _answer(consent_id, "denied", reason, on, as_nation, fmt)


@consent_app.command("expire")
def consent_expire(
    on: str | None = typer.Option(None, help="expire as of this date (default today)"),
    fmt: Format = FormatOption,
) -> None:
    """Record the expiry of consent requests left unanswered past their date, and settle
    the allocations waiting on them (one transaction, a ledger entry each)."""
    from allied.service.access import expire_consents

    day = parse_day(on, "--on")
    ids = _run(expire_consents, _caller(), day)
    emit(
        [{"expired": c} for c in ids],
        fmt,
        title=f"Consent requests expired ({len(ids)})",
        columns=["expired"],
    )


@consent_app.command("policy")
def consent_policy(
    origin: str | None = typer.Argument(None, help="origin state; omit to list policies"),
    policy: str | None = typer.Option(None, help="restrictive, permissive or case-by-case"),
    since: str | None = typer.Option(None, help="YYYY-MM-DD (default today)"),
    source: str | None = typer.Option(
        None,
        help="where the policy is declared (as the API's and the dashboard's source); "
        'not given: the source recorded earlier is kept; --source "" clears it',
    ),
    fmt: Format = FormatOption,
    wide: bool = WideOption,
) -> None:
    """Show standing consent policies, or set one origin's policy."""
    from allied.service.access import list_consent_policies, set_consent_policy

    if origin is None:
        emit(_run(list_consent_policies, _caller()), fmt, title="Standing consent policies")
        return
    day = parse_day(since, "--since")
    emit(
        [_run(set_consent_policy, _caller(), origin, policy or "", since=day,
              today=dt.date.today(), source=source)],
        fmt,
    )


ALLOCATION_COLUMNS = ["id", "offer", "request", "quantity", "status", "needs_consent", "updated_at"]


@allocation_app.command("list")
def allocation_list(fmt: Format = FormatOption, wide: bool = WideOption) -> None:
    """List allocations with their lifecycle status."""
    import datetime as dt

    from allied.service.access import list_allocations

    rows = _run(list_allocations, _caller(), dt.date.today(), limit=_EVERY).items
    emit(rows, fmt, title=f"Allocations ({len(rows)})")


@allocation_app.command("advance")
def allocation_advance(
    allocation_id: str = typer.Argument(...),
    to: str = typer.Option(
        ...,
        "--to",
        help="pledged, consent-pending, approved, shipped, "
        "delivered, rejected, withdrawn, lost, in-repair, returned",
    ),
    on: str | None = typer.Option(None, help="date (default today)"),
    expiry_days: int = typer.Option(30, help="days an origin has to answer a consent request"),
    fmt: Format = FormatOption,
    wide: bool = WideOption,
) -> None:
    """Move an allocation along its lifecycle (consent-pending asks the origin states)."""
    from allied.service.access import advance_allocation

    day = parse_day(on, "--on")
    with errors_to_exit():
        if expiry_days < 1:
            from allied.domain.errors import InvalidInput

            raise InvalidInput("must be at least 1", field="expiry_days")
    view = _run(
        advance_allocation, _caller(), day, allocation_id, to.strip(), expiry_days=expiry_days
    )
    if fmt is Format.JSON:
        emit([view], fmt)
        return
    consents = " ".join(f"{c['origin']}:{c['consent']}:{c['status']}" for c in view["consents"])
    row = {**view, "moves": _moves_cell(view["moves"]), "consents": consents}
    row["expired_moves"] = _moves_cell(view["expired_moves"])
    emit(
        [row],
        fmt,
        columns=[*ALLOCATION_COLUMNS, "moves", "consents", "expired_moves"]
        if fmt is Format.CSV
        else ALLOCATION_COLUMNS,
    )
    if fmt is Format.TABLE:
        out = console()
        _print_moves(view["moves"])
        for c in view["consents"]:
            asked = "asked" if c["new"] else "already answered"
            out.print(
                f"consent of {c['origin']}: {c['consent']} ({asked}) {c['status']}: "
                f"{c['answered_by']}",
                highlight=False,
            )
        if view["expired_moves"]:
            out.print("unanswered consents past their expiry, recorded now:", highlight=False)
            _print_moves(view["expired_moves"])


def register(app: typer.Typer) -> None:
    decide_app.add_typer(accession_app, name="accession")
    app.add_typer(decide_app, name="decide")
    app.add_typer(consent_app, name="consent")
    app.add_typer(allocation_app, name="allocation")
