"""A worker's side of the batch rule: a claimed trial of a learning round waits for the
trials before its batch, then is sampled from them.

A round whose sampler learns (:mod:`hpsearch.space.samplers`) has its first batch
sampled when it is created; a later trial has no values until the worker that claims
it samples them. It waits, in short read-only transactions and holding no lock, as a
pruning decision does (:mod:`hpsearch.run.order`), until every trial of the round
numbered below its batch's first has finished, then samples from them and the earlier
rounds' trials (:func:`hpsearch.store.observations.trials_before`) and stores the
values, conditional on still owning the trial. It samples the batch in order up to
that trial (each trial's values need those of the batch's trials before it,
:func:`hpsearch.space.samplers.sampled_batch`) and keeps what it sampled
(:class:`BatchSoFar`): its next claim in the same batch reads nothing and samples only
the trials it has not yet. Workers claim trials in their order,
so the trials it waits for are already claimed, and the lowest unfinished trial of a
round never waits. A wait that cannot end in this run (a trial before it was
interrupted, or runs with its worker gone, seen twice as :class:`GoneWatch` tells)
gives up: the trial is marked interrupted and ``resume`` runs it again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from hpsearch import store
from hpsearch.run.order import Decision, GoneWatch, wait_for_decision
from hpsearch.run.reports import Claim, WorkerStats
from hpsearch.space.domains import Value
from hpsearch.space.samplers import LearnedTrial, Sampling, sampled_params
from hpsearch.space.sampling import SearchSpace, TrialParams
from hpsearch.store import queue
from hpsearch.store.models import Round
from hpsearch.store.observations import Before, store_sampled, trials_before
from hpsearch.store.retry import Retrying
from hpsearch.store.status import TrialStatus

T = TypeVar("T")
#: Runs a read in a read-only transaction of its own (retried past transient faults).
Reader = Callable[[Callable[[Connection], T]], T]


@dataclass(frozen=True)
class LearningRound:
    """What a worker needs to sample a trial of its round."""

    round_id: int
    round_number: int
    study_seed: int
    space: SearchSpace
    sampling: Sampling
    n_trials: int

    @classmethod
    def of(cls, round_: Round) -> LearningRound:
        study = round_.study
        return cls(
            round_.id, round_.number, study.seed, store.round_space(round_),
            store.round_sampling(round_), round_.n_trials,
        )  # fmt: skip

    def sampled(self, number: int, batch: BatchSoFar) -> TrialParams:
        """Trial ``number``'s values, sampling its batch up to it in order (each trial
        needs the values of the batch's trials before it, pending) and keeping them."""
        while len(batch.sampled) <= number - batch.start:
            pending = [params.values for params in batch.sampled]
            batch.sampled.append(
                sampled_params(
                    self.sampling,
                    self.study_seed,
                    self.round_number,
                    batch.start + len(batch.sampled),
                    self.space,
                    batch.learned,
                    pending,
                )
            )
        return batch.sampled[number - batch.start]

    def needs_sampling(self, number: int, values: dict) -> bool:
        """Whether a claimed trial has yet to be sampled (a later batch's, not stored)."""
        return self.sampling.learns and self.sampling.batch_start(number) > 0 and not values


@dataclass
class BatchSoFar:
    """A batch as one worker has sampled it so far: the finished trials its trials learn
    from, and the values of its first trials, in order. Its next claim in the batch
    reads nothing and samples only the trials it has not yet."""

    start: int
    learned: list[LearnedTrial]
    sampled: list[TrialParams] = field(default_factory=list)


def decision(before: Before, watch: GoneWatch) -> Decision:
    """Whether a trial can be sampled from what ``before`` shows, must wait, or gives up."""
    if before.interrupted:
        return Decision.GIVE_UP
    if before.gone and watch.confirms(before.gone):
        return Decision.GIVE_UP
    return Decision.WAIT if before.pending else Decision.CONTINUE


def learned_when_ready(
    learning: LearningRound, number: int, read: Reader, stopping: Callable[[], bool]
) -> BatchSoFar | None:
    """Trial ``number``'s batch, once the trials before it have finished (none of it
    sampled yet); None when the wait gives up (or the worker is asked to stop)."""
    start = learning.sampling.batch_start(number)
    seen: list[Before] = []

    def ask(watch: GoneWatch) -> Decision:
        before = read(lambda connection: trials_before(connection, learning.round_id, start))
        answer = decision(before, watch)
        if answer is Decision.CONTINUE:
            seen.append(before)
        return answer

    if wait_for_decision(ask, stopping) is Decision.GIVE_UP:
        return None
    return BatchSoFar(start, seen[-1].learned)


class Sampled:
    """The worker's part of the batch rule (mixed into :class:`~hpsearch.run.worker.Worker`):
    a claim of a trial still to be sampled gets its values here before it trains."""

    learning: LearningRound
    reader: Engine
    factory: sessionmaker[Session]
    retrying: Retrying
    stats: WorkerStats
    abandoned: bool
    #: The batch this worker sampled last, as far as it did: its later trials learn from
    #: the same finished trials, so a next claim among them reads none.
    batch: BatchSoFar | None = None

    def stopping(self) -> bool:
        raise NotImplementedError

    def finish(self, claim: Claim, outcome: queue.Outcome) -> bool:
        raise NotImplementedError

    def sampled(self, claim: Claim) -> Claim | None:
        """The claim with its values: a later batch's trial of a learning round waits for
        the trials before its batch and is sampled from them; None when the wait gives
        up (the trial is marked interrupted, the worker stops claiming) or the trial
        was taken over."""
        if not self.learning.needs_sampling(claim.number, claim.spec.values):
            return claim
        started = time.perf_counter()
        start = self.learning.sampling.batch_start(claim.number)
        if self.batch is None or self.batch.start != start:
            self.batch = learned_when_ready(self.learning, claim.number, self.read, self.stopping)
        if self.batch is None:
            self.stats.sample_seconds += time.perf_counter() - started
            self.finish(claim, queue.Outcome(TrialStatus.INTERRUPTED, 0))
            self.abandoned = True
            return None
        params = self.learning.sampled(claim.number, self.batch)
        self.stats.sample_seconds += time.perf_counter() - started
        if not self.retrying(partial(self._store_sampled, claim, params.values)):
            self.stats.lost += 1
            return None
        return replace(claim, spec=replace(claim.spec, values=params.values))

    def read(self, query: Callable[[Connection], T]) -> T:
        """``query`` in a read-only transaction of its own, retried past transient faults."""

        def once(retried: bool) -> T:
            with self.reader.begin() as connection:
                return query(connection)

        return self.retrying(once)

    def _store_sampled(self, claim: Claim, values: dict[str, Value], retried: bool) -> bool:
        with self.factory.begin() as session:  # a retry finds its values stored: the same
            return store_sampled(session, claim.spec.id, claim.attempt, values)
