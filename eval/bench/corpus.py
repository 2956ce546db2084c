"""Corpora of 1k–100k chunks for the latency and load benchmarks, grown through the real ingest path.

Real articles go in first, embedded for real (their vectors are cached on disk between runs). Beyond them the
corpus grows with *synthetic variants*: a real article's paragraphs in a new order, a quarter of them swapped
for another article's, under a new id and a date moved by up to ±90 days. Embedding 100k chunks would take
10–17 minutes and measures nothing these benchmarks are about (query latency and memory), so a variant's
chunk vector is made from real ones instead: the mean of the real vectors of the chunks its sentences come
from, plus a little Gaussian noise, L2-normalised. Those vectors sit where the real text would, so the HNSW
graph and the fused ranking work on a realistic spread. Everything else (cleaning, chunking, SQLite + FTS5,
Chroma upserts) is the production code.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import random
from pathlib import Path
from typing import Any

import numpy as np

from qa.config import Settings
from qa.embeddings import Embedder, get_embedder
from qa.errors import NotArticleText
from qa.models import ArticleIn
from qa.service import NewsQA, embedding_text
from qa.text import sentence_spans

NOISE = 0.05  # norm of the added noise relative to the unit vector: cosine to the mean stays ≈ 0.999
SYNTHETIC_PREFIX = "syn-"


def _key(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


class VectorCache:
    """Real embeddings by text hash, one ``.npz`` per embedder, so reruns embed nothing already seen."""

    def __init__(self, directory: Path, embedder: Embedder) -> None:
        self.path = directory / f"{embedder.id.replace(':', '_')}.npz"
        self.embedder = embedder
        self.rows: dict[str, np.ndarray] = {}
        if self.path.is_file():
            with np.load(self.path) as data:
                self.rows = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))

    def embed(self, texts: list[str]) -> tuple[np.ndarray, int]:
        """Vectors for ``texts`` and how many had to be embedded now."""
        keys = [_key(t) for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in self.rows}.items())
        if missing:
            vectors = self.embedder.embed([t for _, t in missing])
            self.rows.update({k: v for (k, _), v in zip(missing, vectors, strict=True)})
            self._save()
        return np.stack([self.rows[k] for k in keys]) if keys else np.zeros((0, self.embedder.dim)), len(missing)

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(list(self.rows)), vectors=np.stack(list(self.rows.values())))
        tmp.replace(self.path)


class ReuseEmbedder:
    """The embedder the corpus builder gives :class:`NewsQA`: real (cached) vectors for real chunks and,
    in ``synthetic`` mode, vectors composed from the real vectors of each chunk's sentences."""

    def __init__(self, cache: VectorCache, seed: int = 0) -> None:
        self.cache = cache
        self.id = cache.embedder.id
        self.dim = cache.embedder.dim
        self.synthetic = False
        self.embedded_now = 0  # real embeddings computed during this build
        self.composed = 0
        self._sentences: dict[str, np.ndarray] = {}
        self._rng = np.random.default_rng(seed)

    def learn(self, texts: list[str], vectors: np.ndarray) -> None:
        """Remember, for every sentence of these real chunk texts, the vector of a chunk it appears in."""
        for text, vec in zip(texts, vectors, strict=True):
            body = text.partition("\n\n")[2] or text  # embedding_text puts the title first
            for a, b in sentence_spans(body):
                self._sentences.setdefault(body[a:b], vec)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not self.synthetic:
            vectors, fresh = self.cache.embed(texts)
            self.embedded_now += fresh
            return vectors
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            body = text.partition("\n\n")[2] or text
            found = [v for a, b in sentence_spans(body) if (v := self._sentences.get(body[a:b])) is not None]
            if found:
                mean = np.mean(found, axis=0)
                self.composed += 1
            else:  # e.g. a long sentence split mid-way: embed it for real rather than guess
                mean = self.cache.embedder.embed([text])[0]
                self.embedded_now += 1
            vec = mean / np.linalg.norm(mean) + self._rng.normal(0.0, NOISE / np.sqrt(self.dim), self.dim)
            out[i] = vec / np.linalg.norm(vec)
        return out


def variant(n: int, base: ArticleIn, donor: ArticleIn, rng: random.Random) -> ArticleIn:
    """A synthetic article: ``base``'s paragraphs shuffled, about a quarter replaced by ``donor``'s."""
    paras = [p for p in base.body.split("\n\n") if p.strip()]
    extra = [p for p in donor.body.split("\n\n") if p.strip()]
    swap = min(len(extra), max(1, len(paras) // 4))
    keep = rng.sample(paras, max(1, len(paras) - swap))
    mixed = keep + rng.sample(extra, swap)
    rng.shuffle(mixed)
    day = base.published_at + dt.timedelta(days=rng.randint(-90, 90)) if base.published_at else None
    return ArticleIn(
        id=f"{SYNTHETIC_PREFIX}{n:06d}",
        title=base.title,
        body="\n\n".join(mixed),
        published_at=day,
        source=base.source,
        authors=base.authors,
    )


def _batch_for(missing_chunks: int, chunks_per_article: float) -> int:
    # Small steps near the target so a size lands close to its nominal chunk count.
    return max(1, min(400, int(missing_chunks / max(chunks_per_article, 1.0)) + 1))


def _articles(svc: NewsQA, records: list[ArticleIn]) -> list[Any]:
    """The records ingest would store: a variant the not-article check refuses (a reordering that leaves a
    page of fragments) is left out, as ingest would skip it."""
    out = []
    for record in records:
        with contextlib.suppress(NotArticleText):
            out.append(svc.prepare(record))
    return out


def build(
    data_dir: str, target_chunks: int, records: list[ArticleIn], real_limit: int | None, cache_dir: str, seed: int = 7
) -> dict[str, Any]:
    """Grow the store in ``data_dir`` to at least ``target_chunks`` chunks (run it in a child process: its
    memory is not the service's). ``real_limit`` caps the real articles used (None: all of them)."""
    settings = Settings(data_dir=Path(data_dir))
    embedder = ReuseEmbedder(VectorCache(Path(cache_dir), get_embedder(settings)), seed)
    svc = NewsQA(settings, embedder=embedder)
    real = records[: real_limit or len(records)]
    stored = svc.store.count()
    n_real = sum(1 for a in svc.store.list(with_body=False) if not a.id.startswith(SYNTHETIC_PREFIX))
    chunks = svc.store.chunk_count()
    while chunks < target_chunks and n_real < len(real):
        # At most 32 real articles a step: the cache is saved after each, so an interrupted first run keeps them.
        take = min(32, _batch_for(target_chunks - chunks, chunks / stored if stored else 8.0))
        part = real[n_real : n_real + take]
        svc.ingest_articles(_articles(svc, part))
        n_real += len(part)
        stored += len(part)
        chunks = svc.store.chunk_count()
    if chunks < target_chunks:
        # Sentences of every real article in use, including those stored by an earlier (cached) build step.
        pairs = svc.store.chunks_of(
            [a.id for a in svc.store.list(with_body=False) if not a.id.startswith(SYNTHETIC_PREFIX)]
        )
        texts = [embedding_text(art.title, c.text) for c, art in pairs]
        embedder.learn(texts, embedder.cache.embed(texts)[0])
        embedder.synthetic = True
        rng = random.Random(seed + stored)
        n = stored - n_real
        while chunks < target_chunks:
            take = _batch_for(target_chunks - chunks, chunks / stored)
            batch = [variant(n + i, rng.choice(real), rng.choice(real), rng) for i in range(take)]
            svc.ingest_articles(_articles(svc, batch))
            n += take
            stored += take
            chunks = svc.store.chunk_count()
    return {
        "articles": svc.store.count(),
        "chunks": chunks,
        "vectors": svc.index.count(),
        "real_articles": n_real,
        "synthetic_articles": stored - n_real,
        "embedded_now": embedder.embedded_now,
        "composed_vectors": embedder.composed,
    }
