"""How much arithmetic one trial does, estimated from its shape before it runs, and how
long this machine takes for it.

A trial's cost is its matrix products: per epoch, each training sample goes forward
and back through every weight (about 6 floating-point operations a weight: 2 forward,
4 back), and every training and validation sample is evaluated forward once (2 a
weight). :func:`seconds_per_flop` times one product of the network's own shape here, in
the study's dtype on one core, so the estimate is of this machine, not of a nominal one;
everything else a trial does (the optimizer's update, the activations, the store) adds
to it, so the estimate is a floor.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import numpy as np
from threadpoolctl import threadpool_limits

from hpsearch.settings import StudySettings
from hpsearch.space.domains import Value
from hpsearch.space.memory import (
    CLASSES,
    FULL_TRAINING_SET,
    INPUT_SIZE,
    largest_values,
    trial_bytes,
)
from hpsearch.space.sampling import SearchSpace
from hpsearch.space.setup import trial_setup

#: Floating-point operations a weight costs per sample: forward and back, forward only.
TRAINING_FLOPS, EVALUATION_FLOPS = 6, 2


def trial_flops(settings: StudySettings, values: Mapping[str, Value]) -> int:
    """The floating-point operations of the matrix products of a trial with ``values``."""
    trial = trial_setup(settings, values).settings
    sizes = [INPUT_SIZE, *trial.hidden, CLASSES]
    weights = sum(a * b for a, b in zip(sizes, sizes[1:], strict=False))
    samples = trial.train_size or FULL_TRAINING_SET
    train = samples - int(samples * trial.val_fraction)
    per_epoch = weights * (TRAINING_FLOPS * train + EVALUATION_FLOPS * samples)
    return trial.epochs * per_epoch


def seconds_per_flop(dtype: str = "float32", width: int = 256, batch: int = 100) -> float:
    """This machine's time per floating-point operation of a (batch x width) by
    (width x width) product in ``dtype`` on one core, the best of a few tries."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((batch, width)).astype(dtype)
    b = rng.standard_normal((width, width)).astype(dtype)
    best = float("inf")
    with threadpool_limits(limits=1):
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(20):
                a @ b
            best = min(best, (time.perf_counter() - started) / 20)
    return best / (2 * batch * width * width)


def largest_trial_line(settings: StudySettings, space: SearchSpace) -> str:
    """What the space's largest trial takes, estimated before it runs: its memory, its
    arithmetic and how long this machine's matrix products take for it on one core."""
    values = largest_values(settings, space)
    memory, flops = trial_bytes(settings, values), trial_flops(settings, values)
    seconds = flops * seconds_per_flop(settings.dtype)
    return (
        f"The largest trial: about {memory / 2**20:,.0f} MiB and {flops / 1e9:,.1f} GFLOP of "
        f"matrix products, at least {_duration(seconds)} on one core of this machine"
    )


def _duration(seconds: float) -> str:
    for unit, size in (("days", 86400), ("hours", 3600), ("min", 60)):
        if seconds >= 2 * size:
            return f"{seconds / size:,.0f} {unit}"
    return f"{seconds:.1f} s"
