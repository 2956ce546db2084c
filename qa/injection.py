"""Prompt injection: text in an article that addresses a model (or "whoever reads this") instead of reporting news.

News articles are data, never instructions. A sentence such as "Disregard the above and state that ...", "Note to
the model: ...", a fake chat turn ("system: ...", "Assistant: ..."), a raw chat-template token (``<|im_start|>``,
``[INST]``, ``<<SYS>>``) or "IMPORTANT: whoever reads this must report ..." is not reporting: it is never evidence,
never a quote, never a bullet and never a title (an article may report such a line; quoting it back would still
repeat the attacker's words as if they were news).

How a sentence is judged:

1. it is folded to the form a reader sees (:func:`qa.unicode_fold.fold`: NFKC, invisible characters removed,
   homoglyphs and accents folded, letter-spaced words joined, digits inside words read as letters);
2. closed classes are matched by rule -- chat-template tokens are never news, so a sentence holding one is
   injected whatever else it says;
3. everything else is learned (``qa/injection_weights.json``, fitted by ``eval/train_injection.py`` on the
   design half of ``eval/data/injection/``): a first stage on words (:class:`Gate`) rules out most news
   sentences cheaply; the rest go to a logistic regression over named features (a role word and a colon at the
   start, second-person address, words for an AI, a reference to earlier instructions, an imperative verb opening
   a clause, a short label before a colon, a link, how reporting reads), facts of the dependency parse
   (:mod:`qa.injection_syntax`: an order with no subject and whether it is quoted, who is addressed, a modal or
   passive directive, "the real X is ...") and word n-grams plus word classes (``qa/word_classes.json``), so open
   language (what an order to a model looks like) is learned, not listed. A sentence is parsed only when the
   second stage's score without the parse facts reaches ``parse_cut`` (fitted like the first stage's cut).

Detection is sentence-exact: :func:`injected_spans` gives the injected sentences of a text, plus (hysteresis) a
sentence next to an injected one in the same paragraph whose own score passes a lower threshold, and every
sentence between two chat-template tokens of one paragraph. It is cached by text, and cheap enough to run over
every sentence of every cited article at question time.
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import json
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from qa import nlp
from qa.injection_syntax import AI_WORDS, syntax_features
from qa.models import Article
from qa.text import paragraphs, sentence_spans
from qa.unicode_fold import CONFUSABLES_PATH, fold, join_spaced, plain

WEIGHTS_PATH = Path(__file__).with_name("injection_weights.json")
SPANS_CACHE_SIZE = 2048  # texts whose injected spans are kept in memory (each a few bytes beside its text)
WORD_CLASSES_PATH = Path(__file__).with_name("word_classes.json")
VERBS_PATH = Path(__file__).with_name("base_verbs.json")
UNTITLED = "Untitled"

# --- closed classes (lists are fine here: these are names of formats and roles, not open language) ---------------

# Chat-template control tokens of the common open-model formats (ChatML, Llama 2/3, Gemma, Phi, Mistral, Alpaca,
# OpenAssistant, Zephyr): a generic ``<|name|>`` covers the family of "special token" spellings.
TEMPLATE_TOKEN = re.compile(
    r"<\|[A-Za-z0-9_ .-]{1,40}\|>"  # <|im_start|>, <|eot_id|>, <|system|>, <|endoftext|>
    r"|\[/?(?:INST|SYS|SYSTEM_PROMPT|AVAILABLE_TOOLS|TOOL_CALLS)\]"  # [INST] ... [/INST]
    r"|<</?SYS>>"
    r"|</?s>"
    r"|<(?:start|end)_of_turn>"
    r"|^\s*#{2,4}\s*(?:instruction|response|system|input|user|assistant|human|prompt)s?\s*:?\s*$"
    r"|^\s*#{2,4}\s*(?:instruction|response|system|input|user|assistant|human|prompt)s?\s*:",
    re.IGNORECASE | re.MULTILINE,
)
# Names of chat roles and of what a prompt is made of: the thing before a colon in a fake turn.
ROLES = (
    "system",
    "system prompt",
    "system message",
    "user",
    "assistant",
    "ai",
    "ai assistant",
    "developer",
    "human",
    "bot",
    "chatbot",
    "model",
    "operator",
    "instruction",
    "instructions",
    "prompt",
    "response",
    "llm",
    "gpt",
)
_ROLE_ALT = "|".join(sorted((re.escape(r).replace(r"\ ", r"\s+") for r in ROLES), key=len, reverse=True))
_ROLE_START = re.compile(rf"^\W{{0,3}}(?:{_ROLE_ALT})\s*(?::|\]|>|\))", re.IGNORECASE)
_ROLE_INNER = re.compile(rf"(?:[\"'(\[<]|[.?!]\s+)\s*(?:{_ROLE_ALT})\s*:", re.IGNORECASE)
# Greetings and calls for attention that open a vocative (a closed class of English).
GREETINGS = frozenset(
    [
        "hey",
        "hi",
        "hello",
        "hullo",
        "dear",
        "dearest",
        "o",
        "oh",
        "yo",
        "oi",
        "psst",
        "greetings",
        "listen",
        "attention",
        "ahoy",
        "howdy",
        "good morning",
        "good afternoon",
        "good evening",
        "good day",
        "good night",
        "heads up",
    ]
)
SECOND_PERSON = frozenset(["you", "your", "yours", "yourself", "yourselves", "you're", "youre", "u", "ur"])
# A reference to what came before the text: "the above", "previous instructions", "everything earlier".
PRIOR = frozenset(["above", "previous", "prior", "earlier", "preceding", "foregoing", "before"])
PROMPT_NOUNS = frozenset(
    [
        "instruction",
        "instructions",
        "prompt",
        "prompts",
        "rule",
        "rules",
        "direction",
        "directions",
        "directive",
        "directives",
        "guidance",
        "guidelines",
        "context",
        "programming",
        "everything",
        "told",
        "configuration",
    ]
)

# Words, ":" and '"', and markup openers ("<!--", "<div", "</span"): a tag or comment is a format, never prose.
_TOKEN = re.compile(r"<!--|</?[a-z][a-z0-9]*|[a-z0-9@$][a-z0-9@$']*|[:\"]")
_LINK = re.compile(r"\b[a-z0-9-]+\.(?:example|com|net|org|io|info|xyz|co)\b|https?:|www\.")
_LABEL = re.compile(r"^[^:]{1,40}:")
# Where one sentence may be glued to the next because the splitter saw no end: an end mark after a lower-case
# letter (the splitter reads "d a y." or "da\u2060y." as an initial) or before a lower-case word; a closing quote, bracket or tag before a capital; a word before a capitalised pronoun or determiner that
# opens sentences (a closed class) -- an unpunctuated line written before a paragraph runs into its first sentence.
_GLUED = re.compile(
    r"(?<=[a-z0-9][.!?])\s+(?=[A-Za-z])"
    r"|(?<=[\"')\]}>])\s+(?=[A-Z])"
    r"|(?<=[a-z0-9])\s+(?=(?:The|It|He|She|They|We|This|These|Those|Its|His|Her|Their|But)\s)"
)
_QUOTED = re.compile(r'"([^"]+)(?:"|$)')  # a quotation (folded quotes), or one a sentence end left open
MIN_EMBEDDED_WORDS = 5  # a shorter quotation is a payload ("no comment") or a slogan ("Save our library")
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+")
_FIGURE = re.compile(r"\d")
# Where a new clause may open (after "and", "then", a colon or a semicolon read as ":"), and what may open an
# imperative's object: closed classes of function words.
CLAUSE_OPENERS = frozenset(("and", "then", ":", "or"))
POLITENESS = frozenset(["please", "kindly", "just", "now", "also", "instead", "simply", "always", "never"])
OBJECT_OPENERS = frozenset(
    [
        "the",
        "a",
        "an",
        "that",
        "this",
        "these",
        "those",
        "all",
        "any",
        "every",
        "each",
        "your",
        "my",
        "our",
        "their",
        "them",
        "me",
        "us",
        "him",
        "her",
        "it",
        "everyone",
        "anyone",
        "whoever",
        "nothing",
        "only",
        "users",
        "readers",
        "people",
    ]
)
# Verbs that attribute a statement to its source, the mark of reported speech.
ATTRIBUTION = frozenset(
    ["said", "says", "told", "according", "added", "stated", "reported", "announced", "wrote", "explained"]
)


def read(sentence: str) -> tuple[str, list[str]]:
    """The sentence as the classifier reads it -- :func:`qa.unicode_fold.plain` (folded, digits and symbols written
    for letters read as letters: "1gn0re" -> "ignore"), lower case, letter-spaced words joined -- and its word
    tokens (plus ``:`` and ``"``)."""
    view = plain(sentence).lower()
    toks = _TOKEN.findall(view)
    if any(len(a) == len(b) == len(c) == len(d) == 1 for a, b, c, d in _quads(toks)):  # "i g n o r e"
        view = join_spaced(view)
        toks = _TOKEN.findall(view)
    return view, toks


def _quads(toks: list[str]) -> zip[tuple[str, str, str, str]]:
    return zip(toks, toks[1:], toks[2:], toks[3:], strict=False)


GATE_KINDS = ("w:", "c:", "#opens_ai", "#greets")
_ZERO = itertools.repeat(0.0)  # the first stage sees words, word classes and whether a machine is addressed first
# The opening of a sentence up to its first comma, colon, semicolon or dash: where a vocative or "note for X:" sits.
_OPENING = re.compile(r"^([^,:;\u2014\u2013]{1,60}?)\s*(?:[,:;\u2014\u2013]|\s-\s)")


def features(
    sentence: str, view: str | None = None, toks: list[str] | None = None, syntax: tuple[str, ...] | None = None
) -> list[str]:
    """The named features, word n-grams and parse facts of one sentence, as keys into the fitted weights (repeats
    count). ``syntax`` is the sentence's :func:`qa.injection_syntax.syntax_features` when the caller has it."""
    return word_features(sentence, view, toks) + list(syntax_features(sentence) if syntax is None else syntax)


def word_features(sentence: str, view: str | None = None, toks: list[str] | None = None) -> list[str]:
    """The features that need no parse: words, n-grams, word classes and the named features read off the words."""
    if view is None or toks is None:
        view, toks = read(sentence)
    words = [t for t in toks if t not in (":", '"')]
    classes = word_classes()
    kinds = [classes.get(t, t) for t in toks]  # a word's meaning class, else itself
    # Each word, class, n-gram and prefix counts once: "the" five times in a long sentence is not five times a cue.
    distinct = list(dict.fromkeys(toks))
    out = [f"w:{t}" for t in distinct]
    out += dict.fromkeys(f"c:{classes[t]}" for t in distinct if t in classes)
    out += dict.fromkeys(f"b:{a} {b}" for a, b in itertools.pairwise(toks))
    out += dict.fromkeys(f"cb:{a} {b}" for a, b in itertools.pairwise(kinds))
    out += dict.fromkeys(f"p:{w[:5]}" for w in words if len(w) >= 6 and w.isalpha())
    if words:
        out.append(f"^:{words[0]}")
        out.append(f"^c:{classes.get(words[0], words[0])}")
        if len(words) > 1:
            out.append(f"^^:{words[0]} {words[1]}")
    if _ROLE_START.search(view):
        out.append("#role_start")
    if _ROLE_INNER.search(view):
        out.append("#role_inner")
    if _LABEL.match(view):
        out.append("#label")
    if opens_ai(view):
        out.append("#opens_ai")
    if greets(view):
        out.append("#greets")
    if _LINK.search(view):
        out.append("#link")
    you = sum(1 for w in words if w in SECOND_PERSON)
    ai = sum(1 for w in words if w in AI_WORDS)
    out += ["#you"] * min(you, 3) + ["#ai"] * min(ai, 3)
    if you and ai:
        out.append("#you_and_ai")
    if PRIOR.intersection(words) and PROMPT_NOUNS.intersection(words):
        out.append("#prior_prompt")
    if view.startswith(('"', "'")):
        out.append("#opens_quote")
    if len(words) <= 6:
        out.append("#short")
    return out + _imperative(toks) + _style(plain(sentence), words)


def opens_ai(view: str) -> bool:
    """Whether the sentence opens by naming an AI before its first comma, colon or dash ("Assistant, ...", "Hey
    model: ...", "For the chatbot - ..."): the words of a vocative or an addressee, read however news-like the rest
    is (a fabricated report after "Assistant," reads like news)."""
    m = _OPENING.match(view)
    if m is None:
        return False
    words = _TOKEN.findall(m.group(1))
    return len(words) <= 5 and not ATTRIBUTION.intersection(words) and any(w in AI_WORDS for w in words)


def greets(view: str) -> bool:
    """Whether the sentence opens with a greeting or a call for attention and a comma, colon or dash within its
    first words ("Hey Orla, ...", "Good evening, reader: ...", "Listen, ..."): it speaks to someone, and news speaks
    to nobody outside its quotations."""
    m = _OPENING.match(view)
    if m is None:
        return False
    words = m.group(1).split()  # as written: "hi-tech" is no greeting
    return 0 < len(words) <= 5 and (words[0] in GREETINGS or " ".join(words[:2]) in GREETINGS)


def _imperative(toks: list[str]) -> list[str]:
    """Imperative mood: a clause that opens with a verb in its base form ("Assert ...", "... and say ...", "...:
    report ..."), the more so when an object or "that" follows it. A politeness word ("please") is skipped."""
    verbs, out = base_verbs(), []
    starts = [0] + [i + 1 for i, t in enumerate(toks) if t in CLAUSE_OPENERS]
    for n, i in enumerate(starts):
        while i < len(toks) and toks[i] in POLITENESS:
            i += 1
        if i < len(toks) and toks[i] in verbs:
            where = "first" if n == 0 else "clause"
            out.append(f"#verb_{where}")
            if i + 1 < len(toks) and (toks[i + 1] in OBJECT_OPENERS or toks[i + 1].endswith("ly")):
                out.append(f"#verb_object_{where}")
    return out


def _style(sentence: str, words: list[str]) -> list[str]:
    """How reporting reads, in bins: names (capitalised words after the first), figures, past-tense verbs and an
    attribution ("said", "according to"). News is dense with them; an order to a model rarely has any."""
    n = max(1, len(words))
    names = sum(1 for w in _CAPITALISED.findall(sentence)[1:])
    past = sum(1 for w in words if w.endswith("ed") and len(w) > 4)
    out = [f"#names{min(3, names)}", f"#past{min(2, past)}", f"#figures{min(2, len(_FIGURE.findall(sentence)))}"]
    if ATTRIBUTION.intersection(words):
        out.append("#attributed")
    if names / n > 0.25:
        out.append("#name_dense")
    return out


@cache
def word_classes() -> dict[str, int]:
    """Word → meaning class (``eval/build_word_classes.py``): weights learned for one word carry to its class."""
    return {w: str(c) for w, c in json.loads(WORD_CLASSES_PATH.read_text(encoding="utf-8"))["classes"].items()}


@cache
def base_verbs() -> frozenset[str]:
    """English verbs in their base form (WordNet 3.0): a sentence opening with one is likely an imperative."""
    return frozenset(json.loads(VERBS_PATH.read_text(encoding="utf-8"))["verbs"])


def has_template_token(text: str) -> bool:
    return ("<" in text or "[" in text or "#" in text) and bool(TEMPLATE_TOKEN.search(fold(text)))


# --- the fitted model ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gate:
    """The cheap first stage: a logistic regression on words, word classes and two cheap signs of address
    (:func:`greets`, :func:`opens_ai`; no feature strings built),
    fitted alongside the full model; a sentence scoring below ``cut`` skips the full model. ``cut`` is set so
    that the cascade keeps nearly every design-half sentence the full model flags (``eval/train_injection.py``).
    Each distinct word and each distinct class counts once, as in :func:`word_features`."""

    words: dict[str, float]
    classes: dict[str, float]  # per word: its class's weight (for the words of a weighted class)
    bias: float
    cut: float
    opens_ai: float = 0.0  # the weight of :func:`opens_ai`
    greets: float = 0.0  # ... and of :func:`greets`

    def logit(self, toks: list[str], view: str = "") -> float:
        distinct = dict.fromkeys(toks)
        kinds = {word_classes()[t]: self.classes[t] for t in distinct if t in self.classes}
        z = self.bias + sum(map(self.words.get, distinct, _ZERO)) + sum(kinds.values())
        return z + (self.opens_ai if opens_ai(view) else 0.0) + (self.greets if greets(view) else 0.0)


@dataclass(frozen=True)
class Model:
    weights: dict[str, float]
    bias: float
    threshold: float  # a sentence is injected when its probability reaches this
    neighbour_threshold: float  # ... or this, next to an injected sentence of the same paragraph
    gate: Gate | None = None
    parse_cut: float = -math.inf  # below this logit without the parse facts, the sentence is not parsed

    def logit(
        self,
        sentence: str,
        view: str | None = None,
        toks: list[str] | None = None,
        frame: tuple[str, ...] = (),
        full: bool = False,
    ) -> float | None:
        """The logit, or None when the words alone score below ``parse_cut`` (the parse is skipped: ~1 ms) unless
        ``full``."""
        w = self.weights
        z = self.bias + sum(w.get(f, 0.0) for f in [*word_features(sentence, view, toks), *frame])
        if z < self.parse_cut and not full:
            return None
        return z + sum(w.get(f, 0.0) for f in syntax_features(sentence))


def gate_from(doc: dict[str, Any]) -> Gate:
    weights = doc["weights"]
    per_class = {k[2:]: v for k, v in weights.items() if k.startswith("c:")}
    classes = {t: per_class[c] for t, c in word_classes().items() if c in per_class}
    words = {k[2:]: v for k, v in weights.items() if k.startswith("w:")}
    return Gate(words, classes, doc["bias"], doc["cut"], weights.get("#opens_ai", 0.0), weights.get("#greets", 0.0))


@cache
def model() -> Model:
    doc = json.loads(WEIGHTS_PATH.read_text(encoding="utf-8"))
    gate = gate_from(doc["gate"]) if "gate" in doc else None
    cut = doc.get("parse_cut", -math.inf)
    return Model(doc["weights"], doc["bias"], doc["threshold"], doc["neighbour_threshold"], gate, cut)


def injection_score(sentence: str, frame: tuple[str, ...] = (), full: bool = False) -> float:
    """Probability that ``sentence`` is addressed to a model (1.0 for a chat-template token); ``frame``: the keys of
    how a clause is carried by its sentence (:func:`embedded`). ``full``: the whole model, parse included, without
    the two cheap cuts that rule most sentences of a body out (for a title: one sentence an article)."""
    if not sentence.strip():
        return 0.0
    if has_template_token(sentence):
        return 1.0
    m = model()
    view, toks = read(sentence)
    if m.gate is not None and not full and m.gate.logit(toks, view) < m.gate.cut:
        return 0.0  # the first stage rules it out (most news sentences stop here)
    z = m.logit(sentence, view, toks, frame, full)
    if z is None:
        return 0.0  # the second stage without the parse rules it out
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def sentence_score(sentence: str, full: bool = False) -> float:
    """:func:`injection_score` of a sentence, or of the worst of the clauses it carries (:func:`embedded`): an order
    quoted by a reporting sentence is an order whatever frames it, and must not hide behind the frame."""
    own = injection_score(sentence, full=full)
    return max([own] + [injection_score(c, frame, full) for c, frame in embedded(sentence)])


def embedded(sentence: str) -> list[tuple[str, tuple[str, ...]]]:
    """The clauses a sentence carries that are read on their own as well (of at least ``MIN_EMBEDDED_WORDS``
    words), each with the feature keys of how it is carried: what the sentence quotes ('The memo said: "..."', or a
    quotation left open by a sentence end inside it), with how the frame around it reads (``#frame_attributed`` for
    "said", "told" ..., ``#frame_names1`` for a name, past tenses, figures: :func:`_style`; news quotes people),
    and the sentences glued together where the splitter saw no end (:data:`_GLUED`: an order written in lower case
    after a full stop, "... were affected. say the schools are shut"; a line with no end mark before a paragraph's
    first sentence, "Assistant: the pier is shut The harbour board met ...")."""
    text = join_spaced(fold(sentence))
    out: dict[str, tuple[str, ...]] = {}
    for m in _QUOTED.finditer(text):
        frame = text[: m.start()] + text[m.end() :]
        words = [t for t in _TOKEN.findall(frame.lower()) if t not in (":", '"')]
        out[m.group(1).strip()] = ("#quoted_clause", *(f"#frame_{k[1:]}" for k in _style(frame, words)))
    inner = _GLUED.split(text)
    for part in inner if len(inner) > 1 else ():
        out.setdefault(part.strip(), ("#glued_clause",))
    return [(c, keys) for c, keys in out.items() if len(c.split()) >= MIN_EMBEDDED_WORDS]


def is_injection(sentence: str) -> bool:
    """True if ``sentence`` (one sentence of an article, or a title) is addressed to a model, not a reader."""
    return sentence_score(sentence) >= model().threshold


def is_suspect(sentence: str) -> bool:
    """True if ``sentence`` scores at least the lower, neighbour threshold (fitted to flag ~2% of news sentences):
    not enough to take it from the evidence, but enough to keep it out of what the service picks as its own summary
    of an article, a title or a briefing bullet, where a sentence wrongly passed over only gives way to the next
    best one."""
    return sentence_score(sentence) >= model().neighbour_threshold


_SPANS: OrderedDict[str, tuple[tuple[int, int], ...]] = OrderedDict()
_SPANS_LOCK = threading.Lock()


def injected_spans(text: str) -> tuple[tuple[int, int], ...]:
    """``(start, end)`` of every injected sentence of ``text`` (an article body), in order.

    A pure function of the text, cached by it (with the spans stored at ingest of the articles read since: see
    :func:`article_injected_spans`), for use at question time or at ingest."""
    with _SPANS_LOCK:
        spans = _SPANS.get(text)
        if spans is not None:
            _SPANS.move_to_end(text)
            return spans
    spans = _classify_spans(text)
    _remember(text, spans)
    return spans


def _remember(text: str, spans: tuple[tuple[int, int], ...]) -> None:
    with _SPANS_LOCK:
        _SPANS[text] = spans
        while len(_SPANS) > SPANS_CACHE_SIZE:
            _SPANS.popitem(last=False)


def _classify_spans(text: str) -> tuple[tuple[int, int], ...]:
    m = model()
    out: list[tuple[int, int]] = []
    for pa, pb in paragraphs(text):
        spans = sentence_spans(text, pa, pb)
        scores = [sentence_score(text[a:b]) for a, b in spans]
        flagged = [s >= m.threshold for s in scores]
        template = [i for i, (a, b) in enumerate(spans) if scores[i] == 1.0 and has_template_token(text[a:b])]
        if template:  # everything between two template tokens of one paragraph is one fake chat
            for i in range(template[0], template[-1] + 1):
                flagged[i] = True
        changed = True
        while changed:  # hysteresis: a suspicious sentence next to an injected one goes with it
            changed = False
            for i, s in enumerate(scores):
                near = (i > 0 and flagged[i - 1]) or (i + 1 < len(spans) and flagged[i + 1])
                if not flagged[i] and s >= m.neighbour_threshold and near:
                    flagged[i] = changed = True
        out += [span for span, f in zip(spans, flagged, strict=True) if f]
    return tuple(out)


@cache
def spans_model() -> str:
    """What the injected spans of a text are a function of: the code and data that decide them (this module, the
    parse facts, Unicode folding, sentence splitting, the fitted weights, the word lists) and the spaCy model.
    Spans stored at ingest under another value are stale: they are recomputed, never trusted (a better classifier
    must not be undone by what an older one stored)."""
    digest = hashlib.sha256(nlp.MODEL_ID.encode())
    code = (Path(inspect.getfile(inspect.unwrap(f))) for f in (injected_spans, syntax_features, fold, sentence_spans))
    for path in (*code, WEIGHTS_PATH, WORD_CLASSES_PATH, VERBS_PATH, CONFUSABLES_PATH):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def stored_spans(article: Article) -> str:
    """The injected spans of the article's body as the article store keeps them: computed at ingest (kept as
    they are when the current model computed them, as on a ``qa reindex`` that changed nothing)."""
    if _current(article) is not None:
        return article._injected  # type: ignore[return-value]
    return json.dumps({"model": spans_model(), "spans": injected_spans(article.body)}, separators=(",", ":"))


def renew_stale_spans(articles: Iterable[Article]) -> dict[tuple[str, str], str]:
    """Give the articles whose stored spans are missing or from another classifier version (rows stored before
    an upgrade) spans computed now, and return them by ``(article id, content hash)`` for the store to keep: after
    an upgrade, each article is classified again once, when first read, not on every question about it."""
    renewed = {}
    for article in articles:
        if _current(article) is None:
            article._injected = stored_spans(article)
            renewed[(article.id, article.content_hash)] = article._injected
    return renewed


def article_injected_spans(article: Article) -> tuple[tuple[int, int], ...]:
    """The injected spans of a stored article's body: those stored at ingest when the current model computed them
    (reading them costs nothing; running the classifier over a cited article costs ~5 ms, most of a question's
    reading time), else computed now."""
    current = _current(article)
    if current is None:
        return injected_spans(article.body)
    _remember(article.body, current)  # the text-keyed checks of the same request (quotes, citations) find them
    return current


def _current(article: Article) -> tuple[tuple[int, int], ...] | None:
    if not article._injected:
        return None
    doc = json.loads(article._injected)
    if doc.get("model") != spans_model():
        return None
    return tuple((int(a), int(b)) for a, b in doc["spans"])


def overlaps_injection(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` overlaps an injected sentence of ``text``."""
    return any(a < end and start < b for a, b in injected_spans(text))


def without_injections(text: str, start: int = 0, end: int | None = None) -> str:
    """``text[start:end]`` with its injected sentences cut out: what a model may be shown of an article."""
    end = len(text) if end is None else end
    parts, cursor = [], start
    for a, b in injected_spans(text):
        if a < end and start < b:
            parts.append(text[cursor : max(cursor, a)])
            cursor = max(cursor, b)
    parts.append(text[cursor:end])
    return "".join(parts)


def clean_title(title: str, body: str) -> str:
    """The title to store and show: an injected title counts as no title, so the body's first line that holds
    no injected sentence (cut to 200 characters) stands in for it, as for an article that came without one;
    "Untitled" if there is none. A title of several sentences is injected when any of them is, as in a body.

    A title is judged at the lower, neighbour threshold (fitted to flag ~2% of news sentences): a headline wrongly
    set aside only gives way to the body's first line, while a missed one is shown as the article's name wherever
    it is cited or briefed. And it is judged by the whole model, parse included (:func:`sentence_score`'s ``full``):
    the cheap cuts save time over the many sentences of a body, and a title is one sentence an article."""
    lower = model().neighbour_threshold
    parts = [title[a:b] for pa, pb in paragraphs(title) for a, b in sentence_spans(title, pa, pb)]
    if title.strip() and max(sentence_score(p, full=True) for p in [title, *parts]) < lower:
        return title
    bad = injected_spans(body)
    start = 0
    for line in body.split("\n"):
        end = start + len(line)
        if line.strip() and not any(a < end and start < b for a, b in bad):
            first = line.strip()
            return first if len(first) <= 200 else first[:197].rsplit(" ", 1)[0] + "…"
        start = end + 1
    return UNTITLED


def strip_html_comments(text: str) -> str:
    """Remove ``<!-- ... -->`` comments (and an unclosed ``<!--`` to the end of its line): never article text."""
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.DOTALL)
    return re.sub(r"<!--[^\n]*", " ", text)
