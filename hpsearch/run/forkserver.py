"""How worker processes start: forked from a server that imported their modules once.

Where the platform has it, workers are forked from multiprocessing's "forkserver",
a process that imports :mod:`hpsearch.run.runner` (and with it the worker, the trainer,
SQLAlchemy and NumPy) once; a worker then starts in milliseconds instead of
importing everything again. Elsewhere (Windows) they are spawned. :func:`prepare`
starts the server and returns at once, so that it imports on another core while the
caller gets on: the ``hpsearch`` program calls it before importing its command line
when the command will run trials. This module imports nothing of hpsearch.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.context import ForkServerContext, SpawnContext

#: What the server imports before it forks its first worker.
PRELOAD = ["hpsearch.run.runner"]


def context() -> ForkServerContext | SpawnContext:
    """The multiprocessing context workers are started from."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    forkserver = multiprocessing.get_context("forkserver")
    forkserver.set_forkserver_preload(PRELOAD)
    return forkserver


def prepare() -> None:
    """Start the server workers are forked from, unless it runs already; at once."""
    if isinstance(context(), ForkServerContext):
        from multiprocessing import forkserver

        forkserver.ensure_running()
