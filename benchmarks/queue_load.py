"""Many workers on one store: the trial queue under load, checked and timed.

    python benchmarks/queue_load.py [--pg-workers 32] [--sqlite-workers 16]
                                    [--trials 640] [--epochs 3]

Each run creates a study whose trials are tiny (40 synthetic samples, one hidden
layer of 10, batch 8), so the store, not the training, is what the workers wait
for, then starts that many real hpsearch workers (spawned processes) that make
their first claims together and run the round to its end. After each run it
checks that no trial was claimed twice (the claims the workers saw, and every
trial's ``attempt`` of 1), that no epoch row is missing or doubled, that every
trial completed and that no worker met an error ("database is locked" included),
and prints claims per second (claims over the time from the first to the last
claim) and the median and 99th-percentile claim latency (one claim transaction).

PostgreSQL (a server this script starts on 127.0.0.1, see postgres_server.py)
runs twice, with the conditional UPDATE and with ``FOR UPDATE SKIP LOCKED``
(``queue.claim_trial``'s two ways); SQLite runs the conditional UPDATE (SQLite
has no row locks to skip: its writers take turns).
"""

from __future__ import annotations

import argparse
import gzip
import multiprocessing
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import text

from hpsearch.data.datasets import DataSource
from hpsearch.run.worker import Claim, Worker
from hpsearch.search import steps
from hpsearch.settings import StudySettings
from hpsearch.space.sampling import BOOK_SPACE
from hpsearch.store.schema import open_store
from trainer.idx import IMAGES_MAGIC, LABELS_MAGIC
from trainer.mnist import MNIST_FILES

SETTINGS = StudySettings(train_size=40, val_fraction=0.2, batch_size=8, hidden=(10,))


def write_data(folder: Path, n: int = 100) -> Path:
    """Random images in MNIST's four files: enough for the tiny trials."""
    rng = np.random.default_rng(0)
    arrays = {
        "train_images": (rng.integers(0, 256, (n, 28, 28)), IMAGES_MAGIC),
        "train_labels": (np.arange(n) % 10, LABELS_MAGIC),
        "test_images": (rng.integers(0, 256, (n, 28, 28)), IMAGES_MAGIC),
        "test_labels": (np.arange(n) % 10, LABELS_MAGIC),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for key, (array, magic) in arrays.items():
        header = magic.to_bytes(4, "big") + np.asarray(array.shape, dtype=">u4").tobytes()
        content = header + array.astype(np.uint8).tobytes()
        (folder / f"{MNIST_FILES[key]}.gz").write_bytes(gzip.compress(content))
    return folder


@dataclass
class WorkerReport:
    claimed: list[int] = field(default_factory=list)
    claim_times: list[float] = field(default_factory=list)  # when each claim ended
    latencies: list[float] = field(default_factory=list)  # seconds per claim transaction
    errors: list[str] = field(default_factory=list)
    lost: int = 0


class TimedWorker(Worker):
    """A worker that times each of its claims."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.report = WorkerReport()

    def claim(self) -> Claim | None:
        started = time.perf_counter()
        claim = super().claim()
        self.report.latencies.append(time.perf_counter() - started)
        if claim is not None:
            self.report.claimed.append(claim.spec.id)
            self.report.claim_times.append(time.time())
        return claim


def _load_worker(url, round_id, data_dir, skip_locked, start_line, results) -> None:
    source = DataSource(data_dir=data_dir, verify=False)
    worker = TimedWorker(url, round_id, source, start_line=start_line, skip_locked=skip_locked)
    try:
        stats = worker.run()
        worker.report.errors = stats.errors
        worker.report.lost = stats.lost
    except Exception as exc:  # reported, and counted as a failure of the run
        worker.report.errors.append(f"{type(exc).__name__}: {exc}")
    results.put(worker.report)


@dataclass
class LoadResult:
    workers: int
    trials: int
    claims_per_second: float
    median_ms: float
    p99_ms: float
    seconds: float
    problems: list[str]


def run_load(
    url: str, workers: int, trials: int, epochs: int, data_dir: str, skip_locked: bool | None
) -> LoadResult:
    """Create a study of ``trials`` tiny trials at ``url``, run it with ``workers``
    processes, check what they stored and time their claims."""
    factory = open_store(url, create=True)
    settings = StudySettings(**{**SETTINGS.__dict__, "epochs": epochs})
    round_id = steps.create(
        factory, "load", seed=0, settings=settings, space=BOOK_SPACE, n_trials=trials
    )
    context = multiprocessing.get_context("spawn")
    results, start_line = context.SimpleQueue(), context.Barrier(workers)
    arguments = (url, round_id, data_dir, skip_locked, start_line, results)
    processes = [context.Process(target=_load_worker, args=arguments) for _ in range(workers)]
    started = time.perf_counter()
    for process in processes:
        process.start()
    reports = [results.get() for _ in processes]
    for process in processes:
        process.join()
    seconds = time.perf_counter() - started
    problems = [f"worker exit code {p.exitcode}" for p in processes if p.exitcode != 0]
    problems += check_store(factory, round_id, trials, epochs, reports)
    latencies = sorted(latency for report in reports for latency in report.latencies)
    times = sorted(t for report in reports for t in report.claim_times)
    span = times[-1] - times[0] if len(times) > 1 else float("nan")
    factory.kw["bind"].dispose()
    return LoadResult(
        workers, trials, (len(times) - 1) / span, statistics.median(latencies) * 1000,
        latencies[int(0.99 * (len(latencies) - 1))] * 1000, seconds, problems,
    )  # fmt: skip


def check_store(factory, round_id: int, trials: int, epochs: int, reports) -> list[str]:
    """What went wrong: double claims, lost or doubled epochs, unfinished trials, errors."""
    problems = [error for report in reports for error in report.errors]
    problems += [f"{r.lost} trial(s) lost by a worker" for r in reports if r.lost]
    claimed = [trial_id for report in reports for trial_id in report.claimed]
    if len(claimed) != len(set(claimed)):
        problems.append(f"{len(claimed) - len(set(claimed))} trial(s) claimed twice")
    if len(set(claimed)) != trials:
        problems.append(f"{len(set(claimed))} of {trials} trials claimed")
    with factory() as session:
        rows = session.execute(
            text(
                "SELECT t.status, t.attempt, t.epochs_run, count(e.id), count(DISTINCT e.epoch)"
                " FROM trials t LEFT JOIN epoch_metrics e ON e.trial_id = t.id"
                " WHERE t.round_id = :round GROUP BY t.id, t.status, t.attempt, t.epochs_run"
            ),
            {"round": round_id},
        ).all()
    expected = ("completed", 1, epochs, epochs, epochs)
    wrong = [tuple(row) for row in rows if tuple(row) != expected]
    if len(rows) != trials or wrong:
        problems.append(f"{len(wrong)} trial(s) not {expected}, e.g. {wrong[:3]}")
    return problems


def print_result(store: str, method: str, result: LoadResult) -> None:
    verdict = "ok" if not result.problems else "; ".join(result.problems[:5])
    print(
        f"{store:<10} {method:<16} {result.workers:>7} {result.trials:>6} "
        f"{result.claims_per_second:>9.0f} {result.median_ms:>9.1f} {result.p99_ms:>8.1f} "
        f"{result.seconds:>7.1f}  {verdict}",
        flush=True,
    )


def main() -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from postgres_server import create_database, server_programs, temporary_server

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-workers", type=int, default=32)
    parser.add_argument("--sqlite-workers", type=int, default=16)
    parser.add_argument("--trials", type=int, default=640)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    print(f"{args.trials} trials x {args.epochs} epochs of 32 samples, 10 hidden units")
    print(f"{'store':<10} {'claim':<16} {'workers':>7} {'trials':>6} {'claims/s':>9} "
          f"{'median ms':>9} {'p99 ms':>8} {'wall s':>7}  checks")  # fmt: skip
    failed = False
    with tempfile.TemporaryDirectory() as folder:
        data = str(write_data(Path(folder) / "data"))
        if server_programs() is None:
            print("postgresql  (server programs not installed: skipped)")
        else:
            with temporary_server(max_connections=4 * args.pg_workers + 20) as url:
                for method, skip_locked in (("UPDATE", False), ("SKIP LOCKED", True)):
                    db = create_database(url, f"load_{int(skip_locked)}")
                    result = run_load(db, args.pg_workers, args.trials, args.epochs, data,
                                      skip_locked)  # fmt: skip
                    print_result("postgresql", method, result)
                    failed |= bool(result.problems)
        db = f"sqlite:///{folder}/load.db"
        result = run_load(db, args.sqlite_workers, args.trials, args.epochs, data, None)
        print_result("sqlite", "UPDATE", result)
        failed |= bool(result.problems)
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
