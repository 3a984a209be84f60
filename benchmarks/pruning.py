"""Pruners on the book's search: trial-epochs spent, wall time, best validation accuracy.

    python benchmarks/pruning.py [--data-dir DIR] [--seeds 0 1 2] [--trials 100] [--workers 2]

For each seed and each pruner (none, median, asha), runs round 0 of the book's
search (100 trials x 50 epochs, 500 samples -> 400 / 100, lr 1e-6..1e-2, weight
decay 1e-8..1e-4) into a fresh SQLite database and prints the trial-epochs run,
their share of none's, the wall time, the share of the workers' time spent waiting
for earlier trials (the pruners' order rule), and the best final validation
accuracy of a completed trial. Then, per pruner, the mean best and its difference from none
against the seed-to-seed spread of none's best (its sample standard deviation),
which is how a difference is judged to be within noise.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from sqlalchemy import func, select

from hpsearch import search, store, store_trials
from hpsearch.data import DataSource
from hpsearch.database import database_url, open_store
from hpsearch.models import EpochMetric
from hpsearch.pruning import PRUNERS
from hpsearch.settings import StudySettings
from hpsearch.space import BOOK_SPACE


def run(pruner: str, seed: int, args, source: DataSource) -> tuple[int, float, float, float]:
    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "bench.db")
        factory = open_store(db, create=True)
        round_id = search.start(
            factory, "bench", seed=seed, settings=StudySettings(epochs=args.epochs),
            space=BOOK_SPACE, n_trials=args.trials, source=source, pruner=pruner,
        )  # fmt: skip
        options = search.RunOptions(db_url=database_url(db), workers=args.workers, source=source)
        summary = search.run(factory, "bench", round_id, options)
        with factory() as session:
            epochs = session.scalar(select(func.count()).select_from(EpochMetric)) or 0
            best = store_trials.best_trial(session, store.get_study(session, "bench"))
        waited = sum(w.wait_seconds for w in summary.workers)
        share = waited / (args.workers * summary.seconds)
        return epochs, summary.seconds, best.val_accuracy if best else float("nan"), share


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    source = DataSource(data_dir=args.data_dir)
    results: dict[str, list[tuple[int, float, float]]] = {p: [] for p in PRUNERS}
    print(
        f"{'seed':>4} {'pruner':<7} {'trial-epochs':>12} {'share':>6} {'wall s':>7}"
        f" {'waiting':>8} {'best val':>9}"
    )
    for seed in args.seeds:
        for pruner in PRUNERS:
            epochs, wall, best, waiting = run(pruner, seed, args, source)
            results[pruner].append((epochs, wall, best))
            share = epochs / results["none"][-1][0]
            print(
                f"{seed:>4} {pruner:<7} {epochs:>12} {share:>6.0%} {wall:>7.1f}"
                f" {waiting:>8.1%} {best:>9.3f}"
            )
    none_bests = [best for _, _, best in results["none"]]
    spread = statistics.stdev(none_bests) if len(none_bests) > 1 else float("nan")
    none_epochs = sum(epochs for epochs, _, _ in results["none"])
    print(f"\nnone's best: mean {statistics.mean(none_bests):.3f}, seed-to-seed sd {spread:.3f}")
    for pruner in PRUNERS:
        epochs = sum(e for e, _, _ in results[pruner])
        wall = sum(w for _, w, _ in results[pruner])
        bests = [b for _, _, b in results[pruner]]
        gap = statistics.mean(bests) - statistics.mean(none_bests)
        if len(none_bests) < 2:
            verdict = "noise not measured: one seed"
        else:
            verdict = "within noise" if abs(gap) <= spread else "outside noise"
        print(
            f"{pruner:<7} trial-epochs {epochs / none_epochs:>5.0%} of none, wall {wall:>6.1f} s, "
            f"mean best {statistics.mean(bests):.3f} ({gap:+.3f}, {verdict})"
        )


if __name__ == "__main__":
    main()
