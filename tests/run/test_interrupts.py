"""Real interrupts of a running search: SIGINT, SIGKILL of a worker and of everything."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import psutil
import pytest

SEARCH = [
    "--trials", "8", "--epochs", "25", "--train-size", "300", "--batch-size", "20",
    "--hidden", "2x100", "--lr", "1e-3", "1e-1", "--no-verify", "-q", "--workers", "2",
]  # fmt: skip


def hpsearch(*args, db, data, **popen):
    command = [sys.executable, "-m", "hpsearch", *map(str, args), "--db", str(db)]
    if args[0] in ("start", "resume", "auto"):
        command += ["--data-dir", str(data)]
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen
    )


def query(db, sql):
    if not db.exists():
        return []
    with sqlite3.connect(db, timeout=30) as connection:
        try:
            return connection.execute(sql).fetchall()
        except sqlite3.OperationalError:  # tables not created yet
            return []


def wait_for_epochs(db, count, process, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        rows = query(db, "SELECT count(*) FROM epoch_metrics")
        if rows and rows[0][0] >= count:
            return
        time.sleep(0.02)
    raise AssertionError("the search wrote no epochs in time")


def results(db, trials_count=8):
    """Everything a search produces, without ids, times and workers."""
    with sqlite3.connect(db, timeout=30) as connection:  # a search has finished: no retry
        trials = connection.execute(
            "SELECT t.number, lr.value_num, wd.value_num, t.seed, t.status, t.epochs_run,"
            " t.val_accuracy, t.best_val_accuracy, t.best_epoch, t.train_accuracy FROM trials t"
            " JOIN trial_params lr ON lr.trial_id = t.id AND lr.name = 'lr'"
            " JOIN trial_params wd ON wd.trial_id = t.id AND wd.name = 'weight_decay'"
            " ORDER BY t.number"
        ).fetchall()
        epochs = connection.execute(
            "SELECT t.number, e.epoch, e.train_accuracy, e.val_accuracy, e.train_loss,"
            " e.val_loss FROM epoch_metrics e JOIN trials t ON t.id = e.trial_id"
            " ORDER BY t.number, e.epoch"
        ).fetchall()
    connection.close()
    assert len(trials) == trials_count and epochs  # the whole round, each with its values
    return trials, epochs


@pytest.fixture
def reference(tmp_path, tiny_mnist):
    """The same search, never interrupted."""
    db = tmp_path / "reference.db"
    process = hpsearch("start", "s", *SEARCH, db=db, data=tiny_mnist)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    return results(db)


@pytest.fixture
def pruned_reference(tmp_path, tiny_mnist):
    """The same search with asha, never interrupted, with one worker."""
    db = tmp_path / "pruned-reference.db"
    one = [*SEARCH[:-1], "1"]  # --workers 1
    process = hpsearch("start", "s", *one, "--pruner", "asha", db=db, data=tiny_mnist)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    return results(db)


def finish_with_resume(db, data):
    process = hpsearch("resume", "s", "--workers", "2", "-q", "--no-verify", db=db, data=data)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    return out


#: The faults of the kills that several tests try (see benchmarks/faults.py).
KILL_EVERYTHING = pytest.mark.fault(
    "kill -9 of the command, its server and workers", check="same results"
)
KILL_A_WORKER = pytest.mark.fault("kill -9 of one worker", check="same results")


@pytest.mark.fault("Ctrl-C (SIGINT) of a run", check="same results")
def test_ctrl_c_keeps_finished_epochs_and_resume_matches_an_uninterrupted_run(
    tmp_path, tiny_mnist, reference
):
    db = tmp_path / "s.db"
    process = hpsearch("start", "s", *SEARCH, db=db, data=tiny_mnist, start_new_session=True)
    wait_for_epochs(db, 40, process)
    os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole group
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "Traceback" not in err
    assert "hpsearch resume s" in err
    statuses = dict(query(db, "SELECT status, count(*) FROM trials GROUP BY status"))
    assert "running" not in statuses
    assert statuses.get("interrupted", 0) >= 1
    # every epoch an interrupted or finished trial ran is kept, in order from 1
    kept = query(
        db,
        "SELECT t.epochs_run, count(e.id), max(e.epoch) FROM trials t"
        " JOIN epoch_metrics e ON e.trial_id = t.id WHERE t.status != 'pending' GROUP BY t.id",
    )
    assert all(count == last for _, count, last in kept)
    completed_before = query(
        db,
        "SELECT t.number, e.epoch, e.val_accuracy FROM epoch_metrics e JOIN trials t"
        " ON t.id = e.trial_id WHERE t.status = 'completed' ORDER BY t.number, e.epoch",
    )

    output = finish_with_resume(db, tiny_mnist)
    assert "Re-queued" in output
    assert results(db) == reference
    assert set(completed_before) <= {
        (n, e, v) for n, e, _, v, _, _ in results(db)[1]
    }  # finished trials were not re-run


@KILL_EVERYTHING
def test_kill_9_of_everything_leaves_stale_trials_that_resume_reruns(
    tmp_path, tiny_mnist, reference
):
    db = tmp_path / "s.db"
    process = hpsearch("start", "s", *SEARCH, db=db, data=tiny_mnist, start_new_session=True)
    wait_for_epochs(db, 40, process)
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)
    stale = query(db, "SELECT count(*) FROM trials WHERE status = 'running'")[0][0]
    assert stale >= 1
    epochs_before = query(db, "SELECT count(*) FROM epoch_metrics")[0][0]
    assert epochs_before >= 40  # nothing written was lost

    report = subprocess.run(
        [sys.executable, "-m", "hpsearch", "report", "s", "--json", "--db", str(db)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert report.returncode == 0, report.stderr
    data = json.loads(report.stdout)
    assert data["rounds"][0]["stale"] == stale  # recognised as stale ...
    assert all(row["status"] != "running" for row in data["leaderboard"])  # ... never results

    finish_with_resume(db, tiny_mnist)
    assert results(db) == reference


@KILL_A_WORKER
def test_kill_9_of_one_worker_lets_the_other_finish_and_resume_completes(
    tmp_path, tiny_mnist, reference
):
    db = tmp_path / "s.db"
    process = hpsearch("start", "s", *SEARCH, db=db, data=tiny_mnist)
    wait_for_epochs(db, 20, process)
    worker = query(db, "SELECT worker FROM trials WHERE status = 'running' LIMIT 1")[0][0]
    os.kill(int(worker.rpartition(":")[2]), signal.SIGKILL)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 1
    assert "Traceback" not in err
    assert f"worker {worker} was killed by SIGKILL" in err and "hpsearch resume s" in err
    assert "1 trial(s) of the round are unfinished (1 running without a worker)" in err
    assert query(db, "SELECT count(*) FROM trials WHERE status = 'running'") == [(1,)]
    finish_with_resume(db, tiny_mnist)
    assert results(db) == reference


def test_ctrl_c_during_auto_says_how_to_go_on_and_auto_continues(tmp_path, tiny_mnist):
    db = tmp_path / "a.db"
    auto = ["auto", "s", "--rounds", "1", "--top-k", "2", *SEARCH]
    process = hpsearch(*auto, db=db, data=tiny_mnist, start_new_session=True)
    wait_for_epochs(db, 40, process)
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "continue with `hpsearch auto s`" in err and "Traceback" not in err
    again = hpsearch(*auto, db=db, data=tiny_mnist)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert "Continuing study 's'" in out and "Stopped:" in out
    # every trial finished: completed, or pruned (auto prunes with asha)
    unfinished = "SELECT count(*) FROM trials WHERE status NOT IN ('completed', 'pruned')"
    assert query(db, unfinished) == [(0,)]


def test_report_from_another_process_shows_a_search_in_progress(tmp_path, tiny_mnist):
    db = tmp_path / "live.db"
    # 100 epochs a trial: the search outlasts the report's start-up, even in float32
    process = hpsearch("start", "s", *SEARCH, "--epochs", "100", db=db, data=tiny_mnist)
    wait_for_epochs(db, 10, process)
    report = subprocess.run(
        [sys.executable, "-m", "hpsearch", "report", "s", "--json", "--db", str(db)],
        capture_output=True, text=True,
    )  # fmt: skip
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert report.returncode == 0 and "locked" not in report.stderr
    statuses = json.loads(report.stdout)["rounds"][0]["statuses"]
    assert statuses.get("completed", 0) < 8  # read while the search went on: unfinished
    assert statuses.get("running", 0) + statuses.get("completed", 0) >= 1


def kill_mid_round_and_resume(db, process, victim: str, epochs: int, data) -> None:
    """Once ``epochs`` epochs are stored, kill -9 the run's whole process group
    (``everything``) or one running trial's worker; check the run was cut short, then
    ``resume`` it to the end."""
    wait_for_epochs(db, epochs, process)
    if victim == "everything":
        os.killpg(process.pid, signal.SIGKILL)
    else:
        (worker,) = query(db, "SELECT worker FROM trials WHERE status = 'running' LIMIT 1")[0]
        os.kill(int(worker.rpartition(":")[2]), signal.SIGKILL)
    process.communicate(timeout=120)
    assert (
        query(db, "SELECT count(*) FROM trials WHERE status IN ('running', 'interrupted')")[0][0]
        >= 1
    )  # the run was cut short
    finish_with_resume(db, data)


@pytest.mark.parametrize(
    "victim",
    [
        pytest.param("everything", marks=KILL_EVERYTHING),
        pytest.param("one worker", marks=KILL_A_WORKER),
    ],
)
def test_a_pruned_round_killed_and_resumed_matches_one_worker_never_interrupted(
    tmp_path, tiny_mnist, pruned_reference, victim
):
    db = tmp_path / "s.db"
    process = hpsearch("start", "s", *SEARCH, "--pruner", "asha", db=db, data=tiny_mnist,
                       start_new_session=True)  # fmt: skip
    kill_mid_round_and_resume(db, process, victim, 30, tiny_mnist)
    trials, epochs = results(db)
    assert any(row[4] == "pruned" for row in trials)
    assert (trials, epochs) == pruned_reference


#: A round that learns (tpe, batches of 5: trials 10 and 11 learn from 10), pruned by asha.
LEARNED = [*SEARCH[SEARCH.index("--epochs") :], "--trials", "12", "--pruner", "asha",
           "--sampler", "tpe", "--sampler-batch", "5"]  # fmt: skip


@pytest.fixture
def learned_reference(tmp_path, tiny_mnist):
    """The learning round, never interrupted, with one worker."""
    db = tmp_path / "learned-reference.db"
    process = hpsearch("start", "s", *LEARNED, "--workers", "1", db=db, data=tiny_mnist)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    return results(db, 12)


@pytest.mark.parametrize(
    "victim",
    [
        pytest.param("everything", marks=KILL_EVERYTHING),
        pytest.param("one worker", marks=KILL_A_WORKER),
    ],
)
def test_a_tpe_round_killed_and_resumed_matches_one_worker_never_interrupted(
    tmp_path, tiny_mnist, learned_reference, victim
):
    db = tmp_path / "s.db"
    process = hpsearch("start", "s", *LEARNED, db=db, data=tiny_mnist, start_new_session=True)
    kill_mid_round_and_resume(db, process, victim, 60, tiny_mnist)
    assert results(db, 12) == learned_reference


#: SQLite gives up waiting for another writer's lock after 0.2 s, so a worker meets
#: "database is locked" (and retries) soon after another process takes the lock.
QUICK_BUSY = {"HPSEARCH_BUSY_TIMEOUT": "0.2"}


def hold_write_lock(db):
    """Another process's write transaction (BEGIN IMMEDIATE): every writer waits."""
    holder = sqlite3.connect(db, isolation_level=None, timeout=60)
    holder.execute("BEGIN IMMEDIATE")
    return holder


@pytest.mark.fault("SQLite write lock held past the retry window", check="same results")
def test_a_write_lock_past_the_retry_window_leaves_the_trials_to_resume(
    tmp_path, tiny_mnist, reference
):
    db = tmp_path / "s.db"
    env = {**os.environ, **QUICK_BUSY, "HPSEARCH_STORE_RETRY": "1"}
    process = hpsearch("start", "s", *SEARCH, db=db, data=tiny_mnist, env=env)
    wait_for_epochs(db, 1, process)
    holder = hold_write_lock(db)  # held until the command has ended: past any window
    try:
        out, err = process.communicate(timeout=300)
    finally:
        holder.rollback()
        holder.close()
    assert process.returncode == 1
    assert "Traceback" not in err and "Background on this error" not in err
    *notes, line = err.strip().splitlines()
    assert all("retrying for up to 1 s" in note for note in notes)  # only the retries' notes
    assert line.startswith("Error: the store at sqlite:///") and str(db) in line
    assert "could not be written for" in line and "(database is locked)" in line
    assert line.endswith("trial(s) left for `hpsearch resume s`")
    statuses = dict(query(db, "SELECT status, count(*) FROM trials GROUP BY status"))
    assert "failed" not in statuses  # the store's fault, not the trials'
    assert statuses.get("running", 0) + statuses.get("interrupted", 0) >= 1
    left = sum(statuses.get(s, 0) for s in ("pending", "running", "interrupted"))
    assert f": {left} trial(s) left" in line

    finish_with_resume(db, tiny_mnist)
    assert results(db) == reference


@pytest.mark.fault("SQLite write lock held within the retry window", check="same results")
def test_a_write_lock_shorter_than_the_retry_window_lets_the_round_finish(
    tmp_path, tiny_mnist, reference
):
    db = tmp_path / "s.db"
    env = {**os.environ, **QUICK_BUSY, "HPSEARCH_STORE_RETRY": "600"}
    process = hpsearch("start", "s", *SEARCH, db=db, data=tiny_mnist, env=env)
    wait_for_epochs(db, 1, process)
    holder = hold_write_lock(db)
    try:  # held until a worker has met the lock: it says it retries
        seen = ""
        while "retrying" not in seen and (line := process.stderr.readline()):
            seen += line
        assert "database is locked; retrying for up to 600 s" in seen, seen
    finally:
        holder.rollback()
        holder.close()
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, seen + err
    assert "Traceback" not in seen + err
    assert results(db) == reference  # every trial completed, as if nothing had happened


def wait_for_running(db, count, process, timeout=60):
    """The workers (host:pid) of ``count`` running trials, once they run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        workers = query(db, "SELECT worker FROM trials WHERE status = 'running'")
        if len(workers) >= count:
            return {int(worker.rpartition(":")[2]) for (worker,) in workers}
        time.sleep(0.02)
    raise AssertionError("the search ran no trials in time")


def wait_until_gone(processes, timeout=30):
    """Whether every one of ``processes`` (psutil handles) ended within ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        if not left:
            return True
        time.sleep(0.05)
    for process in left:  # the test's own cleanup; the assertion fails below
        process.kill()
    return False


@pytest.mark.fault("kill -9 of the command alone", check="finished once")
def test_kill_9_of_the_command_alone_ends_its_server_and_workers(tmp_path, tiny_mnist):
    db = tmp_path / "s.db"
    long = [*SEARCH, "--epochs", "400"]  # each trial outlasts the test's checks by far
    process = hpsearch("start", "s", *long, db=db, data=tiny_mnist)
    worker_pids = wait_for_running(db, 2, process)
    run = psutil.Process(process.pid).children(recursive=True)  # server, workers, tracker
    assert worker_pids <= {child.pid for child in run}
    assert len(run) > len(worker_pids)  # the server they were forked from too
    os.kill(process.pid, signal.SIGKILL)  # the command alone, not its process group
    process.communicate(timeout=60)
    assert wait_until_gone(run), "a process of the killed command ran on"
    # no trial is held by a live process: the claims name the dead workers, stale at once
    claims = query(db, "SELECT worker FROM trials WHERE status = 'running'")
    assert {int(worker.rpartition(":")[2]) for (worker,) in claims} <= worker_pids
    assert query(db, "SELECT count(*) FROM trials WHERE status = 'completed'") == [(0,)]
    finish_with_resume(db, tiny_mnist)
    unfinished = "SELECT count(*) FROM trials WHERE status NOT IN ('completed', 'pruned')"
    assert query(db, unfinished) == [(0,)]  # resume finished the round


@pytest.mark.fault("kill -9 of the forkserver", check="finished once")
def test_a_kill_of_the_server_ends_its_workers_and_the_command_says_what_is_left(
    tmp_path, tiny_mnist
):
    db = tmp_path / "s.db"
    long = [*SEARCH, "--epochs", "400"]
    process = hpsearch("start", "s", *long, db=db, data=tiny_mnist)
    worker_pids = wait_for_running(db, 2, process)
    workers = [psutil.Process(pid) for pid in worker_pids]
    (server,) = {worker.ppid() for worker in workers}  # they were forked from one server
    assert server != process.pid
    os.kill(server, signal.SIGKILL)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1 and "Traceback" not in err
    assert wait_until_gone(workers), "a worker ran on after its server"
    err = " ".join(err.split())  # the message, unwrapped
    for worker in workers:
        why = "ended, unfinished, when the server it was forked from died"
        assert f":{worker.pid} {why}" in err
    left = query(db, "SELECT count(*) FROM trials WHERE status NOT IN ('completed', 'pruned')")
    running = query(db, "SELECT count(*) FROM trials WHERE status = 'running'")[0][0]
    pending = query(db, "SELECT count(*) FROM trials WHERE status = 'pending'")[0][0]
    assert running == 2 and left[0][0] == running + pending  # the message counts the store
    assert f"{left[0][0]} trial(s) of the round are unfinished" in err
    assert f"({running} running without a worker, {pending} pending)" in err
    assert "hpsearch resume s" in err
    assert query(db, "SELECT count(*) FROM trials WHERE status = 'completed'") == [(0,)]
    finish_with_resume(db, tiny_mnist)
    unfinished = "SELECT count(*) FROM trials WHERE status NOT IN ('completed', 'pruned')"
    assert query(db, unfinished) == [(0,)]
