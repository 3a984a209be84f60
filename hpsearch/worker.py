"""The worker: one process that claims trials of a round from the queue and trains them.

A worker limits BLAS to one thread (so N workers use N cores without
oversubscription), loads the study's split once (:mod:`hpsearch.data`), then
claims trials (:mod:`hpsearch.queue`) and trains each (:mod:`hpsearch.trial`)
until the round has none pending. Each epoch is written when it ends, and the
round's pruner may stop a trial after it. Everything it receives is plain,
picklable values; it opens its own engine. Only :mod:`hpsearch.runner` starts it.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker
from threadpoolctl import threadpool_limits

from hpsearch import queue
from hpsearch.data import DataSource, load_split
from hpsearch.database import make_engine
from hpsearch.models import Round
from hpsearch.pruning import Pruner, make_pruner
from hpsearch.settings import StudySettings
from hpsearch.status import TrialStatus
from hpsearch.trial import TrialSpec, train_trial
from trainer import EpochMetrics, Split
from trainer.training import STOPPED


class StopFlag(Protocol):
    def is_set(self) -> bool: ...


@dataclass
class WorkerStats:
    """What a worker did, for the caller and for benchmarks."""

    worker: str = ""
    trials: int = 0
    epochs: int = 0
    train_seconds: float = 0.0
    store_seconds: float = 0.0
    errors: list[str] = field(default_factory=list)


class Worker:
    """Claims and runs the trials of one round until none is pending.

    ``stop`` (a ``multiprocessing.Event``) asks the worker to stop after the
    current epoch: the trial is marked ``interrupted`` with its finished epochs
    kept. The round's pruner (or ``pruner``, for tests) may stop a hopeless
    trial after any epoch (``pruned``).
    """

    def __init__(
        self,
        db_url: str,
        round_id: int,
        source: DataSource,
        *,
        stop: StopFlag | None = None,
        pruner: Pruner | None = None,
    ) -> None:
        self.engine = make_engine(db_url)
        self.factory: sessionmaker[Session] = sessionmaker(self.engine)
        self.connection: Connection | None = None  # epochs are written through it
        self.round_id = round_id
        self.source = source
        self.stop = stop
        self.stats = WorkerStats(worker=queue.worker_name())
        self.epochs_done = 0
        self.last_beat = 0.0
        with self.factory.begin() as session:
            round_ = session.get_one(Round, round_id)
            study = round_.study
            self.settings = StudySettings.from_study(study)
            self.study_seed = study.seed
            self.pruner = pruner or make_pruner(round_.pruner, study.epochs)

    def stopping(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    def run(self) -> WorkerStats:
        # Epochs go through one long-lived Connection (see queue.EpochWriter): a
        # Session per epoch costs more than the write itself.
        with threadpool_limits(limits=1), self.engine.connect() as self.connection:
            self.epochs = queue.EpochWriter(self.connection)
            split = load_split(self.settings, self.study_seed, self.source)
            while not self.stopping() and (trial := self.claim()) is not None:
                self.run_trial(split, trial)
        return self.stats

    def claim(self) -> TrialSpec | None:
        with self.factory.begin() as session:
            trial = queue.claim_trial(session, self.round_id, self.stats.worker)
            if trial is None:
                return None
            return TrialSpec(trial.id, trial.lr, trial.weight_decay, trial.seed)

    def on_epoch(self, trial: TrialSpec, metrics: EpochMetrics) -> bool:
        """Store the epoch; True stops the trial (asked to stop, or pruned)."""
        started = time.perf_counter()
        beat = started - self.last_beat >= queue.HEARTBEAT_EVERY.total_seconds()
        assert self.connection is not None  # on_epoch runs inside run(), which opens it
        with self.connection.begin():
            self.epochs.write(trial.id, metrics, heartbeat=beat)
            prune = self.pruner.should_stop(self.connection, trial.id, self.round_id, metrics.epoch)
        if beat:
            self.last_beat = started
        self.stats.store_seconds += time.perf_counter() - started
        self.stats.epochs += 1
        self.epochs_done = metrics.epoch
        return self.stopping() or prune

    def run_trial(self, split: Split, trial: TrialSpec) -> None:
        started = time.perf_counter()
        self.epochs_done = 0
        self.last_beat = started  # claiming the trial set its heartbeat
        try:
            result = train_trial(
                self.settings, split, trial, lambda metrics: self.on_epoch(trial, metrics)
            )
        except Exception as exc:  # a bug or a resource error inside one trial
            message = f"{type(exc).__name__}: {exc}"
            self.stats.errors.append(traceback.format_exc())
            with self.factory.begin() as session:
                failed = queue.Outcome(TrialStatus.FAILED, self.epochs_done, error=message)
                queue.finish_trial(session, trial.id, failed)
            return
        finally:
            self.stats.train_seconds += time.perf_counter() - started
        if result.status == STOPPED and self.stopping():
            with self.factory.begin() as session:
                queue.mark_interrupted(session, [trial.id])
            return
        status = TrialStatus.of_outcome(result.status)
        error = None
        if status == TrialStatus.DIVERGED:
            error = f"loss became non-finite in epoch {result.last_epoch}"
        # epochs run: as many as stored, not the diverged one
        outcome = queue.Outcome(status, len(result.history), result.final, result.best, error)
        with self.factory.begin() as session:
            queue.finish_trial(session, trial.id, outcome)
        self.stats.trials += 1
