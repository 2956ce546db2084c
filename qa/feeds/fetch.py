"""A polite, guarded HTTP fetcher for feeds and article pages (httpx).

Polite: a clear User-Agent; robots.txt honoured (``urllib.robotparser``, cached per host for ``QA_ROBOTS_TTL_S``);
at most ``QA_FETCH_HOST_CONCURRENCY`` requests in flight to one host (host and port), their starts at least
``QA_FETCH_HOST_DELAY_S`` apart; conditional GET (ETag, If-Modified-Since) for feeds; retries with exponential backoff
on 429, 5xx and failed connections, waiting what Retry-After asks when it says (up to ``QA_FETCH_MAX_RETRY_AFTER_S``).

Safe: every hop of a redirect chain (at most ``QA_FETCH_MAX_REDIRECTS``) passes the SSRF guard (:mod:`qa.feeds.guard`)
before it is requested, and the address connected to is checked before the body is read; bodies are streamed and
cut off at ``QA_FETCH_MAX_BYTES``; a response must arrive within the connect/read timeouts and finish within
``QA_FETCH_DEADLINE_S``; a page must be HTML and a feed XML (by Content-Type).
"""

from __future__ import annotations

import email.utils
import threading
import time
import urllib.robotparser
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from qa.config import Settings
from qa.errors import QAError
from qa.feeds.guard import AllowList, FetchFailed, FetchRefused, Guard, GuardedBackend

Kind = Literal["feed", "page", "robots"]
_REDIRECTS = (301, 302, 303, 307, 308)
_CONTENT_TYPES: dict[Kind, tuple[str, ...]] = {
    "feed": ("xml", "rss", "atom", "rdf", "text/plain"),
    "page": ("text/html", "application/xhtml+xml"),
    "robots": (),  # any
}


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    status: int
    content: bytes
    content_type: str
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def text(self) -> str:
        """The body as text: the charset the server declared, else detected (:func:`qa.articles.decode_text`)."""
        from qa.articles import decode_text

        charset = _param(self.content_type, "charset")
        if charset:
            try:
                return self.content.decode(charset)
            except (LookupError, UnicodeDecodeError):
                pass
        return decode_text(self.content, self.url)[0]


def _param(content_type: str, name: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == name:
            return value.strip().strip('"') or None
    return None


class _Retry(Exception):
    def __init__(self, detail: str, retry_after: float | None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class HostGate:
    """One host's share of politeness: a cap on requests in flight and a least delay between their starts."""

    def __init__(self, concurrency: int, delay_s: float) -> None:
        self._slots = threading.BoundedSemaphore(concurrency)
        self._lock = threading.Lock()
        self._next = 0.0
        self.delay_s = delay_s

    @contextmanager
    def turn(self) -> Iterator[None]:
        with self._slots:
            with self._lock:
                now = time.monotonic()
                start = max(now, self._next)
                self._next = start + self.delay_s
            if start > now:
                time.sleep(start - now)
            yield


class Fetcher:
    """Thread-safe: one per process (or per poll), shared by the page workers."""

    def __init__(self, settings: Settings) -> None:
        self.s = settings
        self.guard = Guard(AllowList.parse(settings.fetch_allow_hosts))
        timeout = httpx.Timeout(
            connect=settings.fetch_connect_timeout_s,
            read=settings.fetch_read_timeout_s,
            write=settings.fetch_read_timeout_s,
            pool=settings.fetch_deadline_s,
        )
        transport = httpx.HTTPTransport(trust_env=False)
        # httpx has no public way to give its pool a network backend; the pool is rebuilt with the guarded one,
        # keeping httpx's TLS context (httpx and httpcore are pinned; tests/test_feeds.py shows it in effect).
        transport._pool = httpcore.ConnectionPool(
            ssl_context=transport._pool._ssl_context,
            max_connections=settings.fetch_workers * 2 + 4,
            network_backend=GuardedBackend(self.guard),
        )
        self.client = httpx.Client(
            transport=transport,
            timeout=timeout,
            follow_redirects=False,  # followed by hand: every hop goes through the guard
            headers={"User-Agent": settings.fetch_user_agent},
            trust_env=False,  # no proxy from the environment: the guard must see where requests go
        )
        self._gates: dict[str, HostGate] = {}
        self._robots: dict[str, tuple[urllib.robotparser.RobotFileParser | None, float]] = {}
        self._robots_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self.client.close()

    # --- public -----------------------------------------------------------------------------------------
    def get(self, url: str, kind: Kind, etag: str | None = None, last_modified: str | None = None) -> Fetched:
        """GET with retries; raises :class:`FetchFailed` (``.permanent`` when retrying later will not help)."""
        attempt = 0
        while True:
            try:
                return self._follow(url, kind, etag, last_modified)
            except _Retry as exc:
                if attempt >= self.s.fetch_retries:
                    raise FetchFailed(f"{exc.detail}, {attempt + 1} attempts") from None
                wait = exc.retry_after if exc.retry_after is not None else self.s.fetch_backoff_s * 2**attempt
                if wait > self.s.fetch_max_retry_after_s:
                    raise FetchFailed(f"{exc.detail}; asked to wait {wait:.0f}s, longer than allowed") from None
                time.sleep(wait)
                attempt += 1

    # --- one request, redirects followed ----------------------------------------------------------------
    def _follow(self, url: str, kind: Kind, etag: str | None, last_modified: str | None) -> Fetched:
        for _hop in range(self.s.fetch_max_redirects + 1):
            self.guard.check_url(url)
            if kind != "robots" and not self.allowed_by_robots(url):
                raise FetchRefused(f"robots.txt of {urlsplit(url).netloc} disallows {url}")
            headers = {"Accept": _accept(kind)}
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
            with self._gate(url).turn():
                result = self._request(url, kind, headers)
            if isinstance(result, Fetched):
                return result
            url = result
        raise FetchRefused(f"more than {self.s.fetch_max_redirects} redirects, at {url}")

    def _request(self, url: str, kind: Kind, headers: dict[str, str]) -> Fetched | str:
        """The response, or the next URL of a redirect."""
        host = urlsplit(url).hostname or ""
        deadline = time.monotonic() + self.s.fetch_deadline_s
        try:
            with self.client.stream("GET", url, headers=headers) as resp:
                stream = resp.extensions.get("network_stream")
                peer = stream.get_extra_info("server_addr") if stream is not None else None
                self.guard.check_peer(host, peer[0] if peer else None)
                if resp.status_code in _REDIRECTS:
                    location = resp.headers.get("location")
                    if not location:
                        raise FetchFailed(f"{url}: HTTP {resp.status_code} without a Location", permanent=True)
                    return urljoin(url, location)
                if resp.status_code == 304:
                    return Fetched(url, 304, b"", "", resp.headers.get("etag"), resp.headers.get("last-modified"))
                if resp.status_code == 429 or resp.status_code >= 500:
                    raise _Retry(f"{url}: HTTP {resp.status_code}", retry_after(resp.headers.get("retry-after")))
                if resp.status_code >= 400:
                    failed = FetchFailed(f"{url}: HTTP {resp.status_code}", permanent=True)
                    failed.http_status = resp.status_code  # type: ignore[attr-defined]
                    raise failed
                content_type = resp.headers.get("content-type", "")
                self._check_type(url, kind, content_type)
                body = self._read(url, resp, deadline)
                return Fetched(
                    str(resp.url),
                    resp.status_code,
                    body,
                    content_type,
                    resp.headers.get("etag"),
                    resp.headers.get("last-modified"),
                )
        except httpx.TimeoutException as exc:
            raise FetchFailed(f"{url}: timed out ({type(exc).__name__})") from None
        except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError) as exc:
            raise _Retry(f"{url}: {type(exc).__name__}: {exc}", None) from None
        except httpx.HTTPError as exc:
            raise FetchFailed(f"{url}: {type(exc).__name__}: {exc}") from None

    def _check_type(self, url: str, kind: Kind, content_type: str) -> None:
        wanted = _CONTENT_TYPES[kind]
        media = content_type.split(";")[0].strip().lower()
        if wanted and media and not any(w in media for w in wanted):
            raise FetchRefused(f"{url}: content type {media!r} is not {'a feed' if kind == 'feed' else 'a web page'}")

    def _read(self, url: str, resp: httpx.Response, deadline: float) -> bytes:
        cap = self.s.fetch_max_bytes
        declared = resp.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > cap:
            raise FetchRefused(f"{url}: {declared} bytes, over the limit of {cap} (QA_FETCH_MAX_BYTES)")
        parts: list[bytes] = []
        size = 0
        for chunk in resp.iter_bytes():
            size += len(chunk)
            if size > cap:
                raise FetchRefused(f"{url}: larger than the limit of {cap} bytes (QA_FETCH_MAX_BYTES)")
            if time.monotonic() > deadline:
                raise FetchFailed(f"{url}: took longer than {self.s.fetch_deadline_s:g}s (QA_FETCH_DEADLINE_S)")
            parts.append(chunk)
        return b"".join(parts)

    def _gate(self, url: str) -> HostGate:
        key = urlsplit(url).netloc.lower()
        with self._lock:
            gate = self._gates.get(key)
            if gate is None:
                gate = self._gates[key] = HostGate(self.s.fetch_host_concurrency, self.s.fetch_host_delay_s)
            return gate

    # --- robots.txt -------------------------------------------------------------------------------------
    def allowed_by_robots(self, url: str) -> bool:
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc.lower()}"
        with self._lock:
            lock = self._robots_locks.setdefault(key, threading.Lock())
        with lock:  # one fetch of a host's robots.txt at a time
            parser, fetched_at = self._robots.get(key, (None, -1.0))
            if fetched_at < 0 or time.monotonic() - fetched_at > self.s.robots_ttl_s:
                parser = self._load_robots(key)
                self._robots[key] = (parser, time.monotonic())
        return parser is None or parser.can_fetch(self.s.fetch_user_agent, url)

    def _load_robots(self, origin: str) -> urllib.robotparser.RobotFileParser | None:
        """The host's rules; None (everything allowed) when it has no robots.txt or it can't be read. A 401 or
        403 for robots.txt means the whole site is off limits, as ``urllib.robotparser`` reads it."""
        parser = urllib.robotparser.RobotFileParser(origin + "/robots.txt")
        try:
            fetched = self.get(origin + "/robots.txt", "robots")
        except FetchFailed as exc:
            if getattr(exc, "http_status", None) in (401, 403):
                parser.disallow_all = True
                return parser
            return None
        try:
            lines = fetched.text().splitlines()
        except QAError:  # not text at all: no rules can be read from it
            return None
        parser.parse(lines)
        return parser


def _accept(kind: Kind) -> str:
    if kind == "feed":
        return "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"
    if kind == "page":
        return "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
    return "text/plain, */*;q=0.1"
