"""A local news site for the feed tests: a real HTTP server on 127.0.0.1 (a thread of the test process) that serves
RSS and Atom feeds and article pages, with the misbehaviours a feed reader meets (404, 429 with Retry-After, a slow
page, an oversized page, redirects to private addresses, a paywall, robots.txt rules). Every request is logged.

The article texts are written for these tests: invented towns and events, no evaluation data.
"""

from __future__ import annotations

import hashlib
import html
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# --- article texts -----------------------------------------------------------------------------------------------
WIRE_STORY = [
    "Engineers in the river town of Marrowby finished testing a floating footbridge on Thursday after three weeks "
    "of trials on the swollen Tessel river.",
    "The bridge, built from recycled steel pontoons, carried a load of forty tonnes during the final test without "
    "measurable sagging, according to the county transport office.",
    "Local shop owners said the crossing would cut the walk between the market square and the rail station from "
    "twenty minutes to five.",
    "The county plans to open the bridge to pedestrians at the start of next month, once handrails and lighting "
    "have been installed along its full length.",
    "A spokesperson for the transport office said the design could be reused for two other crossings that were "
    "washed away in last winter's floods.",
]
LOCAL_STORIES = {
    "orchard": [
        "The Fennick valley apple cooperative reported its largest harvest in a decade, picking more than nine "
        "hundred tonnes of fruit across its forty member farms.",
        "Growers credited a mild spring without late frost and a new irrigation scheme that was installed with a "
        "regional grant two years ago.",
        "The cooperative said it would sell the surplus to a juice plant in Harlow and donate part of it to food banks "
        "in the valley towns.",
        "Prices at the farm gate are expected to fall slightly, the cooperative's chair told members at their "
        "annual meeting on Monday evening.",
    ],
    "library": [
        "The public library in Quillmouth reopened on Saturday after an eighteen-month renovation that added a "
        "children's wing and a rooftop reading garden.",
        "More than two thousand visitors came through the doors on the first day, according to the head librarian, "
        "who said the queue stretched around the block.",
        "The renovation was paid for by a municipal bond approved by voters in a referendum and by a gift from a "
        "local printing firm that closed last year.",
        "The library will now stay open until nine in the evening on weekdays, two hours later than before the "
        "works began.",
    ],
    "ferry": [
        "A new electric ferry began service between Dunmere harbour and the island of Skell on Tuesday, replacing a "
        "diesel vessel that had run the route for thirty years.",
        "The ferry charges its batteries at the harbour during a twelve-minute stop and can make the crossing eight "
        "times a day, the operator said in a statement.",
        "Island residents had campaigned for a quieter boat for years, and several of them rode the first crossing "
        "waving flags from the upper deck.",
        "The operator expects fuel savings to cover the cost of the batteries within six years of service.",
    ],
    "undated": [
        "Volunteers in the hill village of Carrow planted four hundred oak saplings along the old drovers' road "
        "over the weekend as part of a plan to restore its hedgerows.",
        "The saplings were grown from acorns gathered in the village last autumn by pupils of the primary school, "
        "who helped with the planting on Sunday morning.",
        "Organisers said a second planting day is planned for the spring, when the ground is softer and the "
        "weather is usually milder than in late autumn.",
        "The parish council has agreed to water the young trees during their first summer if the season is dry.",
    ],
    "slowpoke": [
        "Road crews in the market town of Elbridge resurfaced the main street overnight so that shops could stay "
        "open during the day, the town council said on Wednesday.",
        "The work took four nights and used a quieter asphalt mix that the council says should reduce traffic noise "
        "for people living above the shops.",
        "Residents were offered free parking at the leisure centre while the street was closed to cars at night.",
    ],
    "ratelimited": [
        "The observatory on Brannock Hill recorded its clearest night of the year on Friday, letting visitors see "
        "the rings of Saturn through the main telescope.",
        "More than three hundred people booked places for the open evening, the most since the observatory was "
        "restored by a volunteer society in the nineties.",
        "The society said it would add two more open evenings in the autumn because of the demand for tickets.",
    ],
}
CORRECTION = (
    "An earlier version of this article gave the wrong opening hours; the library now closes at nine in the evening."
)
PAYWALL = [
    "Subscribe to continue reading.",
    "You have reached your limit of free articles this month.",
    "Subscribe now for unlimited access to all our journalism for just $1 a week, cancel anytime.",
    "Already a subscriber? Sign in to your account to continue.",
]


def article_html(title: str, paragraphs: list[str], *, outlet: str, published: str | None = None) -> str:
    """An article page with the outlet's own furniture (menu, share buttons, related links, footer) around it."""
    meta = f'<meta property="article:published_time" content="{published}">' if published else ""
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    menu = "".join(f"<li><a href='/{s}'>{s.title()}</a></li>" for s in ("news", "sport", "weather", outlet.lower()))
    related = "".join(f"<li><a href='/r{n}'>More from {html.escape(outlet)} number {n}</a></li>" for n in range(4))
    return f"""<!doctype html><html><head><title>{html.escape(title)} | {html.escape(outlet)}</title>{meta}</head>
<body><header><nav><ul>{menu}</ul></nav></header>
<main><article><h1>{html.escape(title)}</h1><p class="byline">By staff of {html.escape(outlet)}</p>
{body}
<p>Share this article</p></article></main>
<aside><h2>Related stories</h2><ul>{related}</ul></aside>
<footer><p>Copyright {html.escape(outlet)}. All rights reserved.</p></footer></body></html>"""


def _element(tag: str, value: str | None, attributes: str = "") -> str:
    """``<tag attributes>value</tag>``, or nothing when the item has no value for it."""
    return f"<{tag}{attributes}>{value}</{tag}>" if value else ""


def rss(title: str, base: str, items: list[dict[str, str | None]]) -> str:
    parts = []
    for it in items:
        date = _element("pubDate", it.get("date"))
        guid = _element("guid", it.get("guid"), ' isPermaLink="false"')
        parts.append(
            f"<item><title>{html.escape(str(it['title']))}</title><link>{base}{it['path']}</link>{guid}{date}</item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{html.escape(title)}</title>'
        f"<link>{base}/</link><description>news</description>{''.join(parts)}</channel></rss>"
    )


def atom(title: str, base: str, items: list[dict[str, str | None]]) -> str:
    parts = []
    for it in items:
        updated = _element("updated", it.get("updated"))
        published = _element("published", it.get("published"))
        parts.append(
            f"<entry><title>{html.escape(str(it['title']))}</title><id>{base}{it['path']}</id>"
            f'<link rel="alternate" href="{base}{it["path"]}"/>{published}{updated}'
            "<author><name>Desk Reporter</name></author></entry>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{html.escape(title)}</title><id>{base}/atom</id><updated>2025-05-02T10:00:00Z</updated>"
        f"{''.join(parts)}</feed>"
    )


# --- the server --------------------------------------------------------------------------------------------------
@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    etag: bool = False  # answer 304 to a matching If-None-Match
    # Called with the number of earlier requests for this path; returns the Route to answer with (e.g. 429 first).
    dynamic: Callable[[int], Route] | None = None
    stream_bytes: int = 0  # send this many bytes of filler instead of body, without a Content-Length


@dataclass
class Hit:
    path: str
    at: float
    headers: dict[str, str]
    status: int


class Site:
    """Routes by path; ``site.url(path)``; ``site.hits`` lists every request answered."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                site._answer(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def page_hits(self, path: str) -> list[Hit]:
        with self._lock:
            return [h for h in self.hits if h.path == path]

    def _answer(self, req: BaseHTTPRequestHandler) -> None:
        path = req.path
        with self._lock:
            route = self.routes.get(path)
            n = sum(1 for h in self.hits if h.path == path)
        if route is not None and route.dynamic is not None:
            route = route.dynamic(n)
        if route is None:
            route = Route(b"not found", status=404, content_type="text/plain")
        status, body = route.status, route.body
        headers = {"Content-Type": route.content_type, **route.headers}
        if route.etag:
            tag = '"' + hashlib.sha1(body).hexdigest()[:12] + '"'
            headers["ETag"] = tag
            if req.headers.get("If-None-Match") == tag:
                status, body = 304, b""
        with self._lock:  # logged when it arrives
            self.hits.append(Hit(path, time.monotonic(), dict(req.headers), status))
        if route.delay_s:
            time.sleep(route.delay_s)
        try:
            req.send_response(status)
            for k, v in headers.items():
                req.send_header(k, v)
            if route.stream_bytes:
                req.send_header("Connection", "close")
                req.end_headers()
                chunk = b"<p>" + b"x" * 65_530 + b"</p>"
                sent = 0
                while sent < route.stream_bytes:
                    req.wfile.write(chunk)
                    sent += len(chunk)
                return
            req.send_header("Content-Length", str(len(body)))
            req.end_headers()
            if status != 304:
                req.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    @contextmanager
    def running(self) -> Iterator[Site]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()


def page(title: str, paragraphs: list[str], outlet: str, published: str | None = None) -> Route:
    return Route(article_html(title, paragraphs, outlet=outlet, published=published).encode("utf-8"))


def xml(text: str, etag: bool = True) -> Route:
    return Route(text.encode("utf-8"), content_type="application/rss+xml; charset=utf-8", etag=etag)
