"""Pruners on the book's search: compute spent, and the test accuracy of the trial chosen.

    python benchmarks/pruning.py [--data-dir DIR] [--seeds 0 1 2 3 4] [--trials 100]
                                 [--narrow-trials 50] [--top-k 5] [--workers 2] [--retrain 3]

For each seed and each pruner (none, median, asha), runs the book's search into a fresh
SQLite database: round 0 (100 trials x 50 epochs, 500 samples -> 400 / 100, lr
1e-6..1e-2, weight decay 1e-8..1e-4), then one narrowing around its top 5 (50 trials),
both rounds with the pruner. Then the chosen trial (the best completed one of the study)
is retrained as `hpsearch evaluate` does, on the 500 training and validation samples,
with the trial's seed and RETRAIN - 1 more, and measured on the 10,000 test images.

Prints per run: the trial-epochs run, their share of none's, the wall time of the two
rounds, the share of the workers' time spent waiting for earlier trials (the order
rule), the best validation accuracy, and the chosen trial's mean test accuracy. Then per
pruner: the share of none's trial-epochs over all seeds, and the paired difference of
the chosen trials' test accuracy from none's (mean over seeds, with twice its standard
error): the difference is called within noise when that interval holds 0.
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hpsearch.data.datasets import DataSource
from hpsearch.run.pruning import PRUNERS
from hpsearch.search import steps
from hpsearch.search.evaluation import best_of, retrain
from hpsearch.settings import StudySettings
from hpsearch.space.sampling import BOOK_SPACE
from hpsearch.store.engine import database_url
from hpsearch.store.models import EpochMetric, Trial
from hpsearch.store.schema import open_store


@dataclass(frozen=True)
class Outcome:
    epochs: int
    wall: float
    waiting: float  # share of the workers' time
    best_val: float
    test: float  # the chosen trial's mean test accuracy over the retrainings


def chosen_test_accuracy(
    factory: sessionmaker[Session], retrainings: int, source: DataSource
) -> tuple[float, float]:
    """The chosen trial's best validation accuracy and its mean retrained test accuracy."""
    with factory() as session:
        study, trial = best_of(session, "bench")
        settings = StudySettings.from_study(study)
        best_val = session.get_one(Trial, trial.id).val_accuracy or 0.0
        study_seed = study.seed
    tests = []
    for k in range(retrainings):
        retrained = retrain(settings, study_seed, replace(trial, seed=trial.seed + k), source)
        tests.append(retrained.test_accuracy or 0.0)  # a diverged retraining counts as 0
    return best_val, statistics.mean(tests)


def run(pruner: str, seed: int, args: argparse.Namespace, source: DataSource) -> Outcome:
    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "bench.db")
        factory = open_store(db, create=True)
        options = steps.RunOptions(db_url=database_url(db), workers=args.workers, source=source)
        round_id = steps.start(
            factory, "bench", seed=seed, settings=StudySettings(epochs=args.epochs),
            space=BOOK_SPACE, n_trials=args.trials, source=source, pruner=pruner,
        )  # fmt: skip
        first = steps.run(factory, "bench", round_id, options)
        plan = steps.create_narrowed_round(
            factory, "bench", args.top_k, args.narrow_trials, pruner=pruner
        )
        assert plan.round_id is not None
        second = steps.run(factory, "bench", plan.round_id, options)
        with factory() as session:
            epochs = session.scalar(select(func.count()).select_from(EpochMetric)) or 0
        best_val, test = chosen_test_accuracy(factory, args.retrain, source)
    wall = first.seconds + second.seconds
    waited = sum(w.wait_seconds for w in [*first.workers, *second.workers])
    return Outcome(epochs, wall, waited / (args.workers * wall), best_val, test)


def paired(gaps: list[float]) -> str:
    """Mean of the paired differences, twice its standard error, and the verdict."""
    mean = statistics.mean(gaps)
    if len(gaps) < 2:
        return f"{mean:+.3f} (one seed: noise not measured)"
    half = 2 * statistics.stdev(gaps) / math.sqrt(len(gaps))
    verdict = "within noise" if abs(mean) <= half else "outside noise"
    return f"{mean:+.3f} ± {half:.3f} ({verdict})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--narrow-trials", type=int, default=50)
    parser.add_argument("--top-k", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--retrain", type=int, default=3, help="retrainings of the chosen trial")
    args = parser.parse_args()
    source = DataSource(data_dir=args.data_dir)
    results: dict[str, list[Outcome]] = {p: [] for p in PRUNERS}
    print(
        f"start {args.trials} + narrow {args.narrow_trials} (top {args.top_k}), "
        f"{args.epochs} epochs, {args.workers} workers; test accuracy: mean of "
        f"{args.retrain} retrainings of the chosen trial"
    )
    print(
        f"{'seed':>4} {'pruner':<7} {'trial-epochs':>12} {'share':>6} {'wall s':>7}"
        f" {'waiting':>8} {'best val':>9} {'test':>6}"
    )
    for seed in args.seeds:
        for pruner in PRUNERS:
            outcome = run(pruner, seed, args, source)
            results[pruner].append(outcome)
            share = outcome.epochs / results["none"][-1].epochs
            print(
                f"{seed:>4} {pruner:<7} {outcome.epochs:>12} {share:>6.1%} {outcome.wall:>7.1f}"
                f" {outcome.waiting:>8.1%} {outcome.best_val:>9.3f} {outcome.test:>6.4f}",
                flush=True,
            )
    none = results["none"]
    print(f"\nover {len(args.seeds)} seeds; test: the chosen trial's, paired with none's")
    print(f"{'pruner':<7} {'trial-epochs':>12} {'wall':>6} {'waiting':>8} {'test':>7}  vs none")
    for pruner, outcomes in results.items():
        share = sum(o.epochs for o in outcomes) / sum(o.epochs for o in none)
        wall = sum(o.wall for o in outcomes) / sum(o.wall for o in none)
        waiting = statistics.mean(o.waiting for o in outcomes)
        test = statistics.mean(o.test for o in outcomes)
        gaps = [o.test - n.test for o, n in zip(outcomes, none, strict=True)]
        print(
            f"{pruner:<7} {share:>12.1%} {wall:>6.0%} {waiting:>8.1%} {test:>7.4f}  "
            f"{paired(gaps) if pruner != 'none' else ''}"
        )


if __name__ == "__main__":
    main()
