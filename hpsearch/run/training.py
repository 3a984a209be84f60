"""One trial's training: the study's network, trained from scratch with a trial's values.

Used by the worker for every trial of a round (through :class:`BookNetwork`, the
default training function) and by ``evaluate`` for the best trial's settings on train +
validation: same settings and seed, same network, same result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from hpsearch.run.objective import TrialContext, TrialDiverged
from hpsearch.settings import StudySettings
from hpsearch.space.domains import Value
from hpsearch.space.setup import TrialSetup, trial_setup
from trainer import EpochMetrics, MultiLayerNet, Split, Trainer, TrainingResult
from trainer.training import DIVERGED, EpochCallback

INPUT_SIZE, CLASSES = 784, 10


@dataclass(frozen=True)
class TrialSpec:
    """A trial's values, as plain values a worker process can hold."""

    id: int
    seed: int
    values: dict[str, Value] = field(default_factory=dict)  # every searched value

    def setup(self, settings: StudySettings) -> TrialSetup:
        """The study's settings with this trial's values in place, and its optimizer's."""
        return trial_setup(settings, self.values)


def trial_trainer(
    settings: StudySettings,
    trial: TrialSpec,
    x_train: np.ndarray,
    t_train: np.ndarray,
    x_val: np.ndarray | None = None,
    t_val: np.ndarray | None = None,
    on_epoch: EpochCallback | None = None,
) -> Trainer:
    """The Trainer of one trial, its network freshly initialised from the trial's seed.

    Without ``x_val`` no validation is measured (``evaluate``, on train + validation).
    """
    setup = trial.setup(settings)
    settings = setup.settings
    rng = np.random.default_rng(trial.seed)
    network: MultiLayerNet = settings.network(INPUT_SIZE, CLASSES, setup.weight_decay, rng)
    return Trainer(
        network,
        x_train,
        t_train,
        x_val,
        t_val,
        epochs=settings.epochs,
        batch_size=settings.batch_size,
        optimizer=settings.optimizer,
        optimizer_params=setup.optimizer_params,
        rng=rng,
        on_epoch=on_epoch,
    )


def train_trial(
    settings: StudySettings,
    split: Split,
    trial: TrialSpec,
    on_epoch: EpochCallback | None = None,
) -> TrainingResult:
    """Train one trial from scratch: same settings and seed, same result."""
    x_train, t_train, x_val, t_val = split.x_train, split.t_train, split.x_val, split.t_val
    return trial_trainer(settings, trial, x_train, t_train, x_val, t_val, on_epoch).train()


#: How one trial trains: :func:`train_trial`'s signature.
Train = Callable[..., TrainingResult]


class BookNetwork:
    """The chapter's network as a training function (:mod:`hpsearch.run.objective`): the
    default of every study started without ``--objective``. It holds the study's
    settings and split, loaded once per worker, and reports the trainer's four metrics
    after each epoch; a non-finite loss ends the trial as diverged, as the book's
    trainer decides it."""

    def __init__(
        self,
        settings: StudySettings,
        split: Split,
        train: Callable[..., TrainingResult] | None = None,
    ) -> None:
        self.settings = settings
        self.split = split
        self.train = train or train_trial  # how one trial trains (train_trial's signature)

    def __call__(self, trial: TrialContext) -> None:
        spec = TrialSpec(0, trial.seed, dict(trial.values))

        def report(m: EpochMetrics) -> None:
            trial.report(
                m.epoch,
                train_loss=m.train_loss,
                train_accuracy=m.train_accuracy,
                val_loss=m.val_loss,
                val_accuracy=m.val_accuracy,
            )

        result = self.train(self.settings, self.split, spec, report)
        if result.status == DIVERGED:
            raise TrialDiverged(f"loss became non-finite in epoch {result.last_epoch}")
