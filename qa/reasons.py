"""Why an answer came out as it did: one code on every answer, set at the exit that produced it.

``answered`` is the only code of an answer with ``answerable`` true; every other code names the abstention exit
that was taken, so a user (or an eval report) can tell "nothing was found" from "something was found but it is
not an answer of the asked kind".
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    ANSWERED = "answered"
    NO_EVIDENCE = "no_evidence"  # nothing was retrieved (empty store, filters, or no passage matched at all)
    BELOW_RELEVANCE = "below_relevance"  # the best passages cover too little of the question
    NAME_NOT_FOUND = "name_not_found"  # a name or figure of the question stands in no retrieved passage
    NO_CANDIDATE_OF_TYPE = "no_candidate_of_type"  # no name/number/date/place of the asked kind is good enough
    RELATION_NOT_FOUND = "relation_not_found"  # "who is the mayor of X": nothing is named as the asked role
    EVENT_NOT_YET_HAPPENED = "event_not_yet_happened"  # asked what happened; the passages say it is still to come
    NO_REASON_STATED = "no_reason_stated"  # a "why" question whose event is reported without a cause
    NOT_SUPPORTED = "not_supported"  # generated sentences, none of which the verifier could ground in a quote


DESCRIPTIONS: dict[Reason, str] = {
    Reason.ANSWERED: "The answer is taken from the cited passages.",
    Reason.NO_EVIDENCE: "No stored passage matched the question.",
    Reason.BELOW_RELEVANCE: "The closest passages cover too little of the question to answer it.",
    Reason.NAME_NOT_FOUND: "A name or figure of the question appears in no retrieved passage.",
    Reason.NO_CANDIDATE_OF_TYPE: "No passage holds an answer of the asked kind (name, number, date or place).",
    Reason.RELATION_NOT_FOUND: "No passage names anyone or anything in the asked role.",
    Reason.EVENT_NOT_YET_HAPPENED: "The passages say the asked-about event is still to come.",
    Reason.NO_REASON_STATED: "The passages report the event but state no cause for it.",
    Reason.NOT_SUPPORTED: "No generated sentence could be grounded in a verbatim quote.",
}
