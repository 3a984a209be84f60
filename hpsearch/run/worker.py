"""The worker: one process that claims trials of a round from the queue and trains them.

A worker limits BLAS to one thread (so N workers use N cores without
oversubscription), loads the study's split once (:mod:`hpsearch.data.datasets`), then
claims trials (:mod:`hpsearch.store.queue`) and trains each (:mod:`hpsearch.run.training`)
until the round has none pending, each by calling the study's training function
(:mod:`hpsearch.run.objective`; the book network by default). Each report is written
when it comes, and the round's pruner may stop a trial after it. Everything it receives is plain,
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
from functools import partial

from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker
from threadpoolctl import threadpool_limits

from hpsearch import store
from hpsearch.data.datasets import DataSource, load_split
from hpsearch.errors import ObjectiveError, StoreUnavailable
from hpsearch.run import reports
from hpsearch.run.learning import LearningRound, Sampled
from hpsearch.run.objective import Objective, TrialContext, TrialDiverged, TrialPruned, resolve
from hpsearch.run.order import Decision, GoneWatch, wait_for_decision
from hpsearch.run.pruning import Pruner, make_pruner
from hpsearch.run.reports import Claim, StartLine, StopFlag, WorkerStats
from hpsearch.run.training import BookNetwork, TrialSpec, train_trial
from hpsearch.settings import Goal, StudySettings
from hpsearch.store import committed, queue
from hpsearch.store import metrics as metrics_store
from hpsearch.store.engine import make_engine, masked
from hpsearch.store.liveness import Heartbeat, worker_name
from hpsearch.store.models import Round, Trial
from hpsearch.store.retry import Retrying
from hpsearch.store.status import TrialStatus
from trainer import EpochMetrics


class Worker(Sampled):
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
        function: Objective | None = None,
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
        self.epochs_done, self.reported_at = 0, 0.0  # reported_at: the last report's time
        self.history: list = []  # EpochMetrics of the book network, else each report
        self.abandoned = False  # gave up a trial: it stops claiming (``resume`` goes on)
        self.retrying = Retrying(masked(db_url), gives_up=self.stopping)
        self.retrying(lambda _: self._load_round(pruner))
        self.given = function  # the study's function, given in-process (else imported)

    def _load_round(self, pruner: Pruner | None) -> None:
        with self.factory.begin() as session:
            round_ = session.get_one(Round, self.round_id)
            study = round_.study
            self.settings = StudySettings.from_study(study)
            self.study_seed = study.seed
            self.pruner = pruner or make_pruner(round_.pruner, study.epochs)
            self.goal = Goal(study.metric, study.direction)
            self.reference = study.objective
            self.book = study.objective is None
            self.fixed = reports.fixed_settings(study)
            self.learning = LearningRound.of(round_)

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
            self.function = self.load_function()
            try:
                self.run_trials()
            except StoreUnavailable as exc:  # its trial stays running: ``resume`` re-runs it
                self.stats.store_fault = str(exc)
        return self.stats

    def load_function(self) -> Objective:
        """The study's training function: the book network (its split loaded once), the
        one given, or the one its reference names; one that cannot be imported fails
        each trial it is asked to run, with the reason."""
        if self.given is not None:
            return self.given
        if self.book:
            split = load_split(self.settings, self.study_seed, self.source)
            return BookNetwork(self.settings, split, lambda *args: train_trial(*args))
        try:
            return resolve(self.reference or "")
        except ObjectiveError as exc:
            return reports.raiser(exc)

    def run_trials(self) -> None:
        claim = None if self.stopping() else self.claim()
        if self.start_line is not None:  # claimed (or found none) and committed
            with contextlib.suppress(threading.BrokenBarrierError):
                self.start_line.wait(reports.START_WAIT_SECONDS)
        while claim is not None:
            self.heartbeat.own(partial(self.beat, claim))
            try:
                self.run_trial(claim)
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
            return Claim(spec, trial.attempt, trial.number)

    def beat(self, claim: Claim) -> bool:
        """The heartbeat thread's write, on a connection of its own."""
        with self.engine.begin() as connection:
            return queue.beat(connection, claim.spec.id, claim.attempt)

    def on_report(self, claim: Claim, epoch: int, metrics: dict[str, float]) -> bool:
        """Store a report; True stops the trial (asked to stop, or pruned, before the
        study's last epoch: a trial that reached it completed)."""
        if self.heartbeat.lost.is_set():
            raise reports.TrialLost
        now = time.perf_counter()
        seconds, self.reported_at = now - self.reported_at, now
        record: EpochMetrics | dict[str, float] = metrics
        if self.book:
            record = reports.book_record(epoch, seconds, metrics)
        write = partial(self.write_epoch, claim, record) if self.book else None
        if not self.retrying(write or partial(self.write, claim, epoch, record, seconds)):
            raise reports.TrialLost  # nothing was written
        self.history.append(record)
        self.stats.store_seconds += time.perf_counter() - now
        self.stats.epochs += 1
        self.epochs_done = epoch
        stop = self.stopping() or self.prune(claim.spec.id, epoch)
        return stop and epoch < self.settings.epochs

    def write_epoch(self, claim: Claim, metrics, retried: bool) -> bool:
        """The book network's epoch (``epoch_metrics``); False when taken over."""
        return self.write(claim, metrics.epoch, metrics, 0.0, retried)

    def write(self, claim: Claim, epoch: int, record, seconds: float, retried: bool) -> bool:
        """One report's transaction (a function's: ``trial_metrics`` rows); False when
        the trial was taken over."""
        connection = self.connection
        assert connection is not None  # on_report runs inside run(), which opens it
        if retried and connection.dialect.name != "sqlite":
            # the INSERT runs on the driver's cursor, unseen by SQLAlchemy: a dropped
            # connection may not have been invalidated, so take a fresh one
            connection.invalidate()
        trial_id, attempt = claim.spec.id, claim.attempt
        stored = committed.epoch_stored if self.book else metrics_store.report_stored
        with connection.begin():
            if retried and stored(connection, trial_id, attempt, epoch):
                return True  # the earlier try went through
            if self.book:
                return self.epochs.write(trial_id, attempt, record)
            return metrics_store.write_report(connection, trial_id, attempt, epoch, record, seconds)

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
            raise reports.WaitAbandoned
        return decision is Decision.STOP

    def decide(self, trial_id: int, epoch: int, watch: GoneWatch) -> Decision:
        with self.reader.begin() as connection:  # a transaction per ask, as the watch needs
            if self.book:
                return self.pruner.decide(connection, trial_id, self.round_id, epoch, watch)
            rows = partial(
                metrics_store.metric_rung_rows, metric=self.goal.metric, sign=self.goal.sign
            )
            return self.pruner.decide(connection, trial_id, self.round_id, epoch, watch, rows)

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

    def run_trial(self, given: Claim) -> None:
        claim = self.sampled(given)  # a learning round's later trials: sampled once ready
        if claim is None:
            return
        started = self.reported_at = time.perf_counter()
        self.epochs_done = 0
        self.history = []
        trial = TrialContext(
            claim.spec.values, claim.spec.seed, self.fixed, self.goal,
            partial(self.on_report, claim),
        )  # fmt: skip
        status, error = TrialStatus.COMPLETED, None
        try:
            self.function(trial)
        except TrialPruned:
            status = TrialStatus.PRUNED
        except TrialDiverged as exc:
            status, error = TrialStatus.DIVERGED, str(exc) or "the training function diverged"
        except reports.TrialLost:
            self.stats.lost += 1
            return
        except StoreUnavailable:  # the store's fault, not the trial's: not ``failed``
            raise
        except reports.WaitAbandoned:  # a trial it waited for will not go on in this run
            self.finish(claim, queue.Outcome(TrialStatus.INTERRUPTED, self.epochs_done))
            self.abandoned = True
            return
        except Exception as exc:  # a bug or a resource error inside one trial
            message = (
                str(exc) if isinstance(exc, ObjectiveError) else f"{type(exc).__name__}: {exc}"
            )
            self.stats.errors.append(f"{traceback.format_exc()}trial {claim.spec.id}: {message}")
            self.finish(claim, queue.Outcome(TrialStatus.FAILED, self.epochs_done, error=message))
            return
        finally:
            self.stats.train_seconds += time.perf_counter() - started
        if trial.stopped and self.stopping():
            self.finish(claim, queue.Outcome(TrialStatus.INTERRUPTED, self.epochs_done))
            return
        if trial.stopped:  # a function that caught TrialPruned was stopped all the same
            status = TrialStatus.PRUNED
        if self.finish(claim, reports.outcome(self.goal, self.book, self.history, status, error)):
            self.stats.trials += 1
