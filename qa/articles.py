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
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import ValidationError

from qa.errors import InvalidInput, NotArticleText, UnsupportedType
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
# YAML front matter: a "---" line first, then the YAML, then a "---" (or "...") line.
_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\n(.*?)\n?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
MAX_FRONT_MATTER_CHARS = 20_000
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe", "utf-16-le"))
_BOMS += ((b"\xfe\xff", "utf-16-be"),)
_KEY_LINE = re.compile(r"^(published|date|source|url|authors?|by|id)\s*:\s*(.+)$", re.IGNORECASE)

# Field names accepted in JSON records (first match wins), covering common news dumps.
_FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "article_id", "doc_id"),
    "title": ("title", "headline"),
    "body": ("body", "text", "content", "article", "maintext"),
    "published_at": ("published_at", "published", "date", "publish_date", "published_date", "pub_date"),
    "source": ("source", "source_name", "outlet", "publisher"),
    "url": ("url", "link", "canonical_url", "canonical"),
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


# Query parameters that say where a click came from, not which page it is.
_TRACKING_PARAM = re.compile(
    r"^(?:utm_\w+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|mc_cid|mc_eid|igshid|_ga|_gl|ref_src|cmpid|ocid|"
    r"s_cid|icid|ito|smid|sr_share|__twitter_impression)$",
    re.IGNORECASE,
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str | None) -> str | None:
    """One spelling per web page, so that the same page is the same article: scheme and host in lower case, no
    default port, no user info, no fragment, no tracking parameters (``utm_*``, ``fbclid``, ...), the other
    query parameters sorted, no trailing slash. Anything that is not an http(s) URL is kept as given (trimmed)."""
    if url is None or not url.strip():
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return url
    netloc = parts.hostname.lower() + (f":{port}" if port and port != _DEFAULT_PORTS[scheme] else "")
    path = parts.path.rstrip("/") or "/"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING_PARAM.match(k)]
    return urlunsplit((scheme, netloc, path, urlencode(sorted(query)), ""))


def article_identity(record: ArticleIn, title: str | None = None) -> str:
    """What makes two uploads one article, so that a corrected or re-fetched version updates it instead of
    adding a second one: the id given; else the canonical URL; else source, title and date together (the date
    keeps apart recurring titles such as a daily briefing). ``title`` is the record's title after cleaning (the
    first line when none was given; worked out here when not passed). The content hash, not this, tells whether
    anything changed."""
    if record.id:
        return f"id:{record.id}"
    url = canonical_url(record.url)
    if url:
        return f"url:{url}"
    if title is None:
        title = normalize_record(record)[0]
    parts = [
        (record.source or "").strip().casefold(),
        " ".join(title.casefold().split()),
        str(record.published_at or ""),
    ]
    return "title:" + json.dumps(parts, ensure_ascii=False)


def article_id_for(record: ArticleIn, title: str | None = None) -> str:
    """The given id, else a stable id derived from :func:`article_identity`."""
    if record.id:
        return record.id
    return hashlib.sha256(article_identity(record, title).encode("utf-8")).hexdigest()[:16]


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
    return make_record(title=title, body="\n".join(lines[idx:]), published_at=published)


def front_matter(text: str) -> tuple[dict[str, Any], str]:
    """YAML front matter (``---`` lines around it, at the very top) as a mapping, and the text after it."""
    match = _FRONT_MATTER.match(text)
    if match is None:
        return {}, text
    import yaml

    if len(match.group(1)) > MAX_FRONT_MATTER_CHARS:
        raise InvalidInput(f"front matter is longer than {MAX_FRONT_MATTER_CHARS} characters")
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        raise InvalidInput(f"front matter is not valid YAML ({str(exc).splitlines()[0]})") from exc
    except RecursionError as exc:
        raise InvalidInput("front matter is nested too deeply") from exc
    except (ValueError, OverflowError) as exc:  # a value YAML can't build: a 5,000-digit integer, 2025-02-30
        raise InvalidInput(f"front matter has a value that can't be read ({exc})") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidInput("front matter must be a mapping of fields (title: ..., date: ...)")
    return {str(k).lower(): v for k, v in data.items()}, text[match.end() :]


def parse_markdown(text: str) -> ArticleIn:
    fields, text = front_matter(text.replace("\r\n", "\n"))
    meta_fields = metadata_fields(fields)
    lines = text.split("\n")
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
    header_fields = {
        "title": title,
        "published_at": parse_date(meta.get("published") or meta.get("date")),
        "source": meta.get("source"),
        "url": meta.get("url"),
        "authors": [a.strip() for a in authors.split(",")] if authors else [],
        "id": meta.get("id"),
    }
    # Front matter wins over key lines and the first heading.
    return make_record(**{**header_fields, **meta_fields, "body": body})


def parse_html(html: str, url: str | None = None) -> ArticleIn:
    import trafilatura

    doc = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        favor_precision=True,
        # Only dates the page states for the article (meta tags, <time>, the URL): no "extensive search", which
        # takes a footer's "© 2025" for 2025-01-01. No date is better than a wrong one.
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if doc is None:
        raise NotArticleText("not article text: the page has no text to extract (a script-only or empty page?)")
    data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    text = data.get("text") or ""
    title = data.get("title")
    if title and text.startswith(title):
        text = text[len(title) :]
    if not text.strip():
        raise NotArticleText("not article text: the page has no text besides its title (a navigation page?)")
    author = data.get("author")
    return make_record(
        title=title,
        body=text,
        published_at=parse_date(data.get("date")),
        source=data.get("sitename") or data.get("hostname"),
        url=data.get("url") or url,
        authors=[a.strip() for a in author.split(";")] if author else [],
    )


def make_record(**fields: Any) -> ArticleIn:
    """An :class:`ArticleIn` from parsed fields; a field out of bounds or invalid is the input's fault (422)."""
    try:
        return ArticleIn(**fields)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(part) for part in err["loc"])
        raise InvalidInput(f"invalid article {where}: {err['msg']}") from exc


def _scalar(value: Any, field: str) -> str | None:
    """A JSON field that must be one text (numbers are taken as their digits)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise InvalidInput(f"article field {field!r} must be a string")


def metadata_fields(obj: dict[str, Any]) -> dict[str, Any]:
    """The article fields of a JSON record or a front-matter mapping, by their usual names (see
    ``_FIELD_ALIASES``), each checked for type: one text for id, title, source, url and date; a text or a list of
    texts for authors. The body is not looked at here."""
    data: dict[str, Any] = {}
    for field, aliases in _FIELD_ALIASES.items():
        if field == "body":
            continue
        for alias in aliases:
            if obj.get(alias) not in (None, ""):
                data[field] = obj[alias]
                break
    for field in ("id", "title", "source", "url"):
        if field in data:
            data[field] = _scalar(data[field], field)
    if "published_at" in data:
        value = data["published_at"]
        data["published_at"] = parse_date(value if isinstance(value, dt.date) else _scalar(value, "published_at"))
    authors = data.get("authors")
    if isinstance(authors, str):
        data["authors"] = [a.strip() for a in re.split(r",| and ", authors) if a.strip()]
    elif authors is not None and not (isinstance(authors, list) and all(isinstance(a, str) for a in authors)):
        raise InvalidInput("article field 'authors' must be a string or a list of strings")
    return data


def record_from_mapping(obj: Any) -> ArticleIn:
    """A JSON object → ArticleIn, accepting the usual field-name variants."""
    if not isinstance(obj, dict):
        raise InvalidInput("each article must be a JSON object")
    body = next((obj[a] for a in _FIELD_ALIASES["body"] if obj.get(a) not in (None, "")), None)
    if not isinstance(body, str):
        raise InvalidInput("article has no text: one of body/text/content is required and must be a string")
    return make_record(**metadata_fields(obj), body=body)


def load_json(text: str) -> Any:
    """``json.loads``, with every way untrusted text can fail it as a 422: syntax, nesting deeper than Python's
    recursion limit, and integers longer than its int-to-string limit (4,300 digits)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"invalid JSON ({exc.msg})") from exc
    except RecursionError as exc:
        raise InvalidInput("invalid JSON: nested too deeply") from exc
    except ValueError as exc:  # e.g. "Exceeds the limit (4300 digits) for integer string conversion"
        raise InvalidInput(f"invalid JSON: {exc}") from exc


def parse_json_text(text: str, jsonl: bool) -> Iterator[ArticleIn]:
    if jsonl:
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    obj = load_json(line)
                    yield record_from_mapping(obj)
                except InvalidInput as exc:
                    raise InvalidInput(f"line {n}: {exc.detail}") from exc
        return
    obj = load_json(text)
    if isinstance(obj, dict) and isinstance(obj.get("articles"), list):
        obj = obj["articles"]
    for item in obj if isinstance(obj, list) else [obj]:
        yield record_from_mapping(item)


def decode_text(data: bytes, name: str) -> tuple[str, str | None]:
    """The file's text, and the encoding that was assumed when it was not UTF-8 (None for UTF-8).

    UTF-8 (with or without a BOM) is tried first; UTF-16/32 are recognised by their BOM; anything else is detected
    by charset-normalizer (a Latin-1 or Windows-1252 file, say). Bytes no text encoding explains are refused."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec), codec
            except UnicodeDecodeError as exc:
                raise InvalidInput(f"{name}: starts with a {codec} byte-order mark but is not {codec}") from exc
    if b"\x00" in data[:8192]:
        raise UnsupportedType(f"{name}: binary data, not text")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise InvalidInput(f"{name}: not valid UTF-8 (byte {first_bad}), and no other text encoding fits")
    return str(best), best.encoding


def parse_bytes(data: bytes, name: str) -> list[ArticleIn]:
    """Parse one file's content by its suffix."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedType(f"{name}: unsupported file type {suffix or '(none)'}; use one of {SUPPORTED_SUFFIXES}")
    text, encoding = decode_text(data, name)
    if suffix in (".json", ".jsonl"):
        records = list(parse_json_text(text, jsonl=suffix == ".jsonl"))
    elif suffix in (".html", ".htm"):
        records = [parse_html(text)]
    elif suffix == ".md":
        records = [parse_markdown(text)]
    else:
        records = [parse_plain_text(text)]
    for record in records:
        record._encoding = encoding
    return records


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files under the given paths (folders recursively, sorted), supported suffixes only."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in SUPPORTED_SUFFIXES and not child.name.startswith("."):
                    yield child
        else:
            yield path
