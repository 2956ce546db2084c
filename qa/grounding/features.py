"""Claim-vs-source features: alignment similarity plus the lexical checks that catch swapped facts.

A hallucinated claim usually looks like a source sentence with one thing changed (a name, a number,
a date, a negation, an antonym, an inserted phrase), so cosine similarity alone cannot tell it apart;
each feature below looks for one kind of change and the fitted weights combine them.
"""

from __future__ import annotations

import difflib
import itertools
import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from qa.chunking import encoding
from qa.grounding.facts import Facts, Token, acronyms, analyse
from qa.grounding.lexicon import ANTONYMS, DEMONYMS
from qa.injection import injected_spans
from qa.text import sentence_spans

FEATURES = (
    "similarity",  # cosine of the best-aligned source sentence or 2-sentence window
    "coverage_local",  # share of the claim's content words found in the aligned passages
    "pair_coverage",  # share of adjacent content-word pairs found (near each other) in the sources
    "novel_number",  # a number the sources never mention
    "number_elsewhere",  # a number the sources mention, but not in the aligned passages
    "number_conflict",  # the aligned passage counts the same thing with another number ("20 years"/"35 years")
    "novel_name",  # capitalised names the sources never mention (capped at 2)
    "name_elsewhere",  # names that the sources mention, but not in the aligned passages (capped at 2)
    "novel_date",  # a month or weekday the sources never mention
    "negation_mismatch",  # negated in the claim but not in the source, or the other way round
    "antonym",  # a word whose antonym stands in the aligned passage instead
    "novel_run",  # longest run of consecutive content words not in the sources (capped at 4)
    "substituted_words",  # unmatched words standing where the aligned sentence has another word (rewording?)
    "substituted_nounlike",  # ... of those, the ones that look like nouns (a swapped thing, "beach"/"clifftop")
    "added_words",  # unmatched words with no counterpart in the aligned sentence: added content
    "added_rarity",  # how rare the added words are: invented names and places are rare words
    "log_content_words",
    "entailment",  # the entailment model's support logit for the claim against its aligned window (qa/grounding/nli.py)
)
ENTAILMENT = FEATURES.index("entailment")  # filled in by the verifier after alignment (the window needs it)
# Concrete contradictions: a claim showing one is unsupported whatever its similarity, so its score is
# capped (the fitted model alone weighs them against high similarity and sometimes lets them through).
CONTRADICTIONS = ("novel_number", "number_conflict", "novel_name", "novel_date", "negation_mismatch", "antonym")
CONTRADICTION_CAP = 0.05
LOCAL_UNITS = 3  # the aligned passages: top units by similarity + lexical recall
PREFIX = 7  # "cancellation"/"cancelled", "president"/"presidential" match on a shared prefix
NAME_PREFIX = 5  # "Canada"/"Canadian", "Australia"/"Australian"


def _prefix(word: str, n: int) -> str | None:
    return word[:n] if len(word) >= n else None


@dataclass
class Unit:
    """A source sentence, or two adjacent sentences (claims often fuse two)."""

    start: int
    end: int
    stems: frozenset[str]
    words: frozenset[str]  # surface words, lower-cased (antonyms are listed as surface words)
    numbers: frozenset[float]
    counted: frozenset[tuple[str, float]]
    negations: int
    negated: frozenset[str]
    pair: tuple[int, int] | None = None  # for a window: the indexes of its two sentence units


@dataclass
class SourceIndex:
    """Everything about one source text that does not depend on the claim (built once, cached)."""

    units: list[Unit]
    texts: list[str]  # unit texts, in the order of ``units`` (what gets embedded)
    sources: list[int]  # which source each unit comes from (all 0 until merged)
    stems: frozenset[str]
    prefixes: frozenset[str]
    words: frozenset[str]
    name_prefixes: frozenset[str]
    numbers: frozenset[float]
    dates: frozenset[str]
    pairs: frozenset[tuple[str, str]]
    embeddings: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))


_VERBLIKE_ENDINGS = (
    "ed",
    "ing",
    "ly",
    "ive",
    "ous",
    "ful",
    "able",
    "ible",
    "ize",
    "ise",
    "ized",
    "ised",
    "ate",
    "ated",
    "ating",
    "ish",
    "ic",
    "al",
)


@lru_cache(maxsize=65536)
def rarity(word: str) -> float:
    """0 for a frequent word, up to 1 for a rare one, from its cl100k BPE encoding (offline, deterministic).

    BPE merges frequent words into one token with a low rank; names and rare words split into pieces.
    Lower-cased news text (QAGS) hides names from the capitalisation check, but not from this.
    """
    ids = encoding().encode_ordinary(" " + word)
    if len(ids) > 1:
        return 1.0
    return min(ids[0] / 60000.0, 1.0) * 0.5


MAX_SWAP = 3  # a differing stretch longer than this (either side) is added content, not a word swap


def _edits(claim: Facts, unmatched: list[Token], passage: str) -> tuple[list[Token], list[Token]]:
    """Split the unmatched words into substitutions and additions by aligning the claim to the passage.

    A word that stands where the passage has another word ("demise" for "death", or "beach" for
    "clifftop") is a substitution: a paraphrase or a swap. A word with no counterpart is added content,
    which is what an abstractive summary's invented facts look like.
    """
    if not unmatched:
        return [], []
    source = [t.stem for t in analyse(passage).tokens]
    ids = {id(t) for t in unmatched}
    substituted: list[Token] = []
    added: list[Token] = []
    ops = difflib.SequenceMatcher(None, [t.stem for t in claim.tokens], source, autojunk=False).get_opcodes()
    for op, i1, i2, j1, j2 in ops:
        mine = [t for t in claim.tokens[i1:i2] if id(t) in ids]
        if op == "replace" and i2 - i1 <= MAX_SWAP and 0 < j2 - j1 <= MAX_SWAP:
            substituted.extend(mine)
        elif op in ("replace", "insert"):
            added.extend(mine)
    return substituted, added


def _nounlike(t: Token) -> bool:
    """A crude part-of-speech guess by suffix: no tagger ships offline, and this is all the feature needs."""
    return t.capital or not t.word.endswith(_VERBLIKE_ENDINGS)


def _near_pairs(content: tuple[Token, ...], reach: int) -> set[tuple[str, str]]:
    stems = [t.stem for t in content]
    return {(a, b) for i, a in enumerate(stems) for b in stems[i + 1 : i + 1 + reach]}


def build_index(text: str) -> SourceIndex:
    # Lines addressed to an AI are never evidence: a claim that repeats an injected instruction finds no support.
    injected = injected_spans(text)
    spans = [(a, b) for a, b in sentence_spans(text) if not any(x < b and a < y for x, y in injected)]
    facts = [analyse(text[a:b]) for a, b in spans]
    units: list[Unit] = []
    for (a, b), f in zip(spans, facts, strict=True):
        units.append(
            Unit(
                a,
                b,
                frozenset(t.stem for t in f.content),
                frozenset(t.word for t in f.tokens),
                frozenset(v for _, vs in f.numbers for v in vs),
                f.counted,
                f.negations,
                f.negated,
            )
        )
    for i in range(len(spans) - 1):
        first, second = units[i], units[i + 1]
        units.append(
            Unit(
                first.start,
                second.end,
                first.stems | second.stems,
                first.words | second.words,
                first.numbers | second.numbers,
                first.counted | second.counted,
                first.negations + second.negations,
                first.negated | second.negated,
                pair=(i, i + 1),
            )
        )
    # "Found anywhere in the source" means in its evidence sentences: an injected line's names and numbers must not
    # make a claim that repeats them look supported.
    evidence = " ".join(text[a:b] for a, b in spans)
    whole = analyse(evidence)
    stems = frozenset(t.stem for t in whole.content)
    words = {t.word for t in whole.tokens} | {t.word.replace(".", "") for t in whole.tokens} | acronyms(evidence)
    pairs: set[tuple[str, str]] = set()
    for f in facts:
        pairs |= _near_pairs(f.content, 3)
    return SourceIndex(
        units=units,
        texts=[text[u.start : u.end] for u in units],
        sources=[0] * len(units),
        stems=stems,
        prefixes=frozenset(p for s in stems if (p := _prefix(s, PREFIX))),
        words=frozenset(words),
        name_prefixes=frozenset(p for w in words if (p := _prefix(w, NAME_PREFIX))),
        numbers=frozenset(v for _, values in whole.numbers for v in values),
        dates=frozenset(whole.dates),
        pairs=frozenset(pairs),
    )


def merge(indexes: list[SourceIndex]) -> SourceIndex:
    """One view over several sources (units keep their source number)."""
    if len(indexes) == 1:
        return indexes[0]
    return SourceIndex(
        units=[u for ix in indexes for u in ix.units],
        texts=[t for ix in indexes for t in ix.texts],
        sources=[n for n, ix in enumerate(indexes) for _ in ix.units],
        stems=frozenset().union(*(ix.stems for ix in indexes)),
        prefixes=frozenset().union(*(ix.prefixes for ix in indexes)),
        words=frozenset().union(*(ix.words for ix in indexes)),
        name_prefixes=frozenset().union(*(ix.name_prefixes for ix in indexes)),
        numbers=frozenset().union(*(ix.numbers for ix in indexes)),
        dates=frozenset().union(*(ix.dates for ix in indexes)),
        pairs=frozenset().union(*(ix.pairs for ix in indexes)),
        embeddings=np.concatenate([ix.embeddings for ix in indexes], axis=0),
    )


def _best_sentence(index: SourceIndex, al: Alignment) -> Unit:
    """The aligned sentence itself: a window would mix in the negations of its neighbour."""
    unit = index.units[al.best]
    if unit.pair is None:
        return unit
    claim_like = [index.units[i] for i in unit.pair]
    return max(claim_like, key=lambda u: len(u.stems & al.claim_stems))


def _found(t: Token, stems: frozenset[str] | set[str], prefixes: frozenset[str] | set[str]) -> bool:
    p = _prefix(t.stem, PREFIX)
    return t.stem in stems or (p is not None and p in prefixes)


def _name_found(t: Token, index: SourceIndex) -> bool:
    word = t.word.replace(".", "")
    p = _prefix(word, NAME_PREFIX)
    if word in index.words or t.stem in index.stems or (p is not None and p in index.name_prefixes):
        return True
    return bool(DEMONYMS.get(word, frozenset()) & index.words)


def _number_found(values: frozenset[float], known: frozenset[float]) -> bool:
    return any(math.isclose(v, k, rel_tol=1e-6) for v in values for k in known)


@dataclass
class Alignment:
    best: int  # the best-aligned unit (similarity plus lexical recall)
    local: list[int]  # the aligned passages, best first
    local_similarity: list[float]  # their cosine similarity to the claim
    similarity: float  # the highest cosine over all passages
    claim_stems: frozenset[str]


def align(claim: Facts, claim_vec: np.ndarray, index: SourceIndex) -> Alignment:
    cos = index.embeddings @ claim_vec
    stems = {t.stem for t in claim.content}
    if stems:
        recall = np.array([len(stems & u.stems) / len(stems) for u in index.units], dtype=np.float32)
    else:
        recall = np.zeros(len(index.units), dtype=np.float32)
    # Lexical recall weighs as much as cosine: a summary sentence restates the sentence it comes from, but by cosine a
    # neighbour on the same topic often wins, and the swap checks then compare against the wrong sentence (weight
    # 0.5 -> 1.0: grouped 5-fold SummEdits ROC-AUC 73.1 -> 74.9, QAGS 68.1 -> 67.8; 2.0 scored 75.5 on SummEdits
    # but let two of the local LLM's invented sentences through).
    combined = cos + 1.0 * recall
    order = [int(i) for i in np.argsort(-combined)[:LOCAL_UNITS]]
    best = int(np.argmax(cos))
    return Alignment(
        best=order[0],
        local=order,
        local_similarity=[float(cos[i]) for i in order],
        similarity=float(cos[best]),
        claim_stems=frozenset(stems),
    )


@dataclass
class ClaimCheck:
    """Features of one claim plus the human-readable findings behind them."""

    values: np.ndarray
    alignment: Alignment
    problems: list[str]


@dataclass
class _Local:
    """The aligned passages of one claim, merged."""

    units: list[Unit]
    stems: frozenset[str]
    prefixes: set[str]
    words: frozenset[str]
    numbers: frozenset[float]
    counted: frozenset[tuple[str, float]]

    @classmethod
    def of(cls, index: SourceIndex, al: Alignment) -> _Local:
        units = [index.units[i] for i in al.local]
        stems = frozenset().union(*(u.stems for u in units))
        return cls(
            units,
            stems,
            {p for s in stems if (p := _prefix(s, PREFIX))},
            frozenset().union(*(u.words for u in units)),
            frozenset().union(*(u.numbers for u in units)),
            frozenset().union(*(u.counted for u in units)),
        )


def _number_checks(claim: Facts, index: SourceIndex, local: _Local, problems: list[str]) -> tuple[bool, bool, bool]:
    """(a number the sources never mention, one only mentioned elsewhere, one that contradicts a count)."""
    novel = [s for s, values in claim.numbers if not _number_found(values, index.numbers)]
    if novel:
        problems.append(f"number {novel[0]} not in source")
    moved = [s for s, values in claim.numbers if s not in novel and not _number_found(values, local.numbers)]
    if moved:
        problems.append(f"number {moved[0]} not in the matching source passage")
    # "20 years" against a passage that says "35 years": same thing counted, another number.
    conflicts = [
        (noun, v)
        for noun, v in claim.counted
        if any(n == noun for n, _ in local.counted)
        and not any(n == noun and math.isclose(v, w, rel_tol=1e-6) for n, w in local.counted)
    ]
    if conflicts and not novel:
        noun, v = conflicts[0]
        given = sorted(w for n, w in local.counted if n == noun)
        problems.insert(0, f"number {v:g} ({noun}) where the source says {given[0]:g}")
    return bool(novel), bool(moved), bool(conflicts)


def _name_checks(claim: Facts, index: SourceIndex, local: _Local, problems: list[str]) -> tuple[int, int]:
    """(names the sources never mention, names they mention only away from the aligned passages)."""
    number_words = {s.lower() for s, _ in claim.numbers}
    names = [t for t in claim.content if t.capital and t.word not in number_words]
    novel = [t for t in names if not _name_found(t, index)]
    elsewhere = [
        t
        for t in names
        if t not in novel
        and not _found(t, local.stems, local.prefixes)
        and t.word not in local.words
        and not DEMONYMS.get(t.word, frozenset()) & local.words
    ]
    if novel:
        problems.append(f"entity '{' '.join(t.word for t in novel[:3])}' not in source")
    return len(novel), len(elsewhere)


def _negation_check(claim: Facts, index: SourceIndex, al: Alignment, problems: list[str]) -> bool:
    """Negated on one side only, about words both sides share ("did not approve" / "approved")."""
    best = _best_sentence(index, al)
    claim_negated = claim.negations > 0 and bool(claim.negated & best.stems)
    source_negated = best.negations > 0 and bool(best.negated & al.claim_stems)
    mismatch = claim_negated != source_negated and (claim.negations > 0) != (best.negations > 0)
    if mismatch:
        problems.append("negation mismatch")
    return mismatch


def _antonym_check(claim: Facts, local: _Local, problems: list[str]) -> bool:
    for t in claim.content:
        if _found(t, local.stems, local.prefixes):
            continue
        hits = ANTONYMS.get(t.word, frozenset()) & local.words
        if hits:
            problems.append(f"antonym: '{t.word}' where the source says '{sorted(hits)[0]}'")
            return True
    return False


def check_claim(claim: Facts, claim_vec: np.ndarray, index: SourceIndex) -> ClaimCheck:
    al = align(claim, claim_vec, index)
    local = _Local.of(index, al)
    problems: list[str] = []
    novel_number, moved_number, number_conflict = _number_checks(claim, index, local, problems)
    novel_names, names_elsewhere = _name_checks(claim, index, local, problems)
    novel_dates = [d for d in claim.dates if d not in index.dates and d not in index.words]
    if novel_dates:
        problems.append(f"date '{novel_dates[0]}' not in source")
    negation = _negation_check(claim, index, al, problems)
    antonym = _antonym_check(claim, local, problems)

    content = claim.content
    in_global = [_found(t, index.stems, index.prefixes) or _name_found(t, index) for t in content]
    in_local = [_found(t, local.stems, local.prefixes) for t in content]
    run = longest = 0
    for ok in in_global:
        run = 0 if ok else run + 1
        longest = max(longest, run)
    # Unmatched here means: in neither the aligned passages nor (as a name) anywhere in the sources.
    unmatched = [
        t
        for t, ok, ok_global in zip(content, in_local, in_global, strict=True)
        if not ok and not ok_global and not t.word[:1].isdigit()
    ]
    substituted, added = _edits(claim, unmatched, index.texts[al.best])
    claim_pairs = [(a.stem, b.stem) for a, b in itertools.pairwise(content)]
    n = len(content)
    values = np.array(
        [
            al.similarity,
            sum(in_local) / n if n else 1.0,
            sum(p in index.pairs for p in claim_pairs) / len(claim_pairs) if claim_pairs else 1.0,
            float(novel_number),
            float(moved_number),
            float(number_conflict),
            float(min(novel_names, 2)),
            float(min(names_elsewhere, 2)),
            float(bool(novel_dates)),
            float(negation),
            float(antonym),
            float(min(longest, 4)),
            float(min(len(substituted), 3)),
            float(min(sum(_nounlike(t) for t in substituted), 3)),
            float(min(len(added), 4)),
            float(min(sum(rarity(t.word) for t in added), 3.0)),
            math.log1p(n),
            0.0,  # entailment: set by GroundingVerifier.check once every claim's window is known
        ],
        dtype=np.float32,
    )
    missing = [t.word for t, ok in zip(content, in_global, strict=True) if not ok]
    if missing and not problems:
        problems.append(f"words not in source: {', '.join(dict.fromkeys(missing[:4]))}")
    return ClaimCheck(values, al, problems)


def cap_contradictions(x: np.ndarray, prob: np.ndarray) -> np.ndarray:
    """Support probabilities with claims that show a concrete contradiction capped at CONTRADICTION_CAP."""
    if len(x) == 0:
        return prob
    hit = (x[:, [FEATURES.index(f) for f in CONTRADICTIONS]] > 0).any(axis=1)
    return np.where(hit, np.minimum(prob, CONTRADICTION_CAP), prob)
