"""examples/simple_convnet.py: its im2col against a loop, its layers' and the whole
net's gradients against central differences (float64, tiny shapes), and its search
from the command line on the tiny MNIST."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from examples.convnet_layers import Convolution, Pooling, col2im, im2col
from examples.simple_convnet import SimpleConvNet
from hpsearch.store.status import TrialStatus
from trainer.gradient import numerical_gradient

#: (stride, pad) of the windows checked: the book's, strided, padded, both.
WINDOWS = [(1, 0), (2, 0), (1, 1), (2, 1)]


def padded(x: np.ndarray, pad: int) -> np.ndarray:
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))


@pytest.mark.parametrize(("stride", "pad"), WINDOWS)
def test_im2col_holds_each_window_as_a_row_and_col2im_is_its_transpose(stride, pad):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 7, 6))
    cols = im2col(x, 3, 2, stride, pad)
    windows = padded(x, pad)
    oh, ow = (7 + 2 * pad - 3) // stride + 1, (6 + 2 * pad - 2) // stride + 1
    expected = [
        windows[n, :, i * stride : i * stride + 3, j * stride : j * stride + 2].reshape(-1)
        for n in range(2)
        for i in range(oh)
        for j in range(ow)
    ]
    np.testing.assert_array_equal(cols, np.array(expected))
    y = rng.standard_normal(cols.shape)  # <im2col(x), y> = <x, col2im(y)>
    np.testing.assert_allclose(np.sum(cols * y), np.sum(x * col2im(y, x.shape, 3, 2, stride, pad)))


@pytest.mark.parametrize(("stride", "pad"), WINDOWS)
def test_convolution_forward_is_the_cross_correlation_of_each_filter(stride, pad):
    rng = np.random.default_rng(1)
    x, W, b = rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((4, 3, 3, 3)), rng.random(4)
    out = Convolution(W, b, stride, pad).forward(x)
    windows = padded(x, pad)
    size = (6 + 2 * pad - 3) // stride + 1
    expected = np.empty((2, 4, size, size))
    for n, f, i, j in np.ndindex(expected.shape):
        window = windows[n, :, i * stride : i * stride + 3, j * stride : j * stride + 3]
        expected[n, f, i, j] = np.sum(window * W[f]) + b[f]
    np.testing.assert_allclose(out, expected, rtol=1e-12)


def check_layer_gradients(layer, x: np.ndarray, parameters: dict[str, str]) -> None:
    """``backward`` against central differences of ``sum(forward(x) * weights)``, for
    the input and for each parameter (an attribute, and the one its gradient is in)."""
    weights = np.random.default_rng(2).standard_normal(layer.forward(x).shape)

    def loss() -> float:
        return float(np.sum(layer.forward(x) * weights))

    loss()
    dx = layer.backward(weights)
    np.testing.assert_allclose(dx, numerical_gradient(loss, x, h=1e-5), rtol=1e-6, atol=1e-8)
    for name, gradient_name in parameters.items():
        numerical = numerical_gradient(loss, getattr(layer, name), h=1e-5)
        np.testing.assert_allclose(getattr(layer, gradient_name), numerical, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(("stride", "pad"), WINDOWS)
def test_convolution_gradients_match_central_differences(stride, pad):
    rng = np.random.default_rng(3)
    layer = Convolution(rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3), stride, pad)
    check_layer_gradients(layer, rng.standard_normal((2, 2, 6, 5)), {"W": "dW", "b": "db"})


@pytest.mark.parametrize(("size", "stride", "height"), [(2, 2, 6), (2, 2, 7), (3, 1, 6)])
def test_pooling_gradient_matches_central_differences(size, stride, height):
    """Distinct inputs far apart, so that no nudge changes a window's maximum; a height
    of 7 leaves its last row out of every window, a stride of 1 overlaps the windows."""
    rng = np.random.default_rng(4)
    shape = (2, 3, height, 6)
    x = rng.permutation(np.prod(shape)).reshape(shape) / 10.0
    pooled = Pooling(size, size, stride).forward(x)
    assert pooled.shape[2:] == ((height - size) // stride + 1, (6 - size) // stride + 1)
    check_layer_gradients(Pooling(size, size, stride), x, {})


def test_pooling_takes_each_windows_maximum():
    x = np.arange(2 * 4 * 4, dtype=float).reshape(2, 1, 4, 4)[:, :, ::-1]  # (2, 1, 4, 4)
    out = Pooling(2, 2).forward(x)
    np.testing.assert_array_equal(out, x.reshape(2, 1, 2, 2, 2, 2).max(axis=(3, 5)))


def test_the_whole_nets_gradient_matches_central_differences_with_weight_decay():
    rng = np.random.default_rng(5)
    net = SimpleConvNet(
        (2, 7, 7), filters=3, filter_size=3, pad=1, hidden=6, classes=4,
        weight_decay=0.1, rng=rng, dtype=np.float64,
    )  # fmt: skip
    x, t = rng.standard_normal((3, 2, 7, 7)), np.array([0, 3, 1])
    _, grads = net.loss_and_gradient(x, t)
    assert set(grads) == set(net.params) == {"W1", "b1", "W2", "b2", "W3", "b3"}
    for key, param in net.params.items():
        numerical = numerical_gradient(lambda: net.loss(x, t, train=True), param, h=1e-5)
        np.testing.assert_allclose(grads[key], numerical, rtol=1e-5, atol=1e-8, err_msg=key)


def test_the_net_computes_in_float32_and_learns_a_tiny_set():
    """Twenty samples of 1x28x28, fitted in 60 steps of Adam: every parameter stays
    float32, and the training accuracy goes from chance to all."""
    from trainer import make_optimizer

    rng = np.random.default_rng(6)
    net = SimpleConvNet(filters=4, hidden=20, rng=rng)
    x, t = rng.random((20, 1, 28, 28), dtype=np.float32), np.arange(20) % 10
    optimizer = make_optimizer("adam", lr=1e-2)
    for _ in range(60):
        loss, grads = net.loss_and_gradient(x, t)
        optimizer.update(net.params, grads)
    assert {param.dtype for param in net.params.values()} == {np.dtype(np.float32)}
    assert net.predict(x).dtype == np.float32
    assert net.evaluate(x, t)[1] == 1.0


def test_the_convnet_is_searched_over_optimizers_then_narrowed(cli, db_path):
    started = cli(
        "start", "conv", "--objective", "examples.simple_convnet:train", "--seed", "1",
        "--lr", "1e-3", "3e-2", "--weight-decay", "1e-6", "1e-3", "--search", "optimizer=sgd,adam",
        "--epochs", "2", "--pruner", "none", "--trials", "4", "--workers", "2",
        "--set", "samples=300", "--set", "verify=false", "--set", "filters=4", "--set", "hidden=20",
        "-q",
    )  # fmt: skip
    assert started.exit_code == 0, started.output
    narrowed = cli("narrow", "conv", "-k", "2", "--trials", "2", "--workers", "1", "-q")
    assert narrowed.exit_code == 0, narrowed.output
    with sqlite3.connect(db_path) as connection:
        trials = connection.execute("SELECT id, status, value FROM trials").fetchall()
        reported = connection.execute(
            "SELECT trial_id, epoch, value FROM trial_metrics WHERE name = 'val_accuracy'"
        ).fetchall()
        names = connection.execute("SELECT DISTINCT name FROM trial_metrics ORDER BY name")
        assert [name for (name,) in names] == [
            "train_accuracy", "train_loss", "val_accuracy", "val_loss",
        ]  # fmt: skip
        optimizers = connection.execute(
            "SELECT DISTINCT value_text FROM trial_params WHERE name = 'optimizer'"
        ).fetchall()
    assert len(trials) == 6
    assert all(status == TrialStatus.COMPLETED for _, status, _ in trials)
    last = {trial_id: value for trial_id, epoch, value in reported if epoch == 2}
    assert len(reported) == 12 and last == {trial_id: value for trial_id, _, value in trials}
    assert {text for (text,) in optimizers} <= {"sgd", "adam"}
    assert max(value for _, _, value in trials) > 0.5  # chance is 0.1
