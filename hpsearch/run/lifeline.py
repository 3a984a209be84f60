"""A worker process ends with the command that started it.

:func:`hold` runs first thing in a worker and sets two watches:

- The command. multiprocessing keeps a pipe from the process that started the worker
  (the command, whether the worker was forked by the server or spawned) whose write end
  only the command holds: it reads end-of-file the moment the command is gone, however
  it died (``kill -9`` included), and no later process can take its place as a reused
  pid could. A thread waits on it and ends the worker at once.
- Its parent. On Linux the worker asks the kernel (``prctl(PR_SET_PDEATHSIG)``) to kill
  it when its parent dies. A forked worker's parent is the server, so a worker never
  runs on after the server that reports its end to the command.

The server ends by itself when no process holds its "alive" pipe any more: the command
and its workers. A worker ended so leaves its trial ``running`` with a pid that no
longer runs: stale at once (:mod:`hpsearch.store.liveness`), and ``resume`` re-runs it.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
from multiprocessing.connection import wait

#: ``prctl``'s option that sets the signal a process gets when its parent dies.
PR_SET_PDEATHSIG = 1
#: The exit code of a worker whose command died.
ORPHANED = 1


def hold() -> None:
    """End this worker when the process that started it, or its parent, dies."""
    if sys.platform.startswith("linux"):
        _die_with_parent()
    parent = multiprocessing.parent_process()
    if parent is not None and parent.sentinel is not None:
        threading.Thread(target=_follow, args=(parent.sentinel,), daemon=True).start()


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # no prctl: the watch of the command remains
        pass


def _follow(sentinel: int) -> None:
    wait([sentinel])  # ready only at end-of-file: the command is gone
    os._exit(ORPHANED)
