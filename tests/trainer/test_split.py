from __future__ import annotations

import numpy as np
import pytest

from trainer.errors import ConfigError
from trainer.split import validation_split


def samples(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Images whose pixels all hold the sample's id, and labels equal to id % 10."""
    ids = np.arange(n)
    return np.repeat(ids[:, None], 784, axis=1).astype(np.float64), ids % 10  # (N, 784), (N,)


def ids_of(x: np.ndarray) -> np.ndarray:
    return x[:, 0].astype(np.int64)


def test_book_sizes_take_the_first_500_samples():
    x, t = samples(1000)

    split = validation_split(x, t, train_size=500)

    assert (split.train_size, split.val_size) == (400, 100)
    assert split.x_train.shape == (400, 784) and split.x_val.shape == (100, 784)
    assert sorted(np.concatenate([ids_of(split.x_train), ids_of(split.x_val)])) == list(range(500))


def test_without_train_size_all_samples_are_used():
    x, t = samples(1000)

    split = validation_split(x, t, val_fraction=0.25)

    assert (split.train_size, split.val_size) == (750, 250)


def test_train_and_validation_are_disjoint_and_labels_follow_their_images():
    x, t = samples(1000)

    split = validation_split(x, t, train_size=500, seed=3)

    assert set(ids_of(split.x_train)).isdisjoint(ids_of(split.x_val))
    np.testing.assert_array_equal(split.t_train, ids_of(split.x_train) % 10)
    np.testing.assert_array_equal(split.t_val, ids_of(split.x_val) % 10)


def test_samples_are_shuffled():
    x, t = samples(1000)

    split = validation_split(x, t, train_size=500)

    assert ids_of(split.x_val).tolist() != list(range(100))


@pytest.mark.parametrize("seed", [0, 7, [1, 2, 3]])
def test_same_seed_gives_the_same_split(seed):
    x, t = samples(500)

    first = validation_split(x, t, seed=seed)
    second = validation_split(x, t, seed=seed)

    np.testing.assert_array_equal(first.x_train, second.x_train)
    np.testing.assert_array_equal(first.t_val, second.t_val)


def test_another_seed_gives_another_split():
    x, t = samples(500)

    first = validation_split(x, t, seed=0)
    second = validation_split(x, t, seed=1)

    assert set(ids_of(first.x_val)) != set(ids_of(second.x_val))


def test_inputs_are_left_unchanged():
    x, t = samples(500)
    x_before, t_before = x.copy(), t.copy()

    split = validation_split(x, t, train_size=300)
    split.x_train[:] = -1
    split.t_val[:] = -1

    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(t, t_before)


@pytest.mark.parametrize("val_fraction", [0, 1, -0.1, 1.5, float("nan")])
def test_val_fraction_outside_the_open_unit_interval_is_rejected(val_fraction):
    x, t = samples(100)

    with pytest.raises(ConfigError, match="val_fraction must be between 0 and 1"):
        validation_split(x, t, val_fraction=val_fraction)


@pytest.mark.parametrize("train_size", [-1, 0, 1, 101])
def test_train_size_out_of_range_is_rejected(train_size):
    x, t = samples(100)

    with pytest.raises(
        ConfigError, match=f"train_size must be between 2 and 100, got {train_size}"
    ):
        validation_split(x, t, train_size=train_size)


def test_an_empty_validation_set_is_rejected():
    x, t = samples(100)

    with pytest.raises(ConfigError, match="leaves 0 for validation"):
        validation_split(x, t, train_size=4, val_fraction=0.2)


def test_images_and_labels_must_have_the_same_length():
    x, t = samples(100)

    with pytest.raises(ConfigError, match="100 samples but 99 labels"):
        validation_split(x, t[:99])
