import numpy as np
import pytest

from trainer.errors import ConfigError
from trainer.network import MultiLayerNet


def small_net(**options):
    defaults = dict(rng=np.random.default_rng(3))
    return MultiLayerNet(5, [4, 3], 3, **{**defaults, **options})


def sample(n=6, seed=7):
    r = np.random.default_rng(seed)
    return r.standard_normal((n, 5)), r.integers(0, 3, n)


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
@pytest.mark.parametrize("batchnorm", [False, True])
@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_backprop_matches_numerical_gradient(activation, batchnorm, weight_decay):
    net = small_net(activation=activation, batchnorm=batchnorm, weight_decay=weight_decay)
    x, t = sample()
    numeric = net.numerical_gradient(x, t)
    analytic = net.gradient(x, t)
    assert analytic.keys() == net.params.keys() == numeric.keys()
    for key in net.params:
        np.testing.assert_allclose(analytic[key], numeric[key], rtol=1e-5, atol=1e-7, err_msg=key)


def test_parameter_names_and_shapes():
    net = small_net(batchnorm=True)
    shapes = {k: v.shape for k, v in net.params.items()}
    assert shapes == {
        "W1": (5, 4), "b1": (4,), "gamma1": (4,), "beta1": (4,),
        "W2": (4, 3), "b2": (3,), "gamma2": (3,), "beta2": (3,),
        "W3": (3, 3), "b3": (3,),
    }  # fmt: skip


def test_weight_decay_adds_half_lambda_sum_of_squares():
    x, t = sample()
    plain = small_net()
    decayed = small_net(weight_decay=0.5)
    squares = sum(np.sum(plain.params[f"W{i}"] ** 2) for i in (1, 2, 3))
    assert decayed.loss(x, t) == pytest.approx(plain.loss(x, t) + 0.25 * squares)


@pytest.mark.parametrize(
    ("weight_init", "std"),
    [
        ("he", np.sqrt(2 / 400)),
        ("relu", np.sqrt(2 / 400)),
        ("xavier", np.sqrt(1 / 400)),
        ("sigmoid", np.sqrt(1 / 400)),
        (0.01, 0.01),
    ],
)
def test_weight_init_scales(weight_init, std):
    net = MultiLayerNet(400, [300], 10, weight_init=weight_init, rng=np.random.default_rng(0))
    assert net.params["W1"].std() == pytest.approx(std, rel=0.02)
    assert not net.params["b1"].any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept_through_training_steps(dtype):
    net = small_net(dtype=dtype, batchnorm=True)
    x, t = sample()
    loss, grads = net.loss_and_gradient(x.astype(dtype), t)
    assert np.isfinite(loss)
    assert all(g.dtype == dtype for g in grads.values())
    assert all(p.dtype == dtype for p in net.params.values())


def test_same_seed_gives_identical_weights():
    a, b = small_net(), small_net()
    for key in a.params:
        np.testing.assert_array_equal(a.params[key], b.params[key])


def test_evaluate_agrees_with_loss_and_accuracy():
    net = small_net(weight_decay=0.01)
    x, t = sample(n=25)
    loss, accuracy = net.evaluate(x, t, batch_size=7)
    assert loss == pytest.approx(net.loss(x, t))
    assert accuracy == pytest.approx(net.accuracy(x, t))


def test_dropout_only_acts_in_training():
    net = small_net(dropout=0.5)
    x, _ = sample()
    np.testing.assert_array_equal(net.predict(x), net.predict(x))
    assert not np.array_equal(net.predict(x, train=True), net.predict(x, train=True))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"activation": "tanh"}, "unknown activation 'tanh': choose one of relu, sigmoid"),
        ({"weight_init": "glorot"}, "unknown weight init 'glorot'"),
        ({"dropout": 1.0}, "dropout ratio"),
        ({"weight_decay": -1.0}, "weight decay"),
        ({"dtype": np.int32}, "dtype"),
    ],
)
def test_bad_settings_raise_config_error(options, message):
    with pytest.raises(ConfigError, match=message):
        small_net(**options)
