"""Splitting a response (answer or summary) into the claims that get checked one by one."""

from __future__ import annotations

import re

from qa.text import sentence_spans

# List markers are layout, not content: "- ", "* ", "• ", "1. ", "2) ".
_BULLET = re.compile(r"(?:[-*•]|\d{1,2}[.)])\s+")
_HAS_WORD = re.compile(r"\w")


def split_claims(response: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each claim in ``response``: its sentences, without list markers."""
    spans: list[tuple[int, int]] = []
    for start, end in sentence_spans(response):
        m = _BULLET.match(response, start, end)
        if m and m.end() < end:
            start = m.end()
        if _HAS_WORD.search(response, start, end):
            spans.append((start, end))
    return spans
