""" "Why" questions: does the evidence state a reason for the event asked about?

A sentence gives a reason when it holds causal language (because, due to, citing, attributed ... to, said
it was ...) AND is about the event: it, with the sentence before it, covers most of the question's words,
and for weak markers such as "after" or "following" the event word stands right before the marker
("cancelled after ..."), since "after" is usually just time. Sentences that say a reason was NOT given
("did not give a reason", "declined to comment") are collected separately: they are the honest answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from qa.generators.evidence import Pool, Sentence
from qa.generators.questions import term, wordset

if TYPE_CHECKING:
    from spacy.tokens import Token

_STRONG = re.compile(
    r"\b(?:because|due to|owing to|as a result|result(?:ed|s)? (?:of|from)|the reason|reasons? (?:for|was|is|were)"
    r"|cit(?:ed|ing)|attribut(?:ed|ing|es)\b[^.]{0,80}\bto|blam(?:ed|ing|es)\b[^.]{0,80}\bon|caused by|prompted by"
    r"|in response to|in protest|so that|in order to|thanks to|driven by|stem(?:s|med) from|on the grounds"
    r"|led to|explained that|the cause)\b",
    re.IGNORECASE,
)
_WEAK = re.compile(r"\b(?:after|following|amid|over|since|as)\b", re.IGNORECASE)
# "X said the offer was not enough": a stated judgement is the reason people give in news copy.
_SAID_IT_WAS = re.compile(
    r"\b(?:said|says|argued|complained|warned)\b[^.]{0,60}?\b(?:was|were|is|are|would be|had been)\b"
    r"[^.]{0,40}?\b(?:not enough|too|insufficient|unacceptable|unfair|inadequate|necessary|needed|unsafe|"
    r"a (?:pay cut|mistake|risk))",
    re.IGNORECASE,
)
_NO_REASON = re.compile(
    r"\b(?:did not|didn't|does not|doesn't|would not|wouldn't|declined to|refused to|gave no|giving no|without"
    r"(?: giving)?(?: an?)?|no)\s+(?:give |say |provide |offer |explain |comment|state |disclose )?"
    r"(?:an? |any )?(?:reason|explanation|why|comment)"
    r"|\bunclear why\b|\bnot (?:been )?explained\b|\bno reason\b|\bdeclined to (?:comment|explain|elaborate)\b",
    re.IGNORECASE,
)


@dataclass
class Reasons:
    causal: list[Sentence] = field(default_factory=list)  # sentences that state a reason for the event
    denials: list[Sentence] = field(default_factory=list)  # sentences saying no reason was given
    events: list[Sentence] = field(default_factory=list)  # sentences about the event itself


def _linked(pool: Pool, s: Sentence, threshold: float) -> bool:
    return s.coverage >= threshold


def _event_words(pool: Pool) -> set[str]:
    """Question words that are not names: the event's verb and nouns ("meeting", "cancelled")."""
    q = pool.question
    return {t for t in q.focus_terms if t not in q.proper_terms and t in pool.weights}


def find_reasons(pool: Pool, link: float = 0.5) -> Reasons:
    out = Reasons()
    event = _event_words(pool)
    for s in pool.sentences:
        text = s.text
        if not _linked(pool, s, link):
            continue
        if not event or s.terms & event or pool.coverage(s.terms) >= link:
            out.events.append(s)
        if _NO_REASON.search(text):
            out.denials.append(s)
            continue
        stated = _STRONG.search(text) or _SAID_IT_WAS.search(text) or _weak_cause(s, event)
        if stated or (s in out.events and _parsed_cause(s, event, set(pool.question.terms))):
            out.causal.append(s)
    return out


# Verbs whose to-infinitive says what (their complement), not why: "voted to close the pool", "plans to sell".
_COMPLEMENT_VERBS = wordset(
    "vote decide agree plan want try refuse promise hope fail seek aim threaten ask vow pledge choose offer expect "
    "intend need begin start continue move prepare attempt manage struggle urge order tell allow force fight "
    "campaign wish mean propose arrange claim appear seem set go have use help"
)
# Participles that give a reason in news copy: "..., blaming higher costs", "..., citing a shortage".
_REASON_GIVING = wordset("blame cite attribute point")
_CAUSAL_MARKS = wordset("because so")  # "because it rained", "so that the school could grow"


def _parsed_cause(s: Sentence, event: set[str], question_terms: set[str]) -> bool:
    """The event's verb (found through the question's words) has an adverbial clause of cause or purpose
    (spaCy's parse): "because ...", "so that ...", "..., blaming/citing ...", or a purpose infinitive ("is laying
    a pipeline to keep up with demand") that is not part of the asked event itself ("voted to close")."""
    from qa.nlp import parse

    doc = parse(s.text)
    verbs = set()
    for tok in doc:
        if term(tok.text) in event:
            v = tok
            # (spaCy makes a new Token on each access: a root is its own head by index, never by identity, so an
            # identity test here never ended on a sentence whose root is no verb)
            while v.pos_ not in ("VERB", "AUX") and v.head.i != v.i:
                v = v.head
            if v.pos_ in ("VERB", "AUX"):
                verbs.add(v)
    for v in verbs:
        for c in v.children:
            if c.dep_ != "advcl":
                continue
            if {k.lower_ for k in c.children if k.dep_ == "mark"} & _CAUSAL_MARKS:
                return True
            if c.tag_ == "VBG" and c.lemma_ in _REASON_GIVING:
                return True
            purpose = any(k.dep_ == "aux" and k.lower_ == "to" for k in c.children)
            if purpose and v.lemma_ not in _COMPLEMENT_VERBS and term(c.text) not in question_terms:
                return True
    return False


def _weak_cause(s: Sentence, event: set[str]) -> bool:
    """ "cancelled after ...": an event word at most four words before a weak marker."""
    for m in _WEAK.finditer(s.text):
        at = s.start + m.start()
        before = [t for a, _, t in s.tokens if a < at][-4:]
        if event & set(before):
            return True
    return False


_AUXILIARIES = "was|were|is|are|has|have|had|will|would|can|could|should|must|may|might"
_MODALS = wordset("will would can could should must may might")
# The question phrase: a wh-word with what it asks about ("how many nuclear plants", "which company", "how old").
_WH_PHRASE = (
    r"why|who|whom|when|where|how(?:\s+(?:much|old|long|far|big|large|often|soon|tall|high|deep))?"
    r"|(?:how\s+many|what|which|whose)(?:\s+[\w'’\-]+){0,4}?"
)


def restate(question: str) -> str:
    """The question as an indirect one, for "The articles don't say ..." and "no reason is given for ...": "Why was
    the meeting cancelled?" -> "why the meeting was cancelled", "How old is the bridge?" -> "how old the bridge is",
    "What did the board decide?" -> "what the board decided". The auxiliary goes before the clause's first verb after
    the subject (spaCy's tagger), or, for "did"/"does", into that verb's tense. A question without inversion ("Who
    announced it?") is only lower-cased; one that does not open with a question phrase gives "why" (what the "why"
    preface needs)."""
    q = question.strip().rstrip("?").strip()
    m = re.match(rf"(?i)({_WH_PHRASE})\s+({_AUXILIARIES})\s+(.+)$", q)
    if m:
        wh, aux, at = m.group(1), m.group(2), m.start(3)
        verb = _first_verb_after_subject(q, at)
        if verb is not None:
            return " ".join(p for p in (_lower_first(wh), q[at : verb.idx].strip(), aux, q[verb.idx :]) if p)
        if (end := _subject_phrase_end(q, at)) is not None:
            # "why the price of bread is so high", "who Ada Lune is"
            return f"{_lower_first(wh)} {q[at:end]} {aux} {q[end:].lstrip()}".rstrip()
        rest = m.group(3)
        if aux.lower() in _MODALS and " " in rest:
            # A modal needs a verb after it, which a short question often ends with even when the tagger misses it
            # ("when the ferry service resume[NN]"): "when the ferry service will resume".
            head, last = rest.rsplit(" ", 1)
            return f"{_lower_first(wh)} {head} {aux} {last}"
        return f"{_lower_first(wh)} {rest} {aux}"
    m = re.match(rf"(?i)({_WH_PHRASE})\s+(did|does|do)\s+(.+)$", q)
    if m:
        verb = _supported_verb(q)
        if verb is None or verb.idx < m.start(3):
            return f"{_lower_first(m.group(1))} {m.group(3)}"
        form = {"did": past, "does": third_person}.get(m.group(2).lower(), str)(verb.text)
        return f"{_lower_first(m.group(1))} {q[m.start(3) : verb.idx]}{form}{q[verb.idx + len(verb.text) :]}"
    if re.match(rf"(?i)(?:{_WH_PHRASE})\b", q):
        return _lower_first(q)
    return "why"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _subject_end(question: str, start: int) -> int | None:
    """Where the subject that starts at ``start`` ends: its first noun chunk ("the price" of "the price of bread")."""
    from qa.nlp import parse

    subject = next((c for c in parse(question).noun_chunks if c.start_char >= start), None)
    return subject.end_char if subject is not None and subject.start_char == start else None


def _subject_phrase_end(question: str, start: int) -> int | None:
    """Where the subject with its modifiers ends ("the price of bread"), by the parse: the subtree of the subject."""
    from qa.nlp import parse

    subject = next((t for t in parse(question) if t.idx >= start and t.dep_ in ("nsubj", "nsubjpass")), None)
    if subject is None or subject.left_edge.idx != start:
        return None
    right = subject.right_edge
    return right.idx + len(right.text)


def _first_verb_after_subject(question: str, start: int) -> Token | None:
    from qa.nlp import parse

    after = _subject_end(question, start) or start
    return next((t for t in parse(question) if t.idx >= after and t.tag_.startswith("VB")), None)


_FUNCTION_POS = frozenset(["ADP", "PART", "DET", "PRON", "CCONJ", "SCONJ", "AUX", "NUM", "PUNCT"])


def _supported_verb(question: str) -> Token | None:
    """The verb "did"/"does" supports ("why did the board vote ...": "vote"), by the parse's aux attachment."""
    from qa.nlp import parse

    doc = parse(question)
    aux = next((t for t in doc if t.lower_ in ("did", "does", "do") and t.dep_ == "aux"), None)
    if aux is None or aux.head.i == aux.i:
        return None
    head = aux.head
    after = doc[head.i + 1] if head.i + 1 < len(doc) else None
    if head.tag_ != "VB" and any(c.dep_ == "det" for c in head.children) and after is not None and after.is_alpha:
        # A head with its own determiner is the subject's noun, taken for the verb when the tagger missed the
        # verb after it ("how long did the canceled meeting last": "meeting" <- "did"); the verb follows it.
        return after if after.pos_ not in _FUNCTION_POS else head
    return head


@lru_cache(maxsize=1)
def irregular_forms() -> dict[str, list[str]]:
    """Verb lemma -> its irregular forms ("go" -> "gone", "went"), from the lemmatizer's exception table."""
    from qa.nlp import nlp

    table = nlp().get_pipe("lemmatizer").lookups.get_table("lemma_exc")["verb"]  # type: ignore[attr-defined]
    out: dict[str, list[str]] = {}
    for form, lemmas in table.items():
        for lemma in lemmas:
            out.setdefault(lemma, []).append(form)
    return out


# English verbs whose simple past is the base form and which the lemmatizer's exception table does not list (a closed
# class: "it cost", "they spread"). "bid" and "fit" also have regular pasts, "read" a written-alike one.
_PAST_IS_BASE = wordset("bet bid broadcast burst cast cost forecast fit hurt quit read spread thrust wet")


def past(verb: str) -> str:
    """The simple past of a base-form verb: an irregular form that is not a participle ("went", not "gone"; "began",
    not "begun"), the base itself where the only irregular form is "-tting" ("cut", "put"), else regular "-ed"."""
    low = verb.lower()
    if low in _PAST_IS_BASE:
        return verb
    irregular = irregular_forms().get(low, [])
    finite = sorted(f for f in irregular if not f.endswith(("ing", "s", "en", "ne", "wn", "ain")))
    if finite:
        return finite[0]
    if irregular and all(f.endswith("ing") for f in irregular):
        return verb
    if low.endswith("e"):
        return verb + "d"
    if re.search(r"[^aeiou]y$", low):
        return verb[:-1] + "ied"
    return verb + "ed"


def third_person(verb: str) -> str:
    """ "close" -> "closes", "carry" -> "carries", "push" -> "pushes", "have" -> "has"."""
    low = verb.lower()
    irregular = [f for f in irregular_forms().get(low, []) if f.endswith("s") and not f.endswith("ss")]
    if irregular:
        return irregular[0]
    if re.search(r"(?:s|sh|ch|x|z|o)$", low):
        return verb + "es"
    if re.search(r"[^aeiou]y$", low):
        return verb[:-1] + "ies"
    return verb + "s"
