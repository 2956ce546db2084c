"""The data shapes shared by the library, the CLI, the API and the eval suite."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

ArticleState = Literal["indexing", "ready", "deleting"]


class ArticleIn(BaseModel):
    """An article as a user gives it, before cleaning. Field names follow common news dumps."""

    id: str | None = Field(None, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$")
    title: str | None = None
    body: str
    published_at: dt.date | None = None
    source: str | None = None
    url: str | None = None
    authors: list[str] = Field(default_factory=list)


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


class Chunk(BaseModel):
    article_id: str
    chunk_index: int
    start: int
    end: int
    text: str

    @property
    def id(self) -> str:
        return f"{self.article_id}:{self.chunk_index}"


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


class AnswerSentence(BaseModel):
    text: str
    supported: bool
    score: float
    citations: list[Citation] = Field(default_factory=list)
    reason: str | None = None


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
