"""The search space: log-uniform ranges, and each trial's parameters and seed.

Every random draw derives from the study seed through ``numpy.random.SeedSequence``
with a spawn key naming its purpose, so trial ``i`` of round ``r`` gets the same
learning rate, weight decay and training seed however many workers run the round
and in whatever order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hpsearch.errors import UsageError

_SPLIT, _PARAMS, _TRAINING = 0, 1, 2  # spawn-key purposes


@dataclass(frozen=True)
class LogRange:
    """A range ``[low, high]`` sampled uniformly in log10 space."""

    low: float
    high: float
    name: str = "range"

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise UsageError(f"{self.name} range must be finite, got [{self.low}, {self.high}]")
        if self.low <= 0 or self.high <= 0:
            raise UsageError(
                f"{self.name} range [{self.low:g}, {self.high:g}] is sampled in log space: "
                "both bounds must be > 0"
            )
        if self.low >= self.high:
            raise UsageError(f"{self.name} range [{self.low:g}, {self.high:g}]: low must be < high")

    @property
    def decades(self) -> float:
        """Width in powers of ten."""
        return math.log10(self.high / self.low)

    def sample(self, rng: np.random.Generator) -> float:
        return float(10 ** rng.uniform(math.log10(self.low), math.log10(self.high)))

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high

    def __str__(self) -> str:
        return f"[{self.low:.3g}, {self.high:.3g}]"


@dataclass(frozen=True)
class SearchSpace:
    lr: LogRange
    weight_decay: LogRange


#: The book's ranges: lr 10^[-6, -2], weight decay 10^[-8, -4].
BOOK_SPACE = SearchSpace(LogRange(1e-6, 1e-2, "lr"), LogRange(1e-8, 1e-4, "weight decay"))


def make_space(lr: tuple[float, float], weight_decay: tuple[float, float]) -> SearchSpace:
    return SearchSpace(LogRange(*lr, name="lr"), LogRange(*weight_decay, name="weight decay"))


@dataclass(frozen=True)
class TrialParams:
    number: int
    lr: float
    weight_decay: float
    seed: int


def _sequence(study_seed: int, *key: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(study_seed, spawn_key=key)


def trial_params(
    study_seed: int, round_number: int, number: int, space: SearchSpace
) -> TrialParams:
    """The sampled parameters and training seed of one trial."""
    rng = np.random.default_rng(_sequence(study_seed, _PARAMS, round_number, number))
    lr = space.lr.sample(rng)
    weight_decay = space.weight_decay.sample(rng)
    seed = int(_sequence(study_seed, _TRAINING, round_number, number).generate_state(1)[0])
    return TrialParams(number=number, lr=lr, weight_decay=weight_decay, seed=seed)


def split_seed(study_seed: int) -> np.random.SeedSequence:
    """The seed of the study's train/validation shuffle."""
    return _sequence(study_seed, _SPLIT)
