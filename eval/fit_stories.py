"""Check the story threshold (:data:`qa.stories.THRESHOLD`) on syndicated variants we generate ourselves.

    python -m eval.fit_stories [--check]

Positives are copies of one article as other outlets carry it, made from our demo corpus (``demo/articles``) by the
kinds of change syndication brings: a byline and an agency credit added, the last paragraph cut (wire copy is
trimmed from the bottom), a sentence in five rewritten (a local angle, a correction), and all of these together.
Negatives are every pair of different demo articles, including ones on the same topic (a council vote and the
same project's cost overrun; the start and the settlement of one strike), and follow-ups: another article that
repeats this one's last paragraph as background, as a next-day story does. Split before looking: the articles
are split by document into a design half (the threshold is the middle of the gap between its negatives and its
positives, rounded to 0.05) and a check half (reported, never used to choose). ``--check`` exits 1 when the
threshold in qa/stories.py does not separate both halves.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
from pathlib import Path

from qa.articles import iter_files, normalize_record, parse_bytes
from qa.stories import THRESHOLD, shingles, signature, similarity

DEMO = Path(__file__).resolve().parents[1] / "demo" / "articles"
LOCAL_ANGLE = "Residents in the district said they would follow the decision closely in the coming weeks."


def demo_bodies() -> list[tuple[str, str]]:
    out = []
    for path in iter_files([DEMO]):
        for n, record in enumerate(parse_bytes(path.read_bytes(), path.name)):
            out.append((f"{path.name}#{n}", normalize_record(record)[1]))
    return out


def variants(body: str, rng: random.Random) -> dict[str, str]:
    """One article as other outlets would carry it."""
    paragraphs = [p for p in body.split("\n\n") if p.strip()]
    sentences = [s.strip() + "." for s in body.replace("\n", " ").split(". ") if s.strip()]
    rewritten = [LOCAL_ANGLE if i % 5 == 4 else s for i, s in enumerate(sentences)]
    furniture = f"By a staff reporter\n\n{body}\n\nThis report was supplied by a news agency."
    trimmed = "\n\n".join(paragraphs[:-1]) if len(paragraphs) > 2 else body
    combined = f"By a staff reporter\n\n{' '.join(rewritten[: max(3, len(rewritten) - 2)])}\n\nAgency copy."
    return {"furniture": furniture, "trimmed": trimmed, "rewritten": " ".join(rewritten), "combined": combined}


def scores(bodies: list[tuple[str, str]], seed: int = 7) -> tuple[list[float], list[float]]:
    rng = random.Random(seed)
    sigs = {name: signature(body) for name, body in bodies}
    positives = [
        similarity(sigs[name], signature(text)) for name, body in bodies for text in variants(body, rng).values()
    ]
    negatives = [similarity(sigs[a], sigs[b]) for (a, _), (b, _) in itertools.combinations(bodies, 2)]
    for (a, body_a), (_, body_b) in itertools.permutations(bodies, 2):
        background = [p for p in body_a.split("\n\n") if p.strip()][-1]
        negatives.append(similarity(sigs[a], signature(f"{body_b}\n\n{background}")))
    return positives, negatives


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    bodies = [(n, b) for n, b in demo_bodies() if len(shingles(b)) > 20]
    design, check = bodies[0::2], bodies[1::2]
    pos, neg = scores(design)
    low, high = max(neg), min(pos)
    chosen = round((low + high) / 2 / 0.05) * 0.05
    print(f"design ({len(design)} articles): negatives max {low:.2f}, positives min {high:.2f}; middle {chosen:.2f}")
    ok = True
    for name, part in (("design", design), ("check", check)):
        p, n = scores(part)
        wrong = sum(s < THRESHOLD for s in p) + sum(s >= THRESHOLD for s in n)
        print(
            f"{name}: {len(p)} copies (min {min(p):.2f}), {len(n)} pairs of different articles (max {max(n):.2f}); "
            f"at THRESHOLD {THRESHOLD:.2f}: {wrong} misgrouped"
        )
        ok &= wrong == 0
    if args.check and not ok:
        return 1
    return 0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m eval.fit_stories", description=__doc__)
    p.add_argument("--check", action="store_true", help="Exit 1 unless THRESHOLD separates both halves.")
    return p.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
