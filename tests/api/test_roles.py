"""The pure rules of users and roles (``allied.domain.users``)."""

from __future__ import annotations

import pytest

from allied.domain.errors import InvalidInput, PermissionDenied
from allied.domain.users import (
    Action,
    UserRole,
    check_nation_for_role,
    hash_token,
    may,
    may_move_allocation,
    parse_role,
    require,
    require_own_nation,
    sees_all,
    user_name,
    user_nation,
)

A = Action
#: The table of docs/api.md, written out independently of PERMISSIONS.
EXPECTED = {
    "coordinator": {
        A.READ,
        A.CREATE_REQUEST,
        A.CREATE_OFFER,
        A.PLEDGE,
        A.ADVANCE_ALLOCATION,
        A.RUN_ALLOCATION,
        A.READ_CONSENTS,
        A.DECIDE,
        A.ACCESSION,
        A.READ_LEDGER,
        A.SET_CONSENT_POLICY,
        A.EXPIRE,
        A.READ_EVENTS,
        A.REVIEW_EVENTS,
        A.IMPORT_PUBLIC,
    },
    "donor": {A.READ, A.CREATE_OFFER, A.PLEDGE, A.ADVANCE_ALLOCATION, A.READ_CONSENTS},
    "origin": {A.READ, A.READ_CONSENTS, A.ANSWER_CONSENT, A.SET_CONSENT_POLICY},
    "recipient": {A.READ, A.CREATE_REQUEST, A.ADVANCE_ALLOCATION, A.READ_CONSENTS},
    "auditor": {A.READ, A.READ_CONSENTS, A.READ_LEDGER, A.READ_EVENTS},
    "admin": {A.READ, A.MANAGE_USERS},
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_each_role_may_exactly_its_actions(role: str) -> None:
    for action in Action:
        assert may(role, action) is (action in EXPECTED[role]), (role, action)
        if action in EXPECTED[role]:
            require(role, action)
        else:
            with pytest.raises(PermissionDenied):
                require(role, action)
    assert not may("king", Action.READ)


def test_who_sees_everything() -> None:
    assert {r.value for r in UserRole if sees_all(r)} == {"coordinator", "auditor"}


def test_national_roles_act_for_their_own_nation() -> None:
    require_own_nation("donor", "EST", "EST", "offer")
    require_own_nation("coordinator", "", "EST", "offer")
    with pytest.raises(PermissionDenied, match="EST"):
        require_own_nation("donor", "EST", "DEU", "offer")
    with pytest.raises(PermissionDenied):
        require_own_nation("auditor", "", "DEU", "offer")


def test_allocation_moves_by_role() -> None:
    assert may_move_allocation("donor", "shipped") and not may_move_allocation("donor", "delivered")
    assert may_move_allocation("recipient", "delivered")
    assert not may_move_allocation("recipient", "shipped")
    assert all(may_move_allocation("coordinator", s) for s in ("approved", "lost", "returned"))
    assert not may_move_allocation("auditor", "withdrawn")


def test_inputs() -> None:
    assert parse_role(" Donor ") is UserRole.DONOR
    with pytest.raises(InvalidInput) as err:
        parse_role("king")
    assert err.value.field == "role"
    assert check_nation_for_role(UserRole.DONOR, "est") == "EST"
    assert check_nation_for_role(UserRole.AUDITOR, None) == ""
    with pytest.raises(InvalidInput) as err:
        check_nation_for_role(UserRole.ORIGIN, " ")
    assert err.value.field == "nation"
    assert user_nation(UserRole.COORDINATOR, "nld") == "NLD"
    assert user_nation(UserRole.AUDITOR, "") == "" and user_nation(UserRole.ADMIN, None) == ""
    for nationless in (UserRole.AUDITOR, UserRole.ADMIN):
        with pytest.raises(InvalidInput) as err:
            user_nation(nationless, "DEU")
        assert err.value.field == "nation"
    with pytest.raises(InvalidInput):
        user_name("has space")
    assert user_name("a.b@c-d") == "a.b@c-d"


def test_token_hash_is_sha256_hex() -> None:
    assert hash_token("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
