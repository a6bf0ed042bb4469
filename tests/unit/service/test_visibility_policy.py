"""The visibility policy (``allied.domain.visibility``), as pure rules and through the
checked use-cases on the in-memory fakes (``tests/fakes.py``, typed as the ports)."""

from __future__ import annotations

import datetime as dt

import pytest

from allied.domain.actors import Actor, ActorKind, Membership, Role
from allied.domain.assistance import Allocation, Offer, Request
from allied.domain.consent import ConsentRequest
from allied.domain.errors import NotFound
from allied.domain.proposals import Proposal
from allied.domain.releasability import Releasability
from allied.domain.rules import Rule
from allied.domain.visibility import Viewer, viewer_on
from allied.service import access
from allied.service.caller import Caller
from allied.service.ports import UnitOfWork
from fakes import FakeUnitOfWork

DAY = dt.date(2024, 3, 1)
NATO = [Membership("EST", "NATO", Role.MEMBER, dt.date(2004, 3, 29))]


def _offer(oid: str = "O-1", releasability: str = "owner", **kw: object) -> Offer:
    return Offer(
        oid, "DEU", "155mm-nato", 10, DAY, releasability=Releasability.parse(releasability),
        **kw,  # type: ignore[arg-type]
    )


def _request(rid: str = "R-1", releasability: str = "owner") -> Request:
    return Request(
        rid, "UKR", "155mm-nato", 5, 3, dt.date(2024, 6, 1),
        releasability=Releasability.parse(releasability),
    )


@pytest.mark.parametrize(
    ("role", "nation", "spec", "seen"),
    [
        ("coordinator", "", "owner", True),
        ("auditor", "", "owner", True),
        ("donor", "DEU", "owner", True),  # its own
        ("donor", "EST", "owner", False),
        ("donor", "EST", "nations:EST", True),
        ("donor", "EST", "org:NATO", True),
        ("donor", "EST", "org:EU", False),
        ("donor", "EST", "public:2024-03-02", False),
        ("donor", "EST", "public:2024-03-01", True),
        ("admin", "", "public", True),
        ("admin", "", "owner", False),
    ],
)
def test_records_follow_their_releasability(role: str, nation: str, spec: str, seen: bool) -> None:
    v = viewer_on(nation, role, DAY, NATO)
    assert v.sees_record(_offer(releasability=spec)) is seen


def test_memberships_count_only_on_their_dates() -> None:
    left = [Membership("EST", "NATO", Role.MEMBER, dt.date(2004, 3, 29), dt.date(2024, 2, 1))]
    assert not viewer_on("EST", "donor", DAY, left).sees_record(_offer(releasability="org:NATO"))


def test_consents_and_proposals_are_seen_by_the_states_named() -> None:
    c = ConsentRequest("C-1", "USA", "DEU", "155mm-nato", "UKR", DAY)
    assert Viewer("USA", "origin", DAY).sees_consent(c)
    assert Viewer("DEU", "donor", DAY).sees_consent(c)
    assert not Viewer("FRA", "donor", DAY).sees_consent(c)
    assert Viewer("", "auditor", DAY).sees_consent(c)
    p = Proposal("P1", "NATO", Rule.CONSENSUS_SILENCE, "t", DAY, DAY, ("EST", "LVA"))
    assert Viewer("EST", "donor", DAY).sees_proposal(p)
    assert not Viewer("UKR", "recipient", DAY).sees_proposal(p)


def _store() -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    for code in ("DEU", "EST", "UKR", "USA"):
        uow.actors.add(Actor(code, code, ActorKind.STATE))
    uow.actors.add(Actor("NATO", "NATO", ActorKind.ORGANISATION))
    for m in NATO:
        uow.memberships.add(m)
    uow.offers.add(_offer("O-HIDDEN"))
    uow.offers.add(_offer("O-NATO", "org:NATO"))
    uow.requests.add(_request("R-1", "public"))
    uow.allocations.add(Allocation("A-1", "O-HIDDEN", "R-1", 2))
    return uow


def test_use_cases_apply_the_policy_on_the_fakes() -> None:
    uow: UnitOfWork = _store()  # the fake type-checks as the port
    est = Caller("e", "EST", "donor")
    ids = [o["id"] for o in access.list_offers(uow, est, DAY).items]
    assert ids == ["O-NATO"]
    with pytest.raises(NotFound):
        access.get_offer(uow, est, DAY, "O-HIDDEN")
    coordinator = Caller("c", "", "coordinator")
    assert access.list_offers(uow, coordinator, DAY).total == 2


UDCG = [
    Membership("EST", "UDCG", Role.MEMBER, dt.date(2022, 4, 26)),
    Membership("UKR", "UDCG", Role.PARTNER, dt.date(2022, 4, 26)),
    Membership("JPN", "UDCG", Role.MEMBER, dt.date(2022, 4, 26), dt.date(2023, 12, 31)),
]


@pytest.mark.parametrize(
    ("nation", "seen"),
    [("EST", True), ("UKR", True), ("JPN", False), ("CHN", False), ("", False)],
)
def test_a_request_by_default_reaches_the_recipients_support(nation: str, seen: bool) -> None:
    """Members and partners of the contact group on the day (Japan had left by then)."""
    request = _request(releasability="support")
    mine = [m for m in UDCG if m.actor == nation]
    assert viewer_on(nation, "donor", DAY, mine).sees_record(request) is seen


def test_an_allocation_is_seen_by_its_parties_whatever_the_offer() -> None:
    hidden = _offer(origin="USA")  # owner-only, made in the USA
    request = _request()
    for nation, asked, seen in [
        ("UKR", False, True),  # the recipient
        ("DEU", False, True),  # the donor
        ("USA", True, True),  # the origin state asked for consent
        ("USA", False, False),  # ... and not before it is asked
        ("FRA", True, False),  # not an origin of the item
        ("EST", False, False),
    ]:
        assert Viewer(nation, "donor", DAY).sees_allocation(hidden, request, asked) is seen, nation
    assert Viewer("", "auditor", DAY).sees_allocation(hidden, request)
    assert Viewer("EST", "donor", DAY).sees_allocation(_offer(releasability="public"), request)


def test_the_consent_request_is_seen_by_the_recipient_too() -> None:
    c = ConsentRequest("C-1", "USA", "DEU", "155mm-nato", "UKR", DAY)
    assert Viewer("UKR", "recipient", DAY).sees_consent(c)
