"""``hpsearch evaluate``: the book's last step, the one look at the test set.

The best completed trial's settings (learning rate, weight decay, training seed)
are trained on the study's whole training split, training and validation samples
together, for the study's number of epochs, by the same one-trial training the
worker uses (:mod:`hpsearch.run.training`); the test set is then measured once. A
training function's study runs the function's own test instead
(:mod:`hpsearch.search.function_test`). Each evaluation is stored; asking again shows
the stored one unless forced.

The test set is used once: before training, an evaluation claims it by adding its row
(status ``running``) in a transaction that first locks the study's row, so of two
evaluations started together the second finds the first's claim and raises
:class:`~hpsearch.errors.TestSetUsed` (``--force`` takes it anyway: both are kept). A
training that fails removes its claim; the test set was not looked at.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker
from threadpoolctl import threadpool_limits

from hpsearch import store
from hpsearch.data.datasets import DataSource, normalized, read_dataset, study_split
from hpsearch.errors import TestSetUsed, UsageError
from hpsearch.run.training import TrialSpec, trial_trainer
from hpsearch.search.function_test import TestHook, run_test, test_hook
from hpsearch.settings import StudySettings
from hpsearch.store import get_study
from hpsearch.store.models import Evaluation, Study
from trainer.training import COMPLETED, TrainingResult


@dataclass(frozen=True)
class Retrained:
    """One training of a trial's settings on train + validation, and its test accuracy."""

    result: TrainingResult
    test_accuracy: float | None  # None: the training did not complete
    train_samples: int
    test_samples: int
    seconds: float


def best_of(session: Session, name: str) -> tuple[Study, TrialSpec]:
    """The study and its best completed trial, as the worker would run it."""
    study = get_study(session, name)
    best = store.best_trial(session, study)
    if best is None:
        raise UsageError(f"study {name!r} has no completed trial to evaluate")
    values = store.trial_values(session, [best.id])[best.id]
    return study, TrialSpec(best.id, best.seed, values)


def retrain(
    settings: StudySettings, study_seed: int, trial: TrialSpec, source: DataSource
) -> Retrained:
    """Train ``trial`` on the study's training and validation samples together for the
    study's epochs, then measure the test set once."""
    mnist = read_dataset(source, settings.dataset)
    split = study_split(mnist, settings, study_seed)
    x_test = normalized(mnist.x_test, settings.dtype)
    x_train = np.concatenate([split.x_train, split.x_val])  # (N_train + N_val, 784)
    t_train = np.concatenate([split.t_train, split.t_val])
    trainer = trial_trainer(settings, trial, x_train, t_train)
    started = time.perf_counter()
    with threadpool_limits(limits=1):
        result = trainer.train()
        test_accuracy = None
        if result.status == COMPLETED:
            _, test_accuracy = trainer.network.evaluate(x_test, mnist.t_test)  # the one look
    seconds = time.perf_counter() - started
    return Retrained(result, test_accuracy, len(x_train), len(mnist.x_test), seconds)


RUNNING = "running"  # an evaluation's status while it trains: its claim on the test set


def claim_test_set(
    factory: sessionmaker[Session], study_id: int, trial: TrialSpec, epochs: int, *, force: bool
) -> int:
    """Claim the study's test set: add a ``running`` evaluation, unless one is stored or
    running (``force``: even so); returns its id. The study's row is locked first (SQLite:
    the write lock), so two claims of one study run one after the other."""
    with factory.begin() as session:
        session.execute(update(Study).where(Study.id == study_id).values(name=Study.name))
        others = session.scalars(select(Evaluation).where(Evaluation.study_id == study_id)).all()
        if others and not force:
            name = session.get_one(Study, study_id).name
            running = any(e.status == RUNNING for e in others)
            state = "is being used by another evaluate" if running else "was already used"
            raise TestSetUsed(
                f"the test set of {name!r} {state}: it is used once "
                "(--force evaluates again, and keeps both)"
            )
        claim = Evaluation(
            study_id=study_id, trial_id=trial.id, epochs=epochs, seed=trial.seed,
            train_samples=0, test_samples=0, status=RUNNING, seconds=0.0,
        )  # fmt: skip
        session.add(claim)
        session.flush()
        return claim.id


def evaluate_best(
    factory: sessionmaker[Session], name: str, source: DataSource, *, force: bool = False
) -> Evaluation:
    """Claim the test set (:func:`claim_test_set`), train the best trial's settings on
    train + validation, measure the test set, and store the evaluation."""
    with factory() as session:
        study, trial = best_of(session, name)
        hook = None if study.objective is None else test_hook(study)  # before any claim
        settings = StudySettings.from_study(study)
        study_id, study_seed = study.id, study.seed
    claim = claim_test_set(factory, study_id, trial, settings.epochs, force=force)
    if hook is not None:  # a training function's own test
        return _tested(factory, claim, hook, study, trial)
    try:
        retrained = retrain(settings, study_seed, trial, source)
    except BaseException:
        with factory.begin() as session:  # the test set was not looked at
            session.execute(delete(Evaluation).where(Evaluation.id == claim))
        raise
    result = retrained.result
    with factory.begin() as session:
        evaluation = session.get_one(Evaluation, claim)
        evaluation.train_samples = retrained.train_samples
        evaluation.test_samples = retrained.test_samples
        evaluation.train_accuracy = result.final.train_accuracy if result.final else None
        evaluation.test_accuracy = retrained.test_accuracy
        evaluation.status = result.status
        evaluation.seconds = retrained.seconds
    return evaluation


def _tested(
    factory: sessionmaker[Session], claim: int, hook: TestHook, study: Study, trial: TrialSpec
) -> Evaluation:
    """Run a training function's test for the claimed evaluation and store what it measured;
    a test that raises removes the claim."""
    try:
        tested = run_test(hook, study, trial)
    except BaseException:
        with factory.begin() as session:
            session.execute(delete(Evaluation).where(Evaluation.id == claim))
        raise
    with factory.begin() as session:
        evaluation = session.get_one(Evaluation, claim)
        evaluation.train_samples = evaluation.test_samples = None
        evaluation.test_metrics = json.dumps(tested.metrics)
        evaluation.status = COMPLETED
        evaluation.seconds = tested.seconds
    return evaluation
