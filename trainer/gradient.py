"""Central-difference numerical gradients, for checking backpropagation."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def numerical_gradient(f: Callable[[], float], x: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """d f / d x by central differences, ``(f(x + h) - f(x - h)) / 2h`` per element.

    ``f`` takes no argument and reads ``x`` itself (as a loss reads its network's
    parameters). ``x`` is perturbed in place and restored exactly.
    """
    grad = np.zeros_like(x)
    flat = x.reshape(-1)  # a view: perturbing it perturbs x
    flat_grad = grad.reshape(-1)
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + h
        f_plus = f()
        flat[i] = original - h
        f_minus = f()
        flat[i] = original
        flat_grad[i] = (f_plus - f_minus) / (2 * h)
    return grad
