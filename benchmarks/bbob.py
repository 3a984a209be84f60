"""Others' problems: hpsearch's search methods against Optuna's on BBOB test functions.

The COCO/BBOB functions (the ``coco-experiment`` package, ``pip install -e
".[benchmark]"``) in 2 to 10 dimensions, each searched over its box [-5, 5]^d as a
training function of one's own would be (one "epoch": the function's value, minimised),
at the same number of evaluations for every method, over a few seeds:

- ``hpsearch-random``: one round of every evaluation (``hpsearch start``);
- ``hpsearch-narrow``: two fifths at random, then three rounds narrowed around the top 5
  (``start`` then ``narrow`` three times: the book's STEP3);
- ``hpsearch-tpe``: one round sampled by hpsearch's TPE (``--sampler tpe``), when this
  hpsearch has it;
- ``optuna-random`` and ``optuna-tpe``: Optuna's RandomSampler and TPESampler, seeded.

It prints, per function and dimension, each method's median best value over the seeds
(lower is better), then each method's mean rank over every (problem, seed) and how often
each hpsearch method beat Optuna's TPE on the same problem and seed.

    python benchmarks/bbob.py                    # f1, f8, f15, f21 in 2, 5, 10 dimensions
    python benchmarks/bbob.py --functions 1 --dimensions 2 --seeds 2 --budget 50
"""

from __future__ import annotations

import argparse
import inspect
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from hpsearch import Goal, Sampling, StudySettings, Tuning
from hpsearch.space.domains import FloatRange
from hpsearch.space.sampling import SearchSpace

GOAL = Goal("f", "minimize")


def problems(functions: list[int], dimensions: list[int]):
    """The suite of BBOB problems (instance 1) of ``functions`` in ``dimensions`` (its
    problems are valid while the suite lives)."""
    import cocoex

    options = (
        f"function_indices:{','.join(map(str, functions))} "
        f"dimensions:{','.join(map(str, dimensions))} instance_indices:1"
    )
    return cocoex.Suite("bbob", "", options)


def space_of(problem) -> SearchSpace:
    return SearchSpace(
        tuple(
            FloatRange(float(low), float(high), name=f"x{i}", log=False)
            for i, (low, high) in enumerate(
                zip(problem.lower_bounds, problem.upper_bounds, strict=True)
            )
        )
    )


def objective(problem) -> Callable:
    """A training function of the problem (defined here, so it runs in this process)."""
    names = [f"x{i}" for i in range(problem.dimension)]

    def evaluate(trial) -> None:
        trial.report(1, f=float(problem(np.array([trial.values[n] for n in names]))))

    return evaluate


def hpsearch_run(problem, seed: int, budget: int, method: str, folder: Path) -> float:
    """The best value one hpsearch method found in ``budget`` evaluations."""
    name = f"{problem.id}-{method}-{seed}"
    tuning = Tuning(name, str(folder / f"{name}.db"), objective(problem), GOAL)
    settings = StudySettings(epochs=1)
    space = space_of(problem)
    if method == "hpsearch-narrow":
        first = budget * 2 // 5
        best = tuning.start(space, trials=first, settings=settings, seed=seed)
        left = budget - first
        for r in range(3):
            trials = left // (3 - r)
            left -= trials
            best = tuning.narrow(top_k=5, trials=trials)
    elif method == "hpsearch-tpe":
        tpe = Sampling("tpe")
        best = tuning.start(space, trials=budget, settings=settings, seed=seed, sampling=tpe)
    else:
        best = tuning.start(space, trials=budget, settings=settings, seed=seed)
    return min(t.value for t in best if t.value is not None)


def optuna_run(problem, seed: int, budget: int, method: str) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = (
        optuna.samplers.TPESampler(seed=seed)
        if method == "optuna-tpe"
        else optuna.samplers.RandomSampler(seed=seed)
    )
    study = optuna.create_study(direction="minimize", sampler=sampler)
    bounds = list(zip(problem.lower_bounds, problem.upper_bounds, strict=True))

    def evaluate(trial) -> float:
        x = [
            trial.suggest_float(f"x{i}", float(lo), float(hi)) for i, (lo, hi) in enumerate(bounds)
        ]
        return float(problem(np.array(x)))

    study.optimize(evaluate, n_trials=budget)
    return float(study.best_value)


def has_tpe() -> bool:
    return "sampling" in inspect.signature(Tuning.start).parameters


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--functions", type=int, nargs="+", default=[1, 8, 15, 21])
    parser.add_argument("--dimensions", type=int, nargs="+", default=[2, 5, 10])
    parser.add_argument("--budget", type=int, default=100, help="evaluations per run")
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    methods = ["hpsearch-random", "hpsearch-narrow", *(["hpsearch-tpe"] if has_tpe() else []),
               "optuna-random", "optuna-tpe"]  # fmt: skip
    found: dict[tuple[str, int], dict[str, float]] = {}  # (problem, seed) -> method -> best
    seconds = dict.fromkeys(methods, 0.0)
    with tempfile.TemporaryDirectory() as folder:
        suite = problems(args.functions, args.dimensions)
        for problem in suite:
            for seed in range(args.seeds):
                for method in methods:
                    started = time.perf_counter()
                    if method.startswith("hpsearch"):
                        best = hpsearch_run(problem, seed, args.budget, method, Path(folder))
                    else:
                        best = optuna_run(problem, seed, args.budget, method)
                    seconds[method] += time.perf_counter() - started
                    found.setdefault((problem.id, seed), {})[method] = best
    print(f"BBOB, instance 1, {args.budget} evaluations a run, {args.seeds} seeds; "
          "median best value (lower is better):")  # fmt: skip
    print(f"{'problem':<20}" + "".join(f"{m:>17}" for m in methods))
    for problem_id in dict.fromkeys(p for p, _ in found):
        runs = [found[(problem_id, s)] for s in range(args.seeds)]
        medians = [statistics.median(run[m] for run in runs) for m in methods]
        print(f"{problem_id:<20}" + "".join(f"{v:>17.4g}" for v in medians))
    ranks = {m: [] for m in methods}
    for bests in found.values():
        order = sorted(methods, key=lambda m: bests[m])
        for m in methods:
            ranks[m].append(1 + order.index(m))
    print(f"\nmean rank over {len(found)} (problem, seed) runs (1 is best), and seconds:")
    for m in methods:
        print(f"  {m:<17} {statistics.mean(ranks[m]):.2f}   {seconds[m]:.1f} s")
    for m in (m for m in methods if m.startswith("hpsearch")):
        wins = sum(b[m] < b["optuna-tpe"] for b in found.values())
        ties = sum(b[m] == b["optuna-tpe"] for b in found.values())
        print(f"{m} against optuna-tpe: better in {wins}, equal in {ties}, of {len(found)}")


if __name__ == "__main__":
    main()
