"""The same search on PostgreSQL, with a second worker process joining the round, many
workers on one server, a round that outlasts a restart of the server and the
termination of its sessions, and one whose server stops and stays down.

Runs when PostgreSQL's server programs and the psycopg driver are installed
(`pip install -e ".[test,postgres]"`); the server is started on 127.0.0.1 for
the tests and stopped after them (benchmarks/postgres_server.py). Skipped
otherwise, unless HPSEARCH_REQUIRE_POSTGRES is set (as CI does): then it fails.
"""

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest
from sqlalchemy import text

from postgres_server import (
    create_database,
    restart,
    server_programs,
    start,
    stop,
)
from queue_load import run_load, write_data
from tests.support import TINY_SEARCH

if os.environ.get("HPSEARCH_REQUIRE_POSTGRES"):
    import psycopg  # noqa: F401  (required: an ImportError fails the run)

    assert server_programs() is not None, "PostgreSQL's server programs are not installed"
else:
    pytest.importorskip("psycopg")
    pytestmark = pytest.mark.skipif(
        server_programs() is None, reason="PostgreSQL server programs not installed"
    )


@pytest.fixture(scope="module")
def postgres_url(postgres_server):
    return postgres_server  # the run's server (conftest.py)


def hpsearch(*args, db, data, env=None):
    return subprocess.Popen(
        [sys.executable, "-m", "hpsearch", *map(str, args), "--db", db, "--data-dir", str(data)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


def wait_for(factory, query, deadline=120):
    """The first row of ``query`` once it has one (None after ``deadline`` seconds)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            with factory() as session:
                row = session.execute(text(query)).first()
            if row is not None:
                return row
        except Exception:  # the schema may not exist yet
            pass
        time.sleep(0.05)
    return None


def test_a_search_on_postgresql_with_a_joining_worker(postgres_url, tiny_mnist):
    from alembic import command
    from sqlalchemy.orm import sessionmaker

    from hpsearch.store.engine import make_engine
    from hpsearch.store.liveness import worker_name
    from hpsearch.store.schema import alembic_config

    slow = [a if a != "2x20" else "2x100" for a in TINY_SEARCH]
    slow = [a if a != "3" else "15" for a in slow]
    # no pruner: a pruned trial of the joiner would wait for the paused one (the order rule)
    start = hpsearch("start", "pg", "--trials", "10", "--workers", "1", "--pruner", "none", *slow,
                     db=postgres_url, data=tiny_mnist)  # fmt: skip
    factory = sessionmaker(make_engine(postgres_url))
    running = wait_for(factory, "SELECT worker FROM trials WHERE status = 'running'")
    assert running is not None, start.communicate()
    # Pause the first worker in the middle of its trial, so that the joining worker
    # surely finds trials to run; let it go on once the joiner has finished one.
    first_pid = int(running.worker.rpartition(":")[2])
    os.kill(first_pid, signal.SIGSTOP)
    try:
        joiner = hpsearch("worker", "pg", "--workers", "1", "-q", "--no-verify",
                          db=postgres_url, data=tiny_mnist)  # fmt: skip
        query = "SELECT worker FROM trials WHERE status = 'completed' AND worker <> '{}'"
        done = wait_for(factory, query.format(running.worker))
    finally:
        os.kill(first_pid, signal.SIGCONT)
    assert done is not None and done.worker != worker_name(first_pid)
    for process in (start, joiner):
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        assert "secret" not in out + err
    with factory() as session:
        statuses = session.execute(text("SELECT status, count(*) FROM trials GROUP BY status"))
        assert dict(statuses.all()) == {"completed": 10}
        by_worker = dict(
            session.execute(text("SELECT worker, count(*) FROM trials GROUP BY worker")).all()
        )
        epochs = session.execute(text("SELECT count(*) FROM epoch_metrics")).scalar()
        attempts = session.execute(text("SELECT DISTINCT attempt FROM trials")).scalars().all()
    assert len(by_worker) == 2 and all(count >= 1 for count in by_worker.values())
    assert by_worker[running.worker] >= 1  # the first worker finished the trial it held
    assert epochs == 10 * 15 and attempts == [1]  # every epoch once: no trial ran twice
    command.check(alembic_config(make_engine(postgres_url)))  # models match migrations


@pytest.mark.parametrize("skip_locked", [False, True], ids=["update", "skip-locked"])
def test_many_workers_claim_each_trial_once(postgres_url, tmp_path, skip_locked):
    db = create_database(postgres_url, f"many_{int(skip_locked)}")
    data = str(write_data(tmp_path / "data"))
    result = run_load(db, workers=8, trials=48, epochs=3, data_dir=data, skip_locked=skip_locked)
    assert result.problems == []
    assert result.claims_per_second > 0


def test_a_worker_that_lost_its_trial_writes_nothing_more_on_postgresql(postgres_url):
    from sqlalchemy.orm import sessionmaker

    from hpsearch import store
    from hpsearch.settings import StudySettings
    from hpsearch.space.sampling import BOOK_SPACE
    from hpsearch.store import queue
    from hpsearch.store.engine import make_engine
    from hpsearch.store.schema import upgrade
    from hpsearch.store.status import TrialStatus
    from tests.support import epoch_metrics

    engine = make_engine(create_database(postgres_url, "ownership"))
    upgrade(engine)
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory.begin() as session:
        study = store.create_study(session, "own", 0, StudySettings())
        round_id = store.create_round(session, study, BOOK_SPACE, 1).id
    with factory.begin() as session:
        first = queue.claim_trial(session, round_id, "h:1")  # FOR UPDATE SKIP LOCKED here
        assert queue.record_epoch(session, first.id, epoch_metrics(1, 0.1), attempt=1)
    with factory.begin() as session:
        queue.reset_trial(session, first)
        second = queue.claim_trial(session, round_id, "h:2")
    assert (second.id, second.attempt) == (first.id, 2)
    with engine.connect() as connection, connection.begin():
        assert not queue.EpochWriter(connection).write(first.id, 1, epoch_metrics(1, 0.1))
        assert not queue.beat(connection, first.id, 1)
        assert queue.EpochWriter(connection).write(first.id, 2, epoch_metrics(1, 0.9))
    done = queue.Outcome(TrialStatus.COMPLETED, 1, final=epoch_metrics(1, 0.9))
    with factory.begin() as session:
        assert not queue.finish_trial(session, first.id, done, attempt=1)
        assert queue.finish_trial(session, first.id, done, attempt=2)
        rows = session.execute(text("SELECT epoch, val_accuracy FROM epoch_metrics")).all()
    assert [tuple(row) for row in rows] == [(1, 0.9)]


#: A round long enough to be cut in its middle: 8 trials of 15 epochs on 2 workers.
ROUND = ["--trials", "8", "--workers", "2", "--pruner", "none",
         *[{"2x20": "2x100", "3": "15"}.get(a, a) for a in TINY_SEARCH]]  # fmt: skip


def stored_results(url):
    """Everything the round stored, without ids, times and workers."""
    from sqlalchemy.orm import sessionmaker

    from hpsearch.store.engine import make_engine

    engine = make_engine(url)
    with sessionmaker(engine)() as session:
        trials = session.execute(text(
            "SELECT t.number, p.name, p.value_num, t.seed, t.status, t.epochs_run,"
            " t.val_accuracy, t.best_val_accuracy, t.best_epoch, t.train_accuracy FROM trials t"
            " JOIN trial_params p ON p.trial_id = t.id ORDER BY t.number, p.name"
        )).all()  # fmt: skip
        epochs = session.execute(text(
            "SELECT t.number, e.epoch, e.train_accuracy, e.val_accuracy, e.train_loss,"
            " e.val_loss FROM epoch_metrics e JOIN trials t ON t.id = e.trial_id"
            " ORDER BY t.number, e.epoch"
        )).all()  # fmt: skip
    engine.dispose()
    return [tuple(row) for row in trials], [tuple(row) for row in epochs]


@pytest.fixture
def uninterrupted(postgres_url, tiny_mnist, request):
    data = tiny_mnist
    case = getattr(request.node, "callspec", None)
    name = case.id if case is not None else request.node.originalname
    db = create_database(postgres_url, f"uninterrupted_{name}"[:63])
    process = hpsearch("start", "pg", *ROUND, db=db, data=data)
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    trials, epochs = stored_results(db)
    assert {row[4] for row in trials} == {"completed"} and len(epochs) == 8 * 15
    return data, (trials, epochs)


def terminate_sessions(url):
    """Cut every session of the database of ``url`` (pg_terminate_backend); how many."""
    from sqlalchemy.orm import sessionmaker

    from hpsearch.store.engine import make_engine

    engine = make_engine(url)
    with sessionmaker(engine).begin() as session:
        cut = session.execute(text(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )).scalar()  # fmt: skip
    engine.dispose()
    return cut


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param("restart", marks=pytest.mark.fault(
            "PostgreSQL restarted under a run", check="same results")),
        pytest.param("terminate", marks=pytest.mark.fault(
            "PostgreSQL sessions terminated under a run", check="same results")),
    ],
)  # fmt: skip
def test_a_round_outlasts_a_restart_and_terminated_sessions(postgres_url, uninterrupted, fault):
    from sqlalchemy.orm import sessionmaker

    from hpsearch.store.engine import make_engine

    data, reference = uninterrupted
    db = create_database(postgres_url, f"cut_by_{fault}")
    process = hpsearch("start", "pg", *ROUND, db=db, data=data)
    engine = make_engine(db)
    first = wait_for(sessionmaker(engine), "SELECT trial_id FROM epoch_metrics")  # mid-round
    assert first is not None, process.communicate()
    engine.dispose()
    if fault == "restart":
        restart(postgres_url)
    else:
        assert terminate_sessions(db) >= 2  # at least each worker's epoch connection
    out, err = process.communicate(timeout=600)
    assert "Traceback" not in err and "Background on this error" not in err
    if process.returncode != 0:  # what the retries could not get past is left to resume
        assert err.strip().splitlines()[-1].endswith("left for `hpsearch resume pg`"), err
        again = hpsearch("resume", "pg", "--workers", "2", "-q", "--no-verify", db=db, data=data)
        out, err = again.communicate(timeout=600)
        assert again.returncode == 0, err
    assert stored_results(db) == reference  # nothing lost, nothing run twice


#: Both workers of a run wait on their first epoch's INSERT: the table lock holds them.
BOTH_WAIT = (
    "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
    " WHERE c.relname = 'epoch_metrics' AND NOT l.granted HAVING count(*) >= 2"
)


@pytest.mark.fault("PostgreSQL stopped under a run, started again later", check="same results")
def test_a_stopped_server_ends_the_run_in_one_line_and_resume_finishes_it(
    postgres_url, uninterrupted
):
    from sqlalchemy.orm import sessionmaker

    from hpsearch.store.engine import make_engine
    from hpsearch.store.schema import upgrade

    data, reference = uninterrupted
    db = create_database(postgres_url, "cut_by_stop")
    engine = make_engine(db)
    upgrade(engine)
    # The server stops mid-round by construction, not by a race with the round's end: a
    # lock on epoch_metrics keeps both workers waiting inside their first epoch's write.
    holder = engine.connect()
    holder.execute(text("LOCK TABLE epoch_metrics IN EXCLUSIVE MODE"))  # reads still pass
    env = {**os.environ, "HPSEARCH_STORE_RETRY": "2"}  # the retry window, passed while down
    process = hpsearch("start", "pg", *ROUND, db=db, data=data, env=env)
    factory = sessionmaker(engine)
    assert wait_for(factory, BOTH_WAIT) is not None, process.communicate()
    with factory() as session:
        claims = session.execute(text("SELECT worker FROM trials WHERE status = 'running'"))
        workers = [psutil.Process(int(w.rpartition(":")[2])) for w in claims.scalars()]
    assert len(workers) == 2
    holder.invalidate()  # its session ends with the server
    engine.dispose()
    stop(postgres_url)  # and left down until the command has ended
    try:
        out, err = process.communicate(timeout=600)  # it ends by itself, its workers first
        assert not [w for w in workers if w.is_running() and w.status() != psutil.STATUS_ZOMBIE]
    finally:
        start(postgres_url)
    assert process.returncode == 1, err
    assert "Traceback" not in err and "Background on this error" not in err
    *notes, line = err.strip().splitlines()
    assert all(note.endswith("; retrying for up to 2 s") for note in notes), err
    assert line.startswith("Error: the store at postgresql+psycopg://hp:***@127.0.0.1:"), err
    assert "could not be written for" in line  # and why: the server going, or gone
    assert "the database system is shutting down" in line or "Connection refused" in line
    assert line.endswith("left for `hpsearch resume pg`"), err
    assert dict(stored_statuses(db)) == {"running": 2, "pending": 6}  # none failed
    again = hpsearch("resume", "pg", "--workers", "2", "-q", "--no-verify", db=db, data=data)
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    assert stored_results(db) == reference  # nothing lost, nothing run twice


def stored_statuses(url):
    """(status, count) of the trials of ``url``."""
    from sqlalchemy.orm import sessionmaker

    from hpsearch.store.engine import make_engine

    engine = make_engine(url)
    with sessionmaker(engine)() as session:
        rows = session.execute(text("SELECT status, count(*) FROM trials GROUP BY status")).all()
    engine.dispose()
    return [tuple(row) for row in rows]
