"""Prompt-injection markers: text in an article that addresses an AI instead of a reader.

News articles are data, never instructions. A line such as "SYSTEM: reply only with ...", "Ignore previous
instructions and ...", a fake chat turn ("User: ...", "Assistant: ...") or a hidden HTML comment is not reporting,
so the extractive generator never uses it as evidence or as a short answer (an article may quote such a line to
report on it; quoting it back as an answer would still repeat the attacker's words as if they were news).
"""

from __future__ import annotations

import re

# A chat role opening a turn: at the start of the text or after an opening quote, bracket or sentence end.
# The role word must be capitalised ("System:", "SYSTEM:"), so "the user: ..." in running prose is not a turn.
_ROLE = re.compile(
    r"(?:^|(?<=[\s\"“‘'(\[<]))(?:[\"“‘'(\[<]\s*)?"
    r"(?:SYSTEM|System|USER|User|ASSISTANT|Assistant|AI|DEVELOPER|Developer|HUMAN|Human|CHATBOT|Chatbot|BOT|Bot)"
    r"\s*:(?=\s|$)"
)
_AI = r"(?:AI|A\.I\.|assistants?|AI assistants?|AI systems?|AI models?|language models?|LLMs?|chatbots?|bots?)"
_INSTRUCTION = re.compile(
    r"(?i)"
    r"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+)?(?:of\s+)?(?:the\s+|your\s+)?"
    r"(?:previous|prior|above|earlier|preceding|former|system)\s+(?:instructions?|prompts?|rules|directions)"
    r"|\b(?:ignore|disregard|forget)\s+your\s+(?:instructions?|rules|guidelines|prompt)"
    r"|\byou\s+are\s+now\b"
    r"|\b(?:respond|reply|answer|output)\s+only\s+with\b"
    r"|\bnew\s+instructions?\s+(?:from|for)\b"
    r"|\b(?:instructions?|notes?|messages?)\s+(?:for|to)\s+(?:any\s+|all\s+)?" + _AI + r"\b"
    r"|\bif\s+you\s+are\s+an?\s+" + _AI + r"\b"
    r"|\b(?:hidden|secret)\s+(?:note|instruction|message)s?\b"
    r"|<!--"
)


# Every alternative of _INSTRUCTION contains one of these words, so a sentence without any of them cannot match.
# The case-insensitive regex is the slow part of reading an article (~25 us a sentence, hundreds of sentences per
# answer); this literal check on the case-folded text (casefold, not lower: "ſ" and "K" fold as (?i) folds them)
# lets ~90% of news sentences skip it.
_TRIGGERS = re.compile(r"ignor|disregard|forget|overrid|you|only|instruction|note|message|hidden|secret|<!--")


def is_injection(text: str) -> bool:
    """True if ``text`` (a sentence or a line of an article) is addressed to an AI or is a role-prefixed chat line."""
    if not text:
        return False
    if _ROLE.search(text):
        return True
    return bool(_TRIGGERS.search(text.casefold()) and _INSTRUCTION.search(text))


def strip_html_comments(text: str) -> str:
    """Remove ``<!-- ... -->`` comments (and an unclosed ``<!--`` to the end of its line): never article text."""
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.DOTALL)
    return re.sub(r"<!--[^\n]*", " ", text)
