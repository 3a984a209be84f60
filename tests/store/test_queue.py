import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from hpsearch.store import queue
from hpsearch.store.liveness import worker_name
from hpsearch.store.models import EpochMetric, Trial
from hpsearch.store.status import TrialStatus
from tests.support import epoch_metrics


def test_claims_hand_out_each_trial_once(factory, round0):
    claimed = []
    while True:
        with factory.begin() as session:
            trial = queue.claim_trial(session, round0, "host:1")
            if trial is None:
                break
            assert trial.status == TrialStatus.RUNNING and trial.worker == "host:1"
            claimed.append(trial.number)
    assert claimed == list(range(6))


def test_an_epoch_is_stored_once(factory, round0):
    with factory.begin() as session:
        trial = queue.claim_trial(session, round0, "host:1")
        queue.record_epoch(session, trial.id, epoch_metrics(1))
    with pytest.raises(IntegrityError), factory.begin() as session:
        queue.record_epoch(session, trial.id, epoch_metrics(1))
    with factory() as session:
        assert session.get(Trial, trial.id).epochs_run == 1
        assert len(session.scalars(select(EpochMetric)).all()) == 1


def test_reset_trial_forgets_its_partial_run(factory, round0):
    with factory.begin() as session:
        trial = queue.claim_trial(session, round0, "host:1")
        queue.record_epoch(session, trial.id, epoch_metrics(1))
        queue.mark_interrupted(session, [trial.id])
    with factory.begin() as session:
        trial = session.get(Trial, trial.id)
        assert trial.status == TrialStatus.INTERRUPTED
        queue.reset_trial(session, trial)
    with factory() as session:
        trial = session.get(Trial, trial.id)
        assert (trial.status, trial.epochs_run, trial.worker) == (TrialStatus.PENDING, 0, None)
        assert session.scalars(select(EpochMetric)).all() == []


def test_interrupting_workers_marks_only_their_running_trials(factory, round0):
    with factory.begin() as session:
        mine = queue.claim_trial(session, round0, worker_name(1001))
        other = queue.claim_trial(session, round0, worker_name(1002))
        elsewhere = queue.claim_trial(session, round0, "elsewhere:1001")
        assert queue.interrupt_workers(session, round0, [1001, None]) == 1
    with factory() as session:
        statuses = {t.id: t.status for t in session.scalars(select(Trial))}
    assert statuses[mine.id] == TrialStatus.INTERRUPTED
    assert statuses[other.id] == statuses[elsewhere.id] == TrialStatus.RUNNING


def test_running_and_rerunnable_trials(factory, round0):
    with factory.begin() as session:
        first = queue.claim_trial(session, round0, "host:1")
        second = queue.claim_trial(session, round0, "host:1")
        done = queue.claim_trial(session, round0, "host:1")
        queue.record_epoch(session, second.id, epoch_metrics(1))
        queue.mark_interrupted(session, [first.id])
        queue.finish_trial(session, done.id, queue.Outcome(TrialStatus.COMPLETED, 0))
    with factory() as session:
        assert [t.id for t in queue.running_trials(session, round0)] == [second.id]
        assert {t.id for t in queue.rerunnable_trials(session, round0)} == {first.id, second.id}


def test_finish_trial_stores_the_final_and_best_epochs(factory, round0):
    with factory.begin() as session:
        trial = queue.claim_trial(session, round0, "host:1")
        queue.finish_trial(
            session,
            trial.id,
            queue.Outcome(
                TrialStatus.PRUNED, 4, final=epoch_metrics(4, 0.6), best=epoch_metrics(2, 0.7)
            ),
        )
    with factory() as session:
        trial = session.get(Trial, trial.id)
        assert trial.status == TrialStatus.PRUNED and trial.finished_at is not None
        assert (trial.epochs_run, trial.val_accuracy) == (4, 0.6)
        assert (trial.best_epoch, trial.best_val_accuracy) == (2, 0.7)


def test_the_epoch_writer_stores_like_record_epoch(factory, round0):
    with factory.begin() as session:
        trial = queue.claim_trial(session, round0, "host:1")
    with factory.kw["bind"].connect() as connection, connection.begin():
        assert queue.EpochWriter(connection).write(trial.id, 1, epoch_metrics(1, 0.75))
    with factory() as session:
        row = session.scalars(select(EpochMetric)).one()
        assert (row.trial_id, row.epoch, row.val_accuracy) == (trial.id, 1, 0.75)
        assert session.get(Trial, trial.id).epochs_run == 1


@pytest.mark.parametrize("skip_locked", [False, True])
def test_each_claim_is_the_next_attempt_of_the_next_trial(factory, round0, skip_locked):
    claimed = []
    with factory.begin() as session:
        while trial := queue.claim_trial(session, round0, "h:1", skip_locked=skip_locked):
            claimed.append((trial.number, trial.attempt))
            last = trial
        assert queue.claim_trial(session, round0, "h:1", skip_locked=skip_locked) is None
        queue.reset_trial(session, last)
        again = queue.claim_trial(session, round0, "h:2", skip_locked=skip_locked)
    assert claimed == [(number, 1) for number in range(6)]
    assert (again.number, again.attempt, again.worker) == (5, 2, "h:2")


def test_a_worker_that_lost_its_trial_writes_nothing_more(factory, round0):
    with factory.begin() as session:
        first = queue.claim_trial(session, round0, "h:1")
        assert queue.record_epoch(session, first.id, epoch_metrics(1, 0.1), attempt=1)
        queue.reset_trial(session, first)  # taken over: re-queued and claimed again
        second = queue.claim_trial(session, round0, "h:2")
        assert (second.id, second.attempt) == (first.id, 2)
        assert queue.record_epoch(session, first.id, epoch_metrics(1, 0.9), attempt=2)
    old = queue.Outcome(TrialStatus.COMPLETED, 3, final=epoch_metrics(3, 0.1))
    with factory.kw["bind"].connect() as connection, connection.begin():
        assert not queue.beat(connection, first.id, 1)
        assert not queue.EpochWriter(connection).write(first.id, 1, epoch_metrics(2, 0.1))
        assert queue.beat(connection, first.id, 2)
    with factory.begin() as session:
        assert not queue.record_epoch(session, first.id, epoch_metrics(2, 0.1), attempt=1)
        assert not queue.finish_trial(session, first.id, old, attempt=1)
    with factory() as session:
        trial = session.get(Trial, first.id)
        epochs = session.scalars(select(EpochMetric).where(EpochMetric.trial_id == trial.id))
        assert [(e.epoch, e.val_accuracy) for e in epochs] == [(1, 0.9)]
        assert (trial.status, trial.worker, trial.epochs_run) == (TrialStatus.RUNNING, "h:2", 1)
    with factory.begin() as session:
        new = queue.Outcome(TrialStatus.COMPLETED, 1, final=epoch_metrics(1, 0.9))
        assert queue.finish_trial(session, first.id, new, attempt=2)
        assert not queue.finish_trial(session, first.id, new, attempt=2)  # ended already
        assert not queue.beat(session, first.id, 2)


def test_an_interrupted_trial_counts_its_stored_epochs(factory, round0):
    with factory.begin() as session:
        trial = queue.claim_trial(session, round0, "h:1")
        for epoch in (1, 2, 3):
            queue.record_epoch(session, trial.id, epoch_metrics(epoch), attempt=1)
        session.execute(update(Trial).where(Trial.id == trial.id).values(epochs_run=1))
        assert queue.mark_interrupted(session, [trial.id]) == 1
    with factory() as session:
        trial = session.get(Trial, trial.id)
        assert (trial.status, trial.epochs_run) == (TrialStatus.INTERRUPTED, 3)
