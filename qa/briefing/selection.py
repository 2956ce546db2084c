"""Which sentences become bullets: coverage of the whole of every article (greedy facility location over
sentence embeddings: the points it spends most words on first, no repeats) plus importance (a fitted model
over named features). Each sentence brings the ones it leans on, and the same fact reported by two articles
becomes one bullet with both citations.

Its input is the articles already chosen (by id, by topic, by time): choosing articles is the caller's job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from qa.briefing.features import FEATURES, sentence_features
from qa.briefing.params import DUPLICATE_JACCARD, MIN_WORDS, TITLE_REPEAT, params
from qa.briefing.sentences import ArticleSentences, Sentence
from qa.embeddings import Embedder
from qa.generators.questions import terms
from qa.grounding.model import Logistic
from qa.injection import is_suspect


@dataclass(eq=False)
class Pick:
    """A bullet: a key sentence with the sentences it leans on (all quoted, in the article's order), and the
    same fact as other articles report it (cited with it)."""

    sentence: Sentence  # the key sentence (its importance is the bullet's score)
    score: float
    quoted: list[Sentence] = field(default_factory=list)  # the key sentence and its antecedents, in order
    duplicates: list[Sentence] = field(default_factory=list)

    def merge(self, other: Pick) -> None:
        """One bullet for two that quote the same sentence (one leans on the other, or both on a third)."""
        keep = {s.key: s for s in [*self.quoted, *other.quoted]}
        self.quoted = sorted(keep.values(), key=lambda s: s.index)  # overlapping stretches: still contiguous
        if other.score > self.score:
            self.sentence, self.score = other.sentence, other.score
        self.duplicates += [d for d in other.duplicates if d.key not in {x.key for x in self.duplicates}]


@dataclass
class Scored:
    """The sentences of the chosen articles with their embeddings and importance, computed once per briefing."""

    texts: list[ArticleSentences]
    sentences: list[Sentence]
    vectors: np.ndarray
    importance: np.ndarray
    candidate: np.ndarray  # may stand as a bullet (long enough, not the headline again)


def score(
    texts: list[ArticleSentences], subject: str | None, embedder: Embedder, model: Logistic | None = None
) -> Scored:
    """Embed every sentence once (with the subject and the titles, in one batch) and score its importance.
    ``subject`` is the topic; without one each article is read against its own title. ``model`` replaces the
    fitted importance model (the fit uses it)."""
    if model is None:
        p = params()
        if p.importance_features != FEATURES:
            raise ValueError("qa/briefing/weights.json was fitted on other features: run python -m eval.fit_briefing")
        model = p.importance
    sentences = [s for t in texts for s in t.sentences]
    heads = [t.article.title for t in texts] + ([subject] if subject else [])
    vectors = embedder.embed(heads + [s.text for s in sentences])
    titles, body = vectors[: len(texts)], vectors[len(heads) :]
    rows, candidate, at = [], [], 0
    for i, t in enumerate(texts):
        own = body[at : at + len(t)]
        about = vectors[len(texts)] if subject else titles[i]
        rows.append(sentence_features(t, own, about))
        candidate += [
            len(s.words) >= MIN_WORDS and float(v @ titles[i]) < TITLE_REPEAT
            for s, v in zip(t.sentences, own, strict=True)
        ]
        at += len(t)
    x = np.vstack(rows) if rows else np.zeros((0, len(FEATURES)))
    return Scored(texts, sentences, body, model.prob(x), np.asarray(candidate, dtype=bool))


def choose(scored: Scored, budget: int, weight: float | None = None) -> list[Pick]:
    """Greedy coverage with importance: each next bullet is the sentence that most increases how much of the
    articles the bullets cover — every sentence, weighted by its length, counts as covered by its most similar
    bullet of its article (a facility-location objective: the points an article spends most words on weigh
    most, and a sentence like one already chosen adds little) — plus ``weight`` times its importance (default: the
    fitted weight). Every article gets one bullet first, budget allowing."""
    lam = params().importance_weight if weight is None else weight
    pool = [i for i in range(len(scored.sentences)) if scored.candidate[i]]
    if not pool:
        return []
    owner = np.array([id(s.article) for s in scored.sentences])
    # A bullet covers the sentences of its own article: each article's points, by the words it spends on them.
    # (The same fact in another article is merged into the bullet as a citation, not counted as coverage.)
    sims = np.clip(scored.vectors @ scored.vectors.T, 0.0, 1.0) * (owner[:, None] == owner[None, :])
    mass = _word_mass(scored, owner)
    covered = np.zeros(len(scored.sentences))
    chosen: list[int] = []
    suspect: set[int] = set()

    def take(options: list[int]) -> int | None:
        """The best option, passing over a suspect sentence (:func:`qa.injection.is_suspect`, judged only for the
        sentences that would be picked: a few per briefing)."""
        options = [i for i in options if i not in chosen and i not in suspect]
        while options:
            gain = (np.maximum(sims[options], covered) - covered) @ mass + lam * scored.importance[options]
            best = options[int(np.argmax(gain))]
            if not is_suspect(scored.sentences[best].text):
                return best
            suspect.add(best)
            options.remove(best)
        return None

    def add(i: int) -> None:
        chosen.append(i)
        np.maximum(covered, sims[i], out=covered)

    for text in scored.texts:  # articles in the caller's order (most relevant first)
        if len(chosen) >= budget:
            break
        pick = take([i for i in pool if scored.sentences[i].article is text.article])
        if pick is not None and not _same_fact_as(scored, pick, chosen):
            add(pick)
    while len(chosen) < budget:
        pick = take(pool)
        if pick is None:
            break
        if _same_fact_as(scored, pick, chosen):
            pool.remove(pick)  # reported again by another article: cited with the first report, not a new bullet
            continue
        add(pick)
    picks = [Pick(scored.sentences[i], round(float(scored.importance[i]), 4)) for i in chosen]
    by_article = {t.article.id: t for t in scored.texts}
    for pick in picks:
        leaned = by_article[pick.sentence.article.id].antecedents(pick.sentence)
        while leaned and any(is_suspect(x.text) for x in leaned):  # quote only the stretch after a suspect one
            leaned = leaned[1:]
        pick.quoted = [*leaned, pick.sentence]
        pick.duplicates = _reported_elsewhere(scored, pick.sentence)
    return _without_overlap(picks)


def _word_mass(scored: Scored, owner: np.ndarray) -> np.ndarray:
    """Each sentence's share of its article's words; every article weighs one."""
    words = np.array([max(1, len(s.words)) for s in scored.sentences], dtype=np.float64)
    for a in set(owner.tolist()):
        words[owner == a] /= words[owner == a].sum()
    return words


def _terms(s: Sentence) -> frozenset[str]:
    return _text_terms(s.text)


@lru_cache(maxsize=8192)
def _text_terms(text: str) -> frozenset[str]:
    return frozenset(terms(text))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _same_fact_as(scored: Scored, i: int, chosen: list[int]) -> bool:
    mine = _terms(scored.sentences[i])
    return any(
        scored.sentences[j].article.id != scored.sentences[i].article.id
        and _jaccard(mine, _terms(scored.sentences[j])) >= DUPLICATE_JACCARD
        for j in chosen
    )


def _reported_elsewhere(scored: Scored, s: Sentence) -> list[Sentence]:
    """The sentence of each other article that reports the same fact, if any."""
    mine = _terms(s)
    out = []
    for text in scored.texts:
        if text.article.id == s.article.id:
            continue
        best = max(text.sentences, key=lambda x: _jaccard(mine, _terms(x)), default=None)
        if best is not None and _jaccard(mine, _terms(best)) >= DUPLICATE_JACCARD:
            out.append(best)
    return out


def _without_overlap(picks: list[Pick]) -> list[Pick]:
    """A sentence is quoted once: bullets that share one (as key sentence or antecedent) merge."""
    out: list[Pick] = []
    for pick in picks:
        keys = {s.key for s in pick.quoted}
        other = next((o for o in out if keys & {s.key for s in o.quoted}), None)
        if other is None:
            out.append(pick)
        else:
            other.merge(pick)
    return out
