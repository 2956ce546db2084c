"""What a text asserts that can be checked lexically: content words, numbers, names, dates, negation."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.grounding.lexicon import (
    AMBIGUOUS_DATE_WORDS,
    DATE_WORDS,
    IRREGULAR,
    MULTIPLIERS,
    NEGATION_CUES,
    NUMBER_WORDS,
)
from qa.text import POSSESSIVE, STOPWORDS, normalize, stem, word_spans

# "1,056", "1, 056" (tokenised corpora put a space after the comma), "3.5", optionally "%" and a multiplier.
_NUMBER = re.compile(
    r"(?<![\w.\-])(\d{1,3}(?:,\s?\d{3})+|\d+(?:\.\d+)?)(?!\.\d)"
    r"(?:\s?(?:%|per\s?cent))?"
    r"(?:\s?(hundred|thousand|million|billion|trillion|bn|mn|tn|m|k)\b)?"
)
# Citation markers such as "[1]" or "[2, 3]" are not claims about numbers.
CITATION = re.compile(r"\s*\[\d+(?:\s*[,;]\s*\d+)*\]")
# "The article says that X" claims X about the sources: the attribution itself is not checked.
ATTRIBUTION = re.compile(
    r"^(?:the|this) (?:article|text|source|report|story|passage)s? (?:also )?(?:says|states|mentions|notes|"
    r"reports|discusses|explains|describes|suggests|indicates|is about)(?: that)?[\s,:]*",
    re.IGNORECASE,
)


def checkable(claim: str) -> str:
    """The part of a claim that is checked against the sources: no citation markers or attribution."""
    return ATTRIBUTION.sub("", CITATION.sub("", claim).strip())


# Skipped when looking for what a number counts ("50 of the people", "more than 50 people").
_FUNCTION_WORDS = frozenset(
    {
        "of",
        "the",
        "a",
        "an",
        "and",
        "or",
        "to",
        "in",
        "on",
        "at",
        "for",
        "by",
        "per",
        "cent",
        "more",
        "than",
        "about",
        "some",
        "other",
        "percent",
        "was",
        "were",
        "is",
        "are",
    }
)
_MONTH_ABBR = {
    "jan": "january",
    "feb": "february",
    "mar": "march",
    "apr": "april",
    "jun": "june",
    "jul": "july",
    "aug": "august",
    "sep": "september",
    "sept": "september",
    "oct": "october",
    "nov": "november",
    "dec": "december",
}


@dataclass(frozen=True)
class Token:
    word: str  # lower-cased
    stem: str
    start: int
    end: int
    capital: bool  # capitalised and not the first word of its sentence: a name


@dataclass(frozen=True)
class Facts:
    tokens: tuple[Token, ...]
    content: tuple[Token, ...]  # tokens that carry content (not stopwords, not one letter)
    numbers: tuple[tuple[str, frozenset[float]], ...]  # surface, candidate values
    counted: frozenset[tuple[str, float]]  # (what is counted, value): "20 years" → ("year", 20)
    dates: tuple[str, ...]
    negations: int
    negated: frozenset[str]  # stems of the content words a negation cue governs (next three)


def _to_float(digits: str) -> float:
    return float(re.sub(r"[,\s]", "", digits))


def _number_word(word: str) -> float | None:
    parts = word.split("-")
    if not all(p in NUMBER_WORDS for p in parts):
        return None
    return float(sum(NUMBER_WORDS[p] for p in parts))


def _numbers(text: str, tokens: tuple[Token, ...]) -> tuple[tuple[str, frozenset[float]], ...]:
    """Each number mentioned, with every value it could stand for ("2m" → 2 and 2,000,000)."""
    found: list[tuple[str, frozenset[float]]] = []
    for m in _NUMBER.finditer(text):
        value = _to_float(m.group(1))
        mult = MULTIPLIERS.get((m.group(2) or "").lower(), 1.0)
        found.append((m.group(0).strip(), frozenset({value, value * mult})))
    for i, tok in enumerate(tokens):
        value = _number_word(tok.word)
        if value is None:
            continue
        nxt = tokens[i + 1].word if i + 1 < len(tokens) else ""
        mult = MULTIPLIERS.get(nxt, 1.0) if nxt not in NUMBER_WORDS or nxt in MULTIPLIERS else 1.0
        found.append((text[tok.start : tok.end], frozenset({value, value * mult})))
    return tuple(found)


def lemma(word: str) -> str:
    """Irregular forms to their base, then the light stemmer; a final "e" is dropped so that
    "leave"/"leaving" and "file"/"filing" meet."""
    s = stem(IRREGULAR.get(word, word))
    return s[:-1] if len(s) > 4 and s.endswith("e") else s


def is_negation(word: str) -> bool:
    return word in NEGATION_CUES or word.endswith("n't")


def _is_content(t: Token) -> bool:
    return t.word not in STOPWORDS and not is_negation(t.word) and (len(t.word) > 1 or t.word.isdigit())


def _starts_clause(text: str, at: int) -> bool:
    """Is the word at ``at`` the first of a sentence, a quote or a heading? (Capitals there are not names.)"""
    i = at - 1
    while i >= 0 and text[i] in " \t\"'“‘(«-–—":
        if text[i] in '"“‘«':
            return True
        i -= 1
    return i < 0 or text[i] in ".!?:;\n•*"


def analyse(text: str) -> Facts:
    """Tokens and checkable facts of one sentence (or a short passage) of ``text``."""
    tokens: list[Token] = []
    for a, b in word_spans(text):
        surface = text[a:b]
        word = POSSESSIVE.sub("", normalize(surface).rstrip("."))
        tokens.append(Token(word, lemma(word), a, b, surface[0].isupper() and not _starts_clause(text, a)))
    toks = tuple(tokens)
    content = tuple(t for t in toks if _is_content(t))
    dates: list[str] = []
    for t in toks:
        if t.word in DATE_WORDS and (t.word not in AMBIGUOUS_DATE_WORDS or t.capital):
            dates.append(_MONTH_ABBR.get(t.word, t.word))
    negations = 0
    negated: set[str] = set()
    for i, t in enumerate(toks):
        if is_negation(t.word) and not (i + 1 < len(toks) and toks[i + 1].word == "only"):  # "not only"
            negations += 1
            following = [u.stem for u in toks[i + 1 : i + 6] if _is_content(u)][:3]
            negated.update(following)
    numbers = _numbers(text, toks)
    return Facts(toks, content, numbers, _counted(text, numbers, toks), tuple(dates), negations, frozenset(negated))


def _counted(
    text: str, numbers: tuple[tuple[str, frozenset[float]], ...], tokens: tuple[Token, ...]
) -> frozenset[tuple[str, float]]:
    """What each number counts (the next content word), so "20 years" can conflict with "35 years"."""
    out: set[tuple[str, float]] = set()
    cursor = 0
    for surface, values in numbers:
        at = text.find(surface, cursor)
        if at == -1:
            continue
        cursor = at + len(surface)
        following = [t for t in tokens if t.start >= cursor][:3]
        noun = next(
            (
                t.stem
                for t in following
                if t.word.isalpha()
                and len(t.word) > 1
                and t.word not in _FUNCTION_WORDS
                and t.word not in NUMBER_WORDS
                and t.word not in MULTIPLIERS
            ),
            None,
        )
        if noun is not None:
            out.update((noun, v) for v in values)
    return frozenset(out)


def acronyms(text: str) -> set[str]:
    """Initials of capitalised runs ("United Nations" → "un"), so "UN" in a claim matches the source."""
    out: set[str] = set()
    run: list[str] = []
    previous_end = 0
    for a, b in [*word_spans(text), (len(text), len(text))]:
        surface = text[a:b]
        if text[previous_end:a].strip(" -"):  # punctuation between words ends a name
            if len(run) >= 2:
                out.add("".join(w[0] for w in run).lower())
            run = []
        previous_end = b
        if surface[:1].isupper() and not (not run and surface in {"The", "A", "An"}):
            run.append(surface)
            continue
        if surface.lower() in {"of", "and", "for", "the"} and run:
            continue
        if len(run) >= 2:
            out.add("".join(w[0] for w in run).lower())
        run = []
    return out
