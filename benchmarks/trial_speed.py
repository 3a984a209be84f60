"""A trial of the book's default space, this code against an earlier revision, in one run.

    python benchmarks/trial_speed.py [--baseline REV] [--rounds 5] [--trials 20]
                                     [--dtype float32 --dtype float64] [--data-dir DIR]

Copies revision REV (default: the last one before typed search spaces) out of git
(`git archive`) into a temporary folder, then runs ROUNDS times, interleaved
(baseline, current; the next round current, baseline; ...), for each dtype and each
code base, in a fresh process whose PYTHONPATH is that code base:

    python -m hpsearch start book --db DB --data-dir DIR --trials N --workers 1 -q
        --seed 0 --dtype DTYPE --pruner none

once with N = TRIALS and once with N = 1, each on a new SQLite file. The CPU seconds
of the command and all its waited-for children (getrusage(RUSAGE_CHILDREN) before and
after) and its wall time give the cost of one trial without the fixed start-up:
(run of N) - (run of 1), divided by N - 1. Prints every run, the medians, and the
ratio current / baseline of the medians (CPU is the steadier figure on a shared
machine). Every option used exists in both revisions; `--pruner none` trains every
trial to the end in both (their default pruners differ).

Each run of N trials is then exported by its own code (`export --format csv
--epochs`) and the two code bases' studies are compared trial by trial and epoch by
epoch: the same lr, weight decay, seed and validation accuracy of every epoch, since
the book's draws and training must not change.
"""

from __future__ import annotations

import argparse
import csv
import io
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from book_comparison import check_imports, checkout, environment

#: The last revision before typed search spaces.
BEFORE_TYPED_SPACES = "cf64a9b"
REPO = Path(__file__).resolve().parents[1]
#: What must be the same in both code bases' exports, per trial and epoch.
COMPARED = ("trial", "lr", "weight_decay", "seed", "status", "val_accuracy", "epoch",
            "epoch_val_accuracy", "epoch_train_accuracy")  # fmt: skip


@dataclass(frozen=True)
class Cost:
    wall: float
    cpu: float


def timed(command: list[str], code: Path, cwd: Path) -> Cost:
    """Wall and CPU seconds of ``command`` and its children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    result = subprocess.run(command, env=environment(code), cwd=cwd, capture_output=True)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr.decode()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Cost(wall, cpu)


def exported(db: Path, code: Path, cwd: Path) -> list[tuple[str, ...]]:
    out = subprocess.run(
        [sys.executable, "-m", "hpsearch", "export", "book", "--db", str(db), "--format",
         "csv", "--epochs"],
        env=environment(code), cwd=cwd, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return [tuple(row[name] for name in COMPARED) for row in csv.DictReader(io.StringIO(out))]


def per_trial(code: Path, cwd: Path, args: argparse.Namespace, dtype: str, tag: str):
    def start(trials: int) -> tuple[Cost, Path]:
        db = cwd / f"{tag}-{trials}.db"
        db.unlink(missing_ok=True)
        command = [sys.executable, "-m", "hpsearch", "start", "book", "--db", str(db),
                   "--data-dir", args.data_dir, "--trials", str(trials), "--workers", "1",
                   "-q", "--seed", "0", "--dtype", dtype, "--pruner", "none"]  # fmt: skip
        return timed(command, code, cwd), db

    one, _ = start(1)
    many, db = start(args.trials)
    n = args.trials - 1
    cost = Cost((many.wall - one.wall) / n, (many.cpu - one.cpu) / n)
    return cost, one, many, exported(db, code, cwd)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BEFORE_TYPED_SPACES)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--dtype", action="append", choices=("float32", "float64"))
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data" / "mnist"))
    args = parser.parse_args()
    args.data_dir = str(Path(args.data_dir).resolve())
    dtypes = args.dtype or ["float32", "float64"]
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / "baseline").mkdir()
        codes = {"baseline": checkout(args.baseline, work / "baseline"), "current": REPO}
        for code in codes.values():
            check_imports(code, work)
        costs: dict[tuple[str, str], list[Cost]] = {}
        results: dict[tuple[str, str], list[tuple[str, ...]]] = {}
        print(f"baseline {args.baseline}, current {REPO}; {args.trials} trials minus 1 trial")
        print(f"{'round':>5} {'dtype':<8} {'code':<9} {'start 1 wall/cpu s':>19} "
              f"{'start N wall/cpu s':>19} {'per trial wall/cpu s':>21}")  # fmt: skip
        for number in range(args.rounds):
            order = list(codes) if number % 2 == 0 else list(reversed(codes))
            for dtype in dtypes:
                for name in order:
                    cost, one, many, rows = per_trial(codes[name], work, args, dtype, name)
                    costs.setdefault((dtype, name), []).append(cost)
                    results.setdefault((dtype, name), rows)
                    if rows != results[dtype, name]:
                        print(f"  {name} {dtype}: round {number} stored other results")
                    print(f"{number:>5} {dtype:<8} {name:<9} {one.wall:>9.2f} {one.cpu:>9.2f} "
                          f"{many.wall:>9.2f} {many.cpu:>9.2f} "
                          f"{cost.wall:>10.3f} {cost.cpu:>10.3f}")  # fmt: skip
        print(f"\nmedians of {args.rounds} rounds, seconds per trial (50 epochs, 400 / 100)")
        print(f"{'dtype':<8} {'baseline wall':>13} {'current wall':>13} {'ratio':>6} "
              f"{'baseline cpu':>13} {'current cpu':>12} {'ratio':>6}  same results")  # fmt: skip
        for dtype in dtypes:
            base, cur = costs[dtype, "baseline"], costs[dtype, "current"]
            walls = [statistics.median(c.wall for c in runs) for runs in (base, cur)]
            cpus = [statistics.median(c.cpu for c in runs) for runs in (base, cur)]
            same = results[dtype, "baseline"] == results[dtype, "current"]
            rows = len(results[dtype, "current"])
            print(f"{dtype:<8} {walls[0]:>13.3f} {walls[1]:>13.3f} {walls[1] / walls[0]:>6.3f} "
                  f"{cpus[0]:>13.3f} {cpus[1]:>12.3f} {cpus[1] / cpus[0]:>6.3f}  "
                  f"{'yes' if same else 'NO'} ({rows} trial-epoch rows)")  # fmt: skip


if __name__ == "__main__":
    main()
