"""A local LLM server that dies is reported as such, once, with how it died; and a user whose endpoint dies mid-request
is told the cause. The crash is real: tests/fake_llm_server.py kills itself with SIGSEGV on a completion request, as
llama.cpp built with -march=native did on CPUs with AMX."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from qa.config import Settings
from qa.errors import LLMUnavailable
from qa.service import NewsQA
from tests.llm_server import LLMServerCrashed, LocalLLMServer, SessionServer

pytestmark = pytest.mark.server


def fake(answer: int = 0, sig: str = "SIGSEGV") -> Callable[[], LocalLLMServer]:
    """A LocalLLMServer running the stand-in that answers ``answer`` completions and then dies with ``sig``."""

    def command(port: int) -> list[str]:
        return [sys.executable, "-m", "tests.fake_llm_server", str(port), "--answer", str(answer), "--signal", sig]

    return lambda: LocalLLMServer(command=command, ready_timeout_s=60)


def test_a_server_that_dies_on_its_first_prompt_is_reported_at_start() -> None:
    server = fake(answer=0)()
    with pytest.raises(LLMServerCrashed) as caught:
        server.start()
    message = str(caught.value)
    assert "died on its first completion request" in message and "signal SIGSEGV (exit -11)" in message, message
    assert "built for another CPU" in message and "make distclean test" in message
    assert "imitating a crash in the batched matrix code" in message  # the server's own last log lines
    assert server.process is None  # nothing left running


def test_a_session_reports_a_failed_start_once_then_skips() -> None:
    session = SessionServer(fake(answer=0))
    with pytest.raises(LLMServerCrashed, match="SIGSEGV"):
        session.start()
    assert session.before_test().action == "skip"
    assert session.before_test().action == "skip"


def test_a_server_dying_during_a_test_fails_that_test_once_and_skips_the_rest() -> None:
    import httpx

    session = SessionServer(fake(answer=1, sig="SIGILL"))  # the warm-up is answered, the next request kills it
    try:
        base = session.start()
        assert session.before_test().action == "run"
        with pytest.raises(httpx.HTTPError):
            httpx.post(f"{base}/completions", json={"prompt": "a longer prompt", "max_tokens": 4}, timeout=30)
        message = session.after_test(failed=True)
        assert "died during this test: signal SIGILL" in message, message
        assert session.after_test(failed=True) == ""  # said once
        assert session.before_test().action == "skip"
    finally:
        session.stop()


def test_a_server_dying_between_tests_fails_the_next_test_once() -> None:
    import httpx

    session = SessionServer(fake(answer=1))
    try:
        base = session.start()
        with pytest.raises(httpx.HTTPError):
            httpx.post(f"{base}/completions", json={"prompt": "x y z", "max_tokens": 4}, timeout=30)
        assert session.after_test(failed=False) == ""  # a passing test is not blamed
        assert session.server is not None and session.server.dies_within(5.0)
        verdict = session.before_test()
        assert verdict.action == "fail" and "died between tests: signal SIGSEGV" in verdict.message
        assert session.before_test().action == "skip"
    finally:
        session.stop()


@pytest.fixture
def dying_endpoint() -> Iterator[str]:
    """An OpenAI-compatible endpoint that dies with SIGSEGV on the first chat completion (no warm-up: start()
    only waits for /v1/models here)."""
    server = fake(answer=0)()
    server._warm_up = lambda: None  # type: ignore[method-assign]
    server.start()
    try:
        yield server.base_url
    finally:
        server.stop()


@pytest.fixture
def dying_llm_service(dying_endpoint: str, answer_service: NewsQA) -> NewsQA:
    """The answer corpus with the LLM generator pointed at the dying endpoint (sharing the loaded embedder)."""
    values = {**answer_service.settings.model_dump(), "llm_base_url": dying_endpoint, "llm_model": "m"}
    return NewsQA(Settings(**{**values, "llm_timeout_s": 30}), embedder=answer_service.embedder)


def test_the_service_says_the_endpoint_died(dying_endpoint: str, dying_llm_service: NewsQA) -> None:
    with pytest.raises(LLMUnavailable) as caught:
        dying_llm_service.ask("Which company will build the Port Calder tidal barrier?", generator="llm")
    detail = caught.value.detail
    assert f"the LLM endpoint at {dying_endpoint}" in detail, detail
    # The client retries once: the crash itself closes the connection, the retry finds nothing listening.
    assert "closed the connection without answering" in detail or "nothing is listening there" in detail, detail


def test_the_api_says_the_endpoint_died(
    dying_endpoint: str, dying_llm_service: NewsQA, api_client: Callable[..., TestClient]
) -> None:
    client = api_client(dying_llm_service, llm_base_url=dying_endpoint)
    r = client.post("/v1/ask", json={"question": "Who builds the tidal barrier?", "generator": "llm"})
    assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json", r.text
    problem = r.json()
    assert problem["type"] == "urn:newsqa:problem:llm-unavailable"
    assert f"the LLM endpoint at {dying_endpoint}" in problem["detail"], problem
