"""The extractive briefing: key sentences of the articles, quoted verbatim (offline, no model).

Leads first (news puts the main facts there), then sentences dense in names and figures that share the
topic's words; near-duplicates across articles merge into one bullet with both citations.
"""

from __future__ import annotations

import datetime as dt
import re

from qa.generators.base import Draft, DraftSentence, Source
from qa.generators.evidence import ArticleText, Sentence, jaccard
from qa.generators.questions import terms


def extractive_brief(title: str, sources: list[Source], max_bullets: int) -> Draft:
    """Key sentences of the articles, at most ``max_bullets``, each a verbatim span of its article."""
    topic = set(terms(title))
    texts: dict[str, ArticleText] = {}
    for src in sources:
        texts.setdefault(src.article.id, ArticleText(src.article))
    ranked: dict[str, list[tuple[float, Sentence]]] = {}
    for aid, text in texts.items():
        scored = []
        for s in text.sentences:
            text.tokenize(s)
            scored.append((_importance(s, topic, terms(text.article.title)), s))
        ranked[aid] = sorted(scored, key=lambda x: -x[0])
    order = sorted(texts, key=lambda a: (texts[a].article.published_at or dt.date.min, a))
    bullets: list[tuple[Sentence, list[Sentence], float, int]] = []
    for rnd in range(max_bullets):
        for aid in order:
            if len(bullets) >= max_bullets or rnd >= len(ranked[aid]):
                continue
            score, s = ranked[aid][rnd]
            if score <= 0:
                continue
            dup = next((b for b in bullets if jaccard(b[0].terms, s.terms) >= 0.45), None)
            if dup is not None:
                dup[1].append(s)  # the same fact reported again: one bullet, both citations
                continue
            bullets.append((s, [s], score, rnd))
    # Chronological across articles (events unfold), most important first within an article.
    bullets.sort(key=lambda b: (b[0].article.published_at or dt.date.min, order.index(b[0].article.id), b[3]))
    out = [
        DraftSentence(
            text=s.text, spans=[(x.article.id, x.start, x.end) for x in same], score=round(min(score, 1.0), 4)
        )
        for s, same, score, _ in bullets
    ]
    return Draft(sentences=out)


_FIGURE = re.compile(r"\d|\b[A-Z][a-z]+\b")


def _importance(s: Sentence, topic: set[str], title: list[str]) -> float:
    """Lead position, overlap with the title and topic, and density of facts (figures and names)."""
    text = s.text
    n_words = len(s.tokens)
    if n_words < 6 or text.endswith("?"):
        return 0.0
    lead = 1.0 / (1.0 + 0.35 * s.index)
    overlap = len(s.terms & (topic | set(title))) / max(1, len(topic | set(title)))
    facts = min(1.0, len(_FIGURE.findall(text[1:])) / 8)
    quote_only = 0.15 if text.lstrip().startswith(("“", '"')) else 0.0
    return lead + 0.6 * overlap + 0.3 * facts - quote_only
