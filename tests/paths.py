"""Where test data lives. ../shared/data is only present in CI and on dev machines: tests skip without it."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO_ARTICLES = ROOT / "demo" / "articles"
SHARED_DATA = ROOT.parent / "shared" / "data"
EXAMPLE_ARTICLE = SHARED_DATA / "articles" / "000_c5f37d0b212be8a7.txt"


def need_shared(path: Path = SHARED_DATA) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent: this test needs the shared evaluation data (../shared/data)")
    return path
