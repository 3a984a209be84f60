"""Training functions the tests name by reference (``tests.run.objectives:NAME``)."""

from __future__ import annotations


def quadratic(trial) -> None:
    """A loss that falls each epoch towards (lr - 0.01)**2: lowest for lr near 0.01."""
    lr = trial.values["lr"]
    for epoch in range(1, trial.settings["epochs"] + 1):
        loss = (lr - trial.settings.get("target", 0.01)) ** 2 + 1.0 / epoch
        trial.report(epoch, val_loss=loss, val_accuracy=1.0 / (1.0 + loss))


def text_metric(trial) -> None:
    trial.report(1, val_loss="low")


def two_arguments(trial, extra) -> None:
    pass
