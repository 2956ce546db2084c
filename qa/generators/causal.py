""" "Why" questions: does the evidence state a reason for the event asked about?

A sentence gives a reason when it holds causal language (because, due to, citing, attributed ... to, said
it was ...) AND is about the event: it, with the sentence before it, covers most of the question's words,
and for weak markers such as "after" or "following" the event word stands right before the marker
("cancelled after ..."), since "after" is usually just time. Sentences that say a reason was NOT given
("did not give a reason", "declined to comment") are collected separately: they are the honest answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qa.generators.evidence import Pool, Sentence

_STRONG = re.compile(
    r"\b(?:because|due to|owing to|as a result|result(?:ed|s)? (?:of|from)|the reason|reasons? (?:for|was|is|were)"
    r"|cit(?:ed|ing)|attribut(?:ed|ing|es)\b[^.]{0,80}\bto|blam(?:ed|ing|es)\b[^.]{0,80}\bon|caused by|prompted by"
    r"|in response to|in protest|so that|in order to|thanks to|driven by|stem(?:s|med) from|on the grounds"
    r"|led to|explained that|the cause)\b",
    re.IGNORECASE,
)
_WEAK = re.compile(r"\b(?:after|following|amid|over|since|as)\b", re.IGNORECASE)
# "X said the offer was not enough": a stated judgement is the reason people give in news copy.
_SAID_IT_WAS = re.compile(
    r"\b(?:said|says|argued|complained|warned)\b[^.]{0,60}?\b(?:was|were|is|are|would be|had been)\b"
    r"[^.]{0,40}?\b(?:not enough|too|insufficient|unacceptable|unfair|inadequate|necessary|needed|unsafe|"
    r"a (?:pay cut|mistake|risk))",
    re.IGNORECASE,
)
_NO_REASON = re.compile(
    r"\b(?:did not|didn't|does not|doesn't|would not|wouldn't|declined to|refused to|gave no|giving no|without"
    r"(?: giving)?(?: an?)?|no)\s+(?:give |say |provide |offer |explain |comment|state |disclose )?"
    r"(?:an? |any )?(?:reason|explanation|why|comment)"
    r"|\bunclear why\b|\bnot (?:been )?explained\b|\bno reason\b|\bdeclined to (?:comment|explain|elaborate)\b",
    re.IGNORECASE,
)


@dataclass
class Reasons:
    causal: list[Sentence] = field(default_factory=list)  # sentences that state a reason for the event
    denials: list[Sentence] = field(default_factory=list)  # sentences saying no reason was given
    events: list[Sentence] = field(default_factory=list)  # sentences about the event itself


def _linked(pool: Pool, s: Sentence, threshold: float) -> bool:
    return s.coverage >= threshold


def _event_words(pool: Pool) -> set[str]:
    """Question words that are not names: the event's verb and nouns ("meeting", "cancelled")."""
    q = pool.question
    return {t for t in q.focus_terms if t not in q.proper_terms and t in pool.weights}


def find_reasons(pool: Pool, link: float = 0.5) -> Reasons:
    out = Reasons()
    event = _event_words(pool)
    for s in pool.sentences:
        text = s.text
        if not _linked(pool, s, link):
            continue
        if not event or s.terms & event or pool.coverage(s.terms) >= link:
            out.events.append(s)
        if _NO_REASON.search(text):
            out.denials.append(s)
            continue
        if _STRONG.search(text) or _SAID_IT_WAS.search(text) or _weak_cause(s, event):
            out.causal.append(s)
    return out


def _weak_cause(s: Sentence, event: set[str]) -> bool:
    """ "cancelled after ...": an event word at most four words before a weak marker."""
    for m in _WEAK.finditer(s.text):
        at = s.start + m.start()
        before = [t for a, _, t in s.tokens if a < at][-4:]
        if event & set(before):
            return True
    return False


def restate(question: str) -> str:
    """ "Why was the meeting cancelled?" -> "why the meeting was cancelled" (for "no reason is given for ...")."""
    q = question.strip().rstrip("?").strip()
    m = re.match(r"(?i)why\s+(was|were|is|are|has|have|had)\s+(.+)$", q)
    if m:
        aux, rest = m.group(1), m.group(2)
        words = rest.split()
        for i in range(len(words) - 1, 0, -1):
            if re.search(r"(?:ed|en|wn|ld|ght)$", words[i]):
                return "why " + " ".join([*words[:i], aux, *words[i:]])
        return f"why {rest} {aux}"
    m = re.match(r"(?i)why\s+(?:did|does|do)\s+(.+)$", q)
    if m:
        return f"why {m.group(1)}"
    return "why" if not q.lower().startswith("why") else q[0].lower() + q[1:]
