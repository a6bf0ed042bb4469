"""Whether a kept page is still right after amendments (:mod:`allied.service.unchanged`),
and the amendments the holdings note as they move past them."""

from __future__ import annotations

from typing import Any

from allied.ledger import kinds
from allied.service.holdings import MAX_CHANGES, PLEDGED, Holdings, RecordChange, TailEntry
from allied.service.unchanged import groups_unchanged, page_unchanged, read_fields
from allied.service.usecases.common import RecordPage
from allied.service.usecases.offers import OfferGroups

OFFERS: dict[str, object] = {"donor": None, "family": "other", "channel": None, "status": None}
REQUESTS: dict[str, object] = {"recipient": None, "family": None, "status": None,
                               "priority": 2}


def _page(*ids: str) -> RecordPage:
    return RecordPage([{"id": i} for i in ids], len(ids), 50, 0)


def offer(seq: int, oid: str, *fields: str) -> RecordChange:
    return RecordChange(seq, kinds.OFFER_AMENDED, oid, frozenset(fields))


def request(seq: int, rid: str, *fields: str) -> RecordChange:
    return RecordChange(seq, kinds.REQUEST_AMENDED, rid, frozenset(fields))


def test_a_change_of_a_record_off_the_page_in_fields_the_page_does_not_read() -> None:
    page = _page("O-1", "O-2")
    assert page_unchanged("offers", page, [], filters=OFFERS)
    assert page_unchanged("offers", page, [offer(5, "O-9", "caveats")], filters=OFFERS)
    assert page_unchanged("offers", page, [offer(5, "O-9", "quantity", "available_from")],
                          filters=OFFERS)
    # on the page: its row changes
    assert not page_unchanged("offers", page, [offer(5, "O-2", "caveats")], filters=OFFERS)
    # releasability: the record may come into or leave the viewer's pages
    assert not page_unchanged("offers", page, [offer(5, "O-9", "releasability")],
                              filters=OFFERS)
    # searched, sorted on: the record may come into the page or move across it
    assert not page_unchanged("offers", page, [offer(5, "O-9", "caveats")], filters=OFFERS,
                              q="spare")
    assert page_unchanged("offers", page, [offer(5, "O-9", "quantity")], filters=OFFERS,
                          q="spare")
    for sort in ("quantity", "-quantity", "available", "-available"):
        assert not page_unchanged("offers", page, [offer(5, "O-9", "quantity")],
                                  filters=OFFERS, sort=sort)
    assert not page_unchanged("offers", page, [offer(5, "O-9", "available_from")],
                              filters=OFFERS, sort="-available_from")
    assert page_unchanged("offers", page, [offer(5, "O-9", "caveats")], filters=OFFERS,
                          sort="-quantity")


def test_requests_pages_read_priority_when_filtered_and_the_needed_by_date_with_status() -> None:
    page = _page("R-1")
    assert not page_unchanged("requests", page, [request(3, "R-7", "priority")],
                              filters=REQUESTS)
    assert page_unchanged("requests", page, [request(3, "R-7", "priority")],
                          filters={**REQUESTS, "priority": None})
    assert page_unchanged("requests", page, [request(3, "R-7", "needed_by", "notes")],
                          filters=REQUESTS)
    assert not page_unchanged("requests", page, [request(3, "R-7", "needed_by")],
                              filters={**REQUESTS, "status": "open"})
    assert not page_unchanged("requests", page, [request(3, "R-7", "notes")],
                              filters=REQUESTS, q="tubes")
    assert read_fields("requests", REQUESTS, None, None) == {"releasability", "priority", "id"}


def test_changes_of_the_other_kind() -> None:
    # an offer's caveats: not on a page of requests; its releasability: which pledges
    # the viewer counts
    requests = _page("R-1")
    assert page_unchanged("requests", requests, [offer(4, "R-1", "caveats", "quantity")],
                          filters=REQUESTS)
    assert not page_unchanged("requests", requests, [offer(4, "O-1", "releasability")],
                              filters=REQUESTS)
    # nothing of a request is on a page of offers, whatever changed
    assert page_unchanged("offers", _page("O-1"), [request(4, "O-1", "releasability")],
                          filters=OFFERS)


def test_anything_but_an_amendment_cannot_be_told() -> None:
    for kind in ("offer.withdrawn", "request.closed", "user.added", "consent.granted"):
        odd = RecordChange(4, kind, "O-9", frozenset({"caveats"}))
        assert not page_unchanged("offers", _page("O-1"), [odd], filters=OFFERS)
        assert not page_unchanged("requests", _page("R-1"), [odd], filters=REQUESTS)
        assert not groups_unchanged(OfferGroups([]), [odd])
    # all of them must be harmless, not only the first
    assert not page_unchanged("offers", _page("O-1"), [offer(4, "O-9", "caveats"),
                                                       offer(5, "O-1", "caveats")],
                              filters=OFFERS)


def test_totals_read_every_offer_quantity_and_releasability() -> None:
    groups = OfferGroups([("other", 10, ("O-1",))])
    assert groups_unchanged(groups, [offer(4, "O-9", "caveats", "available_from"),
                                     request(5, "R-1", "quantity", "releasability")])
    assert not groups_unchanged(groups, [offer(4, "O-9", "quantity")])
    assert not groups_unchanged(groups, [offer(4, "O-9", "releasability")])


# -- the holdings note the amendments they move past ----------------------------------


def amended(seq: int, kind: str, rid: str, after: dict[str, Any]) -> TailEntry:
    before = dict.fromkeys(after, "x")
    return TailEntry(seq, kind, {"id": rid, "before": before, "after": after})


def test_holdings_move_past_amendments_and_know_what_changed_since() -> None:
    h = Holdings(10, [("O-1", "R-1", 5)], records=8)
    assert h.changes_since(8) == [] and h.changes_since(7) is None
    tail = [
        amended(11, kinds.OFFER_AMENDED, "O-1", {"caveats": "new"}),
        TailEntry(12, PLEDGED, {"offer": "O-1", "request": "R-1", "quantity": 2}),
        amended(13, kinds.REQUEST_AMENDED, "R-1", {"priority": 1, "notes": "n"}),
    ]
    assert h.advance(tail) is True
    assert (h.seq, h.records) == (13, 13) and h.by_offer(["O-1"]) == {"O-1": 7}
    assert h.changes_since(8) == [offer(11, "O-1", "caveats"),
                                  request(13, "R-1", "priority", "notes")]
    assert h.changes_since(11) == [request(13, "R-1", "priority", "notes")]
    assert h.changes_since(13) == []
    assert h.changes_since(7) is None and h.changes_since(14) is None
    # an amendment with nothing changed, or no id, is not understood: read whole
    assert h.advance([amended(14, kinds.OFFER_AMENDED, "O-1", {})]) is False
    assert h.advance([TailEntry(14, kinds.OFFER_AMENDED, {"after": {"caveats": "c"}})]) is False
    # any other change of records: read whole
    assert h.advance([TailEntry(14, "offer.withdrawn", {"id": "O-1"})]) is False
    assert (h.seq, h.records) == (13, 13)


def test_the_oldest_amendments_are_forgotten_and_then_unknown() -> None:
    h = Holdings(0)
    tail = [amended(s, kinds.OFFER_AMENDED, "O-1", {"caveats": str(s)})
            for s in range(1, MAX_CHANGES + 3)]
    assert h.advance(tail) is True and h.records == MAX_CHANGES + 2
    assert h.changes_since(0) is None and h.changes_since(1) is None
    since = h.changes_since(2)
    assert since is not None and len(since) == MAX_CHANGES
    # records moved by other means than a noted amendment: nothing is known
    h.records += 1
    assert h.changes_since(MAX_CHANGES + 2) is None
