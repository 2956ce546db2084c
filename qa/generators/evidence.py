"""The sentence pool of the extractive generator: every sentence of the retrieved chunks, scored lexically.

Scoring is lexical on purpose (the /ask latency budget has no room for embedding every sentence): weighted
overlap with the question's content words, where a word's weight is its rarity among the retrieved
sentences (IDF), plus the chunk's retrieval score, a small lede prior (news puts the key facts first) and,
when the question is about "now", a recency prior.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from functools import cached_property

from qa.embeddings import Embedder
from qa.generators.base import Source
from qa.generators.questions import Question, term
from qa.injection import article_injected_spans
from qa.models import Article
from qa.text import STOPWORDS, paragraphs, sentence_spans, word_spans

_MID_CAPITAL = re.compile(r"(?<=[a-z0-9,;] )[A-Z][\w'’\-]*")
_NOW = re.compile(r"\b(now|currently|current|latest|so far|this week|to date|at present|as of)\b", re.IGNORECASE)
# Sentences that lean on the one before ("That announcement did not bode well ...") need it to make sense.
_ANAPHOR = re.compile(r"^(?:That|This|These|Those|It|Its|Such|The move|The decision|The announcement|He|She|They)\b")


# Credit for a question word found only around a sentence: in the sentence before it (same paragraph), or
# in the article's title or lead (news names the subject there once, then says "the company").
RERANK = 0  # sentences re-scored with the embedder (0: off; each one costs an embedding on the /ask path)
DENSE_WEIGHT = 1.0
PREVIOUS_CREDIT = 0.6
ARTICLE_CREDIT = 0.4


@dataclass
class Sentence:
    article: Article
    start: int
    end: int
    index: int  # position of the sentence in its article
    paragraph: int
    retrieval: float = 0.0  # best normalised retrieval score of a chunk holding it (0 = not retrieved)
    tokens: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, matching key) per word
    terms: frozenset[str] = frozenset()
    score: float = 0.0
    coverage: float = 0.0

    @property
    def text(self) -> str:
        return self.article.body[self.start : self.end]

    @property
    def key(self) -> tuple[str, int]:
        return (self.article.id, self.start)

    @property
    def anaphoric(self) -> bool:
        return bool(_ANAPHOR.match(self.text))


class ArticleText:
    """An article's sentences with their paragraph numbers, computed once per request."""

    def __init__(self, article: Article) -> None:
        self.article = article
        paras = paragraphs(article.body)
        injected = set(article_injected_spans(article))  # never evidence: sentences addressed to a model
        self.sentences: list[Sentence] = []
        for p, (a, b) in enumerate(paras):
            for s, e in sentence_spans(article.body, a, b):
                if (s, e) not in injected:
                    self.sentences.append(Sentence(article, s, e, len(self.sentences), p))
        self.title_terms = {term(w) for w in re.findall(r"\w[\w'\-]*", article.title)}

    def tokenize(self, s: Sentence) -> None:
        if not s.tokens:
            text = self.article.body[s.start : s.end]
            s.tokens = [(s.start + a, s.start + b, term(text[a:b])) for a, b in word_spans(text)]
            s.terms = frozenset(t for _, _, t in s.tokens)

    def previous(self, s: Sentence) -> Sentence | None:
        if s.index == 0:
            return None
        prev = self.sentences[s.index - 1]
        return prev if prev.paragraph == s.paragraph else None

    def following(self, s: Sentence) -> Sentence | None:
        if s.index + 1 >= len(self.sentences):
            return None
        nxt = self.sentences[s.index + 1]
        return nxt if nxt.paragraph == s.paragraph else None


@dataclass
class Pool:
    question: Question
    articles: dict[str, ArticleText]
    sentences: list[Sentence]  # retrieved sentences, best first
    weights: dict[str, float]

    def coverage(self, terms: set[str]) -> float:
        total = sum(self.weights.values())
        return sum(w for t, w in self.weights.items() if t in terms) / total if total else 0.0

    def context(self, s: Sentence) -> frozenset[str]:
        """The sentence's words plus those of its setting: the sentence before it in the same paragraph,
        the article's title and its lead sentence (news names the subject there, then says "the company")."""
        text = self.articles[s.article.id]
        out = s.terms | text.title_terms
        prev = text.previous(s)
        for other in (prev, text.sentences[0] if text.sentences else None):
            if other is not None and other is not s:
                text.tokenize(other)
                out |= other.terms
        return out

    def local(self, s: Sentence) -> float:
        """Coverage of the question by the sentence and the one before it in its paragraph only."""
        text = self.articles[s.article.id]
        prev = text.previous(s)
        if prev is not None:
            text.tokenize(prev)
        return self.coverage(s.terms | prev.terms if prev is not None else s.terms)

    def relevance(self, s: Sentence) -> float:
        """Weighted share of the question's words found in the sentence; words found only in the sentence
        before it or in the article's title or lead count partly."""
        total = sum(self.weights.values())
        if not total:
            return 0.0
        text = self.articles[s.article.id]
        prev = text.previous(s)
        if prev is not None:
            text.tokenize(prev)
        before = prev.terms if prev is not None else frozenset()
        article = self.context(s)
        got = 0.0
        for t, w in self.weights.items():
            if t in s.terms:
                got += w
            elif t in before:
                got += PREVIOUS_CREDIT * w
            elif t in article:
                got += ARTICLE_CREDIT * w
        return got / total

    def article_relevance(self, s: Sentence) -> float:
        """How well the sentence's article matches the question: the best coverage of its retrieved sentences."""
        return max((x.coverage for x in self.sentences if x.article.id == s.article.id), default=0.0)

    @cached_property
    def names(self) -> frozenset[str]:
        """Capitalised words the articles use mid-sentence: only these are names when they open a sentence
        (an opening "Despite" or "Related" is capitalised because it comes first, not because it is a name)."""
        found: set[str] = set()
        for text in self.articles.values():
            found.update(_MID_CAPITAL.findall(text.article.body))
        return frozenset(found)

    def missing_terms(self) -> list[str]:
        """Names and numbers of the interrogative clause that no retrieved sentence contains."""
        seen: set[str] = set()
        for s in self.sentences:
            seen |= s.terms
        for text in self.articles.values():
            seen |= text.title_terms
        return sorted(t for t in self.question.pinned_terms if t not in seen)


def rerank(pool: Pool, embedder: Embedder, n: int = RERANK, weight: float = DENSE_WEIGHT) -> None:
    """Re-score the ``n`` best sentences with the embedder's question–sentence similarity (one small batch):
    lexical overlap misses paraphrase ("green lit" vs "coming back")."""
    top = pool.sentences[:n]
    if len(top) < 2:
        return
    vectors = embedder.embed([pool.question.text] + [s.text for s in top])
    sims = vectors[1:] @ vectors[0]
    for s, sim in zip(top, sims, strict=True):
        s.score += weight * float(sim)
    pool.sentences[:n] = sorted(top, key=lambda s: -s.score)


def build_pool(question: Question, sources: list[Source], today: dt.date | None) -> Pool:
    articles: dict[str, ArticleText] = {}
    chosen: dict[tuple[str, int], Sentence] = {}
    best = max((s.hit.score for s in sources), default=0.0) or 1.0
    for src in sources:
        text = articles.get(src.article.id)
        if text is None:
            text = articles[src.article.id] = ArticleText(src.article)
        for s in text.sentences:
            if s.end > src.hit.start and s.start < src.hit.end:
                text.tokenize(s)
                s.retrieval = max(s.retrieval, src.hit.score / best)
                chosen[s.key] = s
    pool_sentences = list(chosen.values())
    weights = _weights(question, pool_sentences, articles)
    pool = Pool(question, articles, pool_sentences, weights)
    wants_now = bool(_NOW.search(question.text)) and today is not None
    for s in pool_sentences:
        s.coverage = pool.relevance(s)
        lede = 0.08 if s.index < 2 else 0.0
        s.score = s.coverage + 0.25 * s.retrieval + lede
        if wants_now and s.article.published_at is not None and today is not None:
            age = max(0, (today - s.article.published_at).days)
            s.score += 0.25 * 0.5 ** (age / 7)
    pool_sentences.sort(key=lambda s: -s.score)
    return pool


def _weights(question: Question, sentences: list[Sentence], articles: dict[str, ArticleText]) -> dict[str, float]:
    """IDF of each question word over the retrieved sentences; names, numbers and the words of the
    interrogative clause count more, since they pin down what is asked about."""
    n = len(sentences) + 1
    df: dict[str, int] = {}
    for s in sentences:
        for t in s.terms:
            df[t] = df.get(t, 0) + 1
    focus = set(question.focus_terms)
    weights: dict[str, float] = {}
    for t in dict.fromkeys(question.terms):
        if t in STOPWORDS:
            continue
        w = math.log(1 + n / (1 + df.get(t, 0)))
        if t in question.proper_terms:
            w *= 1.3
        if t in focus:
            w *= 1.3
        weights[t] = w
    return weights


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def select(pool: Pool, limit: int = 3, ratio: float = 0.6, redundancy: float = 0.5) -> list[Sentence]:
    """The best sentences: within ``ratio`` of the top score, not repeating each other (word overlap), each
    preceded by the sentence it refers back to when it opens with "That ..."/"It ..."."""
    if not pool.sentences:
        return []
    top = pool.sentences[0].score
    picked: list[Sentence] = []
    for s in pool.sentences:
        if len(picked) >= limit or s.score < ratio * top:
            break
        if any(jaccard(s.terms, p.terms) >= redundancy for p in picked):
            continue
        picked.append(s)
    return with_antecedents(pool, picked)


def with_antecedents(pool: Pool, picked: list[Sentence]) -> list[Sentence]:
    out: list[Sentence] = []
    keys = {s.key for s in picked}
    for s in picked:
        prev = pool.articles[s.article.id].previous(s)
        if s.anaphoric and prev is not None and prev.key not in keys:
            pool.articles[s.article.id].tokenize(prev)
            out.append(prev)
            keys.add(prev.key)
        out.append(s)
    return out
