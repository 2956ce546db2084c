"""Relation fit: does a candidate fill the role the question asks about, by the dependency parse?

"Who was Ada Lune supposed to meet?" asks for the object of "meet"; "Which company agreed to buy the depot?" for the
subject of "agree"/"buy". In a passage that has that verb, the answer is its argument in that role ("... to meet with
Piet Hallam", "Harlan Motors agreed to buy ..."), and a name elsewhere in the sentence ("... by Mr. Hallam") fills
another role. The question and the passage are parsed by spaCy (:mod:`qa.nlp`); a passage without the verb says
nothing either way. The argument itself, when it names no one ("The chief engineer described it ..."), is a
description of who did it: a candidate of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Literal

from qa.generators.questions import term, wordset

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

Role = Literal["subject", "object"]
# Verbs that report what someone said (a closed class of news verbs).
REPORTING = wordset("say tell announce report add state confirm note insist warn write claim reveal disclose describe")
_WH = ("who", "whom", "which", "what")
_CHAIN = ("xcomp", "ccomp")  # "was X supposed to meet", "agreed to buy": the verb the question is about is deeper
_OBJECT_PREPS = ("with", "to")  # "meet with X", "talk to X"


@dataclass(frozen=True)
class Relation:
    predicates: frozenset[str]  # verb lemmas ("meet"; "agree" and "buy")
    role: Role  # what the answer is to them, in the active voice
    subject: frozenset[str] = frozenset()  # for an object: matching keys of who does it ("Ada Lune" meets whom)
    theme: str | None = None  # for a subject: the key of what is done to ("meeting" of "who cancelled the meeting")

    @cached_property
    def stems(self) -> frozenset[str]:
        """Matching keys of the verbs in every form ("meet", "meets", "met", "meeting"), to find passages to parse
        (computed once: it is asked for every passage and every noun of a parsed one)."""
        from qa.generators.causal import irregular_forms

        forms = set(self.predicates) | {f for p in self.predicates for f in irregular_forms().get(p, [])}
        return frozenset(term(f) for f in forms)


@lru_cache(maxsize=1024)
def question_relation(question: str) -> Relation | None:
    """The verb and role the question's wh-phrase stands for, or ``None`` (no verb, or not a wh-question)."""
    from qa.nlp import parse

    doc = parse(question)
    wh = next((t for t in doc if t.lower_ in _WH), None)
    if wh is None:
        return None
    phrase = wh.head if wh.dep_ == "det" and wh.head.pos_ in ("NOUN", "PROPN") else wh  # "which team"
    head = phrase.head
    if head.pos_ == "AUX" and head.dep_ in ("aux", "auxpass"):
        head = head.head  # "Who was[auxpass] X supposed to meet": the verb the auxiliary belongs to
    # Another subject of the wh-phrase's own verb chain (not of a clause below it: "that the meeting was cancelled")
    # makes the wh-phrase an object.
    # (spaCy makes a new Token object on each access: tokens are compared by index.)
    chain = _chain(head, _CHAIN if head.pos_ == "AUX" else ("xcomp",))
    others = [t for v in chain for t in v.children if t.dep_ in ("nsubj", "nsubjpass") and t.i != phrase.i]
    role: Role = "object"
    if head.pos_ == "NOUN" and phrase.dep_ == "dobj" and any(c.dep_ == "aux" for c in head.children):
        # "Whom did the council hire?" tagged as a noun phrase "council hire": an auxiliary makes it a verb, and the
        # noun before it its subject (or the subject it was given: "What will the water board build?")
        doers = [c for c in head.children if c.dep_ in ("compound", "nsubj")]
        subject = frozenset(term(t.text) for c in doers for t in c.subtree if _naming(t))
        return Relation(frozenset([head.lemma_.lower()]), "object", subject)
    if not others and phrase.dep_ == "nsubj" and head.pos_ in ("VERB", "AUX"):
        verbs = _chain(head, ("xcomp",))  # "which company agreed to buy": the subject of both
        role = "subject"
    elif not others and phrase.dep_ == "nsubjpass":
        verbs = [head]  # "who was hired": the object of "hire"
    elif others and head.pos_ == "VERB" and phrase.dep_ in ("dobj", "dative", "dep"):
        verbs = [head]  # "whom did the council hire"
    elif others:
        # "Who was Ada Lune supposed to meet?": the object of the deepest verb
        verbs = chain[-1:]
    else:
        return None
    lemmas = frozenset(v.lemma_.lower() for v in verbs if v.pos_ == "VERB" and v.lemma_.lower() != "be")
    subject = frozenset(term(t.text) for o in others[:1] for t in o.subtree if _naming(t))
    if not lemmas:
        return None
    if role == "object":
        return Relation(lemmas, role, subject)
    themes = [c for v in verbs for c in v.children if c.dep_ == "dobj" and c.pos_ == "NOUN"]
    return Relation(lemmas, role, theme=term(themes[0].text) if themes else None)


def _chain(verb: Token, deps: tuple[str, ...]) -> list[Token]:
    """The verb and the verbs it governs through ``deps`` ("supposed" -> "meet"), outermost first."""
    out = [verb]
    while nxt := next((c for c in out[-1].children if c.dep_ in deps and c.pos_ in ("VERB", "AUX")), None):
        out.append(nxt)
    return out


@dataclass(frozen=True)
class Argument:
    """What fills the role, as character offsets into the parsed text: the whole phrase and its head word."""

    start: int
    end: int
    head_start: int
    head_end: int
    common: bool  # headed by a common noun ("the chief engineer"), not a name or a pronoun
    core_end: int  # the end of the phrase's core: up to its head, with an "of" phrase ("a list of its suppliers")


def arguments(doc: Doc, relation: Relation) -> list[Argument] | None:
    """What fills the role for each occurrence of the relation's verbs; ``None`` when none of the verbs occurs done by
    and to what the question says (the passage says nothing either way)."""
    verbs = [t for t in doc if t.pos_ == "VERB" and t.lemma_.lower() in relation.predicates]
    # The verb as a noun of the same stem: "the meeting with Ada Lune" says whom she meets.
    nouns = [t for t in doc if t.pos_ == "NOUN" and relation.role == "object" and term(t.text) in relation.stems]
    if not verbs and not nouns:
        return None
    out = []
    told = False
    for verb in verbs + nouns:
        if verb.pos_ == "VERB" and not _same_subject(verb, relation):
            continue  # "Ada Lune was to meet X" answers nothing about whom Piet Hallam meets
        if verb.pos_ == "VERB" and not _same_theme(verb, relation):
            continue  # "Y cancelled a trip" answers nothing about who cancelled the meeting
        told = True
        fillers = _fillers(verb, relation.role) if verb.pos_ == "VERB" else _noun_fillers(verb)
        for arg in fillers:
            left, right = arg.left_edge, arg.right_edge
            # a lower-case word tagged as a name ("the Orrel parish council[PROPN]") is a common noun all the same
            common = arg.pos_ == "NOUN" or (arg.pos_ == "PROPN" and arg.text.islower())
            core = _core_end(arg)
            out.append(
                Argument(
                    left.idx,
                    right.idx + len(right.text),
                    arg.idx,
                    arg.idx + len(arg.text),
                    common,
                    core.idx + len(core.text),
                )
            )
    return out if told else None


def _core_end(head: Token) -> Token:
    """The last word of a noun phrase's core: its head, or the end of an "of" phrase right after it ("a list of its
    suppliers"); what follows (a relative clause, other prepositions) qualifies it: "a trip [the minister was to
    make]"."""
    nxt = head.nbor(1) if head.i + 1 < len(head.doc) else None
    if nxt is not None and nxt.dep_ == "prep" and nxt.lower_ == "of" and nxt.head.i == head.i:
        obj = next((c for c in nxt.children if c.dep_ == "pobj"), None)
        return _core_end(obj) if obj is not None else head
    return head


_HONORIFICS = frozenset(["mr", "ms", "mrs", "dr", "prof", "sir"])


def _naming(token: Token) -> bool:
    """A word that names who does something ("council", "Lune"), not an honorific ("Mr.") or a function word."""
    return token.pos_ in ("PROPN", "NOUN") and token.lower_.rstrip(".") not in _HONORIFICS


def _named_doers(verb: Token) -> list[Token]:
    """The naming words of whoever does the verb ("Ada", "Lune" of "Ms. Ada Lune said"); none for a pronoun."""
    return [t for d in _fillers(verb, "subject") for t in d.subtree if _naming(t)]


def _same_subject(verb: Token, relation: Relation) -> bool:
    """Whether the verb's doer can be the question's (a pronoun or an unstated doer can; another name can't)."""
    if not relation.subject:
        return True
    named = _named_doers(verb)
    return not named or any(term(t.text) in relation.subject for t in named)


def _same_theme(verb: Token, relation: Relation) -> bool:
    """Whether what the verb is done to can be the question's (its object, or its subject in the passive; a pronoun
    or none can, a common noun only the same one: "cancelled a trip" is not "cancelled the meeting")."""
    if relation.theme is None:
        return True
    passive = any(c.dep_ in ("nsubjpass", "auxpass") for c in verb.children)
    done_to = [c for c in verb.children if c.dep_ == ("nsubjpass" if passive else "dobj")]
    return not done_to or any(c.pos_ != "NOUN" or term(c.text) == relation.theme for c in done_to)


def _noun_fillers(noun: Token) -> list[Token]:
    """ "a meeting with X", "a meeting between Y and X": the objects of "with", and each party of "between"."""
    out = []
    for prep in noun.children:
        if prep.dep_ == "prep" and prep.lower_ in ("with", "between"):
            for obj in prep.children:
                if obj.dep_ == "pobj":
                    out.append(obj)
                    out.extend(c for c in obj.children if c.dep_ == "conj")
                    out.extend(c for c in obj.children if c.dep_ == "appos" and c.pos_ == "PROPN")
    return out


def _fillers(verb: Token, role: Role) -> list[Token]:
    passive = any(c.dep_ in ("nsubjpass", "auxpass") for c in verb.children)
    if role == "subject":
        if passive:
            return [g for a in verb.children if a.dep_ == "agent" for g in a.children if g.dep_ == "pobj"]
        found = [c for c in verb.children if c.dep_ == "nsubj"]
        up = verb
        while not found and up.dep_ in ("xcomp", "conj") and up.head.i != up.i:
            up = up.head  # "X agreed to buy", "X was supposed to meet", "X described it and announced ..."
            found = [c for c in up.children if c.dep_ in ("nsubj", "nsubjpass")]
        return found
    if passive:
        return [c for c in verb.children if c.dep_ == "nsubjpass"]
    found = [c for c in verb.children if c.dep_ in ("dobj", "dative")]
    return found + [
        g
        for p in verb.children
        if p.dep_ == "prep" and p.lower_ in _OBJECT_PREPS
        for g in p.children
        if g.dep_ == "pobj"
    ]


def reported_by(relation: Relation) -> bool:
    """Whether the question asks what a named subject said ("What did Ada Lune say about the dam?")."""
    return relation.role == "object" and bool(relation.subject) and bool(relation.predicates & REPORTING)


def says(doc: Doc, relation: Relation) -> bool:
    """Whether the passage has the question's subject, named, saying something by any reporting verb ("Ada Lune
    said", "..., said Ada Lune", "Ms. Lune warned that ..."). A pronoun does not count: "he said" next to a mention of
    her is more often someone else speaking, and news names a speaker at least once."""
    return any(
        verb.pos_ == "VERB"
        and verb.lemma_.lower() in REPORTING
        and any(term(t.text) in relation.subject for t in _named_doers(verb))
        for verb in doc
    )
