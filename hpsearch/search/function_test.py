"""``hpsearch evaluate`` for a training function's study: the function's own test.

A training function may carry a test evaluation, its ``test`` attribute: a function
that takes the trial (the best trial's values, seed and the study's fixed settings, as
the training function gets them), trains with them on the training and validation data
together, measures the test set once and returns what it measured, a mapping of named
numbers::

    def train(trial): ...

    def test(trial):
        ...  # train on train + validation, then measure the test set once
        return {"test_accuracy": accuracy, "test_loss": loss}

    train.test = test

Without one, ``evaluate`` says so. The test set is claimed as for the book network
(:func:`hpsearch.search.evaluation.claim_test_set`): it is used once.
"""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from hpsearch.errors import ObjectiveError, UsageError
from hpsearch.run.objective import TrialContext, check_signature, resolve
from hpsearch.run.reports import fixed_settings
from hpsearch.run.training import TrialSpec
from hpsearch.settings import Goal
from hpsearch.store.models import Study

TestHook = Callable[[TrialContext], object]


@dataclass(frozen=True)
class Tested:
    """What a function's test measured, and how long it took."""

    metrics: dict[str, float]
    seconds: float


def test_hook(study: Study) -> TestHook:
    """The ``test`` of the study's training function; UsageError when it has none."""
    reference = str(study.objective)
    hook = getattr(resolve(reference), "test", None)
    if hook is None:
        raise UsageError(
            f"study {study.name!r} trains {reference}, which has no test evaluation: "
            "give the function a test (train.test = test, see docs/objectives.md)"
        )
    check_signature(hook, f"{reference}.test")
    return hook


def checked_metrics(measured: object, reference: str) -> dict[str, float]:
    """The test's result as named finite floats, or ObjectiveError saying what it was."""
    if not isinstance(measured, Mapping) or not measured:
        raise ObjectiveError(
            f"{reference}.test returned {measured!r}: it returns what it measured, "
            'a mapping of named numbers such as {"test_accuracy": 0.97}'
        )
    metrics = {}
    for name, value in measured.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ObjectiveError(f"{reference}.test measured {name}={value!r}: not a number")
        if not math.isfinite(value):
            raise ObjectiveError(f"{reference}.test measured {name}={value!r}: not finite")
        metrics[str(name)] = float(value)
    return metrics


def run_test(hook: TestHook, study: Study, trial: TrialSpec) -> Tested:
    """Call ``hook`` with the trial as the training function got it."""
    context = TrialContext(
        trial.values, trial.seed, fixed_settings(study), Goal(study.metric, study.direction)
    )
    started = time.perf_counter()
    try:
        measured = hook(context)
    except Exception as exc:  # the user's code: its failure told in one line
        raise ObjectiveError(
            f"{study.objective}.test raised {type(exc).__name__}: {exc}; the test set was not used"
        ) from exc
    seconds = time.perf_counter() - started
    return Tested(checked_metrics(measured, str(study.objective)), seconds)
