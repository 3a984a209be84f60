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
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from hpsearch.data.datasets import DataSource
from hpsearch.errors import Interrupted
from hpsearch.run import forkserver, lifeline
from hpsearch.run.worker import Worker, WorkerStats
from hpsearch.store import liveness, queue
from hpsearch.store.engine import reader
from hpsearch.store.progress import RoundProgress, round_progress

POLL_SECONDS = 0.5
JOIN_SECONDS = 15.0


@dataclass
class RunSummary:
    workers: list[WorkerStats] = field(default_factory=list)
    seconds: float = 0.0
    failed_workers: int = 0
    stale_trials: int = 0


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
        results.put(WorkerStats(worker=f"pid {os.getpid()}", errors=[f"{exc}"]))
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
    previous_term = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        while any(process.is_alive() for process in processes):
            if not all(process.is_alive() for process in processes):
                start_line.abort()  # one ended (or died) early: the others do not wait for it
            if on_progress is not None:
                with reading() as session:
                    on_progress(round_progress(session, round_id))
            _wait(processes, POLL_SECONDS)
    except KeyboardInterrupt:
        stop.set()
        _stop(processes)
        with factory.begin() as session:
            queue.interrupt_workers(session, round_id, [p.pid for p in processes])
        raise Interrupted() from None
    finally:
        signal.signal(signal.SIGTERM, previous_term)
    summary.seconds = time.perf_counter() - started
    while not results.empty():
        summary.workers.append(results.get())
    summary.failed_workers = sum(process.exitcode != 0 for process in processes)
    with reading() as session:
        if on_progress is not None:
            on_progress(round_progress(session, round_id))
        running = queue.running_trials(session, round_id)
        summary.stale_trials = sum(liveness.is_stale(trial) for trial in running)
    return summary


def _wait(processes, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))


def _stop(processes) -> None:
    """Wait for the workers to finish their epoch; kill them on a second Ctrl-C or time-out."""
    deadline = time.monotonic() + JOIN_SECONDS
    for process in processes:
        try:
            process.join(max(0.0, deadline - time.monotonic()))
        except KeyboardInterrupt:
            deadline = 0.0
        if process.is_alive():
            process.kill()
            process.join()
