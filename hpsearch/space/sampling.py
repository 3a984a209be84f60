"""The search space of a round, and each trial's values and training seed.

A :class:`SearchSpace` is an ordered tuple of domains (:mod:`hpsearch.space.domains`),
one per searched parameter; the learning rate and weight decay are two of them.
Every random draw derives from the study seed through ``numpy.random.SeedSequence``
with a spawn key naming its purpose, so trial ``i`` of round ``r`` gets the same
values and training seed however many workers run the round and in whatever order.
Each parameter draws from a stream of its own, keyed by its name, so adding or
removing one parameter leaves the others' draws as they were; ``lr`` and
``weight_decay`` share the trial's first stream, in that order (:data:`FIRST_DRAWS`),
as every release has drawn them, so a study's rounds sample what they always did.

A conditional parameter (:mod:`hpsearch.space.conditions`) is drawn from its own stream
in every trial, whether it applies or not, and left out of the values of the trials it
does not apply to: whether it applies never shifts another parameter's draws, and adding
one changes no other parameter's values.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from hpsearch.errors import UsageError
from hpsearch.space.conditions import applied_names, check_conditions, with_default_conditions
from hpsearch.space.domains import Domain, FloatRange, Value, label

_SPLIT, _PARAMS, _TRAINING = 0, 1, 2  # spawn-key purposes

#: The ranges' old name, kept for callers: a log-uniform FloatRange.
LogRange = FloatRange

#: Parameters drawn, in this order, from the trial's first stream rather than their own.
FIRST_DRAWS = ("lr", "weight_decay")


@dataclass(frozen=True)
class SearchSpace:
    """The searched parameters' domains, in the order they are shown and stored."""

    domains: tuple[Domain, ...]

    def __post_init__(self) -> None:
        names = self.names
        if len(set(names)) != len(names):
            twice = next(n for n in names if names.count(n) > 1)
            raise UsageError(f"parameter {twice!r} is given twice")
        if "hidden" in names and ({"hidden_size", "hidden_layers"} & set(names)):
            raise UsageError("search hidden (shapes) or hidden_size/hidden_layers, not both")
        check_conditions(self.domains)

    def __iter__(self) -> Iterator[Domain]:
        return iter(self.domains)

    def __len__(self) -> int:
        return len(self.domains)

    def __getitem__(self, name: str) -> Domain:
        domain = self.get(name)
        if domain is None:
            raise KeyError(name)
        return domain

    def get(self, name: str) -> Domain | None:
        return next((domain for domain in self.domains if domain.name == name), None)

    def __contains__(self, name: object) -> bool:
        return name in self.names

    @property
    def names(self) -> list[str]:
        return [domain.name for domain in self.domains]

    @property
    def conditional(self) -> bool:
        """Whether any parameter of the space applies only to some trials."""
        return any(domain.when is not None for domain in self.domains)

    def applied(self, values: Mapping[str, Value]) -> list[str]:
        """The parameters that apply to a trial with ``values``, in the space's order
        (for a model that learns each parameter only from the trials it applied to)."""
        return applied_names(self.domains, values)

    def only_applied(self, values: Mapping[str, Value]) -> dict[str, Value]:
        """``values`` without those of parameters that do not apply to the trial."""
        return {name: values[name] for name in self.applied(values)}


#: The book's ranges: lr 10^[-6, -2], weight decay 10^[-8, -4].
BOOK_LR, BOOK_WEIGHT_DECAY = (1e-6, 1e-2), (1e-8, 1e-4)
BOOK_SPACE = SearchSpace(
    (FloatRange(*BOOK_LR, name="lr"), FloatRange(*BOOK_WEIGHT_DECAY, name="weight_decay"))
)


def make_space(
    lr: tuple[float, float],
    weight_decay: tuple[float, float],
    searched: Mapping[str, Domain] | None = None,
) -> SearchSpace:
    """The space of ``--lr``, ``--weight-decay`` and the ``searched`` domains (which may
    replace the two ranges): lr and weight decay first, then the others as given, the
    optimizer's own settings conditional on the optimizers that take them."""
    searched = dict(searched or {})
    defaults = {"lr": lr, "weight_decay": weight_decay}
    firsts = {
        n: searched.pop(n) if n in searched else FloatRange(*b, name=n) for n, b in defaults.items()
    }
    for name, domain in firsts.items():
        if not isinstance(domain, FloatRange):
            raise UsageError(f"{label(name)} is searched over a range (--search {name}=LOW:HIGH)")
    return SearchSpace(tuple(with_default_conditions([*firsts.values(), *searched.values()])))


def own_space(
    lr: tuple[float, float] | None,
    weight_decay: tuple[float, float] | None,
    searched: Mapping[str, Domain],
) -> SearchSpace:
    """A training function's space: the ``searched`` domains, after the ``lr`` and
    ``weight_decay`` ranges where given, no condition but those written."""
    given = {"lr": lr, "weight_decay": weight_decay}
    firsts = [FloatRange(*b, name=n) for n, b in given.items() if b and n not in searched]
    if not firsts and not searched:
        raise UsageError("the study searches nothing: give --search NAME=SPEC (or --space)")
    return SearchSpace((*firsts, *searched.values()))


@dataclass(frozen=True)
class TrialParams:
    number: int
    values: dict[str, Value]
    seed: int


def _sequence(study_seed: int, *key: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(study_seed, spawn_key=key)


def parameter_key(name: str) -> int:
    """A parameter's own spawn key, from its name (stable across runs and machines)."""
    return zlib.crc32(name.encode())


def trial_params(
    study_seed: int, round_number: int, number: int, space: SearchSpace
) -> TrialParams:
    """The sampled values and training seed of one trial: every parameter is drawn from
    its stream, and only those that apply to the trial are kept."""
    first = np.random.default_rng(_sequence(study_seed, _PARAMS, round_number, number))
    drawn = {name: space[name].sample(first) for name in FIRST_DRAWS if name in space}
    values: dict[str, Value] = {}
    for domain in space:
        if domain.name in drawn:
            values[domain.name] = drawn[domain.name]
            continue
        key = parameter_key(domain.name)
        own = np.random.default_rng(_sequence(study_seed, _PARAMS, round_number, number, key))
        values[domain.name] = domain.sample(own)
    seed = int(_sequence(study_seed, _TRAINING, round_number, number).generate_state(1)[0])
    return TrialParams(number=number, values=space.only_applied(values), seed=seed)


def split_seed(study_seed: int) -> np.random.SeedSequence:
    """The seed of the study's train/validation shuffle."""
    return _sequence(study_seed, _SPLIT)
