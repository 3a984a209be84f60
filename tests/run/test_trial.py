import numpy as np

from hpsearch.data.datasets import DataSource, load_split
from hpsearch.run.training import CLASSES, INPUT_SIZE, TrialSpec, train_trial, trial_trainer
from hpsearch.settings import StudySettings

SETTINGS = StudySettings(train_size=200, epochs=2, batch_size=20, hidden=(16,))
TRIAL = TrialSpec(id=1, seed=11, values={"lr": 0.05, "weight_decay": 1e-6})


def test_a_trial_trains_the_same_from_scratch(tiny_mnist):
    split = load_split(SETTINGS, 0, DataSource(str(tiny_mnist), verify=False))
    first = train_trial(SETTINGS, split, TRIAL)
    again = train_trial(SETTINGS, split, TRIAL)
    other = train_trial(SETTINGS, split, TrialSpec(1, 12, {"lr": 0.05, "weight_decay": 1e-6}))
    assert first.status == "completed" and len(first.history) == 2
    assert [m.val_accuracy for m in first.history] == [m.val_accuracy for m in again.history]
    assert [m.train_loss for m in first.history] != [m.train_loss for m in other.history]


def test_the_epoch_callback_can_stop_a_trial(tiny_mnist):
    split = load_split(SETTINGS, 0, DataSource(str(tiny_mnist), verify=False))
    seen = []
    result = train_trial(SETTINGS, split, TRIAL, lambda metrics: seen.append(metrics) or True)
    assert result.status == "stopped" and [m.epoch for m in seen] == [1]


def test_a_trainer_without_validation_builds_the_studys_network():
    x = np.random.default_rng(0).random((40, INPUT_SIZE))
    t = np.arange(40) % CLASSES
    trainer = trial_trainer(SETTINGS, TRIAL, x, t)
    assert trainer.x_val is None and trainer.epochs == 2
    assert trainer.network.params["W1"].shape == (INPUT_SIZE, 16)
    result = trainer.train()
    assert np.isnan(result.final.val_accuracy)
