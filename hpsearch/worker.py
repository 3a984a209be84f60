"""The worker: one process that claims trials of a round from the store and trains them.

A worker limits BLAS to one thread (so N workers use N cores without
oversubscription), loads MNIST once, then claims and runs trials one after
another until the round has none pending. Each epoch is written when it ends.
Everything it receives is plain, picklable values; it opens its own engine.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session, sessionmaker
from threadpoolctl import threadpool_limits

from hpsearch import store
from hpsearch.database import make_engine
from hpsearch.models import COMPLETED, DIVERGED, FAILED, PRUNED, Round, Study
from hpsearch.pruning import Pruner, make_pruner
from hpsearch.settings import StudySettings
from hpsearch.space import split_seed
from trainer import (
    EpochMetrics,
    Mnist,
    Split,
    Trainer,
    TrainingResult,
    load_mnist,
    validation_split,
)
from trainer.mnist import MNIST_MD5
from trainer.training import STOPPED

INPUT_SIZE, CLASSES = 784, 10


class StopFlag(Protocol):
    def is_set(self) -> bool: ...


@dataclass(frozen=True)
class DataSource:
    """Where the worker finds MNIST (see ``trainer.find_mnist``)."""

    data_dir: str | None = None
    verify: bool = True
    download: bool = True


@dataclass(frozen=True)
class TrialSpec:
    id: int
    lr: float
    weight_decay: float
    seed: int


@dataclass
class WorkerStats:
    """What a worker did, for the caller and for benchmarks."""

    worker: str = ""
    trials: int = 0
    epochs: int = 0
    train_seconds: float = 0.0
    store_seconds: float = 0.0
    errors: list[str] = field(default_factory=list)


def read_mnist(source: DataSource) -> Mnist:
    """MNIST as stored: uint8 images (normalised later, once split), int64 labels."""
    return load_mnist(
        source.data_dir,
        normalize=False,
        checksums=MNIST_MD5 if source.verify else None,
        download=source.download,
        progress=False,
    )


def normalized(images: np.ndarray, dtype: str) -> np.ndarray:
    return np.divide(images, 255.0, dtype=np.dtype(dtype))


def study_split(mnist: Mnist, settings: StudySettings, study_seed: int) -> Split:
    """The study's train/validation split, normalised to [0, 1] in the study's dtype."""
    settings.split_sizes(len(mnist.x_train))
    split = validation_split(
        mnist.x_train,
        mnist.t_train,
        val_fraction=settings.val_fraction,
        train_size=settings.train_size,
        seed=split_seed(study_seed),
    )
    return Split(
        normalized(split.x_train, settings.dtype),
        split.t_train,
        normalized(split.x_val, settings.dtype),
        split.t_val,
    )


def load_split(settings: StudySettings, study_seed: int, source: DataSource) -> Split:
    return study_split(read_mnist(source), settings, study_seed)


def train_trial(
    settings: StudySettings, split: Split, trial: TrialSpec, on_epoch=None
) -> TrainingResult:
    """Train one trial from scratch: same settings and seed, same result."""
    rng = np.random.default_rng(trial.seed)
    network = settings.network(INPUT_SIZE, CLASSES, trial.weight_decay, rng)
    trainer = Trainer(
        network,
        split.x_train,
        split.t_train,
        split.x_val,
        split.t_val,
        epochs=settings.epochs,
        batch_size=settings.batch_size,
        optimizer=settings.optimizer,
        optimizer_params={"lr": trial.lr},
        rng=rng,
        on_epoch=on_epoch,
    )
    return trainer.train()


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
        self.stats = WorkerStats(worker=store.worker_name())
        self.epochs_done = 0
        self.last_beat = 0.0
        with self.factory.begin() as session:
            round_ = session.get_one(Round, round_id)
            study = session.scalar(select(Study).where(Study.id == round_.study_id))
            assert study is not None  # rounds.study_id is a foreign key to studies
            self.settings = StudySettings.from_study(study)
            self.study_seed = study.seed
            self.pruner = pruner or make_pruner(round_.pruner, study.epochs)

    def stopping(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    def run(self) -> WorkerStats:
        # Epochs go through one long-lived Connection (see store.EpochWriter): a
        # Session per epoch costs more than the write itself.
        with threadpool_limits(limits=1), self.engine.connect() as self.connection:
            self.epochs = store.EpochWriter(self.connection)
            split = load_split(self.settings, self.study_seed, self.source)
            while not self.stopping() and (trial := self.claim()) is not None:
                self.run_trial(split, trial)
        return self.stats

    def claim(self) -> TrialSpec | None:
        with self.factory.begin() as session:
            trial = store.claim_trial(session, self.round_id, self.stats.worker)
            if trial is None:
                return None
            return TrialSpec(trial.id, trial.lr, trial.weight_decay, trial.seed)

    def on_epoch(self, trial: TrialSpec, metrics: EpochMetrics) -> bool:
        """Store the epoch; True stops the trial (asked to stop, or pruned)."""
        started = time.perf_counter()
        beat = started - self.last_beat >= store.HEARTBEAT_EVERY.total_seconds()
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
                store.finish_trial(
                    session, trial.id, FAILED, epochs_run=self.epochs_done, error=message
                )
            return
        finally:
            self.stats.train_seconds += time.perf_counter() - started
        if result.status == STOPPED and self.stopping():
            with self.factory.begin() as session:
                store.mark_interrupted(session, [trial.id])
            return
        status = {"completed": COMPLETED, "diverged": DIVERGED, "stopped": PRUNED}[result.status]
        error = None
        if status == DIVERGED:
            error = f"loss became non-finite in epoch {result.last_epoch}"
        with self.factory.begin() as session:
            store.finish_trial(
                session,
                trial.id,
                status,
                epochs_run=len(result.history),  # as many as stored: not the diverged one
                final=result.final,
                best=result.best,
                error=error,
            )
        self.stats.trials += 1
