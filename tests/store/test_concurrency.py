"""Many writers on one SQLite store, a reader in a loop, and commands that would collide."""

import multiprocessing
import os
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import psutil
import pytest
from sqlalchemy import func, select

from hpsearch import store
from hpsearch.errors import RoundBusy
from hpsearch.search import steps
from hpsearch.settings import StudySettings
from hpsearch.space.sampling import BOOK_SPACE
from hpsearch.store import queue
from hpsearch.store.models import EpochMetric, Trial
from hpsearch.store.schema import open_store
from hpsearch.store.status import TrialStatus
from queue_load import run_load, write_data
from tests.support import TINY_SEARCH
from trainer import EpochMetrics

WRITERS = 8
EPOCHS = 60


def write_trial(db: str, trial_id: int, start) -> None:
    """One process storing every epoch of one trial, each in its own transaction."""
    factory = open_store(db)
    start.wait()
    for epoch in range(1, EPOCHS + 1):
        with factory.begin() as session:
            metrics = EpochMetrics(epoch, 1.0 / epoch, epoch / 100, 1.0, epoch / 100, 0.001)
            queue.record_epoch(session, trial_id, metrics)
    with factory.begin() as session:
        queue.finish_trial(
            session, trial_id, queue.Outcome(TrialStatus.COMPLETED, EPOCHS, final=metrics)
        )


def test_eight_writers_and_a_reporting_reader_lose_nothing(factory, db_path):
    with factory.begin() as session:
        study = store.create_study(session, "stress", 0, StudySettings())
        trial_ids = [t.id for t in store.create_round(session, study, BOOK_SPACE, WRITERS).trials]
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    writers = [
        context.Process(target=write_trial, args=(str(db_path), trial_id, start))
        for trial_id in trial_ids
    ]
    for writer in writers:
        writer.start()
    start.set()
    reports = 0
    while any(writer.is_alive() for writer in writers) or reports == 0:
        report = subprocess.run(
            [sys.executable, "-m", "hpsearch", "report", "stress", "--json", "--db", str(db_path)],
            capture_output=True, text=True,
        )  # fmt: skip
        assert report.returncode == 0, report.stderr
        assert "locked" not in report.stderr
        reports += 1
    for writer in writers:
        writer.join()
    assert [writer.exitcode for writer in writers] == [0] * WRITERS
    assert reports >= 1
    with factory() as session:
        per_trial = dict(
            session.execute(
                select(EpochMetric.trial_id, func.count()).group_by(EpochMetric.trial_id)
            ).all()
        )
        statuses = set(session.scalars(select(Trial.status)))
    assert per_trial == {trial_id: EPOCHS for trial_id in trial_ids}
    assert statuses == {TrialStatus.COMPLETED}


@pytest.fixture
def finished_round(factory):
    with factory.begin() as session:
        study = store.create_study(session, "c", 0, StudySettings())
        round_ = store.create_round(session, study, BOOK_SPACE, 4)
        for trial in round_.trials:
            metrics = EpochMetrics(1, 1.0, 0.5, 1.0, 0.1 * trial.number, 0.01)
            queue.finish_trial(
                session, trial.id, queue.Outcome(TrialStatus.COMPLETED, 1, final=metrics)
            )
    return factory


def test_a_second_narrowing_of_the_same_round_is_refused(finished_round):
    steps.create_narrowed_round(finished_round, "c", 2, 3)
    with pytest.raises(RoundBusy, match="round 1 of 'c' has 3 unfinished trials"):
        steps.create_narrowed_round(finished_round, "c", 2, 3)


def test_resume_is_refused_while_a_live_worker_runs_the_round(finished_round):
    factory = finished_round
    steps.create_narrowed_round(factory, "c", 2, 3)
    with factory.begin() as session:
        round_ = store.latest_round(session, store.get_study(session, "c"))
        trial = queue.claim_trial(session, round_.id, f"{socket.gethostname()}:{os.getpid()}")
    with pytest.raises(RoundBusy, match="is being run by"):
        steps.prepare_resume(factory, "c")
    with factory.begin() as session:  # the worker dies: its trial becomes stale
        session.get(Trial, trial.id).worker = f"{socket.gethostname()}:{2**22 + 7}"
    assert steps.prepare_resume(factory, "c")[1] == 1


def test_resume_takes_a_trial_whose_pid_a_later_process_holds(finished_round):
    factory = finished_round
    steps.create_narrowed_round(factory, "c", 2, 3)
    started = datetime.fromtimestamp(psutil.Process().create_time(), timezone.utc)
    with factory.begin() as session:
        round_ = store.latest_round(session, store.get_study(session, "c"))
        # the claim names this live process, but was made before it started: its claimer
        # died and the system gave its pid to this process
        trial = queue.claim_trial(session, round_.id, f"{socket.gethostname()}:{os.getpid()}")
        trial.started_at = started.replace(tzinfo=None) - timedelta(minutes=5)
    assert steps.prepare_resume(factory, "c") == (round_.id, 1)
    with factory() as session:
        assert session.get_one(Trial, trial.id).status == TrialStatus.PENDING


#: A real `hpsearch` process that imports everything, says it is ready, then waits for
#: the starting signal (a file), so that two of them start their command together.
RACER = """
import os, sys, time
from hpsearch.cli import main
go = sys.argv[1]
open(f"{go}.{os.getpid()}", "w").close()
while not os.path.exists(go):
    time.sleep(0.001)
sys.argv = ["hpsearch", *sys.argv[2:]]
main()
"""


def test_two_narrows_released_together_create_one_round(cli, db_path, tiny_mnist, tmp_path):
    assert cli("start", "race", "--trials", "4", "--workers", "1", "--pruner", "none",
               *TINY_SEARCH).exit_code == 0  # fmt: skip
    go = tmp_path / "go"
    command = ["narrow", "race", "-k", "2", "--trials", "3", "--workers", "1", "-q",
               "--no-verify", "--db", str(db_path), "--data-dir", str(tiny_mnist)]  # fmt: skip
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(go), *command],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(2)
    ]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("go.*"))) < 2 and time.monotonic() < deadline:
        assert all(racer.poll() is None for racer in racers)
        time.sleep(0.01)
    go.touch()  # both are waiting: release them at once
    outputs = [racer.communicate(timeout=300) for racer in racers]
    codes = [racer.returncode for racer in racers]
    assert sorted(codes) == [0, 1], outputs
    _, loser_err = outputs[codes.index(1)]
    [line] = loser_err.strip().splitlines()
    # it lost while planning (it saw the new round) or at the unique (study, number) of rounds
    assert line.startswith(
        ("Error: round 1 of 'race' has 3 unfinished trials",
         "Error: another command created the next round of 'race' at the same time")
    ), line  # fmt: skip
    with sqlite3.connect(db_path) as connection:
        rounds = connection.execute("SELECT number, n_trials, top_k FROM rounds").fetchall()
        statuses = connection.execute(
            "SELECT status, count(*) FROM trials t JOIN rounds r ON r.id = t.round_id"
            " WHERE r.number = 1 GROUP BY status"
        ).fetchall()
    assert rounds == [(0, 4, None), (1, 3, 2)]
    assert statuses == [("completed", 3)]


def test_sixteen_workers_on_sqlite_claim_each_trial_once(tmp_path):
    data = str(write_data(tmp_path / "data"))
    url = f"sqlite:///{tmp_path / 'load.db'}"
    result = run_load(url, workers=16, trials=64, epochs=3, data_dir=data, skip_locked=None)
    assert result.problems == []  # no double claim, no lost epoch, no "database is locked"
