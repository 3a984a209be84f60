"""A trial's memory estimate against the memory a real small net allocates."""

import tracemalloc

import numpy as np
import pytest

from hpsearch.errors import UsageError
from hpsearch.settings import StudySettings
from hpsearch.space.memory import check_fits, largest_trial, trial_bytes
from hpsearch.space.parameters import parse_spec
from hpsearch.space.sampling import make_space
from trainer import MultiLayerNet, Trainer


@pytest.mark.parametrize(
    ("hidden", "optimizer", "batch_size", "batchnorm"),
    [
        ((200, 200), "adam", 100, False),
        ((500,), "sgd", 50, True),
        ((64,) * 4, "momentum", 200, False),
    ],
)
def test_the_estimate_is_within_a_factor_of_two_of_what_training_allocates(
    hidden, optimizer, batch_size, batchnorm
):
    settings = StudySettings(
        train_size=1000, hidden=hidden, optimizer=optimizer, batch_size=batch_size,
        batchnorm=batchnorm, dtype="float32", epochs=1,
    )  # fmt: skip
    rng = np.random.default_rng(0)
    tracemalloc.start()
    try:
        x = rng.random((800, 784)).astype(np.float32)  # the split: 800 train, 200 validation
        x_val = rng.random((200, 784)).astype(np.float32)
        t, t_val = rng.integers(0, 10, 800), rng.integers(0, 10, 200)
        net = MultiLayerNet(784, hidden, 10, batchnorm=batchnorm, rng=rng, dtype=np.float32)
        trainer = Trainer(net, x, t, x_val, t_val, epochs=1, batch_size=batch_size,
                          optimizer=optimizer, rng=rng)  # fmt: skip
        trainer.train()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    estimate = trial_bytes(settings, {})
    assert peak / 2 <= estimate <= peak * 2, (estimate, peak)


def test_the_largest_trial_takes_each_sized_parameter_at_its_largest():
    settings = StudySettings(train_size=1000)
    space = make_space((1e-4, 1e-1), (1e-8, 1e-4), {
        "hidden_size": parse_spec("hidden_size=10:1000"),
        "optimizer": parse_spec("optimizer=sgd,adam"),
    })  # fmt: skip
    biggest = {"hidden_size": 1000, "optimizer": "adam"}
    assert largest_trial(settings, space) == trial_bytes(settings, biggest)


def test_a_space_whose_largest_trial_cannot_fit_is_refused_naming_both_sizes():
    space = make_space(
        (1e-4, 1e-1), (1e-8, 1e-4), {"hidden_layers": parse_spec("hidden_layers=1:100000")}
    )
    with pytest.raises(UsageError, match=r"needs about 52\.\d GiB, more than the 0\.8 GiB"):
        check_fits(StudySettings(), space, available=2**30)
    check_fits(StudySettings(), make_space((1e-4, 1e-1), (1e-8, 1e-4)), available=2**30)
