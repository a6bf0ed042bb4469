"""Request and response bodies (the OpenAPI document is generated from these).

Input models only bound sizes and types; the domain parsers (one parser for CLI, files
and API) validate values and name the bad field. Types are strict: an integer is a JSON
number without fraction (``true`` is not a quantity, nor ``"3"``; ``3.0`` is, as JSON
Schema says), a boolean is ``true`` or ``false`` (not ``0``), a date is a ``YYYY-MM-DD``
string (not a count of seconds).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, RootModel, StringConstraints

from allied.domain.values import FREE_TEXT, ONE_LINE_TEXT

T = TypeVar("T")

# free text as the service checks it (no control or bidirectional characters)
_NO_NUL = FREE_TEXT
Short = Annotated[str, StringConstraints(max_length=64, pattern=_NO_NUL)]
Code = Annotated[str, StringConstraints(max_length=16, pattern=_NO_NUL)]
Codes = Annotated[str, StringConstraints(max_length=200, pattern=_NO_NUL)]
Text = Annotated[str, StringConstraints(max_length=2000, pattern=_NO_NUL)]
Spec = Annotated[str, StringConstraints(max_length=500, pattern=_NO_NUL)]


def _json_integer(value: object) -> object:
    """A JSON integer: a number with no fraction (JSON Schema counts ``3.0`` as one), not
    ``true`` or ``"3"`` (pydantic alone stores ``true`` as 1)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected an integer, got {value!r}")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"expected an integer, got {value!r}")
        return int(value)
    return value


JsonInt = BeforeValidator(_json_integer)
Quantity = Annotated[int, Field(ge=1, le=1_000_000_000), JsonInt]
Flag = Annotated[bool, Field(strict=True)]
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: object) -> object:
    """Only ``YYYY-MM-DD`` (pydantic alone reads ``0`` as 1970-01-01, and a time too)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    raise ValueError(f"expected a date YYYY-MM-DD, got {value!r}")


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
ChannelName = Literal["bilateral", "udcg", "nato-cap", "nsatu", "eu-epf", "g7"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorOut(BaseModel):
    error: str = Field(description="a short code: not-found, invalid-input, forbidden, ...")
    message: str
    field: str | None = Field(None, description="the field at fault, when there is one")
    entry: int | None = Field(
        None, description="ledger-integrity: the sequence number of the first entry at fault"
    )


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="visible records matching the filters")
    limit: int
    offset: int


# -- requests and offers -----------------------------------------------------------------

#: The date rules (allied.domain.dates), as the API's document states them.
NEEDED_BY = "from the server's today to 10 years ahead (an amendment: the same)"
AVAILABLE_FROM = "from 365 days before the server's today to 10 years ahead"


class RequestIn(Strict):
    id: Short | None = None
    recipient: Code
    family: Short
    accepts: Annotated[list[Short], Field(max_length=20)] | None = None
    quantity: Quantity
    priority: Annotated[int, Field(ge=1, le=5), JsonInt] = 3
    needed_by: IsoDate = Field(description=NEEDED_BY)
    item_type: Short | None = None
    notes: Text | None = None
    releasability: Spec | None = Field(
        None,
        description="support (default: the contact group's members and partners on the "
        "day) | owner | nations:A,B | org:ORG | public | public:YYYY-MM-DD",
    )


class RequestOut(BaseModel):
    id: str
    recipient: str
    family: str
    accepts: list[str]
    quantity: int
    priority: int
    needed_by: str
    item_type: str | None
    status: str
    notes: str
    releasability: str
    pledged: int = Field(
        description="quantity pledged against the request: its allocations accepted past "
        "`proposed` and still counted (`pledged`, `consent-pending`, `approved`, `shipped`, "
        "`delivered`, `in-repair`, `returned`, `lost`; not `rejected` or `withdrawn`). A "
        "`proposed` allocation, a plan line not yet accepted, is no pledge and is not "
        "counted. Of another nation's request, only the allocations of offers released to "
        "the caller count; of the caller's own, all of them. The dashboard's request list "
        "and overview show the same figure."
    )
    outstanding: int = Field(
        description="the quantity less `pledged`, never below 0 (what is still to be "
        "pledged; `proposed` plan lines do not reduce it)"
    )


class OfferIn(Strict):
    id: Short | None = None
    donor: Code
    family: Short
    quantity: Quantity
    available_from: IsoDate = Field(description=AVAILABLE_FROM)
    channel: ChannelName = "bilateral"
    lethal: Flag = True
    item_type: Short | None = None
    origin: Codes | None = Field(None, description="state(s) that made the item, ISO3")
    recipient: Code | None = None
    fund: Short | None = None
    caveats: Text | None = None
    releasability: Spec | None = Field(
        None, description="owner (default) | nations:A,B | org:ORG | public | public:YYYY-MM-DD"
    )


class OfferOut(BaseModel):
    id: str
    donor: str
    family: str
    quantity: int
    available_from: str
    channel: str
    lethal: bool
    item_type: str | None
    origin: str | None
    recipient: str | None
    fund: str | None
    caveats: str
    status: str
    releasability: str
    committed: int
    available: int


class TotalOut(BaseModel):
    key: str
    offers: int
    quantity: int
    committed: int


# -- allocations -------------------------------------------------------------------------


class PledgeIn(Strict):
    offer: Short
    request: Short
    quantity: Quantity


class AllocationOut(BaseModel):
    id: str
    offer: str
    request: str
    quantity: int
    status: str
    needs_consent: bool
    updated_at: str | None
    #: what receiving it needs to know, given to every party of the allocation even when
    #: the offer itself is not released to it (absent from a pledge's answer)
    donor: str | None = None
    family: str | None = None
    item_type: str | None = None
    available_from: str | None = None
    recipient: str | None = None
    needed_by: str | None = None


AllocationStatusName = Literal[
    "proposed",
    "pledged",
    "consent-pending",
    "approved",
    "shipped",
    "delivered",
    "rejected",
    "withdrawn",
    "lost",
    "in-repair",
    "returned",
]


class PriorityIn(Strict):
    priority: Annotated[int, Field(ge=1, le=5, description="1 (low) to 5 (urgent)"), JsonInt]


class TransitionIn(Strict):
    to: AllocationStatusName


class RunIn(Strict):
    as_of: IsoDate
    solver: Literal["auto", "flow", "lp", "greedy"] = "auto"
    allow_pending_consent: bool = Field(
        False,
        strict=True,
        description="also propose items whose origin state has not answered yet; the "
        "allocation then waits in consent-pending once pledged",
    )
    lateness_half_life_days: float = Field(
        30.0,
        strict=True,
        gt=0, le=3650, description="days late after which an offer's weight halves"
    )


class RunOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    as_of: str
    allocation_ids: list[str]


# -- consents, proposals, accessions --------------------------------------------------------


class ConsentOut(BaseModel):
    id: str
    origin: str
    holder: str
    family: str
    recipient: str
    offer: str | None
    status: str
    effective_status: str
    requested_on: str
    decided_on: str | None
    expires_on: str | None
    reason: str
    #: the facts the origin answers on (absent from an answer's echo)
    item_type: str | None = None
    quantity: int | None = Field(None, description="units of the allocations it unlocks")
    allocations: list[str] | None = Field(None, description="the allocations it unlocks")
    days_waited: int | None = None


class AnswerIn(Strict):
    answer: Literal["granted", "denied", "expired"]
    reason: Text = Field("", description="required: why (the ledger records it)")


class ProposalIn(Strict):
    forum: Code
    rule: Literal["consensus-silence", "unanimity", "qmv", "coalition", "national"]
    title: Annotated[str, StringConstraints(min_length=1, max_length=300, pattern=ONE_LINE_TEXT)]
    deadline: IsoDate
    text: Text = ""
    id: Short | None = None


class PositionIn(Strict):
    actor: Code
    position: Literal["yes", "no", "abstain"]
    reason: Text = ""


class ProposalOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    forum: str
    rule: str
    title: str
    version: int
    status: str
    deadline: str
    positions: dict[str, Any]


class AccessionStepIn(Strict):
    step: Literal["apply", "invite", "sign", "ratify", "join"]
    on: IsoDate
    candidate: Code | None = None
    org: Code | None = None
    state: Code | None = None


class AccessionOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    candidate: str
    org: str
    stage: str


# -- reference data ----------------------------------------------------------------------


class ActorOut(BaseModel):
    code: str
    name: str
    kind: str


class MembershipOut(BaseModel):
    actor: str
    org: str
    role: str
    start: str
    end: str | None


class ItemTypeOut(BaseModel):
    code: str
    name: str
    category: str
    family: str
    lethal: bool
    unit_value: str | None
    valuation_basis: str | None


# -- ledger and users --------------------------------------------------------------------


class LedgerEntryOut(BaseModel):
    seq: int
    at: str
    user: str
    nation: str
    kind: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str


class LedgerPageOut(BaseModel):
    items: list[LedgerEntryOut]
    head: int = Field(description="sequence number of the newest entry")
    after: int
    limit: int


class VerifyOut(BaseModel):
    intact: bool
    entries: int
    checkpoints: int | None = Field(
        None, description="with checkpoints=true: the stored signed checkpoints it passed"
    )
    records: int | None = Field(
        None, description="with records=true: the records found to match the ledger's replay"
    )


class CheckpointOut(BaseModel):
    format: str = Field(description="allied-ledger-checkpoint/1")
    seq: int = Field(description="the ledger's number of entries when signed")
    hash: str = Field(description="the hash of entry seq")
    at: str = Field(description="when it was signed (UTC)")
    key_id: str = Field(description="first 16 hex digits of SHA-256 over the public key")
    signature: str = Field(description="Ed25519 over the signed text, base64 (docs/ledger.md)")


class MeOut(BaseModel):
    user: str
    nation: str
    role: str


class UserIn(Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=_NO_NUL)]
    role: Literal["coordinator", "donor", "origin", "recipient", "auditor", "admin"]
    nation: Code | None = None


class UserOut(BaseModel):
    id: str
    name: str
    nation: str
    role: str
    created_at: str
    revoked_at: str | None
    active: bool


class NewUserOut(UserOut):
    token: str = Field(description="the bearer token, shown once; only its hash is stored")


class HealthOut(BaseModel):
    status: str
    database: str


# -- records that live (amend, withdraw, close, expire) -------------------------------------


class RequestPatch(Strict):
    """The fields of an open request to change (at least one)."""

    quantity: Quantity | None = Field(None, description="never below what is allocated")
    priority: Annotated[int, Field(ge=1, le=5)] | None = None
    needed_by: dt.date | None = Field(None, description=NEEDED_BY)
    notes: Text | None = None
    releasability: Spec | None = None


class OfferPatch(Strict):
    """The fields of an open offer to change (at least one)."""

    quantity: Quantity | None = Field(None, description="never below what is allocated")
    available_from: dt.date | None = Field(None, description=AVAILABLE_FROM)
    caveats: Text | None = None
    releasability: Spec | None = None


class EndIn(Strict):
    reason: Text = ""


class ExpiryIn(Strict):
    grace_days: Annotated[int, Field(ge=0, le=36500)] = Field(
        90, description="days past its needed-by date after which an open request expires"
    )


class ExpiryOut(BaseModel):
    on: str
    requests: list[dict[str, Any]]
    consents: list[str]


# -- plans accepted as plans ----------------------------------------------------------------


class MoveIn(Strict):
    allocation: Annotated[
        str,
        StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"),
    ]
    to: AllocationStatusName
    reason: Text = Field("", description="why (the move's ledger entry records it)")


class MovesIn(RootModel[list[MoveIn]]):
    """``[{"allocation": ID, "to": STATUS, "reason": TEXT}, ...]``: moved in one
    transaction, in order, all or nothing (the reason is optional)."""

    root: Annotated[list[MoveIn], Field(min_length=1, max_length=1000)]


# -- to-do lists ------------------------------------------------------------------------------


class TodoSection(BaseModel):
    name: str
    title: str
    items: list[dict[str, Any]]
    total: int = Field(description="how many items the section has (`items`: the first)")


class TodoOut(BaseModel):
    on: str
    role: str
    nation: str
    sections: list[TodoSection]


# -- API parity: standing consent policies, proposal revise and withdraw ----------------------


class PolicyIn(Strict):
    policy: Literal["restrictive", "permissive", "case-by-case"]
    since: dt.date | None = Field(None, description="default: today")
    source: Text | None = Field(
        None,
        description="where the policy is declared (a statement, a law); omitted or null: "
        'the source recorded earlier for this origin is kept; "" clears it (as '
        "`allied consent policy --source` and the dashboard's form)",
    )


class PolicyOut(BaseModel):
    origin: str
    policy: str
    since: str
    source: str = ""


class ReviseIn(Strict):
    text: Text
    deadline: dt.date = Field(description="the new deadline: the clock restarts")


class ImportIn(Strict):
    """Records as the import files hold them (the fields of ``POST /requests`` or
    ``POST /offers``), checked all first: one bad record and nothing is written."""

    records: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=5000)]


class ImportOut(BaseModel):
    kind: str
    imported: int
    ids: list[str]
