"""Passing store faults: which errors are transient, and retrying a unit of work past them.

An error of the store that is no fault of the work is *transient*: SQLite's "database
is locked" (or busy) once its busy timeout has run out, a connection dropped or
refused, PostgreSQL shutting down, restarting or terminating the session (SQLSTATE
class 08, 57P01-57P03), a serialization failure or deadlock (40001, 40P01), too many
connections (53300). :class:`Retrying` runs the unit of work again after each, with
backoff (0.1 s, doubling up to 5 s), until it succeeds or the retry window has passed
since it began (``HPSEARCH_STORE_RETRY`` seconds, default 300); then it raises
:class:`~hpsearch.errors.StoreUnavailable`. Any other error is raised at once.

A retried unit of work must be idempotent. It is told whether it is a retry: a fault
may come after its transaction committed (the acknowledgement lost with the
connection), and a retry then finds its own write (:mod:`hpsearch.store.committed`)
instead of writing it twice.

SQLite's busy timeout (how long one statement waits for another writer's lock before
"database is locked") is ``HPSEARCH_BUSY_TIMEOUT`` seconds, default 60.
"""

from __future__ import annotations

import logging
import math
import os
import sqlite3
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, DisconnectionError

from hpsearch.errors import StoreUnavailable, UsageError

RETRY_ENV = "HPSEARCH_STORE_RETRY"
RETRY_SECONDS = 300.0
BUSY_TIMEOUT_ENV = "HPSEARCH_BUSY_TIMEOUT"
BUSY_TIMEOUT_SECONDS = 60.0
#: The first pause between two tries, and the longest (seconds).
FIRST_PAUSE, LONGEST_PAUSE = 0.1, 5.0
#: PostgreSQL's SQLSTATEs of a passing fault (besides class 08, connection exceptions).
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "53300", "57P01", "57P02", "57P03"})

log = logging.getLogger(__name__)
T = TypeVar("T")


def seconds_setting(name: str, default: float) -> float:
    """A number of seconds (>= 0) from the environment variable ``name``, else ``default``."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not seconds >= 0 or math.isinf(seconds):
        raise UsageError(f"{name} must be a number of seconds >= 0, got {text!r}")
    return seconds


def retry_seconds() -> float:
    """How long a unit of work is retried after transient faults (``HPSEARCH_STORE_RETRY``)."""
    return seconds_setting(RETRY_ENV, RETRY_SECONDS)


def busy_timeout_seconds() -> float:
    """SQLite's busy timeout (``HPSEARCH_BUSY_TIMEOUT``)."""
    return seconds_setting(BUSY_TIMEOUT_ENV, BUSY_TIMEOUT_SECONDS)


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` (SQLAlchemy's, or a driver's own) is a passing fault of the store."""
    if isinstance(exc, DisconnectionError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    driver = exc.orig if isinstance(exc, DBAPIError) else exc
    if isinstance(driver, sqlite3.Error):
        text = str(driver).lower()
        return isinstance(driver, sqlite3.OperationalError) and ("locked" in text or "busy" in text)
    state = getattr(driver, "sqlstate", None) or getattr(driver, "pgcode", None)
    if state:
        return state in TRANSIENT_SQLSTATES or state.startswith("08")
    # A server driver's connection refused or closed: a DB-API OperationalError, no SQLSTATE.
    return any(kind.__name__ == "OperationalError" for kind in type(driver).__mro__)


def reason(exc: BaseException) -> str:
    """The driver's message of ``exc``, its first line."""
    driver = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = str(driver).strip().splitlines()
    return " ".join(lines[0].split()) if lines else type(driver).__name__


class Retrying:
    """Runs units of work on the store at ``url`` (masked), retrying transient faults for
    ``window`` seconds (default :func:`retry_seconds`); ``gives_up`` (a stop flag) ends
    the retries at once."""

    def __init__(
        self,
        url: str,
        window: float | None = None,
        gives_up: Callable[[], bool] | None = None,
    ) -> None:
        self.url = url
        self.window = retry_seconds() if window is None else window
        self.gives_up = gives_up
        self.retries = 0  # tries after a fault, for the caller and tests

    def __call__(self, work: Callable[[bool], T]) -> T:
        """``work(retried)``, again after each transient fault until the window has passed."""
        started = time.monotonic()
        pause = FIRST_PAUSE
        retried = False
        while True:
            try:
                return work(retried)
            except Exception as exc:
                if not is_transient(exc):
                    raise
                waited = time.monotonic() - started
                if waited >= self.window or (self.gives_up is not None and self.gives_up()):
                    raise StoreUnavailable(self.url, waited, reason(exc)) from exc
                if not retried:
                    log.warning(
                        "the store at %s: %s; retrying for up to %.0f s",
                        self.url, reason(exc), self.window,
                    )  # fmt: skip
            time.sleep(min(pause, max(self.window - waited, 0.0)))
            pause = min(pause * 2, LONGEST_PAUSE)
            retried = True
            self.retries += 1
