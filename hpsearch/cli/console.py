"""Where the commands print: standard output for people, standard error for messages.

On a terminal, tables are laid out for its width (see :mod:`hpsearch.report.fitting`);
anywhere else (a pipe, a file) they are printed whole, every column in full, so the
console is given room for the widest (:data:`FULL_WIDTH`) and folds no line.
"""

from __future__ import annotations

import sys

from rich.console import Console

FULL_WIDTH = 1000


class _Output(Console):
    """A console that leaves a closed pipe to the command line (exit 0, see ``app``),
    where rich's own would exit with 1."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


# Tables fit the terminal; when output is not one (a pipe, a file), they are printed whole.
console = _Output(width=None if sys.stdout.isatty() else FULL_WIDTH)
errors = Console(stderr=True, width=None if sys.stderr.isatty() else 200)


def error_line(error: str) -> str:
    """The line of a worker's error (a traceback, or an exception's text) that says what
    went wrong: its last line before SQLAlchemy's ``[SQL: ...]`` and ``(Background on
    this error at ...)`` lines, which name no cause (a full disk, a removed file)."""
    lines = []
    for line in error.strip().splitlines():
        if line.startswith(("[SQL:", "[parameters:", "(Background on this error")):
            break
        if line.strip():
            lines.append(line.strip())
    return lines[-1] if lines else error.strip()


def for_people(as_json: bool) -> Console:
    """Where messages for people go: standard output, standard error with --json."""
    return errors if as_json else console
