import numpy as np
import pytest

from trainer.errors import ConfigError
from trainer.optimizers import (
    OPTIMIZERS,
    SGD,
    AdaGrad,
    Adam,
    Momentum,
    Nesterov,
    RMSprop,
    make_optimizer,
)

EPS = 1e-7
P0 = np.array([1.0, -2.0, 0.5])
G1 = np.array([0.3, -0.1, 2.0])
G2 = np.array([-0.2, 0.4, 1.0])


def two_steps(optimizer):
    params = {"w": P0.copy()}
    original = params["w"]
    optimizer.update(params, {"w": G1.copy()})
    after_one = params["w"].copy()
    optimizer.update(params, {"w": G2.copy()})
    assert params["w"] is original  # updated in place
    return after_one, params["w"]


def reference_steps(name):
    """Each optimizer's first two steps written out from its formula."""
    if name == "sgd":
        p1 = P0 - 0.01 * G1
        return p1, p1 - 0.01 * G2
    if name == "momentum":
        v1 = -0.01 * G1
        v2 = 0.9 * v1 - 0.01 * G2
        return P0 + v1, P0 + v1 + v2
    if name == "nesterov":
        v1 = -0.01 * G1
        p1 = P0 + 0.81 * v1 - 1.9 * 0.01 * G1
        v2 = 0.9 * v1 - 0.01 * G2
        return p1, p1 + 0.81 * v2 - 1.9 * 0.01 * G2
    if name == "adagrad":
        h1 = G1**2
        p1 = P0 - 0.01 * G1 / (np.sqrt(h1) + EPS)
        h2 = h1 + G2**2
        return p1, p1 - 0.01 * G2 / (np.sqrt(h2) + EPS)
    if name == "rmsprop":
        h1 = 0.01 * G1**2
        p1 = P0 - 0.01 * G1 / (np.sqrt(h1) + EPS)
        h2 = 0.99 * h1 + 0.01 * G2**2
        return p1, p1 - 0.01 * G2 / (np.sqrt(h2) + EPS)
    if name == "adam":
        m, v, p = np.zeros(3), np.zeros(3), P0.copy()
        out = []
        for t, g in enumerate([G1, G2], start=1):
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g**2
            m_hat, v_hat = m / (1 - 0.9**t), v / (1 - 0.999**t)
            # the book folds the correction into the step: ε is scaled by sqrt(1 - β2^t)
            p = p - 0.001 * m_hat / (np.sqrt(v_hat) + EPS / np.sqrt(1 - 0.999**t))
            out.append(p)
        return tuple(out)
    raise AssertionError(name)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_first_steps_match_the_formula(name):
    got1, got2 = two_steps(make_optimizer(name))
    want1, want2 = reference_steps(name)
    np.testing.assert_allclose(got1, want1, rtol=1e-10)
    np.testing.assert_allclose(got2, want2, rtol=1e-10)


@pytest.mark.parametrize(
    ("cls", "defaults"),
    [
        (SGD, {"lr": 0.01}),
        (Momentum, {"lr": 0.01, "momentum": 0.9}),
        (Nesterov, {"lr": 0.01, "momentum": 0.9}),
        (AdaGrad, {"lr": 0.01}),
        (RMSprop, {"lr": 0.01, "decay_rate": 0.99}),
        (Adam, {"lr": 0.001, "beta1": 0.9, "beta2": 0.999}),
    ],
)
def test_book_defaults(cls, defaults):
    optimizer = cls()
    assert {k: getattr(optimizer, k) for k in defaults} == defaults


@pytest.mark.parametrize(
    ("name", "lr", "steps"),
    [
        ("sgd", 0.95, 100),
        ("momentum", 0.1, 100),
        ("nesterov", 0.1, 100),
        ("adagrad", 1.5, 100),
        ("rmsprop", 0.1, 100),
        ("adam", 0.3, 100),
    ],
)
def test_each_optimizer_minimises_the_books_function(name, lr, steps):
    # f(x, y) = x²/20 + y², minimum at (0, 0), started from (-7, 2) as in the book.
    params = {"x": np.array(-7.0), "y": np.array(2.0)}
    optimizer = make_optimizer(name, lr=lr)
    start = params["x"] ** 2 / 20 + params["y"] ** 2
    for _ in range(steps):
        grads = {"x": params["x"] / 10.0, "y": 2.0 * params["y"]}
        optimizer.update(params, grads)
    end = params["x"] ** 2 / 20 + params["y"] ** 2
    assert end < 0.02 * start
    assert abs(params["x"]) < 1.5 and abs(params["y"]) < 0.3


def test_lookup_is_by_lowercase_name():
    assert isinstance(make_optimizer("Adam"), Adam)
    assert isinstance(make_optimizer("momentum", lr=0.1, momentum=0.5), Momentum)


def test_unknown_optimizer_lists_the_valid_names():
    with pytest.raises(ConfigError, match="sgd, momentum, nesterov, adagrad, rmsprop, adam"):
        make_optimizer("adamw")


def test_unknown_optimizer_parameter_is_a_config_error():
    with pytest.raises(ConfigError, match="sgd"):
        make_optimizer("sgd", momentum=0.9)
