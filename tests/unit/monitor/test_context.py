"""The story's context across sentences (``allied.monitor.context``): rule-based
coreference and counterparts named only around an event.

Every sentence was written for these tests (none is taken from a corpus). The first
tests read whole texts through the extractor (with the parser); the last ones test the
stage's functions on hand-made proposals, without a parser.
"""

from __future__ import annotations

import pytest

from allied.monitor.context import Context, address_calls
from allied.monitor.extract import Extractor
from allied.monitor.gazetteer import MentionKind
from allied.monitor.model import Document, EventType, ProposedEvent

Tuple = tuple[str, str, str | None]


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()


def tuples(extractor: Extractor, text: str, date: str = "2024-05") -> set[Tuple]:
    return {
        (e.actor, e.type.value, e.target)
        for e in extractor.extract(Document("test.txt", text, date))
    }


# -- pronouns: the nearest person ---------------------------------------------------


def test_she_is_the_office_holder_named_before(extractor: Extractor) -> None:
    text = "The German foreign minister arrived in Warsaw. She urged Poland to buy more tanks."
    assert tuples(extractor, text) == {("DEU", "call-for", "POL")}


@pytest.mark.parametrize(
    "text",
    [
        # an unknown person named as a subject in between: "she" is her, no actor
        "The German foreign minister arrived in Warsaw. Anna Kowalczyk, a professor at the "
        "university, said the visit mattered. She urged Poland to buy more tanks.",
        # the same within the pronoun's own sentence
        "The German foreign minister arrived in Warsaw. Kowalczyk said she urged Poland to "
        "buy more tanks.",
    ],
    ids=["sentence between", "same sentence"],
)
def test_a_person_the_gazetteer_does_not_know_blocks_an_older_antecedent(
    extractor: Extractor, text: str
) -> None:
    assert tuples(extractor, text) == set()


def test_he_after_an_unnamed_office_of_an_organisation_is_the_organisation(
    extractor: Extractor,
) -> None:
    # a single office holder ("the UN envoy") is a "he", though the UN is no person
    text = (
        "The UN special envoy for Yemen spoke in Geneva on Monday. "
        "He urged Saudi Arabia to halt the strikes."
    )
    assert ("UN", "call-for", "SAU") in tuples(extractor, text)


def test_a_name_right_after_an_unnamed_office_holder_is_theirs(extractor: Extractor) -> None:
    text = (
        "The UN special envoy for Yemen is calling for restraint. "
        "Jonas Berg issued his appeal on Monday. "
        "Berg urged Saudi Arabia to halt the strikes."
    )
    assert ("UN", "call-for", "SAU") in tuples(extractor, text)
    # without the office before, "Berg" is nobody the monitor knows
    alone = "Jonas Berg issued his appeal on Monday. Berg urged Saudi Arabia to halt the strikes."
    assert tuples(extractor, alone) == set()


def test_a_name_beside_an_office_read_as_a_conjunct_is_that_offices(
    extractor: Extractor,
) -> None:
    # the parser reads "..., Ambassador Kari Lund," as a conjunct of "spokesperson"
    text = (
        "The spokesperson for Norway's foreign ministry, Ambassador Kari Lund, spoke on "
        'Monday. "We urge Russia to release the crew," Lund told reporters.'
    )
    assert tuples(extractor, text) == {("NOR", "call-for", "RUS")}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "UNICEF's executive director urged Chad to reopen the schools.",
            {("UN", "call-for", "TCD")},
        ),
        # a director "for" or "of" something is anyone's: no state by the "of" phrase
        (
            "Maria Lopez, director for health programmes of a charity in Peru, urged Chile "
            "to reopen the border.",
            set(),
        ),
    ],
    ids=["organisation's director", "director for"],
)
def test_a_director_acts_for_the_organisation_named_before_the_title_only(
    extractor: Extractor, text: str, expected: set[Tuple]
) -> None:
    assert tuples(extractor, text) == expected


# -- definite descriptions: "the court" --------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Chile took its case to the International Court of Justice. "
            "The court's president rejected Chile's request for a delay.",
            # the request rejected was made, to the court (``Reader._refused_calls``)
            {("UN", "block", "CHL"), ("CHL", "call-for", "UN")},
        ),
        (
            "The World Food Programme opened an office in Lilongwe. "
            "The programme sent food to Malawi on Monday.",
            {("UN", "provide", "MWI")},
        ),
        # a council no organisation named before: nobody the monitor knows
        ("The town council met on Monday. The council condemned Russia.", set()),
    ],
    ids=["the court", "the programme", "no such organisation"],
)
def test_the_court_is_the_last_organisation_named_with_court_in_its_name(
    extractor: Extractor, text: str, expected: set[Tuple]
) -> None:
    assert tuples(extractor, text) == expected


def test_context_institutions_by_the_words_of_their_names() -> None:
    ctx = Context()
    ctx.named_institution(("UN",), "the International Court of Justice")
    ctx.named_institution(("EU",), "the European Court of Auditors")
    ctx.named_institution(("IMF",), "the International Monetary Fund")
    assert ctx.institution("court") == ("EU",)  # the last one named
    assert ctx.institution("fund") == ("IMF",)
    assert ctx.institution("justice") == ()  # not a word that names an institution alone
    assert ctx.institution("council") == ()


# -- "rejected the resolution": its owner, named before ------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "A resolution in the Dutch parliament called the pipeline a risk. "
            "Russia rejected the resolution on Friday.",
            {("RUS", "accuse", "NLD")},
        ),
        (
            "Peru issued a statement on the border on Monday. "
            "Chile dismissed the statement as baseless.",
            {("CHL", "accuse", "PER")},
        ),
        # no owner named before
        ("Chile rejected the resolution on Friday.", set()),
        # another noun than the one named with its owner
        (
            "A resolution in the Dutch parliament called the pipeline a risk. "
            "Russia rejected the request on Friday.",
            set(),
        ),
    ],
    ids=["resolution", "statement", "no owner", "another noun"],
)
def test_rejecting_what_another_actor_issued_accuses_it(
    extractor: Extractor, text: str, expected: set[Tuple]
) -> None:
    assert tuples(extractor, text) == expected


# -- calls: the addressee from the context ------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # two parties, each asking something of the other
        (
            "Madrid's call for compensation and Rabat's demand for an apology did not mesh.",
            {("ESP", "call-for", "MAR"), ("MAR", "call-for", "ESP")},
        ),
        # the speaker is the party the call was made to
        (
            "Chile said Peru had asked for the return of the fishermen.",
            {("PER", "call-for", "CHL")},
        ),
        # a counter-demand answers the call it refuses
        (
            "Serbia asked Kosovo for guarantees. "
            "Kosovo denied the request and asked instead for recognition.",
            {("SRB", "call-for", "XKX"), ("XKX", "block", "SRB"), ("XKX", "call-for", "SRB")},
        ),
    ],
    ids=["two parties", "speaker addressed", "counter-demand"],
)
def test_a_call_with_no_addressee_takes_the_other_party(
    extractor: Extractor, text: str, expected: set[Tuple]
) -> None:
    assert tuples(extractor, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a policy advocated is addressed to no one
        (
            "France has long advocated strategic autonomy; Germany preferred to buy abroad.",
            {("FRA", "call-for", None)},
        ),
        # what every party is asked
        (
            "Egypt said Ethiopia had called for an end to the dispute.",
            {("ETH", "call-for", None)},
        ),
        # the other state is only an object, not a party
        (
            "Norway, which sent air defence systems to Ukraine last year, called for more "
            "sanctions.",
            {("NOR", "provide", "UKR"), ("NOR", "call-for", None)},
        ),
    ],
    ids=["advocated", "an end", "object"],
)
def test_a_call_keeps_no_addressee_when_the_context_names_none(
    extractor: Extractor, text: str, expected: set[Tuple]
) -> None:
    assert tuples(extractor, text) == expected


# -- talks: the two sides named around them -----------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Armenia and Azerbaijan have been at odds since talks collapsed in Prague.",
        "Baku's demand for a corridor and Yerevan's call for guarantees did not mesh. "
        "Envoys argued at talks in Geneva last week.",
    ],
    ids=["same sentence", "sentence before"],
)
def test_talks_with_no_side_named_are_between_the_two_parties(
    extractor: Extractor, text: str
) -> None:
    found = tuples(extractor, text)
    assert {("ARM", "meet", "AZE"), ("AZE", "meet", "ARM")} <= found


@pytest.mark.parametrize(
    "text",
    [
        "Italy and Hungary called for peace talks with Russia.",  # asked for, not held
        "Italy and Hungary disagree. Talk of a truce showed the division.",  # "talk of"
        "Chile and Peru disagree. Talks would resume in May, officials said.",  # a modal
    ],
    ids=["called for", "talk of", "would"],
)
def test_talks_not_held_are_no_meeting(extractor: Extractor, text: str) -> None:
    assert not {t for t in tuples(extractor, text) if t[1] == "meet"}


# -- the stage's functions, without a parser ----------------------------------------


def call(actor: str, evidence: str, trigger: str, target: str | None = None) -> ProposedEvent:
    return ProposedEvent(
        actor=actor,
        type=EventType.CALL_FOR,
        target=target,
        evidence=evidence,
        start=0,
        end=len(evidence),
        document="test.txt",
        date=None,
        confidence=0.8,
        trigger=trigger,
    )


def test_address_calls_fills_the_one_other_party_and_lowers_the_confidence() -> None:
    e = call("PER", "Chile said Peru had asked for the return of the men.", "asked for")
    (out,) = address_calls([e], ("CHL", "PER"), None)
    assert (out.target, out.confidence) == ("CHL", 0.7)
    assert "addressee-from-context" in out.cues


def test_address_calls_leaves_a_call_when_the_parties_are_ambiguous() -> None:
    e = call("PER", "Chile and Bolivia said Peru had asked for talks on the men.", "asked for")
    assert address_calls([e], ("CHL", "BOL", "PER"), None) == [e]


def test_address_calls_answers_the_caller_of_the_last_call() -> None:
    e = call("XKX", "Kosovo denied the request and asked instead for recognition.", "asked")
    (out,) = address_calls([e], (), (("SRB",), ("XKX",)))
    assert out.target == "SRB"
    # not when the last call was addressed to someone else
    assert address_calls([e], (), (("SRB",), ("ALB",))) == [e]


@pytest.mark.parametrize(
    ("evidence", "trigger"),
    [
        ("Peru called on its own minister to resign; Chile said nothing.", "called on"),
        ("Peru urged its citizens to vote; Chile said nothing.", "urged"),
        ("Peru called for a ceasefire; Chile said nothing.", "called for"),
        ("Peru has advocated free trade; Chile said nothing.", "advocated"),
    ],
    ids=["called on", "urged", "ceasefire", "advocated"],
)
def test_address_calls_leaves_calls_addressed_or_for_every_party(
    evidence: str, trigger: str
) -> None:
    e = call("PER", evidence, trigger)
    assert address_calls([e], ("CHL", "PER"), None) == [e]


def test_address_calls_leaves_other_types_and_calls_with_an_addressee() -> None:
    addressed = call("PER", "Peru asked for Chile's help.", "asked for", target="CHL")
    other = ProposedEvent(
        actor="PER", type=EventType.ACCUSE, target=None, evidence="Peru protested.",
        start=0, end=15, document="test.txt", date=None, confidence=0.7, trigger="protested",
    )
    assert address_calls([addressed, other], ("CHL", "PER", "BOL"), None) == [addressed, other]


def test_context_an_unknown_person_replaces_the_last_office_holder() -> None:
    ctx = Context()
    ctx.note(("DEU",), MentionKind.TITLE)
    assert he_or_she(ctx) == (("DEU",), False)
    ctx.unknown_person()
    assert he_or_she(ctx) == (None, True)
    assert ctx.state == ("DEU",)  # "the country" still is Germany
    ctx.note(("UN",), MentionKind.PERSON)
    assert he_or_she(ctx) == (("UN",), False)


def he_or_she(ctx: Context) -> tuple[tuple[str, ...] | None, bool]:
    return ctx.person, ctx.unknown
