"""Prompt templates live in top-level ``prompts/<name>.md`` files, not in code, so they can be reviewed and
changed without touching Python. A file starts with an HTML comment that documents its ``{{variables}}``;
the comment is removed before the prompt is sent.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parents[1] / "prompts"
_HEADER = re.compile(r"\A\s*<!--.*?-->\s*", re.DOTALL)
_VARIABLE = re.compile(r"\{\{(\w+)\}\}")


@lru_cache(maxsize=32)
def load_prompt(name: str) -> str:
    """The template ``prompts/<name>.md`` without its leading comment block."""
    return _HEADER.sub("", (PROMPTS_DIR / f"{name}.md").read_text(encoding="utf-8"))


def render(template: str, **values: str) -> str:
    """Fill ``{{name}}`` placeholders verbatim (no format-string escaping, so JSON braces are safe).

    A placeholder without a value is an error: a silently unfilled prompt gives silently worse answers.
    """
    missing = sorted(set(_VARIABLE.findall(template)) - values.keys())
    if missing:
        raise KeyError(f"prompt variables without a value: {', '.join(missing)}")
    return _VARIABLE.sub(lambda m: values[m.group(1)], template)
