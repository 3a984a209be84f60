"""Whether a trial's worker is alive: its name, its heartbeat thread, and staleness.

A worker is named ``host:pid``. While it owns a trial, a :class:`Heartbeat`
thread refreshes the trial's ``heartbeat_at`` every ``HEARTBEAT_EVERY``, however
long an epoch takes. A running trial is *stale* (its worker is gone) when, on
this host, no live process could have claimed it, or, on another host, its heartbeat
is older than ``STALE_AFTER``. On this host the process decides: a live worker's
trial is never stale, whatever its heartbeat says.

A process is told by its pid *and* its start time, since the system gives a dead
worker's pid to a later process: the claimer was running when it claimed the trial
(``started_at``, written by the claim on this host's clock), so a process that
started after that time holds a reused pid and is not the claimer. The start time
comes from psutil (on Linux from the boot time, whole seconds, and the process's start
in clock ticks); ``START_SLACK`` allows for that rounding and for a small step of the
clock between the claim and the question.

**Counted once gone, then seen still running.** Whether a trial is stale is asked after
it was read: a worker may end its trial and exit in between, and the read shows it
running without a worker. :func:`stale_trials` counts a claim stale only when a read
begun after the question still shows it running (a gone worker writes nothing more),
as the order rule does (:class:`hpsearch.run.order.GoneWatch`); ``resume`` re-queues
only the claim it read (:func:`hpsearch.store.queue.reset_trial`).
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from typing import Protocol

import psutil
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from hpsearch.store.engine import READ_ONLY
from hpsearch.store.models import Trial, utcnow
from hpsearch.store.status import TrialStatus

#: A running trial of another host whose heartbeat is older than this is stale.
STALE_AFTER = timedelta(minutes=10)
#: A worker's heartbeat thread refreshes the heartbeat of the trial it owns this often.
HEARTBEAT_EVERY = timedelta(seconds=5)
#: A process of this host that started this long after a claim did not make it.
START_SLACK = timedelta(seconds=1)


def worker_name(pid: int | None = None) -> str:
    """``host:pid`` of this process, or of process ``pid`` of this host."""
    return f"{socket.gethostname()}:{os.getpid() if pid is None else pid}"


class Claimed(Protocol):
    """What staleness is judged from: a trial, or a row with the same columns."""

    @property
    def status(self) -> str: ...
    @property
    def worker(self) -> str | None: ...
    @property
    def heartbeat_at(self) -> datetime | None: ...
    @property
    def started_at(self) -> datetime | None: ...


def is_stale(trial: Trial | Claimed, now: datetime | None = None) -> bool:
    """A running trial whose worker is gone (see the module's docstring)."""
    if trial.status != TrialStatus.RUNNING:
        return False
    host, _, pid = (trial.worker or "").rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        return not claimer_alive(int(pid), trial.started_at or trial.heartbeat_at)
    beat = trial.heartbeat_at or trial.started_at
    return beat is None or (now or utcnow()) - beat > STALE_AFTER


def stale_trials(session: Session, trials: Iterable[Trial]) -> list[int]:
    """The ids of those of ``trials`` (read running in ``session``) that are stale and
    still run the same claim (``attempt``) in a read begun after that was asked, on a
    connection of its own: a transaction of ``session`` may keep the snapshot of its
    first read (SQLite's)."""
    gone = [trial for trial in trials if is_stale(trial)]
    if not gone:
        return []
    claims = or_(*(and_(Trial.id == t.id, Trial.attempt == t.attempt) for t in gone))
    still = select(Trial.id).where(claims, Trial.status == TrialStatus.RUNNING)
    with session.get_bind().engine.connect() as fresh:
        fresh.execution_options(**{READ_ONLY: True})  # takes no write lock
        return list(fresh.scalars(still.order_by(Trial.id)))


def claimer_alive(pid: int, claimed_at: datetime | None = None) -> bool:
    """Whether a process of this host runs with ``pid`` and could have made a claim at
    ``claimed_at`` (naive UTC, as stored): a zombie does not run, and a process that
    started more than ``START_SLACK`` after the claim has the pid of a dead claimer."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:  # dead, its parent has not reaped it
            return False
        started = process.create_time()
    except psutil.NoSuchProcess:  # ZombieProcess included
        return False
    except psutil.AccessDenied:  # it runs; whether it is the claimer cannot be told
        return True
    if claimed_at is None:
        return True
    start = datetime.fromtimestamp(started, timezone.utc).replace(tzinfo=None)
    return start <= claimed_at + START_SLACK


Beat = Callable[[], bool]  # refreshes the owned trial's heartbeat; False: it is not owned


class Heartbeat:
    """A thread that calls the current ``beat`` every ``every`` seconds.

    The worker sets ``beat`` when it claims a trial (:meth:`own`) and clears it
    when the trial ends (:meth:`release`). A beat that finds the trial no longer
    owned (another worker took it over) sets :attr:`lost`; a beat that fails
    (the database briefly unreachable) is retried at the next one.
    """

    def __init__(self, every: float | None = None) -> None:
        self.every = HEARTBEAT_EVERY.total_seconds() if every is None else every
        self.lost = threading.Event()
        self.beats = 0
        self._beat: Beat | None = None
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._closed.set()
        self._thread.join()

    def own(self, beat: Beat) -> None:
        with self._lock:
            self._beat = beat
            self.lost.clear()

    def release(self) -> None:
        with self._lock:
            self._beat = None

    def _run(self) -> None:
        while not self._closed.wait(self.every):
            with self._lock:  # held during the beat: release() waits for it to end
                if self._beat is None:
                    continue
                try:
                    owned = self._beat()
                except Exception:  # noqa: BLE001  the next beat tries again
                    continue
                self.beats += 1
                if not owned:
                    self.lost.set()
