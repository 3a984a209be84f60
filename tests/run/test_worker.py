"""The worker on its own (in this process), and the pruner through the CLI."""

import sqlite3
import threading
import time
from datetime import datetime, timedelta

import pytest

from hpsearch import store
from hpsearch.data.datasets import DataSource
from hpsearch.errors import RoundBusy
from hpsearch.run import worker as worker_module
from hpsearch.run.pruning import Decision
from hpsearch.run.worker import Worker
from hpsearch.search import steps
from hpsearch.settings import StudySettings
from hpsearch.space.sampling import make_space
from hpsearch.store import liveness, queue
from hpsearch.store.engine import database_url
from hpsearch.store.status import TrialStatus
from tests.support import TINY_SEARCH
from trainer import EpochMetrics, TrainingResult

SETTINGS = StudySettings(train_size=300, epochs=3, batch_size=20, hidden=(20, 20))


class ExplodingPruner:
    """Raises inside the second trial, as a bug or a full disk would."""

    def decides_at(self, epoch):
        return True

    def decide(self, session, trial_id, round_id, epoch, watch=None):
        if trial_id == 2 and epoch == 2:
            raise RuntimeError("boom")
        return Decision.CONTINUE


def test_an_exception_fails_one_trial_and_the_worker_goes_on(factory, db_path, tiny_mnist):
    with factory.begin() as session:
        study = store.create_study(session, "w", 0, SETTINGS)
        round_id = store.create_round(session, study, make_space((1e-2, 1e-1), (1e-8, 1e-6)), 3).id
    source = DataSource(data_dir=str(tiny_mnist), verify=False)
    worker = Worker(database_url(str(db_path)), round_id, source, pruner=ExplodingPruner())
    stats = worker.run()
    assert stats.trials == 2 and len(stats.errors) == 1
    assert stats.errors[0].splitlines()[-1] == "trial 2: RuntimeError: boom"  # by its id
    with sqlite3.connect(db_path) as connection:
        rows = connection.execute(
            "SELECT id, status, error, epochs_run, (SELECT count(*) FROM epoch_metrics"
            " WHERE trial_id = trials.id) FROM trials ORDER BY id"
        ).fetchall()
    assert rows[0][1] == TrialStatus.COMPLETED and rows[2][1] == TrialStatus.COMPLETED
    # the failed trial keeps its message and the epochs it stored before failing (the
    # pruner is asked once epoch 2 is stored)
    assert rows[1][1:] == (TrialStatus.FAILED, "RuntimeError: boom", 2, 2)


def test_asha_prunes_through_the_cli_and_narrowing_still_works(cli, db_path):
    twenty_epochs = [a if a != "3" else "20" for a in TINY_SEARCH]
    result = cli("start", "p", "--trials", "8", "--workers", "2", "--pruner", "asha",
                 *twenty_epochs, "--lr", "1e-5", "1e-1")  # fmt: skip
    assert result.exit_code == 0, result.output
    with sqlite3.connect(db_path) as connection:
        rows = connection.execute(
            "SELECT status, epochs_run, (SELECT count(*) FROM epoch_metrics e"
            " WHERE e.trial_id = t.id) FROM trials t"
        ).fetchall()
        pruner = connection.execute("SELECT pruner FROM rounds").fetchone()[0]
    assert pruner == "asha"
    pruned = [r for r in rows if r[0] == TrialStatus.PRUNED]
    assert pruned, rows  # some trials were stopped at a rung (2 or 8) ...
    assert all(epochs in (2, 8) and stored == epochs for _, epochs, stored in pruned)
    # ... and every completed one ran all 20 epochs
    assert all(r[1:] == (20, 20) for r in rows if r[0] == TrialStatus.COMPLETED)
    assert len(rows) == 8
    result = cli("narrow", "p", "-k", "3", "--dry-run")
    assert result.exit_code == 0, result.output


def one_trial_round(factory) -> int:
    with factory.begin() as session:
        study = store.create_study(session, "long", 0, SETTINGS)
        return store.create_round(session, study, make_space((1e-2, 1e-1), (1e-8, 1e-6)), 1).id


def fake_training(epochs, val, before_epoch=lambda epoch: None):
    """A stand-in for hpsearch.run.training.train_trial: ``before_epoch`` is the epoch's work."""

    def train(settings, split, trial, on_epoch):
        history = []
        for epoch in range(1, epochs + 1):
            before_epoch(epoch)
            history.append(EpochMetrics(epoch, 1.0, val, 1.0, val, 0.01))
            on_epoch(history[-1])
        return TrainingResult("completed", history, epochs)

    return train


def stored_history(db_path):
    with sqlite3.connect(db_path) as connection:
        trial = connection.execute(
            "SELECT status, worker, attempt, epochs_run, val_accuracy FROM trials"
        ).fetchone()
        epochs = connection.execute("SELECT epoch, val_accuracy FROM epoch_metrics ORDER BY epoch")
        return trial, epochs.fetchall()


class Clock:
    """The store's clock, moved on by the test alone: what is stale depends on no timing."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1)

    def __call__(self) -> datetime:
        return self.now


def test_epochs_longer_than_the_stale_limit_keep_the_trial_owned(
    factory, db_path, tiny_mnist, monkeypatch
):
    """Each epoch lasts three stale limits of the store's clock, which moves a quarter of
    a limit at a time and only after the heartbeat thread has beaten: the heartbeat alone
    keeps the trial fresh, and at each step another process would find it running."""
    clock = Clock()
    for module in (liveness, queue):
        monkeypatch.setattr(module, "utcnow", clock)
    monkeypatch.setattr(liveness, "STALE_AFTER", timedelta(minutes=10))
    monkeypatch.setattr(liveness, "HEARTBEAT_EVERY", timedelta(seconds=0.01))
    seen = []

    def one_epoch(epoch):
        for _ in range(12):  # 12 quarters of a stale limit
            clock.now += liveness.STALE_AFTER / 4
            beats = worker.heartbeat.beats
            deadline = time.monotonic() + 60  # a hung heartbeat fails; it does not hang
            while worker.heartbeat.beats < beats + 2:  # the second began after the move
                assert time.monotonic() < deadline, "the heartbeat thread stopped beating"
                time.sleep(0.001)
            with factory() as session:
                running = queue.running_trials(session, round_id)
                seen.append([liveness.is_stale(trial) for trial in running])
            with pytest.raises(RoundBusy, match="is being run by elsewhere:1"):
                steps.prepare_resume(factory, "long")

    monkeypatch.setattr(worker_module, "train_trial", fake_training(3, 0.5, one_epoch))
    round_id = one_trial_round(factory)
    source = DataSource(data_dir=str(tiny_mnist), verify=False)
    # another host's name: the heartbeat decides, not this live pid
    worker = Worker(database_url(str(db_path)), round_id, source, name="elsewhere:1")
    stats = worker.run()

    assert seen == [[False]] * 36  # running and fresh at every step of the 3 epochs
    assert stats.trials == 1 and stats.lost == 0
    trial, epochs = stored_history(db_path)
    assert trial == (TrialStatus.COMPLETED, "elsewhere:1", 1, 3, 0.5)
    assert epochs == [(1, 0.5), (2, 0.5), (3, 0.5)]


def test_every_worker_of_a_run_claims_a_trial_before_any_trains(factory, db_path, tiny_mnist):
    """Three workers on a start line and three trials: each claims one before any of them
    can finish one, so each runs exactly one, however the threads are scheduled."""
    with factory.begin() as session:
        study = store.create_study(session, "line", 0, SETTINGS)
        space = make_space((1e-2, 1e-1), (1e-8, 1e-6))
        round_id = store.create_round(session, study, space, 3).id
    source = DataSource(data_dir=str(tiny_mnist), verify=False)
    start_line = threading.Barrier(3)
    workers = [
        Worker(database_url(str(db_path)), round_id, source, start_line=start_line,
               name=f"elsewhere:{n}")
        for n in range(3)
    ]  # fmt: skip
    threads = [threading.Thread(target=worker.run) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [worker.stats.trials for worker in workers] == [1, 1, 1]
    with sqlite3.connect(db_path) as connection:
        owners = connection.execute("SELECT worker, status FROM trials ORDER BY worker").fetchall()
    assert owners == [(f"elsewhere:{n}", TrialStatus.COMPLETED) for n in range(3)]


def test_a_trial_taken_over_under_a_live_worker_keeps_one_history(
    factory, db_path, tiny_mnist, monkeypatch
):
    # Heartbeats far apart: the writes themselves must find out that the trial is lost.
    monkeypatch.setattr(liveness, "HEARTBEAT_EVERY", timedelta(hours=1))
    first_in_epoch2, second_in_epoch2 = threading.Event(), threading.Event()
    taken_over, first_gone = threading.Event(), threading.Event()

    def first_waits(epoch):
        if epoch == 2:
            first_in_epoch2.set()
            assert taken_over.wait(60)

    def second_waits(epoch):
        if epoch == 2:
            second_in_epoch2.set()
            assert first_gone.wait(60)

    runs = {
        "first": fake_training(3, 0.1, first_waits),
        "second": fake_training(3, 0.9, second_waits),
    }
    monkeypatch.setattr(
        worker_module, "train_trial", lambda *args: runs[threading.current_thread().name](*args)
    )
    round_id = one_trial_round(factory)
    url, source = database_url(str(db_path)), DataSource(data_dir=str(tiny_mnist), verify=False)
    slow, fast = (Worker(url, round_id, source, name=f"elsewhere:{n}") for n in (1, 2))
    first = threading.Thread(target=slow.run, name="first")
    first.start()
    assert first_in_epoch2.wait(60)  # the first worker stored epoch 1 and trains epoch 2
    with factory.begin() as session:  # its host looked gone: resume re-queued the trial
        [trial] = queue.running_trials(session, round_id)
        queue.reset_trial(session, trial)
    second = threading.Thread(target=fast.run, name="second")
    second.start()
    assert second_in_epoch2.wait(60)  # claimed again: running, epoch 1 of the second run in
    taken_over.set()  # the first worker ends its epoch 2 and tries to store it
    first.join(60)
    first_gone.set()
    second.join(60)
    assert not first.is_alive() and not second.is_alive()
    assert (slow.stats.trials, slow.stats.lost, slow.stats.epochs) == (0, 1, 1)
    assert (fast.stats.trials, fast.stats.lost, fast.stats.epochs) == (1, 0, 3)
    trial, epochs = stored_history(db_path)
    assert trial == (TrialStatus.COMPLETED, "elsewhere:2", 2, 3, 0.9)
    assert epochs == [(1, 0.9), (2, 0.9), (3, 0.9)]  # the second run's only


def lost_acknowledgement(write):
    """``write`` whose first try goes through and then fails, as when a connection drops
    between the commit and its acknowledgement: the retry must not write again."""

    def first_try_lost(self, *args):
        *work, retried = args
        result = write(self, *work, retried)
        if not retried:
            raise sqlite3.OperationalError("database is locked")
        return result

    return first_try_lost


def two_trial_round(factory) -> int:
    with factory.begin() as session:
        study = store.create_study(session, "retry", 0, SETTINGS)
        return store.create_round(session, study, make_space((1e-2, 1e-1), (1e-8, 1e-6)), 2).id


def test_a_retried_write_whose_first_try_went_through_writes_nothing_twice(
    factory, db_path, tiny_mnist, monkeypatch
):
    for unit in ("_claim", "write_epoch", "_finish"):
        monkeypatch.setattr(Worker, unit, lost_acknowledgement(getattr(Worker, unit)))
    monkeypatch.setattr(worker_module, "train_trial", fake_training(3, 0.5))
    round_id = two_trial_round(factory)
    source = DataSource(data_dir=str(tiny_mnist), verify=False)
    worker = Worker(database_url(str(db_path)), round_id, source)
    stats = worker.run()
    assert (stats.trials, stats.lost, stats.errors, stats.store_fault) == (2, 0, [], "")
    assert worker.retrying.retries == 2 * (1 + 3 + 1) + 1  # every write once; the last claim
    with sqlite3.connect(db_path) as connection:
        trials = connection.execute("SELECT status, attempt, epochs_run FROM trials").fetchall()
        epochs = connection.execute("SELECT trial_id, epoch FROM epoch_metrics").fetchall()
    assert trials == [(TrialStatus.COMPLETED, 1, 3)] * 2  # each claimed once, ended once
    assert sorted(epochs) == [(t, e) for t in (1, 2) for e in (1, 2, 3)]  # each epoch once


def test_a_store_fault_past_the_retry_window_leaves_the_trial_running_not_failed(
    factory, db_path, tiny_mnist, monkeypatch
):
    def locked(self, claim, metrics, retried):
        if metrics.epoch == 2:
            raise sqlite3.OperationalError("database is locked")
        return write(self, claim, metrics, retried)

    write = Worker.write_epoch
    monkeypatch.setattr(Worker, "write_epoch", locked)
    monkeypatch.setattr(worker_module, "train_trial", fake_training(3, 0.5))
    monkeypatch.setenv("HPSEARCH_STORE_RETRY", "0.5")
    round_id = two_trial_round(factory)
    source = DataSource(data_dir=str(tiny_mnist), verify=False)
    worker = Worker(database_url(str(db_path)), round_id, source)
    stats = worker.run()
    assert stats.errors == [] and stats.trials == 0
    assert stats.store_fault.startswith(f"the store at sqlite:///{db_path} could not be written")
    assert stats.store_fault.endswith("(database is locked)")
    with sqlite3.connect(db_path) as connection:
        trials = connection.execute("SELECT status, epochs_run FROM trials ORDER BY id").fetchall()
    # the trial keeps its stored epoch, left for resume; the worker claimed no other
    assert trials == [(TrialStatus.RUNNING, 1), (TrialStatus.PENDING, 0)]
