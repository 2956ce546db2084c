"""An article's sentences as briefing material: spans, paragraphs, and what a sentence leans on.

A bullet is a verbatim sentence, so a sentence whose subject is only given by the one before it ("It was
cancelled", "That announcement ...", "The move ...", "“...,” he said") cannot stand alone: the briefing quotes
its antecedent with it (:func:`antecedents`), never rewrites it. The cues are closed word classes (pronouns,
determiners, auxiliaries, sentence-opening conjunctions) and the article's own earlier words, no content lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qa.injection import article_injected_spans
from qa.models import Article
from qa.text import paragraphs, sentence_spans, words

# Closed classes.
PERSONAL = frozenset(["he", "she", "it", "they", "him", "her", "them", "his", "its", "their", "hers", "theirs"])
DEMONSTRATIVE = frozenset(["this", "that", "these", "those", "such"])
# Sentence openers that do not change who or what the sentence is about ("But it ...", "Still, they ...").
OPENERS = frozenset(
    [
        "but",
        "and",
        "yet",
        "still",
        "so",
        "or",
        "nor",
        "instead",
        "however",
        "meanwhile",
        "also",
        "then",
        "now",
        "later",
        "afterward",
        "afterwards",
        "moreover",
        "nonetheless",
        "nevertheless",
        "indeed",
        "besides",
        "thus",
        "hence",
    ]
)
AUXILIARIES = frozenset(
    [
        "is",
        "was",
        "were",
        "are",
        "has",
        "had",
        "have",
        "will",
        "would",
        "could",
        "can",
        "may",
        "might",
        "should",
        "shall",
        "must",
        "did",
        "does",
        "do",
        "remains",
        "remained",
        "seems",
        "seemed",
    ]
)
ANTECEDENT_REACH = 3  # sentences back an antecedent is looked for
ANTECEDENT_CHAIN = 2  # at most this many links are followed back (an antecedent's own antecedent, ...)
ROOT_LETTERS = 4

_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*")
# A quotation attributed to a pronoun: “...,” he said / “...” she added.
_QUOTE_SPEAKER = re.compile(r"[”\"],?\s+(?:he|she|they|it)\b", re.IGNORECASE)


@dataclass(eq=False)
class Sentence:
    article: Article
    index: int  # position among the article's sentences
    paragraph: int
    start: int
    end: int
    words: list[str] = field(default_factory=list)  # lower-cased word tokens

    @property
    def text(self) -> str:
        return self.article.body[self.start : self.end]

    @property
    def key(self) -> tuple[str, int]:
        return (self.article.id, self.start)


class ArticleSentences:
    """The sentences of one article, in order. Sentences addressed to a model are never briefing material
    (:func:`qa.injection.article_injected_spans`: sentence-exact, so the real sentences around one stay)."""

    def __init__(self, article: Article) -> None:
        self.article = article
        self.sentences: list[Sentence] = []
        body = article.body
        injected = set(article_injected_spans(article))
        for p, (a, b) in enumerate(paragraphs(body)):
            for s, e in sentence_spans(body, a, b):
                if (s, e) in injected:
                    continue
                self.sentences.append(Sentence(article, len(self.sentences), p, s, e, words(body[s:e])))

    def __len__(self) -> int:
        return len(self.sentences)

    def antecedents(self, s: Sentence) -> list[Sentence]:
        """The passage before ``s`` that it leans on for its subject, in order (empty when it stands alone):
        from its antecedent (or its antecedent's own, up to ``ANTECEDENT_CHAIN`` links) to the sentence before
        it, so that what is quoted with it is one contiguous stretch of the article."""
        first = s
        for _ in range(ANTECEDENT_CHAIN):
            found = self._antecedent(first)
            if found is None:
                break
            first = found
        return self.sentences[first.index : s.index]

    def _antecedent(self, s: Sentence) -> Sentence | None:
        if s.index == 0:
            return None
        before = self.sentences[max(0, s.index - ANTECEDENT_REACH) : s.index]
        kind = leaning(s.text)
        if kind is None:
            head = definite_head(s.text)
            if head is None:
                return None
            linked = [b for b in reversed(before) if _mentions(b, head)]
            if linked:
                return linked[0]  # "The cancellation ..." leans on the sentence that reports the cancelling
            if any(_mentions(b, head) for b in self.sentences[: s.index]):
                return None  # mentioned before, further back: a repeated description that stands alone
            # A first mention with "the": it bridges to what precedes.
        return before[-1]


def leaning(text: str) -> str | None:
    """Why a sentence cannot stand alone: it opens (after a conjunction) with a personal pronoun or a
    demonstrative, or it attributes a quotation to a pronoun. ``None`` when it names its own subject."""
    if _QUOTE_SPEAKER.search(text) and text.lstrip()[:1] in '“"':
        return "quoted pronoun"
    tokens = [w.lower() for w in _WORD.findall(text[:120])]
    while tokens and tokens[0] in OPENERS:
        tokens.pop(0)
    if not tokens:
        return None
    if tokens[0] in PERSONAL:
        return "pronoun"
    if tokens[0] in DEMONSTRATIVE:
        return "demonstrative"
    return None


def definite_head(text: str) -> str | None:
    """The noun of a sentence-opening bare definite subject ("The move will ...", "The vote was ..."), which
    refers back to an event or thing of the text before; ``None`` for any other opening."""
    tokens = _WORD.findall(text[:80])
    while tokens and tokens[0].lower() in OPENERS:
        tokens.pop(0)
    if len(tokens) < 3 or tokens[0].lower() != "the":
        return None
    noun, verb = tokens[1], tokens[2]
    if not noun.islower() or not verb.islower():
        return None
    # The word after the noun must be verb-like: an auxiliary, or an inflected form ("comes", "followed").
    if verb in AUXILIARIES or verb.endswith(("ed", "es")) or (verb.endswith("s") and not verb.endswith("ss")):
        return noun
    return None


def _mentions(s: Sentence, noun: str) -> bool:
    """Does ``s`` use a form of ``noun`` ("cancelled" for "cancellation", "decided" for "decision")? Word
    forms of one root share their first letters: at least ``ROOT_LETTERS`` and half of the noun."""
    noun = noun.lower()
    need = max(ROOT_LETTERS, (len(noun) + 1) // 2)
    return any(_shared_start(w, noun) >= min(need, len(noun)) for w in s.words)


def _shared_start(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n
