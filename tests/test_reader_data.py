"""The cloze question templates of eval/reader_data.py and the fitted candidate score's loader, on sentences
written for these tests."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from eval.reader_data import ReaderItem, part_of, questions, training_corpus, unanswerable_twins
from qa import nlp
from qa.generators import candidate_score


def _questions(sentence: str) -> dict[str, str]:
    doc = nlp.parse(sentence)
    return {ent.text: q for sent in doc.sents for q, ent in questions(sent)}


@pytest.mark.parametrize(
    ("sentence", "answer", "starts", "keeps"),
    [
        ("Maria Lopez opened the new library in the harbour district last spring.", "Maria Lopez", "Who ", "opened"),
        ("The ferry company will cut 40 jobs at its Glenport yard next year.", "40", "How many jobs ", "ferry"),
        (
            "The bridge repairs will cost $12 million and take two winters to finish.",
            "$12 million",
            "How much ",
            "bridge",
        ),
        ("The town council voted on Tuesday to close the old pier for repairs.", "Tuesday", "When ", "council"),
    ],
)
def test_the_answer_is_dropped_and_a_wh_phrase_of_its_type_put_in_front(
    sentence: str, answer: str, starts: str, keeps: str
) -> None:
    made = _questions(sentence)
    assert answer in made, made
    q = made[answer]
    assert q.startswith(starts) and q.endswith("?")
    assert answer not in q and keeps in q
    if starts == "When ":
        assert " on " not in q  # the preposition goes with the date


def test_a_split_is_by_article_and_stable() -> None:
    ids = [f"article-{n}" for n in range(300)]
    parts = [part_of(i) for i in ids]
    assert parts == [part_of(i) for i in ids]
    assert 60 < parts.count("check") < 140


@pytest.mark.parametrize("penalty", sorted(candidate_score.PENALTIES))
def test_each_penalty_multiplies_the_score_by_its_factor_per_count(penalty: str) -> None:
    base = {"type_fit": 1.0, "sentence": 0.8, "near": 0.4, "head_noun_near": 0.5, "align": 0.0, "rank": 0.0}
    factor = candidate_score.PENALTIES[penalty]
    for count in (1.0, 2.0):
        penalised = candidate_score.score(base | {penalty: count})
        assert penalised == pytest.approx(candidate_score.score(base) * factor**count)


def test_agreement_counts_the_question_words_around_the_other_passages() -> None:
    assert candidate_score.agreement([]) == 0.0
    assert candidate_score.agreement([{"near": 0.0}, {"near": 0.0}]) == 0.0  # bare mentions elsewhere
    assert candidate_score.agreement([{"near": 0.5}]) > candidate_score.agreement([{"near": 0.2}]) > 0.0
    # the best occurrence counts whole, the others with diminishing returns
    assert candidate_score.total([0.2, 1.0, 0.4]) == pytest.approx(1.0 + candidate_score.AGREEMENT * (0.4 + 0.2 / 2))


def test_an_article_that_repeats_a_held_out_article_is_not_trained_on(tmp_path: Path) -> None:
    shared = "The harbour board said on Friday that the new breakwater would be finished before the winter storms."
    held_out = {"id": "gold-1", "title": "Breakwater", "body": f"{shared} Work began in May."}
    own = {
        "id": "own-1",
        "title": "Ferries",
        "body": "The island ferry will run twice a day from June. Tickets cost more.",
    }
    copy = {"id": "copy-1", "title": "Breakwater news", "body": f"In brief. {shared}"}
    gold, corpus = tmp_path / "gold.jsonl", tmp_path / "corpus.jsonl"
    gold.write_text(json.dumps(held_out) + "\n")
    corpus.write_text("".join(json.dumps(o) + "\n" for o in (own, copy)))
    assert [r.title for r in training_corpus([corpus], gold).records] == ["Ferries"]
    assert len(training_corpus([corpus], tmp_path / "absent.jsonl").records) == 2


def _item(n: int, article: str, question: str, names: list[tuple[str, str]]) -> ReaderItem:
    return ReaderItem(f"q{n}", question, "Tuesday", "DATE", article, 0, 7, None, "fit", names)


def test_an_unanswerable_twin_asks_about_a_name_of_the_same_kind_from_another_article() -> None:
    items = [
        _item(0, "a1", "When did Nora Bell open the ferry office in Glenport?", [("Nora Bell", "PERSON")]),
        _item(1, "a1", "When did the bakery close?", []),
        _item(2, "a1", "When did the council meet?", []),
        _item(3, "a2", "When did Owen Marsh sign the lease?", [("Owen Marsh", "PERSON"), ("Glenport", "GPE")]),
    ]
    twins = unanswerable_twins(items, random.Random(0))
    assert [t.id for t in twins] == ["q0-x", "q3-x"]
    first, second = twins
    assert first.question == "When did Owen Marsh open the ferry office in Glenport?"
    assert first.answer is None and first.part == "fit"
    assert second.question == "When did Nora Bell sign the lease?"  # the only person of another article
    # A name with no other of its kind elsewhere (the only place, from the same article) makes no twin.
    alone = [_item(0, "a1", "When did the ferry office in Glenport open?", [("Glenport", "GPE")]), items[1]]
    assert unanswerable_twins(alone, random.Random(0)) == []


def test_a_reworded_question_leaves_out_content_words_but_keeps_the_names() -> None:
    sentence = "Maria Lopez opened the new public library in the harbour district of Glenport last spring."
    doc = nlp.parse(sentence)
    whole = {ent.text: q for sent in doc.sents for q, ent in questions(sent)}["Maria Lopez"]
    shorter = [
        {ent.text: q for sent in doc.sents for q, ent in questions(sent, random.Random(seed))}["Maria Lopez"]
        for seed in range(20)
    ]
    assert all("Glenport" in q and q.startswith("Who ") and len(q) <= len(whole) for q in shorter)
    assert any(len(q) < len(whole) for q in shorter)
