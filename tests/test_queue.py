import os
import socket
import subprocess
import time
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from conftest import epoch_metrics
from hpsearch import queue
from hpsearch.models import EpochMetric, Trial, utcnow
from hpsearch.status import TrialStatus


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
        trial.status = TrialStatus.RUNNING
        trial.heartbeat_at = utcnow()
        for worker, stale in cases.items():
            trial.worker = worker
            assert queue.is_stale(trial) is stale, worker
        trial.heartbeat_at = utcnow() - queue.STALE_AFTER - timedelta(seconds=1)
        assert queue.is_stale(trial)  # another host, silent too long
        trial.status = TrialStatus.INTERRUPTED
        assert not queue.is_stale(trial)


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


def test_an_unreaped_dead_worker_counts_as_gone():
    child = subprocess.Popen(["true"])  # exits at once; not waited for: a zombie
    deadline = time.monotonic() + 10
    while queue._process_alive(child.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not queue._process_alive(child.pid)
    assert child.poll() == 0  # it really was a zombie until reaped here
    assert queue._process_alive(os.getpid())


def test_a_worker_is_named_by_host_and_pid():
    assert queue.worker_name() == f"{socket.gethostname()}:{os.getpid()}"
    assert queue.worker_name(42) == f"{socket.gethostname()}:42"


def test_interrupting_workers_marks_only_their_running_trials(factory, round0):
    with factory.begin() as session:
        mine = queue.claim_trial(session, round0, queue.worker_name(1001))
        other = queue.claim_trial(session, round0, queue.worker_name(1002))
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
        queue.record_epoch(session, second.id, epoch_metrics(1), heartbeat=False)
        queue.mark_interrupted(session, [first.id])
        queue.finish_trial(session, done.id, queue.Outcome(TrialStatus.COMPLETED, 0))
    with factory() as session:
        assert [t.id for t in queue.running_trials(session, round0)] == [second.id]
        assert {t.id for t in queue.rerunnable_trials(session, round0)} == {first.id, second.id}
        assert queue.running_epochs(session, round0) == [(second.number, 1)]


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


@pytest.mark.parametrize("heartbeat", [True, False])
def test_the_epoch_writer_stores_like_record_epoch(factory, round0, heartbeat):
    with factory.begin() as session:
        trial = queue.claim_trial(session, round0, "host:1")
    with factory.kw["bind"].connect() as connection, connection.begin():
        queue.EpochWriter(connection).write(trial.id, epoch_metrics(1, 0.75), heartbeat=heartbeat)
    with factory() as session:
        row = session.scalars(select(EpochMetric)).one()
        assert (row.trial_id, row.epoch, row.val_accuracy) == (trial.id, 1, 0.75)
        assert session.get(Trial, trial.id).epochs_run == (1 if heartbeat else 0)
