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
3. everything else is a small logistic regression (``qa/injection_weights.json``, fitted by
   ``eval/train_injection.py`` on the design half of ``eval/data/injection/``) over named features (a role word
   and a colon at the start, second-person address, words for an AI, a reference to earlier instructions, a
   short label before a colon, a link) and word n-grams, so open language (what an imperative to a model looks
   like) is learned, not listed.

Detection is sentence-exact: :func:`injected_spans` gives the injected sentences of a text, plus (hysteresis) a
sentence next to an injected one in the same paragraph whose own score passes a lower threshold, and every
sentence between two chat-template tokens of one paragraph. It is cached by text, and cheap enough to run over
every sentence of every cited article at question time.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from qa.text import paragraphs, sentence_spans
from qa.unicode_fold import fold

WEIGHTS_PATH = Path(__file__).with_name("injection_weights.json")
WORD_CLASSES_PATH = Path(__file__).with_name("word_classes.json")
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
# Words for the reader being addressed as a machine: an AI and the kinds of program that read text.
AI_WORDS = frozenset(
    [
        "ai",
        "ais",
        "assistant",
        "assistants",
        "chatbot",
        "chatbots",
        "bot",
        "bots",
        "model",
        "models",
        "llm",
        "llms",
        "gpt",
        "chatgpt",
        "claude",
        "gemini",
        "copilot",
        "siri",
        "alexa",
        "summariser",
        "summarisers",
        "summarizer",
        "summarizers",
        "robot",
        "robots",
        "agent",
        "agents",
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

_SPACED = re.compile(r"(?<![\w])(?:[A-Za-z][ .\-_*·]){3,}[A-Za-z](?![\w])")
_TOKEN = re.compile(r"[a-z0-9@$]+(?:'[a-z]+)?|[:\"]")
_LEET = str.maketrans("0134579@$", "oieastgas")
_LINK = re.compile(r"\b[a-z0-9-]+\.(?:example|com|net|org|io|info|xyz|co)\b|https?:|www\.")
_LABEL = re.compile(r"^[^:]{1,40}:")
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+")
_FIGURE = re.compile(r"\d")
# Verbs that attribute a statement to its source, the mark of reported speech.
ATTRIBUTION = frozenset(
    ["said", "says", "told", "according", "added", "stated", "reported", "announced", "wrote", "explained"]
)


def readable(sentence: str) -> str:
    """The sentence as the classifier reads it: folded, letter-spaced words joined, lower case."""
    text = fold(sentence)
    if _SPACED.search(text):
        text = _SPACED.sub(lambda m: re.sub(r"[ .\-_*·]", "", m.group()), text)
    return text.lower()


def tokens(view: str) -> list[str]:
    out = _TOKEN.findall(view)
    return [t.translate(_LEET) if not t.isalpha() and any(c.isalpha() for c in t) else t for t in out]


def features(sentence: str) -> list[str]:
    """The named features and word n-grams of one sentence, as keys into the fitted weights (repeats count)."""
    view = readable(sentence)
    toks = tokens(view)
    words = [t for t in toks if t not in (":", '"')]
    classes = word_classes()
    kinds = [f"{classes[t]}" if t in classes else t for t in toks]  # a word's meaning class, else itself
    out = [f"w:{t}" for t in toks]
    out += [f"b:{a} {b}" for a, b in itertools.pairwise(toks)]
    out += [f"c:{k}" for k, t in zip(kinds, toks, strict=True) if t in classes]
    out += [f"cb:{a} {b}" for a, b in itertools.pairwise(kinds)]
    out += [f"p:{w[:5]}" for w in words if len(w) >= 6 and w.isalpha()]
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
    return out + _style(sentence, words)


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
    return json.loads(WORD_CLASSES_PATH.read_text(encoding="utf-8"))["classes"]


def has_template_token(text: str) -> bool:
    return ("<" in text or "[" in text or "#" in text) and bool(TEMPLATE_TOKEN.search(fold(text)))


# --- the fitted model ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Model:
    weights: dict[str, float]
    bias: float
    threshold: float  # a sentence is injected when its probability reaches this
    neighbour_threshold: float  # ... or this, next to an injected sentence of the same paragraph

    def logit(self, sentence: str) -> float:
        w = self.weights
        return self.bias + sum(w.get(f, 0.0) for f in features(sentence))


@cache
def model() -> Model:
    doc = json.loads(WEIGHTS_PATH.read_text(encoding="utf-8"))
    return Model(doc["weights"], doc["bias"], doc["threshold"], doc["neighbour_threshold"])


def injection_score(sentence: str) -> float:
    """Probability that ``sentence`` is addressed to a model (1.0 for a chat-template token)."""
    if not sentence.strip():
        return 0.0
    if has_template_token(sentence):
        return 1.0
    z = model().logit(sentence)
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def is_injection(sentence: str) -> bool:
    """True if ``sentence`` (one sentence of an article, or a title) is addressed to a model, not a reader."""
    return injection_score(sentence) >= model().threshold


@lru_cache(maxsize=2048)
def injected_spans(text: str) -> tuple[tuple[int, int], ...]:
    """``(start, end)`` of every injected sentence of ``text`` (an article body), in order.

    A pure function of the text (cached by it), for use at question time or at ingest."""
    m = model()
    out: list[tuple[int, int]] = []
    for pa, pb in paragraphs(text):
        spans = sentence_spans(text, pa, pb)
        scores = [injection_score(text[a:b]) for a, b in spans]
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
    "Untitled" if there is none."""
    if title.strip() and not is_injection(title):
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
