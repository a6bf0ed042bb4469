"""Every CLI job a role has, in the dashboard (issue 19): user management for the admin,
proposal revision and withdrawal and accession steps, standing consent policies, imports
and downloads, the monitor's extract and review, and the allocation's preview then
acceptance. Each form is one checked use-case: the role that may not is refused (403)
with nothing written, bad input names its field, and an irreversible action asks for a
confirmation and a reason, which the ledger records. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from allied.adapters.db.repository_users import SqlServiceUnitOfWork, service_sessions
from allied.bootstrap import Store
from allied.domain.rules import Rule
from allied.entrypoints.api import create_app
from allied.service import access
from allied.service.caller import Caller
from allied.service.users import add_user, authenticate
from needs import confirm_needs
from web.support import TODAY
from web.test_web_pages import USERS, Web


@pytest.fixture
def web(store: Store) -> Iterator[Web]:
    """The app over a store (each backend), with the users of ``test_web_pages``."""
    app = create_app(store=store, today=lambda: TODAY)
    tokens = {}
    for name, (role, nation) in USERS.items():
        uow = SqlServiceUnitOfWork(service_sessions(store.engine))
        made = add_user(uow, Caller("test-admin"), name=name, role=role, nation=nation)
        tokens[name] = made.token
    yield Web(app, store, tokens)


def _entries(web: Web, kind: str | None = None) -> list[dict[str, Any]]:
    rows = list(access.ledger_entries(web.uow(), web.caller("audit"), limit=100_000).items)
    return [r for r in rows if kind is None or r["kind"] == kind]


def _count(web: Web) -> int:
    return len(_entries(web))


# -- users (admin) ----------------------------------------------------------------------


def test_the_admin_page_reads_the_users_once(web: Web) -> None:
    """The list and each user's token version (the reset forms') come from one read of
    the users table; the page is as before (every user, a reset form carrying its
    version)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from allied.service.users import token_version

    admin = web.signed_in("admin")
    reads: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        # every read of the whole users table (a signed-in session's own lookup is by id)
        if re.search(r"\bFROM users\b", statement) and not re.search(
            r"\bFROM users\b[^;]*\bWHERE\b", statement
        ):
            reads.append(statement)

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        page = admin.get("/admin/users")
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    assert page.status_code == 200
    assert len(reads) == 1, reads
    with web.uow() as uow:
        users = uow.users.list()
        versions = {u.name: token_version(u) for u in users}
    for name, version in versions.items():
        assert f'id="user-{name}"' in page.text or f">{name}<" in page.text, name
        assert f'name="version" value="{version}"' in page.text, name


def test_the_admin_adds_a_user_resets_its_token_and_disables_it(web: Web) -> None:
    admin = web.signed_in("admin")
    page = admin.get("/admin/users")
    assert page.status_code == 200 and 'id="users"' in page.text
    # only valid choices: the roles and the states of the reference data
    assert '<option value="recipient">' in page.text and '<option value="UKR">' in page.text
    made = admin.post(
        "/admin/users",
        data={"name": "pol-donor", "role": "donor", "nation": "POL", "csrf": web.csrf("admin")},
    )
    assert made.status_code == 200
    token = re.search(r'id="tok-value" readonly value="([^"]+)"', made.text)
    assert token, made.text
    caller = authenticate(web.uow(), token.group(1))
    assert caller is not None and caller.role == "donor" and caller.nation == "POL"
    assert token.group(1) not in admin.get("/admin/users").text  # shown once
    # a national role needs its nation: the error is beside the field, what was typed kept
    bad = admin.post(
        "/admin/users",
        data={"name": "nobody", "role": "origin", "nation": "", "csrf": web.csrf("admin")},
    )
    assert bad.status_code == 422
    assert 'id="u-nation" name="nation" aria-invalid="true" aria-describedby="u-nation-err"' in (
        bad.text
    )
    assert 'id="u-nation-err"' in bad.text and 'value="nobody"' in bad.text
    # an auditor reads every nation and acts for none: a nation is refused beside the field
    before_auditor = _count(web)
    nation_auditor = admin.post(
        "/admin/users",
        data={"name": "aud2", "role": "auditor", "nation": "DEU", "csrf": web.csrf("admin")},
    )
    assert nation_auditor.status_code == 422 and 'id="u-nation-err"' in nation_auditor.text
    assert "acts for no nation" in nation_auditor.text and _count(web) == before_auditor
    # reset: confirmed, sent once; the old token stops working
    page = admin.get("/admin/users").text
    version = re.search(
        r'action="/admin/users/pol-donor/reset"[^>]*>\s*<input type="hidden" name="csrf"'
        r'[^>]*>\s*<input type="hidden" name="version" value="([0-9a-f]+)"', page)
    assert version and "<summary>Reset token…</summary>" in page
    unconfirmed = admin.post("/admin/users/pol-donor/reset",
                             data={"csrf": web.csrf("admin"), "version": version.group(1)})
    assert unconfirmed.status_code == 422 and 'id="rst-pol-donor-confirm-err"' in unconfirmed.text
    assert authenticate(web.uow(), token.group(1)) is not None  # nothing changed
    sent = {"csrf": web.csrf("admin"), "version": version.group(1), "confirm": "yes"}
    reset = admin.post("/admin/users/pol-donor/reset", data=sent)
    new = re.search(r'id="tok-value" readonly value="([^"]+)"', reset.text)
    assert new and authenticate(web.uow(), token.group(1)) is None
    assert authenticate(web.uow(), new.group(1)) is not None
    # the result page reloaded sends the same post: refused, the token just shown still works
    before_reload = _count(web)
    again = admin.post("/admin/users/pol-donor/reset", data=sent)
    assert again.status_code == 409 and "already replaced" in again.text
    assert 'id="tok-value"' not in again.text
    assert authenticate(web.uow(), new.group(1)) is not None and _count(web) == before_reload
    # nobody disables the user they are signed in as
    own = admin.post(
        "/admin/users/admin/disable",
        data={"reason": "oops", "confirm": "yes", "csrf": web.csrf("admin")},
    )
    assert own.status_code == 422 and authenticate(web.uow(), web.tokens["admin"]) is not None
    # disabling asks for a confirmation and a reason, and records the reason
    before = _count(web)
    unconfirmed = admin.post(
        "/admin/users/pol-donor/disable", data={"reason": "left", "csrf": web.csrf("admin")}
    )
    assert unconfirmed.status_code == 422 and 'aria-describedby="dis-' in unconfirmed.text
    assert _count(web) == before and authenticate(web.uow(), new.group(1)) is not None
    done = admin.post(
        "/admin/users/pol-donor/disable",
        data={"reason": "left the cell", "confirm": "yes", "csrf": web.csrf("admin")},
    )
    assert done.status_code == 303 and "ok=disabled" in done.headers["location"]
    assert authenticate(web.uow(), new.group(1)) is None
    assert _entries(web, "user.revoked")[-1]["payload"]["reason"] == "left the cell"


@pytest.mark.parametrize("user", ["coord", "est", "deu", "ukr", "audit"])
def test_no_other_role_manages_users(web: Web, user: str) -> None:
    client = web.signed_in(user)
    assert client.get("/admin/users").status_code == 403
    before = _count(web)
    refused = client.post(
        "/admin/users", data={"name": "x1", "role": "auditor", "csrf": web.csrf(user)}
    )
    assert refused.status_code == 403
    refused = client.post("/admin/users/coord/reset", data={"csrf": web.csrf(user)})
    assert refused.status_code == 403
    assert _count(web) == before
    assert 'href="/admin/users"' not in client.get("/").text


# -- governance: revise, withdraw, accession steps ---------------------------------------


def _proposal(web: Web) -> str:
    made = access.propose(
        web.uow(), web.caller("coord"), forum="NATO", rule=Rule.CONSENSUS_SILENCE,
        title="Air defence for Kharkiv", on=TODAY, deadline=TODAY + dt.timedelta(days=10),
        text="first text",
    )
    return str(made["id"])


def test_the_coordinator_revises_and_withdraws_a_proposal(web: Web) -> None:
    pid = _proposal(web)
    coord = web.signed_in("coord")
    page = coord.get("/decisions").text
    assert f'action="/proposals/{pid}/revise"' in page
    assert f'action="/proposals/{pid}/withdraw"' in page
    assert f'action="/proposals/{pid}/revise"' not in web.signed_in("est").get("/decisions").text
    bad = coord.post(
        f"/proposals/{pid}/revise",
        data={"text": "second text", "deadline": "soon", "csrf": web.csrf("coord")},
    )
    assert bad.status_code == 422
    assert f'aria-describedby="rv-{pid}-deadline-err"' in bad.text and "second text" in bad.text
    done = coord.post(
        f"/proposals/{pid}/revise",
        data={"text": "second text", "deadline": "2024-06-20", "csrf": web.csrf("coord")},
    )
    assert done.status_code == 303 and "ok=revised" in done.headers["location"]
    got = access.get_proposal(web.uow(), web.caller("coord"), TODAY, pid)
    assert got["version"] == 2 and got["deadline"] == "2024-06-20"
    # withdrawing asks for a confirmation and a reason; refused, nothing is written
    before = _count(web)
    for form in ({"reason": "moot"}, {"confirm": "yes", "reason": " "}):
        refused = coord.post(f"/proposals/{pid}/withdraw", data={**form, "csrf": web.csrf("coord")})
        assert refused.status_code == 422 and f'aria-describedby="wd-{pid}-' in refused.text
    assert _count(web) == before
    gone = coord.post(
        f"/proposals/{pid}/withdraw",
        data={"confirm": "yes", "reason": "overtaken by events", "csrf": web.csrf("coord")},
    )
    assert gone.status_code == 303
    entry = _entries(web, "proposal.withdrawn")[-1]
    assert entry["payload"]["reason"] == "overtaken by events"
    assert access.get_proposal(web.uow(), web.caller("coord"), TODAY, pid)["status"] == "withdrawn"
    # the reason is a field the ledger keeps; the chain verifies and replays
    assert access.verify_ledger(web.uow(), web.caller("audit")) == _count(web)
    assert access.verify_records(web.uow(), web.caller("audit")).differences == []


@pytest.mark.parametrize("user", ["est", "deu", "ukr", "audit", "admin"])
def test_only_the_coordinator_revises_withdraws_and_steps_accessions(web: Web, user: str) -> None:
    pid = _proposal(web)
    client = web.signed_in(user)
    before = _count(web)
    csrf = web.csrf(user)
    assert client.post(
        f"/proposals/{pid}/revise", data={"text": "x", "deadline": "2024-07-01", "csrf": csrf}
    ).status_code == 403
    assert client.post(
        f"/proposals/{pid}/withdraw", data={"confirm": "yes", "reason": "x", "csrf": csrf}
    ).status_code == 403
    assert client.post(
        "/accessions", data={"id": "X-NATO", "candidate": "UKR", "org": "NATO", "csrf": csrf}
    ).status_code == 403
    assert _count(web) == before
    assert 'action="/accessions"' not in client.get("/decisions").text


def test_the_coordinator_takes_an_accession_through_its_steps(web: Web) -> None:
    coord = web.signed_in("coord")
    csrf = web.csrf("coord")
    page = coord.get("/decisions").text
    assert '<select id="ap-candidate"' in page and '<option value="NATO">' in page
    unknown = coord.post(
        "/accessions", data={"id": "BIH-NATO", "candidate": "", "org": "NATO", "csrf": csrf}
    )
    assert unknown.status_code == 422 and 'aria-describedby="ap-candidate-err"' in unknown.text
    done = coord.post(
        "/accessions",
        data={"id": "BIH-NATO", "candidate": "BIH", "org": "NATO", "on": "2024-01-10",
              "csrf": csrf},
    )
    assert done.status_code == 303, done.text
    # the next step only: applied -> invite
    page = coord.get("/decisions").text
    assert 'aria-label="Invite (BIH-NATO)"' in page
    wrong = coord.post("/accessions/BIH-NATO/step", data={"step": "join", "csrf": csrf})
    assert wrong.status_code in (409, 422)
    for step in ("invite", "sign"):
        ok = coord.post("/accessions/BIH-NATO/step", data={"step": step, "csrf": csrf})
        assert ok.status_code == 303, ok.text
    row = next(
        a for a in access.list_accessions(web.uow(), web.caller("coord"), TODAY).items
        if a["id"] == "BIH-NATO"
    )
    assert row["stage"] == "signed" and row["pending"]
    state = row["pending"][0]
    ok = coord.post(
        "/accessions/BIH-NATO/step", data={"step": "ratify", "state": state, "csrf": csrf}
    )
    assert ok.status_code == 303
    assert len(_entries(web, "accession.ratify")) == 1


def test_an_objection_without_a_reason_is_refused_beside_the_reason_field(web: Web) -> None:
    pid = _proposal(web)
    before = _count(web)
    # the decisions page: the coordinator for HUN, then a nation for itself
    for user, data in (("coord", {"actor": "HUN"}), ("est", {})):
        refused = web.signed_in(user).post(
            f"/decisions/{pid}/position",
            data={**data, "position": "no", "reason": "  ", "csrf": web.csrf(user)},
        )
        assert refused.status_code == 422
        assert f'aria-describedby="{pid}-why-err"' in refused.text
        assert "give a reason for breaking silence" in refused.text
    # the proposal's own page: the error comes back there, beside its Reason
    refused = web.signed_in("coord").post(
        f"/decisions/{pid}/position",
        data={"actor": "TUR", "position": "no", "reason": "", "back": "record",
              "csrf": web.csrf("coord")},
    )
    assert refused.status_code == 422 and f"Proposal <code>{pid}</code>" in refused.text
    assert 'aria-describedby="pos-reason-err"' in refused.text
    assert '<option value="TUR" selected>' in refused.text
    assert _count(web) == before
    done = web.signed_in("coord").post(
        f"/decisions/{pid}/position",
        data={"actor": "TUR", "position": "no", "reason": "not now", "back": "record",
              "csrf": web.csrf("coord")},
    )
    assert done.status_code == 303 and done.headers["location"].startswith(f"/proposals/{pid}?")
    assert _entries(web, "proposal.silence-broken")[-1]["payload"]["reason"] == "not now"


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [({"forum": "NATO", "rule": "qmv"}, "rule", "NATO decides by consensus-silence, not qmv"),
     ({"forum": "NATO", "rule": "consensus-silence", "deadline": "9999-12-31"}, "deadline",
      "more than a year after")],
)
def test_a_proposal_under_a_rule_its_forum_does_not_use_or_too_far_ahead_is_refused(
    web: Web, form: dict[str, str], field: str, message: str
) -> None:
    coord = web.signed_in("coord")
    page = coord.get("/decisions").text
    assert '<option value="qmv">qmv (EU)</option>' in page
    assert "consensus-silence (NATO, G7, other organisations)" in page
    before = _count(web)
    data = {"title": "Trainers", "deadline": "2024-06-20", **form, "csrf": web.csrf("coord")}
    refused = coord.post("/decisions", data=data)
    assert refused.status_code == 422 and message in refused.text
    assert f'aria-describedby="pr-{field}-err"' in refused.text
    assert _count(web) == before


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [({"id": "FIN-NATO-AGAIN", "candidate": "FIN", "org": "NATO"}, "candidate",
      "FIN is a member of NATO since 2023-04-04"),
     ({"id": "UKR-NATO", "candidate": "UKR", "org": "NATO", "on": "2999-01-01"}, "on",
      "after today")],
)
def test_an_application_by_a_member_or_dated_after_today_is_refused(
    web: Web, form: dict[str, str], field: str, message: str
) -> None:
    coord = web.signed_in("coord")
    before = _count(web)
    refused = coord.post("/accessions", data={**form, "csrf": web.csrf("coord")})
    assert refused.status_code == 422 and message in refused.text
    assert f'aria-describedby="ap-{field}-err"' in refused.text
    assert _count(web) == before


def test_an_accession_step_after_today_is_refused(web: Web) -> None:
    coord = web.signed_in("coord")
    csrf = web.csrf("coord")
    done = coord.post("/accessions", data={"id": "BIH-NATO", "candidate": "BIH", "org": "NATO",
                                           "on": "2024-01-10", "csrf": csrf})
    assert done.status_code == 303
    before = _count(web)
    refused = coord.post("/accessions/BIH-NATO/step",
                         data={"step": "invite", "on": "2024-06-02", "csrf": csrf})
    assert refused.status_code == 422 and 'aria-describedby="ac-BIH-NATO-on-err"' in refused.text
    assert _count(web) == before


# -- standing consent policies -----------------------------------------------------------


def test_a_standing_policy_starting_after_today_is_refused(web: Web) -> None:
    deu = web.signed_in("deu")
    before = _count(web)
    refused = deu.post(
        "/consents/policies",
        data={"policy": "restrictive", "since": "2999-12-31", "source": "Bundestag",
              "csrf": web.csrf("deu")},
    )
    assert refused.status_code == 422 and "after today" in refused.text
    assert 'aria-describedby="cp-since-err"' in refused.text
    assert _count(web) == before
    done = deu.post(
        "/consents/policies",
        data={"policy": "restrictive", "since": TODAY.isoformat(), "source": "Bundestag",
              "csrf": web.csrf("deu")},
    )
    assert done.status_code == 303


def test_an_origin_sets_its_own_standing_policy_and_everyone_reads_it(web: Web) -> None:
    deu = web.signed_in("deu")
    page = deu.get("/consents/policies")
    assert page.status_code == 200 and 'value="DEU"' in page.text
    assert 'href="/consents/policies"' in deu.get("/consents").text
    bad = deu.post(
        "/consents/policies", data={"policy": "sometimes", "csrf": web.csrf("deu")}
    )
    assert bad.status_code == 422 and 'aria-describedby="cp-policy-err"' in bad.text
    done = deu.post(
        "/consents/policies",
        data={"policy": "restrictive", "source": "Bundestag 2024", "csrf": web.csrf("deu")},
    )
    assert done.status_code == 303
    # an origin sets only its own; the coordinator any
    other = deu.post(
        "/consents/policies",
        data={"origin": "USA", "policy": "permissive", "csrf": web.csrf("deu")},
    )
    assert other.status_code == 403
    assert web.signed_in("coord").post(
        "/consents/policies",
        data={"origin": "USA", "policy": "permissive", "csrf": web.csrf("coord")},
    ).status_code == 303
    for user in ("est", "ukr", "audit"):
        client = web.signed_in(user)
        shown = client.get("/consents/policies").text
        assert 'id="policy-DEU"' in shown and "restrictive" in shown
        assert 'action="/consents/policies"' not in shown
        assert client.post(
            "/consents/policies", data={"policy": "permissive", "csrf": web.csrf(user)}
        ).status_code == 403
    policies = access.list_consent_policies(web.uow(), web.caller("audit"))
    set_here = {p["origin"]: p["policy"] for p in policies if p["origin"] in ("DEU", "USA")}
    assert set_here == {"DEU": "restrictive", "USA": "permissive"}
    # a blank source keeps the one recorded (as the API and the CLI without --source)
    assert deu.post(
        "/consents/policies", data={"policy": "case-by-case", "source": "",
                                    "csrf": web.csrf("deu")},
    ).status_code == 303
    kept = access.list_consent_policies(web.uow(), web.caller("audit"))
    assert next(p for p in kept if p["origin"] == "DEU") == {
        "origin": "DEU", "policy": "case-by-case", "since": TODAY.isoformat(),
        "source": "Bundestag 2024",
    }


# -- data: imports and downloads ---------------------------------------------------------


def test_the_coordinator_imports_kiel_and_sipri_files(web: Web) -> None:
    from allied.ingest.kiel import builtin_kiel_path
    from allied.ingest.sipri import builtin_sipri_path

    coord = web.signed_in("coord")
    page = coord.get("/data").text
    assert '<option value="kiel">' in page and '<option value="sipri">' in page
    kiel = builtin_kiel_path().read_bytes()
    done = coord.post(
        "/data/import",
        data={"kind": "kiel", "csrf": web.csrf("coord")},
        files={"file": ("kiel.csv", kiel, "text/csv")},
    )
    assert done.status_code == 200 and 'id="import-done"' in done.text, done.text[-2000:]
    assert len(_entries(web, "public.kiel.imported")) == 1
    sipri = builtin_sipri_path().read_bytes()
    ok = coord.post(
        "/data/import",
        data={"kind": "sipri", "csrf": web.csrf("coord")},
        files={"file": ("trade-register.csv", sipri, "text/csv")},
    )
    assert ok.status_code == 200 and 'id="import-done"' in ok.text
    # the same files again, under other names: nothing changes, nothing is written
    before = _count(web)
    for kind, body in (("kiel", kiel), ("sipri", sipri)):
        same = coord.post(
            "/data/import",
            data={"kind": kind, "csrf": web.csrf("coord")},
            files={"file": (f"copy-of-{kind}.csv", body, "text/csv")},
        )
        assert same.status_code == 200 and " 0 changed" in same.text, same.text[-1500:]
    assert _count(web) == before
    # an empty file is named as empty, not as a file missing
    empty = coord.post(
        "/data/import",
        data={"kind": "kiel", "csrf": web.csrf("coord")},
        files={"file": ("empty.csv", b"", "text/csv")},
    )
    assert empty.status_code == 422 and "empty.csv is empty" in empty.text
    # a broken line is named, beside the file field, and nothing is written
    before = _count(web)
    lines = kiel.decode("utf-8").splitlines()
    lines[3] = lines[3].replace(",", ";", 3)
    broken = coord.post(
        "/data/import",
        data={"kind": "kiel", "csrf": web.csrf("coord")},
        files={"file": ("broken.csv", "\n".join(lines).encode(), "text/csv")},
    )
    assert broken.status_code == 422
    assert "broken.csv, line 4" in broken.text and 'aria-describedby="i-file-err"' in broken.text
    assert _count(web) == before


def test_requests_import_from_a_file_names_the_bad_line(web: Web) -> None:
    ukr = web.signed_in("ukr")
    good = (
        "recipient,family,quantity,priority,needed_by\n"
        "UKR,atgm,40,4,2024-09-01\nUKR,atgm,10,2,2024-10-01\n"
    )
    done = ukr.post(
        "/data/import", data={"kind": "requests", "csrf": web.csrf("ukr")},
        files={"file": ("mine.csv", good.encode(), "text/csv")},
    )
    assert done.status_code == 200 and "2 requests recorded" in done.text
    before = _count(web)
    bad = good.replace("10,2", "ten,2")
    refused = ukr.post(
        "/data/import", data={"kind": "requests", "csrf": web.csrf("ukr")},
        files={"file": ("mine.csv", bad.encode(), "text/csv")},
    )
    assert refused.status_code == 422 and "line 3" in refused.text
    assert _count(web) == before
    # a recipient imports no public data and no offers
    assert '<option value="kiel">' not in ukr.get("/data").text
    no = ukr.post(
        "/data/import", data={"kind": "kiel", "csrf": web.csrf("ukr")},
        files={"file": ("k.csv", b"x", "text/csv")},
    )
    assert no.status_code == 422 and 'aria-describedby="i-kind-err"' in no.text


def test_reports_and_the_ledger_download_in_the_clis_formats(web: Web) -> None:
    from allied.ingest.kiel import builtin_kiel_path, read_kiel
    from allied.service.public_data import import_kiel

    import_kiel(web.uow(), web.caller("coord"), read_kiel(builtin_kiel_path()))
    est = web.signed_in("est")
    for fmt, kind in (("csv", "text/csv"), ("json", "application/json"),
                      ("png", "image/png"), ("html", "text/html")):
        got = est.get(f"/data/report?name=burden&format={fmt}")
        assert got.status_code == 200 and got.headers["content-type"].startswith(kind), fmt
        assert got.headers["content-disposition"] == f'attachment; filename="burden.{fmt}"'
    assert est.get("/data/report?name=burden&format=png").content[:8] == b"\x89PNG\r\n\x1a\n"
    json.loads(est.get("/data/report?name=burden&format=json").text)
    # gaps sums every nation's records: not for a donor
    refused = est.get("/data/report?name=gaps&format=csv")
    assert refused.status_code == 422 and 'aria-describedby="d-report-err"' in refused.text
    assert web.signed_in("coord").get("/data/report?name=gaps&format=csv").status_code == 200
    # the ledger: the auditor's and the coordinator's, one entry a line, nothing written
    before = _count(web)
    ledger = web.signed_in("audit").get("/data/ledger.jsonl")
    assert ledger.status_code == 200
    rows = [json.loads(line) for line in ledger.text.splitlines()]
    assert len(rows) == before and rows[-1]["seq"] == before
    assert _count(web) == before
    assert est.get("/data/ledger.jsonl").status_code == 403
    assert 'href="/data/ledger.jsonl"' not in est.get("/data").text


# -- the monitor: extract, review ----------------------------------------------------------

TEXT = (
    "Germany refused Estonia permission to pass on the howitzers. "
    "Washington cleared Latvia to transfer American-made missiles to Ukraine. "
    "Italy called for an immediate ceasefire."
)


def test_the_coordinator_extracts_from_a_text_and_reviews_the_events(web: Web) -> None:
    coord = web.signed_in("coord")
    form = {"document": "brief-1", "date": "2022-01", "text": TEXT, "csrf": web.csrf("coord")}
    before = _count(web)
    preview = coord.post("/monitor/extract", data={**form, "action": "preview"})
    assert preview.status_code == 200 and 'id="extracted"' in preview.text
    assert "<mark>refused</mark>" in preview.text
    assert "A preview: nothing is recorded." in preview.text
    assert _count(web) == before
    saved = coord.post("/monitor/extract", data={**form, "action": "save"})
    assert saved.status_code == 200 and "Recorded for review: 4 new" in saved.text
    review = coord.get("/monitor/review").text
    ids = re.findall(r'<article class="panel" id="ev-([^"]+)"', review)
    assert len(ids) == 4 and "<mark>called for</mark>" in review
    events = {e.actor: e.id for e in access.list_monitor_events(
        web.uow(), _events_of(), web.caller("coord"))}
    confirm = coord.post(
        f"/monitor/events/{events['DEU']}/confirm", data={"csrf": web.csrf("coord")}
    )
    assert confirm.status_code == 303
    # a correction names its field; the actor must be known
    corrected = coord.post(
        f"/monitor/events/{events['ITA']}/correct",
        data={"actor": "ITA", "type": "call-for", "target": "", "date": "2022-02",
              "note": "dated in February", "csrf": web.csrf("coord")},
    )
    assert corrected.status_code == 303
    # rejecting asks for a confirmation and a reason
    rid = events["USA"]
    refused = coord.post(
        f"/monitor/events/{rid}/reject", data={"note": "", "csrf": web.csrf("coord")}
    )
    assert refused.status_code == 422 and f'aria-describedby="rv-{rid}-confirm-err"' in refused.text
    rejected = coord.post(
        f"/monitor/events/{rid}/reject",
        data={"note": "misread", "confirm": "yes", "csrf": web.csrf("coord")},
    )
    assert rejected.status_code == 303
    assert _entries(web, "monitor.reject")[-1]["payload"]["note"] == "misread"
    states = {e.id: e.status.value for e in access.list_monitor_events(
        web.uow(), _events_of(), web.caller("coord"))}
    assert states[events["DEU"]] == "confirmed" and states[events["ITA"]] == "corrected"
    assert states[rid] == "rejected"
    # a confirmed event can be corrected or retracted (a mis-click is not for good); a
    # rejected one offers nothing more
    page = coord.get("/monitor/review?status=confirmed").text
    deu = page[page.index(f'id="ev-{events["DEU"]}"'):]
    deu = deu[:deu.index("</article>")]
    assert "<summary>Correct…</summary>" in deu and "<summary>Retract…</summary>" in deu
    assert "/confirm" not in deu
    retracted = coord.post(
        f"/monitor/events/{events['DEU']}/reject",
        data={"note": "the sentence denies it", "confirm": "yes", "csrf": web.csrf("coord")},
    )
    assert retracted.status_code == 303
    assert _entries(web, "monitor.reject")[-1]["payload"]["note"] == "the sentence denies it"
    gone = coord.get("/monitor/review?status=rejected").text
    assert "<summary>Correct…</summary>" not in gone and "Retract…" not in gone
    again = coord.post(
        f"/monitor/events/{rid}/confirm", data={"csrf": web.csrf("coord")}
    )
    assert again.status_code == 409


def _events_of() -> Any:
    from allied.adapters.db.tables_monitor import sql_monitor_events

    return sql_monitor_events


def test_the_auditor_previews_but_does_not_record_or_review(web: Web) -> None:
    audit = web.signed_in("audit")
    form = {"document": "b", "text": TEXT, "csrf": web.csrf("audit")}
    assert audit.post("/monitor/extract", data={**form, "action": "preview"}).status_code == 200
    assert 'value="save"' not in audit.get("/monitor/review").text
    before = _count(web)
    assert audit.post("/monitor/extract", data={**form, "action": "save"}).status_code == 403
    assert _count(web) == before
    empty = audit.post("/monitor/extract", data={**form, "text": " ", "action": "preview"})
    assert empty.status_code == 422 and 'aria-describedby="mx-text-err"' in empty.text


@pytest.mark.parametrize("user", ["est", "deu", "ukr", "admin"])
def test_the_record_of_events_is_not_for_national_roles(web: Web, user: str) -> None:
    client = web.signed_in(user)
    assert client.get("/monitor/review").status_code == 403
    refused = client.post(
        "/monitor/extract",
        data={"document": "b", "text": TEXT, "action": "preview", "csrf": web.csrf(user)},
    )
    assert refused.status_code == 403


# -- allocation: preview, then accept ------------------------------------------------------


def test_the_coordinator_previews_a_plan_then_accepts_a_selection(web: Web) -> None:
    confirm_needs(web.uow, TODAY)  # lines are accepted: their needs not past
    coord = web.signed_in("coord")
    before = _count(web)
    base = {"as_of": "2024-06-01", "solver": "auto", "csrf": web.csrf("coord")}
    preview = coord.post("/allocation/preview", data=base)
    assert preview.status_code == 200 and 'id="plan-accept"' in preview.text
    assert _count(web) == before  # a dry run
    lines = re.findall(r'name="lines" value="([^"]+)"', preview.text)
    sig = re.search(r'name="plan_signature" value="([^"]+)"', preview.text)
    assert len(lines) >= 2 and sig
    nothing = coord.post(
        "/allocation/accept", data={**base, "plan_signature": sig.group(1)}
    )
    assert nothing.status_code == 422 and _count(web) == before
    stale = coord.post(
        "/allocation/accept", data={**base, "plan_signature": "0" * 32, "lines": lines[:1]}
    )
    assert stale.status_code == 422 and "changed since the preview" in stale.text
    assert _count(web) == before
    done = coord.post(
        "/allocation/accept", data={**base, "plan_signature": sig.group(1), "lines": lines[:2]}
    )
    assert done.status_code == 303 and "ok=accepted&ref=2" in done.headers["location"]
    rows = access.list_allocations(web.uow(), web.caller("coord"), TODAY, limit=1000).items
    pledged = [a for a in rows if a["status"] == "pledged"]
    proposed = [a for a in rows if a["status"] == "proposed"]
    assert len(pledged) == 2 and len(proposed) == len(lines) - 2
    assert {f"{a['offer']}|{a['request']}|{a['quantity']}" for a in pledged} == set(lines[:2])


@pytest.mark.parametrize("user", ["est", "deu", "ukr", "audit"])
def test_only_the_coordinator_previews_and_accepts_plans(web: Web, user: str) -> None:
    client = web.signed_in(user)
    base = {"as_of": "2024-06-01", "solver": "auto", "csrf": web.csrf(user)}
    assert client.post("/allocation/preview", data=base).status_code == 403
    before = _count(web)
    refused = client.post(
        "/allocation/accept", data={**base, "plan_signature": "x", "lines": ["a|b|1"]}
    )
    assert refused.status_code == 403 and _count(web) == before


# -- a session that ran out keeps what was typed -------------------------------------------


def test_a_form_sent_after_the_session_ended_comes_back_filled_after_signing_in(
    web: Web,
) -> None:
    client = web.anonymous()  # no session: as if it had expired
    typed = {"recipient": "UKR", "family": "atgm", "quantity": "77", "priority": "4",
             "needed_by": "2024-09-01", "notes": "typed before the session ended",
             "csrf": "stale"}
    before = _count(web)
    held = client.post("/requests", data=typed)
    assert held.status_code == 401 and 'id="carry-note"' in held.text
    assert 'name="carry.notes" value="typed before the session ended"' in held.text
    assert 'name="carry.csrf"' not in held.text and _count(web) == before
    login_csrf = re.search(r'name="csrf" value="([^"]+)"', held.text)
    assert login_csrf
    carry = {f"carry.{k}": v for k, v in typed.items() if k != "csrf"}
    back = client.post(
        "/login",
        data={"token": web.tokens["ukr"], "csrf": login_csrf.group(1), "next": "/requests",
              **carry},
    )
    # signed in, and the form is given back filled; nothing was sent for the user
    assert back.status_code == 200 and 'id="resume-form"' in back.text
    assert 'action="/requests"' in back.text
    assert 'value="typed before the session ended"' in back.text
    assert _count(web) == before
    csrf = re.search(r'name="csrf" value="([^"]+)"', back.text)
    assert csrf
    sent = client.post("/requests", data={**typed, "csrf": csrf.group(1)})
    assert sent.status_code == 303 and _count(web) == before + 1


# -- the pledge form offers only the requests its offer can fill ---------------------------


def test_the_pledge_form_lists_only_requests_matching_the_offer(web: Web) -> None:
    data = {"recipient": "UKR", "quantity": 50, "priority": 3, "needed_by": "2024-09-01",
            "releasability": "public"}
    atgm = access.create_request(
        web.uow(), web.caller("ukr"), TODAY, {**data, "family": "atgm"}
    )["id"]
    other = access.create_request(
        web.uow(), web.caller("ukr"), TODAY, {**data, "family": "155mm-nato"}
    )["id"]
    offer = access.create_offer(
        web.uow(), web.caller("est"), TODAY,
        {"donor": "EST", "family": "atgm", "quantity": 30, "available_from": "2024-05-01",
         "releasability": "public"},
    )["id"]
    est = web.signed_in("est")
    page = est.get(f"/offers?pledge={offer}").text
    form = re.search(r'<form method="post" action="/pledges".*?</form>', page, re.S)
    assert form, "no pledge form"
    assert f'value="{atgm}"' in form.group(0) and f'value="{other}"' not in form.group(0)
    assert f'name="offer" value="{offer}"' in form.group(0)
    # a refused pledge keeps the offer chosen and what was typed, the error beside it
    refused = est.post(
        "/pledges",
        data={"offer": offer, "request": atgm, "quantity": "999", "csrf": web.csrf("est")},
    )
    assert refused.status_code in (409, 422)
    assert f'name="offer" value="{offer}"' in refused.text and 'value="999"' in refused.text
    done = est.post(
        "/pledges",
        data={"offer": offer, "request": atgm, "quantity": "20", "csrf": web.csrf("est")},
    )
    assert done.status_code == 303


# -- daily jobs: close proposals past their deadline, expire overdue records ----------------


def test_the_coordinator_runs_the_daily_jobs_from_the_browser(web: Web) -> None:
    made = access.propose(
        web.uow(), web.caller("coord"), forum="NATO", rule=Rule.CONSENSUS_SILENCE,
        title="Old", on=TODAY - dt.timedelta(days=30), deadline=TODAY - dt.timedelta(days=1),
    )
    coord = web.signed_in("coord")
    closed = coord.post("/proposals/close-due", data={"csrf": web.csrf("coord")})
    assert closed.status_code == 303 and "ok=closed-due" in closed.headers["location"]
    got = access.get_proposal(web.uow(), web.caller("coord"), TODAY, str(made["id"]))
    assert got["status"] in ("adopted", "rejected")
    # filed back then (on its needed-by day), long past now
    old = access.create_request(
        web.uow(), web.caller("ukr"), dt.date(2023, 1, 1),
        {"recipient": "UKR", "family": "atgm", "quantity": 5, "priority": 3,
         "needed_by": "2023-01-01"},
    )["id"]
    unconfirmed = coord.post("/data/expire", data={"grace_days": "90", "csrf": web.csrf("coord")})
    assert unconfirmed.status_code == 422 and 'aria-describedby="x-confirm-err"' in unconfirmed.text
    done = coord.post(
        "/data/expire", data={"grace_days": "90", "confirm": "yes", "csrf": web.csrf("coord")}
    )
    assert done.status_code == 303 and "ok=expired" in done.headers["location"]
    assert access.get_request(web.uow(), web.caller("coord"), TODAY, old)["status"] == "expired"
    for user in ("est", "ukr", "audit"):
        client = web.signed_in(user)
        assert client.post(
            "/data/expire", data={"confirm": "yes", "csrf": web.csrf(user)}
        ).status_code == 403
        assert client.post(
            "/proposals/close-due", data={"csrf": web.csrf(user)}
        ).status_code == 403


# -- the shared page catalogue: each new page opens for the roles it is listed for ----------

ROLE_USER = {"coordinator": "coord", "donor": "est", "origin": "deu", "recipient": "ukr",
             "auditor": "audit", "admin": "admin"}
NEW_PAGES = ("/consents/policies", "/data", "/monitor/review", "/admin/users")


def test_the_new_pages_of_the_catalogue_open_for_their_roles(web: Web) -> None:
    from web.page_catalogue import CATALOGUE

    listed = [(role, path) for role, path in CATALOGUE if path in NEW_PAGES]
    assert {path for _, path in listed} == set(NEW_PAGES)
    before = _count(web)
    for role, path in listed:
        page = web.signed_in(ROLE_USER[role]).get(path)
        assert page.status_code == 200, (role, path)
    assert _count(web) == before  # a GET never writes
    # and not for the roles left out of it
    for role, user in ROLE_USER.items():
        for path in NEW_PAGES:
            if (role, path) not in listed:
                assert web.signed_in(user).get(path).status_code == 403, (role, path)
