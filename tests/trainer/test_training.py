import numpy as np
import pytest

from trainer.network import MultiLayerNet
from trainer.training import COMPLETED, DIVERGED, STOPPED, Trainer


def blobs(n, seed=0, classes=3, dim=8):
    """Separable Gaussian blobs: a quick learnable problem."""
    centres = np.random.default_rng(99).standard_normal((classes, dim)) * 3
    r = np.random.default_rng(seed)
    t = np.arange(n) % classes
    return centres[t] + r.standard_normal((n, dim)), t


def make_trainer(seed=0, lr=0.1, epochs=5, n=60, **options):
    x, t = blobs(n)
    xv, tv = blobs(30, seed=1)
    rng = np.random.default_rng(seed)
    net = MultiLayerNet(8, [16, 16], 3, rng=rng, dtype=options.pop("dtype", np.float64))
    return Trainer(
        net, x, t, xv, tv, epochs=epochs, batch_size=10,
        optimizer_params={"lr": lr}, rng=rng, **options,
    )  # fmt: skip


def test_small_net_overfits_twenty_samples():
    r = np.random.default_rng(0)
    x = r.random((20, 784))
    t = np.arange(20) % 10
    rng = np.random.default_rng(1)
    net = MultiLayerNet(784, [100, 100], 10, rng=rng)
    trainer = Trainer(net, x, t, x, t, epochs=100, batch_size=5, optimizer="adam", rng=rng)
    result = trainer.train()
    assert result.status == COMPLETED
    assert result.final.train_accuracy == 1.0


def test_history_has_every_epoch_and_learns():
    result = make_trainer(epochs=6).train()
    assert [m.epoch for m in result.history] == [1, 2, 3, 4, 5, 6]
    assert result.final.val_accuracy > 0.9
    assert result.history[-1].train_loss < result.history[0].train_loss
    assert all(m.seconds > 0 for m in result.history)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_same_seed_gives_bit_identical_history(dtype):
    def history(seed):
        return [
            (m.train_loss, m.train_accuracy, m.val_loss, m.val_accuracy)
            for m in make_trainer(seed=seed, dtype=dtype).train().history
        ]

    assert history(5) == history(5)
    assert history(5) != history(6)


def test_each_epoch_is_one_pass_over_a_fresh_permutation():
    trainer = make_trainer(epochs=1)
    seen = []
    original = trainer.network.loss_and_gradient

    def spy(x, t):
        seen.append(x.copy())
        return original(x, t)

    trainer.network.loss_and_gradient = spy
    trainer.train()
    rows = np.concatenate(seen)
    assert len(seen) == 6  # 60 samples, batches of 10: one forward pass per step
    assert sorted(map(tuple, rows)) == sorted(map(tuple, trainer.x_train))
    assert not np.array_equal(rows, trainer.x_train)  # shuffled


def test_callback_sees_every_epoch_and_can_stop_training():
    seen = []

    def on_epoch(metrics):
        seen.append(metrics.epoch)
        return metrics.epoch == 3

    result = make_trainer(epochs=10, on_epoch=on_epoch).train()
    assert seen == [1, 2, 3]
    assert result.status == STOPPED
    assert result.last_epoch == 3 and len(result.history) == 3


@pytest.mark.parametrize(("dtype", "lr"), [(np.float32, 1e6), (np.float64, 1e100)])
def test_a_huge_learning_rate_diverges_without_raising(dtype, lr):
    result = make_trainer(lr=lr, epochs=20, dtype=dtype).train()
    assert result.status == DIVERGED
    assert len(result.history) == result.last_epoch - 1
    assert result.last_epoch <= 20


def test_training_without_a_validation_set_reports_nan_validation_metrics():
    x, t = blobs(60)
    rng = np.random.default_rng(0)
    net = MultiLayerNet(8, [16], 3, rng=rng)
    result = Trainer(net, x, t, None, None, epochs=3, batch_size=10, rng=rng).train()
    assert result.status == COMPLETED and len(result.history) == 3
    assert all(np.isnan(m.val_accuracy) and np.isnan(m.val_loss) for m in result.history)
    assert result.final.train_accuracy > 0.9


def test_a_stop_asked_after_the_last_epoch_leaves_training_completed():
    result = make_trainer(epochs=4, on_epoch=lambda metrics: True if metrics.epoch == 4 else None)
    outcome = result.train()
    assert outcome.status == COMPLETED and len(outcome.history) == 4
