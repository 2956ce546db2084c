"""Citations: the one place where quotes are cut from stored article bodies and checked to be verbatim.

Answers and briefings both build every :class:`~qa.models.Citation` through :func:`cite`, and check the
finished list again with :func:`check_citations` right before returning it, so a quote that is not exactly
``article.body[start:end]`` can never leave the library.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from qa.errors import QAError
from qa.injection import overlaps_injection
from qa.models import Article, Citation


class CitationMismatch(QAError):
    """A quote differs from the stored text at its span: a bug, never the user's fault."""

    status = 500
    title = "Citation mismatch"


def _trim(body: str, start: int, end: int) -> tuple[int, int]:
    start, end = max(0, start), min(len(body), end)
    while start < end and body[start].isspace():
        start += 1
    while end > start and body[end - 1].isspace():
        end -= 1
    return start, end


def _check(citation: Citation, body: str | None) -> None:
    if body is None:
        raise CitationMismatch(f"citation of unknown article {citation.article_id!r}")
    if not citation.quote or body[citation.start : citation.end] != citation.quote:
        raise CitationMismatch(
            f"quote is not verbatim at {citation.article_id}[{citation.start}:{citation.end}]: {citation.quote[:60]!r}"
        )


def cite(article: Article, start: int, end: int) -> Citation:
    """The citation of ``article.body[start:end]`` (edge whitespace trimmed), checked before it is returned."""
    start, end = _trim(article.body, start, end)
    citation = Citation(
        article_id=article.id,
        title=article.title,
        url=article.url,
        published_at=article.published_at,
        quote=article.body[start:end],
        start=start,
        end=end,
    )
    _check(citation, article.body)
    return citation


def check_citations(citations: Iterable[Citation], articles: Mapping[str, Article]) -> None:
    """Raise :class:`CitationMismatch` unless every quote equals its article's stored body at its span."""
    for c in citations:
        art = articles.get(c.article_id)
        _check(c, art.body if art is not None else None)


def quotes_injection(citation: Citation, article: Article) -> bool:
    """Whether the quote overlaps a sentence addressed to a model (:mod:`qa.injection`): never shown as a quote."""
    return overlaps_injection(article.body, citation.start, citation.end)


def locate(body: str, text: str, start: int = 0, end: int | None = None) -> tuple[int, int] | None:
    """Where ``text`` stands in ``body[start:end]``, ignoring differences in whitespace and quote style
    (an LLM copies a quote with straight quotes or re-flowed spaces); ``None`` when it does not."""
    words = text.split()
    if not words:
        return None
    quote = r"[\"'“”‘’]"
    parts = [re.sub(r"[\"'“”‘’]", quote, re.escape(w).replace("\\'", "'").replace('\\"', '"')) for w in words]
    pattern = re.compile(r"\s+".join(parts))
    m = pattern.search(body, start, len(body) if end is None else end)
    return (m.start(), m.end()) if m else None


def dedupe(citations: Iterable[Citation]) -> list[Citation]:
    """Citations in first-seen order, one per ``(article, span)``."""
    seen: dict[tuple[str, int, int], Citation] = {}
    for c in citations:
        seen.setdefault((c.article_id, c.start, c.end), c)
    return list(seen.values())
