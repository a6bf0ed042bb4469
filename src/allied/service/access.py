"""The checked use-cases, in one place for the entry points (API, dashboard, CLI).

Each is defined once, in its area's module of :mod:`allied.service.usecases`; each takes
the caller, checks its role (:mod:`allied.domain.users`) and filters what it reads by the
visibility policy (:mod:`allied.domain.visibility`). A record not released to the caller
raises :class:`~allied.domain.errors.NotFound`, exactly like one that does not exist, so
its existence is not revealed; lists, pages, counts and aggregates are computed over
visible records only; actions the role may not take raise
:class:`~allied.domain.errors.PermissionDenied`. An entry point imports use-cases from
here only (``tests/unit/test_entrypoint_imports.py``).
"""

from __future__ import annotations

from allied.service.allocations import AllocationRun, PledgeOrder, PledgeOutcome
from allied.service.assistance import record_payload
from allied.service.usecases.allocations import (
    MAX_MOVES,
    advance_allocation,
    advance_allocations,
    allocate,
    allocation_row,
    asked_offers,
    get_allocation,
    list_allocations,
    pledge,
    pledge_many,
    pledge_order,
    run_allocation,
)
from allied.service.usecases.common import (
    Page,
    RecordPage,
    memberships_of,
    viewer,
)
from allied.service.usecases.consents import (
    UNLOCKS,
    answer_consent,
    consent_facts,
    expire_consents,
    get_consent,
    list_consent_policies,
    list_consents,
    set_consent_policy,
)
from allied.service.usecases.ledger import (
    export_ledger,
    latest_checkpoint,
    ledger_entries,
    records_error,
    sign_checkpoint,
    verify_ledger,
    verify_records,
    verify_stored_checkpoints,
)
from allied.service.usecases.lifecycle import (
    amend_offer,
    amend_request,
    close_request,
    expire_all,
    expire_requests,
    withdraw_offer,
    withdraw_request,
)
from allied.service.usecases.monitor import (
    extract_events,
    get_monitor_event,
    list_monitor_events,
    monitor_stances,
    parse_status,
    propose_monitor_events,
    review_monitor_event,
    text_document,
)
from allied.service.usecases.offers import (
    OFFER_GROUPS,
    OfferGroups,
    create_offer,
    get_offer,
    import_offers,
    list_offers,
    offer_groups,
    offer_records,
    offer_totals,
    totals_held,
    totals_with,
    with_committed,
    with_committed_held,
)
from allied.service.usecases.picture import family_gaps
from allied.service.usecases.proposals import (
    STATES_POSITIONS,
    accession_step,
    close_proposals,
    decision_status,
    evaluate_decision,
    get_proposal,
    list_accessions,
    list_proposals,
    propose,
    revise_proposal,
    take_position,
    withdraw_proposal,
)
from allied.service.usecases.reference import (
    list_actors,
    list_item_types,
    list_memberships,
    members_on,
)
from allied.service.usecases.reports import (
    WHOLE_RECORD_REPORTS,
    report,
)
from allied.service.usecases.requests import (
    create_request,
    get_request,
    import_requests,
    list_requests,
    request_records,
    set_request_priority,
    with_pledged,
    with_pledged_held,
)
from allied.service.usecases.todo import (
    todo,
)

__all__ = [
    "MAX_MOVES",
    "OFFER_GROUPS",
    "STATES_POSITIONS",
    "UNLOCKS",
    "WHOLE_RECORD_REPORTS",
    "AllocationRun",
    "OfferGroups",
    "Page",
    "PledgeOrder",
    "PledgeOutcome",
    "RecordPage",
    "accession_step",
    "advance_allocation",
    "advance_allocations",
    "allocate",
    "allocation_row",
    "amend_offer",
    "amend_request",
    "answer_consent",
    "asked_offers",
    "close_proposals",
    "close_request",
    "consent_facts",
    "create_offer",
    "create_request",
    "decision_status",
    "evaluate_decision",
    "expire_all",
    "expire_consents",
    "expire_requests",
    "export_ledger",
    "extract_events",
    "family_gaps",
    "get_allocation",
    "get_consent",
    "get_monitor_event",
    "get_offer",
    "get_proposal",
    "get_request",
    "import_offers",
    "import_requests",
    "latest_checkpoint",
    "ledger_entries",
    "list_accessions",
    "list_actors",
    "list_allocations",
    "list_consent_policies",
    "list_consents",
    "list_item_types",
    "list_memberships",
    "list_monitor_events",
    "list_offers",
    "list_proposals",
    "list_requests",
    "members_on",
    "memberships_of",
    "monitor_stances",
    "offer_groups",
    "offer_records",
    "offer_totals",
    "parse_status",
    "pledge",
    "pledge_many",
    "pledge_order",
    "propose",
    "propose_monitor_events",
    "record_payload",
    "records_error",
    "report",
    "request_records",
    "review_monitor_event",
    "revise_proposal",
    "run_allocation",
    "set_consent_policy",
    "set_request_priority",
    "sign_checkpoint",
    "take_position",
    "text_document",
    "todo",
    "totals_held",
    "totals_with",
    "verify_ledger",
    "verify_records",
    "verify_stored_checkpoints",
    "viewer",
    "with_committed",
    "with_committed_held",
    "with_pledged",
    "with_pledged_held",
    "withdraw_offer",
    "withdraw_proposal",
    "withdraw_request",
]
