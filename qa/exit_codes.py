"""The exit codes of every ``qa`` command, in one place (standard library only: ``python -m qa.ports`` uses them
before anything is installed). Documented in the README's CLI section and in ``qa --help``.

====  ==============  ====================================================================================
code  name            when
====  ==============  ====================================================================================
0     OK              done
1     FAILED          a check the command runs did not pass (an eval ``--fail-under`` gate), or a bug
2     USAGE           a bad flag or argument (Typer's own usage errors exit 2 too)
3     NOT_FOUND       a named article, file or folder does not exist
4     NOTHING_TO_DO   nothing to work on: every input was skipped, or the article store is empty
5     REFUSED         input refused: too large, unsupported type, invalid, embedder mismatch
6     UNAVAILABLE     a model, the LLM endpoint, the Chroma server or the port to listen on is unavailable
130   INTERRUPTED     Ctrl-C
====  ==============  ====================================================================================

New commands reuse these (``raise typer.Exit(ExitCode.NOT_FOUND)``, or ``qa.terminal.fail`` for a core error)
instead of inventing numbers.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    NOT_FOUND = 3
    NOTHING_TO_DO = 4
    REFUSED = 5
    UNAVAILABLE = 6
    INTERRUPTED = 130


HELP = (
    "Exit codes: 0 ok; 1 a check failed (eval gate); 2 usage error; 3 not found; 4 nothing to do (every input "
    "skipped, or the store is empty); 5 input refused; 6 model, LLM, Chroma or port unavailable; 130 interrupted."
)
