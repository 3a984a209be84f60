import numpy as np
import pytest

from trainer.gradient import numerical_gradient
from trainer.layers import (
    Affine,
    BatchNormalization,
    Dropout,
    Relu,
    Sigmoid,
    SoftmaxWithLoss,
    cross_entropy_error,
    softmax,
)

RTOL = 1e-6


def rng():
    return np.random.default_rng(42)


def check_input_gradient(layer, x, seed_layer=None):
    """backward(dout) against central differences of sum(forward(x) * dout)."""
    dout = rng().standard_normal(layer.forward(x.copy(), train=True).shape)

    def f():
        if seed_layer:
            seed_layer()
        return float(np.sum(layer.forward(x, train=True) * dout))

    numeric = numerical_gradient(f, x, h=1e-5)
    if seed_layer:
        seed_layer()
    layer.forward(x, train=True)
    dout_before = dout.copy()
    analytic = layer.backward(dout)
    np.testing.assert_array_equal(dout, dout_before)  # backward leaves dout alone
    np.testing.assert_allclose(analytic, numeric, rtol=RTOL, atol=1e-8)


def test_affine_gradients():
    r = rng()
    x = r.standard_normal((4, 5))
    W, b = r.standard_normal((5, 3)), r.standard_normal(3)
    layer = Affine(W, b)
    check_input_gradient(layer, x)
    dout = r.standard_normal((4, 3))
    f = lambda: float(np.sum(layer.forward(x) * dout))  # noqa: E731
    layer.forward(x)
    layer.backward(dout)
    np.testing.assert_allclose(layer.dW, numerical_gradient(f, W, 1e-5), rtol=RTOL)
    np.testing.assert_allclose(layer.db, numerical_gradient(f, b, 1e-5), rtol=RTOL)


def test_affine_parameter_backward_gives_the_same_gradients_without_an_input_gradient():
    """A network's first layer computes dW and db only: bit for bit those of backward."""
    r = rng()
    x, dout = r.standard_normal((4, 5)), r.standard_normal((4, 3))
    whole, first = (Affine(r.standard_normal((5, 3)), r.standard_normal(3)) for _ in range(2))
    first.W, first.b = whole.W, whole.b
    whole.forward(x)
    whole.backward(dout)
    first.forward(x)
    assert first.parameter_backward(dout) is None
    np.testing.assert_array_equal(first.dW, whole.dW)
    np.testing.assert_array_equal(first.db, whole.db)


def test_affine_flattens_images_and_restores_their_shape():
    r = rng()
    layer = Affine(r.standard_normal((12, 2)), np.zeros(2))
    x = r.standard_normal((3, 1, 3, 4))
    assert layer.forward(x).shape == (3, 2)
    assert layer.backward(np.ones((3, 2))).shape == (3, 1, 3, 4)


@pytest.mark.parametrize("layer_cls", [Relu, Sigmoid])
def test_activation_gradients(layer_cls):
    x = rng().standard_normal((4, 6))
    x[np.abs(x) < 1e-3] = 0.5  # keep away from ReLU's kink
    check_input_gradient(layer_cls(), x)


def test_sigmoid_saturates_without_nan():
    out = Sigmoid().forward(np.array([[-1000.0, 0.0, 1000.0]]))
    np.testing.assert_allclose(out, [[0.0, 0.5, 1.0]])


@pytest.mark.parametrize("one_hot", [False, True])
def test_softmax_with_loss_gradient(one_hot):
    r = rng()
    x = r.standard_normal((5, 4))
    labels = np.array([0, 3, 1, 1, 2])
    t = np.eye(4)[labels] if one_hot else labels
    layer = SoftmaxWithLoss()
    numeric = numerical_gradient(lambda: layer.forward(x, t), x, h=1e-5)
    layer.forward(x, t)
    np.testing.assert_allclose(layer.backward(), numeric, rtol=RTOL, atol=1e-9)


def test_softmax_is_stable_for_large_logits():
    x = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]])
    y = softmax(x)
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(y.sum(axis=1), 1.0)
    np.testing.assert_allclose(y[0], softmax(np.array([[0.0, 1.0, 2.0]]))[0])
    loss = SoftmaxWithLoss().forward(x, np.array([2, 2]))
    # -log softmax([0, 1, 2])[2] = 0.40760596; the second row is certain: mean of the two
    assert np.isfinite(loss) and loss == pytest.approx(0.40760596 / 2, rel=1e-6)


def test_cross_entropy_of_a_perfect_prediction_is_zero():
    assert cross_entropy_error(np.array([[0.0, 1.0]]), np.array([1])) == pytest.approx(0.0)


def test_batchnorm_gradients():
    r = rng()
    x = r.standard_normal((6, 4)) * 3 + 1
    gamma, beta = r.standard_normal(4), r.standard_normal(4)
    layer = BatchNormalization(gamma, beta)
    check_input_gradient(layer, x)
    dout = r.standard_normal((6, 4))
    f = lambda: float(np.sum(layer.forward(x, train=True) * dout))  # noqa: E731
    layer.forward(x, train=True)
    layer.backward(dout)
    np.testing.assert_allclose(layer.dgamma, numerical_gradient(f, gamma, 1e-5), rtol=RTOL)
    np.testing.assert_allclose(layer.dbeta, numerical_gradient(f, beta, 1e-5), rtol=RTOL)


def test_batchnorm_normalises_in_training_and_uses_running_averages_in_evaluation():
    r = rng()
    x = r.standard_normal((50, 3)) * 4 + 2
    layer = BatchNormalization(np.ones(3), np.zeros(3), momentum=0.9)
    out = layer.forward(x, train=True)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), 1, rtol=1e-6)
    np.testing.assert_allclose(layer.running_mean, 0.1 * x.mean(axis=0))
    np.testing.assert_allclose(layer.running_var, 0.1 * x.var(axis=0))
    expected = (x - layer.running_mean) / np.sqrt(layer.running_var + layer.eps)
    np.testing.assert_allclose(layer.forward(x, train=False), expected)


def test_dropout_gradient_with_a_fixed_mask():
    layer = Dropout(0.4, np.random.default_rng(0))

    def reseed():
        layer.rng = np.random.default_rng(0)

    check_input_gradient(layer, rng().standard_normal((5, 8)), seed_layer=reseed)


def test_dropout_scales_at_train_time_and_is_identity_in_evaluation():
    x = np.ones((2000, 50))
    layer = Dropout(0.3, np.random.default_rng(1))
    out = layer.forward(x, train=True)
    kept = out != 0
    assert kept.mean() == pytest.approx(0.7, abs=0.01)
    np.testing.assert_allclose(out[kept], 1 / 0.7)
    assert out.mean() == pytest.approx(1.0, abs=0.01)
    np.testing.assert_array_equal(layer.forward(x, train=False), x)
