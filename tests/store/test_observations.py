"""What a learning sampler reads: which trials, ranked by the fidelity rule, and when it
must wait or give up."""

import pytest
from sqlalchemy import select

from hpsearch import store
from hpsearch.run.learning import LearningRound, decision, learned_when_ready
from hpsearch.run.order import Decision, GoneWatch
from hpsearch.settings import StudySettings
from hpsearch.space.samplers import Sampling
from hpsearch.space.sampling import make_space
from hpsearch.store import queue
from hpsearch.store.models import Round, Trial
from hpsearch.store.observations import MIN_AT_FIDELITY, fidelity, store_sampled, trials_before
from hpsearch.store.status import TrialStatus
from tests.support import epoch_metrics

SPACE = make_space((1e-4, 1e-1), (1e-8, 1e-4))
TPE = Sampling("tpe", batch=4)


def tpe_round(factory, n_trials=12) -> int:
    with factory.begin() as session:
        study = store.create_study(session, "learn", 0, StudySettings(epochs=8))
        return store.create_round(session, study, SPACE, n_trials, sampling=TPE).id


def finish(factory, round_id, number, status, accuracies):
    """Trial ``number`` run for ``len(accuracies)`` epochs, then ended with ``status``."""
    with factory.begin() as session:
        trial = session.scalar(
            select(Trial).where(Trial.round_id == round_id, Trial.number == number)
        )
        for epoch, accuracy in enumerate(accuracies, 1):
            queue.record_epoch(session, trial.id, epoch_metrics(epoch, accuracy))
        best = max(accuracies, default=None)
        final = accuracies[-1] if accuracies else None
        trial.status, trial.epochs_run = status, len(accuracies)
        trial.val_accuracy, trial.best_val_accuracy = final, best


def test_only_the_first_batch_is_sampled_when_the_round_is_made(factory):
    round_id = tpe_round(factory)
    with factory() as session:
        trials = session.get_one(Round, round_id).trials
        assert [bool(t.params) for t in trials] == [True] * 4 + [False] * 8
        assert (trials[0].round.sampler, trials[0].round.sampler_batch) == ("tpe", 4)


def test_a_trial_waits_for_the_trials_before_its_batch_and_no_others(factory):
    round_id = tpe_round(factory)
    for number in range(3):
        finish(factory, round_id, number, TrialStatus.COMPLETED, [0.5] * 8)
    with factory() as session:
        assert trials_before(session, round_id, 0) == trials_before(session, round_id, 0)
        assert not trials_before(session, round_id, 0).pending  # the first batch: none
        waiting = trials_before(session, round_id, 4)
        assert waiting.pending and not waiting.interrupted and waiting.learned == []
    finish(factory, round_id, 3, TrialStatus.FAILED, [])
    with factory() as session:
        ready = trials_before(session, round_id, 4)
    assert not ready.pending and ready.trial_count == 3  # the failed trial teaches nothing


def test_an_interrupted_trial_before_the_batch_makes_the_wait_give_up(factory):
    round_id = tpe_round(factory)
    for number in range(3):
        finish(factory, round_id, number, TrialStatus.COMPLETED, [0.5] * 8)
    finish(factory, round_id, 3, TrialStatus.INTERRUPTED, [0.5])
    with factory() as session:
        before = trials_before(session, round_id, 4)
    assert before.interrupted and decision(before, GoneWatch()) is Decision.GIVE_UP
    learning = LearningRound(round_id, 0, 0, SPACE, TPE, 12)
    with factory() as session:
        read = lambda query: query(session.connection())  # noqa: E731
        assert learned_when_ready(learning, 5, read, lambda: False) is None


def test_the_fidelity_is_the_highest_epoch_enough_trials_reached():
    assert fidelity([8] * MIN_AT_FIDELITY + [2, 2]) == 8
    assert fidelity([8] * (MIN_AT_FIDELITY - 1) + [2] * 5) == 2
    assert fidelity([8, 2]) == 2  # fewer than the minimum: the epoch all of them reached
    assert fidelity([]) is None


def test_the_fidelity_rule_ranks_trials_at_the_highest_epoch_enough_reached(factory):
    round_id = tpe_round(factory, n_trials=14)
    completed = [0.3 + 0.02 * n for n in range(MIN_AT_FIDELITY)]
    for number, final in enumerate(completed):
        finish(factory, round_id, number, TrialStatus.COMPLETED, [0.2] * 7 + [final])
    finish(factory, round_id, 10, TrialStatus.PRUNED, [0.9, 0.95])  # best early, pruned
    finish(factory, round_id, 11, TrialStatus.DIVERGED, [0.1])
    with factory() as session:
        before = trials_before(session, round_id, 12)
    assert before.fidelity == 8 and before.rounds == (0,)
    ranks = [trial.rank for trial in before.learned]
    assert ranks[:MIN_AT_FIDELITY] == [(8.0, pytest.approx(f)) for f in completed]
    assert ranks[10] == (2.0, pytest.approx(0.95))  # below every trial that reached epoch 8
    assert ranks[11] == (-1.0, 0.0)  # diverged: last
    assert max(ranks) == ranks[MIN_AT_FIDELITY - 1]
    assert set(before.learned[0].values) == {"lr", "weight_decay"}


def test_sampled_values_are_stored_once_and_only_by_the_attempt_that_owns_the_trial(factory):
    round_id = tpe_round(factory)
    with factory.begin() as session:
        trial = session.scalar(select(Trial).where(Trial.round_id == round_id, Trial.number == 5))
        trial.status, trial.attempt = TrialStatus.RUNNING, 1
    values = {"lr": 0.01, "weight_decay": 1e-6}
    with factory.begin() as session:
        assert not store_sampled(session, trial.id, 2, values)  # another attempt
        assert store_sampled(session, trial.id, 1, values)
        assert store_sampled(session, trial.id, 1, {"lr": 0.02, "weight_decay": 1e-5})  # retry
    with factory() as session:
        assert store.trial_values(session, [trial.id])[trial.id] == values


def test_a_worker_samples_a_batch_as_the_round_samples_its_first_whatever_the_claims():
    from hpsearch.run.learning import BatchSoFar
    from hpsearch.space.domains import format_value
    from hpsearch.space.samplers import LearnedTrial, sampled_batch
    from hpsearch.space.sampling import trial_params

    learned = [
        LearnedTrial(
            {n: format_value(v) for n, v in trial_params(1, 0, i, SPACE).values.items()},
            (1.0, float(i % 7)),
        )
        for i in range(20)
    ]
    whole = sampled_batch(TPE, 5, 1, range(4, 8), SPACE, learned)
    learning = LearningRound(1, 1, 5, SPACE, TPE, 12)
    batch = BatchSoFar(4, learned)
    assert learning.sampled(6, batch) == whole[2]  # trials 4 and 5 sampled on the way
    assert learning.sampled(5, batch) == whole[1] and learning.sampled(7, batch) == whole[3]
    assert batch.sampled == whole
