"""Where the commands print: standard output for people, standard error for messages."""

from __future__ import annotations

import sys

from rich.console import Console


class _Output(Console):
    """A console that leaves a closed pipe to the command line (exit 0, see ``app``),
    where rich's own would exit with 1."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


# Tables are wide: when output is not a terminal (a pipe, a file), do not fold them at 80.
console = _Output(width=None if sys.stdout.isatty() else 140)
errors = Console(stderr=True, width=None if sys.stderr.isatty() else 200)
