"""Where the commands print: standard output for people, standard error for messages."""

from __future__ import annotations

import sys

from rich.console import Console

# Tables are wide: when output is not a terminal (a pipe, a file), do not fold them at 80.
console = Console(width=None if sys.stdout.isatty() else 140)
errors = Console(stderr=True, width=None if sys.stderr.isatty() else 200)
