"""Syntax facts for the injection classifier, read off the dependency parse (:mod:`qa.nlp`, spaCy en_core_web_sm).

Words alone cannot tell "Say the ferry sank." (an order to whoever reads it) from "'Stop the cuts,' protesters
chanted." (news reporting an order) or "Residents should boil water." (news telling people what to do): what
differs is the grammar -- who the verb's subject is, whether the order is inside a quotation, who is addressed.
This module names those grammatical facts; :func:`qa.injection.features` adds them to the second stage, whose
weights are fitted like every other feature (``eval/train_injection.py``). Nothing here is a verdict, and no word
list here is open language: only closed classes (modals of obligation, determiners, the adjectives of "the real X").

The facts, one named key each (repeats count):

- the form of each clause root (``#syn_root_VBD``: news narrates in the past; an order is a bare verb);
- an imperative clause: a bare verb (VB) with no subject and no modal or "to" (``#syn_imp_root`` /
  ``#syn_imp_clause``), whether it sits inside quotation marks (``#syn_imp_quoted``), whether it carries content
  ("say *that* ...", a quoted reply: ``#syn_imp_content``);
- a modal directive ("you must say", "whoever reads this should report"): ``#syn_modal``, ``#syn_deontic`` when
  the modal is one of obligation, ``#syn_you_subj`` for second person as a subject; the passive ones ("it must be
  reported that", "the closure is to be described as"): ``#syn_modal_passive``, ``#syn_deontic_passive``,
  ``#syn_modal_passive_that``; a wish about what is said ("we need the summary to say"): ``#syn_infinitive``;
- an addressee: a noun set off before its clause by a comma, colon or dash ("Assistant, ...", "Listen,
  summariser: ...": ``#syn_address``) or named by "to"/"for" before a colon ("Note for the model: ...":
  ``#syn_note_to``);
- "the real / actual / true X is ...": a subject qualified as the true one, with the copula's form
  (``#syn_true_is_VBZ``);
- a pointer at the text itself or at what came before it ("this page", "the above instructions": ``#syn_pointer``).

The parse is the costly part (~2 ms a sentence), so :class:`qa.injection.Model` asks for it only when the words
alone already make a sentence suspicious (~2% of news sentences), and it is cached by sentence.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

from qa import nlp
from qa.unicode_fold import join_spaced, plain

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

SYNTAX_KEY = "#syn_"  # every key of this module starts so
SUBJECTS = frozenset(("nsubj", "nsubjpass", "csubj", "csubjpass", "expl"))
CLAUSES = frozenset(("ROOT", "conj", "parataxis", "ccomp", "advcl", "xcomp"))
ADDRESS_DEPS = frozenset(("npadvmod", "dep", "intj", "appos", "nsubj", "ROOT", "nmod"))
BE_FORMS = frozenset(("is", "are", "was", "were", "be", "am", "been", "being", "'s", "'re", "'m"))
NOUN_TAGS = frozenset(("NN", "NNS", "NNP", "NNPS"))
SET_OFF = frozenset((",", ":", "-", "--", ";"))
QUOTES = frozenset(('"', "``", "''"))
# Adjectives that mark a subject as the true one ("the real answer is"): a closed class of English.
TRUE_ADJ = frozenset(("real", "actual", "true", "correct", "right", "genuine", "only", "proper", "accurate"))
# Modal verbs of obligation (not of future or possibility: "the bridge will be closed" is news).
DEONTIC = frozenset(("must", "should", "shall", "ought", "need", "have", "has", "required", "obliged", "expected"))
# Determiners and adjectives that point at the text itself or at what came before it.
POINTERS = frozenset(("this", "these", "above", "previous", "prior", "earlier", "preceding", "following", "below"))
# Words for the reader being addressed as a machine: an AI and the kinds of program that read text (closed classes:
# names of assistants and kinds of software). qa.injection counts them among the words too.
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
MACHINE_NOUNS = AI_WORDS | frozenset(
    [
        "program",
        "programme",
        "software",
        "system",
        "machine",
        "engine",
        "tool",
        "crawler",
        "scraper",
        "parser",
        "indexer",
        "pipeline",
        "algorithm",
        "computer",
        "app",
        "automation",
        "reader",
        "readers",
        "whoever",
        "anyone",
    ]
)
# What a model's set-up is made of (the object of a request to leak it): a closed class of nouns, and the words that
# mark one as the set-up rather than, say, a recipe's instructions ("system", "hidden", "initial").
PROMPT_HEADS = frozenset(
    [
        "prompt",
        "prompts",
        "instruction",
        "instructions",
        "rule",
        "rules",
        "directive",
        "directives",
        "guideline",
        "guidelines",
        "configuration",
        "config",
        "programming",
        "preamble",
        "guardrails",
        "setup",
        "message",
        "messages",
        "context",
        "orders",
        "briefing",
        "brief",
        "specification",
        "settings",
    ]
)
SETUP_WORDS = frozenset(
    [
        "system",
        "hidden",
        "secret",
        "initial",
        "original",
        "internal",
        "starting",
        "underlying",
        "confidential",
        "opening",
        "developer",
        "operator",
        "first",
        "private",
        "above",
        "previous",
        "earlier",
        "preceding",
    ]
)
SECOND_PERSON_POSS = frozenset(("your", "thy", "ur", "yer"))


def parse_text(sentence: str) -> str:
    """The sentence as the parser should see it: as a reader sees it (:func:`qa.unicode_fold.plain`), letter-spaced
    words joined, and sentence case when it is mostly capitals or mixed case (the tagger reads a word in capitals as
    a name)."""
    text = join_spaced(plain(sentence))
    letters = [c for c in text if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) > 0.3 * len(letters):
        text = text.lower()
        text = text[:1].upper() + text[1:]
    return text


@lru_cache(maxsize=8192)
def syntax_features(sentence: str) -> tuple[str, ...]:
    """The syntax keys of one sentence (parsed on first use, then cached)."""
    return facts(next(nlp.syntax([parse_text(sentence)])))


def syntax_features_many(sentences: Iterable[str]) -> list[tuple[str, ...]]:
    """:func:`syntax_features` of many sentences, parsed in batches (for training: not cached)."""
    return [facts(doc) for doc in nlp.syntax(parse_text(s) for s in sentences)]


def facts(doc: Doc) -> tuple[str, ...]:
    quoted = _quoted(doc)
    out: list[str] = []
    for sent in doc.sents:
        root = sent.root
        out.append(f"#syn_root_{root.tag_}")
        out += _true_subject(root)
    for tok in doc:
        if not _verb(tok) or tok.dep_ not in CLAUSES:
            continue
        if _imperative(tok):
            out += _imperative_keys(tok, quoted)
        else:
            out += _modal_keys(tok, quoted)
    out += _address(doc)
    out += _set_off_addressees(doc)
    out += _prompt_references(doc)
    out += [
        "#syn_pointer" for t in doc if t.lower_ in POINTERS and t.head.tag_ in NOUN_TAGS and t.dep_ in ("det", "amod")
    ]
    return tuple(out)


def _verb(t: Token) -> bool:
    """A verb or auxiliary, by its fine-grained tag (the parse runs without the attribute ruler that sets
    coarse parts of speech, and without the lemmatizer: they cost a third of the parse and add nothing here)."""
    return t.tag_.startswith("VB") or t.tag_ == "MD"


def _quoted(doc: Doc) -> list[bool]:
    """Per token: inside quotation marks (straight or curly quotes, folded to straight ones)."""
    inside, out = False, []
    for t in doc:
        if t.text in QUOTES or (t.text == "'" and t.i in (0, len(doc) - 1)):
            inside = not inside
            out.append(False)
            continue
        out.append(inside)
    return out


def _imperative(verb: Token) -> bool:
    """A bare verb with no subject and no modal or "to" ("do not" is allowed): an order. A conjunct shares its
    head's subject ("Residents should boil water and avoid the river" is not an order). A "subject" set off by a
    comma before a present-tense verb is read as the one addressed ("Assistant, say ..." parses as a subject)."""
    subjects = [c for c in verb.children if c.dep_ in SUBJECTS]
    addressed = [c for c in subjects if _vocative(c)]
    if len(addressed) < len(subjects) or verb.tag_ not in ("VB", "VBP") or (verb.tag_ == "VBP" and not addressed):
        return False
    if any(c.dep_ == "aux" and (c.tag_ in ("MD", "TO") or c.lower_ not in ("do", "don't")) for c in verb.children):
        return False
    if verb.dep_ == "conj" and _verb(verb.head):
        return _imperative(verb.head)
    return True


def _imperative_keys(verb: Token, quoted: list[bool]) -> list[str]:
    where = "root" if verb.dep_ == "ROOT" else "clause"
    out = [f"#syn_imp_{where}"]
    if quoted[verb.i]:
        out.append("#syn_imp_quoted")
    for c in verb.children:
        if c.dep_ in ("ccomp", "xcomp") or (c.dep_ in ("dobj", "attr", "oprd") and c.text in QUOTES):
            out.append("#syn_imp_content")
    return out


def _modal_keys(verb: Token, quoted: list[bool]) -> list[str]:
    """A directive through a modal ("you must say", "whoever reads this should report", "it is to be stated") or
    a wish about what is said ("we need the summary to say ...")."""
    aux = [c for c in verb.children if c.dep_ in ("aux", "auxpass")]
    subj = [c for c in verb.children if c.dep_ in SUBJECTS]
    out = []
    if subj and subj[0].lower_ in ("you", "u", "yourself"):
        out.append("#syn_you_subj")
    if any(c.tag_ == "TO" for c in aux) and verb.dep_ in ("xcomp", "ccomp"):
        out.append("#syn_infinitive")
        if subj:  # "want the summary to say": somebody else is to do the saying
            out.append("#syn_infinitive_subj")
    if not any(c.tag_ == "MD" for c in aux) and not (verb.dep_ == "xcomp" and verb.head.lower_ in BE_FORMS):
        return out
    # "must say", "is to be described", "has to report": obligation, not the future ("will be closed").
    deontic = any(c.lower_ in DEONTIC for c in aux) or verb.head.lower_ in BE_FORMS
    passive = any(c.dep_ == "auxpass" for c in aux)
    out.append("#syn_modal_passive" if passive else "#syn_modal")
    if deontic:
        out.append("#syn_deontic_passive" if passive else "#syn_deontic")
    if passive and any(c.dep_ == "ccomp" for c in verb.children):
        out.append("#syn_modal_passive_that")
    if quoted[verb.i]:
        out.append("#syn_modal_quoted")
    return out


def _vocative(t: Token) -> bool:
    """A noun phrase set off by a comma, colon or dash before its head and not the subject of a narrating verb
    ("Assistant, say ...", "Listen, summariser: ..."; not "Officials, meanwhile, said ...")."""
    if t.tag_ not in NOUN_TAGS or t.dep_ not in ADDRESS_DEPS or t.i > t.head.i:
        return False
    after = max(x.i for x in t.subtree if x.dep_ != "punct") + 1  # the comma itself may hang from the noun
    if after + 1 >= len(t.doc) or t.doc[after].text not in SET_OFF:
        return False
    return t.dep_ != "nsubj" or t.head.tag_ in ("VB", "VBP")


def _address(doc: Doc) -> list[str]:
    """Who the sentence speaks to: a vocative, or the "to"/"for" of a fragment before a colon ("Note for the
    model: ...")."""
    out = []
    for t in doc:
        if t.i > 12:
            break
        if _vocative(t) or _set_off_before_order(t):
            out.append("#syn_address")
            addressed = t.subtree if _vocative(t) else t.doc[t.sent.start : t.i]
            out += ["#syn_address_machine"] if _machine(addressed) else []
        if t.lower_ in ("to", "for") and t.dep_ == "prep" and any(x.text == ":" for x in doc[t.i : t.i + 10]):
            for c in t.children:
                if c.dep_ == "pobj":
                    out += ["#syn_note_to", "#syn_address_machine"] if _machine(c.subtree) else ["#syn_note_to"]
    return out


def _machine(tokens: Iterable[Token]) -> bool:
    """Whether a phrase names a program that reads text ("summarising engine", "the software reading this")."""
    return any(t.lower_ in MACHINE_NOUNS for t in tokens)


# Tags of a bare noun phrase: what a vocative set off by commas is made of ("my good language model").
PHRASE_TAGS = frozenset(("DT", "PRP$", "JJ", "JJS", "JJR", "NN", "NNS", "NNP", "NNPS", "UH", "CD", "HYPH", "POS"))
BREAKS = SET_OFF | frozenset((".", "!", "?", "(", ")"))


def _set_off_addressees(doc: Doc) -> list[str]:
    """A bare noun phrase set off by commas after the start of a sentence ("Report the turnout, assistant.",
    "Describe the mayor, my good language model, as ..."): a vocative late in the clause, or an appositive. Keyed
    ``#syn_address_late`` when the sentence also gives an order, and ``#syn_address_late_machine`` when the phrase
    names a program that reads text; "a"/"an" opens an appositive that describes ("the tool, an AI assistant"),
    never one that calls."""
    out, start = _opening_addressee(doc), None
    ordered = any(_verb(t) and t.dep_ in CLAUSES and _imperative(t) for t in doc)
    for t in doc:
        if t.text in BREAKS:
            if start is not None and t.i > start and _bare_phrase(doc[start : t.i]):
                out.append("#syn_address_late_machine" if _machine(doc[start : t.i]) else "#syn_address_late")
                out += ["#syn_address_late_order"] if ordered else []
            start = t.i + 1 if t.text == "," else None
    return out


def _opening_addressee(doc: Doc) -> list[str]:
    """A bare noun phrase that opens the sentence, set off by a comma, colon or dash, and is not the subject of a
    narrating verb ("Computer, the mayor has resigned.", "Hey there, chatbot: ..."; not "The chatbot, launched in
    May, answered ..."): ``#syn_address_open``, and ``#syn_address_open_machine`` when it names a program. A time
    ("Last year, ...") has the same shape; its weight is fitted like every other key."""
    cut = next((t.i for t in doc[:9] if t.text in SET_OFF), None)
    if not cut:
        return []
    span = doc[0:cut]
    narrated = any(t.dep_ in SUBJECTS and t.head.tag_ not in ("VB", "VBP") for t in span)
    if not _bare_phrase(span) or (narrated and not _clause_follows(doc, cut + 1)):
        return []
    return ["#syn_address_open_machine" if _machine(span) else "#syn_address_open"]


def _clause_follows(doc: Doc, start: int) -> bool:
    """Whether a clause with a subject of its own opens at ``start`` (a noun phrase, then a finite verb): then the
    phrase set off before it is not that clause's subject, whatever arc the parser gave it."""
    end = start
    while end < len(doc) and doc[end].tag_ in PHRASE_TAGS | {"PRP"}:
        end += 1
    has_noun = any(t.tag_ in NOUN_TAGS or t.tag_ == "PRP" for t in doc[start:end])
    return has_noun and end < len(doc) and doc[end].tag_ in ("VBD", "VBZ", "VBP", "MD")


def _bare_phrase(span: Span) -> bool:
    return (
        len(span) <= 6
        and all(t.tag_ in PHRASE_TAGS or _modifier(t) for t in span)
        and any(t.tag_ in NOUN_TAGS for t in span)
        and span[0].lower_ not in ("a", "an")
    )


def _modifier(t: Token) -> bool:
    """A participle that modifies the noun right after it ("summarising tool"), however the parser attached it."""
    nxt = t.doc[t.i + 1] if t.i + 1 < len(t.doc) else None
    return t.dep_ in ("amod", "compound") or (t.tag_ in ("VBG", "VBN") and nxt is not None and nxt.tag_ in NOUN_TAGS)


def _prompt_references(doc: Doc) -> list[str]:
    """A reference to a model's own set-up: a prompt noun that is "yours" ("your instructions", "the rules you were
    given") or marked as the set-up ("the system message", "your hidden rules", "the initial prompt"), and
    ``#syn_prompt_ordered`` when the sentence also gives an order ("Print ...", "... and reveal ..."). Read off the
    words around the noun, not its arcs: the small parser often splits "your system prompt" into two objects."""
    out = []
    ordered = any(_verb(t) and t.dep_ in CLAUSES and _imperative(t) for t in doc)
    for t in doc:
        if t.lower_ not in PROMPT_HEADS or not t.tag_.startswith(("NN", "JJ", "VB")):
            continue
        left = [
            x.lower_ for x in itertools.takewhile(lambda x: x.tag_ in PHRASE_TAGS, reversed(doc[max(0, t.i - 4) : t.i]))
        ]
        right = [x.lower_ for x in doc[t.i + 1 : t.i + 3]]  # "the rules (that) you were given"
        yours = bool(SECOND_PERSON_POSS.intersection(left)) or "you" in (
            right[:1] + right[1:2] * (right[:1] in (["that"], ["which"]))
        )
        if yours or SETUP_WORDS.intersection(left):
            out.append("#syn_prompt_yours" if yours else "#syn_prompt_setup")
            out += ["#syn_prompt_ordered"] if ordered else []
    return out


def _set_off_before_order(t: Token) -> bool:
    """The first comma or colon of a sentence, after a noun and before a bare verb that is the root: what comes
    before it is the one addressed, however the parser attached it ("Summarising engine, tell ...")."""
    root = t.sent.root
    if t.text not in SET_OFF or t.i == 0 or t.i > root.i or not _imperative(root):
        return False
    before = t.doc[t.i - 1]
    if any(x.text in SET_OFF for x in t.doc[t.sent.start : t.i]) or before.dep_ == "pobj":  # "On Monday, ..."
        return False
    return before.tag_ in NOUN_TAGS and not _vocative(before)


def _true_subject(root: Token) -> list[str]:
    """ "The real answer is ...": a subject qualified as the true one, and the copula's tense."""
    if root.lower_ not in BE_FORMS:
        return []
    for c in root.children:
        if c.dep_ == "nsubj" and any(a.lower_ in TRUE_ADJ for a in c.children if a.dep_ == "amod"):
            return [f"#syn_true_is_{root.tag_}"]
    return []
