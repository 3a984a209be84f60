import os
import socket
import subprocess
import threading
import time
from datetime import datetime, timedelta, timezone

import psutil
import pytest
from sqlalchemy import select

from hpsearch.store import liveness
from hpsearch.store.liveness import Heartbeat, is_stale, worker_name
from hpsearch.store.models import Trial, utcnow
from hpsearch.store.status import TrialStatus

HERE = socket.gethostname()
DEAD_PID = 2**22 + 12345  # above the default pid_max: no such process


@pytest.mark.parametrize(
    ("worker", "silent", "stale"),
    [
        (f"{HERE}:{os.getpid()}", timedelta(0), False),  # alive, fresh heartbeat
        (f"{HERE}:{os.getpid()}", timedelta(days=1), False),  # alive: its process decides
        (f"{HERE}:{DEAD_PID}", timedelta(0), True),  # its process is gone
        ("elsewhere:1", timedelta(0), False),  # another host, fresh heartbeat
        ("elsewhere:1", liveness.STALE_AFTER + timedelta(seconds=1), True),  # silent too long
    ],
)
def test_stale_trials(factory, round0, worker, silent, stale):
    with factory() as session:
        trial = session.scalars(select(Trial)).first()
        trial.status = TrialStatus.RUNNING
        trial.worker = worker
        trial.started_at = trial.heartbeat_at = utcnow()  # claimed now, asked ``silent`` later
        assert is_stale(trial, now=utcnow() + silent) is stale
        trial.status = TrialStatus.INTERRUPTED
        assert not is_stale(trial)


def test_a_live_process_that_started_after_the_claim_holds_a_reused_pid(factory, round0):
    started = datetime.fromtimestamp(psutil.Process().create_time(), timezone.utc)
    started = started.replace(tzinfo=None)  # naive UTC, as the store keeps times
    with factory() as session:
        trial = session.scalars(select(Trial)).first()
        trial.status, trial.worker = TrialStatus.RUNNING, worker_name()  # this live process
        trial.started_at = trial.heartbeat_at = started - timedelta(hours=1)
        assert is_stale(trial)  # claimed an hour before this process existed
        trial.started_at = started + liveness.START_SLACK / 2  # within the rounding of its start
        assert not is_stale(trial)
        trial.started_at = None  # an older row without a claim time: the heartbeat bounds it
        assert is_stale(trial)
        trial.heartbeat_at = None  # nothing to tell by: the pid decides
        assert not is_stale(trial)


def test_the_stale_limit_can_be_set(factory, round0, monkeypatch):
    monkeypatch.setattr(liveness, "STALE_AFTER", timedelta(seconds=1))
    with factory() as session:
        trial = session.scalars(select(Trial)).first()
        trial.status, trial.worker = TrialStatus.RUNNING, "elsewhere:1"
        trial.heartbeat_at = utcnow() - timedelta(seconds=2)
        assert is_stale(trial)


def test_an_unreaped_dead_worker_counts_as_gone():
    child = subprocess.Popen(["true"])  # exits at once; not waited for: a zombie
    deadline = time.monotonic() + 10
    while liveness.claimer_alive(child.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not liveness.claimer_alive(child.pid)
    assert child.poll() == 0  # it really was a zombie until reaped here
    assert liveness.claimer_alive(os.getpid())


def test_a_worker_is_named_by_host_and_pid():
    assert worker_name() == f"{HERE}:{os.getpid()}"
    assert worker_name(42) == f"{HERE}:42"


def test_the_heartbeat_beats_on_its_own_schedule_while_the_worker_is_busy():
    beats = threading.Semaphore(0)

    def beat() -> bool:
        beats.release()
        return True

    with Heartbeat(every=0.01) as heartbeat:
        assert heartbeat.beats == 0
        heartbeat.own(beat)
        for _ in range(5):  # five beats while this thread only waits
            assert beats.acquire(timeout=30)
        heartbeat.release()
        count = heartbeat.beats
        time.sleep(0.1)
        assert heartbeat.beats == count  # no trial owned: no beat
        assert not heartbeat.lost.is_set()


def test_a_beat_that_finds_the_trial_taken_over_sets_lost():
    with Heartbeat(every=0.01) as heartbeat:
        heartbeat.own(lambda: False)
        assert heartbeat.lost.wait(timeout=30)
        heartbeat.own(lambda: True)  # the next trial
        assert not heartbeat.lost.is_set()


def test_a_failing_beat_is_tried_again():
    calls = []

    def flaky() -> bool:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("database unreachable")
        return True

    with Heartbeat(every=0.01) as heartbeat:
        heartbeat.own(flaky)
        deadline = time.monotonic() + 30
        while heartbeat.beats < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert heartbeat.beats >= 1 and len(calls) >= 3 and not heartbeat.lost.is_set()
