"""The worker: one process that claims trials of a round from the queue and trains them.

A worker limits BLAS to one thread (so N workers use N cores without
oversubscription), loads the study's split once (:mod:`hpsearch.data.datasets`), then
claims trials (:mod:`hpsearch.store.queue`) and trains each (:mod:`hpsearch.run.training`)
until the round has none pending. Each epoch is written when it ends, and the
round's pruner may stop a trial after it. Everything it receives is plain,
picklable values; it opens its own engine. Only :mod:`hpsearch.run.runner` starts it.

Each unit of work on the store (claim, epoch, pruning read, end) is retried past
transient faults (:mod:`hpsearch.store.retry`; a retry finds its own write that went
through, :mod:`hpsearch.store.committed`). A fault past the retry window is the
store's, not the trial's: the worker leaves its trial running for ``resume``, stops,
and reports it (``store_fault``). A trial is ``failed`` only when its training raised.
"""

from __future__ import annotations

import contextlib
import threading
import time
import traceback
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol

from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker
from threadpoolctl import threadpool_limits

from hpsearch import store
from hpsearch.data.datasets import DataSource, load_split
from hpsearch.errors import StoreUnavailable
from hpsearch.run.order import Decision, GoneWatch, wait_for_decision
from hpsearch.run.pruning import Pruner, make_pruner
from hpsearch.run.training import TrialSpec, train_trial
from hpsearch.settings import StudySettings
from hpsearch.store import committed, queue
from hpsearch.store.engine import make_engine, masked
from hpsearch.store.liveness import Heartbeat, worker_name
from hpsearch.store.models import Round, Trial
from hpsearch.store.retry import Retrying
from hpsearch.store.status import TrialStatus
from trainer import EpochMetrics, Split
from trainer.training import STOPPED


class StopFlag(Protocol):
    def is_set(self) -> bool: ...


class StartLine(Protocol):
    """Where the workers of one run wait for each other (a ``multiprocessing.Barrier``)."""

    def wait(self, timeout: float | None = None) -> int: ...


#: How long a worker waits at the start line for the others to load their data.
START_WAIT_SECONDS = 300.0


class TrialLost(Exception):
    """The worker's claim on its trial is gone: another worker took the trial over."""


class WaitAbandoned(Exception):
    """A pruning decision waited for a trial that will not go on in this run."""


@dataclass
class WorkerStats:
    """What a worker did, for the caller and for benchmarks."""

    worker: str = ""
    trials: int = 0
    epochs: int = 0
    lost: int = 0  # trials taken over by another worker, left without a further write
    train_seconds: float = 0.0
    store_seconds: float = 0.0
    wait_seconds: float = 0.0  # pruning decisions waiting for earlier trials
    errors: list[str] = field(default_factory=list)
    store_fault: str = ""  # why it stopped: the store could not be written (StoreUnavailable)


@dataclass(frozen=True)
class Claim:
    """A claimed trial: its values and the attempt every write is conditional on."""

    spec: TrialSpec
    attempt: int


class Worker:
    """Claims and runs the trials of one round until none is pending.

    ``stop`` (a ``multiprocessing.Event``) asks the worker to stop after the current
    epoch: the trial is marked ``interrupted``, its finished epochs kept. The round's
    pruner (or ``pruner``, for tests) may stop a hopeless trial after any epoch
    (``pruned``). With ``start_line``, the worker makes its first claim, data loaded,
    and waits there for the other workers of its run to make theirs: no worker finishes
    a trial before every one has claimed, so with at least as many pending trials as
    workers each runs one. A heartbeat thread (:class:`~hpsearch.store.liveness.Heartbeat`)
    refreshes the owned trial's heartbeat however long an epoch is; a trial taken over
    is no longer trained nor written to.
    """

    def __init__(
        self,
        db_url: str,
        round_id: int,
        source: DataSource,
        *,
        stop: StopFlag | None = None,
        pruner: Pruner | None = None,
        start_line: StartLine | None = None,
        name: str | None = None,
        skip_locked: bool | None = None,
    ) -> None:
        self.engine = make_engine(db_url)
        self.reader = make_engine(db_url, read_only=True)  # the pruner's reads
        self.factory: sessionmaker[Session] = sessionmaker(self.engine)
        self.connection: Connection | None = None  # epochs are written through it
        self.round_id = round_id
        self.source = source
        self.stop = stop
        self.start_line = start_line
        self.skip_locked = skip_locked  # how to claim (see queue.claim_trial); None: its default
        self.stats = WorkerStats(worker=name or worker_name())
        self.heartbeat = Heartbeat()
        self.epochs_done = 0
        self.abandoned = False  # gave up a trial: it stops claiming (``resume`` goes on)
        self.retrying = Retrying(masked(db_url), gives_up=self.stopping)
        self.retrying(lambda _: self._load_round(pruner))

    def _load_round(self, pruner: Pruner | None) -> None:
        with self.factory.begin() as session:
            round_ = session.get_one(Round, self.round_id)
            study = round_.study
            self.settings = StudySettings.from_study(study)
            self.study_seed = study.seed
            self.pruner = pruner or make_pruner(round_.pruner, study.epochs)

    def stopping(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    def run(self) -> WorkerStats:
        # Epochs go through one long-lived Connection (see queue.EpochWriter): a
        # Session per epoch costs more than the write itself.
        with (
            threadpool_limits(limits=1),
            self.engine.connect() as self.connection,
            self.heartbeat,
        ):
            self.epochs = queue.EpochWriter(self.connection)
            split = load_split(self.settings, self.study_seed, self.source)
            try:
                self.run_trials(split)
            except StoreUnavailable as exc:  # its trial stays running: ``resume`` re-runs it
                self.stats.store_fault = str(exc)
        return self.stats

    def run_trials(self, split: Split) -> None:
        claim = None if self.stopping() else self.claim()
        if self.start_line is not None:  # claimed (or found none) and committed
            with contextlib.suppress(threading.BrokenBarrierError):
                self.start_line.wait(START_WAIT_SECONDS)
        while claim is not None:
            self.heartbeat.own(partial(self.beat, claim))
            try:
                self.run_trial(split, claim)
            finally:
                self.heartbeat.release()
            claim = None if self.stopping() or self.abandoned else self.claim()

    def claim(self) -> Claim | None:
        return self.retrying(self._claim)

    def _claim(self, retried: bool) -> Claim | None:
        with self.factory.begin() as session:
            # a retry first looks for the claim whose commit it did not see
            found = retried and committed.claimed_trial(session, self.round_id, self.stats.worker)
            trial = session.get(Trial, found) if found else None
            if trial is None:
                trial = queue.claim_trial(
                    session, self.round_id, self.stats.worker, skip_locked=self.skip_locked
                )
            if trial is None:
                return None
            values = store.trial_values(session, [trial.id])[trial.id]
            spec = TrialSpec(trial.id, trial.seed, values)
            return Claim(spec, trial.attempt)

    def beat(self, claim: Claim) -> bool:
        """The heartbeat thread's write, on a connection of its own."""
        with self.engine.begin() as connection:
            return queue.beat(connection, claim.spec.id, claim.attempt)

    def on_epoch(self, claim: Claim, metrics: EpochMetrics) -> bool:
        """Store the epoch; True stops the trial (asked to stop, or pruned)."""
        if self.heartbeat.lost.is_set():
            raise TrialLost
        started = time.perf_counter()
        if not self.retrying(partial(self.write_epoch, claim, metrics)):
            raise TrialLost  # nothing was written
        self.stats.store_seconds += time.perf_counter() - started
        self.stats.epochs += 1
        self.epochs_done = metrics.epoch
        return self.stopping() or self.prune(claim.spec.id, metrics.epoch)

    def write_epoch(self, claim: Claim, metrics: EpochMetrics, retried: bool) -> bool:
        """One epoch's transaction; False when the trial was taken over."""
        connection = self.connection
        assert connection is not None  # on_epoch runs inside run(), which opens it
        if retried and connection.dialect.name != "sqlite":
            # the INSERT runs on the driver's cursor, unseen by SQLAlchemy: a dropped
            # connection may not have been invalidated, so take a fresh one
            connection.invalidate()
        with connection.begin():
            if retried and committed.epoch_stored(
                connection, claim.spec.id, claim.attempt, metrics.epoch
            ):
                return True  # the earlier try went through
            return self.epochs.write(claim.spec.id, claim.attempt, metrics)

    def prune(self, trial_id: int, epoch: int) -> bool:
        """The pruner's decision after ``epoch``, waiting (short read-only transactions,
        no lock held) while a trial before this one has not reached it."""
        if not self.pruner.decides_at(epoch):
            return False
        started = time.perf_counter()
        decision = wait_for_decision(
            lambda watch: self.retrying(lambda _: self.decide(trial_id, epoch, watch)),
            self.stopping,
        )
        self.stats.wait_seconds += time.perf_counter() - started
        if decision is Decision.GIVE_UP:
            raise WaitAbandoned
        return decision is Decision.STOP

    def decide(self, trial_id: int, epoch: int, watch: GoneWatch) -> Decision:
        with self.reader.begin() as connection:  # a transaction per ask, as the watch needs
            return self.pruner.decide(connection, trial_id, self.round_id, epoch, watch)

    def finish(self, claim: Claim, outcome: queue.Outcome) -> bool:
        """Store how the trial ended, unless it was taken over; returns whether it did."""
        stored = self.retrying(partial(self._finish, claim, outcome))
        self.stats.lost += not stored
        return stored

    def _finish(self, claim: Claim, outcome: queue.Outcome, retried: bool) -> bool:
        trial_id, attempt = claim.spec.id, claim.attempt
        with self.factory.begin() as session:
            if retried and committed.finished(session, trial_id, attempt, outcome.status):
                return True  # the earlier try went through
            return queue.finish_trial(session, trial_id, outcome, attempt=attempt)

    def run_trial(self, split: Split, claim: Claim) -> None:
        started = time.perf_counter()
        self.epochs_done = 0
        try:
            result = train_trial(
                self.settings, split, claim.spec, lambda metrics: self.on_epoch(claim, metrics)
            )
        except TrialLost:
            self.stats.lost += 1
            return
        except StoreUnavailable:  # the store's fault, not the trial's: not ``failed``
            raise
        except WaitAbandoned:  # a trial it waited for will not go on in this run
            self.finish(claim, queue.Outcome(TrialStatus.INTERRUPTED, self.epochs_done))
            self.abandoned = True
            return
        except Exception as exc:  # a bug or a resource error inside one trial
            message = f"{type(exc).__name__}: {exc}"
            self.stats.errors.append(f"{traceback.format_exc()}trial {claim.spec.id}: {message}")
            self.finish(claim, queue.Outcome(TrialStatus.FAILED, self.epochs_done, error=message))
            return
        finally:
            self.stats.train_seconds += time.perf_counter() - started
        if result.status == STOPPED and self.stopping():
            self.finish(claim, queue.Outcome(TrialStatus.INTERRUPTED, self.epochs_done))
            return
        status = TrialStatus.of_outcome(result.status)
        error = None
        if status == TrialStatus.DIVERGED:
            error = f"loss became non-finite in epoch {result.last_epoch}"
        # epochs run: as many as stored, not the diverged one
        outcome = queue.Outcome(status, len(result.history), result.final, result.best, error)
        if self.finish(claim, outcome):
            self.stats.trials += 1
