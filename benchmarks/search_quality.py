"""Search quality at equal compute: how the configuration each method chooses tests.

    python benchmarks/search_quality.py [--data-dir DIR] [--space mixed|book]
        [--seeds 0 1 2 3 4] [--trials 150] [--epochs 50] [--workers 2] [--retrain 3]
        [--methods NAME ...]

Every method searches the same space with the same
one-trial function (the book's network on the study's split of 500 MNIST samples,
400 / 100, each trial trained up to EPOCHS epochs) and the same budget of TRIALS trials.
Its chosen configuration (its best completed trial by final validation accuracy) is then
retrained on train + validation with RETRAIN fixed seeds and tested once on the 10,000
test images, the same for every method.

Methods (``--methods``, all by default):

    start-random, start-tpe   hpsearch start, asha, WORKERS workers, random or tpe
    auto-random, auto-tpe     hpsearch auto with its defaults (asha, top-5): round 0 and
                              up to 3 narrowings of TRIALS/4 trials each
    optuna-random, optuna-tpe, optuna-tpe-median, optuna-tpe-sha
                              Optuna's samplers and pruners, ask/tell, one process

The spaces: ``mixed`` (optimizer of sgd, momentum, adam, adagrad; lr and weight decay
log-uniform; batch size of 25, 50, 100, 200; batch norm on/off) and ``book`` (lr and
weight decay, the book's ranges).

Prints per method and seed, then, after each seed, per method over the seeds done so
far (a run cut short still shows its complete seeds): the best validation accuracy, the
chosen configuration's test accuracy (the mean over its retrainings), its paired
difference to the best Optuna variant (mean over seeds, two standard errors),
trial-epochs and wall time. Optuna runs its trials one at a time in this process while
hpsearch runs WORKERS workers, so wall times are not comparable; trial-epochs are.
Not yet: Fashion-MNIST.
Needs Optuna (``pip install optuna``) for its methods.
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import func, select

from hpsearch import store
from hpsearch.data.datasets import DataSource, load_split
from hpsearch.run.training import TrialSpec, train_trial
from hpsearch.search import steps
from hpsearch.search.auto import AutoPlan, run_auto
from hpsearch.search.evaluation import retrain
from hpsearch.settings import StudySettings
from hpsearch.space.conditions import dependency_order
from hpsearch.space.domains import Choice, FloatRange, IntRange, Value
from hpsearch.space.samplers import Sampling
from hpsearch.space.sampling import BOOK_SPACE, SearchSpace, make_space, training_seed
from hpsearch.store.engine import database_url
from hpsearch.store.models import EpochMetric
from hpsearch.store.schema import open_store

MIXED = make_space(
    (1e-5, 1e-1),
    (1e-8, 1e-3),
    {
        "optimizer": Choice(("sgd", "momentum", "adam", "adagrad"), "optimizer"),
        "batch_size": Choice((25, 50, 100, 200), "batch_size"),
        "batchnorm": Choice((False, True), "batchnorm"),
    },
)
SPACES = {"mixed": MIXED, "book": BOOK_SPACE}
#: ``hpsearch auto``'s defaults (rounds, top-k): round 0 and up to 3 narrowings, each of
#: TRIALS / 4 trials, so that auto spends at most the budget the other methods spend.
AUTO_ROUNDS, AUTO_TOP_K = 3, 5


@dataclass(frozen=True)
class Search:
    """What a method's search gave: its chosen values, their validation accuracy, and
    what it cost."""

    values: dict[str, Value]
    best_val: float
    trial_epochs: int
    wall: float


@dataclass(frozen=True)
class Setup:
    space: SearchSpace
    settings: StudySettings
    trials: int
    workers: int
    source: DataSource


# --- hpsearch ----------------------------------------------------------------------------


def hpsearch_search(setup: Setup, seed: int, sampler: str, auto: bool) -> Search:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "quality.db")
        factory = open_store(db, create=True)
        options = steps.RunOptions(database_url(db), setup.workers, setup.source)
        per_round = setup.trials // (AUTO_ROUNDS + 1) if auto else setup.trials
        round_id = steps.start(
            factory, "q", seed=seed, settings=setup.settings, space=setup.space,
            n_trials=per_round, source=setup.source, pruner="asha", sampling=Sampling(sampler),
        )  # fmt: skip

        def run_round(round_id: int) -> None:
            steps.run(factory, "q", round_id, options)

        run_round(round_id)
        if auto:
            plan = AutoPlan(AUTO_ROUNDS, min(AUTO_TOP_K, per_round), per_round, pruner="asha")
            run_auto(factory, "q", plan, run_round)
        with factory() as session:
            study = store.get_study(session, "q")
            best = store.best_trial(session, study)
            assert best is not None, "no trial completed"
            values = store.trial_values(session, [best.id])[best.id]
            epochs = session.scalar(select(func.count()).select_from(EpochMetric)) or 0
            best_val = best.val_accuracy or 0.0
    return Search(values, best_val, epochs, time.perf_counter() - started)


# --- Optuna ------------------------------------------------------------------------------


def suggested(trial, space: SearchSpace) -> dict[str, Value]:
    """An Optuna trial's values over ``space``: each parameter suggested only where its
    condition holds, parents first."""
    values: dict[str, Value] = {}
    for domain in dependency_order(space.domains):
        if domain.when is not None and not domain.when.holds(values):
            continue
        if isinstance(domain, Choice):
            values[domain.name] = trial.suggest_categorical(domain.name, list(domain.choices))
        elif isinstance(domain, IntRange):
            values[domain.name] = trial.suggest_int(
                domain.name, domain.low, domain.high, log=domain.log
            )
        elif isinstance(domain, FloatRange):
            values[domain.name] = trial.suggest_float(
                domain.name, domain.low, domain.high, log=domain.log
            )
    return values


def optuna_search(setup: Setup, seed: int, sampler: str, pruner: str) -> Search:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    samplers: dict[str, Callable[[], object]] = {
        "random": lambda: optuna.samplers.RandomSampler(seed=seed),
        "tpe": lambda: optuna.samplers.TPESampler(seed=seed),
    }
    pruners: dict[str, Callable[[], object]] = {
        "none": optuna.pruners.NopPruner,
        "median": optuna.pruners.MedianPruner,
        "sha": lambda: optuna.pruners.SuccessiveHalvingPruner(min_resource=2, reduction_factor=4),
    }
    study = optuna.create_study(
        direction="maximize", sampler=samplers[sampler](), pruner=pruners[pruner]()
    )
    split = load_split(setup.settings, seed, setup.source)
    epochs = 0
    started = time.perf_counter()
    for number in range(setup.trials):
        trial = study.ask()
        values = suggested(trial, setup.space)
        spec = TrialSpec(number, training_seed(seed, 0, number), values)

        def on_epoch(metrics, trial=trial) -> bool:
            trial.report(metrics.val_accuracy, metrics.epoch)
            return trial.should_prune()

        result = train_trial(setup.settings, split, spec, on_epoch)
        epochs += len(result.history)
        final = result.history[-1].val_accuracy if result.history else 0.0
        if result.status == "completed":
            study.tell(trial, final)
        elif result.status == "stopped":
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        else:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
    best = study.best_trial
    return Search(dict(best.params), best.value or 0.0, epochs, time.perf_counter() - started)


METHODS: dict[str, Callable[[Setup, int], Search]] = {
    "start-random": lambda s, seed: hpsearch_search(s, seed, "random", auto=False),
    "start-tpe": lambda s, seed: hpsearch_search(s, seed, "tpe", auto=False),
    "auto-random": lambda s, seed: hpsearch_search(s, seed, "random", auto=True),
    "auto-tpe": lambda s, seed: hpsearch_search(s, seed, "tpe", auto=True),
    "optuna-random": lambda s, seed: optuna_search(s, seed, "random", "none"),
    "optuna-tpe": lambda s, seed: optuna_search(s, seed, "tpe", "none"),
    "optuna-tpe-median": lambda s, seed: optuna_search(s, seed, "tpe", "median"),
    "optuna-tpe-sha": lambda s, seed: optuna_search(s, seed, "tpe", "sha"),
}


# --- judging -----------------------------------------------------------------------------


def tested(setup: Setup, seed: int, values: dict[str, Value], retrainings: int) -> float:
    """The chosen values' test accuracy: the mean of ``retrainings`` retrainings on train +
    validation, with the fixed seeds 0, 1, ... (a diverged one counts as 0)."""
    accuracies = []
    for k in range(retrainings):
        retrained = retrain(setup.settings, seed, TrialSpec(0, k, values), setup.source)
        accuracies.append(retrained.test_accuracy or 0.0)
    return statistics.mean(accuracies)


def paired(gaps: list[float]) -> str:
    mean = statistics.mean(gaps)
    if len(gaps) < 2:
        return f"{mean:+.4f} (one seed)"
    return f"{mean:+.4f} ± {2 * statistics.stdev(gaps) / math.sqrt(len(gaps)):.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--space", choices=sorted(SPACES), default="mixed")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--trials", type=int, default=150)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--retrain", type=int, default=3)
    parser.add_argument("--methods", nargs="+", choices=list(METHODS), default=list(METHODS))
    parser.add_argument("--summarize", nargs="+", metavar="LOG", help="summarize saved runs")
    args = parser.parse_args()
    if args.summarize:
        summarize_logs([Path(log) for log in args.summarize])
        return
    settings = replace(StudySettings(), epochs=args.epochs)
    setup = Setup(SPACES[args.space], settings, args.trials, args.workers,
                  DataSource(data_dir=args.data_dir))  # fmt: skip
    print(f"{args.space} space, {args.trials} trials x {args.epochs} epochs, seeds {args.seeds}")
    print(
        f"{'method':<18} {'seed':>4} {'best val':>9} {'test':>7} {'trial-epochs':>12} {'wall s':>7}"
    )
    results: dict[str, list[tuple[Search, float]]] = {name: [] for name in args.methods}
    for seed in args.seeds:
        for name in args.methods:
            search = METHODS[name](setup, seed)
            test = tested(setup, seed, search.values, args.retrain)
            results[name].append((search, test))
            print(f"{name:<18} {seed:>4} {search.best_val:>9.3f} {test:>7.4f}"
                  f" {search.trial_epochs:>12} {search.wall:>7.1f}", flush=True)  # fmt: skip
        summarize(results, done=args.seeds[: args.seeds.index(seed) + 1])


def summarize_logs(logs: list[Path]) -> None:
    """The summary over the seeds that every method finished in ``logs`` (this script's
    output of runs on other seeds, for example two run side by side)."""
    rows: dict[str, dict[int, tuple[Search, float]]] = {}
    for log in logs:
        for line in log.read_text().splitlines():
            words = line.split()
            if len(words) == 6 and words[0] in METHODS and words[1].isdigit():
                name, seed, best, test, epochs, wall = words
                search = Search({}, float(best), int(epochs), float(wall))
                rows.setdefault(name, {})[int(seed)] = (search, float(test))
    seeds = sorted(set.intersection(*(set(runs) for runs in rows.values()))) if rows else []
    if not seeds:
        raise SystemExit("no seed that every method finished")
    summarize({name: [runs[seed] for seed in seeds] for name, runs in rows.items()}, seeds)


def summarize(results: dict[str, list[tuple[Search, float]]], done: list[int]) -> None:
    """Per method, the means over the seeds done so far (printed after each seed, so a run
    cut short still shows its complete seeds), and the paired test difference to the
    Optuna method whose mean test accuracy is highest."""
    optunas = [name for name in results if name.startswith("optuna")]
    reference = max(optunas, key=lambda n: statistics.mean(t for _, t in results[n]), default=None)
    print(f"\nmeans over seeds {done}; paired with {reference or 'no Optuna method'}")
    print(f"{'method':<18} {'best val':>9} {'test':>7} {'vs ' + (reference or '-'):>24}"
          f" {'trial-epochs':>12} {'wall s':>7}")  # fmt: skip
    for name, runs in results.items():
        tests = [test for _, test in runs]
        gap = "-"
        if reference is not None:
            gaps = [t - r for t, (_, r) in zip(tests, results[reference], strict=True)]
            gap = paired(gaps)
        print(f"{name:<18} {statistics.mean(s.best_val for s, _ in runs):>9.3f}"
              f" {statistics.mean(tests):>7.4f} {gap:>24}"
              f" {statistics.mean(s.trial_epochs for s, _ in runs):>12.0f}"
              f" {statistics.mean(s.wall for s, _ in runs):>7.1f}")  # fmt: skip
    print(flush=True)


if __name__ == "__main__":
    main()
