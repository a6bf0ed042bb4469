"""The picture's parts the database keeps per request and offer releasability
(``picture_parts``, migration 0019_picture_parts) against those recomputed from the
allocations, on each backend: after a random mix of writes to allocations (pledges one at
a time and in batches, single and bulk lifecycle moves, withdrawals, plain SQL updates
and deletes) and to offers (amended releasability and quantity, withdrawn, releasability
changed in plain SQL); and each viewer's picture summed from them equal to the one
recomputed from the records through the visibility policy (:func:`_picture_slow`)."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from collections import defaultdict

import pytest
from sqlalchemy import text

import allocation_writes as writes
from allied.adapters.db.engine import _alembic_config
from allied.bootstrap import Store
from allied.domain.assistance import COMMITTING, DELIVERED_STATES, AllocationStatus
from allied.domain.errors import AlliedError
from allied.domain.visibility import grant_of
from allied.service import access
from allied.service import governance as gov
from allied.service.assistance import add_offers, add_requests
from allied.service.caller import Caller
from allied.service.listing import RecordLists, pledged_seen_slow
from allied.service.usecases.common import viewer
from allied.service.usecases.picture import _gap, _picture_slow, family_gaps
from lifecycle_paths import allocation_statuses, pledge_then_withdraw, shortest_path

DAY = dt.date(2024, 6, 1)
COORD = Caller(user="coord", nation="", role="coordinator")
FAMILIES = ["155mm-nato", "other"]
DONORS = ["POL", "EST", "USA", "DEU"]
RELEASABILITIES = ["owner", "public", "support", "org:NATO", "org:EU", "nations:CHE,POL",
                   "nations:DEU,EST", "public:2030-01-01"]
#: who looks: an origin state asked about others' offers, donors, the recipient, a state
#: outside NATO named on some offers, and who sees everything
VIEWERS = [
    Caller(user="deu", nation="DEU", role="origin"),
    Caller(user="pol", nation="POL", role="donor"),
    Caller(user="usa", nation="USA", role="donor"),
    Caller(user="che", nation="CHE", role="donor"),
    Caller(user="ukr", nation="UKR", role="recipient"),
    COORD,
]


def _parts(store: Store) -> dict[tuple[str, str], tuple[int, int, int]]:
    """The parts recomputed from the allocations (the domain's statuses, not the
    triggers' lists), checked against the table; returned."""
    want: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    with store.uow() as uow:
        rel = {o.id: str(o.releasability) for o in uow.offers.list()}
        for a in uow.allocations.list():
            if a.status not in COMMITTING:
                continue
            part = want[(a.request_id, rel[a.offer_id])]
            if a.status is AllocationStatus.PROPOSED:
                part[0] += a.quantity
            else:
                part[1] += a.quantity
            if a.status in DELIVERED_STATES:
                part[2] += a.quantity
    expected = {k: (p, q, d) for k, (p, q, d) in want.items() if (p, q, d) != (0, 0, 0)}
    with store.engine.connect() as conn:
        got = {
            (str(r), str(s)): (int(p), int(q), int(d))
            for r, s, p, q, d in conn.execute(text(
                "SELECT request_id, releasability, proposed, pledged, delivered "
                "FROM picture_parts"))
        }
    assert got == expected
    return expected


def _listed(listing: str, code: str) -> bool:
    return code in listing.split(",")


def _nation_parts(store: Store) -> tuple[dict[tuple[str, str, str], tuple[int, int, int]], int]:
    """``nation_parts`` (migration 0024_nation_parts) recomputed from the records: per
    nation that sees an offer whatever its text (its donor; an origin state named in its
    origin, not its donor, asked about it by a consent request naming it or its holder's
    offers of its family), request and the offer's text, checked against the table;
    returned, with how many of its parts are an origin state's (not the donor's)."""
    want: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    with store.engine.connect() as conn:
        offers = {str(i): (str(d), str(o), str(f), str(r)) for i, d, o, f, r in conn.execute(
            text("SELECT id, donor, origin, family, releasability FROM offers"))}
        consents = list(conn.execute(text(
            "SELECT origin, holder, family, offer_id FROM consent_requests")))
        allocations = list(conn.execute(text(
            "SELECT offer_id, request_id, status, quantity FROM allocations")))
        got = {
            (str(n), str(r), str(s)): (int(p), int(q), int(d))
            for n, r, s, p, q, d in conn.execute(text(
                "SELECT nation, request_id, releasability, proposed, pledged, delivered "
                "FROM nation_parts"))
        }
    seers: dict[str, set[str]] = {i: {d} for i, (d, _, _, _) in offers.items()}
    asked: set[tuple[str, str, str]] = set()
    for origin, holder, family, offer_id in consents:
        for i, (d, o, f, _) in offers.items():
            named = offer_id == i
            of_family = offer_id is None and holder == d and family == f
            if (named or of_family) and origin != d and _listed(o, origin):
                seers[i].add(str(origin))
    for offer_id, request_id, status, quantity in allocations:
        st = AllocationStatus(status)
        if st not in COMMITTING:
            continue
        for nation in seers[str(offer_id)]:
            key = (nation, str(request_id), offers[str(offer_id)][3])
            if nation != offers[str(offer_id)][0]:
                asked.add(key)
            part = want[key]
            if st is AllocationStatus.PROPOSED:
                part[0] += quantity
            else:
                part[1] += quantity
            if st in DELIVERED_STATES:
                part[2] += quantity
    expected = {k: (p, q, d) for k, (p, q, d) in want.items() if (p, q, d) != (0, 0, 0)}
    assert got == expected
    return expected, len(set(expected) & asked)


def _pictures_agree(store: Store) -> None:
    """Each viewer's picture from the store's sums equals the one from the records, and
    so does what it sees pledged against each request (the pledge form's, the requests
    list's figure, read from the same parts)."""
    for caller in VIEWERS:
        fast = family_gaps(store.uow(), caller, DAY)
        with store.uow() as uow:
            v = viewer(uow, caller, DAY)
            slow = sorted((_gap(r) for r in _picture_slow(uow, v)),
                          key=lambda g: (-g["outstanding"], g["family"]))
            ids = [r.id for r in uow.requests.list()]
            assert isinstance(uow, RecordLists)
            seen = uow.pledged_seen(grant_of(v), ids)
            seen_slow = {k: n for k, n in pledged_seen_slow(uow, v, ids).items() if n}
        assert fast == slow, caller
        assert seen == seen_slow, caller


def _records(store: Store, rng: random.Random, n: int) -> tuple[list[str], list[str]]:
    requests = [
        (None, f"r{i}", {
            "id": f"PR-{i:03d}-{i % 2}", "recipient": "UKR", "family": FAMILIES[i % 2],
            "quantity": rng.randint(50, 300), "priority": rng.randint(1, 5),
            "needed_by": "2024-12-01",
            "releasability": rng.choice(["support", "public", "nations:DEU,POL"])})
        for i in range(n)
    ]
    offers = []
    for i in range(n):
        donor = rng.choice(DONORS)
        # some made in Germany and held by another: passing them on asks DEU
        origin = "DEU" if donor != "DEU" and i % 3 == 0 else donor
        offers.append((None, f"o{i}", {
            "id": f"PO-{i:03d}-{i % 2}", "donor": donor, "family": FAMILIES[i % 2],
            "quantity": rng.randint(20, 120), "available_from": "2024-01-01",
            "origin": origin, "releasability": rng.choice(RELEASABILITIES)}))
    add_requests(store.uow(), COORD, requests)
    add_offers(store.uow(), COORD, offers)
    return [str(r[2]["id"]) for r in requests], [str(o[2]["id"]) for o in offers]


def _record_sql(rng: random.Random, offers: list[str]) -> list[writes.Statement]:
    """Plain SQL to offers and consent requests no service makes, which the triggers
    follow all the same: an offer's releasability, and who sees it whatever its text
    (0024_nation_parts: its donor, origin and family; consent requests added, removed,
    changed)."""
    consent = f"CR-SQL-{rng.randrange(10**9)}"
    return [
        ("UPDATE offers SET releasability = :s WHERE id = :o",
         {"s": rng.choice(RELEASABILITIES), "o": rng.choice(offers)}),
        ("UPDATE offers SET releasability = releasability WHERE id = :o",
         {"o": rng.choice(offers)}),
        # who sees an offer whatever its text (0024_nation_parts): its donor, its origin,
        # its family, and the consent requests asking about it
        ("UPDATE offers SET donor = :d WHERE id = :o",
         {"d": rng.choice(DONORS), "o": rng.choice(offers)}),
        ("UPDATE offers SET origin = :g WHERE id = :o",
         {"g": rng.choice(["DEU", "USA,DEU", "POL", "EST,USA"]), "o": rng.choice(offers)}),
        ("UPDATE offers SET family = :f WHERE id = :o",
         {"f": rng.choice(FAMILIES), "o": rng.choice(offers)}),
        ("INSERT INTO consent_requests (id, origin, holder, family, recipient, requested_on, "
         "status, offer_id, reason) VALUES (:i, :g, :h, :f, 'UKR', '2024-05-01', 'pending', "
         ":o, '')",
         {"i": consent, "g": rng.choice(["DEU", "USA"]), "h": rng.choice(DONORS),
          "f": rng.choice(FAMILIES), "o": rng.choice([None, rng.choice(offers)])}),
        ("DELETE FROM consent_requests WHERE id = (SELECT min(id) FROM consent_requests "
         "WHERE id >= :i)", {"i": rng.choice(["", "CR-SQL"])}),
        ("UPDATE consent_requests SET origin = :g, offer_id = :o WHERE id = (SELECT max(id) "
         "FROM consent_requests)", {"g": rng.choice(["DEU", "USA", "POL"]),
                                    "o": rng.choice([None, rng.choice(offers)])}),
        ("UPDATE consent_requests SET holder = :h, family = :f WHERE id = (SELECT min(id) "
         "FROM consent_requests)", {"h": rng.choice(DONORS), "f": rng.choice(FAMILIES)}),
        ("UPDATE consent_requests SET status = status WHERE id = (SELECT min(id) "
         "FROM consent_requests)", {}),
        # an origin asked about an offer again (by a copy of a request, by the offer, by
        # its holder's family), and a request naming an offer widened to its family
        ("INSERT INTO consent_requests (id, origin, holder, family, recipient, requested_on, "
         "status, offer_id, reason) SELECT :i, origin, holder, family, recipient, "
         "requested_on, status, offer_id, reason FROM consent_requests WHERE id = "
         "(SELECT max(id) FROM consent_requests WHERE id < :below)",
         {"i": consent + "-copy", "below": consent}),
        ("INSERT INTO consent_requests (id, origin, holder, family, recipient, requested_on, "
         "status, offer_id, reason) SELECT :i, :g, o.donor, o.family, 'UKR', '2024-05-01', "
         "'pending', CASE WHEN :named = 1 THEN o.id END, '' FROM offers o WHERE o.id = :o",
         {"i": consent + "-of", "g": rng.choice(["DEU", "USA"]), "named": rng.randint(0, 1),
          "o": rng.choice(offers)}),
        ("UPDATE consent_requests SET holder = (SELECT o.donor FROM offers o WHERE o.id = "
         "consent_requests.offer_id), family = (SELECT o.family FROM offers o WHERE o.id = "
         "consent_requests.offer_id), offer_id = NULL WHERE id = (SELECT min(id) FROM "
         "consent_requests WHERE offer_id IS NOT NULL)", {}),
    ]


def _plain_sql(store: Store, rng: random.Random, requests: list[str], offers: list[str]) -> None:
    """Writes no service makes, which the triggers follow all the same: to allocations
    (``allocation_writes``), and an offer's releasability changed in place."""
    # (of :func:`_record_sql`, the offer's releasability: the rest in a test of its own)
    writes.plain_sql(store, rng, requests, offers, more=_record_sql(rng, offers)[:2])


def _walk_to_delivered(store: Store) -> list[str]:
    """Two allocations that can reach ``delivered`` moved there (where consent allows),
    the parts and pictures checked after each move; those delivered."""
    done: list[str] = []
    for i, status in sorted(allocation_statuses(store).items()):
        if len(done) == 2:
            break
        if not shortest_path(status, AllocationStatus.DELIVERED):
            continue
        try:
            for to in shortest_path(status, AllocationStatus.DELIVERED):
                gov.move_allocation(store.uow(), COORD, i, to.value, today=DAY)
                _parts(store)
        except AlliedError:  # consent not granted: stays where it is
            continue
        _pictures_agree(store)
        done.append(i)
    return done


def _step(store: Store, rng: random.Random, requests: list[str], offers: list[str]) -> str:
    kind = rng.choice(["pledge", "pledge", "batch", "move", "move", "move", "bulk", "offer",
                       "sql", "run"])
    try:
        if kind == "offer":
            what = rng.choice(["releasability", "releasability", "quantity", "withdraw"])
            offer = rng.choice(offers)
            if what == "releasability":
                access.amend_offer(store.uow(), COORD, DAY, offer,
                                   {"releasability": rng.choice(RELEASABILITIES)})
            elif what == "quantity":
                access.amend_offer(store.uow(), COORD, DAY, offer,
                                   {"quantity": rng.randint(20, 200)})
            else:
                access.withdraw_offer(store.uow(), COORD, DAY, offer)
        else:
            writes.write(store, rng, kind, requests, offers, caller=COORD, day=DAY,
                         sql=_plain_sql)
    except AlliedError:
        pass
    return kind


@pytest.mark.parametrize("seed", [5])
def test_parts_and_pictures_follow_random_writes(store: Store, seed: int) -> None:
    rng = random.Random(seed)
    requests, offers = _records(store, rng, 14)
    kinds = set()
    for step in range(90):
        kinds.add(_step(store, rng, requests, offers))
        if step % 10 == 9:
            _parts(store)
            _nation_parts(store)
            _pictures_agree(store)
    # then allocations walked on to delivered, through the service, checked at each step
    walked = _walk_to_delivered(store)
    parts = _parts(store)
    _, asked = _nation_parts(store)
    _pictures_agree(store)
    assert walked, "no allocation could be delivered"
    assert kinds == {"pledge", "batch", "move", "bulk", "offer", "sql", "run"}
    # the mix left parts under several releasabilities, some delivered, some proposed
    assert len({rel for _, rel in parts}) >= 3
    assert any(p for p, _, _ in parts.values()) and any(d for _, _, d in parts.values())
    # nations see offers as their donors and as origin states asked about them
    assert asked, "no origin state sees an offer"


def test_an_offer_released_to_more_nations_moves_its_quantities(store: Store) -> None:
    """An owner-only offer's pledge is not in another donor's picture; released to it by
    an amendment, it is, by its family; its parts moved from one text to the other."""
    rng = random.Random(2)
    requests, offers = _records(store, rng, 2)
    offer = offers[0]
    access.amend_offer(store.uow(), COORD, DAY, offer, {"releasability": "owner"})
    with store.uow() as uow:
        donor = uow.offers.get(offer).donor
    other = next(n for n in ("POL", "EST") if n != donor)
    seer = Caller(user="x", nation=other, role="donor")

    def pledged() -> int:
        fam = {g["family"]: g for g in family_gaps(store.uow(), seer, DAY)}
        return int(fam[FAMILIES[0]]["pledged"])

    before = pledged()
    access.pledge(store.uow(), COORD, DAY, offer_id=offer, request_id=requests[0], quantity=7)
    assert pledged() == before
    assert (requests[0], "owner") in _parts(store)
    access.amend_offer(store.uow(), COORD, DAY, offer, {"releasability": "public"})
    assert pledged() == before + 7
    parts = _parts(store)
    assert (requests[0], "owner") not in parts
    assert parts[(requests[0], "public")][1] >= 7
    _pictures_agree(store)


def test_the_migration_fills_the_parts_from_existing_allocations(store: Store) -> None:
    from alembic import command

    rng = random.Random(9)
    requests, offers = _records(store, rng, 6)
    pledge_then_withdraw(store, COORD, DAY, rng, lambda: writes.pair(rng, requests, offers), 14)
    want = _parts(store)
    assert want
    cfg = _alembic_config(store.engine)
    command.downgrade(cfg, "0018_picture")
    with store.engine.begin() as conn:
        tables = {"picture_parts"} & set(conn.dialect.get_table_names(conn))
        assert not tables
        # written while no trigger keeps the parts: the backfill counts it all the same
        conn.execute(text(
            "INSERT INTO allocations (id, offer_id, request_id, quantity, needs_consent, "
            "status) VALUES ('AL-OLD', :o, :r, 4, false, 'approved')"
        ), {"o": offers[0], "r": requests[0]})
        rel = conn.execute(text("SELECT releasability FROM offers WHERE id = :o"),
                           {"o": offers[0]}).scalar_one()
    command.upgrade(cfg, "heads")
    got = _parts(store)
    p, q, d = want.get((requests[0], str(rel)), (0, 0, 0))
    assert got == {**want, (requests[0], str(rel)): (p, q + 4, d)}
    _pictures_agree(store)


@pytest.mark.parametrize("seed", [3, 11])
def test_nation_parts_follow_who_sees_each_offer(store: Store, seed: int) -> None:
    """``nation_parts`` (0024_nation_parts) equal to the sums recomputed from the records
    after each write of a random mix weighted to what decides who sees an offer whatever
    its text: consent requests added (naming an offer or its holder's offers of a
    family), removed and changed, offers' donor, origin, family and releasability changed,
    between pledges and lifecycle moves; the pictures from them equal to those from the
    records."""
    rng = random.Random(seed)
    requests, offers = _records(store, rng, 10)
    for _ in range(8):
        writes.write(store, rng, "batch", requests, offers, caller=COORD, day=DAY,
                     sql=_plain_sql)
    done: dict[str, int] = defaultdict(int)
    most_asked = 0
    for step in range(90):
        if step % 3:
            # each statement in turn, with random values
            statements = _record_sql(rng, offers)
            sql, params = statements[step % len(statements)]
            with store.engine.begin() as conn:
                done[" ".join(sql.split()[:2])] += conn.execute(text(sql), params).rowcount
        else:
            with contextlib.suppress(AlliedError):  # a move the lifecycle refuses
                writes.write(store, rng, rng.choice(["pledge", "move", "bulk"]), requests,
                             offers, caller=COORD, day=DAY, sql=_plain_sql)
        _, asked = _nation_parts(store)
        most_asked = max(most_asked, asked)
        if step % 10 == 9:
            _pictures_agree(store)
    _pictures_agree(store)
    # every kind of write changed rows, and origin states saw offers they do not give
    assert {"INSERT INTO", "DELETE FROM", "UPDATE offers", "UPDATE consent_requests"} <= {
        k for k, n in done.items() if n}
    assert most_asked


def test_the_migration_fills_the_nation_parts_from_existing_records(store: Store) -> None:
    """0024_nation_parts's backfill: after a downgrade to 0023, allocations and a consent
    request written while no trigger keeps the table are counted all the same on the
    upgrade, and the downgrade drops the table and its triggers."""
    from alembic import command

    rng = random.Random(4)
    requests, offers = _records(store, rng, 8)
    pledge_then_withdraw(store, COORD, DAY, rng, lambda: writes.pair(rng, requests, offers), 16)
    before, _ = _nation_parts(store)
    cfg = _alembic_config(store.engine)
    command.downgrade(cfg, "0023_request_in_flight")
    with store.engine.begin() as conn:
        assert "nation_parts" not in set(conn.dialect.get_table_names(conn))
        # an offer held by POL, made in DEU, asked about by family; one allocation more
        conn.execute(text("UPDATE offers SET donor = 'POL', origin = 'DEU' WHERE id = :o"),
                     {"o": offers[0]})
        conn.execute(text(
            "INSERT INTO consent_requests (id, origin, holder, family, recipient, "
            "requested_on, status, offer_id, reason) SELECT 'CR-OLD', 'DEU', 'POL', o.family, "
            "'UKR', '2024-05-01', 'pending', NULL, '' FROM offers o WHERE o.id = :o"),
            {"o": offers[0]})
        conn.execute(text(
            "INSERT INTO allocations (id, offer_id, request_id, quantity, needs_consent, "
            "status) VALUES ('AL-OLD', :o, :r, 4, false, 'approved')"
        ), {"o": offers[0], "r": requests[0]})
    command.upgrade(cfg, "heads")
    after, asked = _nation_parts(store)
    with store.engine.connect() as conn:
        rel = conn.execute(text("SELECT releasability FROM offers WHERE id = :o"),
                           {"o": offers[0]}).scalar_one()
    assert after[("DEU", requests[0], str(rel))][1] >= 4  # DEU asked: it sees the 4
    assert after != before and asked
    _pictures_agree(store)


def test_nation_parts_follow_consent_requests_written_together(store: Store) -> None:
    """One statement adding, changing or removing several consent requests that ask the
    same origin about the same offer (PostgreSQL fires row triggers after the statement,
    each seeing all its rows): the origin sees the offer once, and no longer once none
    asks it."""
    rng = random.Random(5)
    requests, offers = _records(store, rng, 4)
    o = offers[0]
    insert = (
        "INSERT INTO consent_requests (id, origin, holder, family, recipient, requested_on, "
        "status, offer_id, reason) SELECT :i || v.n, 'DEU', o.donor, o.family, 'UKR', "
        "'2024-05-01', 'pending', CASE WHEN v.n = 'b' THEN NULL ELSE o.id END, '' "
        "FROM offers o, (SELECT 'a' AS n UNION ALL SELECT 'b' UNION ALL SELECT 'c') v "
        "WHERE o.id = :o")
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE offers SET donor = 'POL', origin = 'EST,DEU' WHERE id = :o"),
                     {"o": o})
        conn.execute(text(
            "INSERT INTO allocations (id, offer_id, request_id, quantity, needs_consent, "
            "status) VALUES ('AL-TOGETHER', :o, :r, 7, false, 'approved')"
        ), {"o": o, "r": requests[0]})
    seen = ("DEU", requests[0])

    def deu() -> int:
        got, _ = _nation_parts(store)
        return sum(q for (n, r, _), (_, q, _) in got.items() if (n, r) == seen)

    assert deu() == 0
    with store.engine.begin() as conn:
        conn.execute(text(insert), {"i": "CR-T-", "o": o})
    assert deu() == 7
    with store.engine.begin() as conn:  # two of three leave DEU, then come back
        conn.execute(text("UPDATE consent_requests SET origin = 'EST' "
                          "WHERE id IN ('CR-T-a', 'CR-T-b')"))
    assert deu() == 7
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE consent_requests SET origin = 'DEU' WHERE id LIKE 'CR-T-%'"))
    assert deu() == 7
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE consent_requests SET origin = 'EST' WHERE id LIKE 'CR-T-%'"))
    assert deu() == 0
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE consent_requests SET origin = 'DEU' WHERE id LIKE 'CR-T-%'"))
    assert deu() == 7
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM consent_requests WHERE id LIKE 'CR-T-%'"))
    assert deu() == 0
    with store.engine.begin() as conn:  # and added again, two of them at once
        conn.execute(text(insert.replace("'c'", "'a'") + " AND v.n <> 'a'"),
                     {"i": "CR-U-", "o": o})
    assert deu() == 7
    _pictures_agree(store)


def test_an_offer_added_after_a_request_about_its_family_is_seen_by_the_origin(
    store: Store,
) -> None:
    """A consent request about a holder's offers of a family covers the offers it adds
    later: DEU, asked about POL's offers of the family, sees a new one's pledge."""
    rng = random.Random(8)
    requests, _ = _records(store, rng, 2)
    with store.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO consent_requests (id, origin, holder, family, recipient, requested_on, "
            "status, offer_id, reason) VALUES ('CR-FAM', 'DEU', 'POL', :f, 'UKR', "
            "'2024-05-01', 'pending', NULL, '')"), {"f": FAMILIES[0]})
    add_offers(store.uow(), COORD, [(None, "new", {
        "id": "PO-NEW", "donor": "POL", "family": FAMILIES[0], "quantity": 40,
        "available_from": "2024-01-01", "origin": "DEU", "releasability": "owner"})])
    access.pledge(store.uow(), COORD, DAY, offer_id="PO-NEW", request_id=requests[0],
                  quantity=9)
    parts, asked = _nation_parts(store)
    assert parts[("DEU", requests[0], "owner")][1] == 9 and asked
    _pictures_agree(store)


def test_an_offer_moved_keeps_no_empty_nation_parts(store: Store) -> None:
    """An allocation of nothing in a counted status (plain SQL: the domain refuses it)
    adds nothing to ``nation_parts`` when written, and nothing either when its offer's
    releasability or donor changes and its allocations join the parts under the new
    text: no all-zero row is kept."""
    rng = random.Random(1)
    requests, offers = _records(store, rng, 2)
    o = offers[0]
    with store.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO allocations (id, offer_id, request_id, quantity, needs_consent, "
            "status) VALUES ('AL-NONE', :o, :r, 0, false, 'approved')"
        ), {"o": o, "r": requests[1]})
    _nation_parts(store)
    for sql in ("UPDATE offers SET releasability = CASE WHEN releasability = 'support' "
                "THEN 'public' ELSE 'support' END WHERE id = :o",
                "UPDATE offers SET donor = CASE WHEN donor = 'POL' THEN 'EST' ELSE 'POL' END "
                "WHERE id = :o"):
        with store.engine.begin() as conn:
            conn.execute(text(sql), {"o": o})
        _nation_parts(store)
    _pictures_agree(store)
