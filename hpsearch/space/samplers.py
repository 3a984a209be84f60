"""How a round samples its trials: at random, or learned from the trials before them.

``random``
    Every parameter is drawn from its own seeded stream
    (:func:`hpsearch.space.sampling.trial_params`), whatever the other trials did.

``tpe``
    Each parameter is learned by a tree-structured Parzen estimator
    (:mod:`hpsearch.space.tpe`) from the trials it applied to, among those the trial
    learns from; a parameter with too few of them (:data:`~hpsearch.space.tpe.N_STARTUP`)
    keeps its random draw, so the first trials of a study are random ones.

**The batch rule.** A round's trials are cut in batches of ``batch`` (a round setting,
whatever the number of workers). Trial ``i`` learns from the trials of the study's
earlier rounds and from those of its own round numbered below its batch's first
(:meth:`Sampling.batch_start`), and from nothing else; a worker that claims it waits
until those have all finished. The batch's trials before ``i`` count as pending: their
values, sampled the same way, count as bad ones (:func:`sampled_batch`), so that a batch
spreads out. So trial ``i``'s values depend only on the study seed and on the results
of trials before it in the round's order: a round stores the same values and results
with 1, 2 or 3 workers, and after an interrupted run is resumed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from hpsearch.errors import UsageError
from hpsearch.space.domains import Choice, Domain, IntRange, Value, format_value
from hpsearch.space.sampling import (
    SearchSpace,
    TrialParams,
    drawn_values,
    learned_stream,
    training_seed,
    trial_params,
)
from hpsearch.space.tpe import Observation, learned_value

SAMPLERS = ("random", "tpe")
#: Trials of a batch: each learns from the trials before its batch's first.
DEFAULT_BATCH = 10


@dataclass(frozen=True)
class Sampling:
    """A round's sampler and its batch (which only a learning sampler uses)."""

    sampler: str = "random"
    batch: int = DEFAULT_BATCH

    def __post_init__(self) -> None:
        if self.sampler not in SAMPLERS:
            raise UsageError(
                f"unknown sampler {self.sampler!r}: choose one of {', '.join(SAMPLERS)}"
            )
        if self.batch < 1:
            raise UsageError(f"sampler batch must be >= 1, got {self.batch}")

    @property
    def learns(self) -> bool:
        """Whether a trial's values depend on the results of the trials before it."""
        return self.sampler != "random"

    def batch_start(self, number: int) -> int:
        """The first trial of trial ``number``'s batch: it learns from the round's trials
        below it (a random round's trials learn from none)."""
        return (number // self.batch) * self.batch if self.learns else 0

    def __str__(self) -> str:
        return f"{self.sampler} (batch {self.batch})" if self.learns else self.sampler


RANDOM = Sampling()


@dataclass(frozen=True)
class LearnedTrial:
    """A trial a sampler learns from: its stored values (as ``trial_params.value_text``
    holds them, of the parameters that applied to it) and its rank, higher better."""

    values: Mapping[str, str]
    rank: tuple[float, float]


def value_reader(domain: Domain) -> Callable[[str], Value | None]:
    """How a stored value (``trial_params.value_text``) reads as a value of ``domain``:
    None when it cannot be one (a choice the round no longer has, a number outside the
    range or of another kind)."""
    if isinstance(domain, Choice):
        return {format_value(choice): choice for choice in domain.choices}.get
    cast = int if isinstance(domain, IntRange) else float
    low, high = domain.low, domain.high

    def read(text: str) -> Value | None:
        try:
            value = cast(text)
        except ValueError:
            return None
        return value if low <= value <= high else None

    return read


def domain_value(domain: Domain, text: str) -> Value | None:
    """A stored value as a value of ``domain`` (see :func:`value_reader`)."""
    return value_reader(domain)(text)


def observations(
    space: SearchSpace, learned: Sequence[LearnedTrial]
) -> dict[str, list[Observation]]:
    """Each parameter's observations: its value in each trial it applied to, where that
    value lies in the parameter's domain, with the trial's rank."""
    seen: dict[str, list[Observation]] = {}
    for domain in space:
        read, name = value_reader(domain), domain.name
        found = ((read(t.values[name]), t.rank) for t in learned if name in t.values)
        seen[name] = [Observation(value, rank) for value, rank in found if value is not None]
    return seen


def sampled_params(
    sampling: Sampling,
    study_seed: int,
    round_number: int,
    number: int,
    space: SearchSpace,
    learned: Sequence[LearnedTrial] = (),
    pending: Sequence[Mapping[str, Value]] = (),
) -> TrialParams:
    """Trial ``number``'s values and training seed: at random, or learned from
    ``learned`` (the trials before its batch, see the module docstring) parameter by
    parameter, each from a stream of its own; ``pending`` are the values of its batch's
    trials before it, which count as bad ones (see :func:`~hpsearch.space.tpe.learned_value`)."""
    if not sampling.learns:
        return trial_params(study_seed, round_number, number, space)
    values = drawn_values(study_seed, round_number, number, space)
    seen = observations(space, learned)
    for domain in space:
        stream = learned_stream(study_seed, round_number, number, domain.name)
        waiting = [trial[domain.name] for trial in pending if domain.name in trial]
        value = learned_value(domain, seen[domain.name], stream, waiting)
        if value is not None:
            values[domain.name] = value
    seed = training_seed(study_seed, round_number, number)
    return TrialParams(number=number, values=space.only_applied(values), seed=seed)


def sampled_batch(
    sampling: Sampling,
    study_seed: int,
    round_number: int,
    numbers: range,
    space: SearchSpace,
    learned: Sequence[LearnedTrial] = (),
) -> list[TrialParams]:
    """The trials ``numbers`` of one batch (from its first), in order: each learned from
    ``learned``, with the values of the batch's trials before it pending."""
    batch: list[TrialParams] = []
    for number in numbers:
        pending = [params.values for params in batch]
        batch.append(
            sampled_params(sampling, study_seed, round_number, number, space, learned, pending)
        )
    return batch
