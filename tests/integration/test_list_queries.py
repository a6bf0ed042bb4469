"""The list queries in SQL (``adapters/db/lists.py``) against the visibility policy in
Python (``domain/visibility.py``), on each backend: on a random mix of records, every
role of many nations on several days sees, page by page, exactly the requests, offers,
allocations and consent requests ``Viewer.sees_record`` / ``sees_allocation`` /
``sees_consent`` admit; and sorting and searching answer as the in-memory fakes do."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import random
from typing import Any

import pytest
from sqlalchemy import delete

from allied.adapters.db import tables
from allied.bootstrap import Store
from allied.domain.actors import Membership
from allied.domain.assistance import (
    Allocation,
    AllocationStatus,
    Channel,
    Offer,
    RecordStatus,
    Request,
)
from allied.domain.consent import ConsentRequest, ConsentStatus
from allied.domain.releasability import Releasability
from allied.domain.visibility import grant_of, viewer_on
from allied.service import access
from allied.service.caller import Caller
from allied.service.listing import SORTS
from allied.service.usecases.allocations import asked_offers
from fakes import KEYS, FakeUnitOfWork

NATIONS = ["USA", "GBR", "DEU", "EST", "UKR", "SWE", "AUS", "CHE", "JPN", "FIN"]
FAMILIES = ["155mm-nato", "air-defence", "mbt", "training"]
DAYS = [dt.date(2003, 1, 1), dt.date(2020, 6, 1), dt.date(2023, 5, 1), dt.date(2024, 6, 15)]
ROLES = ["coordinator", "auditor", "donor", "recipient", "origin", "admin"]


def _releasability(rng: random.Random) -> Releasability:
    kind = rng.choice(["owner", "support", "public", "public-day", "org", "nations"])
    if kind == "public-day":
        return Releasability.parse(f"public:{rng.choice(DAYS).isoformat()}")
    if kind == "org":
        return Releasability.parse(f"org:{rng.choice(['NATO', 'EU', 'UDCG', 'G7'])}")
    if kind == "nations":
        return Releasability.parse("nations:" + ",".join(rng.sample(NATIONS, rng.randint(1, 3))))
    return Releasability.parse(kind)


def _records(rng: random.Random, item_types: list[str]) -> dict[str, list[Any]]:
    requests = [
        Request(
            f"REQ-{i:03d}", rng.choice(NATIONS), rng.choice(FAMILIES), rng.randint(1, 500),
            rng.randint(1, 5), rng.choice(DAYS) + dt.timedelta(days=rng.randint(0, 300)),
            item_type=rng.choice([None, *item_types]),
            status=rng.choice(list(RecordStatus)),
            notes=rng.choice(["", "urgent winter", "Spare barrels", "50% now"]),
            releasability=_releasability(rng),
        )
        for i in range(50)
    ]
    offers = []
    for i in range(90):
        donor = rng.choice(NATIONS)
        origin = rng.choice([None, None, ",".join(rng.sample(NATIONS, 2))])
        offers.append(
            Offer(
                f"OFF-{i:03d}", donor, rng.choice(FAMILIES), rng.randint(1, 500),
                rng.choice(DAYS), channel=rng.choice(list(Channel)),
                item_type=rng.choice([None, *item_types]), origin=origin,
                caveats=rng.choice(["", "no export", "spare_parts"]),
                status=rng.choice(list(RecordStatus)), releasability=_releasability(rng),
            )
        )
    allocations = [
        Allocation(
            f"ALC-{i:03d}", rng.choice(offers).id, rng.choice(requests).id, rng.randint(1, 50),
            status=rng.choice(list(AllocationStatus)),
        )
        for i in range(160)
    ]
    consents = []
    for i in range(40):
        o = rng.choice(offers)
        origins = [n for n in NATIONS if n != o.donor]
        consents.append(
            ConsentRequest(
                f"CON-{i:03d}", rng.choice(origins), o.donor, o.family, rng.choice(NATIONS),
                rng.choice(DAYS), status=rng.choice(list(ConsentStatus)),
                offer_id=rng.choice([o.id, None]),
                decided_on=rng.choice([None, rng.choice(DAYS)]),
                expires_on=rng.choice([None, rng.choice(DAYS)]),
            )
        )
    return {"requests": requests, "offers": offers, "allocations": allocations,
            "consents": consents}


class ReadFake(FakeUnitOfWork):
    """The fake the comparisons read: a unit of work on it keeps no snapshot to roll
    back to (copying the records at every read was most of these tests' time). Nothing
    a read does is undone, so a read that changed a record would show: ``unchanged``
    checks, at the end of a test, that every record is still as ``seal`` saw it."""

    def __init__(self) -> None:
        super().__init__()
        self.sealed: tuple[dict[str, dict[Any, dict[str, Any]]], int] | None = None

    def __enter__(self) -> ReadFake:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def rollback(self) -> None:
        pass

    def _records(self) -> tuple[dict[str, dict[Any, dict[str, Any]]], int]:
        """A copy of every record's fields, by repository and key, and the ledger's length."""
        fields = {
            name: {key: copy.deepcopy({f.name: getattr(o, f.name)
                                       for f in dataclasses.fields(o)})
                   for key, o in getattr(self, name).items.items()}
            for name in KEYS
        }
        return fields, len(self.ledger.log)  # type: ignore[attr-defined]

    def seal(self) -> None:
        self.sealed = self._records()

    def unchanged(self) -> bool:
        assert self.sealed is not None
        return self._records() == self.sealed


def _fill(store: Store, seed: int, no_requests: tuple[str, ...] = ()) -> ReadFake:
    """The same random records in the store and in a fake (with the store's
    memberships), so the fake's answers (the repositories' path) can be compared.
    ``no_requests``: nations whose requests are made another's (UKR's), so they have
    none of their own."""
    rng = random.Random(seed)
    fake = ReadFake()
    with store.uow() as uow:
        item_types = sorted(t.code for t in uow.item_types.list())[:3]
        for m in uow.memberships.list():
            fake.memberships.add(Membership(m.actor, m.org, m.role, m.start, m.end, m.source))
    made = _recast(_records(rng, item_types), no_requests)
    with store.uow() as uow:
        # only the random records: the reference scenario's go
        for table in (tables.allocations, tables.consent_requests, tables.offers,
                      tables.requests):
            uow.session.execute(delete(table))  # type: ignore[attr-defined]
        for name, rows in made.items():
            repo = getattr(uow, name)
            for row in rows:
                repo.add(row)
            uow.flush()  # type: ignore[attr-defined]
        uow.commit()
    for name, rows in _recast(_records(random.Random(seed), item_types),
                              no_requests).items():
        for row in rows:
            getattr(fake, name).add(row)
    fake.seal()
    return fake


def _recast(made: dict[str, list[Any]], no_requests: tuple[str, ...]) -> dict[str, list[Any]]:
    made["requests"] = [
        dataclasses.replace(r, recipient="UKR") if r.recipient in no_requests else r
        for r in made["requests"]
    ]
    return made


def _ids(page: access.Page) -> list[str]:
    return [str(r["id"]) for r in page.items]


ALL = 100_000


@pytest.mark.parametrize("seed", [1, 2])
def test_sql_lists_are_the_visibility_policy(store: Store, seed: int) -> None:
    fake = _fill(store, seed)
    with fake as uow:
        requests = {r.id: r for r in uow.requests.list()}
        offers = {o.id: o for o in uow.offers.list()}
        allocations = list(uow.allocations.list())
        consents = list(uow.consents.list())
        memberships = {n: list(uow.memberships.list(actor=n)) for n in NATIONS}
        asked = {n: asked_offers(uow, n) for n in NATIONS}
    checked = 0
    for role in ROLES:
        for nation in ["", *NATIONS] if role != "coordinator" else [""]:
            for day in DAYS:
                caller = Caller(user="t", nation=nation, role=role)
                v = viewer_on(nation, role, day, memberships.get(nation, []))
                want_r = sorted(i for i, r in requests.items() if v.sees_record(r))
                got_r = access.list_requests(store.uow(), caller, day, limit=ALL)
                assert _ids(got_r) == want_r, (role, nation, day)
                assert got_r.total == len(want_r)
                want_o = sorted(i for i, o in offers.items() if v.sees_record(o))
                assert _ids(access.list_offers(store.uow(), caller, day, limit=ALL)) == want_o
                # the grant, applied in Python, says the same
                g = grant_of(v)
                assert sorted(i for i, o in offers.items() if g.admits(o.releasability, o.owner)) \
                    == want_o
                want_a = sorted(
                    a.id for a in allocations
                    if v.sees_allocation(offers[a.offer_id], requests[a.request_id],
                                         a.offer_id in asked.get(nation, set()))
                )
                got_a = access.list_allocations(store.uow(), caller, day, limit=ALL)
                assert _ids(got_a) == want_a, (role, nation, day)
                if role in ("coordinator", "auditor", "origin", "donor", "recipient"):
                    want_c = sorted(c.id for c in consents if v.sees_consent(c))
                    got_c = access.list_consents(store.uow(), caller, day, limit=ALL)
                    assert _ids(got_c) == want_c, (role, nation, day)
                checked += 1
    assert checked > 100
    assert fake.unchanged()


@pytest.mark.parametrize(
    "role,nation", [("coordinator", ""), ("donor", "USA"), ("recipient", "UKR"),
                    ("origin", "DEU")]
)
def test_sort_search_and_pages_match_the_repositories(
    store: Store, role: str, nation: str
) -> None:
    fake = _fill(store, 3)
    caller = Caller(user="t", nation=nation, role=role)
    day = DAYS[2]
    lists = {
        "requests": access.list_requests,
        "offers": access.list_offers,
        "allocations": access.list_allocations,
        "consents": access.list_consents,
    }
    for kind, fn in lists.items():
        if kind == "consents" and role == "recipient":
            continue
        for column in SORTS[kind]:
            for sort in (column, f"-{column}"):
                for q in ("", "us"):
                    for offset in (3,):
                        kw: dict[str, Any] = {"sort": sort, "q": q, "limit": 9,
                                              "offset": offset}
                        sql = fn(store.uow(), caller, day, **kw)
                        slow = fn(fake, caller, day, **kw)
                        assert (_ids(sql), sql.total) == (_ids(slow), slow.total), (
                            kind, sort, q, offset)
                        assert sql.items == slow.items, (kind, sort, q, offset)
    # the requests still short (the to-do list's unfilled ones)
    for sort in ("id", "-outstanding"):
        sql = access.list_requests(store.uow(), caller, day, short=True, sort=sort, limit=20)
        slow = access.list_requests(fake, caller, day, short=True, sort=sort, limit=20)
        assert (sql.items, sql.total) == (slow.items, slow.total)
        assert all(r["outstanding"] > 0 for r in sql.items)
    assert fake.unchanged()


def test_a_bad_sort_names_the_field(store: Store) -> None:
    from allied.domain.errors import InvalidInput

    with pytest.raises(InvalidInput) as err:
        access.list_offers(store.uow(), Caller(user="t"), DAYS[0], sort="releasability")
    assert err.value.field == "sort"


@pytest.mark.parametrize("seed", [4, 8])
def test_filtered_allocation_pages_match_the_repositories(store: Store, seed: int) -> None:
    """The allocation pages the to-do lists read (a nation's own requests' allocations by
    status, the coordinator's overdue ones by the request's date), which join the offers
    only where something of theirs is asked for, equal the repositories' pages, and so do
    the same filters with an offer's column asked for (a search, a sort by donor)."""
    fake = _fill(store, seed)
    day = DAYS[3]
    callers = [Caller(user="t", role="coordinator"), Caller(user="t", role="auditor")] + [
        Caller(user="t", role=role, nation=n)
        for role in ("recipient", "donor") for n in NATIONS[:5]
    ]
    found = 0
    for caller in callers:
        for where in (
            {"recipient": caller.nation or NATIONS[4]},
            {"recipient": caller.nation or NATIONS[4], "status": "pledged"},
            {"recipient": NATIONS[4]},
            {"recipient": NATIONS[2], "statuses": ["pledged", "approved", "shipped",
                                                   "delivered", "proposed"]},
            {"needed_before": DAYS[2], "statuses": ["pledged", "consent-pending",
                                                    "approved", "shipped"]},
            {"needed_before": DAYS[3]},
            # a donor's to-do sections: its own offers' allocations by status
            {"donor": caller.nation or NATIONS[1]},
            {"donor": caller.nation or NATIONS[1], "status": "approved"},
            {"donor": caller.nation or NATIONS[1], "status": "pledged",
             "needs_consent": True},
            {"donor": NATIONS[3], "status": "pledged"},
            {"donor": caller.nation or NATIONS[1], "recipient": NATIONS[4]},
        ):
            for extra in ({}, {"sort": "-donor"}, {"q": "us"}, {"sort": "needed_by"},
                          {"sort": "-quantity"}, {"sort": "-updated_at"}, {"sort": "status"},
                          {"offset": 10_000}):
                kw: dict[str, Any] = {"limit": 7, "offset": 2, **where, **extra}
                sql = access.list_allocations(store.uow(), caller, day, **kw)
                slow = access.list_allocations(fake, caller, day, **kw)
                assert (_ids(sql), sql.total) == (_ids(slow), slow.total), (caller, kw)
                assert sql.items == slow.items, (caller, kw)
                found += sql.total
    assert found
    assert fake.unchanged()


@pytest.mark.parametrize("seed", [5, 6])
def test_allocation_counts_by_their_own_columns_match_the_repositories(
    store: Store, seed: int
) -> None:
    """Filtered by the allocation's own columns (status, offer, needs consent), a viewer
    with no requests of its own has its total counted from the offers it sees (not
    each allocation joined to its offer and request): the same pages and totals as the
    repositories, for nations with requests and without, of every role."""
    fake = _fill(store, seed, no_requests=("USA", "DEU", "EST"))
    with fake as uow:
        assert not [r for r in uow.requests.list() if r.recipient in ("USA", "DEU", "EST")]
        statuses = sorted({a.status.value for a in uow.allocations.list()})
        an_offer = sorted(a.offer_id for a in uow.allocations.list())[0]
    day = DAYS[3]
    callers = [Caller(user="t", role="coordinator"), Caller(user="t", role="auditor")] + [
        Caller(user="t", role=role, nation=n)
        for role in ("donor", "origin", "recipient") for n in ("USA", "DEU", "EST", "UKR")
    ]
    counted = 0
    for caller in callers:
        for where in (
            *({"status": s} for s in statuses),
            {"statuses": statuses[:3]},
            {"offer": an_offer},
            {"offer": an_offer, "status": statuses[0]},
            {"needs_consent": True},
            {"needs_consent": False, "statuses": statuses[1:]},
        ):
            for extra in ({}, {"sort": "-quantity"}):
                kw: dict[str, Any] = {**where, **extra, "limit": 5, "offset": 3}
                sql = access.list_allocations(store.uow(), caller, day, **kw)
                slow = access.list_allocations(fake, caller, day, **kw)
                assert (_ids(sql), sql.total) == (_ids(slow), slow.total), (caller, kw)
                assert sql.items == slow.items, (caller, kw)
                counted += sql.total
    assert counted
    assert fake.unchanged()


@pytest.mark.parametrize("seed", [9, 10])
def test_allocation_pages_sorted_by_a_joined_column_count_as_the_repositories(
    store: Store, seed: int
) -> None:
    """Sorted by a column of the offer or the request (needed-by, donor, recipient,
    family, item type), the page query counts the matching allocations in the same pass
    (a window): the same ids and totals as the repositories, under filters of the
    allocation's own and of the joined records, and at an offset past the last row (no
    row to carry the count: the total counted on its own)."""
    fake = _fill(store, seed, no_requests=("USA", "DEU"))
    with fake as uow:
        statuses = sorted({a.status.value for a in uow.allocations.list()})
    day = DAYS[3]
    callers = [Caller(user="t", role="coordinator")] + [
        Caller(user="t", role=role, nation=n)
        for role in ("donor", "origin", "recipient") for n in ("USA", "DEU", "UKR", "GBR")
    ]
    counted = 0
    empty_past_the_end = 0
    for caller in callers:
        for where in ({}, {"status": statuses[0]}, {"status": statuses[-1]},
                      {"statuses": statuses[:3]}, {"family": FAMILIES[0]},
                      {"recipient": "UKR"}):
            for sort in ("needed_by", "-needed_by", "donor", "-recipient", "family",
                         "-item_type"):
                for offset in (0, 4, 500):
                    kw: dict[str, Any] = {**where, "sort": sort, "limit": 6,
                                          "offset": offset}
                    sql = access.list_allocations(store.uow(), caller, day, **kw)
                    slow = access.list_allocations(fake, caller, day, **kw)
                    assert (_ids(sql), sql.total) == (_ids(slow), slow.total), (caller, kw)
                    assert sql.items == slow.items, (caller, kw)
                    counted += sql.total
                    empty_past_the_end += offset == 500 and sql.total > 0
    assert counted
    assert empty_past_the_end
    assert fake.unchanged()


@pytest.mark.parametrize("seed", [11, 12])
def test_allocation_pages_by_own_columns_count_in_parts_as_the_repositories(
    store: Store, seed: int
) -> None:
    """Filtered by the allocation's own columns: a nation with requests of its own counts
    all of theirs plus the others' requests' allocations of the offers on its side; one
    without reads the page and its total in one pass over the allocations of the offers
    on its side. The same ids and totals as the repositories, at offsets inside and past
    the last row."""
    fake = _fill(store, seed, no_requests=("USA", "EST"))
    with fake as uow:
        statuses = sorted({a.status.value for a in uow.allocations.list()})
        assert {r.recipient for r in uow.requests.list()} & {"UKR", "GBR", "DEU"}
    day = DAYS[3]
    callers = [Caller(user="t", role=role, nation=n)
               for role in ("donor", "origin", "recipient")
               for n in ("USA", "EST", "UKR", "GBR", "DEU")]
    seen = {"with": 0, "without": 0, "past": 0}
    for caller in callers:
        for where in ({"status": statuses[0]}, {"status": statuses[-1]},
                      {"statuses": statuses[1:4]}, {"needs_consent": False}):
            for sort in ("id", "-quantity", "-updated_at", "status"):
                for offset in (0, 2, 400):
                    kw: dict[str, Any] = {**where, "sort": sort, "limit": 4,
                                          "offset": offset}
                    sql = access.list_allocations(store.uow(), caller, day, **kw)
                    slow = access.list_allocations(fake, caller, day, **kw)
                    assert (_ids(sql), sql.total) == (_ids(slow), slow.total), (caller, kw)
                    assert sql.items == slow.items, (caller, kw)
                    seen["without" if caller.nation in ("USA", "EST") else "with"] += sql.total
                    seen["past"] += offset == 400 and sql.total > 0
    assert all(seen.values()), seen
    assert fake.unchanged()


def test_a_donors_own_allocations_are_matched_before_they_are_sorted(store: Store) -> None:
    """A donor's own offers' allocations (its offers page lists the latest, its to-do
    list's sections by status) are read in one statement that finds the matches before
    it sorts them: on PostgreSQL a materialised common table expression, without which
    the planner walked the index on ``updated_at`` over every allocation (2 s at scale
    1; benchmarks/scale/README.md). The same page as the repositories'."""
    from sqlalchemy import event

    fake = _fill(store, 5)
    day = DAYS[3]
    caller = Caller(user="t", role="donor", nation=NATIONS[0])
    seen: list[str] = []

    def statement(conn: Any, cursor: Any, text: str, *args: Any) -> None:
        if "count(*) OVER ()" in text:
            seen.append(text)

    event.listen(store.engine, "before_cursor_execute", statement)
    try:
        for sort in ("-updated_at", "id", "needed_by", "-donor"):
            for offset in (0, 3, 10_000):
                kw: dict[str, Any] = {"donor": caller.nation, "sort": sort, "limit": 5,
                                      "offset": offset}
                sql = access.list_allocations(store.uow(), caller, day, **kw)
                slow = access.list_allocations(fake, caller, day, **kw)
                assert (_ids(sql), sql.total) == (_ids(slow), slow.total), kw
                assert sql.items == slow.items, kw
                assert sql.total > 5
    finally:
        event.remove(store.engine, "before_cursor_execute", statement)
    # page and total in one statement each; past the last row, that statement alone
    # (then the total is counted on its own)
    assert len(seen) == 12, seen
    fenced = "AS MATERIALIZED" if store.engine.dialect.name == "postgresql" else "WITH matched AS"
    assert all(fenced in text for text in seen), seen
