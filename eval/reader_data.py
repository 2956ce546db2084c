"""Cloze-style reader questions generated from our own articles, for fitting the short-answer score.

    .venv/bin/python -m eval.reader_data [--articles PATH ...] [--per-article 4] [--out out/reader_data.jsonl]

Each question comes from one parsed sentence (spaCy, :mod:`qa.nlp`) holding a named entity, date or figure that
becomes its answer: the answer (with the preposition that introduces it) is dropped, a wh-phrase of the
entity's type is put in front, and the other words of the sentence are kept in their order ("Who", "Where",
"When", "How many NOUN", "How much", "What percentage", "Which organization"). The questions are deliberately
paraphrase-light; what they teach is which of the reader's candidates in the retrieved evidence is the answer.

One question in ``UNANSWERABLE_SHARE`` also gets an unanswerable twin: a name the question keeps (a person,
organisation or place other than the answer) is swapped for a name of the same kind from another article, so the
question asks about something no article says ("Who opened the library in Glenport?" when it was in Harbourside).
Those teach when to turn a question down (missing names, the threshold); their ``answer`` is ``None``.

The articles are the demo corpus (``demo/articles``, written by us) and the RealTimeQA *haystack* articles used as
unlabelled raw text (never their questions or answers). No evaluation item is read: a haystack article that repeats
a sentence of a RealTimeQA gold article (some are copies of one) is left out, and the gold file is read for that
check only. Items are split by article into ``fit`` and ``check`` (a stable hash of the article id), so no
article lends questions to both parts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from eval.datasets import Corpus, load_corpus
from qa import nlp
from qa.articles import normalize_record
from qa.text import sentence_spans

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ARTICLES = (
    ROOT / "demo" / "articles",
    ROOT.parent / "shared" / "data" / "realtimeqa" / "haystack_articles.jsonl",
)
# read only to leave out haystack articles that share text with a gold article (never trained on)
GOLD_ARTICLES = ROOT.parent / "shared" / "data" / "realtimeqa" / "articles.jsonl"
MIN_SHARED_CHARS = 60  # shorter repeated sentences are bylines and boilerplate, not shared reporting
CHECK_SHARE = 3  # one article in three gives check questions
MIN_TOKENS, MAX_TOKENS = 8, 45
PER_ARTICLE = 4  # questions per article at most
# A question shares only part of its words with the sentence that answers it; a cloze question that kept them all
# would teach the score that the answer's sentence always holds the whole question.
REWORDED = 0.4
_CONTENT_POS = frozenset({"NOUN", "VERB", "ADJ", "ADV"})
UNANSWERABLE_SHARE = 3  # one question in three gets an unanswerable twin
_SWAPPABLE = frozenset({"PERSON", "ORG", "GPE"})
_PREPS = frozenset({"in", "on", "at", "from", "to", "near", "by", "since", "until", "during", "across", "inside"})
_TIME_PREPS = frozenset({"on", "in", "by", "since", "until", "during", "before", "after"})


@dataclass
class ReaderItem:
    id: str
    question: str
    answer: str | None  # None: an unanswerable twin
    kind: str  # the entity label the answer was
    article_id: str
    start: int  # answer span in the article body
    end: int
    today: str | None
    part: str  # "fit" | "check"
    names: list[tuple[str, str]] = field(default_factory=list)  # (text, label) of names the question keeps


def part_of(article_id: str) -> str:
    digest = int(hashlib.sha256(article_id.encode()).hexdigest()[:8], 16)
    return "check" if digest % CHECK_SHARE == 0 else "fit"


def _wh(ent: object) -> tuple[str, int, int] | None:
    """The wh-phrase for an entity and the token range it replaces, or None when no template fits."""
    label, root = ent.label_, ent.root  # type: ignore[attr-defined]
    start, end = ent.start, ent.end  # type: ignore[attr-defined]
    prep = root.dep_ == "pobj" and root.head.i == start - 1 and root.head.lower_ in _PREPS
    if label == "PERSON" and root.dep_ in ("nsubj", "nsubjpass", "dobj", "pobj", "appos", "attr"):
        return ("Who", start - 1 if prep else start, end)
    if label == "ORG" and root.dep_ in ("nsubj", "nsubjpass", "dobj", "pobj"):
        return ("Which organization", start - 1 if prep else start, end)
    if label in ("GPE", "LOC", "FAC") and prep:
        return ("Where", start - 1, end)
    if label == "DATE" and ((prep and root.head.lower_ in _TIME_PREPS) or root.dep_ in ("npadvmod", "tmod")):
        return ("When", start - 1 if prep else start, end)
    if label == "CARDINAL" and root.dep_ == "nummod" and root.head.pos_ == "NOUN" and root.head.i == end:
        return (f"How many {root.head.text}", start, end + 1)
    if label == "MONEY":
        return ("How much", start - 1 if prep else start, end)
    if label == "PERCENT":
        return ("What percentage", start - 1 if prep else start, end)
    return None


def _reworded(token: object, rng: random.Random | None) -> bool:
    """Whether a question leaves out this word of the sentence, as a person asking in their own words would (a
    content word outside any name, with probability ``REWORDED``)."""
    content = token.pos_ in _CONTENT_POS and not token.ent_type_  # type: ignore[attr-defined]
    return rng is not None and content and rng.random() < REWORDED


def questions(sent: object, rng: random.Random | None = None) -> Iterator[tuple[str, object]]:
    """(question, entity) for each entity of the sentence a template fits; with ``rng``, some content words are
    left out (:func:`_reworded`)."""
    tokens = list(sent)  # type: ignore[call-overload]
    text = sent.text  # type: ignore[attr-defined]
    if not MIN_TOKENS <= len(tokens) <= MAX_TOKENS or "\n" in text.strip() or any(c in text for c in '“”"'):
        return
    for ent in sent.ents:  # type: ignore[attr-defined]
        wh = _wh(ent)
        if wh is None:
            continue
        phrase, a, b = wh
        kept = [
            t for t in tokens if not a <= t.i < b and (not t.is_punct or t.text in ",-'’") and not _reworded(t, rng)
        ]
        words = []
        for t in kept:
            text = t.text
            if t.i == sent.start and t.pos_ not in ("PROPN",) and text != "I":  # type: ignore[attr-defined]
                text = text.lower()
            words.append(text + t.whitespace_)
        rest = re.sub(r"\s*,(?:\s*,)+|\s+,", ",", re.sub(r"\s{2,}", " ", "".join(words))).strip(" ,")
        if len(rest.split()) < 4 or ent.text.lower() in rest.lower():  # type: ignore[attr-defined]
            continue
        yield f"{phrase} {rest}?", ent


def items_for(
    article_id: str, body: str, published: str | None, per_article: int, rng: random.Random
) -> list[ReaderItem]:
    doc = next(nlp.analyse([body]))
    found = [(q, ent) for sent in doc.sents for q, ent in questions(sent, rng)]
    rng.shuffle(found)
    out: list[ReaderItem] = []
    labels: dict[str, int] = {}
    for q, ent in found:
        label = ent.label_  # type: ignore[attr-defined]
        if labels.get(label, 0) >= max(1, per_article // 2):
            continue  # a mix of answer types per article
        labels[label] = labels.get(label, 0) + 1
        a, b = ent.start_char, ent.end_char  # type: ignore[attr-defined]
        names = [(e.text, e.label_) for e in ent.sent.ents if e.label_ in _SWAPPABLE and e.text in q and e != ent]
        out.append(
            ReaderItem(
                id=f"{article_id[:12]}-{a}",
                question=q,
                answer=body[a:b],
                kind=label,
                article_id=article_id,
                start=a,
                end=b,
                today=published,
                part=part_of(article_id),
                names=names,
            )
        )
        if len(out) >= per_article:
            break
    return out


def _long_sentences(body: str) -> set[str]:
    found = (" ".join(body[a:b].lower().split()) for a, b in sentence_spans(body))
    return {s for s in found if len(s) >= MIN_SHARED_CHARS}


def training_corpus(paths: list[Path], gold: Path = GOLD_ARTICLES) -> Corpus:
    """The articles under ``paths`` minus any that repeats a sentence of a RealTimeQA gold article."""
    corpus = load_corpus(paths)
    if not gold.exists():
        return corpus
    held_out = set().union(*(_long_sentences(r.body) for r in load_corpus([gold]).records))
    corpus.records = [r for r in corpus.records if not _long_sentences(r.body) & held_out]
    return corpus


def generate(paths: list[Path], per_article: int, seed: int = 0) -> list[ReaderItem]:
    rng = random.Random(seed)
    corpus = training_corpus(paths)
    out: list[ReaderItem] = []
    for rec in corpus.records:
        _, body = normalize_record(rec)  # the body as the store keeps it: answer offsets point into it
        published = rec.published_at.isoformat() if rec.published_at else None
        if rec.id and body.strip():
            out.extend(items_for(rec.id, body, published, per_article, rng))
    return out + unanswerable_twins(out, rng)


def unanswerable_twins(items: list[ReaderItem], rng: random.Random) -> list[ReaderItem]:
    """For one item in ``UNANSWERABLE_SHARE`` that keeps a name, the same question about a name of the same kind
    taken from another article of the same part (so the parts stay apart)."""
    pool: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for it in items:
        for text, label in it.names:
            pool.setdefault((it.part, label), []).append((text, it.article_id))
    twins: list[ReaderItem] = []
    for n, it in enumerate(items):
        if n % UNANSWERABLE_SHARE or not it.names:
            continue
        text, label = rng.choice(it.names)
        others = [
            t for t, art in pool[(it.part, label)] if art != it.article_id and t.lower() not in it.question.lower()
        ]
        if others:
            swapped = it.question.replace(text, rng.choice(others), 1)
            twins.append(replace(it, id=f"{it.id}-x", question=swapped, answer=None, kind="none", names=[]))
    return twins


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=Path, action="append")
    parser.add_argument("--per-article", type=int, default=PER_ARTICLE)
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "reader_data.jsonl")
    args = parser.parse_args()
    items = generate(args.articles or list(DEFAULT_ARTICLES), args.per_article)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as f:
        for it in items:
            f.write(json.dumps(asdict(it), ensure_ascii=False) + "\n")
    parts = {p: sum(1 for it in items if it.part == p) for p in ("fit", "check")}
    twins = sum(1 for it in items if it.answer is None)
    print(f"{len(items)} questions ({parts['fit']} fit, {parts['check']} check; {twins} unanswerable) -> {args.out}")


if __name__ == "__main__":
    main()
