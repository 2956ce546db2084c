"""Question analysis for the extractive generator: what kind of answer is asked for, and which words matter.

No parser and no model: news questions are short and formulaic ("Who is ...", "How many ...", "Which
company ..."), so the wh-word and the noun after it say what the answer looks like.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from qa.text import POSSESSIVE, STOPWORDS, normalize, stem, words

AnswerType = Literal["person", "count", "quantity", "date", "place", "entity", "reason", "description", "none"]


def wordset(text: str) -> frozenset[str]:
    """A set of words written as one space-separated string (keeps long word lists readable)."""
    return frozenset(text.split())


_TERM_TAIL = re.compile(r"(?<=\w{3})[ey]$")


@lru_cache(maxsize=65536)
def term(word: str) -> str:
    """A matching key for a word: the shared stemmer plus a dropped final e/y and possessive, so that
    increase/increased, damage/damaged, battery/batteries and Voltmere/Voltmere's meet."""
    word = POSSESSIVE.sub("", normalize(word)).replace(".", "")
    return _TERM_TAIL.sub("", stem(word))


def terms(text: str) -> list[str]:
    """Matching keys of the content words of ``text`` (numbers kept, stopwords dropped)."""
    return [term(w) for w in words(text) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]


WH = ("why", "how", "who", "whom", "whose", "when", "where", "which", "what")
_AUX = wordset(
    "is was are were did does do has have had will would can could should may might must be been being "
    "to in on at of for by from with as about after before during than that"
)
PLACE_NOUNS = wordset(
    "country countries nation nations city cities state states town towns village continent region island "
    "islands county province capital place location area district neighborhood neighbourhood territory "
    "port river lake sea ocean mountain venue site park parks airport street border"
)
PERSON_NOUNS = wordset(
    "person people man woman men women official officials politician leader leaders member members player "
    "players singer actor actress athlete star celebrity executive chief ceo president minister senator "
    "governor mayor judge author candidate spokesperson spokesman spokeswoman director founder owner "
    "secretary general coach manager chairman chair lawmaker representative rapper musician artist "
    "writer host anchor journalist reporter scientist doctor king queen prince princess"
)
QUANTITY_NOUNS = wordset(
    "amount number percentage percent share rate price cost costs budget fine fee fees salary wage pay rise "
    "raise increase decrease cut total sum figure value worth loss losses damage damages grant loan revenue "
    "profit deficit size age height weight distance speed temperature score margin majority"
)
TIME_NOUNS = wordset("year month day date time week season decade century hour period")
_PRONOUNS = wordset("this that these those it its he she his her they their them we our you i")
_VERBS = wordset(
    "saw won win wins said says say made make makes took take became become got get gets hit led set sold "
    "lost bought left brought plan plans will would could should can may might is are was were"
)
_NUMBER_WORDS = wordset("two three four five six seven eight nine ten")
_HOW_ADJ = re.compile(r"\bhow\s+(?:much|many|large|big|long|old|far|tall|high|fast|deep|heavy|wide|soon|often)\b")
_WH_TERMS = frozenset(term(w) for w in WH)
_PAST_AUX = re.compile(r"\b(?:did|has|have|had)\b")
_MODAL_AUX = re.compile(r"\b(?:will|would|could|can|may|might|should|must|shall)\b")
# Words of a change in amount ("rose", "cut", "doubled"): shared by question analysis ("by how much did it rise?")
# and the span finder ("rose from 30 to 60" is a change, not a range).
CHANGE_WORDS = (
    r"\b(?:rose|rise[sn]?|rising|fell|fall(?:s|en|ing)?|grew|grow(?:s|n|ing)?|went|gone|up|down|"
    r"(?:increas|decreas|rais|lower|reduc|cut|climb|drop|jump|doubl|tripl|chang|mov|shift|soar|plung|slash|"
    r"widen|narrow|extend|shorten|push|pull|revis|upgrad|downgrad|hik)\w*)\b"
)
_CHANGE = re.compile(rf"\bby how much\b|{CHANGE_WORDS}")
_REASON = re.compile(r"\b(why|what caused|for what reason|what (?:was|is|were) the (?:reason|cause))\b")


@dataclass
class Question:
    text: str
    atype: AnswerType
    head: str | None  # the noun after which/what ("company" in "Which company ..."), matching key
    head_word: str | None  # the same noun as written, lower-cased
    terms: list[str] = field(default_factory=list)  # matching keys of all content words
    focus_terms: list[str] = field(default_factory=list)  # those of the interrogative clause itself
    proper_terms: set[str] = field(default_factory=set)  # keys of capitalised words (names) and numbers
    plural: bool = False  # "Which two countries ...": the answer may be a list
    named: bool = False  # "What is the name of ...": only a name answers
    role_of: bool = False  # "Who is the mayor of X": the answer must be named as the role
    before: list[str] = field(default_factory=list)  # keys of the clause's words before the wh-phrase
    after: list[str] = field(default_factory=list)  # ... and after it: the answer's neighbours in a statement
    wh: str = ""  # the question word the type comes from ("" when there is none)
    asks_age: bool = False  # "how old", "what age": only an age answers, not any number
    asks_change: bool = False  # "by how much did it rise": a percentage answers a question about a price
    subject: str | None = None  # "Who is Ada Lune?": the named thing a description is asked of, as written
    # "What did the council cancel?": only what the parse has as the object of that verb answers
    object_of_verb: bool = False

    @property
    def is_why(self) -> bool:
        return self.atype == "reason"

    @property
    def pinned_terms(self) -> set[str]:
        """Keys of the names and figures of the interrogative clause ("Brackenford", "2026"): an answer's passage
        should name them, or stand in an article that does."""
        return set(self.focus_terms) & self.proper_terms

    @property
    def attribute_terms(self) -> set[str]:
        """The clause's plain content words, without its names/numbers and the wh-phrase ("how much", "how
        large"): what is asked ABOUT ("raise fares", "cost to build", "fine ... impose")."""
        clause = _HOW_ADJ.sub(" ", normalize(_clause(self.text)))
        return {t for t in terms(clause) if t not in self.proper_terms and t not in _WH_TERMS}

    @property
    def asks_earlier(self) -> bool:
        """Asked about an earlier value or plan ("what was the original estimate", "when was it first set")."""
        return bool(_EARLIER_ASKED.search(self.text))

    @property
    def asks_past(self) -> bool:
        """Asked about what happened ("did", "has"), not what might or will ("could", "will")."""
        clause = normalize(_clause(self.text))
        return bool(_PAST_AUX.search(clause)) and not _MODAL_AUX.search(clause)


_EARLIER_ASKED = re.compile(
    r"\b(?:first|originally|initially|earlier|before|previous(?:ly)?|at first)\b", re.IGNORECASE
)


def _clause(text: str) -> str:
    """The interrogative clause: the last sentence that has a wh-word (RealTimeQA-style questions put
    a paragraph of context before the actual question)."""
    parts = [p for p in re.split(r"(?<=[.?!])\s+", text.strip()) if p]
    for part in reversed(parts):
        if any(w in WH for w in words(part)):
            return part
    return parts[-1] if parts else text


def _which_head(question: str) -> str | None:
    """The noun "which" determines, by the parse: "which actor stars alongside ..." asks for an actor (the word rule of
    :func:`_head_after` does not know "stars" is a verb there)."""
    from qa.nlp import parse

    which = next((t for t in parse(question) if t.lower_ == "which" and t.dep_ == "det"), None)
    return which.head.lower_ if which is not None and which.head.pos_ in ("NOUN", "PROPN") else None


def _head_after(text: str) -> str | None:
    """The head noun of the phrase that starts ``text`` (what follows which/what): its last word before a
    verb, a pronoun, a preposition or punctuation. "which hugely successful novel was" -> "novel"."""
    phrase = re.split(r"[,.;:?!()\u2013\u2014]", text, maxsplit=1)[0]
    ws = words(phrase)
    if ws[:3] == ["of", "the", "following"]:
        ws = ws[3:]
    head = None
    skip = False
    for n, w in enumerate(ws[:7]):
        if skip:  # the "of" of "kind of"
            skip = False
            continue
        if w in ("kind", "type", "sort", "name", "names") and n + 1 < len(ws) and ws[n + 1] == "of":
            skip = True
            continue
        if w.isdigit() or w in _NUMBER_WORDS:
            continue
        if w in _AUX or w in WH or w in _PRONOUNS or w in _VERBS:
            break
        if head is not None and (w.endswith("ed") or w.endswith("ly")):
            break
        if head is None and w.endswith("ly"):
            continue  # "which hugely successful novel"
        head = w
    return head


def _wh_index(ws_text: str) -> re.Match[str] | None:
    """The question word, skipping relative pronouns (", who legally changed ...")."""
    for m in re.finditer(r"\b(why|how|who|whom|whose|when|where|which|what)\b", ws_text, re.IGNORECASE):
        before = ws_text[: m.start()].rstrip()
        if before.endswith(","):
            following = words(ws_text[m.end() :])[:1]
            relative = m.group(1).lower() in ("who", "whom", "whose", "where", "when")
            if relative or (following and (following[0] in _AUX or following[0] in _VERBS)):
                continue
        return m
    return None


# An identity question: "Who is Ada Lune?", "What was the Orrin Trust?", "What is Ada Lune's job?", "What does Ada
# Lune do?". What answers it is a description of the name (an appositive, a title, "X is a ..."), not another name.
_OCCUPATION = r"(?:role|job|title|position|post|occupation|profession|background)"
# Capitalised words (case-sensitive on purpose: the question must write a name), with the linking words of names.
_NAME_WORDS = r"(?:(?i:the)\s+)?[A-Z][\w'’.\-]*(?:\s+(?:of\s+|de\s+|van\s+|von\s+)?[A-Z][\w'’.\-]*){0,5}"
_IDENTITY = (
    re.compile(rf"^(?i:who|what)\s+(?i:is|was|are|were)\s+({_NAME_WORDS})\s*\??$"),
    re.compile(rf"^(?i:what)\s+(?i:is|was)\s+({_NAME_WORDS})['’]s?\s+(?i:{_OCCUPATION})\s*\??$"),
    re.compile(rf"^(?i:what)\s+(?i:does|did)\s+({_NAME_WORDS})\s+(?i:do(?:\s+for\s+a\s+living)?)\s*\??$"),
)


def _identity_subject(clause: str) -> str | None:
    """The name whose description is asked for, or ``None``. The name must be written as one (capitalised: "Who is
    the mayor?" asks for a person, not a description; "Who is Ada Lune's lawyer?" asks for another person)."""
    for pattern in _IDENTITY:
        m = pattern.match(clause.strip())
        if m is not None:
            return re.sub(r"^(?i:the)\s+", "", m.group(1)).strip()
    return None


def _asks_for_an_object(question: str) -> bool:
    """ "What did the council cancel?": "what" is the object of a verb with a subject of its own, so the answer is a
    thing (the phrase in that role: :func:`qa.generators.readings.mark_relation`). Not for what someone said or did,
    or what happened: those are answered by a clause."""
    from qa.generators.relation import REPORTING, question_relation

    rel = question_relation(question)
    return (
        rel is not None
        and rel.role == "object"
        and bool(rel.subject)
        and not rel.predicates & (_CLAUSE_VERBS | REPORTING)
    )


# Verbs whose object is an event or a clause, not a thing ("what did they do", "what did the panel conclude"): verbs
# of doing and happening, of deciding, of knowing and finding, of wanting and proposing.
_CLAUSE_VERBS = wordset(
    "do happen mean decide agree conclude resolve choose find learn discover know realise realize show prove "
    "think believe expect fear hope want wish plan intend propose suggest recommend ask demand urge"
)


def analyse(question: str) -> Question:
    clause = _clause(question)
    # The whole question first: a name with initials ("Ada K. Lune") would be cut by the sentence split of _clause.
    # The clause only when it ends the question: "What is U.S. policy?" splits into "What is U.S." and "policy?".
    subject = _identity_subject(question) or (_identity_subject(clause) if question.rstrip().endswith(clause) else None)
    low = normalize(clause)
    atype: AnswerType = "none"
    object_of_verb = False
    head = None
    name_of = False
    role_of = False
    m = _wh_index(low)
    wh = m.group(1) if m else ""
    rest = low[m.end() :] if m else ""
    after = words(rest)
    nxt = after[0] if after else ""
    if _REASON.search(low):
        atype = "reason"
    elif wh == "how":
        if nxt == "many":
            atype, head = "count", _head_after(rest.split("many", 1)[1])
        elif nxt == "soon":
            atype = "date"
        elif nxt in ("much", "old", "long", "large", "big", "far", "tall", "high", "fast", "deep", "heavy", "wide"):
            atype = "quantity"
    elif wh in ("who", "whom", "whose"):
        atype = "person"
        role = re.match(
            r"\s*(?:is|was|are|were|will be|has been) (?:the |a |an )?(?:new |current |former )?"
            r"([\w\- ]+?)(?: of | at | for | in | to |\?|$)",
            rest,
        )
        if role and len(role.group(1).split()) <= 3:
            head = role.group(1).split()[-1]
            role_of = head in PERSON_NOUNS
    elif wh == "when":
        atype = "date"
    elif wh == "where":
        atype = "place"
    elif wh in ("which", "what"):
        named = re.match(r"\s*(?:is|was|are|were) (?:the|its|his|her|their) (.*)", rest)
        head = _head_after(named.group(1) if named and wh == "what" else rest)
        if wh == "which" and head is not None and after and head != after[0]:
            # the word rule went past the first noun: the parse knows which one "which" determines
            head = _which_head(question) or head
        owned = re.match(r"\s*(?:is|was|are|were) [\w\s.\-]+?['’]s ([a-z]+)\W*$", rest)
        if head is None and owned:  # "what is the museum's age?": the noun after the possessive
            head = owned.group(1)
        if named and head in ("name", "names"):
            head = None
        name_of = bool(re.search(r"\bnames? of\b", rest))
        if head is None:
            object_of_verb = wh == "what" and not named and _asks_for_an_object(question)
            entity = wh == "which" or (named and "name" in rest.split()[:3]) or object_of_verb
            atype = "entity" if entity else "none"
        elif head in TIME_NOUNS or head.rstrip("s") in TIME_NOUNS:
            atype = "date"
        elif head in PLACE_NOUNS:
            atype = "place"
        elif head in PERSON_NOUNS:
            atype = "person"
        elif head in QUANTITY_NOUNS:
            atype = "quantity"
        else:
            atype = "entity"
    before = terms(clause[: m.start()]) if m else []
    after_words = terms(rest)
    if head is not None and term(head) in after_words:
        after_words = after_words[after_words.index(term(head)) + 1 :]
    all_terms = terms(question)
    focus = terms(clause)
    proper: set[str] = set()
    for w in re.finditer(r"[\w][\w'’\-.]*[\w]|[\w]", question):
        first = not question[: w.start()].strip() or question[: w.start()].rstrip()[-1] in ".?!"
        if (w.group()[0].isupper() and not first) or w.group()[0].isdigit():
            proper.update(terms(w.group()))
    plural = bool(head and (head.endswith("s") and not head.endswith("ss")) and atype in ("entity", "place"))
    if subject is not None:
        atype, head, role_of, name_of = "description", None, False, False
    return Question(
        text=question,
        atype=atype,
        head=term(head) if head else None,
        head_word=head,
        terms=all_terms,
        focus_terms=focus,
        proper_terms=proper & set(all_terms),
        plural=plural,
        named=atype == "entity" and name_of,
        before=before,
        after=after_words,
        role_of=role_of,
        wh=wh,
        asks_age=(nxt == "old" and wh == "how") or head in ("age", "ages"),
        asks_change=bool(_CHANGE.search(low)),
        object_of_verb=object_of_verb,
        subject=subject,
    )
