"""Weight initialisation: the standard deviation of the Gaussian a weight matrix is drawn from."""

from __future__ import annotations

import math

from trainer.errors import ConfigError

#: Names accepted by :func:`weight_scale`, with the factor under the square root.
SCALE_NAMES = {"he": 2.0, "relu": 2.0, "xavier": 1.0, "sigmoid": 1.0}

WeightInit = float | str


def weight_scale(weight_init: WeightInit, fan_in: int) -> float:
    """Standard deviation for a layer with ``fan_in`` inputs.

    A number is used as it is (the book's ``weight_init_std=0.01``); ``"he"`` or
    ``"relu"`` give sqrt(2 / fan_in) and ``"xavier"`` or ``"sigmoid"`` sqrt(1 / fan_in).
    """
    if isinstance(weight_init, str):
        try:
            factor = SCALE_NAMES[weight_init.lower()]
        except KeyError:
            valid = ", ".join(sorted(SCALE_NAMES))
            raise ConfigError(
                f"unknown weight init {weight_init!r}: use a number or one of {valid}"
            ) from None
        return math.sqrt(factor / fan_in)
    std = float(weight_init)
    if not std > 0 or not math.isfinite(std):
        raise ConfigError(f"weight init standard deviation must be > 0, got {weight_init}")
    return std
