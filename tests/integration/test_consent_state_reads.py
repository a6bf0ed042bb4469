"""Where allocations stand on consent, read for a page in one query (the SQL unit of
work's ``consents_about_offers``), and each role's consent queue counted by the store,
are the repositories' answers (the in-memory fake, with the same random records) and the
domain's definition applied record by record, on each backend."""

from __future__ import annotations

import pytest
from test_list_queries import DAYS, NATIONS, _fill

from allied.bootstrap import Store
from allied.domain.consent import ConsentPolicy, ConsentStatus, allocation_consent, queue_filter
from allied.service import access
from allied.service.caller import Caller
from allied.service.consent_reads import ConsentsAboutOffers

ALL = 100_000


@pytest.mark.parametrize("seed", [3, 8])
def test_consent_states_and_queues_read_in_sql_are_the_definitions(
    store: Store, seed: int
) -> None:
    fake = _fill(store, seed)
    with store.uow() as uow:
        assert isinstance(uow, ConsentsAboutOffers)  # the SQL path is the one compared
        policies = [ConsentPolicy(p.origin, p.policy, p.since, p.source)
                    for p in uow.consent_policies.list()]
    for p in policies:  # the reference policies stay in the store: the fake gets them too
        fake.consent_policies.add(p)
    fake.seal()
    with fake as uow:
        offers = {o.id: o for o in uow.offers.list()}
        allocations = list(uow.allocations.list())
        consents = list(uow.consents.list())
    standing = {p.origin: p.policy for p in policies}
    coordinator = Caller(user="t", role="coordinator")
    checked = 0
    for day in DAYS:
        rows = access.list_allocations(store.uow(), coordinator, day, consent=True,
                                       limit=ALL).items
        assert rows == access.list_allocations(fake, coordinator, day, consent=True,
                                               limit=ALL).items
        got = {r["id"]: r["consent"] for r in rows}
        for a in allocations:
            o = offers[a.offer_id]
            want = allocation_consent(o.consent_from, consents, day, holder=o.donor,
                                      family=o.family, offer_id=o.id, policies=standing)
            assert got[a.id] == want.as_dict(), (a.id, day)
            checked += want.state.value not in ("not-needed", "not-asked")
        callers = [coordinator, Caller(user="t", role="auditor")] + [
            Caller(user="t", role=role, nation=n)
            for n in NATIONS for role in ("origin", "donor", "recipient")
        ]
        for caller in callers:
            party = queue_filter(caller.role, caller.nation)
            want_ids = sorted(
                c.id for c in consents
                if c.effective_status(day) is ConsentStatus.PENDING
                and all(getattr(c, k) == v for k, v in party.items())
            )
            page = access.waiting_consents(store.uow(), caller, day, limit=ALL)
            assert [c["id"] for c in page.items] == want_ids, (caller, day)
            assert [c["id"] for c in access.waiting_consents(fake, caller, day,
                                                             limit=ALL).items] == want_ids
            count = access.count_waiting_consents(store.uow(), caller, day)
            assert count == page.total == len(want_ids)
            assert access.count_waiting_consents(fake, caller, day) == count
    assert checked  # some allocations were asked about, not only not asked
    assert fake.unchanged()
