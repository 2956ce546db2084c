"""A real browser for tests: Debian's ``chromium`` driven by Playwright for Python.

Playwright's own browser download does not work on these machines (and is never called): the tests use the
system ``chromium`` through ``executable_path``. Where chromium or Playwright is missing the browser tests skip
with a message naming what is missing, except in CI (``CI`` set, as CI does, or ``QA_REQUIRE_BROWSER=1``),
where a missing browser is a failure: CI installs chromium (``make browser``) and must run these tests."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

# Without the background-networking flags Chromium tries to reach Google's hosts at start.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]


def browser_required() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false") or os.environ.get("QA_REQUIRE_BROWSER") == "1"


def missing_browser() -> str | None:
    """What is missing for the browser tests, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[dev]')"
    if shutil.which("chromium") is None:
        return "the `chromium` binary is not on PATH (Debian: apt-get install -y chromium, or `make browser`)"
    return None


def need_browser() -> None:
    missing = missing_browser()
    if missing is None:
        return
    if browser_required():
        pytest.fail(f"browser tests must run in CI, but {missing}", pytrace=False)
    pytest.skip(f"browser tests skipped: {missing}")


@contextlib.contextmanager
def chromium_context(**context_options: Any) -> Iterator[Any]:
    """A fresh persistent Chromium context (its own empty --user-data-dir), closed afterwards."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    assert chromium is not None
    with tempfile.TemporaryDirectory(prefix="qa-chromium-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=chromium, headless=True, args=CHROMIUM_FLAGS, **context_options
        )
        try:
            yield context
        finally:
            context.close()
