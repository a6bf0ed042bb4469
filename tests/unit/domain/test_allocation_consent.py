"""An allocation's re-export consent, the one definition (``allocation_consent``): which
consent request answers for each origin state, and the state that follows on a day."""

from __future__ import annotations

import datetime as dt

from allied.domain.consent import (
    ConsentRequest,
    ConsentState,
    ConsentStatus,
    OriginPolicy,
    allocation_consent,
    answering,
    queue_filter,
)
from allied.domain.reasons import consent_in_words

D = dt.date
NAMES = {"DEU": "Germany", "USA": "United States"}


def _ask(cid: str, origin: str, on: dt.date, *, offer: str | None = "O-1", family: str = "mbt",
         holder: str = "POL", expires: dt.date | None = None) -> ConsentRequest:
    return ConsentRequest(cid, origin, holder, family, "UKR", on, offer_id=offer,
                          expires_on=expires)



def test_an_origin_not_asked_is_not_asked_not_pending() -> None:
    got = allocation_consent(("DEU",), [], D(2024, 6, 1), holder="POL", family="mbt",
                             offer_id="O-1", policies={"DEU": OriginPolicy.PERMISSIVE})
    assert got.state is ConsentState.NOT_ASKED and got.label == "not asked: DEU"
    assert got.not_asked == ("DEU",) and got.waiting_on == () and not got.settled
    assert got.combined is ConsentStatus.PENDING  # the lifecycle still waits
    (part,) = got.as_dict()["origins"]
    assert part["consent"] is None and part["policy"] == "permissive"
    words = consent_in_words(part, NAMES)
    assert words.startswith("Germany not asked yet") and "grants at once" in words
    assert "waiting" not in words


def test_pending_names_whom_and_until_when_then_the_answer_settles_it() -> None:
    c = _ask("C-1", "DEU", D(2024, 6, 1), expires=D(2024, 7, 1))
    got = allocation_consent(("DEU",), [c], D(2024, 6, 10), holder="POL", family="mbt",
                             offer_id="O-1")
    assert got.state is ConsentState.PENDING and got.label == "pending: DEU"
    (waiting,) = got.waiting_on
    assert waiting.consent is c and waiting.until == D(2024, 7, 1)
    assert "Germany's consent" in consent_in_words(got.as_dict()["origins"][0], NAMES)
    c.answer("granted", D(2024, 6, 12))
    got = allocation_consent(("DEU",), [c], D(2024, 6, 12), holder="POL", family="mbt",
                             offer_id="O-1")
    assert got.state is ConsentState.GRANTED and got.settled and got.label == "granted"
    # on a day before the answer it was still pending; past its date unanswered, expired
    before = allocation_consent(("DEU",), [c], D(2024, 6, 11), holder="POL", family="mbt",
                                offer_id="O-1")
    assert before.state is ConsentState.PENDING
    late = _ask("C-2", "DEU", D(2024, 6, 1), expires=D(2024, 7, 1))
    assert allocation_consent(("DEU",), [late], D(2024, 7, 2), holder="POL", family="mbt",
                              offer_id="O-1").state is ConsentState.EXPIRED


def test_every_origin_must_grant_a_denial_wins_a_missing_one_holds() -> None:
    usa = _ask("C-U", "USA", D(2024, 1, 1))
    usa.answer("granted", D(2024, 1, 2), "standing policy of USA: permissive")
    deu = _ask("C-D", "DEU", D(2024, 1, 1))
    origins = ("DEU", "USA")
    one = allocation_consent(origins, [usa], D(2024, 2, 1), holder="POL", family="mbt",
                             offer_id="O-1")
    assert one.state is ConsentState.NOT_ASKED and one.not_asked == ("DEU",)
    assert one.origins[1].standing  # USA's answer came from its standing policy
    both = allocation_consent(origins, [usa, deu], D(2024, 2, 1), holder="POL", family="mbt",
                              offer_id="O-1")
    assert both.state is ConsentState.PENDING and both.label == "pending: DEU"
    deu.answer("denied", D(2024, 2, 2))
    denied = allocation_consent(origins, [usa, deu], D(2024, 2, 3), holder="POL",
                                family="mbt", offer_id="O-1")
    assert denied.state is ConsentState.DENIED and denied.label == "denied: DEU"
    assert allocation_consent((), [], D(2024, 1, 1), holder="POL", family="mbt",
                              offer_id="O-1").state is ConsentState.NOT_NEEDED


def test_the_latest_request_naming_the_offer_or_none_answers() -> None:
    old = _ask("C-1", "DEU", D(2023, 1, 1))
    old.answer("denied", D(2023, 1, 5))
    standing = _ask("C-2", "DEU", D(2023, 6, 1), offer=None)  # the holder's items of a family
    standing.answer("granted", D(2023, 6, 2))
    other_offer = _ask("C-3", "DEU", D(2024, 1, 1), offer="O-2")
    other_family = _ask("C-4", "DEU", D(2024, 1, 1), family="ifv")
    other_holder = _ask("C-5", "DEU", D(2024, 1, 1), holder="EST")
    pool = [old, standing, other_offer, other_family, other_holder]
    assert answering(pool, "DEU", "POL", "mbt", "O-1") is standing
    got = allocation_consent(("DEU",), pool, D(2024, 2, 1), holder="POL", family="mbt",
                             offer_id="O-1")
    assert got.state is ConsentState.GRANTED and got.origins[0].standing
    assert got.consents == (standing,)


def test_a_nations_queue_is_the_party_its_role_is() -> None:
    assert queue_filter("origin", "DEU") == {"origin": "DEU"}
    assert queue_filter("donor", "EST") == {"holder": "EST"}
    assert queue_filter("recipient", "UKR") == {"recipient": "UKR"}
    assert queue_filter("coordinator", "") == {} and queue_filter("auditor", "") == {}
