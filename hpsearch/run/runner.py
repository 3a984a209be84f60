"""Running a round: N worker processes, a progress poll of the store, and Ctrl-C.

The round's trials are already queued in the database; this starts ``workers``
processes, each running a :class:`~hpsearch.run.worker.Worker`, and polls the store for
progress until they are done. The workers make their first claims together, once
every one has loaded its data (a start line that a worker ending early opens).

The workers are forked from a server that imported their modules once, or spawned
(:mod:`hpsearch.run.forkserver`). Either way a worker starts with nothing of this
process but its arguments: it opens its own engine, and it takes this process's
working directory and environment as they are when the round starts (the server's
are those of the moment it started).

Ctrl-C (SIGINT) and SIGTERM reach only this process: the workers ignore SIGINT
from their first line, so a Ctrl-C in the terminal cannot break one in the middle of a
write. This process then sets a stop event; each worker finishes its current
epoch, marks its trial ``interrupted`` (finished epochs kept) and exits, and
the run raises :class:`~hpsearch.errors.Interrupted`. A second Ctrl-C stops
waiting and kills the workers; their trials are marked ``interrupted`` here.

A store fault that outlasts the retry window (:mod:`hpsearch.store.retry`) stops the
workers that meet it, their trials left running; the run marks those ``interrupted``
if the store takes it (else they are stale: ``resume`` re-runs them all the same) and
reports the fault in :attr:`RunSummary.store_fault`; the store is then read once more
for what is left (not retried: the workers waited the window already), and a store still
down leaves that unknown (:attr:`RunSummary.counted`). A progress poll that meets a
transient fault is skipped.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psutil
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from hpsearch.data.datasets import DataSource
from hpsearch.errors import Interrupted, StoreUnavailable
from hpsearch.run import forkserver, lifeline
from hpsearch.run.worker import Worker, WorkerStats
from hpsearch.store import liveness, queue
from hpsearch.store.engine import masked, reader
from hpsearch.store.progress import RoundProgress, round_progress
from hpsearch.store.retry import Retrying, is_transient
from hpsearch.store.status import TrialStatus

POLL_SECONDS = 0.5
JOIN_SECONDS = 15.0


#: The exit code multiprocessing gives a worker whose server died before it told the
#: worker's end (no worker exits with it by itself).
STATUS_LOST = 255


@dataclass(frozen=True)
class WorkerEnd:
    """How one worker process ended: ``why`` is None when it ended normally."""

    name: str  # host:pid
    why: str | None


@dataclass
class RunSummary:
    """What the workers did and how they ended, and what the store holds unfinished."""

    workers: list[WorkerStats] = field(default_factory=list)
    seconds: float = 0.0
    ends: list[WorkerEnd] = field(default_factory=list)
    pending: int = 0
    interrupted: int = 0
    stale_trials: int = 0  # running, their worker gone
    store_fault: str = ""  # a worker's StoreUnavailable: the store could not be written
    counted: bool = True  # False: the store could not be read for the counts above

    @property
    def failed_workers(self) -> int:
        return sum(end.why is not None for end in self.ends)

    @property
    def unfinished(self) -> int:
        """Trials no live worker runs, that ``resume`` would run."""
        return self.pending + self.interrupted + self.stale_trials

    def trouble(self) -> str | None:
        """One sentence on the workers that ended abnormally and why, and on the trials
        left unfinished, counted from the store; None when there is neither."""
        parts = [f"worker {end.name} {end.why}" for end in self.ends if end.why is not None]
        kinds = [
            (self.stale_trials, "running without a worker"),
            (self.interrupted, "interrupted"),
            (self.pending, "pending"),
        ]
        if self.unfinished:
            detail = ", ".join(f"{count} {kind}" for count, kind in kinds if count)
            parts.append(f"{self.unfinished} trial(s) of the round are unfinished ({detail})")
        return "; ".join(parts) or None


def _worker_main(
    db_url: str,
    round_id: int,
    source: DataSource,
    stop,
    start_line,
    results,
    place: tuple[str, dict[str, str]],
) -> None:
    """Entry point of a worker process: runs the worker and reports its stats.

    ``place`` is the starting process's working directory and environment. The
    worker ends with this process (:func:`hpsearch.run.lifeline.hold`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    lifeline.hold()
    try:
        folder, environment = place
        os.chdir(folder)
        os.environ.clear()
        os.environ.update(environment)
        worker = Worker(db_url, round_id, source, stop=stop, start_line=start_line)
        stats = worker.run()
    except Exception as exc:  # reported to the parent, which prints one line
        results.put(
            WorkerStats(
                worker=f"pid {os.getpid()}", errors=[f"{getattr(exc, 'orig', None) or exc}"]
            )
        )
        raise SystemExit(1) from None
    results.put(stats)


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def run_round(
    factory: sessionmaker[Session],
    db_url: str,
    round_id: int,
    *,
    workers: int,
    source: DataSource,
    on_progress: Callable[[RoundProgress], None] | None = None,
) -> RunSummary:
    """Run the pending trials of a round with ``workers`` processes."""
    context = forkserver.context()
    results = context.SimpleQueue()
    stop = context.Event()
    start_line = context.Barrier(workers)  # each worker claims, then waits for every one
    place = (os.getcwd(), dict(os.environ))
    arguments = (db_url, round_id, source, stop, start_line, results, place)
    processes = [context.Process(target=_worker_main, args=arguments) for _ in range(workers)]
    started = time.perf_counter()
    summary = RunSummary()
    reading = reader(factory)
    # Spawned children inherit an ignored SIGINT across exec (forked ones set it first
    # thing); this process keeps handling it.
    previous_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for process in processes:
            process.start()
    finally:
        signal.signal(signal.SIGINT, previous_int)
    handles = [_handle(process.pid) for process in processes]
    previous_term = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        while any(alive := [_alive(p, h) for p, h in zip(processes, handles, strict=True)]):
            if not all(alive):
                start_line.abort()  # one ended (or died) early: the others do not wait for it
            if on_progress is not None:
                _poll(reading, round_id, on_progress)
            _wait(processes, POLL_SECONDS)
    except KeyboardInterrupt:
        stop.set()
        _stop(processes, handles)
        with factory.begin() as session:
            queue.interrupt_workers(session, round_id, [p.pid for p in processes])
        raise Interrupted() from None
    finally:
        signal.signal(signal.SIGTERM, previous_term)
    summary.seconds = time.perf_counter() - started
    while not results.empty():
        summary.workers.append(results.get())
    reported = {stats.worker for stats in summary.workers if not stats.errors}
    summary.ends = [_end(process, reported) for process in processes]
    summary.store_fault = next((w.store_fault for w in summary.workers if w.store_fault), "")
    if summary.store_fault:  # their trials are left to resume; marked if the store takes it
        try:
            with factory.begin() as session:
                queue.interrupt_workers(session, round_id, [p.pid for p in processes])
        except (SQLAlchemyError, sqlite3.Error):
            pass  # left running, stale now that their workers are gone
    window = 0.0 if summary.store_fault else None  # the workers waited the window already
    try:
        Retrying(masked(db_url), window)(
            lambda _: _read_end(reading, round_id, on_progress, summary)
        )
    except StoreUnavailable:
        if not summary.store_fault:
            raise
        summary.counted = False
    return summary


def _read_end(reading, round_id: int, on_progress, summary: RunSummary) -> None:
    with reading() as session:
        progress = round_progress(session, round_id)
        if on_progress is not None:
            on_progress(progress)
        running = queue.running_trials(session, round_id)
        summary.stale_trials = len(liveness.stale_trials(session, running))
    summary.pending = progress.counts.get(TrialStatus.PENDING, 0)
    summary.interrupted = progress.counts.get(TrialStatus.INTERRUPTED, 0)


def _poll(reading, round_id: int, on_progress: Callable[[RoundProgress], None]) -> None:
    """Report the round's progress; skipped when the store meets a passing fault."""
    try:
        with reading() as session:
            progress = round_progress(session, round_id)
    except Exception as exc:
        if not is_transient(exc):
            raise
        return
    on_progress(progress)


def _handle(pid: int | None) -> psutil.Process | None:
    """The started worker as psutil knows it (its pid and start time); None if gone."""
    try:
        return None if pid is None else psutil.Process(pid)
    except psutil.NoSuchProcess:
        return None


def _alive(process, handle: psutil.Process | None) -> bool:
    """Whether the worker runs: as multiprocessing says, or, when its server died and its
    exit status with it, as its pid and start time say."""
    if process.is_alive():
        return True
    if process.exitcode != STATUS_LOST or handle is None:
        return False
    try:
        return handle.is_running() and handle.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _end(process, reported: set[str]) -> WorkerEnd:
    """How the worker ended, from its exit code (and its report, when that is lost)."""
    name = liveness.worker_name(process.pid)
    code = process.exitcode
    if code == 0:
        return WorkerEnd(name, None)
    if code == STATUS_LOST:
        if name in reported:  # it finished its work; only its exit status is lost
            return WorkerEnd(name, None)
        return WorkerEnd(name, "ended, unfinished, when the server it was forked from died")
    if code is not None and code < 0:
        return WorkerEnd(name, f"was killed by {signal.Signals(-code).name}")
    return WorkerEnd(name, f"exited with status {code}")


def _wait(processes, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
    time.sleep(max(0.0, deadline - time.monotonic()))  # a lost status returns at once


def _stop(processes, handles) -> None:
    """Wait for the workers to finish their epoch; kill them on a second Ctrl-C or time-out."""
    deadline = time.monotonic() + JOIN_SECONDS
    for process, handle in zip(processes, handles, strict=True):
        try:
            process.join(max(0.0, deadline - time.monotonic()))
        except KeyboardInterrupt:
            deadline = 0.0
        if process.is_alive():
            process.kill()
            process.join()
        elif _alive(process, handle):  # its server is gone: by pid and start time
            with contextlib.suppress(psutil.NoSuchProcess):
                handle.kill()
