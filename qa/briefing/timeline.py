"""When a sentence's event happens, as far as its own words say: explicit time expressions resolved against
the article's date, and tense (an event "had been cancelled" before the telling; one that "would be
rescheduled", after it). Used to put a briefing's bullets in the order of events.

Only closed classes are read: weekday and month names, relative time words ("yesterday", "last week",
"three days ago"), years, and the auxiliaries that mark the pluperfect and the future.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = {
    name: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for name in names
}
UNITS = {"day": 1, "days": 1, "week": 7, "weeks": 7, "month": 30, "months": 30, "year": 365, "years": 365}
NUMBER_WORDS = {
    w: i + 1
    for i, w in enumerate(
        ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]
    )
}
NUMBER_WORDS.update({"a": 1, "an": 1})
OPENING_WORDS = 8  # a fronted adverbial ends at a comma within this many words
OPENING_FALLBACK_WORDS = 3  # without such a comma, only this many opening words ("On Monday the ...")
FUTURE_REACH = 6  # words before a weekday in which "will"/"would" makes it the coming one
DAY_WORDS = {"yesterday": -1, "today": 0, "tonight": 0, "tomorrow": 1}

# Month and weekday names are capitalised in English ("March", not "to march"; "May", not "may").
_MONTH = r"(?P<month>" + "|".join(sorted((m.title() for m in MONTHS), key=len, reverse=True)) + r")\b\.?"
_DATE_MDY = re.compile(r"\b" + _MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(?P<year>(?:19|20)\d\d)\b)?")
_DATE_DMY = re.compile(r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r"(?:,?\s+(?P<year>(?:19|20)\d\d)\b)?")
_MONTH_YEAR = re.compile(r"\b(?:[Ii]n\s+)?" + _MONTH + r"(?:\s+(?P<year>(?:19|20)\d\d))?")
_YEAR = re.compile(r"\b(?:in|since|by|until|of)\s+(?P<year>(?:19|20)\d\d)\b", re.I)
_WEEKDAY = re.compile(
    r"\b(?:(?P<rel>[Ll]ast|[Nn]ext|[Tt]his|[Oo]n|[Ll]ater|[Ee]arlier|[Bb]y)\s+)?(?P<day>"
    + "|".join(d.title() for d in WEEKDAYS)
    + r")\b"
)
_RELATIVE = re.compile(r"\b(?P<rel>last|next|this|earlier this|later this)\s+(?P<unit>week|month|year)\b", re.I)
_AGO = re.compile(
    r"\b(?P<n>\d+|"
    + "|".join(NUMBER_WORDS)
    + r")\s+(?P<unit>days?|weeks?|months?|years?)\s+(?P<dir>ago|later|earlier|from now)\b",
    re.I,
)
_DAY_WORD = re.compile(r"\b(?P<w>yesterday|today|tonight|tomorrow)\b", re.I)
_PLUPERFECT = re.compile(r"\bhad\s+(?:not\s+|never\s+|already\s+|\w+ly\s+)?(?:been|[a-z]+(?:ed|en))\b", re.I)
_FUTURE = re.compile(r"\b(?:will|would|shall|going\s+to)\b|[’']ll\b", re.I)


@dataclass(frozen=True)
class When:
    """What a sentence's words say about the time of its event."""

    date: dt.date | None  # from a fronted time adverbial ("Last Friday, ..."), resolved; else None
    tense: int  # -1 pluperfect (before the telling), +1 future or future-in-past (after it), 0 otherwise


def when(text: str, reference: dt.date | None) -> When:
    """A time expression dates the sentence's main event only when it is fronted ("On Wednesday evening,
    the board ..."): one later in the sentence may belong to a clause about something else ("... the war,
    which ended in 1953"). Relative expressions ("last week", "on Monday") need the article's date."""
    opening = _opening(text)
    main_clause = " ".join(text[len(opening) :].split()[:FUTURE_REACH])
    dates = _dates(opening, reference, future=bool(_FUTURE.search(main_clause)))
    future_date = reference is not None and any(d > reference for d in _dates(text, reference))
    pluperfect = bool(_PLUPERFECT.search(text))
    future = bool(_FUTURE.search(text)) or future_date
    tense = -1 if pluperfect and not future else (1 if future and not pluperfect else 0)
    return When(dates[0] if dates else None, tense)


def _opening(text: str) -> str:
    """The sentence's fronted adverbial: the words before its first comma when that comes early, else the first
    few words (a fronted phrase without a comma: "On Monday the council ...")."""
    comma = text.find(",")
    if comma > 0 and len(text[:comma].split()) <= OPENING_WORDS:
        return text[:comma]
    return " ".join(text.split()[:OPENING_FALLBACK_WORDS])


def _dates(text: str, ref: dt.date | None, future: bool = False) -> list[dt.date]:
    """Every time expression of ``text`` that can be placed on the calendar (relative ones need ``ref``).
    ``future``: ``text`` is a fronted adverbial whose clause is in the future ("On Friday, they will ...")."""
    out: list[dt.date] = []
    taken: list[tuple[int, int]] = []

    def free(m: re.Match[str]) -> bool:
        return not any(m.start() < b and a < m.end() for a, b in taken)

    for pattern in (_DATE_MDY, _DATE_DMY):
        for m in pattern.finditer(text):
            year = int(m.group("year")) if m.group("year") else (ref.year if ref else None)
            if year is None:
                continue
            try:
                out.append(dt.date(year, MONTHS[m.group("month").lower()], int(m.group("day"))))
            except ValueError:
                continue
            taken.append(m.span())
    for m in _MONTH_YEAR.finditer(text):
        if not free(m):
            continue
        year = int(m.group("year")) if m.group("year") else (ref.year if ref else None)
        if year is not None:
            out.append(dt.date(year, MONTHS[m.group("month").lower()], 1))
            taken.append(m.span())
    for m in _YEAR.finditer(text):
        if free(m):
            out.append(dt.date(int(m.group("year")), 1, 1))
    if ref is None:
        return out
    for m in _WEEKDAY.finditer(text):
        ahead = future or _future_before(text, m.start())
        out.append(_weekday(ref, WEEKDAYS.index(m.group("day").lower()), (m.group("rel") or "").lower(), ahead))
    for m in _RELATIVE.finditer(text):
        step = {"week": 7, "month": 30, "year": 365}[m.group("unit").lower()]
        rel = m.group("rel").lower()
        out.append(ref + dt.timedelta(days=-step if rel == "last" else step if rel in ("next", "later this") else 0))
    for m in _AGO.finditer(text):
        n = m.group("n").lower()
        days = (int(n) if n.isdigit() else NUMBER_WORDS[n]) * UNITS[m.group("unit").lower()]
        sign = -1 if m.group("dir").lower() in ("ago", "earlier") else 1
        out.append(ref + dt.timedelta(days=sign * days))
    for m in _DAY_WORD.finditer(text):
        out.append(ref + dt.timedelta(days=DAY_WORDS[m.group("w").lower()]))
    return out


def _weekday(ref: dt.date, day: int, rel: str, ahead: bool) -> dt.date:
    """News convention: a bare weekday is the last one on or before the article's date, unless its clause
    speaks of the future ("will meet on Thursday", "next Monday"; not "said on Thursday that it would")."""
    back = (ref.weekday() - day) % 7
    if rel == "next" or (rel != "last" and back and ahead):
        return ref + dt.timedelta(days=(day - ref.weekday()) % 7 or 7)
    if rel == "last":
        return ref - dt.timedelta(days=back or 7)
    return ref - dt.timedelta(days=back)


def _future_before(text: str, at: int) -> bool:
    """A future auxiliary within the few words before position ``at`` ("will be held on ...")."""
    window = " ".join(text[:at].split()[-FUTURE_REACH:])
    return bool(_FUTURE.search(window))


def event_order(items: Sequence[tuple[int, When]]) -> list[int]:
    """Indices of ``items`` (``(position, when)``) in the order of events: narrative (position) order, except
    where the words are decisive — an earlier explicit date, or an event told in the pluperfect against one
    told in the future ("it had been cancelled" comes before "it would be rescheduled")."""
    n = len(items)
    after: list[set[int]] = [set() for _ in range(n)]  # after[j]: the items that must come before j
    for i in range(n):
        for j in range(n):
            if i != j and _before(items[i][1], items[j][1]):
                after[j].add(i)
    order: list[int] = []
    left = set(range(n))
    while left:
        free = [i for i in left if not (after[i] & left)]
        pick = min(free or left, key=lambda i: items[i][0])  # a cycle (contradictory cues): narrative order
        order.append(pick)
        left.discard(pick)
    return order


def _before(a: When, b: When) -> bool:
    if a.date is not None and b.date is not None and a.date != b.date:
        return a.date < b.date
    return a.tense == -1 and b.tense == 1
