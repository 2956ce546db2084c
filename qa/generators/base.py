"""The generator interface. The extractive generator (default, offline) and the LLM generator (any
OpenAI-compatible endpoint) both implement it; the answer engine (:mod:`qa.answer`) adds citations,
verification and the fallback, so a generator only proposes sentences.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from qa.models import Article, Hit
from qa.reasons import Reason

if TYPE_CHECKING:
    from qa.generators.candidate import Candidate
    from qa.generators.evidence import Sentence
    from qa.generators.questions import Question


@dataclass
class Source:
    """A numbered source as shown to a generator: a retrieved chunk and the article it comes from."""

    number: int  # 1-based, as cited in LLM prompts: [1], [2], ...
    hit: Hit
    article: Article


@dataclass
class DraftSentence:
    """A proposed answer sentence. ``spans`` are verbatim ``(article_id, start, end)`` quotes when the
    generator knows them (extractive); ``source_numbers`` are the sources an LLM cited, to be mapped to quotes."""

    text: str
    spans: list[tuple[str, int, int]] = field(default_factory=list)
    source_numbers: list[int] = field(default_factory=list)
    score: float = 1.0


@dataclass
class Trace:
    """What the extractive reader looked at, kept for ``explain`` (turned into an Explanation only when asked)."""

    question: Question
    evidence: list[Sentence] = field(default_factory=list)  # the pool's sentences, best first
    candidates: list[Candidate] = field(default_factory=list)  # every short-answer candidate looked at
    chosen: Candidate | None = None


@dataclass
class Draft:
    sentences: list[DraftSentence]
    short_answer: str | None = None
    short_answer_span: tuple[str, int, int] | None = None
    answerable: bool = True
    preface: str | None = None  # e.g. "The articles don't say why ...; here is what they do say:"
    reason: Reason = Reason.ANSWERED  # the exit taken; anything but ANSWERED goes with answerable=False
    trace: Trace | None = None


class Generator(Protocol):
    name: str

    def answer(self, question: str, sources: list[Source], today: dt.date | None) -> Draft: ...

    def stream_answer(self, question: str, sources: list[Source], today: dt.date | None) -> Iterator[str]:
        """Text pieces as they are produced (the engine verifies the joined text afterwards)."""
        ...

    def brief(self, title: str, sources: list[Source], max_bullets: int) -> Draft: ...
