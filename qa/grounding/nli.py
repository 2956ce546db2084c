"""The entailment model: does a window of source text support a claim? (int8 ONNX, no torch at run time)

A cross-encoder fine-tuned from all-MiniLM-L6-v2 (Apache-2.0) on synthetic (source window, claim) pairs made from
our own news text (eval/nli_data.py, eval/train_nli.py; data, licences and figures in nli_model/MODEL_CARD.md).
It reads ``[CLS] claim [SEP] window [SEP]`` (128 word pieces at most, the window cut first) and gives one logit:
how strongly the window supports the claim. The window is built from the claim's best-aligned source passages,
as in training: the best passage first, others while they fit, then put back in document order.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.embeddings import _verified, minilm_tokenizer_file, onnx_session

MODEL_DIR = Path(__file__).with_name("nli_model")
MODEL_FILE = MODEL_DIR / "model.int8.onnx"
MODEL_SHA256 = "b1e422c8e2ec04e1085a570e8507930bc73500f35d69e60d52152b14ef23ec7a"  # the last model trained (eval/train_nli.py exports it); checked at load
MAX_TOKENS = 128
WINDOW_WORDS = 80  # what the training windows held at most (eval/nli_data.py MAX_WINDOW_WORDS)


class EntailmentModel:
    """Scores (claim, window) pairs; thread-safe, one run at a time (a run already uses every core)."""

    def __init__(self, model: Path = MODEL_FILE, sha256: str = MODEL_SHA256, threads: int | None = None) -> None:
        from tokenizers import Tokenizer

        path = _verified(model, sha256)
        # The WordPiece vocabulary of all-MiniLM-L6-v2: the same file the embedder uses.
        self.tokenizer = Tokenizer.from_file(str(minilm_tokenizer_file()))
        self.tokenizer.enable_truncation(MAX_TOKENS, strategy="longest_first")  # the window (the longer) is cut first
        # Padding to the longest of the run, i.e. none for one pair (the file's own setting pads every input to a
        # fixed length, which moves int8 logits).
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self.session = onnx_session(path, threads)
        self._lock = threading.Lock()

    def logits(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """One support logit per ``(claim, window)``; positive means supported. One pair per run: int8 activations
        are quantised per run, so in a batch a claim's logit would move (up to ~0.4) with whatever else is in the
        batch and its padding; alone, a claim always gets the same verdict."""
        out = np.zeros(len(pairs), dtype=np.float32)
        for i, (claim, window) in enumerate(pairs):
            enc = self.tokenizer.encode(claim, window)
            feeds = {
                "input_ids": np.array([enc.ids], dtype=np.int64),
                "attention_mask": np.array([enc.attention_mask], dtype=np.int64),
                "token_type_ids": np.array([enc.type_ids], dtype=np.int64),
            }
            with self._lock:
                out[i] = self.session.run(None, feeds)[0].reshape(-1)[0]
        return out


@lru_cache(maxsize=1)
def entailment_model() -> EntailmentModel:
    """The shipped model, loaded once per process."""
    return EntailmentModel()


def window_text(passages: list[tuple[int, int, int, str]], budget: int = WINDOW_WORDS) -> str:
    """The window for a claim from its aligned passages ``(source, start, end, text)``, best first: passages are
    taken in that order while they fit ``budget`` words (the best one always), overlapping ones merged, then put
    back in document order."""
    chosen: list[tuple[int, int, int, str]] = []
    words = 0
    for p in passages:
        if any(p[0] == c[0] and c[1] <= p[1] and p[2] <= c[2] for c in chosen):
            continue  # already inside a chosen passage
        n = len(p[3].split())
        if chosen and words + n > budget:
            continue
        chosen.append(p)
        words += n
    spans: list[tuple[int, int, int, str]] = []
    for p in sorted(chosen):
        last = spans[-1] if spans else None
        if last is not None and last[0] == p[0] and p[1] < last[2]:
            if p[2] > last[2]:  # extend the previous span by the part of ``p`` past its end
                spans[-1] = (last[0], last[1], p[2], last[3] + p[3][last[2] - p[1] :])
            continue
        spans.append(p)
    return " ".join(" ".join(s[3].split()) for s in spans)
