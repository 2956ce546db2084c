"""Screenshots of the web page for the README: ``python -m tests.web_screenshots [DIR]`` (default ``docs/``).

Starts a real ``qa serve --load-demo`` in a temporary folder and drives Debian's chromium, like the browser tests.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.browser import chromium_context, missing_browser
from tests.paths import ROOT
from tests.servers import qa_server

QUESTION = "How many home batteries did Voltmere recall?"
TOPIC = "Port Calder tidal barrier"


def take(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    shots = []
    with (
        tempfile.TemporaryDirectory(prefix="qa-shots-") as tmp,
        qa_server(Path(tmp) / "data", "--load-demo") as base,
        chromium_context(viewport={"width": 1280, "height": 760}) as browser,
    ):
        page = browser.new_page()
        page.goto(base + "/")
        page.fill("#question", QUESTION)
        page.press("#question", "Enter")
        page.locator("#answer .chip").nth(1).click()
        page.wait_for_selector("#reader-body mark.current")
        page.evaluate("window.scrollTo(0, 0)")
        shots.append(out / "web-ask.png")
        page.screenshot(path=shots[-1])

        page.click("#reader-close")
        page.click('a[data-view="articles"]')
        page.wait_for_selector("#article-list .article")
        page.locator("#article-list .article input[type=checkbox]").nth(2).check()
        shots.append(out / "web-articles.png")
        page.screenshot(path=shots[-1])

        page.click('a[data-view="briefings"]')
        page.fill("#briefing-form input[name=topic]", TOPIC)
        page.click("#brief-button")
        page.locator("#briefing .chip").nth(1).click()
        page.wait_for_selector("#reader-body mark.current")
        page.evaluate("window.scrollTo(0, 0)")
        shots.append(out / "web-briefing.png")
        page.screenshot(path=shots[-1])

        page.set_viewport_size({"width": 375, "height": 740})
        page.click("#reader-close")
        page.click('a[data-view="ask"]')
        page.evaluate("window.scrollTo(0, 0)")
        shots.append(out / "web-phone.png")
        page.screenshot(path=shots[-1])
    return shots


def main() -> None:
    missing = missing_browser()
    if missing:
        sys.exit(f"cannot take screenshots: {missing}")
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs"
    for path in take(out):
        print(path)


if __name__ == "__main__":
    main()
