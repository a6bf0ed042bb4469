"""Events read from the dependency parse (``allied.monitor.depevents``).

Every sentence was written for these tests. Each case names the construction it checks;
``parsed`` marks the tuples only the parse stage proposes (the clause rules miss them).
"""

from __future__ import annotations

import pytest

from allied.monitor.extract import Extractor
from allied.monitor.model import Document, ProposedEvent

Tuple = tuple[str, str, str | None]


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()


@pytest.fixture(scope="module")
def rules_only() -> Extractor:
    return Extractor(parse=False)


def run(extractor: Extractor, text: str, date: str = "2024-05") -> list[ProposedEvent]:
    return extractor.extract(Document("test.txt", text, date))


def tuples(events: list[ProposedEvent]) -> set[Tuple]:
    return {(e.actor, e.type.value, e.target) for e in events}


CASES: list[tuple[str, str, set[Tuple]]] = [
    # nominal events with their arguments
    ("talks between", "Talks between Poland and Lithuania in Vilnius ended without agreement.",
     {("POL", "meet", "LTU"), ("LTU", "meet", "POL")}),
    ("possessor and object of a noun", "Hungary's veto of Ukraine's tranche angered them.",
     {("HUN", "block", "UKR")}),
    ("tariffs on goods", "Washington imposed tariffs on Canadian steel.",
     {("USA", "sanction", "CAN")}),
    ("duties announced", "Ottawa announced retaliatory duties on US goods.",
     {("CAN", "sanction", "USA")}),
    ("a ban", "Beijing's ban on Japanese seafood remains in force.", {("CHN", "sanction", "JPN")}),
    ("held talks, symmetric", "Kenya and Somalia held talks in Nairobi.",
     {("KEN", "meet", "SOM"), ("SOM", "meet", "KEN")}),
    ("signed an agreement", "The UK and France signed a defence agreement in London.",
     {("GBR", "meet", "FRA"), ("FRA", "meet", "GBR")}),
    # several counterparts
    ("ministers from several states",
     "The Spanish foreign minister met ministers from Portugal, Italy and Greece in Madrid.",
     {("ESP", "meet", "PRT"), ("ESP", "meet", "ITA"), ("ESP", "meet", "GRC")}),
    # titles with a national adjective, offices beyond the gazetteer's
    ("national adjective and office", "The Italian Economy Minister criticised the German plan.",
     {("ITA", "accuse", "DEU")}),
    ("called ... unfair", "The Polish Finance Minister called China's subsidies unfair.",
     {("POL", "accuse", "CHN")}),
    ("spoke with", "Germany's chancellor spoke with the Polish president by phone.",
     {("DEU", "meet", "POL")}),
    # verbs of accusation and appeal
    ("dismissed as", "Sweden dismissed Russia's claims as baseless.", {("SWE", "accuse", "RUS")}),
    ("summoned the ambassador", "Lithuania summoned the Belarusian ambassador in protest.",
     {("LTU", "accuse", "BLR")}),
    ("warned not to", "Finland's president warned Moscow not to interfere.",
     {("FIN", "call-for", "RUS")}),
    # reported speech and quotations with their speaker
    ("said X must", "The Estonian prime minister said Russia must withdraw its troops.",
     {("EST", "call-for", "RUS")}),
    ("quoted appeal, up to", "\u201cIt is up to Moscow now,\u201d the German chancellor said.",
     {("DEU", "call-for", "RUS")}),
    ("second verb's speaker", "Russia denied the accusation and said Ukraine must stop.",
     {("RUS", "call-for", "UKR")}),
    # a statement that an action is needed is a call with no addressee
    ("was needed", "Guterres spoke in New York. He said a firm international response was "
     "urgently needed.", {("UN", "call-for", None)}),
    ("was not needed", "Poland said a new law was not needed.", set()),
    ("no visa needed", "Poland said no visa was needed for the trip.", set()),
    # an editor's brackets in a quotation do not break its clause
    ("bracketed subject", '"[We] urge German side to drop the tariffs," the Polish foreign '
     "ministry spokesperson said.", {("POL", "call-for", "DEU")}),
    # allegations: the accused named in the clause, or the place an act was planned in
    ("alleged that", "Peru alleged that Chilean troops had crossed the border.",
     {("PER", "accuse", "CHL")}),
    ("allegation rejected, still made",
     "Chile rejected Peru's allegation that the raid was planned from Chilean soil.",
     {("PER", "accuse", "CHL"), ("CHL", "accuse", "PER")}),
    ("alleged at home", "Peru alleged that the attack was planned in Lima.", set()),
    ("allegations of no one", "Chile denied allegations that the raid was planned from its soil.",
     set()),
    # relative clauses, force used abroad
    ("relative clause subject",
     "Norway, which sent air defence systems to Ukraine last year, called for more sanctions.",
     {("NOR", "provide", "UKR"), ("NOR", "call-for", None)}),
    ("strikes abroad", "Russian drones struck targets in Romania.", {("RUS", "deploy", "ROU")}),
    ("reported strike", "The Pentagon said US forces struck targets in Syria.",
     {("USA", "deploy", "SYR")}),
    ("officials of two states", "Cameroon and Chad officials met in the Chadian capital.",
     {("CMR", "meet", "TCD"), ("TCD", "meet", "CMR")}),
    ("demanded that X", "Poland demanded that Belarus close the camps immediately.",
     {("POL", "call-for", "BLR")}),
    ("issued warnings demanding", "Pyongyang issued a series of warnings demanding that "
     "Washington change its stance.", {("PRK", "call-for", "USA")}),
    ("kept tariffs on several", "Washington is keeping new tariffs in place on Mexico, "
     "Canada and China.", {("USA", "sanction", "MEX"), ("USA", "sanction", "CAN"),
                           ("USA", "sanction", "CHN")}),
    ("phone conversations with their counterpart", "Spain and Portugal told France in phone "
     "conversations that the plan was ready.", {("ESP", "meet", "FRA"), ("PRT", "meet", "FRA")}),
    ("signed an agreement with", "Cairo signed an agreement with Greece last year.",
     {("EGY", "meet", "GRC")}),
    ("cutting ties with, its pronoun", "Mogadishu announced it was cutting ties with Kenya.",
     {("SOM", "withdraw", "KEN")}),
    ("drills encircling", "China conducted military drills encircling Taiwan.",
     {("CHN", "deploy", "TWN")}),
    ("warned that X's acts", "The European Commission warned that the Somali government's "
     "actions would divide the country.", {("EU", "accuse", "SOM")}),
    ("rejected an allegation", "Kabul rejected Pakistan's allegation as baseless.",
     {("AFG", "accuse", "PAK")}),
    # intergovernmental organisations as actors and targets
    ("organisation calls on a state",
     "The United Nations called on Ethiopia to open its borders to aid convoys.",
     {("UN", "call-for", "ETH")}),
    ("organisation's official by name and title",
     "U.N. Secretary-General Ant\u00f3nio Guterres urged Ethiopia to protect civilians.",
     {("UN", "call-for", "ETH")}),
    ("organisation accused", "Senegal accused ECOWAS of meddling in its affairs.",
     {("SEN", "accuse", "ECOWAS")}),
    ("organisation suspends a member", "The African Union suspended Gabon after the coup.",
     {("AU", "block", "GAB")}),
    ("organisation asked", "Ghana asked the World Bank for emergency funding.",
     {("GHA", "call-for", "WB")}),
    ("the regional bloc: the organisation named before",
     "Chad and Sudan left ECOWAS and accused the regional bloc of ignoring them.",
     {("TCD", "withdraw", "ECOWAS"), ("SDN", "withdraw", "ECOWAS"),
      ("TCD", "accuse", "ECOWAS"), ("SDN", "accuse", "ECOWAS")}),
    ("the world body", "The world body accused Sudan of blocking aid.",
     {("UN", "accuse", "SDN")}),
    ("a commission that is not the EU's",
     "Ghana said the Commission on Fisheries should meet Togo.", set()),
    # speakers beyond the gazetteer's office holders
    ("spokesperson for a ministry",
     "A spokesperson for the Chinese foreign ministry accused Japan of provocation.",
     {("CHN", "accuse", "JPN")}),
    ("crown prince by title and name",
     "Saudi Crown Prince Faisal bin Talal met the Japanese prime minister in Jeddah.",
     {("SAU", "meet", "JPN")}),
    ("king of a state", "King Hamad of Jordan urged Israel to allow aid into Gaza.",
     {("JOR", "call-for", "ISR")}),
    ("first person in a quotation: its speaker",
     "\u201cWe urge Pakistan to stop the shelling,\u201d the Afghan foreign ministry said.",
     {("AFG", "call-for", "PAK")}),
    ("first person of a speaker named by pronoun only",
     "\u201cWe urge Pakistan to stop the shelling,\u201d he said.", set()),
    # accusation, appeal and withdrawal outside the verb lexicon
    ("threatened to use force against",
     "The Pakistani prime minister threatened to use force against Afghanistan.",
     {("PAK", "accuse", "AFG")}),
    ("recalled its ambassador to", "France recalled its ambassador to Italy.",
     {("FRA", "withdraw", "ITA")}),
    ("allegation that", "Canada's allegation that India had a role in the killing strained ties.",
     {("CAN", "accuse", "IND")}),
    ("call for something in a state, one act",
     "Brazil called for new elections in Venezuela.", {("BRA", "call-for", "VEN")}),
    ("both countries: the states named together before",
     "Kenya and Somalia met in Nairobi. Both countries called for elections in Sudan.",
     {("KEN", "meet", "SOM"), ("SOM", "meet", "KEN"), ("KEN", "call-for", "SDN"),
      ("SOM", "call-for", "SDN")}),
    ("a ceasefire in a state is asked of the parties",
     "Brazil called for a ceasefire in Sudan.", {("BRA", "call-for", None)}),
    ("the Commission of an ordinary phrase is still the EU's",
     "Poland accused the Commission of ignoring its farmers.", {("POL", "accuse", "EU")}),
    # verbs of the WordNet-derived lexicon (data/monitor/wordnet_verbs.csv)
    ("WordNet verb of accusation", "The Greek prime minister chided Turkey over its drilling.",
     {("GRC", "accuse", "TUR")}),
    ("WordNet verb of appeal", "Vietnam petitioned the United Nations to intervene.",
     {("VNM", "call-for", "UN")}),
    ("WordNet verb of blocking", "Ankara stonewalled Sweden for months.",
     {("TUR", "block", "SWE")}),
    ("WordNet verb without an actor as counterpart", "Chile pleaded with civilians to stay home.",
     set()),
    ("an abbreviation as a noun: the U.S.",
     "Since the vote, the U.S. and other states have repeatedly called for new elections "
     "in Bolivia.", {("USA", "call-for", "BOL")}),
    ("the Pakistani side", "The Pakistani side rejected the claims of India.",
     {("PAK", "accuse", "IND")}),
    ("a joint statement of two states",
     "In a joint statement issued on Friday, Seoul and Canberra condemned the launch.",
     {("KOR", "meet", "AUS"), ("AUS", "meet", "KOR")}),
    ("a statement from a state", "The statement from Greece criticised Turkey.",
     {("GRC", "accuse", "TUR")}),
    # what is not an event
    ("he is a person, not the organisation named before",
     "The U.N. refugee agency counted the arrivals. He said he wanted to donate them to Chad.",
     set()),
    ("pressed to block", "Washington kept tariffs on Mexico and Canada to pressure them to "
     "block the flow of drugs.", {("USA", "sanction", "MEX"), ("USA", "sanction", "CAN")}),
    ("a former office holder", "Malaysia's former prime minister often criticized China.",
     set()),
    ("seldom", "Malaysia seldom criticized China.", set()),
    ("a noun the rules read as a verb",
     "Iran ranks among the worst countries in the world for press freedom.", set()),
    ("talks on a budget", "The talks on the budget lasted all night.", set()),
    ("analysts' should", "Analysts say Germany should send more tanks to Ukraine.", set()),
    ("aid workers", "The aid workers returned to Kenya.", set()),
    ("lifted tariffs", "Washington lifted the tariffs on Canadian steel.", set()),
    ("considered sanctions", "It said it would consider sanctions on Iran.", set()),
    ("negated", "Denmark will not send more F-16s to Ukraine.", set()),
    ("modal", "Italy could deploy troops to Latvia.", set()),
    ("condition", "If Russia attacks Estonia, NATO will respond.", set()),
    ("refused to rule out", "Macron refused to rule out sending troops to Ukraine.", set()),
    ("bid of a state is no membership of the organisation",
     "Turkey blocked Sweden's bid to join NATO for months.",
     {("TUR", "oppose-membership", "SWE"), ("SWE", "join", "NATO")}),
]


@pytest.mark.parametrize(("label", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_cases(extractor: Extractor, label: str, text: str, expected: set[Tuple]) -> None:
    assert tuples(run(extractor, text)) == expected


def test_the_parse_adds_what_the_rules_miss(extractor: Extractor, rules_only: Extractor) -> None:
    text = "Washington imposed tariffs on Canadian steel."
    assert tuples(run(rules_only, text)) == set()
    (event,) = run(extractor, text)
    assert "parsed" in event.cues and "nominal" in event.cues
    assert event.trigger == "tariffs"


def test_a_pronoun_takes_the_subject_of_its_own_sentence_first(extractor: Extractor) -> None:
    text = (
        "Croatia hosted the meeting. Emmanuel Macron flew to Moscow and then to Kyiv, "
        "where he urged Volodymyr Zelenskyy to revive the talks."
    )
    found = tuples(run(extractor, text, "2022-02"))
    assert ("FRA", "call-for", "UKR") in found
    assert not any(a == "HRV" and t == "call-for" for a, t, _ in found)


def test_the_taliban_are_afghanistan_only_after_taking_kabul(extractor: Extractor) -> None:
    text = "The Taliban barred the Pakistani envoy from entering the country."
    assert ("AFG", "block", "PAK") in tuples(run(extractor, text, "2024-08"))
    assert not any(a == "AFG" for a, _, _ in tuples(run(extractor, text, "2020-05")))


def test_the_country_is_the_last_state_named(extractor: Extractor) -> None:
    text = "Poland sent tanks to Ukraine in March. The country also imposed tariffs on Belarus."
    assert ("POL", "sanction", "BLR") in tuples(run(extractor, text))


# -- people introduced with their office, then named alone ---------------------------
def test_a_person_introduced_with_an_office_acts_for_it_when_named_again(
    extractor: Extractor,
) -> None:
    text = (
        "The African Union-appointed mediator, special envoy Maria Okafor, arrived on Monday. "
        "Okafor urged Sudan to reopen the border. "
        "Khartoum later barred her from entering the country."
    )
    found = tuples(run(extractor, text, "2024-03"))
    assert ("AU", "call-for", "SDN") in found
    assert ("SDN", "block", "AU") in found  # "her": the person named with an office


def test_a_participle_names_the_office_holders_organisation(extractor: Extractor) -> None:
    text = "United Nations-appointed special rapporteur Tomas Ruiz criticised Nicaragua."
    assert tuples(run(extractor, text, "2024-03")) == {("UN", "accuse", "NIC")}


def test_a_name_never_introduced_with_an_office_names_no_actor(extractor: Extractor) -> None:
    text = "Okafor urged Sudan to reopen the border."
    assert not any(a == "AU" for a, _, _ in tuples(run(extractor, text, "2024-03")))


def test_he_after_a_named_person_of_an_organisation_is_that_organisation(
    extractor: Extractor,
) -> None:
    text = (
        "The Taliban rejected the report. UN special rapporteur Tomas Ruiz criticised "
        "Nicaragua. He later criticised Honduras."
    )
    found = tuples(run(extractor, text, "2024-03"))
    assert ("UN", "accuse", "HND") in found
    assert ("AFG", "accuse", "HND") not in found  # "the Taliban" is no "he"


# -- control by an implicative verb, calls by a proposal or request ------------------
def test_an_implicative_verbs_object_acts(extractor: Extractor) -> None:
    text = "The row escalated, prompting Norway to recall its ambassador from Hungary."
    assert ("NOR", "withdraw", "HUN") in tuples(run(extractor, text))
    pressed = "The row escalated, pressing Norway to recall its ambassador from Hungary."
    assert ("NOR", "withdraw", "HUN") not in tuples(run(extractor, pressed))


def test_a_proposal_for_an_addressee_to_act_is_a_call_on_it(extractor: Extractor) -> None:
    text = "A Brazilian and Mexican proposal for the U.N. Security Council to act was ignored."
    assert {("BRA", "call-for", "UN"), ("MEX", "call-for", "UN")} <= tuples(
        run(extractor, text)
    )
    assert tuples(run(extractor, "Chile made a proposal to build a new port.")) == set()
    assert ("GHA", "call-for", "IMF") in tuples(
        run(extractor, "Ghana filed a request for the IMF to release the loan.")
    )


def test_a_proposal_made_for_an_addressee_to_act(extractor: Extractor) -> None:
    text = ("It answered a Brazilian proposal made on Monday for the U.N. Security Council "
            "to lift the sanctions.")
    assert ("BRA", "call-for", "UN") in tuples(run(extractor, text))


# -- a force as subject is deployed by its owner ----------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Forces of the African Union mission in Somalia have been deployed to guard the port.",
         {("AU", "deploy", "SOM")}),
        ("Additional French peacekeepers arrived in Mali on Wednesday.",
         {("FRA", "deploy", "MLI")}),
        ("Chinese warships sailed into the sea twice last month.", {("CHN", "deploy", None)}),
        ("Somali troops arrived in Somalia.", set()),  # at home
        ("Kenyan troops arrived in the capital.", set()),  # no foreign place named
        ("German troops were not deployed to Lithuania.", set()),  # negated
        ("Tourists arrived in Bosnia on Wednesday.", set()),  # no force
    ],
)
def test_a_force_moved_is_deployed_by_its_owner(
    extractor: Extractor, text: str, expected: set[Tuple]
) -> None:
    assert tuples(run(extractor, text)) == expected


# -- a quotation after the sentence that introduces its speaker ----------------------
def test_a_quotation_opening_a_sentence_is_the_speaker_introduced_before(
    extractor: Extractor,
) -> None:
    text = ('On Thursday, the spokesperson for the Indian foreign ministry repeated the '
            'stance. "We urge Nepal to hold the perpetrators accountable."')
    assert tuples(run(extractor, text, "2025-03")) == {("IND", "call-for", "NPL")}
    nobody = 'The crowd gathered. "We urge Nepal to hold the perpetrators accountable."'
    assert tuples(run(extractor, nobody, "2025-03")) == set()


# -- a refusal of "the request" answers the last call made to the refuser ------------
def test_a_refused_request_blocks_whoever_made_it(extractor: Extractor) -> None:
    asked = "Chile urged Peru to reopen the border. "
    assert ("PER", "block", "CHL") in tuples(run(extractor, asked + "Peru rejected the request."))
    # not addressed to the refuser: no answer
    assert not any(
        t == "block" for _, t, _ in tuples(run(extractor, asked + "Bolivia rejected the request."))
    )


# -- joint exercises, and "the other three countries" after a list ------------------
def test_an_exercise_held_with_states_meets_each(extractor: Extractor) -> None:
    found = tuples(run(extractor, "Greece held naval drills with Cyprus and France."))
    assert {("GRC", "meet", "CYP"), ("GRC", "meet", "FRA")} <= found
    alone = tuples(run(extractor, "Russia held drills near Finland."))
    assert not any(t == "meet" for _, t, _ in alone)


def test_the_other_three_countries_are_the_list_named_before_but_the_actor(
    extractor: Extractor,
) -> None:
    listed = "The pact binds Greece, Cyprus, France and Italy. "
    found = tuples(
        run(extractor, listed + "Greece held an exercise with the other three countries.")
    )
    assert {("GRC", "meet", "CYP"), ("GRC", "meet", "FRA"), ("GRC", "meet", "ITA")} <= found
    miscounted = tuples(
        run(extractor, listed + "Greece held an exercise with the other two countries.")
    )
    assert not any(t == "meet" for _, t, _ in miscounted)


# -- aid to a state's people, and the place a sentence opens on -----------------------
def test_aid_to_the_people_of_a_state_is_aid_to_the_state(extractor: Extractor) -> None:
    assert ("DEU", "provide", "SDN") in tuples(
        run(extractor, "Germany delivered food aid to displaced families in Sudan.")
    )
    assert ("JPN", "provide", "NPL") in tuples(
        run(extractor, "Japan distributed tents to villagers in the Gorkha district of Nepal.")
    )
    # a people with no state named and no place opened on: no recipient
    assert not any(
        t == "provide"
        for _, t, _ in tuples(
            run(extractor, "Japan distributed tents to villagers in the Gorkha district.")
        )
    )


def test_the_place_a_sentence_opens_on_holds_for_the_next(extractor: Extractor) -> None:
    text = (
        "In Nepal, relief agencies and the army began work in the hills. "
        "Japan distributed tents to villagers in the Gorkha district."
    )
    assert ("JPN", "provide", "NPL") in tuples(run(extractor, text))
    # two sentences later the place no longer holds
    later = (
        "In Nepal, relief agencies began work in the hills. The rain stopped on Monday. "
        "Japan distributed tents to villagers in the Gorkha district."
    )
    assert not any(t == "provide" for _, t, _ in tuples(run(extractor, later)))



# -- an ambassador recalled with no place named ---------------------------------------
def test_a_recalled_ambassador_leaves_the_one_other_state_named(extractor: Extractor) -> None:
    found = tuples(
        run(extractor, "Ankara mocked Mr. Macron, prompting France to recall its ambassador.")
    )
    assert ("FRA", "withdraw", "TUR") in found
    # no other state named, or two of them: no counterpart
    assert not any(
        t == "withdraw"
        for _, t, _ in tuples(run(extractor, "France recalled its ambassador for consultations."))
    )
    assert not any(
        t == "withdraw"
        for _, t, _ in tuples(
            run(extractor, "Italy and Spain protested after France recalled its ambassador.")
        )
    )



# -- a misparse repaired: a light verb's object read as a participle's subject --------
def test_a_light_verbs_object_read_as_a_participles_subject_is_its_object(
    extractor: Extractor,
) -> None:
    from allied.monitor.deptree import repair
    from allied.monitor.parser import load_parser

    text = "China conducted the military drills encircling Taiwan."
    parsed = load_parser()(text)
    # en_core_web_sm 3.8.0 reads "the drills" as the subject of "encircling"
    assert (parsed[4].text, parsed[4].dep_, parsed[4].head.text) == (
        "drills", "nsubj", "encircling"
    )
    repair(parsed)
    assert (parsed[4].dep_, parsed[4].head.text) == ("dobj", "conducted")
    assert (parsed[5].dep_, parsed[5].head.text) == ("acl", "drills")
    assert ("CHN", "deploy", "TWN") in tuples(run(extractor, text))
    # not a light verb: what was said is left alone
    said = load_parser()("Officials said the troops leaving Finland were tired.")
    kept = [(t.dep_, t.head.i) for t in said]
    repair(said)
    assert [(t.dep_, t.head.i) for t in said] == kept


# -- a force activated is deployed ---------------------------------------------------
def test_activating_a_force_deploys_it(extractor: Extractor, rules_only: Extractor) -> None:
    text = "The African Union activated its standby force on Thursday."
    assert ("AU", "deploy", None) in tuples(run(rules_only, text))
    assert ("AU", "deploy", None) in tuples(run(extractor, text))
    # what is activated is no force: no event
    assert not tuples(run(extractor, "Germany activated its new payment system on Thursday."))


# -- a deadline given is a demand, and an organisation's agency acts for it -----------
def test_time_given_to_act_is_a_demand_not_aid(extractor: Extractor) -> None:
    found = tuples(run(extractor, "Russia gave Ukraine 48 hours to withdraw its troops."))
    assert ("RUS", "call-for", "UKR") in found
    assert ("RUS", "provide", "UKR") not in found
    assert ("TUR", "call-for", "SWE") in tuples(
        run(extractor, "Turkey gave Sweden a deadline to act.")
    )
    # something given: aid, as before
    assert ("DEU", "provide", "UKR") in tuples(run(extractor, "Germany gave Ukraine tanks."))


def test_an_organisations_agency_acts_for_it(extractor: Extractor) -> None:
    assert ("KEN", "call-for", "UN") in tuples(
        run(extractor, "Kenya had given the U.N. Refugee Agency 14 days to present a plan.")
    )
    # an agency a state's adjective modifies is no organisation's
    found = tuples(run(extractor, "Germany gave the Ukrainian agency 14 days to act."))
    assert not any(target == "UN" for _, _, target in found)


# -- a call refused was made -------------------------------------------------------
def test_a_call_defied_or_ignored_was_made(extractor: Extractor) -> None:
    assert ("UN", "call-for", "RUS") in tuples(
        run(extractor, "Russia ignored calls by the United Nations to withdraw its troops.")
    )
    assert ("FRA", "call-for", "RUS") in tuples(
        run(extractor, "Russia defied calls, including from France, to withdraw its troops.")
    )
    assert ("EU", "call-for", "RUS") in tuples(
        run(extractor, "Russia rejected the EU's call for a ceasefire.")
    )
    # no caller named, or the refusal denied: no call read
    assert not any(
        t == "call-for"
        for _, t, _ in tuples(run(extractor, "Russia ignored calls to withdraw its troops."))
    )
    assert ("UN", "call-for", "RUS") not in tuples(
        run(extractor, "Russia did not ignore calls by the United Nations to withdraw.")
    )


# -- a delegation sent is a visit, not aid -----------------------------------------
def test_a_delegation_sent_meets_the_state_it_visits(extractor: Extractor) -> None:
    found = tuples(
        run(extractor, "Japan sent a delegation to attend the inauguration of Chile's president.")
    )
    assert ("JPN", "meet", "CHL") in found
    assert not any(t == "provide" for _, t, _ in found)
    kyiv = tuples(run(extractor, "Germany sent a delegation to Kyiv."))
    assert ("DEU", "meet", "UKR") in kyiv
    assert ("DEU", "provide", "UKR") not in kyiv
    # goods sent: aid, as before
    assert ("DEU", "provide", "UKR") in tuples(run(extractor, "Germany sent tanks to Ukraine."))


# -- a named exercise is an exercise --------------------------------------------------
def test_a_named_exercise_is_read_like_an_exercise(extractor: Extractor) -> None:
    found = tuples(
        run(extractor, "Greece held the Medusa Joint Naval Exercise with Cyprus and France.")
    )
    assert {("GRC", "meet", "CYP"), ("GRC", "meet", "FRA")} <= found
    # a proper noun that names no exercise: nothing
    assert not tuples(run(extractor, "Greece held the Medusa Cultural Festival with Cyprus."))
