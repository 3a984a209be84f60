"""The options of how a round treats its trials: its pruner, and its sampler with its batch
(:class:`SampledBy`, a group of options as :mod:`hpsearch.cli.options` defines them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import typer

from hpsearch.cli.choices import Pruner, Sampler, word
from hpsearch.space.samplers import DEFAULT_BATCH, RANDOM, Sampling
from hpsearch.store.observations import Before

PrunerName = Annotated[
    Pruner, typer.Option("--pruner", case_sensitive=False, help="Stop hopeless trials early.")
]
NarrowPruner = Annotated[
    Pruner | None,
    typer.Option(
        "--pruner",
        case_sensitive=False,
        show_default="as the last round",
        help="Stop hopeless trials early.",
    ),
]
SamplerName = Annotated[
    Sampler | None,
    typer.Option(
        "--sampler",
        case_sensitive=False,
        show_default="random; narrow: as the last round",
        help="Sample trials at random, or learn from the trials before them (tpe).",
    ),
]
SamplerBatch = Annotated[
    int | None,
    typer.Option(
        "--sampler-batch",
        min=1,
        show_default=f"{DEFAULT_BATCH}; narrow: as the last round",
        help="Trials that learn from the same earlier ones (whatever --workers).",
    ),
]


@dataclass(frozen=True)
class SampledBy:
    """How a round samples its trials, as typed on the command line (None: not given)."""

    sampler: SamplerName = None
    sampler_batch: SamplerBatch = None

    @property
    def given(self) -> bool:
        return self.sampler is not None or self.sampler_batch is not None

    def sampling(self, parent: Sampling = RANDOM) -> Sampling:
        """The sampling asked for, what is not given taken from ``parent``."""
        sampler = word(self.sampler) if self.sampler is not None else parent.sampler
        return Sampling(sampler, self.sampler_batch or parent.batch)


#: Not given: a new study samples at random, a narrowed round as the round it narrows.
DEFAULT_SAMPLED = SampledBy()


def learned_from(sampling: Sampling, before: Before | None = None) -> str:
    """What a learning round's first batch learns from (``before``: the trials of the
    study's rounds so far, None for a new study), and the later batches."""
    batch = sampling.batch
    later = f"each later batch of {batch} learns from the trials before it, too"
    if before is None or not before.learned:
        first = f"trials 0-{batch - 1} are sampled at random (nothing to learn from yet)"
    else:
        rounds = ", ".join(str(number) for number in before.rounds)
        first = (
            f"trials 0-{batch - 1} learn from the {before.trial_count} finished trials of "
            f"round(s) {rounds}, ranked at epoch {before.fidelity}"
        )
    return f"Sampler {sampling}: {first}; {later}."
