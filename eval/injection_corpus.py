"""The prompt-injection corpus: labelled phrasings by family, their design / test-only halves, and news sentences.

Sources (all read here, so training and tests see the same data):

- ``eval/data/injection/phrasings.txt``: injection phrasings and hard negatives we wrote, in families of two
  (``CATEGORY-a`` / ``CATEGORY-b``, the same kind of sentence in different words); ``split.json`` names the
  test-only family of each pair (seeded coin flips made before the classifier was designed). Families named
  ``CATEGORY-d`` were written later, from linguistic categories, for the design half only (never in split.json);
- spelling disguises (:data:`DISGUISES`): zero-width characters, homoglyphs, fullwidth and so on, split the same
  way: the design half is disguised with one set of tricks, the test half with tricks the design never saw;
- frames (:data:`FRAMES`): how an article carries an injected line (alone, or quoted by a reporting sentence),
  again split;
- plain news sentences as negatives: the demo corpus (``demo/articles``, our own text) and the clean sentences of
  ``tests/fixtures/injection``; and, when ``../shared/data`` is present, the RealTimeQA *haystack* articles as
  unlabelled raw news (assumed to hold no injection), split by article into a training part and a held-out part.
  The RealTimeQA gold articles and the example article are never trained on: they are the false-positive check.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from qa.articles import normalize_record, parse_bytes
from qa.injection import injected_spans
from qa.text import paragraphs, sentence_spans

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "eval" / "data" / "injection"
SHARED = ROOT.parent / "shared" / "data"
FIXTURES = ROOT / "tests" / "fixtures" / "injection"
DEMO = ROOT / "demo" / "articles"
HAYSTACK_HELD_OUT = 5  # 1 in this many haystack articles (by id hash) is held out of training


@dataclass(frozen=True)
class Item:
    text: str
    label: bool  # True: addressed to a model
    family: str  # e.g. "override-a"; "news:<source>" for plain news
    half: str  # "design" or "test"
    disguise: str = ""  # the spelling trick applied, if any


def _families(path: Path = DATA / "phrasings.txt") -> Iterator[tuple[str, bool, str]]:
    label, family = False, ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        head = re.fullmatch(r"\[(positive|negative) ([\w-]+)\]", line)
        if head:
            label, family = head.group(1) == "positive", head.group(2)
            continue
        yield family, label, line.replace("\\n", "\n")


def test_families() -> set[str]:
    return set(json.loads((DATA / "split.json").read_text(encoding="utf-8"))["test_families"])


def phrasings() -> list[Item]:
    test = test_families()
    return [Item(t, lab, fam, "test" if fam in test else "design") for fam, lab, t in _families()]


# --- spelling disguises ----------------------------------------------------------------------------------------

_CYRILLIC = str.maketrans("aceopxyiIOAEPCTHKBM", "асеорхуіІОАЕРСТНКВМ")
_GREEK = str.maketrans("oivIOAEZHKTMNBXY", "οινΙΟΑΕΖΗΚΤΜΝΒΧΥ")


def _words(text: str, fn: Callable[[str], str], rng: random.Random, share: float = 0.5) -> str:
    return re.sub(r"[A-Za-z]{4,}", lambda m: fn(m.group()) if rng.random() < share else m.group(), text)


def _zero_width(text: str, rng: random.Random) -> str:
    return _words(text, lambda w: "\u200b".join(w) if rng.random() < 0.5 else w[:2] + "\u200d" + w[2:], rng)


def _fullwidth(text: str, rng: random.Random) -> str:
    return _words(text, lambda w: "".join(chr(ord(c) + 0xFEE0) for c in w), rng)


def _math_bold(text: str, rng: random.Random) -> str:
    def bold(c: str) -> str:
        return chr(0x1D400 + ord(c) - 65) if c.isupper() else chr(0x1D41A + ord(c) - 97)

    return _words(text, lambda w: "".join(bold(c) for c in w), rng)


def _combining(text: str, rng: random.Random) -> str:
    return _words(text, lambda w: "".join(c + "\u0332" for c in w), rng)


def _soft_hyphen(text: str, rng: random.Random) -> str:
    return _words(text, lambda w: w[:3] + "\u00ad" + w[3:-1] + "\u2060" + w[-1], rng)


def _leet(text: str, rng: random.Random) -> str:
    return _words(text, lambda w: w.translate(str.maketrans("oieas", "01345")), rng)


def _symbols(text: str, rng: random.Random) -> str:
    """Digits and symbols for letters, a different set from the test half's ``_leet`` (no shared substitution).
    Added later, with its own seeded stream (``rng`` is not drawn from), so every other disguise's random choices
    stayed as they were."""
    own = random.Random(int(hashlib.sha256(text.encode()).hexdigest(), 16))
    return _words(text, lambda w: w.translate(str.maketrans("asgbtl", "@$9871")), own)


def _spaced(text: str, rng: random.Random) -> str:
    return _words(text, lambda w: " ".join(w), rng, share=0.3)


def _mixed_case(text: str, rng: random.Random) -> str:
    return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in text)


DISGUISES: dict[str, dict[str, Callable[[str, random.Random], str]]] = {
    "design": {
        "zero-width": _zero_width,
        "cyrillic": lambda t, r: _words(t, lambda w: w.translate(_CYRILLIC), r),
        "fullwidth": _fullwidth,
        "mixed-case": _mixed_case,
        "upper": lambda t, r: t.upper(),
        "symbols": _symbols,
    },
    "test": {
        "greek": lambda t, r: _words(t, lambda w: w.translate(_GREEK), r),
        "math-bold": _math_bold,
        "combining": _combining,
        "soft-hyphen": _soft_hyphen,
        "leet": _leet,
        "letter-spaced": _spaced,
        "lower": lambda t, r: t.lower(),
    },
}

# How an article carries an injected line: on its own, or quoted in a reporting sentence.
FRAMES = {
    "design": [
        "{x}",
        'One line of the post read: "{x}"',
        # Round five: a frame with a verb of attribution instead of 'The leaflet ended with the words "{x}"', so
        # that "said" around a quotation is not learned as a sign of news from the negatives alone (the design
        # frames had none); one frame replaced, not added, so the plain phrasings keep their share of the weight.
        'The note, signed only with initials, said: "{x}"',
    ],
    "test": ["{x}", 'A comment under the story said: "{x}"', 'Hidden in the page was a line reading "{x}"'],
}


def disguised(items: list[Item], seed: int = 14) -> list[Item]:
    """Every positive item once per disguise of its half (seeded), as extra items of the same family."""
    rng = random.Random(seed)
    out = []
    for item in items:
        if not item.label:
            continue
        for name, fn in DISGUISES[item.half].items():
            out.append(Item(fn(item.text, rng), True, item.family, item.half, name))
    return out


def framed(items: list[Item]) -> list[Item]:
    """Every single-line positive item quoted in each reporting frame of its half (the bare frame excluded)."""
    out = []
    for item in items:
        if item.label and "\n" not in item.text and '"' not in item.text:
            for frame in FRAMES[item.half][1:]:
                out.append(Item(frame.format(x=item.text), True, item.family, item.half, "framed"))
    return out


# --- plain news ------------------------------------------------------------------------------------------------


def bodies(path: Path) -> list[str]:
    """The cleaned bodies of the articles in a file, as ingest stores them."""
    return [normalize_record(r)[1] for r in parse_bytes(path.read_bytes(), path.name)]


def sentences(body: str) -> list[str]:
    return [body[a:b] for pa, pb in paragraphs(body) for a, b in sentence_spans(body, pa, pb)]


def _own_news() -> list[Item]:
    """Sentences of the demo corpus and the clean sentences of the injection fixtures (our own text)."""
    out = []
    for path in sorted(DEMO.iterdir()):
        for body in bodies(path):
            out += [Item(s, False, "news:demo", "design") for s in sentences(body)]
    for path in sorted(FIXTURES.glob("*.txt")):
        body = bodies(path)[0]
        bad = _fixture_injections(path)
        for pa, pb in paragraphs(body):
            for a, b in sentence_spans(body, pa, pb):
                if not any(x < b and a < y for x, y in bad):
                    out.append(Item(body[a:b], False, "news:fixtures", "design"))
    return out


def _fixture_injections(path: Path) -> list[tuple[int, int]]:
    """The injected lines of a fixture article, as marked in ``fixtures.json`` next to the phrasings."""
    marks = json.loads((DATA / "fixtures.json").read_text(encoding="utf-8"))[path.name]
    body = bodies(path)[0]
    return [(body.index(m), body.index(m) + len(m)) for m in marks]


def fixture_items() -> list[Item]:
    """The fixture articles' injected sentences (written for the earlier injection round), as design positives."""
    out = []
    for path in sorted(FIXTURES.glob("*.txt")):
        body = bodies(path)[0]
        for a, b in _fixture_injections(path):
            out += [Item(s, True, "fixtures", "design") for s in sentences(body[a:b])]
    return out


def _held_out(key: str) -> bool:
    return int(hashlib.sha256(key.encode()).hexdigest(), 16) % HAYSTACK_HELD_OUT == 0


def haystack(part: str) -> list[Item]:
    """RealTimeQA haystack sentences (unlabelled raw news, taken as negatives): ``part`` "train" or "held-out"."""
    path = SHARED / "realtimeqa" / "haystack_articles.jsonl"
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if _held_out(rec["id"]) == (part == "held-out"):
            out += [Item(s, False, f"news:haystack-{part}", "design") for s in sentences(rec["body"])]
    return out


def check_news() -> dict[str, list[str]]:
    """Sentences never trained on, for the false-positive check: the example article and the RealTimeQA articles."""
    out: dict[str, list[str]] = {}
    example = SHARED / "articles" / "000_c5f37d0b212be8a7.txt"
    if example.exists():
        out["example article"] = sentences(bodies(example)[0])
    gold = SHARED / "realtimeqa" / "articles.jsonl"
    if gold.exists():
        recs = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines()]
        out["RealTimeQA articles"] = [s for r in recs for s in sentences(r["body"])]
    return out


def training_items() -> list[Item]:
    """Everything labelled, both halves (callers pick the half): phrasings, disguises, frames, our own news."""
    base = phrasings() + fixture_items()
    return base + disguised(base) + framed(base) + _own_news()


def flagged_sentences(body: str) -> list[str]:
    return [body[a:b] for a, b in injected_spans(body)]
