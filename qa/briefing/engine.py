"""Briefings: a title and 3–8 cited bullets over chosen articles or a topic (with a date window).

Extractive by default (key sentences, cross-article duplicates merged into one bullet with both
citations); with an LLM, its bullets are verified sentence by sentence and, if fewer than three survive,
the extractive briefing is used instead.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from qa.briefing.extractive import extractive_brief
from qa.citations import check_citations, cite, dedupe
from qa.errors import InvalidInput, NotFound
from qa.generators.base import Draft, Source
from qa.models import Article, Briefing, Bullet, Filters, Hit

if TYPE_CHECKING:
    from qa.answer import AnswerEngine

MIN_BULLETS, MAX_BULLETS = 3, 8
TOPIC_ARTICLES = 5  # a topic briefing draws on at most this many articles
TOPIC_RELEVANCE = 0.6  # ... each scoring at least this share of the best article's retrieval score


def bullet_budget(n_articles: int) -> int:
    return min(MAX_BULLETS, 3 + 2 * n_articles)


def _whole(article: Article, number: int) -> Source:
    """An article as one numbered source (briefings summarise whole articles, not retrieved chunks)."""
    hit = Hit(
        article_id=article.id,
        title=article.title,
        chunk_index=0,
        start=0,
        end=len(article.body),
        text=article.body,
        score=1.0,
        published_at=article.published_at,
        source=article.source,
        url=article.url,
    )
    return Source(number=number, hit=hit, article=article)


class BriefingEngine:
    def __init__(self, engine: AnswerEngine) -> None:
        self.engine = engine

    def articles(
        self, article_ids: list[str] | None, topic: str | None, since: dt.date | None, until: dt.date | None
    ) -> list[Article]:
        store = self.engine.store
        if article_ids:
            found = store.bodies(list(dict.fromkeys(article_ids)))
            missing = [a for a in article_ids if a not in found or found[a].state != "ready"]
            if missing:
                raise NotFound(f"no article with id {', '.join(repr(m) for m in missing)}")
            arts = [found[a] for a in dict.fromkeys(article_ids)]
            return [a for a in arts if _in_window(a, since, until)]
        if not topic or not topic.strip():
            raise InvalidInput("a briefing needs article ids or a topic")
        hits = self.engine.retriever.search(topic, k=40, filters=Filters(since=since, until=until))
        best: dict[str, float] = {}
        for h in hits:
            best[h.article_id] = max(best.get(h.article_id, 0.0), h.score)
        if not best:
            return []
        top = max(best.values())
        ids = [a for a, s in sorted(best.items(), key=lambda kv: -kv[1]) if s >= TOPIC_RELEVANCE * top]
        found = store.bodies(ids[:TOPIC_ARTICLES])
        return [found[a] for a in ids[:TOPIC_ARTICLES] if a in found]

    def brief(
        self,
        article_ids: list[str] | None = None,
        topic: str | None = None,
        since: dt.date | None = None,
        until: dt.date | None = None,
        generator: str | None = None,
    ) -> Briefing:
        name = self.engine.resolve(generator)
        arts = self.articles(article_ids, topic, since, until)
        if not arts:
            raise NotFound("no articles match this briefing request" + (f" (topic {topic!r})" if topic else ""))
        arts.sort(key=lambda a: (a.published_at or dt.date.min, a.id))
        sources = [_whole(a, n) for n, a in enumerate(arts, 1)]
        title = topic.strip() if topic else (arts[0].title if len(arts) == 1 else f"Briefing on {len(arts)} articles")
        budget = bullet_budget(len(arts))
        bullets: list[Bullet] = []
        used = "extractive"
        if name == "llm":
            draft = self.engine.generator("llm").brief(title, sources, budget)
            bullets = self._verified(draft, sources)
            if len(bullets) >= MIN_BULLETS:
                used, title = "llm", draft.preface or title
        if used == "extractive":
            draft = extractive_brief(title, sources, budget)
            articles = {a.id: a for a in arts}
            bullets = [
                Bullet(
                    text=d.text,
                    citations=dedupe(cite(articles[aid], a, b) for aid, a, b in d.spans),
                    supported=True,
                    score=1.0,
                )
                for d in draft.sentences
            ]
        check_citations([c for b in bullets for c in b.citations], {a.id: a for a in arts})
        return Briefing(title=title, bullets=bullets, article_ids=[a.id for a in arts], generator=used)

    def _verified(self, draft: Draft, sources: list[Source]) -> list[Bullet]:
        cited = [self.engine.cite_sentence(d, sources) for d in draft.sentences]
        checked = self.engine.verify_sentences(cited, sources)
        return [
            Bullet(text=s.text, citations=s.citations, supported=True, score=s.score) for s in checked if s.supported
        ]


def _in_window(article: Article, since: dt.date | None, until: dt.date | None) -> bool:
    day = article.published_at
    if day is None:
        return since is None and until is None
    return (since is None or day >= since) and (until is None or day <= until)
