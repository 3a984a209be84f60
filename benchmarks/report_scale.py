"""`report` on a large study: 10,000 trials x 6 searched parameters x 50 epochs.

    python benchmarks/report_scale.py [--trials 10000] [--epochs 50] [--repeat 3]

Builds the study straight into a fresh SQLite file (round 0 sampled by hpsearch
from a space of six parameters, every trial completed with 50 stored epochs:
500,000 epoch rows and 60,000 parameter rows), then times `hpsearch report NAME
--json` and the plain `report`, each in a new process (start-up included), and
the in-process report alone. Prints the median of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import insert, update

from hpsearch import store
from hpsearch.database import open_store
from hpsearch.models import EpochMetric, Trial
from hpsearch.parameters import parse_spec
from hpsearch.report import study_report
from hpsearch.settings import StudySettings
from hpsearch.space import make_space
from hpsearch.status import TrialStatus

SPACE = ("optimizer=sgd,momentum,adagrad,adam", "batch_size=32,64,128",
         "hidden_layers=2:6", "dropout=0:0.5")  # fmt: skip


def build(db: str, trials: int, epochs: int) -> None:
    factory = open_store(db, create=True)
    searched = {d.name: d for d in map(parse_spec, SPACE)}
    space = make_space((1e-6, 1e-2), (1e-8, 1e-4), searched)
    rng = np.random.default_rng(0)
    with factory.begin() as session:
        study = store.create_study(session, "big", 0, StudySettings(epochs=epochs))
        round_ = store.create_round(session, study, space, trials)
        ids = [t.id for t in round_.trials]
    finals = rng.uniform(0.1, 0.95, size=len(ids))
    with factory.begin() as session:
        rows = [
            {"trial_id": trial_id, "epoch": e, "train_accuracy": final * e / epochs,
             "val_accuracy": final * e / epochs, "train_loss": 2.3 / e, "val_loss": 2.4 / e,
             "seconds": 0.02}
            for trial_id, final in zip(ids, finals, strict=True) for e in range(1, epochs + 1)
        ]  # fmt: skip
        session.execute(insert(EpochMetric), rows)
        session.execute(
            update(Trial),
            [
                {
                    "id": trial_id,
                    "status": TrialStatus.COMPLETED,
                    "epochs_run": epochs,
                    "val_accuracy": final,
                    "best_val_accuracy": final,
                    "best_epoch": epochs,
                    "train_accuracy": final,
                }
                for trial_id, final in zip(ids, finals, strict=True)
            ],  # fmt: skip
        )


def timed(command: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "big.db")
        started = time.perf_counter()
        build(db, args.trials, args.epochs)
        print(f"built {args.trials} trials x 6 parameters x {args.epochs} epochs "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
        cli = [sys.executable, "-m", "hpsearch"]
        as_json = timed([*cli, "report", "big", "--json", "--db", db], args.repeat)
        table = timed([*cli, "report", "big", "--db", db], args.repeat)
        factory = open_store(db, read_only=True)
        inside = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            with factory() as session:
                study_report(session, store.get_study(session, "big"))
            inside.append(time.perf_counter() - started)
        startup = timed([*cli, "--help"], args.repeat)
    print(f"report --json (new process): {as_json:.2f} s")
    print(f"report (new process):        {table:.2f} s")
    print(f"report, in process:          {statistics.median(inside):.2f} s")
    print(f"start-up alone (--help):     {startup:.2f} s")


if __name__ == "__main__":
    main()
