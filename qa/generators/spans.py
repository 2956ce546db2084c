"""Short answers: a name, number, date, place or kind of thing cut verbatim from the best evidence sentences.

Candidates are found by shape (capitalised runs and quoted titles, numbers with units, dates) or, for a
"which animals"-style question, as lower-case nouns that WordNet says are kinds of the asked-for noun; they
are kept when they fit the question's answer type and do not just repeat the question, and ranked by the
sentence they come from, how close they sit to the question's words, and how many good sentences agree on them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from qa import wordnet
from qa.generators import candidate_score, readings
from qa.generators.candidate import Candidate
from qa.generators.evidence import Pool, Sentence
from qa.generators.gazetteer import PLACES
from qa.generators.questions import CHANGE_WORDS, PERSON_NOUNS, Question, term, wordset
from qa.text import STOPWORDS

if TYPE_CHECKING:
    pass

_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan\.|Feb\.|Mar\.|Apr\.|Jun\.|Jul\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.)"
)
_DAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_DATE = re.compile(
    rf"\b(?:\d{{1,2}}\s+{_MONTH}(?:,?\s+\d{{4}})?|{_MONTH}(?:\s+\d{{1,2}}(?:st|nd|rd|th)?)?(?:,?\s+\d{{4}})?"
    rf"|(?:early|mid|late)-?\s?(?:19|20)\d\d|(?:19|20)\d\d|{_DAY}"
    r"|(?:(?:later|earlier|early|late)\s+)?(?:next|this|last)\s+(?:week|month|year|spring|summer|fall|autumn|winter|"
    r"weekend)|(?:in\s+)?(?:a few|two|three|several|\d+)\s+(?:days|weeks|months|years)(?:\s+(?:ago|later|earlier))?"
    rf"|(?:the\s+)?(?:end|start|beginning|middle)\s+of\s+(?:{_MONTH}|the year|next year|this year))\b"
)
_SCALE = r"(?:\s?(?:million|billion|trillion|thousand|hundred|[mbk]n?)\b)?"
_MONEY = re.compile(
    rf"[$€£]\s?\d(?:[\d,]*\d)?(?:\.\d+)?{_SCALE}|\b\d(?:[\d,]*\d)?(?:\.\d+)?{_SCALE}\s(?:dollars|euros|pounds)\b"
)
_PERCENT = re.compile(r"\b\d(?:[\d,]*\d)?(?:\.\d+)?\s?(?:%|percent\b|per cent\b|percentage points?\b)")
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty"
    "|hundred|hundreds|thousand|thousands|dozen|dozens|million|millions"
)
_NUMBER = re.compile(
    rf"(?<![\w\-.])(?:\d(?:[\d,]*\d)?(?:\.\d+)?{_SCALE}|(?:{_NUMBER_WORDS})(?:\s(?:million|thousand|hundred))?)\b",
    re.IGNORECASE,
)
_UNIT = re.compile(
    r"\s?(?:-?\s?(?:years?|months?|weeks?|days?|hours?|minutes?|miles?|kilomet(?:er|re)s?|km|met(?:er|re)s?"
    r"|feet|foot|inches|pounds|tons|tonnes|gallons?|degrees|acres|kilowatt-hours|gigawatt-hours"
    r"|units|homes|people|cases)(?:\s?old)?)\b",
    re.IGNORECASE,
)
_CONNECT = r"(?:of|the|and|&|de|del|da|du|la|le|van|von|der|for|y)"
_CAP = r"(?:[A-Z][\w'’\-]*(?:\.(?=\w))?[\w'’\-]*|[A-Z]\.(?:[A-Z]\.)+)"
_NAME = re.compile(rf"(?<![\w'’]){_CAP}(?:\s+(?:{_CONNECT}\s+)*(?:{_CAP}|\d+(?:st|nd|rd|th)?\b))*")
_WORD = re.compile(r"(?<![\w'’\-])[A-Za-z][a-z]+(?:-[a-z]+)?(?![\w'’\-])")
_MONTH_START = re.compile(rf"^(?:{_MONTH}|{_DAY})\b")
_EARLIER = re.compile(
    r"\b(?:up|down) from(?: the| an? )?\s*$|\b(?:compared with|from an earlier|previously|earlier estimate of"
    r"|originally)(?: the| an?)?\s*$",
    re.IGNORECASE,
)
_POSSIBLE = re.compile(r"\b(?:can|could|may|might)\b", re.IGNORECASE)  # a possibility, not a fact
_FIGURES = ("money", "percent", "number", "measure")
_MODAL = re.compile(r"\b(?:can|could|may|might|would|if|up to|as much as)\b", re.IGNORECASE)
ORG_HEADS = wordset(
    "company companies firm firms business airline airlines automaker carrier manufacturer maker retailer chain "
    "group organization organisation network platform service brand bank lender insurer startup publisher "
    "studio broadcaster supermarket supermarkets contractor operator supplier agency union"
)
_TITLE = re.compile(r"[“\"]([A-Z][^”\"\n]{1,60}?)[,.]?[”\"]")
_ORG_WORDS = wordset(
    "inc corp co company association union service department university party commission authority council "
    "ministry group bank agency court board institute foundation administration house office network "
    "committee club league team airlines airline times post news review systems energy engineering"
)
_TITLES = re.compile(
    r"(?:Mr|Ms|Mrs|Dr|President|Sen|Rep|Gov|Secretary|Minister|Chancellor|Prince|Queen|King|Pope"
    r"|executive|chairman|spokesman|spokeswoman|spokesperson|singer|actor|actress|star)\.?\s+$"
)
_MONEY_WORDS = wordset(
    "cost costs price prices pay paid fine fined budget fund funding dollars money worth spend spent damage "
    "damages forgiveness loan loans grant wage salary fee fees revenue profit sale sold raise"
)
ATTRIBUTE_SHARE = 0.6  # a figure's sentence must name this share of the asked-about words the best passage names
_PLACE_TERMS = frozenset(term(p.lower()) for p in PLACES if " " not in p)
GEO_HEADS = wordset(
    "country countries nation nations city cities state states town towns village villages continent region "
    "regions island islands county province capital place location area district territory"
)
_TITLE_HEADS = wordset("show series movie film song album book play game musical novel")
NAMED_HEADS = ORG_HEADS | _TITLE_HEADS | wordset("team teams club clubs band bands party parties league leagues")
_COMMON_STARTS = wordset("the a an but and in on at as after before when while if last this that its")


def _strip(body: str, a: int, b: int, question_terms: set[str]) -> tuple[int, int]:
    """Trim edge words that are stopwords or question words, plus punctuation and possessives."""
    changed = True
    while changed and a < b:
        changed = False
        m = re.match(r"[\s,.;:“”\"'’(]+", body[a:b])
        if m:
            a += m.end()
        m = re.search(r"(?:['’]s|[\s,.;:“”\"'’)]+)$", body[a:b])
        if m and m.start() > 0:
            b = a + m.start()
        first = re.match(r"[\w'’\-.&]+", body[a:b])
        if first and a + first.end() < b:
            raw = first.group()
            w = raw.lower()
            stop = w in _COMMON_STARTS if raw[0].isupper() else w in STOPWORDS
            if stop or term(w) in question_terms or w == "&":
                a += first.end()
                changed = True
                continue
        last = re.search(r"[\w'’\-.&]+$", body[a:b])
        if last and last.start() > 0:
            raw = last.group()
            w = raw.lower()
            stop = w in _COMMON_STARTS if raw[0].isupper() else w in STOPWORDS
            if stop or term(w) in question_terms or w == "&":
                b = a + last.start()
                changed = True
    return a, b


_CALENDAR_WORD = re.compile(rf"\s+(?:{_MONTH}|{_DAY})\b")
_CALENDAR = re.compile(rf"\b(?:{_MONTH}|{_DAY})\b")


def _names(text: str) -> list[tuple[int, int]]:
    """Capitalised runs, cut where a weekday or month follows a name ("Harlan Motors Tuesday")."""
    spans = []
    for m in _NAME.finditer(text):
        a, b = m.span()
        cut = _CALENDAR_WORD.search(text, a, b)
        spans.append((a, cut.start() if cut and cut.start() > a else b))
    return spans


def candidates(
    s: Sentence, question: Question, question_terms: set[str], names: frozenset[str] | None = None
) -> list[Candidate]:
    body, text, base = s.article.body, s.text, s.start
    found: list[Candidate] = []

    def add(a: int, b: int, kind: str, strip: bool = True) -> None:
        whole = body[base + a : base + b]
        if strip:
            a, b = _strip(body, base + a, base + b, question_terms)
        else:
            a, b = base + a, base + b
        span = body[a:b]
        if not span or not any(c.isalnum() for c in span):
            return
        keys = {term(w) for w in re.findall(r"\w[\w'’\-]*", span)}
        # (a date's words are never mere function words: the month "May" is also a modal verb)
        if keys and keys <= question_terms | (STOPWORDS if kind != "date" else frozenset()):
            return  # only repeats the question
        # Words of the question cut off the run: a name cut out of one the question uses ("Calder Estuary" ->
        # "Estuary") is partial; the question's own qualifier after "of" is not ("President Ana Vell of Tarvia").
        qualifier = re.match(r"\s+of\s+(.*)", whole[whole.find(span) + len(span) :] if span in whole else "")
        cut = {term(w) for w in re.findall(r"\w[\w'’\-]*", whole)} - keys
        if qualifier:
            cut -= {term(w) for w in re.findall(r"\w[\w'’\-]*", qualifier.group(1))}
        found.append(Candidate(span, a, b, kind, s, partial=bool(cut & question.proper_terms)))

    for m in _TITLE.finditer(text):
        if len(m.group(1).split()) <= 6:
            add(m.start(1), m.end(1), "title")
    for m in _names(text):
        a, b = m
        if a == 0 or re.match(r"[“\"(:—–-]", text[max(0, a - 2) : a].strip()[-1:] or " "):
            # A sentence opens with a capital: drop an ordinary word there ("Despite", "The").
            word = text[a:b].split()[0]
            first = word.lower()
            ordinary = names is not None and re.sub(r"['’]s$", "", word) not in names
            if first in STOPWORDS or first in _COMMON_STARTS or ordinary:
                nxt = re.search(r"\s", text[a:b])
                if nxt is None:
                    continue
                a += nxt.end()
        if _DATE.fullmatch(text[a:b]) or _MONTH_START.match(text[a:b]):
            continue
        add(a, b, "name")
        if " and " in text[a:b] and not question.plural:
            cursor = a
            for part in text[a:b].split(" and "):
                if not _MONTH_START.match(part):
                    add(cursor, cursor + len(part), "name")
                cursor += len(part) + 5
    if (
        question.atype == "entity"
        and question.head_word
        and question.head_word not in NAMED_HEADS
        and not question.named
    ):
        # A common noun of the kind asked for: "which animals" -> "lions", "which condiment" -> "mustard" (but a
        # "subsidiary" is no answer to "which company": companies, teams and shows are asked for by name).
        for m in _WORD.finditer(text):
            w = m.group()
            if (w[0].isupper() and m.start() > 0) or w.lower() in STOPWORDS or term(w.lower()) in question_terms:
                continue
            if wordnet.is_a(w.lower(), question.head_word):
                add(*m.span(), "kind", strip=False)
    dates = [m.span() for m in _DATE.finditer(text)]
    for a, b in dates:
        add(a, b, "date", strip=False)
    if question.head_word in _CLOCK_HEADS:  # "at what time": a time of day, "10.15 p.m.", "midnight"
        for m in _CLOCK.finditer(text):
            add(*m.span(), "date", strip=False)
    for m in _MONEY.finditer(text):
        add(*m.span(), "money", strip=False)
    for m in _PERCENT.finditer(text):
        add(*m.span(), "percent", strip=False)
    for m in _NUMBER.finditer(text):
        a, b = m.span()
        in_date = any(da <= a and b <= db and _CALENDAR.search(text, da, db) for da, db in dates)
        if text[max(0, a - 1) : a] in ("$", "€", "£") or in_date or _DATE.fullmatch(text[a:b]):
            continue  # a price's figure, a year, the day of "July 29": no count (the 67 of "67 years" may be)
        add(a, b, "number", strip=False)
        unit = _UNIT.match(text, b)
        if unit:
            add(a, unit.end(), "measure", strip=False)
    return _with_ranges(body, found)


_FIGURES_OF_RANGE = ("money", "percent", "number", "measure")
_RANGE_JOIN = re.compile(r"\s*(?:to|or|and|–|—)\s*")  # "30 to 60", "six or seven", "between 5 and 10", "5–7"
_BETWEEN = re.compile(r"\bbetween\s+$", re.IGNORECASE)
_FROM = re.compile(r"\bfrom\s+$", re.IGNORECASE)
# "rose from 30 to 60" is a change, whose answer is where it ended; "cost from $5 to $8" is a range.
_CHANGE = re.compile(rf"{CHANGE_WORDS}[^.]{{0,40}}$", re.IGNORECASE)


def _with_ranges(body: str, found: list[Candidate]) -> list[Candidate]:
    """Two figures joined as a range ("30 to 60", "six to seven tonnes", "between $5 and $8") become one
    candidate and their parts are dropped; in a change ("rose from 30 to 60") the first figure is the old value."""
    figures = sorted((c for c in found if c.kind in _FIGURES_OF_RANGE), key=lambda c: (c.start, -c.end))
    ranges: list[Candidate] = []
    for c1 in figures:
        for c2 in figures:
            if c2.start <= c1.end or not _RANGE_JOIN.fullmatch(body, c1.end, c2.start):
                continue
            joiner = body[c1.end : c2.start].strip()
            before = body[max(0, c1.start - 80) : c1.start]
            if joiner == "and" and not _BETWEEN.search(before):
                continue
            if joiner == "to" and _FROM.search(before) and _CHANGE.search(before[: _FROM.search(before).start()]):
                c1.dropped = "earlier_value_of_change"
                continue
            ranges.append(Candidate(body[c1.start : c2.end], c1.start, c2.end, c2.kind, c1.sentence))
    if not ranges:
        return found
    inside = [
        c for c in found if c.kind in _FIGURES_OF_RANGE and any(r.start <= c.start and c.end <= r.end for r in ranges)
    ]
    for c in inside:
        c.dropped = "part_of_range"
    return found + ranges


AGENT_BODY_FIT = 0.8  # type fit of an organisation or a country standing in the role a "who" question asks about
DESCRIPTION_FIT = 0.6  # type fit of a role filled by a description ("the chief engineer") rather than a name
_ANY = re.compile(r"")
# A date asked for at a grain ("in what year", "which month") is answered at that grain or finer.
# A time of day: "10.15 p.m.", "9:30am", "noon", "midnight".
_CLOCK = re.compile(r"\b\d{1,2}(?:[:.]\d\d)?\s?(?:a\.m\.|p\.m\.|am\b|pm\b)|\b(?:noon|midnight)\b", re.IGNORECASE)
_CLOCK_HEADS = ("time", "hour")
_GRAIN = {
    **dict.fromkeys(_CLOCK_HEADS, _CLOCK),
    "year": re.compile(r"\b(?:19|20)\d\d\b|\byear\b", re.IGNORECASE),
    "years": re.compile(r"\b(?:19|20)\d\d\b|\byears?\b", re.IGNORECASE),
    "month": re.compile(rf"{_MONTH}|\bmonth\b", re.IGNORECASE),
    "day": re.compile(rf"{_DAY}|\d|\b(?:day|today|tomorrow|yesterday)\b", re.IGNORECASE),
}
_AGE_AFTER = re.compile(r"\s?-?\s?years?[\s-]+old\b|\s+years? of age\b", re.IGNORECASE)
_AGE_BEFORE = re.compile(r"\b(?:aged|age of|ages?)\s+$", re.IGNORECASE)


_SPAN_OF_TIME = re.compile(r"(?:a few|several|\w+|\d+)\s+(?:days|weeks|months|years)", re.IGNORECASE)
_FROM_NOW = re.compile(r"\s+(?:ago|later|earlier|after|before|from now|on)\b", re.IGNORECASE)


def _is_duration(c: Candidate) -> bool:
    """ "18 months" (how long, or an age) is no answer to "when"; "in 18 months", "18 months ago" are."""
    after = c.sentence.article.body[c.end : c.end + 12]
    return bool(_SPAN_OF_TIME.fullmatch(c.text)) and not _FROM_NOW.match(after)


def _is_age(c: Candidate) -> bool:
    """A figure written as someone's age: "67 years old", "a 67-year-old", "aged 67", "Ada Lune, 67, said"."""
    body = c.sentence.article.body
    before, after = body[max(0, c.start - 15) : c.start], body[c.end : c.end + 20]
    if _AGE_AFTER.match(after) or _AGE_BEFORE.search(before) or re.search(r"(?i)\byears?\W+old\b", c.text):
        return True
    appositive = (before.endswith(", ") and after.startswith(",")) or (before.endswith("(") and after.startswith(")"))
    return appositive and bool(re.fullmatch(r"\d{1,3}", c.text))


def _type_fit(c: Candidate, question: Question) -> float:
    """How well the candidate's shape fits the answer type (0 = not at all)."""
    t, kind = question.atype, c.kind
    words = c.text.split()
    if t == "date":
        if kind != "date" or _is_duration(c):
            return 0.0
        return 1.0 if _GRAIN.get(question.head_word or "", _ANY).search(c.text) else 0.0
    if question.asks_age:
        return 1.0 if kind in ("number", "measure") and _is_age(c) else 0.0
    if t == "count":
        return 1.0 if kind == "number" else 0.0
    if t == "quantity":
        money = bool(set(question.terms) & {term(w) for w in _MONEY_WORDS}) or "$" in question.text
        pct = "percent" in question.text.lower() or "%" in question.text
        if kind == "money":
            return 1.0 if money or not pct else 0.3
        if kind == "percent":
            # A price is no percentage, but a rise in one may be ("by how much will fares rise?").
            return 1.0 if pct or not money else 0.8 if question.asks_change else 0.0
        if kind == "measure":
            return 0.0 if money or pct else 0.9
        return 0.0 if money or pct else 0.4 if kind == "number" else 0.0
    if kind == "kind":
        return 1.0  # only found for an entity question, as a kind of its head noun
    if kind == "description":
        return DESCRIPTION_FIT  # only found as what fills the question's relation
    if kind not in ("name", "title"):
        return 0.0
    lower = {w.lower().strip(".,") for w in words}
    place = c.text in PLACES or " ".join(words[-2:]) in PLACES or words[-1] in PLACES
    org = bool(lower & _ORG_WORDS)
    body = c.sentence.article.body
    before = body[max(0, c.start - 40) : c.start]
    if t == "person":
        # "Tarvia's Prime Minister", "the firm's Chief Executive": a possessor and a role describe a person, they
        # don't name one.
        role_phrase = bool(re.search(r"['’]s\s", c.text)) and words[-1].lower() in PERSON_NOUNS
        entity = c.features.get("entity")  # the parser's named-entity reading, where the passage was parsed
        body_like = org or place or entity == readings.ENTITY_BODY
        if body_like and c.features.get("fills_relation") and question.wh == "who":
            return AGENT_BODY_FIT  # "Who announced ...?" "the ministry announced ...": a body acts too
        if entity == readings.ENTITY_PERSON and not role_phrase:
            return 1.0  # a person by the parser, one-word names too ("Pele", "Shakira")
        if body_like or entity == readings.ENTITY_OTHER or kind == "title" or role_phrase:
            return 0.1
        titled = bool(_TITLES.search(before))
        return 1.0 if len(words) >= 2 or titled else 0.6
    if t == "place":
        specific = question.head_word is not None and question.head_word not in GEO_HEADS
        if specific and re.match(
            rf"\s+(?:[A-Z][\w'’\-]*\s+)?{re.escape(question.head_word)}\b", body[c.end : c.end + 40], re.I
        ):
            return 1.0  # named as what is asked for: "which national park" -> "Glacier Rock [National Park]"
        if place:
            # ... while a state or city from the gazetteer is not a park, a river or an airport
            return 0.7 if specific else _geo_kind_fit(c.text, question.head_word)
        prep = bool(re.search(r"\b(?:in|at|from|near|to|of)\s+$", before))
        return 0.7 if prep and not org else 0.3
    # entity: a named thing; a quoted title when a show/film/book is asked for
    if kind == "title":
        return 1.0 if question.head in {term(h) for h in _TITLE_HEADS} else 0.6
    if question.head_word in ORG_HEADS:
        return 1.0 if org else 0.8 if not place else 0.3
    if question.head_word in PERSON_NOUNS:
        return 0.8
    return 0.8 if not place or question.head is None else 0.6


# A place WordNet knows as the asked kind ("which city" -> a city), one it knows only as another kind of place (a
# country for "which city"), and one it does not know (most multi-word names): the type fit of each.
GEO_KIND_FIT = {"confirmed": 1.0, "other_kind": 0.4, "unknown": 0.8}
# Heads that name one kind of settlement or polity (a country is no city); "place", "area" or "region" take any.
_PLACE_KINDS = wordset(
    "city cities town towns village villages country countries nation nations state states province county "
    "continent island islands capital"
)


def _geo_kind_fit(text: str, head: str | None) -> float:
    """For "which city / country / state ...": does WordNet's noun hierarchy (instances included: "Lyon" is a
    city) make the place the asked kind? A bare "where" or a head that takes any place ("place", "region") fits fully."""
    if head not in _PLACE_KINDS or not wordnet.is_category(head):
        return 1.0
    word = text.lower()
    if wordnet.is_a(word, head):
        return GEO_KIND_FIT["confirmed"]
    if any(wordnet.is_a(word, other) for other in _PLACE_KINDS if other != head and wordnet.is_category(other)):
        return GEO_KIND_FIT["other_kind"]
    return GEO_KIND_FIT["unknown"]


def _proximity(c: Candidate, weights: dict[str, float], head: str | None) -> tuple[float, float]:
    """How much of the question stands close around the candidate (weighted share of its words, each
    discounted by its distance in words), and whether the head noun is next to it ("budget of $251 million")."""
    tokens = c.sentence.tokens
    mine = [i for i, (a, b, _) in enumerate(tokens) if a >= c.start and b <= c.end]
    if not mine:
        return 0.0, 0.0
    lo, hi = min(mine), max(mine)
    best: dict[str, float] = {}
    head_gap = 99
    for i, (_, _, t) in enumerate(tokens):
        if lo <= i <= hi:
            continue
        gap = lo - i if i < lo else i - hi
        if t in weights:
            best[t] = max(best.get(t, 0.0), 1.0 / (1.0 + (gap - 1) / 3.0))
        if head and t == head:
            head_gap = min(head_gap, gap)
    total = sum(weights.values()) or 1.0
    near = sum(weights[t] * v for t, v in best.items()) / total
    return min(1.0, 1.5 * near), (1.0 if head_gap <= 2 else 0.5 if head_gap <= 5 else 0.0)


def _alignment(c: Candidate, question: Question, weights: dict[str, float], window: int = 6) -> float:
    """Does the sentence read like the question with the answer in the wh-phrase's place? The question's
    words after "which company" should follow the candidate ("Harlan Motors agreed to buy the depot"), and
    its words before it precede the candidate ("the council approved the lease of the Eastfield depot")."""
    tokens = c.sentence.tokens
    mine = [i for i, (a, b, _) in enumerate(tokens) if a >= c.start and b <= c.end]
    if not mine:
        return 0.0
    lo, hi = min(mine), max(mine)
    before = {t for _, _, t in tokens[max(0, lo - window) : lo]}
    after = {t for _, _, t in tokens[hi + 1 : hi + 1 + window]}
    want_before = {t for t in question.before if t in weights}
    want_after = {t for t in question.after if t in weights}
    total = sum(weights[t] for t in want_before | want_after)
    if not total:
        return 0.0
    got = sum(weights[t] for t in want_before if t in before) + sum(weights[t] for t in want_after if t in after)
    return min(1.0, got / total)


def _share(wanted: set[str], have: frozenset[str], weights: dict[str, float]) -> float:
    """Weighted share of ``wanted`` found in ``have`` (words without a weight count 1)."""
    total = sum(weights.get(t, 1.0) for t in wanted)
    return sum(weights.get(t, 1.0) for t in wanted if t in have) / total if total else 1.0


def short_answer(
    pool: Pool,
    sentences: list[Sentence],
    min_coverage: float,
    seen: list[Candidate] | None = None,
) -> Candidate | None:
    """The best typed candidate from ``sentences``, or ``None`` when the question has no short answer type
    or no candidate scores at least the threshold. Candidates that fit the answer type and pass the hard gates
    are scored over their named features (:mod:`qa.generators.candidate_score`), adding up over the passages
    that hold them with diminishing returns: several good passages agreeing on a name is strong evidence. Every
    candidate looked at is appended to ``seen`` (when given), with its features, score and why it was dropped."""
    question = pool.question
    if question.atype in ("none", "reason"):
        return None
    qterms = set(question.terms)
    if question.head_word:
        qterms.add(term(question.head_word))
    # Names and figures of the question itself ("the mayor of Brackenford", "in 2026") should stand in or
    # around the passage an answer comes from; otherwise it is probably about something else.
    pinned = question.pinned_terms
    given = _given_names(question.text)
    # What the asked-for figure measures ("raise fares"): a figure answers only from a sentence naming its unit ("how
    # many titles") or about as much of it as the passage that names most of it.
    attribute = question.attribute_terms
    best_attribute = max((_share(attribute, s.terms, pool.weights) for s in pool.sentences), default=0.0)
    found = {s.key: candidates(s, question, qterms, pool.names) for s in sentences}
    # When the best passages tell of the question's action, only who or what they have in the asked role answers:
    # "Who cancelled the meeting?" over "the meeting had been cancelled" (no one named) is not answered by a name
    # standing elsewhere in the passage.
    told = readings.read(question, sentences, found)
    superseded = set() if question.asks_earlier else _superseded(sentences, found)
    occurrences: dict[str, list[Candidate]] = {}
    for rank, s in enumerate(sentences):
        if s.coverage < min_coverage:
            continue
        context = pool.context(s)
        for c in found[s.key]:
            if seen is not None:
                seen.append(c)
            if c.dropped:  # set when the candidates were found ("part_of_range", "earlier_value_of_change")
                continue
            fit = _type_fit(c, question)
            c.features["type_fit"] = fit
            if fit <= 0:
                c.dropped = "type_mismatch"
                continue
            near, head = _proximity(c, pool.weights, question.head)
            align = _alignment(c, question, pool.weights)
            c.features |= {"sentence": s.score, "near": near, "head_noun_near": head, "align": align, "rank": rank}
            if (told or question.object_of_verb) and not c.features.get("fills_relation"):
                c.dropped = "not_in_the_asked_role"  # "what did the council cancel": the parse has it as the object
                continue
            if (question.role_of or question.named) and head == 0:
                c.dropped = "not_named_as_asked_role"  # "who is the mayor of X": named right next to it, or not at all
                continue
            modal = _MODAL.search(s.text[: c.start - s.start]) and not _MODAL.search(question.text)
            if modal and c.kind in _FIGURES and question.asks_past and _POSSIBLE.search(s.text[: c.start - s.start]):
                c.dropped = "possibility_not_fact"  # "it can fine up to $2 million": not what happened
                continue
            if (
                c.kind in _FIGURES
                and question.atype in ("count", "quantity")
                and attribute
                and question.head not in s.terms
                and _share(attribute, s.terms, pool.weights) < ATTRIBUTE_SHARE * best_attribute
            ):
                # A figure of something else: "raised its pay offer to 6 percent" does not answer "by how much will
                # it raise fares", which another passage speaks of ("would not raise fares this year").
                c.dropped = "figure_of_something_else"
                continue
            missing = _unsaid_names(pinned - context, given, context)
            # A country or state the question is set in ("which Scottish island") is often left unsaid by
            # the report itself: it counts as little as a missing figure.
            names = sum(1 for t in missing if not t[:1].isdigit() and t not in _PLACE_TERMS)
            c.features |= {
                "partial_name": float(c.partial),
                # the sentence names the thing asked about, but not next to it
                "apart_from_head_noun": float(
                    bool(question.head and head == 0 and question.atype in ("person", "entity"))
                    and question.head in s.terms
                ),
                # "up from the 38,000 announced earlier": the sources call it the old figure, wherever it stands
                # (also in the first report, which gave it as current), so it is not the current answer.
                "superseded": float(c.kind in _FIGURES and _key(c.text) in superseded),
                "modal": float(bool(modal)),  # "can fine up to $2 million if ...": a possibility, not what happened
                "question_names_missing": 0.0 if question.role_of else float(min(names, 2)),
                "role_names_missing": float(min(names, 2)) if question.role_of else 0.0,
                "question_figures_missing": float(min(len(missing) - names, 2)),
            }
            occurrences.setdefault(_key(c.text), []).append(c)
    if not occurrences:
        return None
    best, best_score = None, 0.0
    for group in occurrences.values():
        for c in group:
            c.features["agreement"] = candidate_score.agreement([o.features for o in group if o is not c])
            c.score = candidate_score.score(c.features)
        group.sort(key=lambda c: -c.score)
        total = candidate_score.total([c.score for c in group])
        if total > best_score or (total == best_score and best is not None and len(group[0].text) < len(best.text)):
            best, best_score = group[0], total
    if best is not None:
        best.score = best_score
        if best_score < candidate_score.THRESHOLD:
            best.dropped = "below_threshold"
    return best if best is not None and best_score >= candidate_score.THRESHOLD else None


_NAME_RUN = re.compile(r"(?<![\w'’])[A-Z][\w'’\-]*(?:\s+[A-Z][\w'’\-]*)+")


def _given_names(question: str) -> dict[str, str]:
    """Each word of a multi-word name in the question but the last, mapped to that last word: "Ada" -> "lune" for
    "Ada Lune" (news names a person in full once, then by surname only)."""
    out: dict[str, str] = {}
    for m in _NAME_RUN.finditer(question):
        parts = [term(w) for w in m.group().split()]
        for p in parts[:-1]:
            out.setdefault(p, parts[-1])
    return out


def _unsaid_names(missing: set[str], given: dict[str, str], context: frozenset[str]) -> set[str]:
    """The question's names a passage's setting leaves unsaid, not counting a given name whose surname is said."""
    return {t for t in missing if not (t in given and given[t] in context)}


def _superseded(sentences: list[Sentence], found: dict[tuple[str, int], list[Candidate]]) -> set[str]:
    """Figures that a passage gives as the earlier value of something ("up from the 38,000", "previously $19
    million"): a later report has replaced them."""
    return {
        _key(c.text)
        for s in sentences
        for c in found[s.key]
        if c.kind in _FIGURES and _EARLIER.search(s.text[: c.start - s.start][-30:])
    }


def _key(text: str) -> str:
    return re.sub(r"[^\w]+", " ", text.lower()).strip()
