"""Shared fixtures. Loading the embedder and indexing the demo corpus takes seconds, so it happens once."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from qa.config import Settings
from qa.service import NewsQA
from tests.paths import DEMO_ARTICLES
from tests.servers import PostgresServer, postgres_missing


@pytest.fixture(scope="session")
def demo_service(tmp_path_factory: pytest.TempPathFactory) -> NewsQA:
    """One service over the demo corpus for the in-process API tests (they add articles with their own ids)."""
    service = NewsQA(Settings(data_dir=tmp_path_factory.mktemp("api-demo")))
    service.ingest_paths([DEMO_ARTICLES])
    return service


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL for the session (tests take their own database from it: ``postgres_url``).
    Skipped with the reason where the binaries are missing, except where QA_REQUIRE_POSTGRES=1 (CI)."""
    missing = postgres_missing()
    if missing:
        if os.environ.get("QA_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"QA_REQUIRE_POSTGRES=1 but {missing}")
        pytest.skip(missing)
    server = PostgresServer()
    yield server
    server.close()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """The URL of a new, empty database for this test."""
    return postgres_server.create_database(f"t_{uuid.uuid4().hex[:16]}")


@pytest.fixture
def api_client(demo_service: NewsQA) -> Iterator[Callable[..., Any]]:
    """``api_client(**settings)``: a TestClient over the demo service, with these settings for the API layer
    (auth, CORS, body limit). Core limits (article/batch/question size) come from ``limited_service``."""
    from fastapi.testclient import TestClient

    from api.app import create_app

    clients: list[TestClient] = []

    def make(service: NewsQA | None = None, **overrides: Any) -> TestClient:
        svc = service or demo_service
        # Auth and CORS off unless a test turns them on (whatever the shell's QA_* say). Validated again
        # (not model_copy) so plain strings become SecretStr keys, etc.
        settings = Settings(**{**svc.settings.model_dump(), "api_keys": [], "cors_origins": [], **overrides})
        client = TestClient(create_app(settings, service=svc), raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture(scope="session")
def limited_service(demo_service: NewsQA, tmp_path_factory: pytest.TempPathFactory) -> NewsQA:
    """An empty service with tiny core limits (sharing the loaded embedder) for the size-limit tests."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("api-limited"),
        max_article_chars=500,
        max_batch_articles=3,
        max_question_chars=50,
        max_upload_bytes=4000,
    )
    return NewsQA(settings, embedder=demo_service.embedder)


# --- the real local LLM server (llama-cpp-python + SmolLM2-135M), for tests marked @pytest.mark.llm ------------------


_LLM_SERVER: Any = None  # tests.llm_server.SessionServer, made when the first LLM test asks for the server


@pytest.fixture(scope="session")
def llm_server() -> Iterator[str]:
    """Base URL (``http://127.0.0.1:PORT/v1``) of a real OpenAI-compatible llama.cpp server, started once per session.

    Skips (not fails) where the optional ``llm-local`` extra is not installed; a server that IS installed but does
    not come up, or dies, is a real failure, reported once (see the hooks below and tests.llm_server.SessionServer).
    Send ``model=tests.llm_server.MODEL_ALIAS`` and always ``max_tokens``.
    """
    global _LLM_SERVER
    from tests.llm_server import LLMServerUnavailable, SessionServer, find_gguf, llama_cpp_available

    if not llama_cpp_available():
        pytest.skip("llama_cpp is not importable: install the llm-local extra (pip install -e '.[llm-local]')")
    try:
        find_gguf()
    except LLMServerUnavailable as exc:
        pytest.skip(str(exc))
    _LLM_SERVER = SessionServer()
    failure = ""
    try:
        base_url = _LLM_SERVER.start()
    except LLMServerUnavailable as exc:
        failure = str(exc)
    if failure:  # outside the except block: the message once, not twice as a chained exception
        pytest.fail(failure, pytrace=False)
    try:
        yield base_url
    finally:
        _LLM_SERVER.stop()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before an LLM test: if the server already died, fail this one test with how it died, skip the later ones."""
    if _LLM_SERVER is None or "llm_server" not in getattr(item, "fixturenames", ()):
        return
    verdict = _LLM_SERVER.before_test()
    if verdict.action == "skip":
        pytest.skip(verdict.message)
    if verdict.action == "fail":
        pytest.fail(verdict.message, pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A test that failed because the server died under it gets the server's exit status and log with its failure."""
    report = yield
    if _LLM_SERVER is not None and call.when == "call" and "llm_server" in getattr(item, "fixturenames", ()):
        message = _LLM_SERVER.after_test(failed=report.failed)
        if message:
            report.sections.append(("local LLM server", message))
    return report


# --- answers and briefings (tests/test_answer.py, tests/test_briefing.py, tests/test_llm_answer.py) ------------
@pytest.fixture(scope="session")
def answer_service(demo_service: NewsQA, tmp_path_factory: pytest.TempPathFactory) -> NewsQA:
    """The demo corpus plus the example article (when ../shared/data is present) in a service of its own:
    the API tests add articles to ``demo_service``, and answers must not depend on test order."""
    from tests.paths import EXAMPLE_ARTICLE

    # Its copies with an LLM endpoint (tests/test_llm_answer.py) read the sentence vectors this service computes.
    settings = Settings(data_dir=tmp_path_factory.mktemp("answers"), sentence_vectors="always")
    service = NewsQA(settings, embedder=demo_service.embedder)
    paths = [DEMO_ARTICLES] + ([EXAMPLE_ARTICLE] if EXAMPLE_ARTICLE.exists() else [])
    service.ingest_paths(paths)
    return service


@pytest.fixture(scope="session")
def example_article_id(answer_service: NewsQA) -> str:
    """Id of the example article (the cancelled Pompeo meeting); skips where ../shared/data is absent."""
    from tests.paths import EXAMPLE_ARTICLE, need_shared

    need_shared(EXAMPLE_ARTICLE)
    items, _ = answer_service.list_articles()
    return next(a.id for a in items if "North Korea" in a.title)


def assert_verbatim(service: NewsQA, citations: list[Any]) -> None:
    """Every quote is the stored article body at its span."""
    for c in citations:
        body = service.get_article(c.article_id).body
        assert body[c.start : c.end] == c.quote, (c.article_id, c.start, c.end, c.quote)
        assert c.quote.strip() == c.quote and c.quote
