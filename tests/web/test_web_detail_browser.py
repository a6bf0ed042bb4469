"""A record page in a real browser (Debian's Chromium via Playwright): a donor pledges an
item another state made, asks for consent from the allocation's page, the origin state
denies it from the consent's page through its confirmation step (no JavaScript needed),
and the allocation's page shows it refused, with the reason in its ledger history."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from web.support import Site
from web.test_web_browser import Desk

pytestmark = pytest.mark.browser


def test_a_consent_is_denied_from_the_record_pages(
    browser: Any, site: Site, shots: Path
) -> None:
    desks = {u: Desk(browser, site, u, shots) for u in ("ukr", "est", "deu", "gbr")}
    try:
        for desk in desks.values():
            desk.sign_in()
        ukr, est, deu, gbr = (desks[u] for u in ("ukr", "est", "deu", "gbr"))
        needed = (dt.date.today() + dt.timedelta(days=30)).isoformat()
        page = ukr.go("/requests")
        form = page.get_by_role("region", name="Post a request")
        form.get_by_label("Capability family").fill("120mm-mortar")
        form.get_by_label("Quantity").fill("500")
        form.get_by_label("Priority (5 most urgent)").select_option("5")
        form.get_by_label("Needed by").fill(needed)
        form.get_by_label("Releasable to").fill("public")
        form.get_by_role("button", name="Post request").click()
        request_id = page.locator(".flash.ok").inner_text().split()[1]

        page = est.go("/offers")
        form = page.get_by_role("region", name="Post an offer")
        form.get_by_label("Capability family").fill("120mm-mortar")
        form.get_by_label("Quantity").fill("300")
        form.get_by_label("Made by (ISO3", exact=False).fill("DEU")
        form.get_by_label("Releasable to").fill("nations:UKR")
        form.get_by_role("button", name="Post offer").click()
        offer_id = page.locator(".flash.ok").inner_text().split()[1]
        form = page.get_by_role("region", name="Pledge against a request")
        form.get_by_label("Offer").select_option(offer_id)
        form.get_by_role("button", name="Choose").click()  # the requests this offer can fill
        form = page.get_by_role("region", name="Pledge against a request")
        form.get_by_label("Request").select_option(request_id)
        form.get_by_label("Quantity").fill("300")
        form.get_by_role("button", name="Pledge").click()
        pledge_id = page.locator(".flash.ok").inner_text().split()[1]

        # the allocation's page: its ids link to their pages, only the donor's moves
        page = est.go(f"/allocations/{pledge_id}")
        assert page.locator(f'a[href="/offers/{offer_id}"]').count() == 1
        assert page.locator(f'a[href="/requests/{request_id}"]').count() == 1
        actions = page.locator("#actions")
        assert actions.get_by_role("button", name="Ask for consent").count() == 1
        assert actions.get_by_role("button", name="Approve").count() == 0
        # not asked yet: the facts and the consents table say the same
        assert "Germany not asked yet" in page.locator("dl.facts").inner_text()
        assert "waiting for" not in page.locator("dl.facts").inner_text()
        assert "Not asked yet" in page.locator("table#consents tr#origin-DEU").inner_text()
        actions.get_by_role("button", name="Ask for consent").click()
        assert page.locator(".flash.ok").inner_text() == f"Allocation {pledge_id} moved."
        assert "waiting for Germany's consent as origin state" in page.locator(
            "dl.facts"
        ).inner_text()
        assert "pending" in page.locator("table#consents tr#origin-DEU").inner_text()
        est.shot("detail-allocation-donor")
        consent_link = page.locator("table#consents a").first
        consent_id = consent_link.inner_text().strip()

        # another donor: the same page is a 404, as a missing one
        assert gbr.page.goto(site.url + f"/allocations/{pledge_id}").status == 404

        # the origin state denies from the consent's page, confirming with a reason
        page = deu.go(f"/consents/{consent_id}")
        deu.shot("detail-consent-origin")
        page.get_by_role("link", name="Deny consent…").click()
        step = page.locator("#act")
        assert "This cannot be undone." in step.inner_text()
        step.get_by_label("Reason").fill("ex-GDR stock is not for re-export")
        step.get_by_label("Yes, deny consent").check()
        deu.shot("detail-consent-confirm")
        step.get_by_role("button", name="Deny consent").click()
        assert page.locator(".flash.ok").inner_text() == f"Consent request {consent_id} answered."
        history = page.locator("table#history")
        assert "consent.denied" in history.inner_text()
        assert "ex-GDR stock is not for re-export" in history.inner_text()

        # the allocation was refused with it; the donor has nothing left to do on it
        page = est.go(f"/allocations/{pledge_id}")
        assert page.locator("h1 .pill").inner_text() == "rejected"
        assert page.locator("#actions button").count() == 0
        est.shot("detail-allocation-refused")
        assert "Germany denied consent" in page.locator("dl.facts").inner_text()
        page = ukr.go(f"/requests/{request_id}")
        assert page.locator(f'a[href="/allocations/{pledge_id}"]').count() == 1
        # the recipient's list says where it stands on consent, as the allocation's page
        assert "denied: DEU" in page.locator(f"table#allocations tr#{pledge_id}").inner_text()
        ukr.shot("detail-request-recipient")
    finally:
        for desk in desks.values():
            desk.close()
