"""Readings of the best passages by spaCy's parse, for the short-answer scorer (:mod:`qa.generators.spans`).

- relation: who or what fills the role the question asks about of its verb (:mod:`qa.generators.relation`);
- entities: the recogniser's reading of a person question's name candidates;
- report dates: a date on a reporting verb is when something was said, not when the reported event happens;
- counted nouns: a number counts the noun it modifies, which may not be what the question counts.

- dates of other things: a date that dates a noun the question does not name does not answer "when";
- moved dates: "when" of an event the passages tell was postponed is not answered by the date the move left behind;
- namesakes: a passage that names only another person of the same name ("Kim Yong-chol") is not about the one
  asked about ("Kim Jong-un");
- kind modifiers: in "Rodong Sinmun, an official Workers' Party newspaper" the newspaper is Rodong Sinmun, not the
  party that modifies the noun;
- other instances: a question about a later instance of an event ("the second summit", "the rescheduled
  meeting") is not answered by a passage that marks no instance as a later one (it tells of the first).

Passages are parsed in one batch (:func:`qa.nlp.parse_many`), only for the questions that read them; :func:`read`
applies the relation reading and then the others (:data:`READINGS`, a list: a new reading is one more function).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING

from qa import wordnet
from qa.generators import relation
from qa.generators.candidate import Candidate
from qa.generators.evidence import Sentence
from qa.generators.questions import Question, term, wordset
from qa.text import words

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

RELATION_SENTENCES = 6  # the best passages read for the question's relation (parsed only if they have its verb)
ENTITY_SENTENCES = 4  # the best passages whose names a person question has the entity recogniser read
_MAX_DESCRIPTION_TOKENS = 8
# A description names someone definite: "the chief inspector", "its new owner" (not "which company", "many people").
_DETERMINED = re.compile(r"(?:the|a|an|its|his|her|their|our)\s", re.IGNORECASE)


def parsed_passages(
    question: Question, sentences: list[Sentence], found: dict[tuple[str, int], list[Candidate]]
) -> dict[tuple[str, int], Doc]:
    """The passages the relation and entity readings need, parsed in one batch: of the best ``RELATION_SENTENCES``,
    those with a form of the question's verb (relation questions) and, of the best ``ENTITY_SENTENCES``, those holding
    a name candidate (person questions), a date (date questions) or a number (count questions). Other questions
    parse nothing."""
    if question.atype not in ("person", "entity", "date", "count"):
        return {}
    rel = relation.question_relation(question.text) if question.atype in ("person", "entity") else None
    count = asked_count(question)
    wanted = []
    for rank, s in enumerate(sentences[:RELATION_SENTENCES]):
        verb = rel is not None and bool(rel.stems & s.terms)
        named = question.atype == "person" and rank < ENTITY_SENTENCES and any(c.kind == "name" for c in found[s.key])
        dated = question.atype == "date" and rank < ENTITY_SENTENCES and any(c.kind == "date" for c in found[s.key])
        counted = count is not None and rank < ENTITY_SENTENCES and any(c.kind == "number" for c in found[s.key])
        if verb or named or dated or counted:
            wanted.append(s)
    if not wanted:
        return {}
    from qa.nlp import parse_many

    return {s.key: doc for s, doc in zip(wanted, parse_many([s.text for s in wanted]), strict=True)}


def mark_relation(
    question: Question,
    sentences: list[Sentence],
    found: dict[tuple[str, int], list[Candidate]],
    docs: dict[tuple[str, int], Doc],
) -> bool:
    """For a question about who or what fills a verb's role (:mod:`qa.generators.relation`), mark each candidate of
    the best passages: ``fills_relation`` when it stands in that role of the verb, ``other_role`` when the passage
    has the verb but the candidate is elsewhere ("described it ... by Mr. Hallam"). A role filled by a short common
    noun phrase that names no one ("The chief engineer described it") becomes a candidate itself. True when some
    passage tells of the question's action (its verb, done by and to what the question says)."""
    rel = relation.question_relation(question.text) if question.atype in ("person", "entity") else None
    if rel is None:
        return False
    told = False
    for s in sentences[:RELATION_SENTENCES]:
        doc = docs.get(s.key)
        args = relation.arguments(doc, rel) if doc is not None else None
        if args is None:
            continue  # the passage does not have the verb: it says nothing either way
        told = True
        base = s.start
        for c in found[s.key]:
            # the filler is the candidate holding the argument's head word ("Harbour Board" of "the Harbour
            # Board"); a name modifying a common noun ("Tarvian" in "the chief Tarvian envoy") is not
            head = any(c.start <= base + a.head_start and base + a.head_end <= c.end for a in args)
            named = any(_names_the_head(s.text, a.head_end, c.start - base, c.kind) for a in args)
            c.features["fills_relation" if head or named else "other_role"] = 1.0
        for a in args:
            end = a.end if len(s.text[a.start : a.end].split()) <= _MAX_DESCRIPTION_TOKENS else a.core_end
            text = s.text[a.start : end]
            if a.common and len(text.split()) <= _MAX_DESCRIPTION_TOKENS and _DETERMINED.match(text):
                c = Candidate(text, base + a.start, base + end, "description", s)
                c.features["fills_relation"] = 1.0
                found[s.key].append(c)
    return told


def _names_the_head(text: str, head_end: int, start: int, kind: str) -> bool:
    """Does a name or a quoted title standing right after the argument's head noun name it: "the adaptation
    “Uncharted”", "the film Harbour Lights"?"""
    return (
        kind in ("name", "title") and start >= head_end and bool(_BETWEEN_HEAD_AND_NAME.fullmatch(text[head_end:start]))
    )


_BETWEEN_HEAD_AND_NAME = re.compile(r"\s*[“\"‘']?\s*")

# The named-entity reading of a candidate, as the ``entity`` feature: a person, a body (an organisation, a country,
# a city: they can act), or another named thing (a building, a work, an event, a product, a nationality).
ENTITY_PERSON, ENTITY_BODY, ENTITY_OTHER = 1.0, 2.0, 3.0
_ENTITY_KINDS = {
    "PERSON": ENTITY_PERSON,
    **dict.fromkeys(("ORG", "GPE"), ENTITY_BODY),
    **dict.fromkeys(("FAC", "LOC", "WORK_OF_ART", "EVENT", "PRODUCT", "NORP", "LAW", "LANGUAGE"), ENTITY_OTHER),
}


def mark_entities(
    question: Question,
    sentences: list[Sentence],
    found: dict[tuple[str, int], list[Candidate]],
    docs: dict[tuple[str, int], Doc],
) -> None:
    """For a question asking for a person, the parser's entity reading of each name candidate in the best passages
    (spaCy's recogniser tells the "Harbour Palace" from a singer, and knows a one-word name is a person); the shape
    rules of ``_type_fit`` decide where no entity covers the candidate."""
    if question.atype != "person":
        return
    for s in sentences[:ENTITY_SENTENCES]:
        doc = docs.get(s.key)
        if doc is None:
            continue
        ents = [(s.start + e.start_char, s.start + e.end_char, e.label_) for e in doc.ents]
        for c in found[s.key]:
            # the entity holding the candidate's last word ("Mr. Ada Lune": PERSON "Ada Lune")
            label = next((lab for a, b, lab in ents if a < c.end <= b), None) if c.kind == "name" else None
            if label in _ENTITY_KINDS:
                c.features["entity"] = _ENTITY_KINDS[label]


def mark_report_dates(
    question: Question,
    sentences: list[Sentence],
    found: dict[tuple[str, int], list[Candidate]],
    docs: dict[tuple[str, int], Doc],
) -> None:
    """Drop a date that the parse attaches to a reporting verb with a reported clause ("said on Tuesday that the
    bridge would reopen"), unless the question asks about a saying itself."""
    if question.atype != "date" or set(question.terms) & {term(v) for v in relation.REPORTING}:
        return  # a question about the saying itself ("When did the council announce ...?")
    for s, doc, c in _parsed_candidates("date", sentences, found, docs):
        token = next((t for t in doc if s.start + t.idx >= c.start and s.start + t.idx < c.end), None)
        verb = token
        while verb is not None and verb.pos_ != "VERB" and verb.head.i != verb.i:
            verb = verb.head
        if (
            verb is not None
            and verb.lemma_.lower() in relation.REPORTING
            and any(k.dep_ in ("ccomp", "xcomp") for k in verb.children)
        ):
            c.dropped = "date_of_the_report"


def asked_count(question: Question) -> str | None:
    """The noun a "how many" question counts, from its parse ("how many people live ..." counts "people", though
    the word rule of :func:`qa.generators.questions.analyse` cannot tell "live" is no noun); None for other
    questions, or a noun of no broad kind (:func:`qa.wordnet.count_kinds`)."""
    if question.atype != "count":
        return None
    from qa.nlp import parse

    many = next((t for t in parse(question.text) if t.lower_ == "many" and t.head.pos_ in ("NOUN", "PROPN")), None)
    noun = many.head.text.lower() if many is not None else None
    return noun if noun and wordnet.count_kinds(noun) else None


def mark_counted_nouns(
    question: Question,
    sentences: list[Sentence],
    found: dict[tuple[str, int], list[Candidate]],
    docs: dict[tuple[str, int], Doc],
) -> None:
    """Drop a number that the parse has counting a noun of another broad kind than the question counts
    (:func:`qa.wordnet.counts_differ`): "how many people ..." is not answered by "300 homes" or "12 years"."""
    asked = asked_count(question)
    if asked is None:
        return
    for s, doc, c in _parsed_candidates("number", sentences, found, docs):
        noun = counted_noun(doc, c.start - s.start, c.end - s.start)
        if noun is not None and wordnet.counts_differ(noun, asked):
            c.dropped = "counts_something_else"


def _parsed_candidates(
    kind: str,
    sentences: list[Sentence],
    found: dict[tuple[str, int], list[Candidate]],
    docs: dict[tuple[str, int], Doc],
) -> Iterator[tuple[Sentence, Doc, Candidate]]:
    """The candidates of ``kind`` not yet dropped in the best ``ENTITY_SENTENCES`` passages that were parsed."""
    for s in sentences[:ENTITY_SENTENCES]:
        doc = docs.get(s.key)
        if doc is not None:
            yield from ((s, doc, c) for c in found[s.key] if c.kind == kind and not c.dropped)


def counted_noun(doc: Doc, start: int, end: int) -> str | None:
    """The noun the number at ``doc.text[start:end]`` counts: the noun it modifies ("300 new homes", "5 million
    people": "5" is part of "million"), or the noun of its "of" ("12 of the workers"); None when it counts nothing
    said ("the toll rose to 12")."""
    tokens = [t for t in doc if start <= t.idx < end]
    if not tokens:
        return None
    t = tokens[-1]
    while t.dep_ in ("compound", "quantmod") and t.head.pos_ == "NUM" and t.head.i != t.i:
        t = t.head
    if t.dep_ == "nummod" and t.head.pos_ in ("NOUN", "PROPN"):
        return t.head.text.lower()
    for prep in t.children:
        if prep.dep_ == "prep" and prep.lower_ == "of":
            objects = [o for o in prep.children if o.dep_ == "pobj" and o.pos_ == "NOUN"]
            if objects:
                return objects[0].text.lower()
    return None


# Words of a time phrase itself: climbing from a date through them ("on Monday night") has not left the date yet.
_TIME_WORDS = frozenset(["morning", "afternoon", "evening", "night", "day", "week", "month", "year", "weekend", "time"])


def mark_dates_of_other_things(
    question: Question,
    sentences: list[Sentence],
    found: dict[tuple[str, int], list[Candidate]],
    docs: dict[tuple[str, int], Doc],
) -> None:
    """Drop a date the parse has dating a thing the question does not name: "After the minister's trip in October,
    the envoy was to meet ..." does not say when the envoy met anyone, and "a meeting set for Thursday" says
    nothing of when a summit takes place. A date on a clause ("Last Friday, the ministry warned ...") is kept."""
    if question.atype != "date":
        return
    asked = set(question.terms)
    for s, doc, c in _parsed_candidates("date", sentences, found, docs):
        noun = dated_noun(doc, c.start - s.start, c.end - s.start)
        if noun is not None and term(noun) not in asked:
            c.dropped = "date_of_another_thing"


def dated_noun(doc: Doc, start: int, end: int) -> str | None:
    """The noun the date at ``doc.text[start:end]`` belongs to when it dates a thing, not a clause: "the trip in
    October", "a meeting set for Thursday" (through the participle describing the noun), "the Thursday meeting";
    None when it dates a verb's clause or stands alone."""
    inside = [t for t in doc if start <= t.idx < end]
    if not inside:
        return None
    t = next((x for x in inside if not start <= x.head.idx < end), inside[-1])
    while t.head.i != t.i and (t.dep_ in ("pobj", "prep", "compound", "npadvmod", "nmod") or t.lower_ in _TIME_WORDS):
        t = t.head
        if t.pos_ in ("NOUN", "PROPN") and t.lower_ not in _TIME_WORDS:
            return t.text.lower()
        if t.pos_ in ("VERB", "AUX"):
            break
    if t.pos_ == "VERB" and t.dep_ in ("acl", "relcl") and t.head.pos_ in ("NOUN", "PROPN"):
        return t.head.text.lower()  # "a meeting [set for Thursday]"
    return None


# Words that mark a later instance of an event, by what they say of it: its place in a series, that it was moved,
# or only that it comes later. "new" marks no instance in a question ("a new phone" is the only phone asked about).
_ORDINAL = frozenset(map(term, wordset("second third fourth fifth sixth 2nd 3rd 4th 5th")))
_MOVED = frozenset(map(term, wordset("rescheduled postponed delayed moved instead now new")))
_LATER = frozenset(map(term, wordset("next upcoming subsequent follow-up follow again another")))
_LATER_INSTANCE = _ORDINAL | frozenset(map(term, wordset("rescheduled postponed next upcoming subsequent follow-up")))
_LATER_TOLD = _ORDINAL | _MOVED | _LATER


def _of_time(word: Token) -> bool:
    """Is ``word`` part of a time phrase ("next week", "next summer"), not a mark of an event's instance?"""
    return word.ent_type_ in ("DATE", "TIME") or word.head.lower_ in _TIME_WORDS


def _same_instance(asked: str, told: str) -> bool:
    """Can a passage's word ``told`` mark the instance that the question's word ``asked`` asks about? Another ordinal
    is another instance ("their fourth meeting" is not "the second"), and a moved event is told of as moved."""
    if asked in _ORDINAL:
        return told == asked or told in _LATER
    if asked in _MOVED:
        return told in _MOVED
    return True


def later_instance(question: Question) -> tuple[str, str] | None:
    """The event noun the question asks about a later instance of, and the word that marks it (a term): the noun an
    ordinal, "next", "rescheduled" ... modifies, when it is no time word ("summit" of "the second summit"; nothing
    for "next week")."""
    if not _LATER_INSTANCE & {term(w) for w in words(question.text)}:
        return None
    from qa.nlp import parse

    for t in parse(question.text):
        if term(t.text) in _LATER_INSTANCE and t.head.pos_ in ("NOUN", "PROPN") and not _of_time(t):
            return t.head.text, term(t.text)
    return None


def mark_other_instances(
    question: Question,
    sentences: list[Sentence],
    found: dict[tuple[str, int], list[Candidate]],
    docs: dict[tuple[str, int], Doc],
) -> None:
    """For a question about a later instance of an event, drop a candidate outside every clause of its passage that
    tells of a later instance of that event (names it, with a word of ``_LATER_TOLD``): "a meeting set for Thursday"
    or "after meeting in Singapore" tells of the first meeting, "after postponing her concert" of another event, and
    in "Trump said the meeting would be rescheduled" neither Trump nor the day he said it is a fact of the
    rescheduled one."""
    later = later_instance(question) if question.atype not in ("reason", "description", "none") else None
    if later is None:
        return
    event, marker = term(later[0]), later[1]
    asked = set(question.terms) - _LATER_TOLD  # the question's other words ("next" of "next year" is no match)
    told = {s.key: later_clauses(docs.get(s.key), s.text, ({event}, marker), asked) for s in sentences}
    by_place = {(s.article.id, s.index): s for s in sentences}
    whole: set[tuple[str, int]] = set()  # "[Moon is to meet Kim in Seoul.] That would be their fourth meeting."
    for s in sentences:
        before = by_place.get((s.article.id, s.index - 1))
        if before is not None and told[s.key][1]:
            whole.add(before.key)
    for s in sentences:
        if s.key in whole:
            continue
        for c in found.get(s.key, []):
            a, b = c.start - s.start, c.end - s.start
            if not c.dropped and not any(_within(a, b, clause) for clause in told[s.key][0]):
                c.dropped = "about_another_instance"


def _within(start: int, end: int, clause: list[tuple[int, int]]) -> bool:
    """Do the clause's words (character spans) cover every word of ``text[start:end]`` (a clause left out of
    another's middle leaves a gap: "come up again [when Mr. Pompeo meets ...]")?"""
    inside = [(a, b) for a, b in clause if a < end and start < b]
    return bool(inside) and min(a for a, _ in inside) <= start and end <= max(b for _, b in inside) and _no_gap(inside)


def _no_gap(words: list[tuple[int, int]]) -> bool:
    """Each word follows the one before it directly or after one space."""
    return all(nxt[0] - prev[1] <= 1 for prev, nxt in pairwise(words))


def later_clauses(
    doc: Doc | None, text: str, later: tuple[set[str], str], asked: set[str]
) -> tuple[list[list[tuple[int, int]]], bool]:
    """The clauses of ``text`` (the character spans of their words, in order) that tell of the later instance of an
    event the question asks about (``later``: the terms that may name the event, and the question's word for the
    instance): each the
    clause of the verb above a word of ``_LATER_TOLD`` that can mark it ("the [second] summit will be held in ...",
    "the meeting would be [rescheduled]"), when the clause names the event; or, for an
    action done again, when it names another word the question asks with (``asked``: "expected to [again] sit down
    with Mr. Kim early next year" tells of a second summit with Kim). Second: whether such a clause has a pronoun
    for its subject ("That would be their fourth meeting"): then it tells of the sentence before."""
    if not _LATER_TOLD & {term(w) for w in words(text)}:
        return [], False
    doc = _parsed(doc, text)
    events, marker = later
    # what a relative clause tells of a moved event is what it was before: "the hearing, [which had been set for
    # 20 March], has been postponed until 15 April"
    before = {x.i for c in doc if c.dep_ in ("relcl", "acl") for x in c.subtree}
    spans, back = [], False
    for t in doc:
        if term(t.text) not in _LATER_TOLD or not _same_instance(marker, term(t.text)) or _of_time(t):
            continue
        v = t
        while v.pos_ not in ("VERB", "AUX") and v.head.i != v.i:
            v = v.head
        clause = _clause_tokens(v)
        if term(t.text) in _MOVED:
            clause = [x for x in clause if x.i not in before]
        names = events | (asked if term(t.text) in _DONE_AGAIN else set())
        if any(term(x.text) in names and _argument_of(x, v) for x in clause):
            spans.append(sorted((x.idx, x.idx + len(x.text)) for x in clause))
            back = back or any(c.dep_ in ("nsubj", "nsubjpass") and c.lower_ in _POINTING_BACK for c in v.children)
    return spans, back


_POINTING_BACK = frozenset(["that", "this", "it"])


_DONE_AGAIN = frozenset([term("again")])  # on a verb: the action is done again, whatever the event is called


def _parsed(doc: Doc | None, text: str) -> Doc:
    """The passage's parse: the batch's (:func:`parsed_passages`) where the question had it parsed, else its own."""
    if doc is not None:
        return doc
    from qa.nlp import parse

    return parse(text)


def _argument_of(word: Token, verb: Token) -> bool:
    """Is ``word`` the verb itself, or in its clause with no other verb between them ("the meeting would be
    rescheduled"; not "[come up] again when Pompeo meets ...": that meeting is another clause's)?"""
    t = word
    while t.i != verb.i:
        if t.pos_ in ("VERB", "AUX"):
            return False
        if t.head.i == t.i:
            return False
        t = t.head
    return True


def _clause_tokens(verb: Token) -> list[Token]:
    """``verb``'s clause: its subtree without the clauses of other verbs coordinated with it or subordinate to it
    ("would be rescheduled [and insisted ...]", "[because its chair ... was ill]"); a verb it controls stays in
    ("is expected to be held in ...") and so does a participle with no subject of its own ("announced a second
    strike, [lasting 72 hours, starting on 31 March]")."""
    return [verb] + [t for c in verb.children if not _other_clause(c) for t in c.subtree]


def _other_clause(child: Token) -> bool:
    if child.dep_ in ("conj", "cc", "ccomp", "parataxis"):
        return True
    return child.dep_ == "advcl" and any(k.dep_ in ("nsubj", "nsubjpass", "mark") for k in child.children)


def mark_kind_modifiers(
    question: Question,
    sentences: list[Sentence],
    found: dict[tuple[str, int], list[Candidate]],
    docs: dict[tuple[str, int], Doc],
) -> None:
    """For "which newspaper ...?", drop a name inside the asked noun's own phrase where the parse says which name that
    noun describes: in "Rodong Sinmun, an official Workers' Party newspaper in North Korea" (apposition) or "The Orrel
    Courier is a Harlan Media newspaper" (copula) the newspaper is the first name; the party, the owner or the
    country is no newspaper. "The New York Times newspaper reported ..." describes no other name, so its modifier
    may be the answer."""
    head = question.head_word
    if question.atype not in ("entity", "place") or not head:
        return
    for s in sentences[:ENTITY_SENTENCES]:
        live = [c for c in found.get(s.key, []) if not c.dropped and c.kind == "name"]
        if not live or term(head) not in s.terms or not _said_of(head).search(s.text):
            continue  # (the parse only where the noun may be said of a name: most passages never are)
        for noun in _parsed(docs.get(s.key), s.text):
            if noun.lower_ != head or not _describes_a_name(noun):
                continue
            # everything in the noun's own phrase is said of that newspaper: its owner, its country, ...
            x, y = noun.left_edge.idx, noun.right_edge.idx + len(noun.right_edge.text)
            for c in live:
                if x <= c.start - s.start and c.end - s.start <= y:
                    c.dropped = "modifies_the_asked_kind"


@lru_cache(maxsize=256)
def _said_of(noun: str) -> re.Pattern[str]:
    """The shapes in which ``noun`` may be said of a name: after a comma or a copula, with an article."""
    return re.compile(rf"(?:,|\b(?:is|was|are|were))\s+(?:an?|the)\b[^,.;]{{0,80}}?\b{re.escape(noun)}\b", re.I)


def _describes_a_name(noun: Token) -> bool:
    """Is this common noun said of a name: in apposition to it, or its complement after "is"?"""
    if noun.dep_ == "appos":
        return noun.head.pos_ == "PROPN"
    if noun.dep_ == "attr":
        return any(c.dep_ == "nsubj" and c.pos_ == "PROPN" for c in noun.head.children)
    return False


def mark_moved_dates(
    question: Question,
    sentences: list[Sentence],
    found: dict[tuple[str, int], list[Candidate]],
    docs: dict[tuple[str, int], Doc],
) -> None:
    """For "when" of an event the best passages tell was moved ("the hearing, which had been set for 20 March, has been
    postponed until 15 April"), drop the dates outside the clauses that tell of the move: the move superseded them,
    in that passage and in an earlier report ("is scheduled for 20 March"). Not when the question asks for the
    earlier date ("originally"), nor for a later instance (:func:`mark_other_instances` reads those)."""
    if question.atype != "date" or question.asks_earlier or later_instance(question) is not None:
        return
    if _MOVED & set(question.terms):
        return  # "When was the vote postponed?" asks the date of the move itself
    best = sentences[:ENTITY_SENTENCES]
    moved = {s.key: _move_clauses(question, s, docs.get(s.key)) for s in best}
    dates = [(s, c) for s in best for c in found.get(s.key, []) if c.kind == "date" and not c.dropped]
    moves = [(s, c) for s, c in dates if any(_within(c.start - s.start, c.end - s.start, k) for k in moved[s.key])]
    if not moves:
        return
    # "On Monday it postponed the vote until Friday": the new date is the one the move goes to
    new = {id(c) for s, c in moves if _TO_DATE.search(s.text[: c.start - s.start])} or {id(c) for _, c in moves}
    for _, c in dates:
        if id(c) not in new:
            c.dropped = "superseded_by_a_move"


_TO_DATE = re.compile(r"\b(?:until|till|to|for)\s+(?:the\s+)?$", re.IGNORECASE)


def _move_clauses(question: Question, s: Sentence, doc: Doc | None) -> list[list[tuple[int, int]]]:
    """The clauses of ``s`` that tell of a question's noun being moved (postponed, rescheduled, delayed ...)."""
    if not _MOVED & s.terms:
        return []
    return later_clauses(doc, s.text, (set(question.terms) & s.terms, term("postponed")), set())[0]


def mark_namesakes(
    question: Question,
    sentences: list[Sentence],
    found: dict[tuple[str, int], list[Candidate]],
    docs: dict[tuple[str, int], Doc],
) -> None:
    """Drop the candidates of a passage that names only a namesake of a person the question names in full: where every
    "Kim" of the passage belongs to the name of another person ("Kim Yong-chol", by the entity recogniser), it is not
    about Kim Jong-un. A title ("President Kim") or a thing named after someone ("Trump Tower") is no namesake."""
    runs = [r for r in (_name_words(m.group()) for m in _NAME_RUN.finditer(question.text)) if len(r) > 1]
    # (parsed only where a passage has part of a name of the question and not all of it: few do)
    maybe = [s for s in sentences if found.get(s.key) and any(_part_of(r, s.text) for r in runs)]
    people = _full_names(question.text) if maybe else []
    for s in maybe:
        if any(_only_namesakes(name, s.text, docs.get(s.key)) for name in people):
            for c in found[s.key]:
                c.dropped = c.dropped or "names_a_namesake"


def _part_of(name: frozenset[str], text: str) -> bool:
    """Does ``text`` have some words of ``name`` in another name of several words, and not all of ``name``?"""
    said = {term(w) for w in _NAME_WORD.findall(text)}
    if not name & said or name <= said:
        return False
    return any((r & name) and (r - name) for r in map(_name_words, _NAME_RUN.findall(text)))


def _name_words(text: str) -> frozenset[str]:
    return frozenset(term(w) for w in re.split(r"[\s\-]+", text) if w)


def _full_names(question: str) -> list[frozenset[str]]:
    """The words of each person the question names with more than one word ("Kim Jong-un": kim, jong, un)."""
    from qa.nlp import parse

    names = [_name_words(e.text) for e in parse(question).ents if e.label_ == "PERSON"]
    return [n for n in names if len(n) > 1]


def _only_namesakes(name: frozenset[str], text: str, doc: Doc | None) -> bool:
    """Does ``text`` use words of ``name`` only inside the names of other people?"""
    said = [(m.start(), m.end(), term(m.group())) for m in _NAME_WORD.finditer(text)]
    shared = [(a, b) for a, b, w in said if w in name]
    if not shared or name <= {w for _, _, w in said}:
        return False
    others = [
        (e.start_char, e.end_char)
        for e in _parsed(doc, text).ents
        if e.label_ == "PERSON" and _name_words(e.text) - name
    ]
    return all(any(x <= a and b <= y for x, y in others) for a, b in shared)


# Two or more capitalised words in a row ("Kim Jong-un", "Ada Lune"): a name the question may give in full.
_NAME_RUN = re.compile(r"[A-Z][\w'’]*(?:-[\w'’]+)*(?:\s+[A-Z][\w'’]*(?:-[\w'’]+)*)+")
# The words of a name split at hyphens, unlike the project's word tokens (qa.text.words): "Kim Jong Un" and
# "Kim Jong-un" are one name.
_NAME_WORD = re.compile(r"[\w'’]+")


Reading = Callable[
    [Question, list[Sentence], dict[tuple[str, int], list[Candidate]], dict[tuple[str, int], "Doc"]], None
]
# The readings that mark or drop candidates after the relation reading, each for the questions it concerns.
READINGS: tuple[Reading, ...] = (
    mark_entities,
    mark_report_dates,
    mark_counted_nouns,
    mark_dates_of_other_things,
    mark_other_instances,
    mark_moved_dates,
    mark_namesakes,
    mark_kind_modifiers,
)


def read(question: Question, sentences: list[Sentence], found: dict[tuple[str, int], list[Candidate]]) -> bool:
    """Parse the passages the readings need (one batch) and apply them all to the candidates in ``found``; True
    when the passages tell of the question's action (:func:`mark_relation`)."""
    docs = parsed_passages(question, sentences, found)
    told = mark_relation(question, sentences, found, docs)
    for reading in READINGS:
        reading(question, sentences, found, docs)
    return told
