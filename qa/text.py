"""Sentence spans, word tokens and stopwords: one implementation used by chunking, answering and grounding."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Tokens that end with a period but do not end a sentence in news copy.
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "gen",
        "sen",
        "rep",
        "gov",
        "lt",
        "col",
        "sgt",
        "capt",
        "cmdr",
        "adm",
        "maj",
        "st",
        "jr",
        "sr",
        "rev",
        "hon",
        "pres",
        "supt",
        "insp",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mon",
        "tue",
        "tues",
        "wed",
        "thu",
        "thur",
        "thurs",
        "fri",
        "sat",
        "sun",
        "no",
        "vs",
        "etc",
        "inc",
        "ltd",
        "co",
        "corp",
        "dept",
        "univ",
        "ave",
        "blvd",
        "rd",
        "mt",
        "ft",
        "approx",
        "est",
        "fig",
        "al",
    ]
)
_SENT_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)|\n")
_WORD = re.compile(r"[\w][\w'’\-.]*[\w]|[\w]", re.UNICODE)
# A possessive ending on a normalised word (straight apostrophe): "tarvia's" -> "tarvia", "workers'" -> "workers".
POSSESSIVE = re.compile(r"'s?$")
_PARA = re.compile(r"\n\s*\n")

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "said",
        "says",
        "say",
        "according",
        "would",
        "could",
        "may",
        "might",
        "must",
        "shall",
        "also",
        "however",
        "one",
        "two",
        "new",
        "year",
        "years",
        "last",
        "week",
        "weeks",
        "month",
        "today",
        "yesterday",
        "tomorrow",
        "recently",
        "recent",
        "time",
        "mr",
        "ms",
        "mrs",
    ]
)


def normalize(text: str) -> str:
    """NFKC, curly quotes to straight, lowercase: for comparison only, never for what is stored."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return text.lower()


def words(text: str) -> list[str]:
    """Lower-cased word tokens with straight apostrophes; trailing periods of abbreviations dropped."""
    return [w.rstrip(".") for w in _WORD.findall(normalize(text))]


def word_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` offsets of the same word tokens as :func:`words`, into the original (cased) text."""
    return [m.span() for m in _WORD.finditer(text)]


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]


@lru_cache(maxsize=4096)
def stem(word: str) -> str:
    """A light suffix stripper: enough to match 'cancelled'/'cancellation'/'cancel' style variants."""
    for suffix in (
        "ational",
        "ations",
        "ation",
        "ments",
        "ment",
        "ings",
        "ing",
        "ied",
        "ies",
        "edly",
        "ed",
        "es",
        "ly",
        "s",
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "aeiousl":
        word = word[:-1]
    if len(word) > 4 and word.endswith("ll"):
        word = word[:-1]
    return word


def _is_abbreviation(text: str, dot: int) -> bool:
    """Is the period at ``dot`` part of an abbreviation or an initial (``U.S.``, ``H. Pak``, ``Mr.``)?"""
    start = dot
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "."):
        start -= 1
    token = text[start:dot].lower()
    if not token:
        return False
    if token in _ABBREVIATIONS or "." in token:
        return True
    return len(token) == 1 and token.isalpha()


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence ``(start, end)`` offsets into ``text`` (whitespace trimmed); newlines always end a sentence."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cursor = start
    for m in _SENT_END.finditer(text, start, end):
        stop = m.end()
        if m.group() != "\n":
            first = m.start()
            if text[first] == "." and m.end() - first == 1 and _is_abbreviation(text, first):
                continue
            nxt = stop
            while nxt < end and text[nxt] in " \t":
                nxt += 1
            # A lower-case continuation ("... said Mr. Li. and then") is not a new sentence.
            if nxt < end and text[nxt].islower():
                continue
        _append_trimmed(text, cursor, stop, spans)
        cursor = stop
    _append_trimmed(text, cursor, end, spans)
    return spans


def _append_trimmed(text: str, a: int, b: int, spans: list[tuple[int, int]]) -> None:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    if b > a:
        spans.append((a, b))


def paragraphs(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    cursor = 0
    for m in _PARA.finditer(text):
        _append_trimmed(text, cursor, m.start(), spans)
        cursor = m.end()
    _append_trimmed(text, cursor, len(text), spans)
    return spans
