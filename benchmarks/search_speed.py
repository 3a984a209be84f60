"""The book's search with 1 and with 2 workers: wall time, trials per minute, store share.

    python benchmarks/search_speed.py [--data-dir DIR] [--trials 100] [--epochs 50]

Runs ``hpsearch``'s round 0 with the book's setting (500 samples -> 400 / 100,
6x100 ReLU, He init, SGD, batch 100) into a fresh SQLite database per run, and
prints the wall time (worker start-up and MNIST loading included), trials per
minute, the speed-up of 2 workers over 1, and the share of the workers' time
spent writing epochs to the database.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from hpsearch.data.datasets import DataSource
from hpsearch.search import steps
from hpsearch.settings import StudySettings
from hpsearch.space.sampling import BOOK_SPACE
from hpsearch.store.engine import database_url
from hpsearch.store.schema import open_store


def run(workers: int, trials: int, epochs: int, source: DataSource) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "bench.db")
        factory = open_store(db, create=True)
        round_id = steps.start(
            factory,
            "bench",
            seed=0,
            settings=StudySettings(epochs=epochs),
            space=BOOK_SPACE,
            n_trials=trials,
            source=source,
        )
        options = steps.RunOptions(db_url=database_url(db), workers=workers, source=source)
        summary = steps.run(factory, "bench", round_id, options)
        store_seconds = sum(w.store_seconds for w in summary.workers)
        busy_seconds = sum(w.train_seconds for w in summary.workers)
        return summary.seconds, store_seconds / busy_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=50)
    args = parser.parse_args()
    source = DataSource(data_dir=args.data_dir)
    print(f"{args.trials} trials x {args.epochs} epochs, 400 train / 100 validation")
    print(f"{'workers':>7} {'wall s':>8} {'trials/min':>11} {'db writes':>10}")
    walls = {}
    for workers in (1, 2):
        wall, share = run(workers, args.trials, args.epochs, source)
        walls[workers] = wall
        rate = args.trials / wall * 60
        print(f"{workers:>7} {wall:>8.1f} {rate:>11.1f} {share:>9.2%}")
    print(f"speed-up of 2 workers over 1: {walls[1] / walls[2]:.2f}x")


if __name__ == "__main__":
    main()
