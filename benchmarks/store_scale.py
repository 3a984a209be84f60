"""A large study: time and peak memory of `export` and `report` on it.

    python benchmarks/store_scale.py [--trials 10000] [--epochs 50] [--db PATH]

Builds a study of TRIALS finished trials x EPOCHS epochs in a fresh SQLite file with
bulk inserts (no training), then runs, each in its own process, `hpsearch export
--format csv --epochs` (to a file), `hpsearch export --format json --epochs`, `hpsearch
export --format csv` and `hpsearch report`, and prints each one's wall time, CPU time
(user + system) and peak resident memory (the child's own maximum RSS, from os.wait4),
and whether it meets its target. Targets for 10,000 x 50 (500,000 epoch rows): each
export with --epochs under 3 s and 200 MB, the report under 1 s. The load average
before and after is printed too: on a shared machine the wall time counts the waits
for a core, so the CPU time is the steadier figure, and the table says which of the two
meets the target.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import insert, update

from hpsearch import store
from hpsearch.settings import StudySettings
from hpsearch.space.sampling import BOOK_SPACE
from hpsearch.store.models import EpochMetric, Trial
from hpsearch.store.schema import open_store
from hpsearch.store.status import TrialStatus


def build(db: Path, n_trials: int, n_epochs: int) -> float:
    """Write the study "big"; return the seconds it took."""
    began = time.perf_counter()
    factory = open_store(str(db), create=True)
    rng = np.random.default_rng(0)
    start = datetime(2026, 1, 1)
    with factory.begin() as session:
        study = store.create_study(session, "big", 0, StudySettings(epochs=n_epochs))
        round_ = store.create_round(session, study, BOOK_SPACE, n_trials)
        trial_ids = [trial.id for trial in round_.trials]
        session.expunge_all()
        accuracy = rng.uniform(0.1, 0.9, size=(n_trials, n_epochs))
        loss = rng.uniform(0.1, 2.3, size=(n_trials, n_epochs))
        batch = []
        for i, trial_id in enumerate(trial_ids):
            batch += [
                {
                    "trial_id": trial_id, "epoch": e + 1, "train_accuracy": accuracy[i, e],
                    "val_accuracy": accuracy[i, e] * 0.9, "train_loss": loss[i, e],
                    "val_loss": loss[i, e] * 1.1, "seconds": 0.01,
                }
                for e in range(n_epochs)
            ]  # fmt: skip
            if len(batch) >= 50_000:
                session.execute(insert(EpochMetric), batch)
                batch = []
        if batch:
            session.execute(insert(EpochMetric), batch)
        session.connection().execute(
            update(Trial)
            .where(Trial.round_id == round_.id)
            .values(
                status=TrialStatus.COMPLETED.value,
                epochs_run=n_epochs,
                val_accuracy=0.5,
                best_val_accuracy=0.6,
                best_epoch=n_epochs,
                train_accuracy=0.7,
                started_at=start,
                finished_at=start + timedelta(seconds=3),
                worker="bench:1",
            )  # fmt: skip
        )
    return time.perf_counter() - began


def measure(args: list[str]) -> tuple[float, float, float, int]:
    """Run ``python -m hpsearch ARGS``; its wall and CPU seconds, peak RSS in MB, output
    bytes. CPU time is the steadier figure on a machine shared with other work."""
    began = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen([sys.executable, "-m", "hpsearch", *args], stdout=out)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - began
        if process.returncode != 0:
            raise SystemExit(f"hpsearch {' '.join(args)} exited {process.returncode}")
        size = out.seek(0, os.SEEK_END)
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024, size  # ru_maxrss is in KB on Linux


#: Seconds and peak MB each command should stay under (None: no target).
TARGETS: dict[str, tuple[float, float | None]] = {
    "export --format csv --epochs": (3.0, 200.0),
    "export --format json --epochs": (3.0, 200.0),
    "report": (1.0, None),
}


def verdict(name: str, wall: float, cpu: float, peak: float) -> str:
    """Which of wall time, CPU time and peak memory meet the command's target."""
    if name not in TARGETS:
        return ""
    seconds, megabytes = TARGETS[name]
    checks = [("wall", wall < seconds), ("cpu", cpu < seconds)]
    if megabytes is not None:
        checks.append(("memory", peak < megabytes))
    target = f"<{seconds:g} s" + (f", <{megabytes:g} MB" if megabytes is not None else "")
    return f"{target}: " + " ".join(f"{what} {'yes' if ok else 'NO'}" for what, ok in checks)


def load() -> str:
    return "load average " + ", ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--db", type=Path, default=None, help="keep the study in this file")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_only:
        seconds = build(args.db, args.trials, args.epochs)
        print(f"built {args.trials} trials x {args.epochs} epochs in {seconds:.1f} s")
        return
    with tempfile.TemporaryDirectory() as folder:
        db = args.db or Path(folder) / "big.db"
        if not db.exists():
            # in its own process: a child's peak RSS starts at its parent's at the fork
            subprocess.run(
                [sys.executable, __file__, "--build-only", "--db", str(db),
                 "--trials", str(args.trials), "--epochs", str(args.epochs)],
                check=True,
            )  # fmt: skip
        out = Path(folder) / "big.csv"
        print(f"{args.trials * args.epochs} epoch rows; {os.cpu_count()} CPUs; before: {load()}")
        print(
            f"{'command':<30} {'wall s':>7} {'cpu s':>6} {'peak MB':>8} {'output MB':>10}"
            "  target met?"
        )
        commands = {
            "export --format csv --epochs": ["export", "big", "--db", str(db), "--epochs",
                                             "--out", str(out)],
            "export --format json --epochs": ["export", "big", "--db", str(db), "--epochs",
                                              "--format", "json"],
            "export --format csv": ["export", "big", "--db", str(db)],
            "report": ["report", "big", "--db", str(db)],
        }  # fmt: skip
        for name, command in commands.items():
            wall, cpu, peak, size = measure(command)
            if name == "export --format csv --epochs":
                size = out.stat().st_size
            print(
                f"{name:<30} {wall:>7.2f} {cpu:>6.2f} {peak:>8.0f} {size / 1e6:>10.1f}"
                f"  {verdict(name, wall, cpu, peak)}"
            )
        print(f"after: {load()}")


if __name__ == "__main__":
    main()
