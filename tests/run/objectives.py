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


def _own_loss(values) -> float:
    return (values["width"] - 24) ** 2 / 100 + abs(values["C"] - 1.0) + (values["kind"] == "b")


def own_names(trial) -> None:
    """A loss of parameters of its own names, checking each arrives as its kind."""
    width, scale, kind = trial.values["width"], trial.values["C"], trial.values["kind"]
    assert isinstance(width, int) and isinstance(scale, float) and kind in ("a", "b")
    assert "lr" not in trial.values and "weight_decay" not in trial.values
    for epoch in range(1, trial.settings["epochs"] + 1):
        trial.report(epoch, val_loss=_own_loss(trial.values) + 1.0 / epoch)


def tested(trial) -> None:
    """own_names, with a test evaluation: its loss without the 1/epoch term, and the seed."""
    own_names(trial)


def _test(trial) -> dict[str, float]:
    return {"test_loss": _own_loss(trial.values), "seed": trial.seed % 1000}


tested.test = _test  # type: ignore[attr-defined]


def failing_test(trial) -> None:
    own_names(trial)


def _raise(trial) -> dict[str, float]:
    raise RuntimeError("no test data here")


failing_test.test = _raise  # type: ignore[attr-defined]


def own_names_with_train(trial) -> None:
    """own_names, reporting a train loss beside the validation loss it minimises."""
    for epoch in range(1, trial.settings["epochs"] + 1):
        loss = _own_loss(trial.values) + 1.0 / epoch
        trial.report(epoch, val_loss=loss, train_loss=loss / 2)
