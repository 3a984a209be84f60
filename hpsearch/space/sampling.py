"""The search space of a round, and each trial's values and training seed.

A :class:`SearchSpace` holds the learning-rate and weight-decay ranges (always
searched) and any other searched parameters' domains (:mod:`hpsearch.space.domains`).
Every random draw derives from the study seed through ``numpy.random.SeedSequence``
with a spawn key naming its purpose, so trial ``i`` of round ``r`` gets the same
values and training seed however many workers run the round and in whatever order.
The learning rate and weight decay are the first and second draw of the trial's
stream (as they always were); every other parameter draws from a stream of its
own, keyed by its name, so adding or removing one parameter leaves the others'
draws as they were.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np

from hpsearch.errors import UsageError
from hpsearch.space.domains import Domain, FloatRange, Value, label

_SPLIT, _PARAMS, _TRAINING = 0, 1, 2  # spawn-key purposes

#: The ranges' old name, kept for callers: a log-uniform FloatRange.
LogRange = FloatRange


@dataclass(frozen=True)
class SearchSpace:
    """The learning rate and weight decay ranges and the other searched domains."""

    lr: FloatRange
    weight_decay: FloatRange
    others: tuple[Domain, ...] = field(default=())

    def __post_init__(self) -> None:
        names = [d.name for d in self.others]
        for name in ("lr", "weight_decay"):
            if name in names:
                raise UsageError(
                    f"{label(name)} is searched over a range (--search {name}=LOW:HIGH)"
                )
        if len(set(names)) != len(names):
            twice = next(n for n in names if names.count(n) > 1)
            raise UsageError(f"parameter {twice!r} is given twice")
        if "hidden" in names and ({"hidden_size", "hidden_layers"} & set(names)):
            raise UsageError("search hidden (shapes) or hidden_size/hidden_layers, not both")

    def __iter__(self) -> Iterator[Domain]:
        yield self.lr
        yield self.weight_decay
        yield from self.others

    @property
    def names(self) -> list[str]:
        return [domain.name for domain in self]


#: The book's ranges: lr 10^[-6, -2], weight decay 10^[-8, -4].
BOOK_SPACE = SearchSpace(FloatRange(1e-6, 1e-2, "lr"), FloatRange(1e-8, 1e-4, "weight_decay"))


def make_space(
    lr: tuple[float, float],
    weight_decay: tuple[float, float],
    searched: Mapping[str, Domain] | None = None,
) -> SearchSpace:
    """The space of ``--lr``, ``--weight-decay`` and the ``searched`` domains (which may
    replace the two ranges)."""
    searched = dict(searched or {})
    lr_domain = searched.pop("lr", None) or FloatRange(*lr, name="lr")
    decay_domain = searched.pop("weight_decay", None) or FloatRange(*weight_decay, "weight_decay")
    for name, domain in (("lr", lr_domain), ("weight_decay", decay_domain)):
        if not isinstance(domain, FloatRange):
            raise UsageError(f"{label(name)} is searched over a range (--search {name}=LOW:HIGH)")
    assert isinstance(lr_domain, FloatRange) and isinstance(decay_domain, FloatRange)
    return SearchSpace(lr_domain, decay_domain, tuple(searched.values()))


@dataclass(frozen=True)
class TrialParams:
    number: int
    values: dict[str, Value]
    seed: int

    @property
    def lr(self) -> float:
        return float(self.values["lr"])

    @property
    def weight_decay(self) -> float:
        return float(self.values["weight_decay"])


def _sequence(study_seed: int, *key: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(study_seed, spawn_key=key)


def parameter_key(name: str) -> int:
    """A parameter's own spawn key, from its name (stable across runs and machines)."""
    return zlib.crc32(name.encode())


def trial_params(
    study_seed: int, round_number: int, number: int, space: SearchSpace
) -> TrialParams:
    """The sampled values and training seed of one trial."""
    rng = np.random.default_rng(_sequence(study_seed, _PARAMS, round_number, number))
    values: dict[str, Value] = {"lr": space.lr.sample(rng)}
    values["weight_decay"] = space.weight_decay.sample(rng)
    for domain in space.others:
        key = parameter_key(domain.name)
        own = np.random.default_rng(_sequence(study_seed, _PARAMS, round_number, number, key))
        values[domain.name] = domain.sample(own)
    seed = int(_sequence(study_seed, _TRAINING, round_number, number).generate_state(1)[0])
    return TrialParams(number=number, values=values, seed=seed)


def split_seed(study_seed: int) -> np.random.SeedSequence:
    """The seed of the study's train/validation shuffle."""
    return _sequence(study_seed, _SPLIT)
