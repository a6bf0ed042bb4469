"""The full cycle of the workflow in a real browser, and nothing else (issue 19).

``allied demo`` loads the demo data and makes a user per role; ``allied serve`` serves
it. From then on every step is a person in Debian's Chromium, each role in its own
browser context, with no API or CLI call: the recipient posts a request; a donor offers
German-made items and pledges some of them; the coordinator previews the allocation plan
(a dry run) and accepts one line of it; the donor asks Germany's re-export consent for
that pledge; Germany (the origin) grants it; the donor marks it shipped; the recipient
confirms receipt; the coordinator circulates a proposal and states vote on it; the
auditor verifies the ledger and downloads it; the admin adds a user. On SQLite, and on
PostgreSQL when ``ALLIED_TEST_POSTGRES_URL`` names a database (it is emptied first).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from backends import reset_postgres
from web.support import CHROMIUM, CHROMIUM_ARGS, require_browser

pytestmark = pytest.mark.browser

POSTGRES_URL = os.environ.get("ALLIED_TEST_POSTGRES_URL")
#: demo user -> the key this test calls it by
DEMO = {
    "demo-coordinator": "coordinator",
    "demo-donor-est": "donor",
    "demo-origin-deu": "origin",
    "demo-recipient-ukr": "recipient",
    "demo-auditor": "auditor",
    "demo-admin": "admin",
}
FAMILY = "120mm-mortar"


def _demo(url: str, folder: Path) -> dict[str, str]:
    """``allied demo --no-serve`` on ``url``: the tokens it prints, by role."""
    exe = Path(sys.executable).parent / "allied"
    done = subprocess.run(
        [str(exe), "demo", "--no-serve"],
        env={**os.environ, "ALLIED_DATABASE_URL": url, "COLUMNS": "200"},
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    tokens = {}
    for name, key in DEMO.items():
        found = re.search(rf"^\s*{re.escape(name)}\s+\S+\s+\S+\s+(\S+)\s*$", done.stdout, re.M)
        assert found, f"no token for {name} in the demo's output"
        tokens[key] = found.group(1)
    return tokens


@pytest.fixture(params=["sqlite", "postgres"])
def demo_site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, str]]]:
    """The demo data loaded on a backend and ``allied serve`` over it: (url, tokens)."""
    require_browser()
    from api.live import ServeProcess, free_port, wait_healthy

    folder = tmp_path_factory.mktemp("cycle")
    if request.param == "postgres":
        if not POSTGRES_URL:
            pytest.skip("ALLIED_TEST_POSTGRES_URL is not set")
        reset_postgres(POSTGRES_URL)
        url = POSTGRES_URL
    else:
        url = f"sqlite:///{folder / 'allied.db'}"
    tokens = _demo(url, folder)
    port = free_port()
    server = ServeProcess(url, port)
    try:
        wait_healthy(port, server.proc)
        yield f"http://127.0.0.1:{port}", tokens
    finally:
        server.close()


@pytest.fixture
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Person:
    """One role at its own browser (its own cookies), signed in through the form."""

    def __init__(self, browser: Any, base: str, token: str, shots: Path, name: str) -> None:
        self.context = browser.new_context(
            viewport={"width": 1440, "height": 900}, accept_downloads=True
        )
        self.page = self.context.new_page()
        self.base = base
        self.shots = shots
        self.name = name
        self.page.goto(base + "/")
        assert self.page.url.endswith("/login")
        self.page.get_by_label("Token").fill(token)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url(base + "/")

    def go(self, path: str) -> Any:
        self.page.goto(self.base + path)
        return self.page

    def flash(self) -> str:
        text: str = self.page.locator(".flash.ok").inner_text()
        return text

    def shot(self, step: str) -> None:
        self.page.screenshot(path=str(self.shots / f"cycle-{step}.png"), full_page=True)


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    target = os.environ.get("ALLIED_CYCLE_SHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        return Path(target)
    return tmp_path


def test_the_full_cycle_in_the_browser_only(
    demo_site: tuple[str, dict[str, str]], chromium: Any, shots: Path
) -> None:
    base, tokens = demo_site
    people: dict[str, Person] = {}

    def person(role: str) -> Person:
        if role not in people:
            people[role] = Person(chromium, base, tokens[role], shots, role)
        return people[role]

    today = dt.date.today()
    try:
        # 1. the recipient posts a request
        ukr = person("recipient")
        page = ukr.go("/requests")
        form = page.get_by_role("region", name="Post a request")
        form.get_by_label("Capability family").fill(FAMILY)
        form.get_by_label("Quantity").fill("1000")
        form.get_by_label("Priority (5 most urgent)").select_option("5")
        form.get_by_label("Needed by").fill((today + dt.timedelta(days=60)).isoformat())
        form.get_by_role("button", name="Post request").click()
        request_id = re.match(r"Request (\S+) posted\.", ukr.flash()).group(1)  # type: ignore[union-attr]

        # 2. a donor offers German-made bombs and pledges some of them to the request
        est = person("donor")
        page = est.go("/offers")
        form = page.get_by_role("region", name="Post an offer")
        form.get_by_label("Capability family").fill(FAMILY)
        form.get_by_label("Quantity").fill("800")
        form.get_by_label("Made by (ISO3", exact=False).fill("DEU")
        form.get_by_label("Releasable to").fill("nations:UKR")
        form.get_by_role("button", name="Post offer").click()
        offer_id = est.flash().split()[1]
        page = est.go(f"/offers?pledge={offer_id}")
        form = page.get_by_role("region", name="Pledge against a request")
        requests = form.get_by_label("Request").locator("option").all_inner_texts()
        assert requests and all(FAMILY in r for r in requests)  # only what it can fill
        form.get_by_label("Request").select_option(request_id)
        form.get_by_label("Quantity", exact=False).fill("300")
        form.get_by_role("button", name="Pledge").click()
        assert re.match(r"Pledge \S+ recorded\.", est.flash())

        # 3. the coordinator previews the plan (nothing recorded) and accepts one line
        coord = person("coordinator")
        page = coord.go("/allocation")
        page.get_by_label("As of").fill(today.isoformat())
        page.get_by_label("include items awaiting", exact=False).check()
        page.get_by_role("button", name="Preview the plan").click()
        plan = page.locator("#plan")
        plan.wait_for()
        assert "a preview: nothing recorded" in plan.inner_text()
        ours = plan.locator("tr", has_text=offer_id).filter(has_text=request_id)
        assert ours.count() == 1 and "500" in ours.inner_text()
        for box in plan.locator('input[name="lines"]').all():
            box.uncheck()
        ours.locator('input[name="lines"]').check()
        coord.shot("preview")
        page.get_by_role("button", name="Record the plan and accept the lines ticked").click()
        assert coord.flash() == "Plan recorded and 1 line(s) accepted."
        page = coord.go("/allocation?status=pledged")
        row = page.locator("table#allocations tbody tr", has_text=offer_id).filter(
            has_text="500"
        )
        allocation_id = row.locator("th").inner_text().strip()

        # 4. the donor asks Germany's consent; Germany grants it with a reason
        page = est.go("/offers")
        mine = page.locator("table#pledges tbody tr", has_text=allocation_id)
        mine.get_by_role("button", name=f"Move {allocation_id} to consent-pending").click()
        expect(
            page.locator("table#pledges tbody tr", has_text=allocation_id).locator(".pill")
        ).to_have_text("consent-pending")
        deu = person("origin")
        page = deu.go("/consents")
        waiting = page.locator("table#waiting tbody tr", has_text=offer_id)
        assert waiting.count() == 1 and "UKR" in waiting.inner_text()
        consent_id = waiting.locator("th").inner_text().strip()
        waiting.get_by_label(f"Reason for {consent_id}").fill("cleared for Ukraine")
        waiting.get_by_role("button", name=f"Grant {consent_id}").click()
        assert deu.flash() == f"Consent request {consent_id} answered."
        deu.shot("consent")

        # 5. the donor marks it shipped; the recipient confirms receipt
        page = est.go("/offers")
        mine = page.locator("table#pledges tbody tr", has_text=allocation_id)
        expect(mine.locator(".pill")).to_have_text("approved")
        mine.get_by_role("button", name=f"Move {allocation_id} to shipped").click()
        expect(
            page.locator("table#pledges tbody tr", has_text=allocation_id).locator(".pill")
        ).to_have_text("shipped")
        page = ukr.go("/allocation?status=shipped")
        arriving = page.locator("table#allocations tbody tr", has_text=allocation_id)
        arriving.get_by_role("button", name=f"Move {allocation_id} to delivered").click()
        page = ukr.go("/allocation?status=delivered")
        assert page.locator("table#allocations tbody tr", has_text=allocation_id).count() == 1
        ukr.shot("delivered")

        # 6. a proposal is circulated and voted
        page = coord.go("/decisions")
        page.locator("summary", has_text="Circulate a proposal").click()
        page.get_by_label("Forum").fill("EU")  # NATO decides by consensus only
        page.get_by_label("Rule").select_option("unanimity")
        page.get_by_label("Title").fill("Joint purchase of 120 mm mortar bombs for Ukraine")
        page.get_by_label("Deadline", exact=False).fill(
            (today + dt.timedelta(days=5)).isoformat()
        )
        page.get_by_role("button", name="Circulate").click()
        proposal_id = coord.flash().split()[1]
        for role, nation in (("donor", "EST"), ("origin", "DEU")):
            page = person(role).go("/decisions")
            card = page.locator(f"article#{proposal_id}")
            card.get_by_label(f"Position of {nation}").select_option("yes")
            card.get_by_label("Reason").fill("agreed in capital")
            card.get_by_role("button", name="Record position").click()
            assert person(role).flash() == f"Position recorded on proposal {proposal_id}."
        page = coord.go("/decisions")
        card = page.locator(f"article#{proposal_id}")
        for nation in ("EST", "DEU"):
            assert "yes" in card.locator("tr", has_text=nation).inner_text()
        coord.shot("decisions")

        # 7. the auditor reads the ledger, verifies it and downloads it
        audit = person("auditor")
        page = audit.go("/ledger")
        assert page.locator("table").first.count() == 1
        page.get_by_role("button", name="Verify the chain").click()
        assert "intact" in page.locator("#verify-result").inner_text()
        page = audit.go("/data")
        with page.expect_download() as got:
            page.locator("#ledger-export").click()
        saved = shots / "ledger.jsonl"
        got.value.save_as(saved)
        entries = [json.loads(line) for line in saved.read_text(encoding="utf-8").splitlines()]
        kinds = [e["kind"] for e in entries]
        for kind in ("request.created", "offer.created", "allocation.delivered",
                     "proposal.circulated"):
            assert kind in kinds, kind
        delivered = [e for e in entries if e["kind"] == "allocation.delivered"]
        assert any(allocation_id in json.dumps(e["payload"]) for e in delivered)

        # 8. the admin adds a user, whose token is shown once
        admin = person("admin")
        page = admin.go("/admin/users")
        form = page.get_by_role("form", name="Add a user")
        form.get_by_label("Name").fill("pol-donor")
        form.get_by_label("Role").select_option("donor")
        form.get_by_label("Nation", exact=False).select_option("POL")
        form.get_by_role("button", name="Add user").click()
        token = page.locator("#tok-value").input_value()
        assert len(token) > 20
        admin.shot("users")
    finally:
        for p in people.values():
            p.context.close()


def test_the_cycle_needs_no_cli_after_the_demo_data() -> None:
    """This file starts only ``allied demo`` and ``allied serve``: a guard that no later
    step slips in a CLI or API call (the browser alone acts after the data is loaded)."""
    source = Path(__file__).read_text(encoding="utf-8")
    test = source[source.index("def test_the_full_cycle_in_the_browser_only") :]
    test = test[: test.index("def test_the_cycle_needs_no_cli")]
    for forbidden in ("subprocess", "requests.", "httpx", "TestClient", "/api/v1", "_demo("):
        assert forbidden not in test, forbidden
