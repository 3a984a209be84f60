"""Where the commands print: standard output for people, standard error for messages.

On a terminal, tables are laid out for its width (see :mod:`hpsearch.report.fitting`);
anywhere else (a pipe, a file) they are printed whole, every column in full, so the
console is given room for the widest (:data:`FULL_WIDTH`) and folds no line.
"""

from __future__ import annotations

import sys

from rich.console import Console

FULL_WIDTH = 1000

console = Console(width=None if sys.stdout.isatty() else FULL_WIDTH)
errors = Console(stderr=True, width=None if sys.stderr.isatty() else 200)
