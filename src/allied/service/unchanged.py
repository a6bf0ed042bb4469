"""Whether a kept list page is still right after amendments of requests and offers.

A page of offers or requests is kept under the records version it was read at (see
:mod:`allied.service.holdings`), and any change of records moves that version. Most
changes cannot alter most pages: amending one offer's caveats changes no page of
requests, and no page of offers that neither shows that offer nor filters, searches or
sorts on caveats. These functions say, from the amendments that came since a page was
read (:class:`~allied.service.holdings.RecordChange`: which record, which fields), that
the page would read exactly the same records again, in the same order, with the same
total; ``False`` whenever they cannot tell.

The argument, for a change of record X of the page's own kind, with X not on the page:
the page is the slice ``[offset, offset + limit)`` of the records the viewer may see
that match the filters and the search, in the sort order. X's changed fields play no
part in any of these (not its releasability, nor a field filtered on, searched or
sorted by), so X keeps its place in that list (in or out, before or after the page) and
every other record is untouched: the slice and the total are the same. For a change of
the other kind: a page of offers shows nothing of requests; a page of requests counts
the pledges of the offers the viewer may see, which only an offer's releasability
changes. The offers' totals group the offers the viewer may see by a field no
amendment changes, summing their quantities.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from allied.ledger import kinds
from allied.service.holdings import RecordChange
from allied.service.usecases.common import RecordPage
from allied.service.usecases.offers import OfferGroups

#: fields a search (``q``) looks in, per kind (see ``offer_records`` and
#: ``request_records``)
SEARCHED = {
    "offers": frozenset({"id", "item_type", "caveats", "family"}),
    "requests": frozenset({"id", "item_type", "notes", "family"}),
}
#: the record fields a sort column reads (``available`` and ``outstanding`` also read the
#: sums, which the holdings complete)
SORTED_ON = {"available": frozenset({"quantity"}), "outstanding": frozenset({"quantity"})}
#: the kind of amendment of each kind of list
AMENDMENT = {"offers": kinds.OFFER_AMENDED, "requests": kinds.REQUEST_AMENDED}
RELEASABILITY = "releasability"


#: sort columns that read the sums pledges and moves change (see ``listing.SORTS``)
SUM_COLUMNS = frozenset({"committed", "available", "pledged", "outstanding"})


def sums_sorted(sort: str | None) -> bool:
    """Whether a page sorted by ``sort`` holds records chosen and ordered by their sums
    (which every pledge or move may change), not by their own fields only."""
    return (sort or "id").lstrip("-") in SUM_COLUMNS


def read_fields(
    kind: str, filters: Mapping[str, object], q: str | None, sort: str | None
) -> frozenset[str]:
    """The record fields that decide which records a page of ``kind`` holds and in what
    order: releasability, the fields filtered on, searched and sorted by."""
    fields = {RELEASABILITY, *(name for name, value in filters.items() if value is not None)}
    if q:
        fields |= SEARCHED[kind]
    column = (sort or "id").lstrip("-")
    fields |= SORTED_ON.get(column, frozenset({column}))
    if kind == "requests" and filters.get("status") is not None:
        fields.add("needed_by")  # a request's status may follow its needed-by date
    return frozenset(fields)


def page_unchanged(
    kind: str,
    page: RecordPage,
    changes: Sequence[RecordChange],
    *,
    filters: Mapping[str, object],
    q: str | None = None,
    sort: str | None = None,
) -> bool:
    """Whether ``page`` of ``kind`` (``offers`` or ``requests``), read with ``filters``,
    ``q`` and ``sort``, is the same after ``changes``."""
    own = AMENDMENT[kind]
    read = read_fields(kind, filters, q, sort)
    shown: Collection[str] = {row["id"] for row in page.items}
    for change in changes:
        if change.kind == own:
            if change.id in shown or change.fields & read:
                return False
        elif change.kind == kinds.OFFER_AMENDED and kind == "requests":
            if RELEASABILITY in change.fields:
                return False  # the offers whose pledges the viewer counts
        elif change.kind != kinds.REQUEST_AMENDED or kind != "offers":
            return False  # not an amendment: cannot tell
    return True


def groups_unchanged(groups: OfferGroups, changes: Sequence[RecordChange]) -> bool:
    """Whether the offers' totals ``groups`` are the same after ``changes``: no offer's
    quantity or releasability changed (the group keys are fields no amendment
    changes)."""
    del groups  # they depend on every offer the viewer sees, not on some
    for change in changes:
        if change.kind == kinds.OFFER_AMENDED:
            if change.fields & {"quantity", RELEASABILITY}:
                return False
        elif change.kind != kinds.REQUEST_AMENDED:
            return False
    return True
