"""Parse article files and records into :class:`ArticleIn`, and clean bodies into the text we store.

Formats: ``.txt`` (optional date line and title line first), ``.md`` (``# Title`` + ``Key: value`` lines),
``.html`` (main text extracted by trafilatura), ``.json`` (object, list, or ``{"articles": [...]}``) and
``.jsonl``. Cleaning removes page boilerplate lines without touching article sentences.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from qa.errors import InvalidInput, UnsupportedType
from qa.injection import clean_title, strip_html_comments
from qa.models import ArticleIn

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".json", ".jsonl")

# Whole lines that are page furniture, never article text.
_BOILERPLATE_LINE = re.compile(
    r"""^(?:
        source:\s*read\s+full\s+article
      | read\s+(?:the\s+)?full\s+(?:article|story)(?:\s+here)?
      | (?:share|tweet|email|print|pin)(?:\s+(?:this|on\s+\w+|via\s+\w+|article|story))*
      | share\s+(?:on|via)\s+[\w ,]+
      | advertisement | ad | sponsored(?:\s+content)?
      | (?:sign\s+up|subscribe)\b.{0,80}\b(?:newsletter|updates|email|inbox|alerts)\b.{0,40}
      | (?:follow|like)\s+us\s+on\b.{0,60}
      | click\s+here\b.{0,80}
      | (?:photo|image)\s*(?:credit)?:\s*.{0,80}
      | copyright\b.{0,120} | ©.{0,120} | all\s+rights\s+reserved\.?
      | skip\s+to\s+(?:main\s+)?content
      | (?:read|see)\s+(?:more|also):?.{0,120}
    )[.!:]*$""",
    re.IGNORECASE | re.VERBOSE,
)
# A heading after which the rest of the page is link lists, not the article.
_TRAILER_HEADING = re.compile(
    r"^(?:related\s+(?:posts?|articles?|stories|coverage|content)|more\s+(?:from|on)\b.{0,60}|"
    r"recommended(?:\s+for\s+you)?|you\s+may\s+also\s+like|most\s+read|trending(?:\s+now)?):?$",
    re.IGNORECASE,
)
_DATE_FORMATS = (
    "%A, %d %b %Y",
    "%A, %d %B %Y",
    "%d %b %Y",
    "%d %B %Y",
    "%B %d, %Y",
    "%b %d, %Y",
    "%A, %B %d, %Y",
    "%A, %b %d, %Y",
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%Y/%m/%d",
)
_KEY_LINE = re.compile(r"^(published|date|source|url|authors?|by|id)\s*:\s*(.+)$", re.IGNORECASE)

# Field names accepted in JSON records (first match wins), covering common news dumps.
_FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "article_id", "doc_id"),
    "title": ("title", "headline"),
    "body": ("body", "text", "content", "article", "maintext"),
    "published_at": ("published_at", "published", "date", "publish_date", "published_date", "pub_date"),
    "source": ("source", "source_name", "outlet", "publisher"),
    "url": ("url", "link"),
    "authors": ("authors", "author", "byline"),
}


def parse_date(value: Any) -> dt.date | None:
    """Dates as news dumps write them (ISO timestamps, '21 Apr 2024', 'Sunday, 21 Apr 2024'); else None."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    iso = re.match(r"^(\d{4}-\d{2}-\d{2})(?:[T ].*)?$", text)
    if iso:
        try:
            return dt.date.fromisoformat(iso.group(1))
        except ValueError:
            return None
    text = re.sub(r"\s+", " ", text.replace("Sept ", "Sep "))
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def clean_body(text: str) -> str:
    """Normalise whitespace and drop boilerplate lines; keeps paragraphs separated by one blank line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").replace("\ufeff", "")
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text)
    text = strip_html_comments(text)  # hidden notes are never article text (and a favourite injection vector)
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n")]
    kept: list[str] = []
    n_content = sum(1 for line in lines if line)
    seen = 0
    for line in lines:
        if line:
            seen += 1
            # A "Related Posts" heading in the last third of the page starts the link lists.
            if _TRAILER_HEADING.match(line) and seen > n_content * 2 / 3:
                break
            if len(line) <= 160 and _BOILERPLATE_LINE.match(line):
                continue
        kept.append(line)
    body = "\n".join(kept)
    return re.sub(r"\n{3,}", "\n\n", body).strip()


def article_id_for(record: ArticleIn) -> str:
    """A stable id: the given one, else a hash of the URL (same page → same article), else of the text."""
    if record.id:
        return record.id
    key = f"url:{record.url.strip()}" if record.url else f"text:{(record.title or '').strip()}\n{record.body.strip()}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def content_hash(title: str, body: str, record: ArticleIn) -> str:
    payload = json.dumps(
        [title, body, str(record.published_at or ""), record.source or "", record.url or "", record.authors],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def normalize_record(record: ArticleIn) -> tuple[str, str]:
    """(title, cleaned body) for a record: title falls back to the first line when missing, and a title addressed
    to a model (an injection) counts as missing (:func:`qa.injection.clean_title`)."""
    body = clean_body(record.body)
    title = clean_title(re.sub(r"\s+", " ", (record.title or "").strip()), body)
    return re.sub(r"\s+", " ", title), body


# --- formats ---------------------------------------------------------------------------------------


def parse_plain_text(text: str) -> ArticleIn:
    """Plain text: an optional date line, then an optional title line, then the body."""
    lines = text.replace("\r\n", "\n").split("\n")
    idx = 0

    def next_nonempty(i: int) -> int:
        while i < len(lines) and not lines[i].strip():
            i += 1
        return i

    idx = next_nonempty(idx)
    published = parse_date(lines[idx]) if idx < len(lines) else None
    if published is not None:
        idx = next_nonempty(idx + 1)
    title = None
    if idx < len(lines):
        candidate = lines[idx].strip()
        following = next_nonempty(idx + 1)
        # A title is short, has no sentence-final period and is followed by more text.
        if len(candidate) <= 200 and not candidate.endswith((".", "”", '"')) and following < len(lines):
            title = candidate
            idx = following
    return ArticleIn(title=title, body="\n".join(lines[idx:]), published_at=published)


def parse_markdown(text: str) -> ArticleIn:
    lines = text.replace("\r\n", "\n").split("\n")
    meta: dict[str, str] = {}
    title = None
    body_lines: list[str] = []
    header = True
    for line in lines:
        stripped = line.strip()
        if header and title is None and stripped.startswith("# "):
            title = stripped[2:].strip()
            continue
        m = _KEY_LINE.match(stripped) if header else None
        if m:
            meta[m.group(1).lower()] = m.group(2).strip()
            continue
        if header and not stripped:
            continue
        header = False
        body_lines.append(line)
    body = "\n".join(body_lines)
    body = re.sub(r"^#{1,6}\s+", "", body, flags=re.MULTILINE)  # sub-headings become plain lines
    body = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", body)  # images
    body = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", body)  # links keep their text
    body = re.sub(r"(\*\*|__|\*|_|`)(\S(?:.*?\S)?)\1", r"\2", body)  # emphasis
    authors = meta.get("authors") or meta.get("author") or meta.get("by")
    return ArticleIn(
        title=title,
        body=body,
        published_at=parse_date(meta.get("published") or meta.get("date")),
        source=meta.get("source"),
        url=meta.get("url"),
        authors=[a.strip() for a in authors.split(",")] if authors else [],
        id=meta.get("id"),
    )


def parse_html(html: str, url: str | None = None) -> ArticleIn:
    import trafilatura

    doc = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=False, favor_precision=True
    )
    if doc is None:
        raise InvalidInput("no article text found in the HTML")
    data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    text = data.get("text") or ""
    title = data.get("title")
    if title and text.startswith(title):
        text = text[len(title) :]
    author = data.get("author")
    return ArticleIn(
        title=title,
        body=text,
        published_at=parse_date(data.get("date")),
        source=data.get("sitename") or data.get("hostname"),
        url=data.get("url") or url,
        authors=[a.strip() for a in author.split(";")] if author else [],
    )


def record_from_mapping(obj: Any) -> ArticleIn:
    """A JSON object → ArticleIn, accepting the usual field-name variants."""
    if not isinstance(obj, dict):
        raise InvalidInput("each article must be a JSON object")
    data: dict[str, Any] = {}
    for field, aliases in _FIELD_ALIASES.items():
        for alias in aliases:
            if obj.get(alias) not in (None, ""):
                data[field] = obj[alias]
                break
    if "body" not in data or not isinstance(data["body"], str):
        raise InvalidInput("article has no text: one of body/text/content is required and must be a string")
    if isinstance(data.get("authors"), str):
        data["authors"] = [a.strip() for a in re.split(r",| and ", data["authors"]) if a.strip()]
    if "published_at" in data:
        data["published_at"] = parse_date(data["published_at"])
    if "id" in data:
        data["id"] = str(data["id"])
    try:
        return ArticleIn(**data)
    except ValidationError as exc:
        raise InvalidInput(f"invalid article record: {exc.errors()[0]['msg']}") from exc


def parse_json_text(text: str, jsonl: bool) -> Iterator[ArticleIn]:
    if jsonl:
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InvalidInput(f"line {n}: invalid JSON ({exc.msg})") from exc
                yield record_from_mapping(obj)
        return
    try:
        obj = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InvalidInput(f"invalid JSON: {getattr(exc, 'msg', 'nested too deeply')}") from exc
    if isinstance(obj, dict) and isinstance(obj.get("articles"), list):
        obj = obj["articles"]
    for item in obj if isinstance(obj, list) else [obj]:
        yield record_from_mapping(item)


def decode_utf8(data: bytes, name: str) -> str:
    if b"\x00" in data[:8192]:
        raise UnsupportedType(f"{name}: binary data, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{name}: not valid UTF-8 (byte {exc.start})") from exc


def parse_bytes(data: bytes, name: str) -> list[ArticleIn]:
    """Parse one file's content by its suffix."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedType(f"{name}: unsupported file type {suffix or '(none)'}; use one of {SUPPORTED_SUFFIXES}")
    text = decode_utf8(data, name)
    if suffix in (".json", ".jsonl"):
        return list(parse_json_text(text, jsonl=suffix == ".jsonl"))
    if suffix in (".html", ".htm"):
        return [parse_html(text)]
    if suffix == ".md":
        return [parse_markdown(text)]
    return [parse_plain_text(text)]


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files under the given paths (folders recursively, sorted), supported suffixes only."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in SUPPORTED_SUFFIXES and not child.name.startswith("."):
                    yield child
        else:
            yield path
