"""The data shapes shared by the library, the CLI, the API and the eval suite."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, PrivateAttr, field_validator

from qa.reasons import Reason

ArticleState = Literal["indexing", "ready", "deleting"]


# Bounds of an article's fields, generous for real news and small enough that no field can blow up the store or a
# response (a body's limit is the setting QA_MAX_ARTICLE_CHARS). The OpenAPI schema shows them as maxLength/maxItems.
MAX_ID_CHARS = 200
MAX_TITLE_CHARS = 500
MAX_SOURCE_CHARS = 200
MAX_URL_CHARS = 2048
MAX_AUTHORS = 50
MAX_AUTHOR_CHARS = 200


def has_lone_surrogate(value: Any) -> bool:
    """True for text (or a list of texts) holding an unpaired UTF-16 surrogate, which JSON's ``"\\ud800"`` escapes
    decode to: it is not valid Unicode and can't be stored, hashed or embedded."""
    if isinstance(value, str):
        return any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, list):
        return any(has_lone_surrogate(v) for v in value)
    return False


def reject_lone_surrogates(value: Any) -> Any:
    if has_lone_surrogate(value):
        raise ValueError("text contains an unpaired UTF-16 surrogate (not valid Unicode)")
    return value


class ArticleIn(BaseModel):
    """An article as a user gives it, before cleaning. Field names follow common news dumps."""

    id: str | None = Field(None, max_length=MAX_ID_CHARS, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$")
    title: str | None = Field(None, max_length=MAX_TITLE_CHARS)
    body: str
    published_at: dt.date | None = None
    source: str | None = Field(None, max_length=MAX_SOURCE_CHARS)
    url: str | None = Field(None, max_length=MAX_URL_CHARS)
    authors: list[Annotated[str, Field(max_length=MAX_AUTHOR_CHARS)]] = Field(
        default_factory=list, max_length=MAX_AUTHORS
    )

    _valid_unicode = field_validator("*", mode="before")(reject_lone_surrogates)
    # The text encoding assumed for the file this came from when it was not UTF-8 (reported, not stored).
    _encoding: str | None = PrivateAttr(default=None)


class Article(BaseModel):
    """A stored article: the source of truth every quote is checked against."""

    id: str
    title: str
    body: str
    published_at: dt.date | None = None
    source: str | None = None
    url: str | None = None
    authors: list[str] = Field(default_factory=list)
    content_hash: str
    state: ArticleState = "ready"
    n_chunks: int = 0
    ingested_at: dt.datetime | None = None
    _encoding: str | None = PrivateAttr(default=None)  # carried from ArticleIn to the ingest report
    # Its injected sentences as computed at ingest, with the classifier that computed them (see
    # qa.injection.article_injected_spans); kept by the store, not part of the article's content or API.
    _injected: str | None = PrivateAttr(default=None)


class Chunk(BaseModel):
    article_id: str
    chunk_index: int
    start: int
    end: int
    text: str

    @property
    def id(self) -> str:
        return f"{self.article_id}:{self.chunk_index}"

    @staticmethod
    def key_of(chunk_id: str) -> tuple[str, int] | None:
        """``(article_id, chunk_index)`` of a chunk's :attr:`id` (article ids may hold colons), or None."""
        article_id, sep, index = chunk_id.rpartition(":")
        return (article_id, int(index)) if sep and article_id and index.isdigit() else None


class Hit(BaseModel):
    """A retrieved chunk with its fused score."""

    article_id: str
    title: str
    chunk_index: int
    start: int
    end: int
    text: str
    score: float
    published_at: dt.date | None = None
    source: str | None = None
    url: str | None = None


class Filters(BaseModel):
    source: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    article_ids: list[str] | None = Field(None, description="Only these articles (as in a briefing's article_ids).")

    def is_empty(self) -> bool:
        return not (self.source or self.since or self.until or self.article_ids is not None)


class IngestItem(BaseModel):
    article_id: str | None
    title: str | None = None
    status: Literal["added", "updated", "unchanged", "skipped"]
    chunks: int = 0
    reason: str | None = None
    path: str | None = None
    encoding: str | None = Field(None, description="The text encoding assumed for a file that was not UTF-8.")


class IngestReport(BaseModel):
    items: list[IngestItem] = Field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for i in self.items if i.status == status)

    @property
    def summary(self) -> dict[str, int]:
        return {
            "added": self.count("added"),
            "updated": self.count("updated"),
            "unchanged": self.count("unchanged"),
            "skipped": self.count("skipped"),
            "chunks": sum(i.chunks for i in self.items if i.status in ("added", "updated")),
        }


class Citation(BaseModel):
    """A verbatim quote: ``quote == article.body[start:end]``, checked before anything is returned."""

    article_id: str
    title: str
    url: str | None = None
    published_at: dt.date | None = None
    quote: str
    start: int
    end: int
    outlets: int = Field(1, ge=1, description="How many outlets carried this story (near-duplicates cited once).")


class AnswerSentence(BaseModel):
    text: str
    supported: bool
    score: float
    citations: list[Citation] = Field(default_factory=list)
    reason: str | None = None


class QuestionAnalysis(BaseModel):
    """What the reader made of the question."""

    answer_type: str = Field(
        ..., description="person, count, quantity, date, place, entity, reason or none (any sentence answers)."
    )
    wh_word: str | None = Field(None, description="The question word the type comes from.")
    head_noun: str | None = Field(None, description='The noun after the wh-word ("company" in "which company").')
    focus_terms: list[str] = Field(default_factory=list, description="Matching keys of the asked clause's words.")
    names: list[str] = Field(default_factory=list, description="Its names and figures (must stand near an answer).")
    role_of: bool = Field(False, description='"Who is the mayor of X": only someone named as the role answers.')
    named: bool = Field(False, description='"What is the name of ...": only a name answers.')


class EvidenceScore(BaseModel):
    """A retrieved sentence and the scores that ranked it."""

    article_id: str
    start: int
    end: int
    text: str
    score: float = Field(..., description="coverage + retrieval and position priors: the sentence's rank key.")
    coverage: float = Field(..., description="Weighted share of the question's words in and around the sentence.")
    retrieval: float = Field(..., description="Its best chunk's retrieval score, relative to the best chunk.")


class CandidateScore(BaseModel):
    """A short-answer candidate with its named features and score."""

    text: str
    kind: str = Field(..., description="name, title, kind, date, money, percent, number or measure.")
    article_id: str
    start: int
    end: int
    features: dict[str, float] = Field(default_factory=dict)
    score: float
    chosen: bool = False
    dropped: str | None = Field(None, description="Why the candidate was not considered, if it was not.")


class Explanation(BaseModel):
    """Why the answer came out as it did (``explain: true``)."""

    question: QuestionAnalysis
    evidence: list[EvidenceScore] = Field(default_factory=list, description="The best retrieved sentences.")
    candidates: list[CandidateScore] = Field(default_factory=list, description="Short-answer candidates, best first.")
    reason: Reason
    reason_text: str


class Answer(BaseModel):
    question: str
    answer: str
    short_answer: str | None = None
    answerable: bool
    citations: list[Citation] = Field(default_factory=list)
    sentences: list[AnswerSentence] = Field(default_factory=list)
    generator: str = "extractive"
    fallback: bool = Field(
        False, description="True when the LLM answer was unsupported and the extractive one is shown."
    )
    reason: Reason = Field(
        Reason.ANSWERED,
        description="Why the answer came out so: `answered`, or the abstention's cause (`no_evidence`, "
        "`below_relevance`, `name_not_found`, `no_candidate_of_type`, `relation_not_found`, "
        "`event_not_yet_happened`, `no_reason_stated`, `not_supported`).",
    )
    explain: Explanation | None = Field(None, description="The question analysis, candidates and scores, when asked.")


class Bullet(BaseModel):
    text: str
    citations: list[Citation] = Field(default_factory=list)
    supported: bool = True
    score: float = 1.0


class Briefing(BaseModel):
    title: str
    bullets: list[Bullet] = Field(default_factory=list)
    article_ids: list[str] = Field(default_factory=list)
    generator: str = "extractive"


class Feed(BaseModel):
    """A followed RSS/Atom feed and the state of its polling (kept in the store)."""

    id: str
    url: str
    name: str | None = None
    interval_s: int = Field(..., description="Seconds between polls.")
    created_at: dt.datetime
    etag: str | None = None
    last_modified: str | None = None
    last_polled_at: dt.datetime | None = None
    last_success_at: dt.datetime | None = None
    last_error: str | None = None
    last_error_at: dt.datetime | None = None
    entries_seen: int = 0

    def due(self, now: dt.datetime) -> bool:
        return self.last_polled_at is None or (now - self.last_polled_at).total_seconds() >= self.interval_s


class FeedEntryOutcome(BaseModel):
    """What one poll did with one feed entry."""

    key: str
    url: str | None = None
    title: str | None = None
    status: Literal["added", "updated", "unchanged", "skipped", "failed"]
    article_id: str | None = None
    reason: str | None = None


class FeedPollReport(BaseModel):
    feed_id: str
    status: Literal["ok", "not_modified", "busy", "error"]
    error: str | None = None
    warning: str | None = Field(None, description="What was wrong with a feed that could still be read.")
    entries: int = Field(0, description="Entries in the feed.")
    new: int = Field(0, description="Entries not seen before.")
    items: list[FeedEntryOutcome] = Field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for i in self.items if i.status == status)
