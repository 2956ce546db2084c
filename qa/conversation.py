"""Conversations: the question a chat turn really asks, and what a system message may narrow.

A chat client sends the whole conversation. The last user message is the question; when it leans on earlier
turns ("why?", "who was he meeting?", "and in 2023?") it is rewritten into a standalone question before
retrieval, so it is answered exactly as that standalone question would be. Offline the rewrite is rule-based
over the dependency parse (:mod:`qa.nlp`): a list of small rules, each recognising one kind of follow-up, tried
in order (the first that applies rewrites). With an LLM endpoint configured the model rewrites instead
(``prompts/condense.md``), and the rules are the fallback when its reply is unusable.

A system message is never an instruction to the answerer. Its ``key: value`` lines may narrow what is searched
(``source``, ``since``, ``until``, ``today``); anything else in it is ignored, and it can never widen a request.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from qa.errors import InvalidInput
from qa.models import Filters

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class ChatTurn:
    role: Role
    text: str


# --- system-message directives -------------------------------------------------------------------------------
_DIRECTIVE = re.compile(r"^\s*(source|since|until|today)\s*[:=]\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)


@dataclass
class Scope:
    """What a request may search: the request's own filters and date, narrowed by the system messages."""

    filters: Filters | None = None
    today: dt.date | None = None
    ignored: list[str] = field(default_factory=list)  # system lines that were not directives (for --explain/logs)


def _day(value: str, key: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"system message: {key} must be a date as YYYY-MM-DD, got {value!r}") from exc


def narrow(scope: Scope, system_texts: Sequence[str]) -> Scope:
    """Intersect the request's scope with the directives of the system messages (they only ever narrow)."""
    f = scope.filters.model_copy() if scope.filters else Filters()
    today = scope.today
    for text in system_texts:
        for m in _DIRECTIVE.finditer(text):
            key, value = m.group(1).lower(), m.group(2)
            if key == "source":
                if f.source and f.source != value:
                    raise InvalidInput(f"system message restricts to source {value!r}, the request to {f.source!r}")
                f.source = value
            elif key == "since":
                day = _day(value, key)
                f.since = max(f.since, day) if f.since else day
            elif key == "until":
                day = _day(value, key)
                f.until = min(f.until, day) if f.until else day
            else:
                day = _day(value, key)
                today = min(today, day) if today else day
        scope.ignored += [line for line in text.splitlines() if line.strip() and not _DIRECTIVE.match(line)]
    unset = f == Filters() and scope.filters is None
    return Scope(filters=None if unset else f, today=today, ignored=scope.ignored)


# --- follow-up questions -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rewrite:
    """The standalone question a turn asks, and how it was found (``rule`` is None when nothing was changed)."""

    question: str
    original: str
    rule: str | None = None


@dataclass
class Context:
    """What a follow-up can lean on: the previous standalone question and the answer given to it."""

    question: Doc  # the previous standalone question
    answer: Doc | None  # parse of the previous answer's text (markers and sources removed), if any


WH_TAGS = frozenset({"WDT", "WP", "WP$", "WRB"})
# Closed classes: third-person pronouns by what they can stand for, and the words that open a fragment follow-up.
PERSONAL = frozenset({"he", "him", "his", "she", "her", "hers"})
PLURAL = frozenset({"they", "them", "their", "theirs"})
NEUTER = frozenset({"it", "its"})
POSSESSIVE = frozenset({"his", "hers", "their", "theirs", "its"})
FRAGMENT_LEADS = ("what about", "how about", "what of", "and", "but", "also", "then")
FILLERS = frozenset({"and", "so", "but", "then", "exactly", "again", "though", "not", "really", "precisely"})
TIME_LABELS = frozenset({"DATE", "TIME"})
SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass"})
OBJECT_DEPS = frozenset({"dobj", "dative", "iobj", "pobj", "attr"})
KIND_LABELS: dict[str, frozenset[str]] = {
    "personal": frozenset({"PERSON"}),
    "plural": frozenset({"NOUNS", "ORG", "NORP", "PROPN"}),
    "neuter": frozenset({"NOUN", "PROPN", "ORG", "GPE", "LOC", "FAC", "PRODUCT", "EVENT", "LAW", "WORK_OF_ART"}),
}


def _words(tokens: Sequence[Token] | Span) -> str:
    """Tokens back to text with their own spacing (the last token's trailing space dropped)."""
    return "".join(t.text_with_ws for t in tokens).strip()


def _content(doc: Doc) -> list[Token]:
    return [t for t in doc if not t.is_punct]


@dataclass
class WhPhrase:
    """The interrogative phrase of a question ("Which company", "How many batteries", "When")."""

    tokens: list[Token]
    noun: Token | None  # the noun it asks about, if any
    subject: bool  # whether it is the clause's subject (then a new wh-word needs a subject put back)

    @classmethod
    def of(cls, doc: Doc) -> WhPhrase | None:
        wh = next((t for t in doc if t.tag_ in WH_TAGS), None)
        if wh is None:
            return None
        noun = None
        if wh.dep_ in ("det", "amod") and wh.head.pos_ in ("NOUN", "PROPN"):
            noun = wh.head
        elif wh.dep_ == "advmod" and wh.head.lower_ in ("many", "much") and wh.head.head.pos_ in ("NOUN", "PROPN"):
            noun = wh.head.head
        if noun is not None and any(t.pos_ in ("AUX", "VERB") for t in doc[wh.i : noun.i]):
            noun = None  # a misparse reaching past the verb ("How much will the barrier cost"), not a wh-noun
        last = noun.i if noun is not None else (wh.head.i if wh.head.lower_ in ("many", "much") else wh.i)
        tokens = [t for t in doc if wh.i <= t.i <= last]
        anchor = noun if noun is not None else wh
        after = doc[last + 1] if last + 1 < len(doc) else None
        # "How many batteries did X recall": do-support after the phrase means it is not the subject, whatever
        # the parser says (subject questions take no do-support).
        do_support = after is not None and after.pos_ == "AUX" and after.lemma_ == "do"
        return cls(tokens=tokens, noun=noun, subject=anchor.dep_ in SUBJECT_DEPS and not do_support)

    def counts(self) -> bool:
        """ "How many fires ..." asks how many of a thing it names: that thing can be referred back to."""
        return any(t.lower_ in ("many", "much") for t in self.tokens)

    def asks(self, labels: frozenset[str]) -> bool:
        """Does the phrase ask for a thing of these kinds (so the answer names it)? "who" asks for a person or an
        organisation; "which union" for something a neuter or plural pronoun can stand for."""
        first = self.tokens[0].lower_
        if first in ("who", "whom"):
            return bool(labels & {"PERSON", "ORG", "NORP"})
        if self.noun is not None and not self.counts():
            plural = self.noun.tag_ in ("NNS", "NNPS")
            return bool(labels & ({"NOUNS", "ORG", "NORP"} if plural else {"NOUN", "ORG", "PRODUCT"}))
        return False

    def indices(self) -> set[int]:
        return {t.i for t in self.tokens}

    def noun_phrase(self) -> str | None:
        """ "the company" for "Which company", "the batteries" for "How many batteries"."""
        if self.noun is None:
            return None
        words = [t for t in self.tokens if t.tag_ not in WH_TAGS and t.lower_ not in ("many", "much")]
        return "the " + _words(words)


def _as_mention(entity: Span) -> str:
    """An entity as it reads inside another sentence: "the State Department", not "The State Department"."""
    first = entity[0]
    if first.pos_ == "DET" and len(entity) > 1:
        return first.lower_ + entity.text[len(first.text) :]
    return entity.text


def _inflect_do(root: Token) -> str:
    return {"VBD": "did", "VBZ": "does"}.get(root.tag_, "do")


class Rule:
    """One kind of follow-up: ``rewrite`` returns the standalone question, or None when it does not apply."""

    name = "rule"

    def rewrite(self, follow_up: Doc, ctx: Context) -> str | None:
        raise NotImplementedError


class BareWh(Rule):
    """ "why?", "when exactly?", "how many?": the new wh-word asked of the previous question's clause."""

    name = "bare_wh"

    def rewrite(self, follow_up: Doc, ctx: Context) -> str | None:
        words = [t for t in _content(follow_up) if t.lower_ not in FILLERS]
        if not words or not any(t.tag_ in WH_TAGS for t in words) or len(words) > 2:
            return None
        if len(words) == 2 and words[1].lower_ not in ("many", "much", "long", "often", "far", "old"):
            return None
        new_wh = _words(words)
        new_wh = new_wh[0].upper() + new_wh[1:].lower()
        prev = ctx.question
        phrase = WhPhrase.of(prev)
        if phrase is None:
            return None
        drop = phrase.indices()
        first = phrase.tokens[0]
        if first.dep_ == "pobj" and first.head.i == len(prev) - 2:
            drop.add(first.head.i)  # "What did they ask for?" → "Why did they ask?": the stranded preposition goes
        rest = [t for t in _content(prev) if t.i not in drop]
        noun_phrase = phrase.noun_phrase()
        if not phrase.subject:
            if not noun_phrase or new_wh.lower() in ("how many", "how much"):
                return f"{new_wh} {_words(rest)}?"
            # The asked-about noun goes back where it belongs: after its verb ("Why did X recall the batteries").
            root = next(t for t in prev if t.dep_ == "ROOT")
            verb = root if root.pos_ == "VERB" else None
            if verb is None or verb.i not in {t.i for t in rest}:
                return f"{new_wh} {_words(rest)} {noun_phrase}?"
            at = next(n for n, t in enumerate(rest) if t.i == verb.i) + 1
            return f"{new_wh} {_words(rest[:at])} {noun_phrase} {_words(rest[at:])}".rstrip() + "?"
        asked = KIND_LABELS["personal"] | {"ORG", "NORP"} if first.lower_ in ("who", "whom") else frozenset()
        answered = mentions(ctx.answer)  # subject first: who did it is what the answer's subject names
        subject = noun_phrase or next((m.text for m in answered if m.labels & asked), None)
        if subject is None and asked and answered:
            subject = answered[0].text
        if subject is None:
            return None
        root = next(t for t in prev if t.dep_ == "ROOT")
        aux = [t for t in root.children if t.dep_ in ("aux", "auxpass") and t.i < root.i]
        if aux:
            moved = aux[0]
            body = [t for t in rest if t.i != moved.i]
            return f"{new_wh} {moved.lower_} {subject} {_words(body)}?"
        if root.pos_ != "VERB":
            return None
        body = [root.lemma_ if t.i == root.i else t.text for t in rest]
        return f"{new_wh} {_inflect_do(root)} {subject} {' '.join(body)}?"


def _fragment(follow_up: Doc) -> str | None:
    """The fragment of "and in 2023?", "what about the ferry?", or a verbless follow-up; else None."""
    text = follow_up.text.strip().rstrip("?.! ").strip()
    low = text.lower()
    for lead in FRAGMENT_LEADS:
        if low.startswith(lead + " "):
            return text[len(lead) + 1 :].strip(" ,")
    has_verb = any(t.pos_ in ("VERB", "AUX") for t in follow_up)
    has_wh = any(t.tag_ in WH_TAGS for t in follow_up)
    return None if has_verb or has_wh else text


def _is_time(frag: Doc) -> bool:
    """ "in 2023", "next year", "on Tuesday": the fragment's head (or its preposition's object) is a time."""
    root = next((t for t in frag if t.dep_ == "ROOT"), frag[0])
    if root.pos_ == "ADP":
        root = next((c for c in root.children if c.dep_ == "pobj"), root)
    return root.ent_type_ in TIME_LABELS or (root.like_num and len(root.text) == 4)


class Fragment(Rule):
    """ "and in 2023?", "what about Kestrel?": the fragment replaces the slot of the same kind in the previous
    question (a date for a date, a name for a name of the same type), or is added to it."""

    name = "fragment"

    def __init__(self, parse: Callable[[str], Doc]) -> None:
        self.parse = parse

    def rewrite(self, follow_up: Doc, ctx: Context) -> str | None:
        text = _fragment(follow_up)
        if not text:
            return None
        frag = self.parse(text)
        prev = ctx.question
        body = prev.text.rstrip().rstrip("?").rstrip()
        if _is_time(frag):
            slot = next((e for e in prev.ents if e.label_ in TIME_LABELS), None)
            return self._replace_or_add(prev, body, slot, text, frag)
        phrase = WhPhrase.of(prev)
        taken = phrase.indices() if phrase else set()
        return self._replace_or_add(prev, body, self._slot(prev, frag, taken), text, frag)

    @staticmethod
    def _slot(prev: Doc, frag: Doc, taken: set[int]) -> Span | None:
        """What the fragment stands in for: a name of the same type, else a noun phrase with the same head noun,
        else the previous question's subject (then object, then other) noun phrase outside its wh-phrase."""
        root = next((t for t in frag if t.dep_ == "ROOT"), frag[0])
        if root.pos_ == "ADP":  # "what about the second strike": the preposition's object is what is asked
            root = next((c for c in root.children if c.dep_ == "pobj"), root)
        names = [e for e in prev.ents if e.start not in taken and e.label_ not in TIME_LABELS]
        if root.ent_type_:  # the fragment is a name: it stands in for a name of the same type
            same_type = next((e for e in names if e.label_ == root.ent_type_), None)
            if same_type is not None:
                return same_type
        chunks = [c for c in prev.noun_chunks if not taken & set(range(c.start, c.end))]
        same_head = next((c for c in chunks if c.root.lemma_ == root.lemma_), None)
        if same_head is not None:
            return same_head
        ranked = sorted(chunks, key=lambda c: (_role_rank(c.root), c.start))
        return ranked[0] if ranked else (names[0] if names else None)

    @staticmethod
    def _replace_or_add(prev: Doc, body: str, slot: Span | None, text: str, frag: Doc) -> str:
        if slot is None:
            return f"{body} {text}?"
        start, end = slot.start_char, slot.end_char
        head = prev[slot.start - 1] if slot.start > 0 else None
        frag_opens_with_prep = frag[0].pos_ == "ADP"
        if frag_opens_with_prep and head is not None and head.pos_ == "ADP":
            start = head.idx  # "in 2024" ← "in 2023": the fragment brings its own preposition
        elif frag_opens_with_prep:
            text = text.split(" ", 1)[1] if " " in text else text
        return f"{body[:start]}{text}{body[end:]}?"


@dataclass(frozen=True)
class Mention:
    """Something a pronoun can stand for: its words as they read mid-sentence, and what kind of thing it is."""

    text: str
    labels: frozenset[str]  # entity labels, or {"NOUN"} / {"NOUNS"} for a singular / plural common noun


def _role_rank(token: Token) -> float:
    """Centering: a previous subject is the likeliest antecedent, then an object, then anything else. The
    complement of a relational noun ("the capacity of the battery") goes just before that noun: the question
    asks for the capacity, it is about the battery."""
    head = token
    while head.dep_ in ("compound", "amod", "nmod", "poss") and head.head.i != head.i:
        head = head.head
    if head.dep_ == "pobj" and head.head.lower_ == "of" and head.head.head.pos_ == "NOUN":
        return _role_rank(head.head.head) - 0.5
    return 0 if head.dep_ in SUBJECT_DEPS else 1 if head.dep_ in OBJECT_DEPS else 2


def _noun_mention(head: Token, taken: set[int]) -> Mention:
    """ "the battery connector replacements" for a common-noun head: the head with the compounds and adjectives
    before it, as written (hyphens kept), without wh-words, quantity words or determiners."""
    mods = [t for t in head.subtree if t.i < head.i and t.dep_ in ("compound", "amod", "nmod", "nummod")]
    mods = [t for t in mods if t.tag_ not in WH_TAGS and t.lower_ not in ("many", "much")]
    start = min((t.left_edge.i for t in mods), default=head.i)
    words = [t for t in head.doc[start : head.i + 1] if t.pos_ != "DET" and t.tag_ not in WH_TAGS]
    words = words[next((i for i, t in enumerate(words) if t.lower_ not in ("many", "much")), 0) :]
    label = "NOUNS" if head.tag_ in ("NNS", "NNPS") else "NOUN"
    return Mention("the " + _words(words), frozenset({label}))


def _run_mention(noun: Token) -> Mention:
    """ "the new ferry" for a noun the parser attached to a misparsed ROOT noun: the adjectives and nouns
    written right before it (its own subtree misses them)."""
    start = noun.i
    while (
        start > 0
        and noun.doc[start - 1].pos_ in ("ADJ", "NOUN", "PROPN", "NUM")
        and noun.doc[start - 1].tag_ not in WH_TAGS
    ):
        start -= 1
    words = [t for t in noun.doc[start : noun.i + 1] if t.lower_ not in ("many", "much")]
    return Mention("the " + _words(words), frozenset({"NOUNS" if noun.tag_ in ("NNS", "NNPS") else "NOUN"}))


def mentions(doc: Doc | None, skip: set[int] = frozenset()) -> list[Mention]:  # type: ignore[assignment]
    """Entities and common nouns of a question or answer, likeliest antecedent first (by grammatical role,
    then order). An entity that only modifies a common noun ("Eastfield" in "the Eastfield depot")
    stands for that noun phrase."""
    if doc is None:
        return []
    found: list[tuple[int, int, Mention]] = []
    covered: set[int] = set()
    for e in doc.ents:
        if e.label_ in ("DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "CARDINAL", "ORDINAL") or e.start in skip:
            continue
        head = e.root.head
        if e.root.dep_ == "compound" and head.pos_ == "NOUN" and head.i not in skip:
            m = _noun_mention(head, skip)
            m = Mention(m.text, m.labels | {e.label_})
            covered |= {t.i for t in head.subtree if t.i <= head.i}
            found.append((_role_rank(head), head.i, m))
        else:
            covered |= set(range(e.start, e.end))
            found.append((_role_rank(e.root), e.start, Mention(_as_mention(e), frozenset({e.label_}))))
    for t in doc:
        if t.pos_ == "PROPN" and not t.ent_type_ and t.i not in skip and t.dep_ != "compound":
            # A name the recogniser did not type: it may stand for an organisation as well as a person.
            found.append((_role_rank(t), t.i, Mention(_words(list(t.subtree)), frozenset({"PROPN"}))))
            continue
        if t.pos_ != "NOUN" or t.i in covered or t.i in skip:
            continue
        misparsed_root = t.dep_ == "compound" and t.head.dep_ == "ROOT" and t.head.pos_ == "NOUN"
        if t.dep_ == "ROOT" or (t.dep_ == "compound" and not misparsed_root):
            continue  # a question's ROOT noun is the parser folding the verb in ("will the barrier cost")
        found.append((_role_rank(t), t.i, _run_mention(t) if misparsed_root else _noun_mention(t, skip)))
    return [m for _, _, m in sorted(found, key=lambda x: (x[0], x[1]))]


def _pronoun_kind(t: Token) -> str | None:
    low = t.lower_
    if low in PERSONAL:
        return "personal"
    if low in PLURAL:
        return "plural"
    if low in NEUTER or (low in ("that", "this") and t.pos_ == "PRON" and t.tag_ == "DT"):
        return "neuter"
    return None


class Pronouns(Rule):
    """ "who was he meeting?": a third-person pronoun whose antecedent is not in the question itself stands for
    the mention of the right kind that the previous turn is about: the answer's, when that turn asked for it,
    else the previous question's subject, object, then other mentions. Only the first mention of a referent is
    replaced ("her basement" after "she" stays), and an object pronoun is never its own clause's subject
    ("did Greaves thank him": him is not Greaves)."""

    name = "pronouns"

    def rewrite(self, follow_up: Doc, ctx: Context) -> str | None:
        out: list[str] = []
        replaced: set[str] = set()
        names: list[str] = []
        for t in follow_up:
            if t.ent_type_ or t.pos_ == "PROPN":
                names.append(t.text)
            kind = _pronoun_kind(t)
            as_object = t.dep_ in OBJECT_DEPS
            if kind is None or t.dep_ == "expl" or (names and not as_object) or replaced:
                out.append(t.text_with_ws)
                continue
            referent = self._referent(kind, ctx, exclude=" ".join(names))
            if referent is None:
                out.append(t.text_with_ws)
                continue
            possessive = t.lower_ in POSSESSIVE or t.tag_ == "PRP$"
            out.append(referent + ("'s" if possessive else "") + t.whitespace_)
            replaced.add(referent)
        if not replaced:
            return None
        text = "".join(out).strip()
        return text[0].upper() + text[1:]

    @staticmethod
    def _referent(kind: str, ctx: Context, exclude: str) -> str | None:
        labels = KIND_LABELS[kind]
        phrase = WhPhrase.of(ctx.question)
        skip = phrase.indices() if phrase is not None and not phrase.counts() else set()
        candidates = mentions(ctx.question, skip) + mentions(ctx.answer)
        if phrase is not None and phrase.asks(labels):
            candidates = Pronouns._answered(phrase, ctx.answer, labels) + candidates
        usable = [m for m in candidates if not (exclude and m.text in exclude)]
        found = next((m.text for m in usable if m.labels & labels), None)
        if found is None and kind == "personal" and phrase is not None and phrase.tokens[0].lower_ in ("who", "whom"):
            # The recogniser often types a rare person's name as an organisation; the name that answers "who"
            # is the person "he" or "she" stands for.
            found = next((m.text for m in mentions(ctx.answer) if not m.labels & {"NOUN", "NOUNS"}), None)
        return found

    @staticmethod
    def _answered(phrase: WhPhrase, answer: Doc | None, labels: frozenset[str]) -> list[Mention]:
        """What the previous question asked for, as its answer names it. For "which union ..." that is a name in
        an answer sentence that speaks of a union; failing that, "the union" itself (never some other name)."""
        if phrase.noun is None:
            return [m for m in mentions(answer) if m.labels & labels]
        for sent in answer.sents if answer is not None else ():
            if any(t.lemma_ == phrase.noun.lemma_ for t in sent):
                named = [m for m in mentions(sent.as_doc()) if m.labels & labels and "NOUN" not in m.labels]
                if named:
                    return named[:1]
        kind = "NOUNS" if phrase.noun.tag_ in ("NNS", "NNPS") else "NOUN"
        return [Mention(phrase.noun_phrase() or "", frozenset({kind}))]


TEMPORAL_PREPS = frozenset({"during", "after", "before", "since", "until", "till", "by"})


def _carried_phrases(prev: Doc, taken: set[int]) -> list[Span]:
    """The previous question's prepositional phrases that say what it is about ("for the rail deal", "on the
    network"): those on its verb, else those on its noun phrases outside the wh-phrase; time phrases stay."""
    preps = [t for t in prev if t.dep_ == "prep" and t.i not in taken and t.lower_ not in TEMPORAL_PREPS]
    preps = [t for t in preps if not any(c.ent_type_ in TIME_LABELS for c in t.subtree)]
    on_verb = [t for t in preps if t.head.pos_ in ("VERB", "AUX")]
    chosen = on_verb or [t for t in preps if t.head.i not in taken]
    return [prev[t.left_edge.i : t.right_edge.i + 1] for t in chosen]


class Ellipsis(Rule):
    """A follow-up that names nothing and leaves its topic unsaid ("what was the turnout?", "how many usually
    run?"): the counted noun of the previous wh-phrase fills a bare "how many", and the previous question's
    topic phrases are carried over."""

    name = "ellipsis"

    def rewrite(self, follow_up: Doc, ctx: Context) -> str | None:
        if any(t.ent_type_ or t.pos_ == "PROPN" or _pronoun_kind(t) for t in follow_up):
            return None
        prev = ctx.question
        prev_nouns = {t.lemma_ for t in prev if t.pos_ == "NOUN"}
        if (
            not any(t.tag_ in WH_TAGS for t in follow_up)
            or {t.lemma_ for t in follow_up if t.pos_ == "NOUN"} & prev_nouns
        ):
            return None
        phrase = WhPhrase.of(prev)
        taken = phrase.indices() if phrase else set()
        words = [t.text_with_ws for t in follow_up if not t.is_punct]
        own = WhPhrase.of(follow_up)
        if own is not None and own.counts() and own.noun is None and phrase is not None and phrase.noun is not None:
            at = own.tokens[-1].i
            words[at] = own.tokens[-1].text + " " + (phrase.noun_phrase() or "").removeprefix("the ") + " "
        carried = [
            span.text for span in _carried_phrases(prev, taken) if span.text.lower() not in follow_up.text.lower()
        ]
        if not carried and "".join(words).strip() == follow_up.text.rstrip("?.! ").strip():
            return None
        text = " ".join(["".join(words).strip(), *carried]).strip()
        return text[0].upper() + text[1:] + "?"


class Rewriter:
    """Rule-based follow-up resolution: the first rule that applies rewrites the turn."""

    def __init__(self, parse: Callable[[str], Doc]) -> None:
        self.parse = parse
        self.rules: list[Rule] = [BareWh(), Fragment(parse), Pronouns(), Ellipsis()]

    def standalone(self, turns: Sequence[ChatTurn]) -> Rewrite:
        """The last user turn as a standalone question, each earlier user turn resolved first (so a chain of
        follow-ups leans on the resolved question before it)."""
        users = [i for i, t in enumerate(turns) if t.role == "user"]
        if not users or users[-1] != len(turns) - 1:
            raise InvalidInput("the last message must be the user's question")
        resolved: Rewrite | None = None
        for n, i in enumerate(users):
            text = turns[i].text.strip()
            if n == 0:
                resolved = Rewrite(question=text, original=text)
                continue
            assert resolved is not None
            answer = next((t.text for t in turns[users[n - 1] + 1 : i] if t.role == "assistant"), None)
            resolved = self.resolve(text, resolved.question, answer)
        assert resolved is not None
        return resolved

    def resolve(self, text: str, previous: str, answer: str | None) -> Rewrite:
        doc = self.parse(text)
        ctx = Context(question=self.parse(previous), answer=self.parse(answer) if answer else None)
        for rule in self.rules:
            rewritten = rule.rewrite(doc, ctx)
            if rewritten:
                return Rewrite(question=rewritten, original=text, rule=rule.name)
        return Rewrite(question=text, original=text)
