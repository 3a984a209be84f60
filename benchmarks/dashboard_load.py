"""The dashboard on a large study: how long the study page's data and figures take.

    python benchmarks/dashboard_load.py [--trials 10000] [--epochs 50] [--rounds 4]
                                        [--repeat 5] [--db PATH]

Builds (once; an existing --db is reused) a study of ``--trials`` trials in
``--rounds`` rounds, every trial completed with ``--epochs`` epoch rows, straight
into an SQLite store; then asks the dashboard (its Flask app, in process) for each
page and prints the median time of ``--repeat`` requests. The study page's data
(/api/study/NAME) is summed in SQL, and the charts' data (/api/study/NAME/trials,
every trial as columns; /curves, the best 50 trials' curves) is three queries whatever
the number of trials: its time must stay under a second at 10,000
trials x 50 epochs. The figures (SVG drawn by matplotlib) are timed too; the
narrowing figure draws a point per trial and is the slowest.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import insert, update

from hpsearch import store
from hpsearch.dashboard import create_app
from hpsearch.settings import StudySettings
from hpsearch.space.sampling import BOOK_SPACE
from hpsearch.store.models import EpochMetric, Trial
from hpsearch.store.schema import open_store
from hpsearch.store.status import TrialStatus

NAME = "large"
PAGES = (
    "/api/study/large",
    "/api/study/large/trials",
    "/api/study/large/curves",
    "/api/study/large/importance",
    "/study/large/leaderboard.csv",
    "/api/studies",
    "/study/large",
    "/study/large/figure/curves.svg",
    "/study/large/figure/history.svg",
    "/study/large/figure/narrowing.svg",
)


def build(db: Path, trials: int, epochs: int, rounds: int) -> None:
    """A study of ``trials`` completed trials, ``epochs`` epochs each."""
    factory = open_store(str(db), create=True)
    rng = np.random.default_rng(0)
    with factory.begin() as session:
        study = store.create_study(session, NAME, 0, StudySettings(epochs=epochs))
        parent = None
        for _ in range(rounds):
            parent = store.create_round(session, study, BOOK_SPACE, trials // rounds, parent=parent)
        ids = [trial.id for round_ in study.rounds for trial in round_.trials]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        final = rng.uniform(0.1, 0.95, len(chunk))
        curves = final[:, None] * np.linspace(0.3, 1.0, epochs)  # (trials, epochs)
        with factory.begin() as session:
            session.execute(
                insert(EpochMetric),
                [
                    {"trial_id": trial_id, "epoch": e + 1, "train_accuracy": min(v + 0.05, 1.0),
                     "val_accuracy": v, "train_loss": 1.0 - v, "val_loss": 1.1 - v,
                     "seconds": 0.02}
                    for trial_id, curve in zip(chunk, curves.tolist(), strict=True)
                    for e, v in enumerate(curve)
                ],
            )  # fmt: skip
            session.execute(
                update(Trial),
                [
                    {"id": trial_id, "status": TrialStatus.COMPLETED, "epochs_run": epochs,
                     "val_accuracy": curve[-1], "best_val_accuracy": curve[-1],
                     "best_epoch": epochs, "train_accuracy": min(curve[-1] + 0.05, 1.0)}
                    for trial_id, curve in zip(chunk, curves.tolist(), strict=True)
                ],
            )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    db = args.db or Path(tempfile.mkdtemp()) / "dashboard.db"
    if not db.exists():
        began = time.perf_counter()
        build(db, args.trials, args.epochs, args.rounds)
        print(f"built {args.trials} trials x {args.epochs} epochs in "
              f"{time.perf_counter() - began:.1f} s: {db}")  # fmt: skip
    client = create_app(open_store(str(db), read_only=True)).test_client()
    print(f"{'page':<40} {'median s':>9} {'max s':>7}  (of {args.repeat} requests)")
    for url in PAGES:
        times = []
        for _ in range(args.repeat):
            began = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - began)
            assert response.status_code == 200, (url, response.status_code)
        print(f"{url:<40} {statistics.median(times):>9.3f} {max(times):>7.3f}")


if __name__ == "__main__":
    main()
