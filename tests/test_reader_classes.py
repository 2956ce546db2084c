"""Failure classes of the extractive reader, one table each, on articles written for these tests (our own words,
names and figures): stated causes of "why" questions, whole ranges, no sentence twice, whole quotations, the
antecedent of an opening "it", answers of the asked kind only, and no passage from an unrelated article."""

from __future__ import annotations

import re

import pytest

from qa.generators.base import Draft
from qa.generators.extractive import ExtractiveGenerator
from qa.reasons import Reason
from tests.test_answer import _sources


def _ask(question: str, *bodies: str) -> Draft:
    return ExtractiveGenerator().answer(question, _sources(*bodies), None)


def _answers_or_abstains(question: str, body: str, answer: str | None) -> None:
    """The short answer holds ``answer``, or there is none when ``answer`` is None."""
    short = _ask(question, body).short_answer
    assert (short is None) if answer is None else (short is not None and answer in short), short


def _text(draft: Draft) -> str:
    return " ".join(([draft.preface] if draft.preface else []) + [s.text for s in draft.sentences])


# --- (a) "why": a stated cause or purpose is an answer; "no reason is given" only when none is stated ---------------
WHY_ANSWERED = [
    (
        "Why is the Tarn Hollow water board laying a second pipeline?",
        "The Tarn Hollow water board is laying a second pipeline from the upland reservoir to keep up with summer "
        "demand, its engineer Ines Rowe said on Monday.\n\nWork on the pipeline will start in March.",
        "to keep up with summer demand",
    ),
    (
        "Why will the Calloway bakery chain increase the price of its loaves?",
        "The Calloway bakery chain will increase the price of its loaves by 10 cents next month, blaming the rising "
        "cost of flour.\n\nThe chain runs 40 shops in the county.",
        "blaming the rising cost of flour",
    ),
    (
        "Why did the Orrel parish council close the footbridge at Mill End?",
        "The Orrel parish council closed the footbridge at Mill End on Tuesday because two of its beams had rotted."
        "\n\nWalkers can use the road bridge a mile upstream.",
        "because two of its beams had rotted",
    ),
    (
        "Why was the Linden Street market shut on Saturday?",
        "The Linden Street market was shut on Saturday after a water main burst under the square.\n\n"
        "Traders said they lost a day of sales.",
        "after a water main burst",
    ),
    (
        "Why did the Brisk Valley bus company cut its late services?",
        "The Brisk Valley bus company cut its late services in May, citing a shortage of drivers.",
        "citing a shortage of drivers",
    ),
]


@pytest.mark.parametrize(("question", "body", "cause"), WHY_ANSWERED)
def test_a_stated_cause_answers_why(question: str, body: str, cause: str) -> None:
    draft = _ask(question, body)
    assert draft.answerable and draft.reason == Reason.ANSWERED, _text(draft)
    assert cause in _text(draft)
    assert "no official reason" not in _text(draft)


WHY_UNSTATED = [
    (
        "Why was the Pellam ferry service suspended?",
        "The Pellam ferry service was suspended on Friday, the operator said.\n\nIt did not say when it would resume.",
        "why the Pellam ferry service was suspended",
    ),
    (
        "Why is the Pellam operator cutting the evening ferries?",
        "The Pellam operator is cutting the evening ferries from June, it said in a short notice on Friday.",
        "why the Pellam operator is cutting the evening ferries",
    ),
    (
        # "to close" is what was voted for, not why.
        "Why did the Hexley town board vote to close the outdoor pool?",
        "The Hexley town board voted on Monday to close the outdoor pool at the end of the summer.",
        "why the Hexley town board voted to close the outdoor pool",
    ),
    (
        "Why did the Quarry Lane school choose a new caterer?",
        "The Quarry Lane school chose a new caterer for its kitchen this term, the head teacher said.",
        "why the Quarry Lane school chose a new caterer",
    ),
    (
        "Why does the Marsh End sailing club charge visitors a mooring fee?",
        "The Marsh End sailing club charges visitors a mooring fee of $20 a night, its notice board says.",
        "why the Marsh End sailing club charges visitors a mooring fee",
    ),
]


@pytest.mark.parametrize(("question", "body", "restated"), WHY_UNSTATED)
def test_no_stated_cause_is_said_in_a_grammatical_sentence(question: str, body: str, restated: str) -> None:
    draft = _ask(question, body)
    assert not draft.answerable and draft.reason == Reason.NO_REASON_STATED, _text(draft)
    assert draft.preface is not None and f"The articles don't say {restated}" in draft.preface


# --- (b) ranges and quantities are kept whole ------------------------------------------------------------------------
RANGES = [
    (
        "How many volunteers cleared litter from the Ashby canal towpath?",
        "Between 200 and 250 volunteers cleared litter from the Ashby canal towpath on Sunday, the canal trust said.",
        ("200", "250"),
    ),
    (
        "How many tonnes of apples does the Ridgeway orchard expect to pick?",
        "The Ridgeway orchard expects to pick six to seven tonnes of apples this autumn, its manager said.",
        ("six", "seven"),
    ),
    (
        "How much will tickets for the Oxley fair cost?",
        "Tickets for the Oxley fair will cost $12 to $15, the organisers said on Thursday.",
        ("$12", "$15"),
    ),
    (
        "How many lorries use the Dunhill bypass each day?",
        "Some 3,000 to 3,500 lorries use the Dunhill bypass each day, a traffic survey found.",
        ("3,000", "3,500"),
    ),
]


@pytest.mark.parametrize(("question", "body", "parts"), RANGES)
def test_a_range_is_kept_whole(question: str, body: str, parts: tuple[str, str]) -> None:
    draft = _ask(question, body)
    assert draft.short_answer is not None and all(p in draft.short_answer for p in parts), draft.short_answer


def test_a_change_from_one_figure_to_another_is_not_a_range() -> None:
    body = "The ticket price for the Oxley fair rose this year from $12 to $15, the organisers said."
    assert _ask("How much does a ticket for the Oxley fair cost this year?", body).short_answer == "$15"


# --- (c) the same sentence never twice; (e) an opening "it"/"that"/"this" brings its predecessor -------------------
LIBRARY = (
    "The Fenwick library closed its reading room on Friday for repairs to the roof.\n\n"
    "It will reopen on 4 May, the head librarian said."
)
ANTECEDENTS = [
    ("When will the Fenwick library reading room reopen?", LIBRARY, "It will reopen"),
    (
        "How much will the new Corby lifeboat station cost?",
        "The Corby lifeboat crew will move to a new station on the harbour wall next year.\n\n"
        "That station will cost $2.4 million, the charity said.",
        "That station will cost",
    ),
    (
        "How many bird species were counted on Selby Marsh?",
        "Volunteers counted the birds on Selby Marsh over the weekend for the yearly survey.\n\n"
        "This count found 84 species, four more than last year.",
        "This count found",
    ),
]


@pytest.mark.parametrize(("question", "body", "opening"), ANTECEDENTS)
def test_an_anaphoric_answer_sentence_brings_its_predecessor(question: str, body: str, opening: str) -> None:
    draft = _ask(question, body)
    texts = [s.text for s in draft.sentences]
    at = next(i for i, t in enumerate(texts) if t.startswith(opening))
    assert at > 0 and texts[at - 1] == body.split("\n\n")[0], texts


def test_no_sentence_twice_in_one_answer() -> None:
    # The answer's sentence leans on the one before it, which is also among the best passages.
    one_paragraph = (
        "The Fenwick library has closed its reading room for roof repairs. It will reopen on 4 May, the head "
        "librarian said."
    )
    wire = "The Fenwick library will reopen its reading room on 4 May, the head librarian said."
    for bodies in ((one_paragraph,), (LIBRARY,), (one_paragraph, wire, wire), (wire, one_paragraph)):
        draft = _ask("When will the Fenwick library reading room reopen?", *bodies)
        texts = [s.text for s in draft.sentences]
        assert len(texts) == len(set(texts)), texts


# --- (d) a quote is never cut inside a quotation ---------------------------------------------------------------------
QUOTES = [
    (
        "How many buses will run from the Greyfield depot by the winter?",
        "The Greyfield mayor Olu Bram spoke at the opening of the new bus depot on Monday. “The depot will serve "
        "the whole valley. We expect 40 buses to run from it by the winter,” Bram said.",
    ),
    (
        "What did the Greyfield mayor promise for the new depot?",
        'The Greyfield mayor Olu Bram spoke at the opening of the new bus depot on Monday. "The depot will serve '
        'the whole valley. We promise a bus every ten minutes to the city," Bram said.',
    ),
]


def _balanced(text: str) -> bool:
    return text.count("“") == text.count("”") and text.count('"') % 2 == 0


@pytest.mark.parametrize(("question", "body"), QUOTES)
def test_a_quote_is_never_cut_inside_a_quotation(question: str, body: str) -> None:
    draft = _ask(question, body)
    assert draft.sentences
    for s in draft.sentences:
        assert _balanced(s.text), s.text
        ((_, a, b),) = s.spans
        assert body[a:b] == s.text


# --- (f) an age, price or date question is answered only by a figure of that kind -----------------------------------
GALLERY = (
    "The Harwick gallery is showing 30 to 40 paintings by Ada Lune this month. Visitor numbers rose by 12 percent "
    "last summer, and the show runs for six weeks."
)
MISMATCHES = [
    ("How old is Ada Lune?", GALLERY),
    ("What is Ada Lune's age?", GALLERY),
    ("What is the price of a ticket to the Harwick gallery show?", GALLERY),
    ("How much does a ticket to the Harwick gallery show cost?", GALLERY),
    ("In what year did the Harwick gallery open?", GALLERY),
    (
        "When will the Corran swimming baths reopen?",
        "The Corran swimming baths have been shut for 18 months while the roof is rebuilt, the council said.",
    ),
]


@pytest.mark.parametrize(("question", "body"), MISMATCHES)
def test_a_figure_of_another_kind_is_no_answer(question: str, body: str) -> None:
    draft = _ask(question, body)
    assert not draft.answerable and draft.short_answer is None, draft.short_answer


WHENS = [
    ("When will the Corran swimming baths reopen?", "The Corran swimming baths will reopen in three weeks.", "three"),
    ("When did the Corran swimming baths close?", "The Corran swimming baths closed 18 months ago.", "18 months ago"),
]


@pytest.mark.parametrize(("question", "body", "when"), WHENS)
def test_a_time_from_now_answers_when(question: str, body: str, when: str) -> None:
    short = _ask(question, body).short_answer
    assert short is not None and when in short, short


AGES = [
    ("How old is Ada Lune?", "The painter Ada Lune, 67, opened the show at the Harwick gallery on Friday.", "67"),
    ("How old is Ada Lune?", "Ada Lune, who is 67 years old, opened the show at the Harwick gallery.", "67"),
    ("How old is Ada Lune?", "The show at the Harwick gallery was opened by Ada Lune, aged 67.", "67"),
]


@pytest.mark.parametrize(("question", "body", "age"), AGES)
def test_an_age_is_answered_by_an_age(question: str, body: str, age: str) -> None:
    short = _ask(question, body).short_answer
    assert short is not None and re.search(rf"\b{age}\b", short), short


# --- (g) no passage from an article below the relevance cutoff -------------------------------------------------------
def test_an_unrelated_article_adds_no_passage() -> None:
    library = (
        "The Fenwick library closed its reading room on Friday for repairs to the roof.\n\n"
        "It will reopen on 4 May with new desks and a coffee corner, the head librarian said."
    )
    unrelated = (
        "The Fenwick rugby club will reopen its main stand in June after a fire.\n\n"
        "Season tickets will go on sale in May, the club said."
    )
    draft = _ask("What will the Fenwick library reading room offer when it reopens?", library, unrelated)
    assert draft.answerable
    assert all(aid == "a1" for s in draft.sentences for aid, _, _ in s.spans), [s.text for s in draft.sentences]


# --- (h) "Who is X?" / "What is X?": what the article calls X, not another name and not an abstention ---------------
DESCRIBED = [
    (  # an appositive after the name
        "Who is Ada Lune?",
        "The Marrow Creek dam will be raised by four metres, said Ada Lune, the chief engineer of the project.\n\n"
        "Work starts in spring, according to Tom Bexley, the county's planning officer.",
        "the chief engineer of the project",
    ),
    (  # the copula
        "Who is Orla Denning?",
        "Orla Denning is a retired ferry captain who sailed the Pellam crossing for 30 years.\n\n"
        "She met the transport minister, Piet Hallam, on Friday.",
        "a retired ferry captain who sailed the Pellam crossing for 30 years",
    ),
    (  # a noun phrase set before the name, with another person named in the same sentence
        "Who is Bram Okafor?",
        "The talks were led by Mayor Ines Rowe and the harbour's new director, Bram Okafor, on Monday.",
        "the harbour's new director",
    ),
    (  # a job written in front of the name
        "Who is Lena Varga?",
        "Kestrel University economist Lena Varga said the levy would raise less than the council hopes.",
        "Kestrel University economist",
    ),
    (  # a place or body, not a person
        "What is Cair Dun?",
        "Inspectors were allowed into Cair Dun, a former mine where the company stored its waste, last month.",
        "a former mine where the company stored its waste",
    ),
    (  # asked as a job, with a possessive
        "What is Tom Bexley's role?",
        "The plan was drawn up by Tom Bexley, the county's planning officer, and approved on Tuesday.",
        "the county's planning officer",
    ),
]


@pytest.mark.parametrize(("question", "body", "description"), DESCRIBED)
def test_an_identity_question_is_answered_by_the_description(question: str, body: str, description: str) -> None:
    draft = _ask(question, body)
    assert draft.answerable and draft.short_answer == description, (draft.short_answer, _text(draft))
    assert description in draft.sentences[0].text or description in _text(draft)


def test_an_identity_question_without_a_description_abstains() -> None:
    """Named only as a speaker: the article does not say who she is, and no other name is offered instead."""
    draft = _ask("Who is Ada Lune?", "Ada Lune said the dam would be raised, and Tom Bexley agreed with her.")
    assert not draft.answerable and draft.reason == Reason.NO_CANDIDATE_OF_TYPE
    assert draft.short_answer is None


@pytest.mark.parametrize(
    ("question", "subject"),
    [
        ("Who is Ada Lune?", "Ada Lune"),
        ("who was Jorn K. Amsel?", "Jorn K. Amsel"),
        ("What is the Orrin Trust?", "Orrin Trust"),
        ("What is Tom Bexley's job?", "Tom Bexley"),
        ("What does Lena Varga do?", "Lena Varga"),
        ("Who is the mayor of Brackenford?", None),  # a role: answered by a name
        ("Who is Ada Lune's lawyer?", None),  # another person
        ("What is Kestrel policy on tolls?", None),  # not a name alone
        ("What is inflation?", None),  # a common noun
    ],
)
def test_identity_questions_are_told_by_a_name_alone(question: str, subject: str | None) -> None:
    from qa.generators.questions import analyse

    q = analyse(question)
    assert q.subject == subject
    assert (q.atype == "description") == (subject is not None)


ABSTENTIONS_SAID = [
    ("How old is Ada Lune?", "Ada Lune, the chief engineer, said the dam would be raised.", "how old Ada Lune is"),
    (
        "How much did the Marrow Creek dam cost?",
        "The Marrow Creek dam was finished in 1962, the county said.",
        "how much the Marrow Creek dam cost",
    ),
    (
        "When will the Pellam ferry service resume?",
        "The Pellam ferry service was suspended after the storm, the operator said.",
        "when the Pellam ferry service will resume",
    ),
]


@pytest.mark.parametrize(("question", "body", "indirect"), ABSTENTIONS_SAID)
def test_an_abstention_restates_the_question_grammatically(question: str, body: str, indirect: str) -> None:
    """ "The articles don't say how old is X" was the question's word order pasted into a statement."""
    draft = _ask(question, body)
    assert not draft.answerable
    assert draft.preface is not None and draft.preface.startswith(f"The articles don't say {indirect}."), draft.preface


# --- (i) "Who is the <role> of <place>?": a person named in that role, not a role phrase or a name cut as partial ----
ROLE_HOLDERS = [
    (
        "Who is the president of Tarvia?",
        [
            "The envoy also met jointly with Vellmark’s Prime Minister and Tarvia’s President on the harbour talks.",
            "Talks between the ports and the government of President Ana Brisk of Tarvia have gone smoothly.",
        ],
        "Ana Brisk",
    ),
    (
        "Who is the chief executive of Harlan Motors?",
        [
            "Shares rose after Harlan Motors’ Chief Executive spoke to investors on Monday.",
            "The plant was opened by Chief Executive Rosa Imbert of Harlan Motors in 2019.",
        ],
        "Rosa Imbert",
    ),
]


@pytest.mark.parametrize(("question", "bodies", "name"), ROLE_HOLDERS)
def test_a_role_is_answered_by_the_person_named_in_it(question: str, bodies: list[str], name: str) -> None:
    draft = _ask(question, *bodies)
    assert draft.short_answer == name, (draft.short_answer, _text(draft))


# --- (j) "Which city / country ...": a place of the asked kind, not another place in the same sentence --------------
PLACES_OF_KIND = [
    (
        "In which city does the mayor hope to meet the trade delegation?",
        "The mayor hopes to meet the trade delegation in Lyon, following her own visit to Portugal in May.",
        "Lyon",
    ),
    (
        "Which country will the orchestra tour next spring?",
        "The orchestra, which played Vienna last week, will tour Argentina next spring.",
        "Argentina",
    ),
]


@pytest.mark.parametrize(("question", "body", "place"), PLACES_OF_KIND)
def test_a_place_of_the_asked_kind_answers(question: str, body: str, place: str) -> None:
    draft = _ask(question, body)
    assert draft.short_answer == place, (draft.short_answer, _text(draft))


def test_another_articles_passage_is_shown_only_if_it_says_the_answer_too() -> None:
    """The short answer comes from one article; a passage of another that shares the question's words but does not
    name the answer is about something else and is left out, while one that names it corroborates."""
    draft = _ask(
        "Who is Tarvia's defence minister?",
        "Envoy Piet Hallam is expected to meet General Ona Velt, Tarvia's defence minister, on Friday.",
        "Vellmark's defence minister said on Sunday that floods posed the biggest threat in the region, "
        "a shift in tone at a defence summit.",
        "General Ona Velt told the summit that Tarvia would buy two patrol boats.",
    )
    assert draft.short_answer == "General Ona Velt", _text(draft)
    assert "Vellmark" not in _text(draft)


# --- (k) relation questions: the name that fills the asked role of the question's verb, by the parse ----------------
RELATIONS = [
    (  # the object of "meet" for the question's subject, not the subject of another meeting in a nearby sentence
        "Who was Ada Lune supposed to meet on Friday?",
        [
            "After the vote, Tom Bexley was supposed to meet with Orla Denning, the ferry operator's chief.",
            "Ada Lune, the county's engineer, was due to meet with Piet Hallam on Friday to settle the plan.",
        ],
        "Piet Hallam",
    ),
    (  # the subject, which is a body and not a person
        "Who announced that the footbridge had been closed?",
        [
            "On Tuesday, the Orrel parish council announced that the footbridge had been closed by order of Mayor Ines Rowe."
        ],
        "the Orrel parish council",
    ),
    (  # the subject is described, not named: the description answers, not a name elsewhere in the sentence
        "Who described the harbour visit as a success?",
        ["The chief inspector described it as a success and praised a deal by Mr. Hallam to open the pier."],
        "The chief inspector",
    ),
]


@pytest.mark.parametrize(("question", "bodies", "answer"), RELATIONS)
def test_a_relation_question_is_answered_by_who_fills_the_role(question: str, bodies: list[str], answer: str) -> None:
    draft = _ask(question, *bodies)
    assert draft.short_answer == answer, (draft.short_answer, _text(draft))


@pytest.mark.parametrize(
    ("question", "predicates", "role"),
    [
        ("Who was Ada Lune supposed to meet?", {"meet"}, "object"),
        ("Whom did the council hire?", {"hire"}, "object"),
        ("Which company agreed to buy the depot?", {"agree", "buy"}, "subject"),
        ("Who announced that the bridge had been closed?", {"announce"}, "subject"),
        ("Who was hired by the council?", {"hire"}, "object"),
        ("Who is Ada Lune?", None, None),
    ],
)
def test_the_question_relation_is_read_from_the_parse(question: str, predicates: set[str] | None, role: str) -> None:
    from qa.generators.relation import question_relation

    rel = question_relation(question)
    assert (rel.predicates, rel.role) == (predicates, role) if rel else predicates is None


def test_a_question_phrase_quoted_in_an_article_is_no_description() -> None:
    """An article that asks the same question ("Which company wants the depot?") is no answer to it."""
    draft = _ask(
        "Which company agreed to buy the Eastfield depot?",
        "Which company agreed to buy the Eastfield depot? On Monday, Harlan Motors agreed to buy the Eastfield depot.",
    )
    assert draft.short_answer == "Harlan Motors", _text(draft)


# --- (l) "which singer / who": a person by the entity recogniser, not a building or an event named beside them ------
PERSONS = [
    (
        "Which pop star will perform at the Grand Meridian Hotel in June?",
        "On Monday, the venue said Shakira will perform at the Grand Meridian Hotel in June.",
        "Shakira",
    ),
    (
        "Who will open the Harbour Festival?",
        "Organisers of the Harbour Festival said Beyonce will open it on Friday at Pier Arena.",
        "Beyonce",
    ),
]


@pytest.mark.parametrize(("question", "body", "person"), PERSONS)
def test_a_person_question_is_answered_by_a_person(question: str, body: str, person: str) -> None:
    draft = _ask(question, body)
    assert draft.short_answer == person, (draft.short_answer, _text(draft))


def test_the_date_of_a_report_is_not_the_date_of_what_it_reports() -> None:
    """ "said on Tuesday that the bridge would reopen" does not say when it reopens; "in May" does."""
    told = "The county said on Tuesday that the Marrow footbridge would reopen, without giving a date."
    draft = _ask("When will the Marrow footbridge reopen?", told)
    assert draft.short_answer is None and not draft.answerable, _text(draft)
    draft = _ask("When will the Marrow footbridge reopen?", told.replace(", without giving a date", " in May"))
    assert draft.short_answer == "May", _text(draft)
    draft = _ask("When did the county announce that the footbridge would reopen?", told)
    assert draft.short_answer == "Tuesday", _text(draft)  # asked about the saying itself


# --- (m) "What did X say?": X's own words, or an abstention when the articles don't report any -----------------------
SPEAKER_ARTICLE = (
    "The Marrow Creek dam will be raised by four metres, the county said on Monday. Ada Lune, the project's engineer, "
    "said the work would start in spring. Tom Bexley, who farms below the dam, met with Ms. Lune on Friday."
    "\\n\\nCritics of the plan said the cost was too high, and he agreed."
)


def test_a_speaker_who_says_nothing_in_the_articles_is_not_quoted() -> None:
    draft = _ask("What did Tom Bexley say about the dam?", SPEAKER_ARTICLE)
    assert not draft.answerable and draft.reason == Reason.RELATION_NOT_FOUND, _text(draft)
    assert draft.preface is not None and draft.preface.startswith("The articles don't say what Tom Bexley said")


def test_a_speakers_own_words_lead_the_answer() -> None:
    draft = _ask("What did Ada Lune say about the dam?", SPEAKER_ARTICLE)
    assert draft.answerable, _text(draft)
    assert draft.sentences[0].text.startswith("Ada Lune, the project's engineer, said the work would start in spring")


# --- a count answers only a count of the same kind of thing ----------------------------------------------------------
COUNTS_OF_OTHER_THINGS = [
    (
        "How many people were hurt in the Brennick depot blast?",
        "The blast at the Brennick bus depot on Friday damaged 40 cars and shattered windows along Quay Street, "
        "the fire service said.\n\nThe depot will stay shut while engineers check the roof.",
    ),
    (
        "How many people live in the Salt Row flats?",
        "The Salt Row flats were built 60 years ago and have 14 floors, the housing office said.\n\n"
        "Residents have asked for the lifts to be replaced.",
    ),
    (
        "How many workers will the Fenmore mill take on?",
        "The Fenmore mill will reopen after 3 years, its new owner said on Tuesday.\n\n"
        "It will make felt for the building trade.",
    ),
]


@pytest.mark.parametrize(("question", "body"), COUNTS_OF_OTHER_THINGS)
def test_a_number_counting_another_kind_of_thing_is_no_answer(question: str, body: str) -> None:
    draft = _ask(question, body)
    assert draft.short_answer is None, draft.short_answer


COUNTS = [
    (
        "How many people were moved out of the Greave estate?",
        "Firefighters moved 230 residents out of the Greave estate overnight after the fire spread to 12 flats, "
        "the council said.",
        "230",
    ),
    (
        "How many people lost their jobs when the Tallis works closed?",
        "The Tallis works closed after 80 years, and 640 staff lost their jobs, the union said.",
        "640",
    ),
    (
        "How many soldiers were sent to the Dunmere border post?",
        "The ministry sent 1,500 troops to the Dunmere border post in 4 trucks convoys last week.",
        "1,500",
    ),
]


@pytest.mark.parametrize(("question", "body", "count"), COUNTS)
def test_a_count_is_of_the_kind_asked(question: str, body: str, count: str) -> None:
    short = _ask(question, body).short_answer
    assert short is not None and count in short, short


@pytest.mark.parametrize(
    ("sentence", "number", "noun"),
    [
        ("The fire destroyed 300 homes and left 1,200 people without power.", "300", "homes"),
        ("About 5 million people voted in the referendum.", "5", "people"),
        ("Twelve of the workers were taken to hospital.", "Twelve", "workers"),
        ("The plant will add 400 new jobs next year.", "400", "jobs"),
        ("The death toll rose to 12 on Monday.", "12", None),
    ],
)
def test_the_noun_a_number_counts_is_read_from_the_parse(sentence: str, number: str, noun: str | None) -> None:
    from qa.generators.readings import counted_noun
    from qa.nlp import parse_many

    start = sentence.index(number)
    assert counted_noun(parse_many([sentence])[0], start, start + len(number)) == noun


@pytest.mark.parametrize(
    ("counted", "asked", "differ"),
    [
        ("homes", "people", True),
        ("years", "people", True),
        ("cars", "people", True),
        ("units", "batteries", False),  # a unit is also any one thing
        ("kilometres", "days", True),
        ("residents", "people", False),
        ("troops", "soldiers", False),
        ("staff", "workers", False),
        ("deaths", "people", False),  # an event may well be how many people
        ("arrests", "people", False),
        ("flats", "homes", False),
    ],
)
def test_counts_of_different_kinds_of_thing(counted: str, asked: str, differ: bool) -> None:
    from qa.wordnet import counts_differ

    assert counts_differ(counted, asked) is differ


# --- "what did X <verb>?": the thing the parse has as the verb's object ------------------------------------------------
OBJECTS = [
    (
        "What did the Harwick council cancel in May?",
        "The Harwick council cancelled a concert the city orchestra was due to give in Linden Park in May, its leader "
        "said on Monday.\n\nThe orchestra will play in the town hall instead.",
        "a concert",
    ),
    (
        "What did Ada Lune sell last year?",
        "Ada Lune sold a farm her grandfather had bought near the river last year, her lawyer said.",
        "a farm",
    ),
    (
        "What will the Tarn water board build next?",
        "The Tarn water board will build a second reservoir above the village next, its chair Ines Rowe said.",
        "a second reservoir",
    ),
]


@pytest.mark.parametrize(("question", "body", "thing"), OBJECTS)
def test_what_someone_did_something_to_is_the_object_of_the_verb(question: str, body: str, thing: str) -> None:
    assert _ask(question, body).short_answer == thing


NO_OBJECT = [
    (
        "What did the Tarn water board build last year?",
        "The Tarn water board spent last year on repairs to the dam at Kelso Bridge, its chair Ines Rowe said.",
    ),
    (
        "What did the Brisk Valley drivers' union decide on Friday?",
        "Members of the Brisk Valley Transport Union voted on Friday to accept the bus company's pay offer.",
    ),
]


@pytest.mark.parametrize(("question", "body"), NO_OBJECT)
def test_no_name_stands_in_for_an_object_the_articles_do_not_give(question: str, body: str) -> None:
    assert _ask(question, body).short_answer is None


def test_a_why_question_over_a_sentence_with_no_verb_finishes() -> None:
    """A sentence whose root is a noun (a headline-like line) used to spin the cause reader forever: it climbed the
    parse to a verb, testing tokens by identity, and spaCy makes a new token on each access. In a thread, so that
    a regression fails here instead of hanging the run."""
    import threading

    done: list[Draft] = []
    worker = threading.Thread(
        target=lambda: done.append(
            _ask(
                "Why was the Orrel footbridge closed?",
                "Closure of the Orrel footbridge for the whole of the winter.\n\nThe parish council met on Tuesday.",
            )
        ),
        daemon=True,
    )
    worker.start()
    worker.join(timeout=60)
    assert done, "the reader did not finish"
    assert done[0].short_answer is None


# --- when the passages tell of the question's action, only who or what they have in the asked role answers -----------
def test_no_one_is_named_for_an_action_the_articles_tell_without_its_doer() -> None:
    """The passive names no one who cancelled the concert; a name elsewhere, or the doer of the same verb done to
    something else ("cancelled a tour"), is no answer."""
    body = (
        "The Linden Park concert set for Saturday has been cancelled, the city's arts office said on Friday, "
        "leaving the orchestra's conductor Ada Lune without a summer date.\n\n"
        "In May, the promoter Piet Hallam cancelled a tour the orchestra was due to make to the coast."
    )
    assert _ask("Who cancelled the Linden Park concert?", body).short_answer is None


def test_the_doer_of_the_asked_action_answers_over_a_name_standing_nearer() -> None:
    body = (
        "On Tuesday, Harlan Motors agreed to buy the Eastfield bus depot from Corran Transit for $12 million, "
        "both companies said.\n\nCorran Transit will move its buses to a site near the airport."
    )
    assert _ask("Which company agreed to buy the Eastfield bus depot?", body).short_answer == "Harlan Motors"


@pytest.mark.parametrize(
    ("question", "body", "answer"),
    [
        (
            "How many stalls did the Orrel market have?",
            "The Orrel market reopened on July 29 after a week of repairs, the council said.",
            None,  # the 29 of a date counts nothing
        ),
        (
            "How many stalls did the Orrel market have?",
            "The Orrel market reopened on July 29 with 41 stalls, the council said.",
            "41",
        ),
        (
            "What time will the late sailing leave Harlow?",
            "The late sailing will leave Harlow at 10.15 p.m. on Fridays from June 3, the operator said.",
            "10.15 p.m.",
        ),
        (
            "What time did the Orrel market open on Saturday?",
            "The Orrel market opened on Saturday, June 3, after a week of repairs, the council said.",
            None,  # a date is no time of day
        ),
    ],
)
def test_figures_of_dates_and_times_of_day(question: str, body: str, answer: str | None) -> None:
    assert _ask(question, body).short_answer == answer


@pytest.mark.parametrize(
    ("question", "body", "when"),
    [
        (
            "When did the envoy Ada Lune meet the Tarvian trade minister?",
            "After the prime minister's visit to Tarvia in October, the envoy Ada Lune was to meet the Tarvian trade "
            "minister. That meeting never took place, officials said.",
            None,  # October dates the visit, not a meeting of the envoy
        ),
        (
            "When did the Orrel council approve the budget?",
            "The Orrel council approved the budget on Monday night after a three-hour debate.",
            "Monday",
        ),
        (
            "When did the Brisk Valley strike begin?",
            "The Brisk Valley strike, which began on Tuesday, has closed 40 schools.",
            "Tuesday",
        ),
    ],
)
def test_a_date_of_another_thing_does_not_answer_when(question: str, body: str, when: str | None) -> None:
    _answers_or_abstains(question, body, when)


# --- a later instance of an event: "the second summit", "the rescheduled hearing" -----------------------------------
HEARING = (
    "The Orrel council had set the planning hearing for Tuesday at the town hall. On Monday the council said the "
    "hearing would be rescheduled because its chair, Anke Vos, was ill."
)
SUMMIT = (
    "The first Tarvian trade summit was held in Brisk Valley in May and was chaired by Ada Lune. Officials said a "
    "second summit was planned but gave no date."
)


@pytest.mark.parametrize(
    ("question", "body", "answer"),
    [
        ("When will the rescheduled planning hearing take place?", HEARING, None),  # Tuesday was the first date
        ("Where will the rescheduled planning hearing be held?", HEARING, None),
        ("Who will chair the rescheduled planning hearing?", HEARING, None),
        (
            "When will the rescheduled planning hearing take place?",
            HEARING + " The rescheduled hearing will take place on Friday, the town clerk said.",
            "Friday",
        ),
        ("Where will the second Tarvian trade summit be held?", SUMMIT, None),  # Brisk Valley held the first
        ("When will the second Tarvian trade summit take place?", SUMMIT, None),
        (
            "Where will the second Tarvian trade summit be held?",
            SUMMIT + " The second summit will be held in Port Hallam in October, the trade ministry said.",
            "Port Hallam",
        ),
        (
            "When will the postponed Orrel budget vote take place?",
            "The Orrel council postponed the budget vote, which had been set for Tuesday. The vote will now take "
            "place on Friday.",
            "Friday",
        ),
        (
            "When will the postponed Orrel budget vote take place?",  # a relative clause tells what it was before
            "The Orrel budget vote, which had been set for Tuesday, has been postponed until Friday.",
            "Friday",
        ),
        (
            "Where will the second Tarvian trade summit be held?",  # a verb it controls stays in its clause
            "The second Tarvian trade summit is expected to be held in Port Hallam, officials said.",
            "Port Hallam",
        ),
        (
            "Where will the second round of Tarvian trade talks be held?",  # an action done again, with the same people
            "After a first round of trade talks ended without a deal, the Tarvian negotiators will meet again in "
            "Port Hallam next month.",
            "Port Hallam",
        ),
        (
            "Who will lead the rescheduled Tarvian trade talks?",  # "again" in a clause that leaves one out
            "On Friday, the subject of Tarvian trade will come up again when Ada Lune meets the Orrel envoy.",
            None,
        ),
        (
            "Where will the third Orrel jazz festival be held?",  # "It": the sentence before tells of it
            "The Orrel organisers are planning a jazz festival next summer in Port Hallam. It would be their third "
            "festival since 2020.",
            "Port Hallam",
        ),
        (
            "Where will the second Orrel jazz festival be held?",  # another ordinal is another festival
            "The Orrel organisers are planning a jazz festival next summer in Port Hallam. It would be their third "
            "festival since 2020.",
            None,
        ),
        (
            "Where was the first Tarvian trade summit held?",  # no later instance asked about
            SUMMIT,
            "Brisk Valley",
        ),
        (
            "Which company will open the Orrel market next week?",  # "next" dates the opening: no instance
            "On Monday the grocer Harlan Foods will open the Orrel market, the council said.",
            "Harlan Foods",
        ),
    ],
)
def test_a_later_instance_is_answered_only_by_what_is_told_of_it(question: str, body: str, answer: str | None) -> None:
    _answers_or_abstains(question, body, answer)


# --- namesakes: "Kim Yong-chol" is not "Kim Jong-un" --------------------------------------------------------------
PARK = (
    "Park Min-jun, the trade minister, has led the talks with Orrel for a year. The Orrel envoy met Park Seo-yeon, "
    "the deputy trade minister, on Tuesday to discuss tariffs."
)


@pytest.mark.parametrize(
    ("question", "body", "answer"),
    [
        ("When did Park Min-jun meet the Orrel envoy?", PARK, None),  # Tuesday is when his namesake met the envoy
        ("When did Park Min-jun meet the Orrel envoy?", PARK + " The envoy met Park Min-jun on Friday.", "Friday"),
        (
            "When did the Orrel envoy meet Park Min-jun?",  # a title and the family name: the same person
            "Park Min-jun, the trade minister, has led the talks with Orrel for a year. The Orrel envoy met Minister "
            "Park on Friday.",
            "Friday",
        ),
        (
            "When did Ada Lune open the harbour bridge?",  # a thing named after her is no namesake
            "Ada Lune cut the ribbon. The Lune Bridge over the harbour was opened in May, officials said.",
            "May",
        ),
    ],
)
def test_a_namesake_does_not_answer_for_the_person_asked_about(question: str, body: str, answer: str | None) -> None:
    _answers_or_abstains(question, body, answer)


# --- "which X": the noun "which" determines, and what that noun's own phrase says of another name -----------------
@pytest.mark.parametrize(
    ("question", "head"),
    [
        ("Which actor stars alongside Ada Lune in Harbour Lights?", "actor"),  # "stars" is the verb
        ("Which company stars in the new Orrel advert?", "company"),
        ("Which newspaper ran the Nov. 3 commentary on the harbour?", "newspaper"),  # not "nov"
        ("Which hugely successful novel was adapted for the stage?", "novel"),
    ],
)
def test_which_asks_for_the_noun_it_determines(question: str, head: str) -> None:
    from qa.generators.questions import analyse

    assert analyse(question).head_word == head


SINMUN = "a commentary in Orrel Sinmun, an official Harlan Party newspaper in Tarvia, urged the two sides to meet."


@pytest.mark.parametrize(
    ("body", "answer"),
    [
        ("On Monday, " + SINMUN, "Orrel Sinmun"),  # not the party or the country of "newspaper"'s own phrase
        (
            "On Nov. 3, a commentary in Orrel Sinmun, an official Workers’ Party newspaper in Tarvia, urged the two "
            "sides to meet.",
            "Orrel Sinmun",
        ),
        (
            "The Orrel Times newspaper ran a commentary that urged the two sides to meet.",
            "Orrel Times",
        ),  # no other name
    ],
)
def test_the_asked_noun_said_of_a_name_answers_with_that_name(body: str, answer: str) -> None:
    short = _ask("Which newspaper ran the commentary urging the two sides to meet?", body).short_answer
    assert short is not None and answer in short, short


@pytest.mark.parametrize(
    "body",
    [
        "The Orrel Pictures film “Harbour Lights” led ticket sales on Sunday with $12 million.",
        "The Orrel Pictures adaptation “Harbour Lights,” starring Ada Lune, led ticket sales on Sunday with $12 million.",
    ],
)
def test_a_title_right_after_the_doer_names_it(body: str) -> None:
    # the parse has "adaptation" doing the leading; the quoted title right after it is its name
    assert _ask("Which film led ticket sales on Sunday?", body).short_answer == "Harbour Lights"


# --- a moved event: the date the move left behind does not answer "when" -------------------------------------------
VOTE = "The Orrel council set the budget vote for Tuesday."


@pytest.mark.parametrize(
    ("question", "body", "answer"),
    [
        ("When will the Orrel budget vote take place?", VOTE, "Tuesday"),
        (
            "When will the Orrel budget vote take place?",
            VOTE + " On Monday it postponed the vote until Friday.",
            "Friday",
        ),
        (
            "When will the Orrel budget vote take place?",  # the move told in a second report, the old date in a clause
            VOTE + " The budget vote, which had been set for Tuesday, has been moved to Friday.",
            "Friday",
        ),
        (
            "When was the Orrel budget vote first set for?",
            VOTE + " On Monday it postponed the vote until Friday.",
            "Tuesday",
        ),
        (
            "When was the Orrel budget vote postponed?",
            "On Monday the Orrel council postponed the budget vote until Friday.",
            "Monday",
        ),
    ],
)
def test_the_date_a_move_left_behind_does_not_answer_when(question: str, body: str, answer: str | None) -> None:
    _answers_or_abstains(question, body, answer)
