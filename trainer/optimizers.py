"""The chapter's optimizers. ``update(params, grads)`` changes the arrays in place.

Defaults are the book's. ``make_optimizer("adam", lr=1e-3)`` looks one up by name.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from trainer.errors import ConfigError

Params = Mapping[str, np.ndarray]

EPSILON = 1e-7


class SGD:
    """``p -= lr * g``."""

    def __init__(self, lr: float = 0.01) -> None:
        self.lr = lr

    def update(self, params: Params, grads: Params) -> None:
        for key, grad in grads.items():
            params[key] -= self.lr * grad


class Momentum:
    """``v = momentum * v - lr * g; p += v``."""

    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        self.lr = lr
        self.momentum = momentum
        self.v: dict[str, np.ndarray] = {}

    def update(self, params: Params, grads: Params) -> None:
        for key, grad in grads.items():
            v = self.v.setdefault(key, np.zeros_like(grad))
            v *= self.momentum
            v -= self.lr * grad
            params[key] += v


class Nesterov:
    """Nesterov's accelerated gradient in the book's form (Bengio et al. 2012):

    ``v = momentum * v - lr * g; p += momentum² * v - (1 + momentum) * lr * g``.
    """

    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        self.lr = lr
        self.momentum = momentum
        self.v: dict[str, np.ndarray] = {}

    def update(self, params: Params, grads: Params) -> None:
        for key, grad in grads.items():
            v = self.v.setdefault(key, np.zeros_like(grad))
            v *= self.momentum
            v -= self.lr * grad
            params[key] += self.momentum * self.momentum * v
            params[key] -= (1 + self.momentum) * self.lr * grad


class AdaGrad:
    """``h += g²; p -= lr * g / (sqrt(h) + ε)``."""

    def __init__(self, lr: float = 0.01) -> None:
        self.lr = lr
        self.h: dict[str, np.ndarray] = {}

    def update(self, params: Params, grads: Params) -> None:
        for key, grad in grads.items():
            h = self.h.setdefault(key, np.zeros_like(grad))
            h += grad * grad
            params[key] -= self.lr * grad / (np.sqrt(h) + EPSILON)


class RMSprop:
    """``h = decay * h + (1 - decay) * g²; p -= lr * g / (sqrt(h) + ε)``."""

    def __init__(self, lr: float = 0.01, decay_rate: float = 0.99) -> None:
        self.lr = lr
        self.decay_rate = decay_rate
        self.h: dict[str, np.ndarray] = {}

    def update(self, params: Params, grads: Params) -> None:
        for key, grad in grads.items():
            h = self.h.setdefault(key, np.zeros_like(grad))
            h *= self.decay_rate
            h += (1 - self.decay_rate) * grad * grad
            params[key] -= self.lr * grad / (np.sqrt(h) + EPSILON)


class Adam:
    """Adam (Kingma & Ba 2015) with bias correction folded into the step size:

    ``m += (1 - β1)(g - m); v += (1 - β2)(g² - v);``
    ``p -= lr * sqrt(1 - β2^t) / (1 - β1^t) * m / (sqrt(v) + ε)``.
    """

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999) -> None:
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.iter = 0
        self.m: dict[str, np.ndarray] = {}
        self.v: dict[str, np.ndarray] = {}

    def update(self, params: Params, grads: Params) -> None:
        self.iter += 1
        lr_t = self.lr * np.sqrt(1.0 - self.beta2**self.iter) / (1.0 - self.beta1**self.iter)
        for key, grad in grads.items():
            m = self.m.setdefault(key, np.zeros_like(grad))
            v = self.v.setdefault(key, np.zeros_like(grad))
            m += (1 - self.beta1) * (grad - m)
            v += (1 - self.beta2) * (grad * grad - v)
            params[key] -= lr_t * m / (np.sqrt(v) + EPSILON)


OPTIMIZERS: dict[str, type] = {
    "sgd": SGD,
    "momentum": Momentum,
    "nesterov": Nesterov,
    "adagrad": AdaGrad,
    "rmsprop": RMSprop,
    "adam": Adam,
}


def optimizer_class(name: str) -> type:
    """The optimizer class for a lowercase name; an unknown name lists the valid ones."""
    try:
        return OPTIMIZERS[name.lower()]
    except KeyError:
        valid = ", ".join(OPTIMIZERS)
        raise ConfigError(f"unknown optimizer {name!r}: choose one of {valid}") from None


def make_optimizer(name: str, **params: float):
    """An optimizer by name, e.g. ``make_optimizer("momentum", lr=0.01)``."""
    cls = optimizer_class(name)
    try:
        return cls(**params)
    except TypeError as exc:
        raise ConfigError(f"bad parameters for optimizer {name!r}: {exc}") from None
