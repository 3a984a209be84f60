"""How much memory one trial takes, estimated from its shape before it runs, and the
memory this machine has free.

A trial holds: its data (the training and validation images in the study's dtype), the
network's parameters, their gradients (twice the weights': the weight-decay term makes a
second array), the optimizer's state (none for SGD, one array per parameter for
momentum, Nesterov, AdaGrad and RMSprop, two for Adam), and the activations of one
mini-batch (:data:`ARRAYS_PER_UNIT` arrays per unit and sample: the affine output, the
activation's mask, dropout's, batch norm's) and of one evaluation batch of
:data:`EVALUATION_BATCH` samples. ``tests/space/test_space_memory.py`` compares it with the
memory a real small net allocates.

A space is refused when its largest trial needs more than :data:`MARGIN` of the memory
available (``MemAvailable`` of ``/proc/meminfo``, else ``os.sysconf``'s free pages).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from hpsearch.errors import UsageError
from hpsearch.settings import StudySettings
from hpsearch.space.domains import Choice, IntRange, Value
from hpsearch.space.sampling import SearchSpace
from hpsearch.space.setup import trial_setup

INPUT_SIZE, CLASSES = 784, 10
FULL_TRAINING_SET = 60_000
EVALUATION_BATCH = 10_000  # MultiLayerNet.evaluate's batch
ARRAYS_PER_UNIT = 4
OPTIMIZER_STATES = {"sgd": 0, "momentum": 1, "nesterov": 1, "adagrad": 1, "rmsprop": 1, "adam": 2}
#: The share of the available memory one trial may take.
MARGIN = 0.8
#: The parameters whose value changes a trial's size.
SIZED = ("hidden", "hidden_size", "hidden_layers", "batch_size", "optimizer", "batchnorm")


def trial_bytes(settings: StudySettings, values: Mapping[str, Value]) -> int:
    """The bytes a trial with ``values`` of a study with ``settings`` takes, estimated."""
    setup = trial_setup(settings, values)
    trial = setup.settings
    item = 4 if trial.dtype == "float32" else 8
    sizes = [INPUT_SIZE, *trial.hidden, CLASSES]
    weights = sum(a * b for a, b in zip(sizes, sizes[1:], strict=False))
    units = sum(sizes[1:])
    params = weights + units * (3 if trial.batchnorm else 1)
    state = OPTIMIZER_STATES.get(trial.optimizer, 2) * params
    gradients = params + weights
    samples = trial.train_size or FULL_TRAINING_SET
    data = samples * INPUT_SIZE
    batch = min(trial.batch_size, samples)
    activations = ARRAYS_PER_UNIT * batch * (units + INPUT_SIZE)
    evaluation = 2 * min(EVALUATION_BATCH, samples) * max(sizes)
    return item * (params + state + gradients + data + activations + evaluation)


def largest_trial(settings: StudySettings, space: SearchSpace) -> int:
    """The estimate of the space's largest trial: each sized parameter at the value that
    makes the trial largest (a range's high end, the largest choice)."""
    return trial_bytes(settings, largest_values(settings, space))


def largest_values(settings: StudySettings, space: SearchSpace) -> dict[str, Value]:
    """The values of the space's largest trial's sized parameters."""
    values: dict[str, Value] = {}
    for domain in space:
        if domain.name not in SIZED:
            continue
        candidates = domain.choices if isinstance(domain, Choice) else None
        if isinstance(domain, IntRange):
            candidates = (domain.high,)
        if candidates:
            values[domain.name] = max(
                candidates, key=lambda v: trial_bytes(settings, {**values, domain.name: v})
            )
    return values


def available_bytes() -> int | None:
    """The memory available to new processes (None: this system does not say)."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_fits(settings: StudySettings, space: SearchSpace, available: int | None = None) -> None:
    """Raise UsageError if the space's largest trial cannot fit in :data:`MARGIN` of the
    available memory."""
    available = available_bytes() if available is None else available
    if available is None:
        return
    needed, limit = largest_trial(settings, space), int(MARGIN * available)
    if needed > limit:
        raise UsageError(
            f"the largest trial of this space needs about {needed / 2**30:.1f} GiB, more than "
            f"the {limit / 2**30:.1f} GiB this machine can give it ({MARGIN:.0%} of the memory "
            "available): search smaller networks or batches"
        )
