"""What the tpe sampler costs: sampling one trial after many, and the waiting of the batch rule.

    python benchmarks/sampler_cost.py [--after 1000] [--repeat 20] [--data-dir DIR]
                                      [--trials 40] [--epochs 10] [--batch 10] [--workers 2]
                                      [--skip-run]

1. Sampling cost. A study of AFTER finished trials (a mixed, conditional space: lr and
   weight decay log ranges, optimizer of four, momentum only for momentum, batch size
   of four, hidden layers 1..6, batch norm on/off; each trial with 50 stored epochs, half
   of them pruned at epoch 2, 8 or 32) is written to a SQLite file. Then trial AFTER is
   sampled REPEAT times as a worker samples it: the read of the trials it learns from
   (store.observations.trials_before, the fidelity rule included) and the TPE itself.
   Prints the median and the fastest of each (the fastest: what it costs when no other
   process takes the cores), and what the TPE costs for the tenth trial of a batch (nine
   batch-mates pending) and for a whole batch of ten sampled in order. When Optuna is
   installed, prints beside it what its TPESampler costs for the same trials (a fresh
   in-memory study per trial, as reproducibility needs): the import in a new process,
   adding the trials, one ask.
2. The batch rule's waiting. A small real round (TRIALS trials of EPOCHS epochs on 500
   MNIST samples, the book's network) with WORKERS workers, sampled at random and by
   tpe (batches of BATCH): its wall time, and the share of the workers' time spent
   waiting for the trials before a batch and sampling (``WorkerStats.sample_seconds``)
   and waiting for pruning decisions (none here).
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
from hpsearch.data.datasets import DataSource
from hpsearch.search import steps
from hpsearch.settings import StudySettings
from hpsearch.space.domains import Choice, FloatRange, IntRange
from hpsearch.space.samplers import Sampling, domain_value, sampled_batch, sampled_params
from hpsearch.space.sampling import SearchSpace, make_space
from hpsearch.store.engine import database_url
from hpsearch.store.models import EpochMetric, Trial
from hpsearch.store.observations import trials_before
from hpsearch.store.schema import open_store
from hpsearch.store.status import TrialStatus

EPOCHS = 50
MIXED = make_space(
    (1e-6, 1e-1),
    (1e-8, 1e-3),
    {
        "optimizer": Choice(("sgd", "momentum", "adam", "adagrad"), "optimizer"),
        "momentum": FloatRange(0.5, 0.99, "momentum", log=False),
        "batch_size": Choice((25, 50, 100, 200), "batch_size"),
        "hidden_layers": IntRange(1, 6, "hidden_layers"),
        "batchnorm": Choice((False, True), "batchnorm"),
    },
)


def finished_study(db: str, after: int) -> tuple[int, int]:
    """A study whose round 0 (tpe, one batch of AFTER) has AFTER finished trials and a
    last one to sample; returns (round id, study seed)."""
    factory = open_store(db, create=True)
    rng = np.random.default_rng(0)
    with factory.begin() as session:
        study = store.create_study(session, "cost", 0, StudySettings(epochs=EPOCHS))
        sampling = Sampling("tpe", batch=after)
        round_ = store.create_round(session, study, MIXED, after + 1, sampling=sampling)
        round_id, seed = round_.id, study.seed
        rows, ends = [], []
        for trial in round_.trials[:after]:
            ran = EPOCHS if rng.uniform() < 0.5 else int(rng.choice([2, 8, 32]))
            curve = np.clip(rng.uniform(0.1, 0.9) + rng.normal(0, 0.02, ran), 0, 1)
            rows += [
                {"trial_id": trial.id, "epoch": e + 1, "train_accuracy": float(a),
                 "val_accuracy": float(a), "train_loss": 1.0, "val_loss": 1.0, "seconds": 0.01}
                for e, a in enumerate(curve)
            ]  # fmt: skip
            status = TrialStatus.COMPLETED if ran == EPOCHS else TrialStatus.PRUNED
            ends.append((trial.id, status, ran, float(curve[-1]), float(curve.max())))
        session.execute(insert(EpochMetric), rows)
        for trial_id, status, ran, final, best in ends:
            session.execute(
                update(Trial)
                .where(Trial.id == trial_id)
                .values(status=status, epochs_run=ran, val_accuracy=final, best_val_accuracy=best)
            )
    return round_id, seed


def sampling_cost(after: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "cost.db")
        round_id, seed = finished_study(db, after)
        factory = open_store(db)
        reads, samples, lasts, batches = [], [], [], []
        sampling = Sampling("tpe", batch=after)
        for _ in range(repeat):
            started = time.perf_counter()
            with factory() as session:
                before = trials_before(session, round_id, after)
            read = time.perf_counter()
            sampled_params(sampling, seed, 0, after, MIXED, before.learned)
            sampled = time.perf_counter()
            batch = sampled_batch(
                sampling, seed, 0, range(after, after + 10), MIXED, before.learned
            )
            batched = time.perf_counter()
            pending = [params.values for params in batch[:9]]
            sampled_params(sampling, seed, 0, after + 9, MIXED, before.learned, pending)
            reads.append(read - started)
            samples.append(sampled - read)
            batches.append(batched - sampled)
            lasts.append(time.perf_counter() - batched)
    together = [r + t for r, t in zip(reads, samples, strict=True)]
    print(f"sampling trial {after} after {after} finished trials ({len(MIXED)} parameters, one")
    print(f"conditional), of {repeat} times, ranked at epoch {before.fidelity}:")
    print(f"{'':<46} {'median':>8} {'fastest':>8}")
    for what, times in (
        ("read of the trials it learns from", reads),
        ("tpe, the first trial of a batch", samples),
        ("together", together),
        ("tpe, the tenth of a batch (nine pending)", lasts),
        ("tpe, a whole batch of ten, in order", batches),
    ):
        median, fastest = 1000 * statistics.median(times), 1000 * min(times)
        print(f"  {what:<44} {median:>5.1f} ms {fastest:>5.1f} ms")
    optuna_cost(before.learned, repeat)


def optuna_cost(learned, repeat: int) -> None:
    try:
        import optuna
    except ImportError:
        print("optuna is not installed: its TPESampler is not measured")
        return
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    code = "import time; t = time.perf_counter(); import optuna; print(time.perf_counter() - t)"
    imports = [float(subprocess.check_output([sys.executable, "-c", code])) for _ in range(3)]
    distributions = {
        d.name: (
            CategoricalDistribution(list(d.choices)) if isinstance(d, Choice)
            else IntDistribution(d.low, d.high, log=d.log) if isinstance(d, IntRange)
            else FloatDistribution(d.low, d.high, log=d.log)
        )
        for d in MIXED
    }  # fmt: skip
    trials = []
    for trial in learned:
        params = {n: domain_value(MIXED[n], text) for n, text in trial.values.items()}
        used = {n: distributions[n] for n in params}
        score = trial.rank[0] * 10 + trial.rank[1]  # the same order as the fidelity rule's
        trials.append(optuna.trial.create_trial(params=params, distributions=used, value=score))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    adds, asks = [], []
    for k in range(repeat):
        started = time.perf_counter()
        sampler = optuna.samplers.TPESampler(seed=k)
        study = optuna.create_study(direction="maximize", sampler=sampler)
        study.add_trials(trials)
        added = time.perf_counter()
        asked = study.ask()
        for name, distribution in distributions.items():
            if name != "momentum" or asked.params.get("optimizer") == "momentum":
                asked._suggest(name, distribution)
        adds.append(added - started)
        asks.append(time.perf_counter() - added)
    print(f"optuna {optuna.__version__} TPESampler, the same trials:")
    print(f"  import optuna (new process)        {1000 * statistics.median(imports):7.1f} ms")
    print(f"  a study with the trials added      {1000 * statistics.median(adds):7.1f} ms")
    print(f"  one ask                            {1000 * statistics.median(asks):7.1f} ms")


def waiting_share(args: argparse.Namespace) -> None:
    source = DataSource(data_dir=args.data_dir)
    space = SearchSpace(tuple(MIXED[n] for n in ("lr", "weight_decay", "optimizer", "momentum")))
    print(f"\na round of {args.trials} trials x {args.epochs} epochs, {args.workers} workers:")
    print(f"{'sampler':<18} {'wall s':>7} {'batch waits':>12} {'pruning waits':>14}")
    for sampling in (Sampling("random"), Sampling("tpe", args.batch)):
        with tempfile.TemporaryDirectory() as folder:
            db = str(Path(folder) / "wait.db")
            factory = open_store(db, create=True)
            round_id = steps.start(
                factory, "wait", seed=0, settings=StudySettings(epochs=args.epochs),
                space=space, n_trials=args.trials, source=source, sampling=sampling,
            )  # fmt: skip
            options = steps.RunOptions(database_url(db), args.workers, source)
            summary = steps.run(factory, "wait", round_id, options)
        total = args.workers * summary.seconds
        batch = sum(w.sample_seconds for w in summary.workers) / total
        pruning = sum(w.wait_seconds for w in summary.workers) / total
        print(f"{sampling!s:<18} {summary.seconds:>7.1f} {batch:>12.1%} {pruning:>14.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--after", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-run", action="store_true", help="only the sampling cost")
    args = parser.parse_args()
    sampling_cost(args.after, args.repeat)
    if not args.skip_run:
        waiting_share(args)


if __name__ == "__main__":
    main()
