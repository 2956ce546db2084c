"""How chosen sentences are shown: each a verbatim passage that reads on its own, none shown twice.

- A sentence that opens by pointing back ("It will reopen ...", "That station ...") is preceded by the sentence it
  points to, also across a paragraph break (news paragraphs are often one sentence long).
- A sentence cut out of a quotation (an opening quotation mark without its closing one, or the reverse) grows to
  its neighbours in the paragraph until the quotation is whole.
- A passage already shown (the same span, one overlapping it, or the same words from another article, as wire
  copies repeat) is not shown again; overlapping passages of one article are merged.
"""

from __future__ import annotations

from dataclasses import dataclass

from qa.generators.evidence import ArticleText, Pool, Sentence

MAX_QUOTE_GROWTH = 4  # sentences a passage may grow by to close a quotation


@dataclass
class Passage:
    article_id: str
    start: int
    end: int
    body: str
    score: float

    @property
    def text(self) -> str:
        return self.body[self.start : self.end]


def balanced(text: str) -> bool:
    return text.count("“") == text.count("”") and text.count('"') % 2 == 0


def _adjacent(text: ArticleText, a: Sentence, b: Sentence) -> bool:
    """``b`` follows ``a`` in the same paragraph with nothing but space between (no skipped sentence)."""
    body = text.article.body
    return a.paragraph == b.paragraph and not body[a.end : b.start].strip()


def _run(text: ArticleText, i: int, j: int) -> bool:
    return all(_adjacent(text, text.sentences[k], text.sentences[k + 1]) for k in range(i, j))


def whole_quotation(text: ArticleText, s: Sentence) -> tuple[int, int]:
    """The span of the smallest run of sentences around ``s`` in its paragraph whose quotation marks pair up;
    ``s`` alone when it is balanced or no such run exists."""
    if balanced(s.text):
        return s.start, s.end
    body, sents = text.article.body, text.sentences
    for size in range(2, MAX_QUOTE_GROWTH + 2):
        for i in range(max(0, s.index - size + 1), s.index + 1):
            j = i + size - 1
            if j >= len(sents) or not _run(text, i, j):
                continue
            if balanced(body[sents[i].start : sents[j].end]):
                return sents[i].start, sents[j].end
    return s.start, s.end


def antecedent(text: ArticleText, s: Sentence) -> Sentence | None:
    """The sentence an opening "it"/"that"/"this" points back to: the one before, in or above its paragraph."""
    if not s.anaphoric or s.index == 0:
        return None
    return text.sentences[s.index - 1]


def present(pool: Pool, sentences: list[Sentence]) -> list[Passage]:
    out: list[Passage] = []
    for s in sentences:
        text = pool.articles[s.article.id]
        before = antecedent(text, s)
        for part in ([before] if before is not None else []) + [s]:
            a, b = whole_quotation(text, part)
            _add(out, Passage(part.article.id, a, b, part.article.body, s.score))
    return out


def _add(out: list[Passage], p: Passage) -> None:
    for i, q in enumerate(out):
        if q.article_id == p.article_id and p.start < q.end and q.start < p.end:
            out[i] = Passage(q.article_id, min(p.start, q.start), max(p.end, q.end), q.body, max(p.score, q.score))
            return
    if any(_same_words(q.text, p.text) for q in out):
        return
    out.append(p)


def _same_words(a: str, b: str) -> bool:
    return a.split() == b.split()
