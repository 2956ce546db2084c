from __future__ import annotations

import itertools

from qa.chunking import chunk_text, count_tokens
from qa.text import sentence_spans


def test_sentences_keep_abbreviations_and_initials_together() -> None:
    text = "Mr. Pompeo met Jung H. Pak in the U.S. on Nov. 3. It rained. Then it stopped!"
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "Mr. Pompeo met Jung H. Pak in the U.S. on Nov. 3.",
        "It rained.",
        "Then it stopped!",
    ]


def test_chunks_are_token_bounded_sentence_aligned_overlapping_and_exact() -> None:
    body = "\n\n".join(f"Sentence {i} says that the council met on day {i} to vote on item {i}." for i in range(60))
    chunks = chunk_text("a1", body, max_tokens=60, overlap_tokens=20)
    assert len(chunks) > 5
    for n, c in enumerate(chunks):
        assert c.chunk_index == n and c.article_id == "a1"
        assert body[c.start : c.end] == c.text
        assert count_tokens(c.text) <= 60
        assert c.text.startswith("Sentence") and c.text.endswith(".")
    for prev, nxt in itertools.pairwise(chunks):
        assert nxt.start < prev.end, "consecutive chunks overlap"
        assert nxt.start > prev.start, "chunking always makes progress"
    assert chunks[-1].end == len(body)


def test_overlong_sentence_is_split_within_budget() -> None:
    body = " ".join(["word"] * 900) + "."
    chunks = chunk_text("a", body, max_tokens=100, overlap_tokens=10)
    assert all(count_tokens(c.text) <= 110 for c in chunks)
    assert chunks[0].start == 0 and chunks[-1].end == len(body)


def test_a_chunk_id_gives_back_its_article_and_index() -> None:
    """The vector index reads hits from ids alone (qa.vectors.ChromaIndex.query), so the id must round-trip, also for
    article ids with colons; anything else is no chunk."""
    from qa.models import Chunk

    for aid in ("plain", "urn:news:2025:17", "a:b:"):
        chunk = Chunk(article_id=aid, chunk_index=12, start=0, end=1, text="x")
        assert Chunk.key_of(chunk.id) == (aid, 12)
    assert [Chunk.key_of(i) for i in ("no-index", "trailing:", ":3", "a:-1", "a:1x")] == [None] * 5
