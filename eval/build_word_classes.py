"""Build ``qa/word_classes.json``: English words grouped into classes of similar meaning, for the injection check.

    .venv/bin/python -m eval.build_word_classes [--classes 600]

Why: the injection classifier is fitted on a few hundred phrasings; on words alone it knows only the verbs and nouns
it saw ("say", "reply") and misses a synonym it did not ("convey", "assert"). A word's class is a feature too, so a
weight learned for "say" and "state" carries over to the other words of their class.

How: every whole word of the all-MiniLM-L6-v2 WordPiece vocabulary (the ``tokenizer.json`` the project already
ships for its embedder; Apache-2.0, as is the model) plus the words of our own design-half corpus (phrasings and the
demo corpus, so British spellings are in) is embedded alone with the project's MiniLM embedder, and spherical
k-means (numpy, fixed seed) groups the vectors. Only the word → class table is shipped; no text of any corpus.

It also writes ``qa/base_verbs.json``: WordNet 3.0's verb lemmas (from spaCy's English lemmatizer tables), for the
feature "the sentence opens with a verb in its base form", the mark of an imperative.
"""

from __future__ import annotations

import argparse
import json
import re

import numpy as np

from eval.injection_corpus import training_items
from qa.embeddings import minilm
from qa.injection import VERBS_PATH, WORD_CLASSES_PATH

SEED = 14
WORDNET_NOTICE = (
    "WordNet Release 3.0. Copyright 2006 by Princeton University. All rights reserved. Permission to use, copy, "
    "modify and distribute this software and database and its documentation for any purpose and without fee or "
    "royalty is hereby granted, provided that you agree to comply with the following copyright notice and "
    "statements, including the disclaimer, and that the same appear on ALL copies of the software, database and "
    "documentation, including modifications that you make for internal use or for distribution. THIS SOFTWARE AND "
    "DATABASE IS PROVIDED 'AS IS' AND PRINCETON UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES, EXPRESS OR "
    "IMPLIED. The name of Princeton University or Princeton may not be used in advertising or publicity pertaining "
    "to distribution of the software and/or database. Title to copyright in this software, database and any "
    "associated documentation shall at all times remain with Princeton University and LICENSEE agrees to preserve "
    "same."
)
ITERATIONS = 25


def vocabulary() -> list[str]:
    vocab = json.loads(minilm().tokenizer.to_str())["model"]["vocab"]
    words = {w for w in vocab if w.isascii() and w.isalpha() and len(w) >= 2}
    for item in training_items():
        if item.half == "design":
            words.update(w for w in re.findall(r"[a-z]{2,}", item.text.lower()))
    return sorted(words)


def spherical_kmeans(x: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    centres = x[rng.choice(len(x), size=k, replace=False)]
    labels = np.zeros(len(x), dtype=np.int64)
    for _ in range(ITERATIONS):
        labels = np.concatenate([(x[i : i + 4096] @ centres.T).argmax(axis=1) for i in range(0, len(x), 4096)])
        for j in range(k):
            members = x[labels == j]
            if len(members):
                c = members.sum(axis=0)
                centres[j] = c / max(1e-9, float(np.linalg.norm(c)))
            else:
                centres[j] = x[rng.integers(len(x))]
    return labels


def base_verbs() -> list[str]:
    """WordNet 3.0's verb lemmas, as spaCy's English lemmatizer ships them (``lemma_index["verb"]``)."""
    from spacy.lookups import Lookups

    from qa.nlp import model_dir

    lookups = Lookups().from_disk(model_dir() / "lemmatizer" / "lookups")
    return sorted(w for w in lookups.get_table("lemma_index")["verb"] if w.isascii() and w.isalpha())


def write_verbs() -> None:
    verbs = base_verbs()
    doc = {
        "what": "English verbs in their base form, for the injection check's imperative feature",
        "source": "WordNet 3.0 verb lemmas (WordNet 3.0 licence, Princeton University), as shipped in spaCy's "
        "en_core_web_sm 3.8.0 lemmatizer tables (lemma_index['verb'])",
        "licence": WORDNET_NOTICE,
        "verbs": verbs,
    }
    VERBS_PATH.write_text(json.dumps(doc, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{len(verbs)} verbs -> {VERBS_PATH}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--classes", type=int, default=600)
    ap.add_argument("--verbs-only", action="store_true", help="only rebuild qa/base_verbs.json")
    args = ap.parse_args()
    write_verbs()
    if args.verbs_only:
        return
    words = vocabulary()
    vectors = minilm().embed(words).astype(np.float32)
    labels = spherical_kmeans(vectors, args.classes, np.random.default_rng(SEED))
    doc = {
        "what": "word -> class id: spherical k-means of single-word all-MiniLM-L6-v2 embeddings",
        "source": "the WordPiece vocabulary of all-MiniLM-L6-v2 (Apache-2.0) plus the words of our design-half corpus",
        "built_by": f"eval/build_word_classes.py (classes={args.classes}, seed={SEED})",
        "classes": {w: int(c) for w, c in zip(words, labels, strict=True)},
    }
    WORD_CLASSES_PATH.write_text(json.dumps(doc, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{len(words)} words in {args.classes} classes -> {WORD_CLASSES_PATH}")


if __name__ == "__main__":
    main()
