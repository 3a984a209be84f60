import os
import socket
import subprocess
import time
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hpsearch import store
from hpsearch.errors import StudyExists, StudyNotFound, UsageError
from hpsearch.models import (
    COMPLETED,
    DIVERGED,
    FAILED,
    INTERRUPTED,
    PENDING,
    RUNNING,
    EpochMetric,
    Trial,
    utcnow,
)
from hpsearch.settings import StudySettings
from hpsearch.space import BOOK_SPACE, trial_params
from trainer import EpochMetrics


def metrics(epoch, val=0.5):
    return EpochMetrics(epoch, 1.0, 0.6, 1.1, val, 0.01)


@pytest.fixture
def round0(factory):
    with factory.begin() as session:
        study = store.create_study(session, "s", 3, StudySettings())
        return store.create_round(session, study, BOOK_SPACE, 6).id


def test_a_round_holds_its_sampled_trials_pending(factory, round0):
    with factory() as session:
        trials = session.scalars(select(Trial).where(Trial.round_id == round0)).all()
        assert [t.number for t in trials] == list(range(6))
        assert all(t.status == PENDING for t in trials)
        expected = trial_params(3, 0, 4, BOOK_SPACE)
        assert (trials[4].lr, trials[4].weight_decay, trials[4].seed) == (
            expected.lr, expected.weight_decay, expected.seed,
        )  # fmt: skip


def test_study_names_are_unique(factory, round0):
    with pytest.raises(StudyExists), factory.begin() as session:
        store.create_study(session, "s", 1, StudySettings())
    with pytest.raises(StudyNotFound), factory() as session:
        store.get_study(session, "t")


def test_claims_hand_out_each_trial_once(factory, round0):
    claimed = []
    while True:
        with factory.begin() as session:
            trial = store.claim_trial(session, round0, "host:1")
            if trial is None:
                break
            assert trial.status == RUNNING and trial.worker == "host:1"
            claimed.append(trial.number)
    assert claimed == list(range(6))


def test_an_epoch_is_stored_once(factory, round0):
    with factory.begin() as session:
        trial = store.claim_trial(session, round0, "host:1")
        store.record_epoch(session, trial.id, metrics(1))
    with pytest.raises(IntegrityError), factory.begin() as session:
        store.record_epoch(session, trial.id, metrics(1))
    with factory() as session:
        assert session.get(Trial, trial.id).epochs_run == 1
        assert len(session.scalars(select(EpochMetric)).all()) == 1


def finish_all(factory, round_id, outcomes):
    with factory.begin() as session:
        for number, (status, val) in enumerate(outcomes):
            trial = store.claim_trial(session, round_id, "host:1")
            assert trial.number == number
            final = metrics(3, val) if val is not None else None
            store.finish_trial(session, trial.id, status, epochs_run=3, final=final, best=final)


def test_top_trials_rank_completed_ones_only(factory, round0):
    finish_all(
        factory,
        round0,
        [(COMPLETED, 0.5), (DIVERGED, 0.99), (COMPLETED, 0.9), (FAILED, None),
         (COMPLETED, 0.7), (COMPLETED, 0.9)],
    )  # fmt: skip
    with factory() as session:
        study = store.get_study(session, "s")
        round_ = store.latest_round(session, study)
        assert [t.number for t in store.top_trials(session, round_, 3)] == [2, 5, 4]
        assert [t.number for t in store.leaderboard(session, study)] == [2, 5, 4, 0]
        assert store.best_trial(session, study).number == 2
        with pytest.raises(UsageError, match="more than the 4 completed"):
            store.top_trials(session, round_, 5)
        with pytest.raises(UsageError, match=">= 1"):
            store.top_trials(session, round_, 0)


def test_stale_trials(factory, round0):
    here = socket.gethostname()
    dead_pid = 2**22 + 12345  # above the default pid_max: no such process
    cases = {
        f"{here}:{os.getpid()}": False,  # alive, fresh heartbeat
        f"{here}:{dead_pid}": True,  # its process is gone
        "elsewhere:1": False,  # another host, fresh heartbeat
    }
    with factory() as session:
        trial = session.scalars(select(Trial)).first()
        trial.status = RUNNING
        trial.heartbeat_at = utcnow()
        for worker, stale in cases.items():
            trial.worker = worker
            assert store.is_stale(trial) is stale, worker
        trial.heartbeat_at = utcnow() - store.STALE_AFTER - timedelta(seconds=1)
        assert store.is_stale(trial)  # another host, silent too long
        trial.status = INTERRUPTED
        assert not store.is_stale(trial)


def test_reset_trial_forgets_its_partial_run(factory, round0):
    with factory.begin() as session:
        trial = store.claim_trial(session, round0, "host:1")
        store.record_epoch(session, trial.id, metrics(1))
        store.mark_interrupted(session, [trial.id])
    with factory.begin() as session:
        trial = session.get(Trial, trial.id)
        assert trial.status == INTERRUPTED
        store.reset_trial(session, trial)
    with factory() as session:
        trial = session.get(Trial, trial.id)
        assert (trial.status, trial.epochs_run, trial.worker) == (PENDING, 0, None)
        assert session.scalars(select(EpochMetric)).all() == []


def test_an_unreaped_dead_worker_counts_as_gone():
    child = subprocess.Popen(["true"])  # exits at once; not waited for: a zombie
    deadline = time.monotonic() + 10
    while store._process_alive(child.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not store._process_alive(child.pid)
    assert child.poll() == 0  # it really was a zombie until reaped here
    assert store._process_alive(os.getpid())


def test_progress_counts_the_stored_epochs_of_running_trials(factory, round0):
    from hpsearch.runner import read_progress

    with factory.begin() as session:
        running = store.claim_trial(session, round0, "host:1")
        for epoch in (1, 2, 3):  # no heartbeat: epochs_run stays behind
            store.record_epoch(session, running.id, metrics(epoch), heartbeat=False)
        done = store.claim_trial(session, round0, "host:1")
        store.finish_trial(session, done.id, COMPLETED, epochs_run=3, final=metrics(3, 0.8))
    with factory() as session:
        progress = read_progress(session, round0)
    assert progress.running == [(running.number, 3)]
    assert progress.done == 1 and progress.total == 6
    assert progress.best_val_accuracy == 0.8
