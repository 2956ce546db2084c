"""Dates and times as people type them on the command line, resolved against a reference day or moment.

``--since``/``--until`` take a day: ``2025-05-01``, ``today``, ``yesterday`` or ``N days ago``. ``--new-since``
takes a moment: ``2025-05-01T08:00`` (UTC unless it gives an offset), a day (its start), ``yesterday``, or
``N hours/days ago``. The reference is ``--today`` when given (its start, for moments), else now.
"""

from __future__ import annotations

import datetime as dt
import re

from qa.errors import InvalidInput

_AGO = re.compile(r"^(\d{1,5})\s*(minutes?|mins?|hours?|h|days?|d|weeks?|w)\s+ago$", re.IGNORECASE)
_UNIT = {
    "m": dt.timedelta(minutes=1),
    "h": dt.timedelta(hours=1),
    "d": dt.timedelta(days=1),
    "w": dt.timedelta(weeks=1),
}


def _named_day(text: str, today: dt.date) -> dt.date | None:
    word = text.strip().lower()
    if word == "today":
        return today
    if word == "yesterday":
        return today - dt.timedelta(days=1)
    return None


def resolve_day(text: str, today: dt.date) -> dt.date:
    """A day from ``YYYY-MM-DD``, ``today``, ``yesterday`` or ``N days/weeks ago`` (relative to ``today``)."""
    named = _named_day(text, today)
    if named is not None:
        return named
    match = _AGO.match(text.strip())
    if match and match.group(2)[0].lower() in "dw":
        return today - int(match.group(1)) * _UNIT[match.group(2)[0].lower()]
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{text!r} is not a day: give YYYY-MM-DD, today, yesterday or 'N days ago'") from None


def resolve_moment(text: str, now: dt.datetime) -> dt.datetime:
    """A UTC moment from an ISO date-time (naive = UTC), a day (its start), ``today``/``yesterday`` (their start)
    or ``N minutes/hours/days/weeks ago`` (relative to ``now``)."""
    value = text.strip()
    named = _named_day(value, now.date())
    if named is not None:
        return dt.datetime.combine(named, dt.time(), dt.UTC)
    match = _AGO.match(value)
    if match:
        return now - int(match.group(1)) * _UNIT[match.group(2)[0].lower()]
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"{text!r} is not a time: give YYYY-MM-DDTHH:MM (UTC), a day, yesterday or 'N hours ago'"
        ) from None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
