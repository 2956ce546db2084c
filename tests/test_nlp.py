"""The linguistic analyser: the pinned spaCy model loads offline, is verified, and parses what the reader needs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qa import nlp
from qa.errors import ModelUnavailable


def test_model_is_the_pinned_mit_licensed_pipeline() -> None:
    import json

    path = nlp.model_dir()
    meta = json.loads((path / "meta.json").read_text())
    assert meta["license"] == "MIT" and meta["version"] == nlp.VERSION and meta["author"] == "Explosion"
    assert set(nlp.nlp().pipe_names) == {"tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner"}


def test_a_changed_model_file_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "model"
    shutil.copytree(nlp.model_dir(), copy)
    nlp.verify(copy)
    (copy / "ner" / "model").write_bytes(b"not the pinned weights")
    with pytest.raises(ModelUnavailable, match="sha256"):
        nlp.verify(copy)


def test_parses_sentences_entities_and_dependencies() -> None:
    doc = next(
        nlp.analyse(["Marta Quill, the harbour master, met Tomas Brenner in Lisbon on Tuesday. They agreed on a plan."])
    )
    assert len(list(doc.sents)) == 2
    ents = {(e.text, e.label_) for e in doc.ents}
    assert ("Marta Quill", "PERSON") in ents and ("Lisbon", "GPE") in ents and ("Tuesday", "DATE") in ents
    met = next(t for t in doc if t.lemma_ == "meet")
    assert {c.dep_ for c in met.children} >= {"nsubj", "dobj"}
    assert any(t.dep_ == "appos" for t in doc)
    assert nlp.parse("Who did Marta Quill meet?") is nlp.parse("Who did Marta Quill meet?")  # cached


def test_parse_many_matches_one_at_a_time_and_keeps_order() -> None:
    """Batched passages are parsed exactly as one call each would parse them, in the order asked, repeats included."""
    texts = [
        "Ada Lune met Piet Hallam in Lyon.",
        "The ferry was cancelled on Friday.",
        "Ada Lune met Piet Hallam in Lyon.",
    ]
    docs = nlp.parse_many(texts)
    assert [d.text for d in docs] == texts
    single = nlp.nlp()(texts[1])
    assert [(t.dep_, t.head.i, t.ent_type_) for t in docs[1]] == [(t.dep_, t.head.i, t.ent_type_) for t in single]
    assert docs[0] is docs[2]  # parsed once
