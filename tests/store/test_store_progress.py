"""A study's and a round's progress read in SQL: epochs stored and left, running trials,
the ETA, a round's trials done and its best."""

from __future__ import annotations

import pytest

from hpsearch import store
from hpsearch.settings import StudySettings
from hpsearch.space.sampling import BOOK_SPACE
from hpsearch.store import progress, queue
from hpsearch.store.progress import Progress, RoundProgress
from hpsearch.store.status import TrialStatus
from tests.support import epoch_metrics


@pytest.fixture
def half_run(factory):
    """Study "p" (4 epochs a trial), 3 trials: one completed, one running 2 epochs in,
    one pending. Returns the running trial's id."""
    with factory.begin() as session:
        study = store.create_study(session, "p", 1, StudySettings(epochs=4))
        round_id = store.create_round(session, study, BOOK_SPACE, 3).id
    ids = []
    for epochs in (4, 2):
        with factory.begin() as session:
            trial = queue.claim_trial(session, round_id, "test:1")
            ids.append(trial.id)
            for epoch in range(1, epochs + 1):
                assert queue.record_epoch(session, trial.id, epoch_metrics(epoch), attempt=1)
    with factory.begin() as session:
        done = queue.Outcome(TrialStatus.COMPLETED, 4, final=epoch_metrics(4))
        assert queue.finish_trial(session, ids[0], done)
    return ids[1]


def test_progress_counts_epochs_stored_and_left(factory, half_run):
    with factory() as session:
        so_far = progress.study_progress(session, store.get_study(session, "p"))
    assert so_far.epochs_stored == 6  # 4 + 2
    assert so_far.epochs_left == 2 + 4  # the running trial's 2 more, the pending one's 4
    assert so_far.running == 1
    assert so_far.epoch_seconds == pytest.approx(0.01)  # epoch_metrics' time


def test_eta_is_the_epochs_left_shared_by_the_running_workers():
    assert Progress(10, 2.0, 30, 3).eta_seconds == pytest.approx(20.0)
    assert Progress(10, 2.0, 30, 0).eta_seconds is None  # nothing runs
    assert Progress(0, None, 30, 1).eta_seconds is None  # nothing timed yet


def test_study_trial_is_only_a_trial_of_that_study(factory, half_run):
    with factory.begin() as session:
        other = store.create_study(session, "q", 2, StudySettings())
        store.create_round(session, other, BOOK_SPACE, 1)
    with factory() as session:
        p, q = store.get_study(session, "p"), store.get_study(session, "q")
        assert progress.study_trial(session, p, half_run).id == half_run
        assert progress.study_trial(session, q, half_run) is None
        assert [t.id for t in progress.running_trials(session, p)] == [half_run]
        assert progress.running_trials(session, q) == []


def test_round_progress_counts_the_stored_epochs_of_running_trials(factory, round0):
    with factory.begin() as session:
        running = queue.claim_trial(session, round0, "host:1")
        for epoch in (1, 2, 3):
            queue.record_epoch(session, running.id, epoch_metrics(epoch), attempt=1)
        done = queue.claim_trial(session, round0, "host:1")
        queue.finish_trial(
            session, done.id, queue.Outcome(TrialStatus.COMPLETED, 3, final=epoch_metrics(3, 0.8))
        )
    with factory() as session:
        snapshot = progress.round_progress(session, round0)
    assert [(t.id, t.epochs_run) for t in snapshot.running] == [(running.id, 3)]  # by its id
    assert snapshot.running[0].status == TrialStatus.RUNNING
    assert snapshot.done == 1 and snapshot.total == 6
    assert snapshot.best_val_accuracy == 0.8


def test_a_round_is_done_with_every_trial_that_no_longer_waits():
    counts = {"pending": 2, "running": 1, "completed": 3, "interrupted": 1, "failed": 1}
    snapshot = RoundProgress(0, 8, counts, 0.9, [])
    assert snapshot.done == 5
