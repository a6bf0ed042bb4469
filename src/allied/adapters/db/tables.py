"""Table definitions and the imperative mapping of domain entities onto them.

The domain never imports this module: ``start_mappers()`` maps its classes from here.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import registry, relationship

from allied.adapters.db.types import CodeList, DecimalText, EnumText, ReleasabilityText
from allied.domain.accession import Accession, AccessionStage, Ratification
from allied.domain.actors import Actor, ActorKind, Membership, Role
from allied.domain.assistance import (
    Allocation,
    AllocationStatus,
    Channel,
    Offer,
    RecordStatus,
    Request,
)
from allied.domain.catalogue import Category, ItemType, ValuationBasis
from allied.domain.consent import ConsentPolicy, ConsentRequest, ConsentStatus, OriginPolicy
from allied.domain.economy import Indicator
from allied.domain.funds import Contribution, PooledFund
from allied.domain.proposals import Proposal, ProposalStatus, Stance
from allied.domain.rules import Position, Rule
from allied.ledger.kinds import ALLOCATIONS_ONLY

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

CODE = String(16)
ID = String(64)
#: An offer's available quantity as the database computes it (the column
#: ``offers.available``, migration 0019_picture_parts)
AVAILABLE = "CASE WHEN quantity > held THEN quantity - held ELSE 0 END"

actors = Table(
    "actors",
    metadata,
    Column("code", CODE, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", EnumText(ActorKind), nullable=False),
)

memberships = Table(
    "memberships",
    metadata,
    Column("actor", CODE, ForeignKey("actors.code"), primary_key=True),
    Column("org", CODE, ForeignKey("actors.code"), primary_key=True),
    Column("role", EnumText(Role), primary_key=True),
    Column("start", Date, primary_key=True),
    Column("end", Date, nullable=True),
    Column("source", Text, nullable=False, default=""),
    Index("ix_memberships_org_role", "org", "role"),
)

indicators = Table(
    "indicators",
    metadata,
    Column("actor", CODE, ForeignKey("actors.code"), primary_key=True),
    Column("name", String(40), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("value", DecimalText, nullable=False),
    Column("source", Text, nullable=False, default=""),
)

item_types = Table(
    "item_types",
    metadata,
    Column("code", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("category", EnumText(Category), nullable=False),
    Column("family", String(40), nullable=False, index=True),
    Column("lethal", Boolean, nullable=False),
    Column("unit_value", DecimalText, nullable=True),
    Column("valuation_basis", EnumText(ValuationBasis), nullable=True),
    Column("calibre_mm", Integer, nullable=True),
    Column("source", Text, nullable=False, default=""),
)

requests = Table(
    "requests",
    metadata,
    Column("id", ID, primary_key=True),
    Column("recipient", CODE, ForeignKey("actors.code"), nullable=False, index=True),
    Column("family", String(40), nullable=False),
    Column("accepts", CodeList, nullable=False),
    Column("item_type", ID, ForeignKey("item_types.code"), nullable=True),
    Column("quantity", Integer, nullable=False),
    Column("priority", Integer, nullable=False),
    Column("needed_by", Date, nullable=False),
    Column("status", EnumText(RecordStatus), nullable=False),
    Column("notes", Text, nullable=False, default=""),
    Column("releasability", ReleasabilityText, nullable=False),
    Column("created_by", String(100), nullable=False, default=""),
    # the quantity its allocations hold, and how many it has (any status): a read model
    # kept by triggers (migration 0017_lists)
    Column("held", Integer, nullable=False, server_default="0"),
    Column("allocation_count", Integer, nullable=False, server_default="0"),
    # of what is held, the quantity proposed and the quantity delivered (delivered,
    # in repair, returned): the same read model (migration 0018_picture)
    Column("proposed", Integer, nullable=False, server_default="0"),
    Column("delivered", Integer, nullable=False, server_default="0"),
    # how many of its allocations are on their way (the domain's IN_FLIGHT: pledged,
    # consent-pending, approved, shipped): the same read model, so the overdue
    # deliveries are counted per request (migration 0023_request_in_flight)
    Column("in_flight", Integer, nullable=False, server_default="0"),
)

offers = Table(
    "offers",
    metadata,
    Column("id", ID, primary_key=True),
    Column("donor", CODE, ForeignKey("actors.code"), nullable=False, index=True),
    Column("family", String(40), nullable=False, index=True),
    Column("quantity", Integer, nullable=False),
    Column("available_from", Date, nullable=False),
    Column("channel", EnumText(Channel), nullable=False),
    Column("lethal", Boolean, nullable=False),
    Column("item_type", ID, ForeignKey("item_types.code"), nullable=True),
    Column("origin", String(200), nullable=True),  # one or more ISO3 codes, comma-separated
    Column("recipient", CODE, ForeignKey("actors.code"), nullable=True),
    Column("fund", ID, ForeignKey("funds.code"), nullable=True),
    Column("caveats", Text, nullable=False, default=""),
    Column("status", EnumText(RecordStatus), nullable=False),
    Column("releasability", ReleasabilityText, nullable=False),
    Column("created_by", String(100), nullable=False, default=""),
    # as requests.held and requests.allocation_count (migration 0017_lists)
    Column("held", Integer, nullable=False, server_default="0"),
    Column("allocation_count", Integer, nullable=False, server_default="0"),
    # of what is held, the quantity proposed, shipped (shipped, lost and the delivered
    # states) and delivered: the same read model, for the reports (migration
    # 0022_report_sums)
    Column("proposed", Integer, nullable=False, server_default="0"),
    Column("shipped", Integer, nullable=False, server_default="0"),
    Column("delivered", Integer, nullable=False, server_default="0"),
    # what is left: the quantity less what is held, never below nothing; computed by the
    # database from the two (migration 0019_picture_parts), indexed for the offers list
    # sorted by it
    Column("available", Integer, Computed(AVAILABLE)),
)

#: The most available first, as the offers list sorts them (migration 0019_picture_parts;
#: SQLite takes no NULLS LAST in an index, and its DESC puts nulls last by itself)
Index("ix_offers_available", offers.c.available.desc().nulls_last(), offers.c.id)

#: Per request and per releasability text of the offers allocated to it, the quantity
#: proposed, pledged (held past proposed) and delivered: a read model kept by triggers
#: (migration 0019_picture_parts), so a nation's picture sums the allocations of the
#: offers released to it by their text without joining every allocation to its offer.
#: Only parts with something in them are kept.
picture_parts = Table(
    "picture_parts",
    metadata,
    Column("request_id", ID, primary_key=True),
    Column("releasability", String(400), primary_key=True),
    Column("proposed", Integer, nullable=False),
    Column("pledged", Integer, nullable=False),
    Column("delivered", Integer, nullable=False),
)

#: Per nation that sees an offer whatever its releasability (its donor, the origin states
#: asked about it), request and the offer's releasability: the quantities proposed,
#: pledged and delivered (migration 0024_nation_parts, kept by triggers; a read model)
#: Which origin states see an offer though its releasability does not release it to them:
#: those a consent request asks about it (migration 0024_nation_parts, kept by triggers)
nation_offers = Table(
    "nation_offers",
    metadata,
    Column("offer_id", ID, primary_key=True),
    Column("nation", CODE, primary_key=True),
)

nation_parts = Table(
    "nation_parts",
    metadata,
    Column("nation", CODE, primary_key=True),
    Column("request_id", ID, primary_key=True),
    Column("releasability", String(400), primary_key=True),
    Column("proposed", Integer, nullable=False),
    Column("pledged", Integer, nullable=False),
    Column("delivered", Integer, nullable=False),
)

allocations = Table(
    "allocations",
    metadata,
    Column("id", ID, primary_key=True),
    Column("offer_id", ID, ForeignKey("offers.id"), nullable=False),
    Column("request_id", ID, ForeignKey("requests.id"), nullable=False, index=True),
    Column("quantity", Integer, nullable=False),
    Column("needs_consent", Boolean, nullable=False),
    Column("status", EnumText(AllocationStatus), nullable=False, index=True),
    Column("updated_at", DateTime(timezone=True), nullable=True),
)

#: An offer's allocations, with what a picture sums of them (their request, status and
#: quantity): read from the index alone (migration 0019_picture_parts)
Index("ix_allocations_offer_parts", allocations.c.offer_id, allocations.c.request_id,
      allocations.c.status, allocations.c.quantity)

#: Allocations counted by status (and whether they need consent), with their request: the
#: to-do list's counts read from the index alone (migration 0021_allocation_status_parts)
Index("ix_allocations_status_parts", allocations.c.status, allocations.c.needs_consent,
      allocations.c.request_id)

#: The latest moved first, as the dashboard lists them (migration 0017_lists; SQLite takes
#: no NULLS LAST in an index, and its DESC puts nulls last by itself)
Index(
    "ix_allocations_updated_at", allocations.c.updated_at.desc().nulls_last(), allocations.c.id
)

consent_policies = Table(
    "consent_policies",
    metadata,
    Column("origin", CODE, ForeignKey("actors.code"), primary_key=True),
    Column("policy", EnumText(OriginPolicy), nullable=False),
    Column("since", Date, nullable=False),
    Column("source", Text, nullable=False, default=""),
)

consent_requests = Table(
    "consent_requests",
    metadata,
    Column("id", ID, primary_key=True),
    Column("origin", CODE, ForeignKey("actors.code"), nullable=False, index=True),
    Column("holder", CODE, ForeignKey("actors.code"), nullable=False),
    Column("family", String(40), nullable=False),
    Column("recipient", CODE, ForeignKey("actors.code"), nullable=False),
    Column("requested_on", Date, nullable=False),
    Column("status", EnumText(ConsentStatus), nullable=False),
    Column("item_type", ID, ForeignKey("item_types.code"), nullable=True),
    Column("offer_id", ID, ForeignKey("offers.id"), nullable=True),
    Column("decided_on", Date, nullable=True),
    Column("expires_on", Date, nullable=True),
    Column("reason", Text, nullable=False, default=""),
    # the lookups of an offer's consent requests: those naming it, and those about its
    # holder's items of its family (migration 0020_consent_lookups)
    Index("ix_consent_requests_offer_id", "offer_id"),
    Index("ix_consent_requests_holder_family", "holder", "family"),
)

funds = Table(
    "funds",
    metadata,
    Column("code", ID, primary_key=True),
    Column("org", CODE, ForeignKey("actors.code"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("source", Text, nullable=False, default=""),
)

contributions = Table(
    "contributions",
    metadata,
    Column("id", ID, primary_key=True),
    Column("fund", ID, ForeignKey("funds.code"), nullable=False, index=True),
    Column("contributor", CODE, ForeignKey("actors.code"), nullable=False),
    Column("amount_eur", DecimalText, nullable=False),
    Column("on", Date, nullable=False),
    Column("source", Text, nullable=False, default=""),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", String(40), nullable=False),
    Column("user", String(100), nullable=False),
    Column("nation", String(16), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    # the payload's "id" (the record the entry is about), for a record's history; a copy
    # kept beside the hashed payload, not part of the hash (migration 0016)
    Column("subject", String(64), nullable=True, index=True),
)

#: The entries of a kind, in order: "the latest entry of a kind" is one index lookup, not
#: a backward scan of the whole ledger hoping to meet one (migration 0017_lists)
Index("ix_ledger_entries_kind", ledger_entries.c.kind, ledger_entries.c.seq)

ledger_head = Table(
    "ledger_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
    # the seq of the last entry that changed more than allocations (see RECORDS_UNCHANGED)
    Column("records_seq", Integer, nullable=False, server_default="0"),
)

#: Signed checkpoints of the ledger head (``allied.ledger.checkpoint``): a copy for
#: serving them; the trust lies in the copies nations keep outside the database.
ledger_checkpoints = Table(
    "ledger_checkpoints",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("key_id", String(16), primary_key=True),
    Column("hash", String(64), nullable=False),
    Column("at", String(40), nullable=False),
    Column("signature", String(200), nullable=False),
)

#: The last number handed out per generated-id prefix (``AL``, ``P``, ``C``).
id_counters = Table(
    "id_counters",
    metadata,
    Column("prefix", String(16), primary_key=True),
    Column("value", Integer, nullable=False),
)

#: Ledger kinds that change allocations only: they move ``ledger_head.seq`` but not
#: ``ledger_head.records_seq`` (the version read caches of records and users key on).
RECORDS_UNCHANGED = ALLOCATIONS_ONLY

proposals = Table(
    "proposals",
    metadata,
    Column("id", ID, primary_key=True),
    Column("forum", CODE, ForeignKey("actors.code"), nullable=False, index=True),
    Column("rule", EnumText(Rule), nullable=False),
    Column("title", String(300), nullable=False),
    Column("circulated_on", Date, nullable=False),
    Column("deadline", Date, nullable=False),
    Column("participants", CodeList, nullable=False),
    Column("proposer", String(100), nullable=False, default=""),
    Column("text", Text, nullable=False, default=""),
    Column("version", Integer, nullable=False),
    Column("status", EnumText(ProposalStatus), nullable=False),
    Column("closed_on", Date, nullable=True),
    Column("outcome", Text, nullable=False, default=""),
)

stances = Table(
    "stances",
    metadata,
    Column("proposal_id", ID, ForeignKey("proposals.id"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("version", Integer, nullable=False),
    Column("actor", CODE, ForeignKey("actors.code"), nullable=False),
    Column("position", EnumText(Position), nullable=False),
    Column("on", Date, nullable=False),
    Column("reason", Text, nullable=False, default=""),
)

accessions = Table(
    "accessions",
    metadata,
    Column("id", ID, primary_key=True),
    Column("candidate", CODE, ForeignKey("actors.code"), nullable=False),
    Column("org", CODE, ForeignKey("actors.code"), nullable=False),
    Column("applied_on", Date, nullable=False),
    Column("invited_on", Date, nullable=True),
    Column("signed_on", Date, nullable=True),
    Column("member_from", Date, nullable=True),
    Column("required", CodeList, nullable=False),
    Column("stage", EnumText(AccessionStage), nullable=False),
    Column("source", Text, nullable=False, default=""),
)

ratifications = Table(
    "ratifications",
    metadata,
    Column("accession_id", ID, ForeignKey("accessions.id"), primary_key=True),
    Column("state", CODE, ForeignKey("actors.code"), primary_key=True),
    Column("on", Date, nullable=False),
    Column("source", Text, nullable=False, default=""),
)

mapper_registry = registry(metadata=metadata)
_mapped = False


def start_mappers() -> None:
    """Map the domain classes onto the tables (once per process)."""
    global _mapped
    if _mapped:
        return
    m = mapper_registry.map_imperatively
    m(Actor, actors)
    m(Membership, memberships)
    m(Indicator, indicators)
    m(ItemType, item_types)
    # ``held`` and ``allocation_count`` are a read model the database keeps (migration
    # 0017_lists), not the domain's
    m(Request, requests,
      exclude_properties=["held", "allocation_count", "proposed", "delivered", "in_flight"])
    m(Offer, offers, exclude_properties=[
        "held", "allocation_count", "available", "proposed", "shipped", "delivered"])
    m(Allocation, allocations)
    m(ConsentPolicy, consent_policies)
    m(ConsentRequest, consent_requests)
    m(PooledFund, funds)
    m(Contribution, contributions)
    m(Stance, stances)
    m(
        Proposal,
        proposals,
        properties={
            # loaded with the proposals, in one more query for all of them (a page lists
            # every proposal with its positions: not one query per proposal)
            "stances": relationship(Stance, order_by=stances.c.seq, cascade="all, delete-orphan",
                                    lazy="selectin"),
        },
    )
    m(Ratification, ratifications)
    m(
        Accession,
        accessions,
        properties={
            "ratifications": relationship(
                Ratification,
                order_by=(ratifications.c.on, ratifications.c.state),
                cascade="all, delete-orphan",
            ),
        },
    )
    _mapped = True


# Feature table modules register their tables on the same metadata: one import line each.
from allied.adapters.db import tables_monitor as _tables_monitor  # noqa: E402,F401
from allied.adapters.db import tables_public as _tables_public  # noqa: E402,F401
from allied.adapters.db import tables_users as _tables_users  # noqa: E402,F401
