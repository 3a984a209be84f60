"""The ``hpsearch`` program: the command line, with the workers' server started first.

A command that runs trials forks its workers from a server that imports their
modules (:mod:`hpsearch.run.forkserver`). Started here, before the command line is
imported, the server imports on one core while this process imports the command
line on the other, instead of after it. Only the command's name is looked at, and
``--help`` and ``--dry-run``, which run nothing; a command that then turns out to
run nothing leaves the server to end with this process. ``hpsearch --version`` is
answered here, without importing the command line (most of a second).
"""

from __future__ import annotations

import sys

from hpsearch.run import forkserver
from hpsearch.version import version_line

#: The commands that run trials.
RUNNING = frozenset({"start", "narrow", "resume", "worker", "auto"})
_RUNS_NOTHING = frozenset({"--help", "--dry-run"})


def main() -> None:
    args = sys.argv[1:]
    if args == ["--version"]:
        print(version_line())
        return
    if args and args[0] in RUNNING and _RUNS_NOTHING.isdisjoint(args):
        forkserver.prepare()
    from hpsearch.cli import main as command_line

    command_line()
