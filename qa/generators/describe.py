"""Descriptions: what answers "Who is Ada Lune?" or "What is the Orrin Trust?" is what the articles call the name.

News describes a name where it first introduces it, in a handful of constructions, which the dependency parse
(spaCy, :mod:`qa.nlp`) and the noun chunks show:

- an appositive after the name: "Ada Lune, the chief engineer of the dam project, said ...";
- the copula: "Ada Lune is the chief engineer of the dam project";
- a noun phrase set before it: "the project's chief engineer, Ada Lune, said ...";
- a title or job written in front of it: "chief engineer Ada Lune", "Stanford economist Lena Varga";
- a relative clause: "Ada Lune, who designed the dam, said ...".

A description is a common noun phrase (its head is a common noun: another name is no description) or, for the last
kind, a clause. The kinds are tried in that order of how plainly they describe; between passages, the better kind
wins, then the passage's rank. The answer is the description as written, cut verbatim from the passage.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from qa.generators.candidate import Candidate
from qa.generators.evidence import Pool, Sentence
from qa.generators.questions import PERSON_NOUNS

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

MAX_PASSAGES = 10  # passages naming the subject that are parsed (in one batch)
_HONORIFIC = re.compile(r"^(?:Mr|Ms|Mrs|Dr|Prof)\.?\s+")
_NOUN_HEAD = ("NOUN",)


def mention_pattern(subject: str) -> re.Pattern[str]:
    """The subject as a sentence writes it: its words in order, any spacing, an honorific optional."""
    parts = _HONORIFIC.sub("", subject).split()
    return re.compile(r"(?<![\w\-])" + r"\s+".join(re.escape(p) for p in parts) + r"(?![\w\-])")


def _tokens_in(doc: Doc, a: int, b: int) -> list[Token]:
    return [t for t in doc if t.idx >= a and t.idx + len(t.text) <= b]


def _root(tokens: list[Token]) -> Token:
    """The token of a multi-word name whose head lies outside it."""
    inside = {t.i for t in tokens}
    return next((t for t in tokens if t.head.i not in inside or t.head.i == t.i), tokens[-1])


def _trimmed(doc: Doc, first: int, last: int) -> Span | None:
    """Tokens ``first..last`` without edge punctuation, or ``None`` if nothing is left."""
    while first <= last and doc[first].is_punct:
        first += 1
    while last >= first and doc[last].is_punct:
        last -= 1
    return doc[first : last + 1] if first <= last else None


def _common_noun_phrase(span: Span | None) -> Span | None:
    """``span`` if it is a noun phrase headed by a common noun ("the chief engineer", not "Harlan Motors")."""
    if span is None or span.root.pos_ not in _NOUN_HEAD:
        return None
    return span


def _after(doc: Doc, name: list[Token]) -> Span | None:
    """ "NAME, a retired ferry captain and former harbour pilot, ...": the appositive that follows the name."""
    nxt = name[-1].i + 1
    if nxt + 1 >= len(doc) or doc[nxt].text != ",":
        return None
    start = doc[nxt + 1]
    appos = next((t for t in doc if t.dep_ == "appos" and t.left_edge.i == start.i), None)
    if appos is not None:
        return _common_noun_phrase(_trimmed(doc, appos.left_edge.i, appos.right_edge.i))
    chunk = next((c for c in doc.noun_chunks if c.start == start.i), None)
    return _common_noun_phrase(chunk)


def _copula(doc: Doc, name: list[Token]) -> Span | None:
    """ "NAME is the chief engineer of the project": the attribute of the name's "be"."""
    root = _root(name)
    verb = root.head
    if root.dep_ not in ("nsubj", "nsubjpass") or verb.lemma_ != "be":
        return None
    attr = next((t for t in verb.children if t.dep_ == "attr"), None)
    if attr is None:
        return None
    return _common_noun_phrase(_trimmed(doc, attr.left_edge.i, attr.right_edge.i))


def _before(doc: Doc, name: list[Token]) -> Span | None:
    """ "the project's chief engineer, NAME, said": the noun phrase set before the name."""
    comma = name[0].i - 1
    if comma < 1 or doc[comma].text != ",":
        return None
    return _common_noun_phrase(next((c for c in doc.noun_chunks if c.end == comma), None))


def _title(doc: Doc, name: list[Token]) -> Span | None:
    """ "Stanford economist NAME", "chief engineer NAME", "President NAME of Vellmark": a title or job in front."""
    first = name[0].i
    start = first
    attached = {t.i for t in name}  # the name and the modifiers taken so far, each leaning on one of them
    while start > 0:
        prev = doc[start - 1]
        if prev.head.i not in attached or prev.dep_ not in ("compound", "amod", "nmod", "poss", "det") or prev.is_punct:
            break
        attached.add(prev.i)
        start -= 1
    if start == first:
        return None
    words = doc[start:first]
    if not any(t.pos_ == "NOUN" or t.lower_ in PERSON_NOUNS for t in words):
        return None
    end = name[-1].i
    of = name[-1].i + 1
    if of < len(doc) and doc[of].lower_ == "of" and doc[of].head.i in {t.i for t in name}:
        end = doc[of].right_edge.i  # "President Moon of Vellmark": the title's "of" phrase belongs to it
    if end == name[-1].i:
        end = first - 1
    return _trimmed(doc, start, end)


def _relative(doc: Doc, name: list[Token]) -> Span | None:
    """ "NAME, who designed the dam, said ...": the relative clause on the name."""
    nxt = name[-1].i + 1
    if nxt + 1 >= len(doc) or doc[nxt].text != "," or doc[nxt + 1].lower_ not in ("who", "which"):
        return None
    clause = next((t for t in doc if t.dep_ == "relcl" and t.left_edge.i == nxt + 1), None)
    return _trimmed(doc, clause.left_edge.i, clause.right_edge.i) if clause is not None else None


# In order of how plainly they describe.
KINDS: tuple[tuple[str, Callable[[Doc, list[Token]], Span | None]], ...] = (
    ("appositive", _after),
    ("copula", _copula),
    ("noun_phrase_before", _before),
    ("title", _title),
    ("relative_clause", _relative),
)


def describe(pool: Pool, seen: list[Candidate] | None = None) -> Candidate | None:
    """The best description of the question's subject in the pool's passages, or ``None``."""
    from qa.nlp import parse_many

    subject = pool.question.subject
    if subject is None:
        return None
    pattern = mention_pattern(subject)
    best: tuple[int, int, Candidate] | None = None
    passages = [s for s in pool.sentences if pattern.search(s.text)][:MAX_PASSAGES]
    for rank, (s, doc) in enumerate(zip(passages, parse_many([s.text for s in passages]), strict=True)):
        for m in pattern.finditer(s.text):
            name = _tokens_in(doc, m.start(), m.end())
            if not name:
                continue
            for order, (kind, find) in enumerate(KINDS):
                span = find(doc, name)
                if span is None:
                    continue
                c = _candidate(s, span, kind, order, rank)
                if seen is not None:
                    seen.append(c)
                if best is None or (order, rank) < best[:2]:
                    best = (order, rank, c)
                break
    return best[2] if best is not None else None


def _candidate(s: Sentence, span: Span, kind: str, order: int, rank: int) -> Candidate:
    start, end = s.start + span.start_char, s.start + span.end_char
    c = Candidate(s.article.body[start:end], start, end, "description", s)
    c.features = {"description_kind": float(order), "rank": float(rank), "sentence": s.score}
    c.score = 1.0
    return c
