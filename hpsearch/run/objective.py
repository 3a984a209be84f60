"""The training-function contract: what hpsearch calls for each trial, and what it gives.

A study's training function takes one argument, the trial (a :class:`TrialContext`),
trains with its values and reports after each epoch (or step)::

    def train(trial):
        model = make_model(lr=trial.values["lr"], seed=trial.seed)
        for epoch in range(1, trial.settings["epochs"] + 1):
            ...                                             # one epoch of training
            trial.report(epoch, val_accuracy=acc, val_loss=loss)

- ``trial.values``: the trial's searched values, by parameter name;
- ``trial.seed``: the trial's own seed (the same trial always gets the same one);
- ``trial.settings``: the study's fixed settings, plain values given when it started;
- ``trial.report(epoch, **metrics)``: any named metrics, each a number, after epoch
  ``epoch`` (1, 2, ... in order); every report must hold the study's metric
  (:class:`~hpsearch.settings.Goal`). It stores them, and raises :class:`TrialPruned`
  when the pruner (or a Ctrl-C) stops the trial: the function need not catch it;
- ``raise TrialDiverged(reason)`` ends the trial as ``diverged`` (a non-finite metric
  does the same by itself).

A function is named by a reference ``package.module:function`` that the worker
processes import (:func:`resolve`); the chapter's network is the default
(:class:`hpsearch.run.training.BookNetwork`), of the same contract.
"""

from __future__ import annotations

import inspect
import math
import numbers
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from hpsearch.errors import ObjectiveError
from hpsearch.settings import Goal
from hpsearch.space.domains import Value

#: A training function: called with the trial, returns nothing.
Objective = Callable[["TrialContext"], object]
#: Where a report goes: the epoch and its metrics; True stops the trial.
Sink = Callable[[int, dict[str, float]], bool]


class TrialPruned(Exception):  # noqa: N818 - the word users know from Optuna
    """Raised by :meth:`TrialContext.report` when the trial is to stop here."""


class TrialDiverged(Exception):  # noqa: N818
    """Raised by a training function (or a report of a non-finite metric): the trial
    ends as ``diverged``, with the exception's text as its reason."""


@dataclass
class TrialContext:
    """The trial as a training function sees it (see the module docstring)."""

    values: Mapping[str, Value]
    seed: int
    settings: Mapping[str, Any] = field(default_factory=dict)
    goal: Goal = field(default_factory=Goal)
    sink: Sink | None = None
    last_epoch: int = 0
    stopped: bool = False  # a report raised TrialPruned

    def report(self, epoch: int, **metrics: float) -> None:
        """Store ``metrics`` after ``epoch``; raises :class:`TrialPruned` to stop here."""
        checked = check_report(self.goal, self.last_epoch, epoch, metrics)
        self.last_epoch = epoch
        for name, value in checked.items():
            if not math.isfinite(value):
                raise TrialDiverged(f"{name} became non-finite in epoch {epoch}")
        if self.sink is not None and self.sink(epoch, checked):
            self.stopped = True
            raise TrialPruned(f"stopped after epoch {epoch}")


def check_report(
    goal: Goal, last_epoch: int, epoch: object, metrics: Mapping[str, object]
) -> dict[str, float]:
    """The metrics of one report as floats, or ObjectiveError: the epoch follows the
    last one, every value is a number, and the study's metric is among them."""
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch != last_epoch + 1:
        raise ObjectiveError(
            f"report({epoch!r}, ...) after epoch {last_epoch}: epochs are reported "
            f"in order, 1, 2, ... (expected {last_epoch + 1})"
        )
    checked = {}
    for name, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ObjectiveError(
                f"report of epoch {epoch}: {name}={value!r} is not a number "
                "(a metric is an int or a float)"
            )
        checked[name] = float(value)
    if goal.metric not in checked:
        told = ", ".join(checked) or "no metric"
        raise ObjectiveError(
            f"report of epoch {epoch} has no {goal.metric!r}, the metric the study "
            f"{goal.direction}s (it reported {told}); report it, or start the study "
            "with --metric naming one it reports"
        )
    return checked


def resolve(reference: str) -> Objective:
    """The function a ``package.module:function`` reference names, checked to take the
    trial as its one argument; ObjectiveError says why it cannot be used. The module is
    looked for in the current folder first (a worker's is its command's), then on the path."""
    module_name, colon, attribute = reference.partition(":")
    if not colon or not module_name or not attribute:
        raise ObjectiveError(
            f"objective {reference!r}: write it as package.module:function "
            "(a module the worker can import, and the function in it)"
        )
    if module_name == "__main__":
        raise ObjectiveError(
            f"objective {reference!r} is defined in __main__ (a script or notebook), "
            "which worker processes cannot import: move it into a module, or run it "
            "in-process with workers=1"
        )
    if os.getcwd() not in sys.path:  # as ``python -m`` does: the current folder's modules
        sys.path.insert(0, os.getcwd())
    try:
        target: Any = import_module(module_name)
    except Exception as exc:  # a module that is missing, or raises when imported
        raise ObjectiveError(
            f"objective {reference!r}: module {module_name!r} does not import "
            f"({type(exc).__name__}: {exc}); is it installed, or on PYTHONPATH?"
        ) from None
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise ObjectiveError(
                f"objective {reference!r}: module {module_name!r} has no {attribute!r}"
            ) from None
    check_signature(target, reference)
    return target


def check_signature(function: object, name: str) -> None:
    """ObjectiveError unless ``function`` can be called with the trial alone."""
    if not callable(function):
        raise ObjectiveError(f"objective {name!r} is not a function")
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return  # a builtin or extension callable: its call will tell
    try:
        signature.bind(object())
    except TypeError:
        raise ObjectiveError(
            f"objective {name!r} takes {signature}: a training function takes one "
            "argument, the trial (def train(trial): ...)"
        ) from None


def reference_of(function: Objective) -> str | None:
    """The ``module:function`` reference worker processes can import ``function`` by;
    None when they cannot (defined in ``__main__``, a notebook, or inside a function)."""
    module = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", None)
    if not module or not qualname or module == "__main__" or "<" in qualname:
        return None
    try:
        found: Any = import_module(module)
        for part in qualname.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError):
        return None
    return f"{module}:{qualname}" if found is function else None
