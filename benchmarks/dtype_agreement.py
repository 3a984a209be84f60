"""float32 against float64 on the book's search: do they choose the same trials?

    python benchmarks/dtype_agreement.py [--data-dir DIR] [--seeds 0 1 2 3 4] [--workers 2]

For each seed and each dtype, runs round 0 of the book's search (100 trials x 50
epochs, 500 samples -> 400 / 100, lr 1e-6..1e-2, weight decay 1e-8..1e-4, no
pruner) into a fresh SQLite database. The same seed samples the same trials in
both dtypes, so the searches can be compared trial by trial. Prints, per seed: the
wall time, the best final validation accuracy, the chosen (best) trial's lr and
weight decay, and how many of float64's top 5 trials are in float32's top 10.

Within noise: the mean difference of the best validation accuracy (float32 minus
float64) is no larger than the seed-to-seed standard deviation of float64's best,
and on average at least 3 of float64's top 5 are in float32's top 10.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hpsearch.data.datasets import DataSource
from hpsearch.search import steps
from hpsearch.settings import StudySettings
from hpsearch.space.sampling import BOOK_SPACE
from hpsearch.store import round_top, trial_values
from hpsearch.store.engine import database_url
from hpsearch.store.schema import open_store


@dataclass(frozen=True)
class Outcome:
    wall: float
    best: float
    lr: float
    weight_decay: float
    ranking: list[int]  # trial numbers, best first


def run(dtype: str, seed: int, args: argparse.Namespace, source: DataSource) -> Outcome:
    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "bench.db")
        factory = open_store(db, create=True)
        round_id = steps.start(
            factory, "bench", seed=seed, settings=StudySettings(epochs=args.epochs, dtype=dtype),
            space=BOOK_SPACE, n_trials=args.trials, source=source, pruner="none",
        )  # fmt: skip
        options = steps.RunOptions(db_url=database_url(db), workers=args.workers, source=source)
        summary = steps.run(factory, "bench", round_id, options)
        with factory() as session:
            top = round_top(session, round_id, args.trials)
            best = top[0]
            values = trial_values(session, [best.id])[best.id]
            return Outcome(
                summary.seconds, best.val_accuracy or 0.0, values["lr"], values["weight_decay"],
                [trial.number for trial in top],
            )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    source = DataSource(data_dir=args.data_dir)
    print(
        f"{args.trials} trials x {args.epochs} epochs, 400 train / 100 validation, "
        f"{args.workers} workers"
    )
    print(
        f"{'seed':>4} {'dtype':<8} {'wall s':>7} {'best val':>9} {'chosen lr':>10} "
        f"{'chosen wd':>10} {'f64 top5 in f32 top10':>22}"
    )
    gaps, overlaps, f64_bests, same_choice = [], [], [], 0
    for seed in args.seeds:
        f64 = run("float64", seed, args, source)
        f32 = run("float32", seed, args, source)
        overlap = len(set(f64.ranking[:5]) & set(f32.ranking[:10]))
        for name, o in (("float64", f64), ("float32", f32)):
            shown = f"{overlap:>22}" if name == "float32" else ""
            print(
                f"{seed:>4} {name:<8} {o.wall:>7.1f} {o.best:>9.3f} {o.lr:>10.2e} "
                f"{o.weight_decay:>10.2e} {shown}"
            )
        gaps.append(f32.best - f64.best)
        overlaps.append(overlap)
        f64_bests.append(f64.best)
        same_choice += f64.ranking[0] == f32.ranking[0]
    spread = statistics.stdev(f64_bests) if len(f64_bests) > 1 else float("nan")
    gap = statistics.mean(gaps)
    overlap = statistics.mean(overlaps)
    verdict = "within noise" if abs(gap) <= spread and overlap >= 3 else "NOT within noise"
    print(
        f"\nbest val: float32 - float64 mean {gap:+.3f} (per seed "
        f"{', '.join(f'{g:+.3f}' for g in gaps)}); float64 seed-to-seed sd {spread:.3f}"
    )
    print(f"float64's top 5 in float32's top 10: mean {overlap:.1f} of 5")
    print(f"same chosen trial in {same_choice} of {len(args.seeds)} seeds")
    print(f"verdict: {verdict} (|mean gap| <= sd of float64's best, and overlap >= 3 of 5)")


if __name__ == "__main__":
    main()
