"""``qa feeds`` and ``qa brief --new-since/--feed`` as a user runs them, the background poller of ``qa serve``, and a
SIGKILL in the middle of ``qa feeds poll``: every article whole or absent, and the next poll completes."""

from __future__ import annotations

import gc
import json
import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

from qa.cli import app
from qa.config import Settings
from qa.exit_codes import ExitCode
from qa.service import NewsQA
from tests.feed_site import LOCAL_STORIES, WIRE_STORY, Route, Site, page, rss, xml
from tests.paths import ROOT
from tests.servers import qa_command, qa_server
from tests.test_crash_safety import assert_consistent, kill_when, ready_count

FETCH_ENV = {
    "QA_FETCH_ALLOW_HOSTS": "127.0.0.1",
    "QA_FETCH_HOST_DELAY_S": "0",
    "QA_FETCH_READ_TIMEOUT_S": "2",
    "QA_FETCH_RETRIES": "0",
}


def qa(*args: str) -> Result:
    done = CliRunner().invoke(app, list(args), env={"COLUMNS": "100", **FETCH_ENV})
    gc.collect()  # the command's service (and its data dir lock) goes now, before a subprocess opens the dir
    return done


def numbered_story(i: int) -> list[str]:
    """A distinct report per number: the town, the count and the day change the text throughout."""
    town = f"Town{i:03d}"
    return [
        f"The council of {town} approved {i + 3} new bus shelters on its northern estate at a meeting on day {i}.",
        f"Residents of {town} had asked for shelters for {i % 7 + 2} years, the councillor for the estate said.",
        f"Work on the {i + 3} shelters in {town} will start in the spring and take about {i % 5 + 3} weeks.",
        f"The shelters will have solar lights, and {town} will pay for them from its transport budget of year {i}.",
    ]


def bulk_site(n: int, delay_s: float) -> Site:
    site = Site()
    items = [
        {"title": f"Bus shelters for Town{i:03d}", "path": f"/n/{i}", "date": "Fri, 02 May 2025 08:00:00 GMT"}
        for i in range(n)
    ]
    site.routes["/bulk.xml"] = xml(rss("Bulk Gazette", site.base, items))
    for i in range(n):
        route = page(f"Bus shelters for Town{i:03d}", numbered_story(i), "Bulk Gazette")
        site.routes[f"/n/{i}"] = Route(route.body, delay_s=delay_s)
    return site


@pytest.fixture(scope="module")
def two_outlets() -> Iterator[tuple[Site, Site]]:
    a, b = Site(), Site()
    date = "Thu, 01 May 2025 09:00:00 GMT"
    a.routes["/rss"] = xml(
        rss(
            "North Star",
            a.base,
            [
                {"title": "Footbridge test passed", "path": "/a/bridge", "date": date},
                {"title": "Apple harvest", "path": "/a/orchard", "date": "Sat, 03 May 2025 09:00:00 GMT"},
            ],
        )
    )
    a.routes["/a/bridge"] = page("Footbridge test passed", WIRE_STORY, "North Star")
    a.routes["/a/orchard"] = page("Apple harvest", LOCAL_STORIES["orchard"], "North Star")
    b.routes["/rss"] = xml(rss("South Wind", b.base, [{"title": "Bridge ready", "path": "/b/bridge", "date": date}]))
    b.routes["/b/bridge"] = page("Bridge ready", ["Filed by our desk.", *WIRE_STORY], "South Wind")
    with a.running(), b.running():
        yield a, b


def test_feeds_commands(two_outlets: tuple[Site, Site], tmp_path: Path) -> None:
    a, b = two_outlets
    data = str(tmp_path / "data")
    added = qa("feeds", "add", a.url("/rss"), "--name", "North Star", "--interval", "15m", "--data-dir", data, "--json")
    assert added.exit_code == 0, added.output
    fa = json.loads(added.stdout)
    assert fa["interval_s"] == 900 and fa["name"] == "North Star"
    assert qa("feeds", "add", a.url("/rss"), "--data-dir", data).exit_code == ExitCode.REFUSED
    assert qa("feeds", "add", "not a url", "--data-dir", data).exit_code == ExitCode.REFUSED
    assert (
        qa("feeds", "add", b.url("/x"), "--interval", "2 fortnights", "--data-dir", data).exit_code == ExitCode.REFUSED
    )
    fb = qa("feeds", "add", b.url("/rss"), "--data-dir", data)
    assert fb.exit_code == 0 and "every 15m" in fb.stdout
    listed = qa("feeds", "list", "--data-dir", data)
    assert listed.exit_code == 0 and fa["id"] in listed.stdout and "2 feeds" in listed.stdout

    polled = qa("feeds", "poll", "--data-dir", data)
    assert polled.exit_code == 0, polled.output
    assert f"{fa['id']}: 2 entries, 2 new: 2 added" in polled.stdout
    assert "Polling feeds" in polled.stderr  # progress on stderr
    again = qa("feeds", "poll", fa["id"], "--data-dir", data)
    assert again.exit_code == 0 and "not modified" in again.stdout

    news = qa("brief", "--new-since", "2000-01-01T00:00", "--data-dir", data, "--json")
    assert news.exit_code == 0, news.output
    briefing = json.loads(news.stdout)
    assert len(briefing["article_ids"]) == 2  # three articles, two stories
    assert any(c["outlets"] == 2 for b_ in briefing["bullets"] for c in b_["citations"])
    text = qa("brief", "--new-since", "2000-01-01T00:00", "--data-dir", data)
    assert "2 outlets" in text.stdout
    answer = qa("ask", "When will the Marrowby footbridge open to pedestrians?", "--data-dir", data, "--json")
    cited = json.loads(answer.stdout)["citations"]
    assert cited and len({c["article_id"] for c in cited}) == 1 and cited[0]["outlets"] == 2  # one copy cited
    assert "carried by 2 outlets" in qa("ask", "When will the Marrowby footbridge open?", "--data-dir", data).stdout
    # Relative days resolve against --today: "yesterday" of 2025-05-04 keeps only the article of 2025-05-03.
    day = qa("brief", "--feed", fa["id"], "--since", "yesterday", "--today", "2025-05-04", "--data-dir", data, "--json")
    assert day.exit_code == 0, day.output
    assert len(json.loads(day.stdout)["article_ids"]) == 1
    assert qa("brief", "--new-since", "soonish", "--data-dir", data).exit_code == ExitCode.USAGE
    assert qa("brief", "--feed", "f00000000000", "--data-dir", data).exit_code == ExitCode.NOT_FOUND

    assert qa("feeds", "remove", fa["id"], "--data-dir", data).exit_code == 0
    assert qa("feeds", "remove", fa["id"], "--data-dir", data).exit_code == ExitCode.NOT_FOUND
    assert qa("feeds", "poll", fa["id"], "--data-dir", data).exit_code == ExitCode.NOT_FOUND


def test_sigkill_during_poll_then_the_next_poll_completes(tmp_path: Path) -> None:
    n = 60
    site = bulk_site(n, delay_s=0.15)
    data = tmp_path / "data"
    env = {**os.environ, **FETCH_ENV, "QA_FETCH_WORKERS": "2", "QA_FETCH_HOST_CONCURRENCY": "2"}
    with site.running():
        added = qa("feeds", "add", site.url("/bulk.xml"), "--data-dir", str(data), "--json")
        assert added.exit_code == 0, added.output
        cmd = [*qa_command(), "feeds", "poll", "--data-dir", str(data)]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        kill_when(proc, lambda: ready_count(data) >= 1)
        with sqlite3.connect(data / "articles.sqlite3") as con:
            (owner,) = con.execute("SELECT lease_owner FROM feeds").fetchone()
        assert owner and f":{proc.pid}:" in owner  # the killed poll still holds the feed
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        svc = NewsQA(Settings(data_dir=data))
        try:
            assert_consistent(svc)
            assert svc.store.count() == n
            assert not svc.store.ids_in_state("indexing")
            assert svc.feeds.list()[0].entries_seen == n
        finally:
            svc.close()


@pytest.mark.server
def test_server_polls_in_the_background(two_outlets: tuple[Site, Site], tmp_path: Path) -> None:
    a, _ = two_outlets
    env = {**FETCH_ENV, "QA_FEEDS_POLL": "true", "QA_FEEDS_POLL_TICK_S": "600"}
    with qa_server(tmp_path / "data", env=env) as base:
        made = httpx.post(f"{base}/v1/feeds", json={"url": a.url("/rss")}, timeout=30)
        assert made.status_code == 201, made.text
        deadline = time.monotonic() + 60  # woken by the add, not by the 10-minute tick
        while time.monotonic() < deadline:
            feed = httpx.get(f"{base}/v1/feeds/{made.json()['id']}", timeout=30).json()
            if feed["entries_seen"] == 2 and feed["last_success_at"]:  # entries are marked before the outcome
                break
            time.sleep(0.3)
        assert feed["entries_seen"] == 2 and feed["last_success_at"], feed
        assert httpx.get(f"{base}/v1/articles", timeout=30).json()["total"] == 2


def test_two_processes_polling_one_feed_poll_it_once(tmp_path: Path, postgres_url: str) -> None:
    """Two `qa feeds poll` processes sharing one PostgreSQL store (each with its own data dir for vectors): the
    second starts while the first holds the feed's lease and is told a poll is already running; every page is
    fetched once."""
    import psycopg

    n = 40
    site = bulk_site(n, delay_s=1.5)  # the first poll lasts ~30 s: longer than the second process takes to start
    env = {
        **os.environ,
        **FETCH_ENV,
        "QA_DATABASE_URL": postgres_url,
        "QA_FETCH_WORKERS": "2",
        "QA_FETCH_HOST_CONCURRENCY": "2",
    }

    def poll(side: str) -> subprocess.Popen[str]:
        (tmp_path / side).mkdir(exist_ok=True)
        cmd = [*qa_command(), "feeds", "poll", "--data-dir", str(tmp_path / side)]
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def leased() -> bool:
        with psycopg.connect(postgres_url) as con:
            return con.execute("SELECT lease_owner FROM feeds").fetchone()[0] is not None  # type: ignore[index]

    with site.running():
        added = subprocess.run(
            [*qa_command(), "feeds", "add", site.url("/bulk.xml"), "--data-dir", str(tmp_path / "a")],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert added.returncode == 0, added.stderr[-2000:]
        first = poll("a")
        deadline = time.monotonic() + 300
        while not leased() and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        second = poll("b")
        outcomes = [(p.wait(timeout=600), p.stdout.read()) for p in (first, second)]  # type: ignore[union-attr]
    assert outcomes[0][0] == 0 and f"{n} added" in outcomes[0][1], outcomes
    assert outcomes[1][0] == ExitCode.FAILED and "already running" in outcomes[1][1], outcomes
    assert all(len(site.page_hits(f"/n/{i}")) == 1 for i in range(n))
