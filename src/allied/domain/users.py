"""Users of the clearinghouse, their roles and what each role may do (pure rules).

A user acts *as a nation* (ISO3) *in a role*:

=============  ==============================================================
role           may
=============  ==============================================================
coordinator    see every record; register requests and offers for anyone;
               pledge; run the allocation; move allocations; proposals,
               accessions; standing consent policies; expire overdue records
               and consents; read the ledger; review the monitor's events
               (propose, confirm, correct, reject); import public data (Kiel, SIPRI)
donor          register offers for its nation and pledge them; move its own
               pledges (withdraw, ship, return); read requests and what is
               released to its nation
origin         answer re-export consent requests naming its nation; set its
               nation's standing consent policy
recipient      register requests for its nation; confirm receipt, send for
               repair; see offers released to it
auditor        see every record, read-only; read and verify the ledger; read
               the monitor's events
admin          manage users (add, revoke, list)
=============  ==============================================================

Everyone but the coordinator and the auditor sees a record only when its
releasability names the caller's nation (see :mod:`allied.domain.releasability`).
A bearer token is never stored: only its SHA-256 digest is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum

from allied.domain.errors import InvalidInput, PermissionDenied
from allied.domain.values import actor_code


class UserRole(StrEnum):
    COORDINATOR = "coordinator"
    DONOR = "donor"
    ORIGIN = "origin"
    RECIPIENT = "recipient"
    AUDITOR = "auditor"
    ADMIN = "admin"


class Action(StrEnum):
    """What a caller may ask the clearinghouse to do."""

    READ = "read"  # read records (always filtered by releasability)
    CREATE_REQUEST = "create-request"
    CREATE_OFFER = "create-offer"
    PLEDGE = "pledge"
    ADVANCE_ALLOCATION = "advance-allocation"
    RUN_ALLOCATION = "run-allocation"
    ANSWER_CONSENT = "answer-consent"
    READ_CONSENTS = "read-consents"
    DECIDE = "decide"  # circulate proposals, record positions
    ACCESSION = "accession"
    READ_LEDGER = "read-ledger"
    MANAGE_USERS = "manage-users"
    SET_CONSENT_POLICY = "set-consent-policy"  # an origin's standing policy (its own)
    EXPIRE = "expire"  # the system's expiry of overdue records and consents
    READ_EVENTS = "read-events"  # the monitor's record: proposals and analysts' decisions
    REVIEW_EVENTS = "review-events"  # propose monitor events; confirm, correct, reject
    IMPORT_PUBLIC = "import-public"  # import the Kiel tracker and the SIPRI register


R = UserRole
A = Action

PERMISSIONS: dict[UserRole, frozenset[Action]] = {
    R.COORDINATOR: frozenset(
        {
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
        }
    ),
    R.DONOR: frozenset({A.READ, A.CREATE_OFFER, A.PLEDGE, A.ADVANCE_ALLOCATION, A.READ_CONSENTS}),
    R.ORIGIN: frozenset({A.READ, A.READ_CONSENTS, A.ANSWER_CONSENT, A.SET_CONSENT_POLICY}),
    R.RECIPIENT: frozenset({A.READ, A.CREATE_REQUEST, A.ADVANCE_ALLOCATION, A.READ_CONSENTS}),
    R.AUDITOR: frozenset({A.READ, A.READ_CONSENTS, A.READ_LEDGER, A.READ_EVENTS}),
    R.ADMIN: frozenset({A.READ, A.MANAGE_USERS}),
}

#: Roles that see every record whatever its releasability.
SEES_ALL = frozenset({R.COORDINATOR, R.AUDITOR})
#: Roles that act for one nation and so must have one.
NATIONAL_ROLES = frozenset({R.DONOR, R.ORIGIN, R.RECIPIENT})

#: Roles that act for no nation: an auditor reads every nation's records, an admin manages
#: users; a nation on either would read as a party it is not (a coordinator may name the
#: nation its member comes from, recorded beside its ledger entries).
NATIONLESS_ROLES = frozenset({R.AUDITOR, R.ADMIN})

#: Allocation statuses each role may move an allocation *to* (the coordinator: any).
DONOR_MOVES = frozenset({"pledged", "consent-pending", "withdrawn", "shipped", "returned"})
RECIPIENT_MOVES = frozenset({"delivered", "in-repair", "lost", "rejected"})


def parse_role(value: object, field: str = "role") -> UserRole:
    try:
        return UserRole(str(value).strip().lower())
    except ValueError:
        raise InvalidInput(
            f"unknown role {value!r}; expected one of {', '.join(r.value for r in UserRole)}",
            field=field,
        ) from None


def may(role: UserRole | str, action: Action) -> bool:
    try:
        return action in PERMISSIONS[UserRole(role)]
    except ValueError:
        return False


def require(role: UserRole | str, action: Action) -> None:
    """Raise :class:`PermissionDenied` unless ``role`` may take ``action``."""
    if not may(role, action):
        raise PermissionDenied(f"role {role!s} may not {action.value.replace('-', ' ')}")


def sees_all(role: UserRole | str) -> bool:
    return role in SEES_ALL


def require_own_nation(role: UserRole | str, nation: str, owner: str, what: str) -> None:
    """A national role acts only for its own nation (the coordinator acts for anyone)."""
    if role == R.COORDINATOR:
        return
    if owner != nation:
        raise PermissionDenied(
            f"a {role!s} of {nation or 'no nation'} may not act for {owner} ({what})"
        )


def may_move_allocation(role: UserRole | str, to: str) -> bool:
    if role == R.COORDINATOR:
        return True
    if role == R.DONOR:
        return to in DONOR_MOVES
    if role == R.RECIPIENT:
        return to in RECIPIENT_MOVES
    return False


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")


def user_name(value: object, field: str = "name") -> str:
    if not isinstance(value, str) or not _NAME.match(value.strip()):
        raise InvalidInput(
            f"expected a user name (letters, digits, . _ @ -; at most 100), got {value!r}",
            field=field,
        )
    return value.strip()


def check_nation_for_role(role: UserRole, nation: str | None, field: str = "nation") -> str:
    """The nation a user of ``role`` acts as (required for national roles)."""
    if nation is None or not str(nation).strip():
        if role in NATIONAL_ROLES:
            raise InvalidInput(f"a {role.value} acts for a nation: give its ISO3 code", field=field)
        return ""
    return actor_code(nation, field)


def user_nation(role: UserRole, nation: str | None, field: str = "nation") -> str:
    """The nation a new user of ``role`` is recorded with: required for a national role,
    refused for a nationless one (:data:`NATIONLESS_ROLES`), optional otherwise."""
    code = check_nation_for_role(role, nation, field)
    if code and role in NATIONLESS_ROLES:
        raise InvalidInput(
            f"an {role.value} acts for no nation: leave the nation empty (got {code})",
            field=field,
        )
    return code


def hash_token(token: str) -> str:
    """The stored form of a bearer token: its SHA-256 digest in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(eq=False)
class User:
    id: str
    name: str
    nation: str
    role: UserRole
    token_hash: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def revoke(self, at: dt.datetime) -> None:
        if self.revoked_at is not None:
            from allied.domain.errors import IllegalTransition

            raise IllegalTransition(f"user {self.name}", "revoked", "revoked")
        self.revoked_at = at

    def __repr__(self) -> str:
        return f"User({self.name!r}, {self.role.value}, {self.nation or '-'})"
