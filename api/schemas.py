"""Request and response bodies of the HTTP API, with the examples shown in the OpenAPI schema.

Responses reuse the core models (:mod:`qa.models`) so the JSON is the same as the CLI's ``--json``. Request
models forbid unknown fields, so a misspelt field is a 422 rather than silently ignored.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    create_model,
    field_validator,
    model_validator,
)

from qa.models import Article, ArticleIn, Feed, Filters, IngestItem, reject_lone_surrogates

EXAMPLE_ARTICLE = {
    "id": "harbor-ledger-2025-03-04-barrier-vote",
    "title": "Port Calder Council Approves Tidal Barrier",
    "body": "The Port Calder council voted 7 to 4 on Tuesday to approve a $212 million tidal barrier.",
    "published_at": "2025-03-04",
    "source": "Harbor Ledger",
    "url": "https://example.com/barrier-vote",
    "authors": ["Dana Ruiz"],
}


def _iso_day(value: Any) -> Any:
    # Pydantic's lax dates also take numbers and "0" as Unix times and datetimes; the API's dates are YYYY-MM-DD.
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("expected a date as YYYY-MM-DD")
    return value


Day = Annotated[dt.date, BeforeValidator(_iso_day)]


def _iso_moment(value: Any) -> Any:
    # As for days: an ISO 8601 text only (no Unix times); a time without an offset is UTC.
    if isinstance(value, dt.datetime):
        moment = value
    else:
        if not isinstance(value, str) or not re.fullmatch(
            r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?", value
        ):
            raise ValueError("expected a time as YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM]")
        try:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"not a valid time ({exc})") from None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


Moment = Annotated[dt.datetime, BeforeValidator(_iso_moment)]
# Feed ids as qa.feeds.feed_id_for makes them.
FEED_ID = r"^f[0-9a-f]{11}$"


class ApiModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # JSON "\ud800" escapes decode to lone surrogates, which can't be stored or embedded: every field rejects them.
    _valid_unicode = field_validator("*", mode="before")(reject_lone_surrogates)


class FiltersIn(Filters, ApiModel):
    """Restrict to one source, a publication-date range (inclusive) and/or given articles (all must exist)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"source": "Harbor Ledger", "since": "2025-03-01"},
                {"article_ids": ["ledger-2025-04-10-gates"]},
            ]
        },
    )

    since: Day | None = None
    until: Day | None = None
    article_ids: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = Field(
        None, min_length=1, max_length=100, description="Only these articles (404 if one is unknown)."
    )


# --- articles -------------------------------------------------------------------------------------------
class ArticleCreate(ArticleIn, ApiModel):
    """One article. ``id`` is optional: without it the id is a hash of the URL (or of the text)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE_ARTICLE]})

    body: str = Field(
        ...,
        min_length=1,
        description="The article text (plain text; boilerplate lines are removed). The schema's maxLength is "
        "QA_MAX_ARTICLE_CHARS (413 beyond it).",
    )
    published_at: Day | None = None


class ArticleBatch(ApiModel):
    """Several articles, stored all together or (if any is invalid) not at all."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"articles": [EXAMPLE_ARTICLE]}]})

    articles: list[ArticleCreate] = Field(..., min_length=1)


def _article_payload_kind(value: Any) -> str:
    return "batch" if isinstance(value, dict) and "articles" in value else "article"


# One article, or {"articles": [...]}: told apart by the "articles" key so errors name the right fields.
ArticlesPayload = Annotated[
    Annotated[ArticleCreate, Tag("article")] | Annotated[ArticleBatch, Tag("batch")],
    Discriminator(_article_payload_kind),
]


class IngestReportOut(BaseModel):
    added: int
    updated: int
    unchanged: int
    skipped: int
    chunks: int = Field(..., description="Chunks written for added and updated articles.")
    items: list[IngestItem]

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "added": 1,
                    "updated": 0,
                    "unchanged": 0,
                    "skipped": 0,
                    "chunks": 3,
                    "items": [
                        {
                            "article_id": "harbor-ledger-2025-03-04-barrier-vote",
                            "title": "Port Calder Council Approves Tidal Barrier",
                            "status": "added",
                            "chunks": 3,
                        }
                    ],
                }
            ]
        }
    )


# A stored article without its body (listings): Article's own fields, so the two can't drift apart.
ArticleSummary = create_model(
    "ArticleSummary",
    __doc__="A stored article without its body.",
    **{name: (f.annotation, f) for name, f in Article.model_fields.items() if name != "body"},  # type: ignore[call-overload]
)


class ArticlePage(BaseModel):
    items: list[ArticleSummary]
    total: int = Field(..., description="Articles matching the filters, over all pages.")
    limit: int
    offset: int


class Deleted(BaseModel):
    deleted: str


# --- questions, search, briefings ---------------------------------------------------------------------------
# "Has a character that is not whitespace", in Python's sense of whitespace (str.isspace, what the core strips),
# with every such character named and no \s: JSON Schema patterns are ECMA-262 regexes, whose \s leaves out \x85
# and \x1c-\x1f and takes in \ufeff, unlike Python's re and pydantic's Rust regex; a client (or fuzzer) reading
# the schema must agree with the server.
NOT_BLANK = r"[^\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"

Question = Annotated[
    str,
    Field(
        min_length=1,
        pattern=NOT_BLANK,
        description="The question (not blank). The schema's maxLength is QA_MAX_QUESTION_CHARS (422 beyond it).",
        examples=["Why was the Pompeo meeting cancelled?"],
    ),
]
GeneratorName = Literal["extractive", "llm"]


def _json_integer(value: Any) -> Any:
    # JSON Schema's "integer" admits 1.0 but not true or "8", which pydantic's lax mode would turn into 1 and 8.
    if isinstance(value, bool | str):
        raise ValueError("must be an integer")
    return value


Passages = Annotated[int, Field(ge=1, le=100), BeforeValidator(_json_integer)]


class AskRequest(ApiModel):
    question: Question
    today: Day | None = Field(None, description="The question's date: later articles are not used.")
    k: Passages | None = Field(None, description="Passages to retrieve (default QA_K).")
    filters: FiltersIn | None = None
    generator: GeneratorName | None = Field(None, description="Default QA_GENERATOR (extractive).")
    stream: bool = Field(
        False, strict=True, description="Stream Server-Sent Events (same as `Accept: text/event-stream`)."
    )
    explain: bool = Field(
        False,
        strict=True,
        description="Add `explain` to the answer: the question analysis (answer type, wh-word, head noun), the "
        "ranked evidence sentences, the short-answer candidates with their named features and scores, and the reason.",
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"question": "Why was the Pompeo meeting cancelled?", "k": 8}]},
    )


class SearchRequest(ApiModel):
    question: Question
    k: Passages = 8
    filters: FiltersIn | None = None
    today: Day | None = None
    mode: Literal["hybrid", "dense", "bm25"] = "hybrid"

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"question": "tidal barrier cost", "k": 3, "mode": "hybrid"}]},
    )


class StreamDelta(BaseModel):
    text: str


def _event(name: str, payload_schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["event", "data"],
        "properties": {
            "event": {"const": name},
            "data": {"type": "string", "contentMediaType": "application/json", "contentSchema": payload_schema},
        },
    }


# One SSE event of POST /v1/ask (schemathesis and OpenAPI 3.2 tools validate each event against it).
ASK_EVENT_SCHEMA = {
    "oneOf": [
        _event("delta", StreamDelta.model_json_schema()),
        _event("answer", {"$ref": "#/components/schemas/Answer"}),
        _event("error", {"$ref": "#/components/schemas/Problem"}),
    ]
}


class SearchHit(BaseModel):
    article_id: str
    title: str
    chunk_index: int
    start: int = Field(..., description="Character offset of the chunk in the stored body.")
    end: int
    text: str
    score: float


class BriefingRequest(ApiModel):
    """Brief either the given articles or the articles found for a topic, optionally within dates."""

    article_ids: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = Field(
        None, min_length=1, max_length=100
    )
    topic: str | None = Field(
        None,
        min_length=1,
        pattern=NOT_BLANK,
        description="Used when no article_ids are given; limited like a question.",
    )
    since: Day | None = None
    until: Day | None = None
    new_since: Moment | None = Field(
        None,
        description="What's new: articles first seen at or after this time (ISO 8601; UTC unless it has an "
        "offset), one per story, the stories carried by most outlets first.",
    )
    feed_id: str | None = Field(None, pattern=FEED_ID, description="What's new from this feed only.")
    generator: GeneratorName | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"topic": "Port Calder tidal barrier", "since": "2025-03-01"},
                {"new_since": "2025-05-01T08:00:00Z"},
            ],
            # The same rule as _ids_or_topic, so generated clients and fuzzers know it.
            "anyOf": [
                {"required": ["article_ids"], "properties": {"article_ids": {"type": "array"}}},
                {"required": ["topic"], "properties": {"topic": {"type": "string"}}},
                {"required": ["new_since"], "properties": {"new_since": {"type": "string"}}},
                {"required": ["feed_id"], "properties": {"feed_id": {"type": "string"}}},
            ],
        },
    )

    @model_validator(mode="after")
    def _ids_or_topic(self) -> BriefingRequest:
        if not self.article_ids and self.topic is None and self.new_since is None and self.feed_id is None:
            raise ValueError("give article_ids or a topic, or new_since and/or feed_id for what is new")
        return self


# --- feeds ------------------------------------------------------------------------------------------------------
class FeedCreate(ApiModel):
    """A feed to follow (nothing is fetched until it is polled)."""

    url: str = Field(..., min_length=1, max_length=2048, description="The feed's http(s) URL (RSS or Atom).")
    name: str | None = Field(None, min_length=1, max_length=200, pattern=NOT_BLANK, description="The outlet's name.")
    interval: str | None = Field(
        None,
        max_length=20,
        description="Time between background polls: 15m, 2h, 1d (1 minute to 7 days).",
        examples=["15m"],
    )

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"url": "https://example.com/news/rss.xml", "interval": "15m"}]}
    )


class FeedList(BaseModel):
    items: list[Feed]


# --- errors and health ----------------------------------------------------------------------------------------
class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details (``application/problem+json``)."""

    type: str = Field(..., examples=["urn:newsqa:problem:not-found"])
    title: str = Field(..., examples=["Not found"])
    status: int = Field(..., examples=[404])
    detail: str = Field(..., examples=["no article with id 'nope'"])
    instance: str | None = Field(None, examples=["/v1/articles/nope"])
    request_id: str | None = None
    errors: list[FieldError] | None = Field(None, description="Field errors of a 422 request validation error.")


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Ready(BaseModel):
    status: Literal["ready"] = "ready"
    database: str = Field(..., description="Article store backend: sqlite or postgresql.", examples=["postgresql"])
    schema_version: int = Field(..., description="The store's applied migration version.")
    vector_index: str = Field(..., examples=["chroma-server"])
    articles: int
    chunks: int
    vectors: int
