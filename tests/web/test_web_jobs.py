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
from typing import Any

import pytest

from allied.domain.rules import Rule
from allied.service import access
from allied.service.users import authenticate
from web.support import TODAY
from web.test_web_pages import Web, web  # noqa: F401  (the fixture)



def _entries(web: Web, kind: str | None = None) -> list[dict[str, Any]]:
    rows = list(access.ledger_entries(web.uow(), web.caller("audit"), limit=100_000).items)
    return [r for r in rows if kind is None or r["kind"] == kind]


def _count(web: Web) -> int:
    return len(_entries(web))


# -- users (admin) ----------------------------------------------------------------------


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
    # reset: the old token stops working
    reset = admin.post("/admin/users/pol-donor/reset", data={"csrf": web.csrf("admin")})
    new = re.search(r'id="tok-value" readonly value="([^"]+)"', reset.text)
    assert new and authenticate(web.uow(), token.group(1)) is None
    assert authenticate(web.uow(), new.group(1)) is not None
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
