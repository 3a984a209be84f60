"""A trial that ends, or is claimed again, between a command's read of the running trials
and what it does with that read: ``resume`` does not re-queue it, ``report`` does not
count it stale. On SQLite and on PostgreSQL.

Each test makes the race happen at a set point rather than by chance: the read is
wrapped (``monkeypatch``) so that the other process's write lands right after it, before
the liveness question and the re-queue. On PostgreSQL that write is another session's,
committed; on SQLite ``resume`` holds the write lock from its first read (``BEGIN
IMMEDIATE``), so no other writer can get in (the test shows it), and the write is made
through resume's own session, where its re-queue meets it just the same.
"""

import sqlite3
from contextlib import closing
from itertools import count

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from hpsearch import store
from hpsearch.cli.view import read_report
from hpsearch.search import steps
from hpsearch.settings import StudySettings
from hpsearch.space.sampling import BOOK_SPACE
from hpsearch.store import queue
from hpsearch.store.liveness import STALE_AFTER, worker_name
from hpsearch.store.models import EpochMetric, Trial, utcnow
from hpsearch.store.status import TrialStatus
from tests.support import epoch_metrics

DATABASES = count()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, factory):
    """(name, session factory) of a new store upgraded to the newest revision."""
    if request.param == "sqlite":
        yield "sqlite", factory
        return
    from hpsearch.store.engine import make_engine
    from hpsearch.store.schema import upgrade
    from postgres_server import create_database

    url = create_database(request.getfixturevalue("postgres_server"), f"race_{next(DATABASES)}")
    engine = make_engine(url)
    upgrade(engine)
    yield "postgresql", sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


#: A worker of another host whose heartbeat stopped long ago: gone, by construction.
GONE = "elsewhere:1"


def running_trial(factory) -> int:
    """A study "r" whose one trial a worker now gone claimed and ran one epoch of; its id."""
    with factory.begin() as session:
        study = store.create_study(session, "r", 0, StudySettings())
        round_id = store.create_round(session, study, BOOK_SPACE, 1).id
        trial = queue.claim_trial(session, round_id, GONE)
        assert queue.record_epoch(session, trial.id, epoch_metrics(1, 0.4), attempt=1)
        long_ago = utcnow() - 2 * STALE_AFTER
        beat = update(Trial).where(Trial.id == trial.id)
        session.execute(beat.values(started_at=long_ago, heartbeat_at=long_ago))
        return trial.id


def stored(session: Session, trial_id: int):
    """What the store holds of the trial: its claim, status, results and epochs."""
    trial = session.get_one(Trial, trial_id, populate_existing=True)
    epochs = session.scalars(
        select(EpochMetric.val_accuracy).where(EpochMetric.trial_id == trial_id)
    )
    return (trial.attempt, trial.worker, trial.status, trial.epochs_run, trial.val_accuracy,
            list(epochs))  # fmt: skip


def other_writer(name: str, factory, session: Session):
    """Where the other process's write goes: a session of its own, committed (PostgreSQL),
    or ``session``, resume's, that holds SQLite's write lock (see the module docstring)."""
    if name == "postgresql":
        return factory.begin()
    path = str(factory.kw["bind"].url.database)
    another = closing(sqlite3.connect(path, timeout=0, isolation_level=None))
    with another as connection, pytest.raises(sqlite3.OperationalError, match="locked"):
        connection.execute("BEGIN IMMEDIATE")  # no other writer gets in
    return _Same(session)


class _Same:
    def __init__(self, session: Session) -> None:
        self.session = session

    def __enter__(self) -> Session:
        return self.session

    def __exit__(self, *exc_info: object) -> None:
        self.session.flush()


@pytest.mark.fault(
    "a trial finished or claimed again between resume's read and its re-queue",
    check="not re-queued",
)
@pytest.mark.parametrize("meanwhile", ["finished", "claimed again"])
def test_resume_requeues_only_the_claim_it_read(backend, monkeypatch, meanwhile):
    name, factory = backend
    trial_id = running_trial(factory)
    if meanwhile == "claimed again":  # read interrupted, then another resume took it
        with factory.begin() as session:
            assert queue.mark_interrupted(session, [trial_id]) == 1
    kept = []
    read = queue.rerunnable_trials

    def read_then_race(session, round_id):
        trials = read(session, round_id)
        assert [(t.id, t.attempt) for t in trials] == [(trial_id, 1)]
        # resume's objects keep what it read, whatever is written after: as they would
        # with another process's write (here it may go through resume's own session)
        session.expunge_all()
        with other_writer(name, factory, session) as other:
            if meanwhile == "finished":  # its worker ended the trial, then exited
                done = queue.Outcome(TrialStatus.COMPLETED, 1, final=epoch_metrics(1, 0.4))
                assert queue.finish_trial(other, trial_id, done, attempt=1)
            else:  # re-queued, claimed by a live worker, one epoch stored
                assert queue.reset_trial(other, other.get_one(Trial, trial_id))
                again = queue.claim_trial(other, round_id, worker_name())
                assert (again.id, again.attempt) == (trial_id, 2)
                assert queue.record_epoch(other, trial_id, epoch_metrics(1, 0.6), attempt=2)
        if name == "sqlite":
            kept.append(stored(session, trial_id))  # written in resume's session
        else:
            with factory() as reader:
                kept.append(stored(reader, trial_id))
        return trials

    monkeypatch.setattr(queue, "rerunnable_trials", read_then_race)
    round_id, requeued = steps.prepare_resume(factory, "r")
    assert requeued == 0  # nothing re-queued: the claim it read is no longer there
    with factory() as session:
        assert stored(session, trial_id) == kept[0]  # the trial as the other left it
    status = TrialStatus.COMPLETED if meanwhile == "finished" else TrialStatus.RUNNING
    assert kept[0][2] == status and kept[0][-1] == ([0.4] if meanwhile == "finished" else [0.6])


@pytest.mark.parametrize("meanwhile", ["finished", "nothing"])
def test_report_counts_stale_only_a_claim_still_running_after_the_question(
    backend, monkeypatch, meanwhile
):
    name, factory = backend
    trial_id = running_trial(factory)
    read = queue.running_trials

    def read_then_race(session, round_id):
        trials = read(session, round_id)
        if meanwhile == "finished":  # its worker ends the trial and exits after the read
            with factory.begin() as other:  # a reader takes no lock: any backend
                done = queue.Outcome(TrialStatus.COMPLETED, 1, final=epoch_metrics(1, 0.4))
                assert queue.finish_trial(other, trial_id, done, attempt=1)
        return trials

    monkeypatch.setattr(queue, "running_trials", read_then_race)
    (summary,) = read_report(factory, "r").document()["rounds"]
    assert summary["statuses"] == {"running": 1}  # the read's: before the trial finished
    assert summary["stale"] == (0 if meanwhile == "finished" else 1)
