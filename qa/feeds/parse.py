"""Feed entries (``feedparser``: RSS 0.9x–2.0, RSS 1.0, Atom) and the article record of an entry's page.

An entry is known by its id (RSS ``guid``, Atom ``id``), else its link, and its version by its updated time. Its date is the entry's published date,
else its updated date, else the page's own (trafilatura reads only dates the page states); with none of them the
article has no date: a date is never invented (not the fetch time, not the feed's date).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from qa.articles import canonical_url, make_record, parse_html
from qa.errors import InvalidInput
from qa.models import MAX_AUTHOR_CHARS, MAX_AUTHORS, MAX_SOURCE_CHARS, MAX_TITLE_CHARS, ArticleIn


class MalformedFeed(InvalidInput):
    title = "Malformed feed"


@dataclass(frozen=True)
class Entry:
    key: str  # what the entry is marked seen by: its id (else link), plus its updated time when it states one
    link: str | None
    title: str | None = None
    published: dt.date | None = None
    authors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    entries: list[Entry]
    problem: str | None  # what was wrong with a feed that could still be read


def _date(value: Any) -> dt.date | None:
    if isinstance(value, time.struct_time):
        try:
            return dt.date(value.tm_year, value.tm_mon, value.tm_mday)
        except ValueError:
            return None
    return None


def _date_time(value: Any) -> str | None:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", value) if isinstance(value, time.struct_time) else None


def _authors(entry: Any) -> list[str]:
    names = [a.get("name") for a in entry.get("authors", []) if isinstance(a, dict) and a.get("name")]
    if not names and entry.get("author"):
        names = [entry.get("author")]
    return [str(n).strip()[:MAX_AUTHOR_CHARS] for n in names if str(n).strip()][:MAX_AUTHORS]


def parse_feed(content: bytes, url: str, max_entries: int, content_type: str = "application/xml") -> ParsedFeed:
    """The feed's entries in feed order (at most ``max_entries``). A document feedparser can't read as a feed at
    all raises :class:`MalformedFeed`; a feed with faults it could read past keeps its entries and the problem."""
    import feedparser

    # The response's Content-Type goes along: without one feedparser flags every feed as faulty.
    parsed = feedparser.parse(content, response_headers={"content-location": url, "content-type": content_type})
    problem = str(parsed.get("bozo_exception") or "") or None if parsed.get("bozo") else None
    if not parsed.entries and (problem or not parsed.get("version")):
        raise MalformedFeed(f"{url}: not a readable RSS or Atom feed ({problem or 'no feed elements'})")
    entries: list[Entry] = []
    seen: set[str] = set()
    for raw in parsed.entries[:max_entries]:
        link = raw.get("link")
        link = urljoin(url, link) if link else None
        key = str(raw.get("id") or "").strip() or canonical_url(link) or ""
        if not key:
            continue
        # A new <updated> time is a new version of the entry (a corrected article): fetched again, and stored
        # as an update of the same article (found by its URL).
        updated = _date_time(dict.get(raw, "updated_parsed"))  # not feedparser's fallback to the published time
        if updated is not None:
            key = f"{key} @ {updated}"
        if key in seen:
            continue
        seen.add(key)
        entries.append(
            Entry(
                key=key,
                link=link,
                title=(raw.get("title") or "").strip()[:MAX_TITLE_CHARS] or None,
                published=_date(dict.get(raw, "published_parsed")) or _date(dict.get(raw, "updated_parsed")),
                authors=_authors(raw),
            )
        )
    if problem and not entries:
        raise MalformedFeed(f"{url}: not a readable RSS or Atom feed ({problem}; no entry with an id or a link)")
    title = (parsed.feed.get("title") or "").strip()[:MAX_SOURCE_CHARS] or None
    return ParsedFeed(title=title, entries=entries, problem=problem)


def entry_record(entry: Entry, html: str, page_url: str, outlet: str | None) -> ArticleIn:
    """The article of an entry's page: the text and metadata trafilatura extracts (as for an HTML upload), with
    the entry's title, date and authors first (the feed states them for this article), the page's where the feed
    is silent. The source is the page's own site name when it states one, else the outlet (the feed's name).
    Raises :class:`qa.errors.NotArticleText` for a page with no text."""
    page = parse_html(html, url=page_url)
    parts = urlsplit(page_url)
    host = parts.hostname
    # trafilatura falls back to the host name when a page states no site name: that is not the outlet's name.
    site = page.source if page.source and page.source.lower() not in (host, parts.netloc.lower()) else None
    return make_record(
        title=entry.title or page.title,
        body=page.body,
        published_at=entry.published or page.published_at,
        source=(site or outlet or host or None),
        url=entry.link or page_url,
        authors=entry.authors or page.authors,
    )
