"""Sentence vectors kept with the article, so that verifying an LLM answer does not wait for its sources' sentences
to be embedded (the grounding verifier's costly part: ~250 ms for a 7,000-character article).

The store keeps one :class:`SentenceVectors` per article (offsets into its body) with the content hash of the
version they were computed from; a new version or a delete removes them, and another version's are never read.
They are computed in the background after ingest (:mod:`qa.sentence_worker`). The verifier takes the vectors of
the sentences it finds and embeds only those it does not (an article whose vectors are not computed yet, or a
sentence split differently)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from qa.models import Chunk
from qa.text import sentence_spans

if TYPE_CHECKING:
    from qa.embeddings import Embedder

STORED_DTYPE = np.float16  # half the bytes of float32; cosines move by < 1e-3


@dataclass(frozen=True)
class SentenceVectors:
    """Vectors of sentences of one text: ``spans[i]`` is ``(start, end)`` in the text, ``vectors[i]`` its vector."""

    encoder: str  # the embedder id the vectors come from: another encoder's vectors are never used
    spans: np.ndarray  # (n, 2) int
    vectors: np.ndarray  # (n, dim), L2-normalised
    version: str = ""  # the content hash of the article they were computed from (as stored)

    def lookup(self) -> dict[tuple[int, int], int]:
        return {(int(a), int(b)): i for i, (a, b) in enumerate(self.spans)}

    def within(self, start: int, end: int) -> SentenceVectors:
        """The sentences inside ``text[start:end]``, with offsets relative to ``start`` (a chunk's, from its
        article's)."""
        keep = (self.spans[:, 0] >= start) & (self.spans[:, 1] <= end)
        return SentenceVectors(self.encoder, self.spans[keep] - start, self.vectors[keep], self.version)

    def blobs(self) -> tuple[bytes, bytes]:
        """``(spans, vectors)`` as the store keeps them: little-endian int32 pairs and float16 rows."""
        return self.spans.astype("<i4").tobytes(), self.vectors.astype(STORED_DTYPE).tobytes()

    @classmethod
    def from_blobs(cls, encoder: str, spans: bytes, vectors: bytes, version: str = "") -> SentenceVectors:
        pairs = np.frombuffer(spans, dtype="<i4").reshape(-1, 2)
        rows = np.frombuffer(vectors, dtype=STORED_DTYPE).astype(np.float32)
        return cls(encoder, pairs, rows.reshape(len(pairs), -1) if len(pairs) else rows.reshape(0, 0), version)


def embed_sentences(encoder: Embedder, chunks: Sequence[Chunk]) -> dict[str, SentenceVectors]:
    """The vectors of each article's sentences, as the verifier splits a chunk's text (offsets into the article
    body), by ``encoder``; a sentence in two overlapping chunks is embedded once. Each sentence is embedded alone:
    pooling its tokens out of the chunk's own pass (which ingest runs anyway) would cost nothing more, but the
    chunk's context bleeds into the vectors, and measured with eval/fit_grounding.py the shipped weights' balanced
    accuracy fell from 66.8 to 53.7 on the SummEdits fitting part (check part AUC 65.0 -> 62.0)."""
    sentences = _sentences(chunks)
    return _pack(encoder, chunks, sentences, encoder.embed(list(sentences.values())))


def _sentences(chunks: Sequence[Chunk]) -> dict[tuple[str, int, int], str]:
    """``(article_id, start, end) -> text`` of the chunks' sentences, offsets into the article body."""
    out: dict[tuple[str, int, int], str] = {}
    for chunk in chunks:
        for a, b in sentence_spans(chunk.text):
            out.setdefault((chunk.article_id, chunk.start + a, chunk.start + b), chunk.text[a:b])
    return out


def _pack(
    encoder: Embedder, chunks: Sequence[Chunk], sentences: dict[tuple[str, int, int], str], vectors: np.ndarray
) -> dict[str, SentenceVectors]:
    rows: dict[str, list[int]] = {c.article_id: [] for c in chunks}
    for i, (article_id, _, _) in enumerate(sentences):
        rows[article_id].append(i)
    keys = [key[1:] for key in sentences]
    return {
        aid: SentenceVectors(
            encoder.id,
            np.array([keys[i] for i in found], dtype=np.int64).reshape(-1, 2),
            vectors[found] if found else np.zeros((0, encoder.dim), dtype=np.float32),
        )
        for aid, found in rows.items()
    }
