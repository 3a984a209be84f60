"""The commands that run trials: start, narrow, resume, worker, auto."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from typing import Annotated

import typer
from sqlalchemy import select

from hpsearch import search, store
from hpsearch.auto import MIN_IMPROVEMENT, AutoPlan, run_auto
from hpsearch.cli.app import (
    DEFAULT_WORKERS,
    DataDir,
    Db,
    Name,
    Quiet,
    Verify,
    Workers,
    app,
    console,
    errors,
    print_report,
)
from hpsearch.database import database_url, open_store
from hpsearch.display import live_progress
from hpsearch.errors import HpsearchError, Interrupted, StoreError, UsageError
from hpsearch.models import Study
from hpsearch.settings import StudySettings, parse_hidden
from hpsearch.space import make_space
from hpsearch.worker import DataSource


def _train_size(value: str) -> int | None:
    if value.lower() == "all":
        return None
    try:
        return int(value)
    except ValueError:
        raise UsageError(f"train size must be a number or 'all', got {value!r}") from None


def _options(db: str | None, workers: int, data_dir: str | None, verify: bool):
    return search.RunOptions(
        db_url=database_url(db),
        workers=workers,
        source=DataSource(data_dir=data_dir, verify=verify),
    )


def _run(factory, name: str, round_id: int, options: search.RunOptions, quiet: bool) -> None:
    """Run the round with a live display, print the leaderboard, and fail if it is unfinished."""
    with factory() as session:
        number = session.get_one(store.Round, round_id).number
    if quiet:
        summary = search.run(factory, name, round_id, options)
    else:
        with live_progress(console, f"{name} round {number}") as update:
            summary = search.run(factory, name, round_id, replace(options, on_progress=update))
    for stats in summary.workers:
        for error in stats.errors:
            errors.print(f"worker {stats.worker}: {error.strip().splitlines()[-1]}", markup=False)
    print_report(factory, name)
    if summary.failed_workers or summary.stale_trials:
        raise HpsearchError(
            f"{summary.failed_workers} worker(s) ended abnormally and "
            f"{summary.stale_trials} trial(s) were left unfinished: "
            f"run `hpsearch resume {name}` to finish the round"
        )


Trials = Annotated[int, typer.Option(min=1, help="Trials to sample per round (STEP1).")]
Epochs = Annotated[int, typer.Option(min=1, help="Epochs per trial (STEP2).")]
TrainSize = Annotated[str, typer.Option(help="Training samples before the split, or 'all'.")]
ValFraction = Annotated[
    float, typer.Option(help="Share of them held out for validation, in (0, 1).")
]
LrRange = Annotated[
    tuple[float, float], typer.Option("--lr", help="Learning rate range LOW HIGH (log-uniform).")
]
DecayRange = Annotated[
    tuple[float, float], typer.Option(help="Weight decay range LOW HIGH (log-uniform).")
]
Hidden = Annotated[str, typer.Option(help="Hidden layers: 6x100 or 100,100,50.")]
Activation = Annotated[str, typer.Option(help="relu or sigmoid.")]
WeightInit = Annotated[str, typer.Option(help="he, xavier, or a standard deviation.")]
Optimizer = Annotated[str, typer.Option(help="sgd, momentum, nesterov, adagrad, rmsprop or adam.")]
BatchSize = Annotated[int, typer.Option(min=1, help="Mini-batch size.")]
Batchnorm = Annotated[bool, typer.Option(help="Batch normalisation after each affine layer.")]
Dropout = Annotated[float, typer.Option(help="Dropout ratio after each activation.")]
Dtype = Annotated[str, typer.Option(help="float64 or float32.")]
Seed = Annotated[int, typer.Option(min=0, help="Study seed: same seed, same trials.")]
PrunerName = Annotated[
    str, typer.Option("--pruner", help="Stop hopeless trials early: none, median or asha.")
]


def _new_study(db: str | None, name: str, *, trials: int, lr, weight_decay, seed: int,
               pruner: str, data: DataSource, **settings):  # fmt: skip
    """Check everything, then open (or create) the store and create study NAME and its
    round 0; returns the store and the round's id. A mistake leaves no file behind."""
    settings["train_size"] = _train_size(settings["train_size"])
    settings["hidden"] = parse_hidden(settings["hidden"])
    settings["optimizer"] = settings["optimizer"].lower()
    study_settings = StudySettings(**settings)
    space = make_space(lr, weight_decay)
    search.check_start(
        name, seed=seed, settings=study_settings, n_trials=trials, source=data, pruner=pruner
    )
    factory = open_store(db, create=True)
    round_id = search.create(
        factory, name, seed=seed, settings=study_settings, space=space, n_trials=trials,
        pruner=pruner,
    )  # fmt: skip
    return factory, round_id


@app.command()
def start(
    name: Name,
    trials: Trials = 100,
    epochs: Epochs = 50,
    train_size: TrainSize = "500",
    val_fraction: ValFraction = 0.2,
    lr: LrRange = (1e-6, 1e-2),
    weight_decay: DecayRange = (1e-8, 1e-4),
    hidden: Hidden = "6x100",
    activation: Activation = "relu",
    weight_init: WeightInit = "he",
    optimizer: Optimizer = "sgd",
    batch_size: BatchSize = 100,
    batchnorm: Batchnorm = False,
    dropout: Dropout = 0.0,
    dtype: Dtype = "float64",
    seed: Seed = 0,
    pruner: PrunerName = "none",
    workers: Workers = DEFAULT_WORKERS,
    db: Db = None,
    data_dir: DataDir = None,
    verify: Verify = True,
    quiet: Quiet = False,
) -> None:
    """STEP0-STEP2: create study NAME, sample its trials and train them all."""
    data = DataSource(data_dir=data_dir, verify=verify)
    factory, round_id = _new_study(
        db, name, trials=trials, lr=lr, weight_decay=weight_decay, seed=seed,
        pruner=pruner, data=data, epochs=epochs, train_size=train_size,
        val_fraction=val_fraction, hidden=hidden, activation=activation,
        weight_init=weight_init, optimizer=optimizer, batch_size=batch_size,
        batchnorm=batchnorm, dropout=dropout, dtype=dtype,
    )  # fmt: skip
    _run(factory, name, round_id, _options(db, workers, data_dir, verify), quiet)


@app.command()
def narrow(
    name: Name,
    top_k: Annotated[int, typer.Option("--top-k", "-k", help="Best trials to narrow around.")],
    trials: Annotated[
        int | None, typer.Option(min=1, help="Trials in the new round [default: as the last]")
    ] = None,
    margin: Annotated[float, typer.Option(help="Decades added beyond the top-k values.")] = 0.1,
    snap: Annotated[bool, typer.Option(help="Round the new ranges out to powers of ten.")] = False,
    expand: Annotated[
        bool, typer.Option(help="Let a range grow past an edge its top-k crowd.")
    ] = False,
    dry_run: Annotated[bool, typer.Option(help="Show old and new ranges, run nothing.")] = False,
    pruner: PrunerName = "none",
    workers: Workers = DEFAULT_WORKERS,
    db: Db = None,
    data_dir: DataDir = None,
    verify: Verify = True,
    quiet: Quiet = False,
) -> None:
    """STEP3: narrow the ranges around the top-k trials of the last round and run a new one."""
    factory = open_store(db)
    with factory() as session:
        study = store.get_study(session, name)
        plan = search.plan_narrowing(session, study, top_k, margin=margin, snap=snap, expand=expand)
        n_trials = trials or plan.parent.n_trials
    old, new = plan.old, plan.narrowing.space
    console.print(f"Round {plan.parent.number} top-{top_k}: trials {[t.id for t in plan.top]}")
    console.print(f"  lr            {old.lr} -> {new.lr}")
    console.print(f"  weight decay  {old.weight_decay} -> {new.weight_decay}")
    for parameter, edges in plan.narrowing.crowded.items():
        hint = (
            "the range was extended past it" if expand else "rerun with --expand to search past it"
        )
        console.print(
            f"  [yellow]the top-{top_k} crowd the {' and '.join(edges)} edge of {parameter}: "
            f"better values may lie outside the range; {hint}[/]",
            soft_wrap=True,
        )
    if dry_run:
        return
    round_id = search.create_narrowed_round(
        factory, name, top_k, n_trials, margin=margin, snap=snap, expand=expand, pruner=pruner
    )
    _run(factory, name, round_id, _options(db, workers, data_dir, verify), quiet)


@app.command()
def resume(
    name: Name,
    workers: Workers = DEFAULT_WORKERS,
    db: Db = None,
    data_dir: DataDir = None,
    verify: Verify = True,
    quiet: Quiet = False,
) -> None:
    """Finish the last round: re-run stale and interrupted trials from scratch, run the rest."""
    factory = open_store(db)
    round_id, requeued = search.prepare_resume(factory, name)
    if requeued:
        console.print(f"Re-queued {requeued} stale or interrupted trial(s).")
    _run(factory, name, round_id, _options(db, workers, data_dir, verify), quiet)


@app.command()
def worker(
    name: Name,
    workers: Workers = 1,
    db: Db = None,
    data_dir: DataDir = None,
    verify: Verify = True,
    quiet: Quiet = False,
) -> None:
    """Join the last round of NAME as extra workers (e.g. from another machine)."""
    factory = open_store(db)
    with factory() as session:
        round_id = store.latest_round(session, store.get_study(session, name)).id
    _run(factory, name, round_id, _options(db, workers, data_dir, verify), quiet)


def _exists(factory, name: str) -> bool:
    with factory() as session:
        return session.scalar(select(Study.id).where(Study.name == name)) is not None


@app.command()
def auto(
    name: Name,
    rounds: Annotated[int, typer.Option(min=0, help="Narrowed rounds at most.")] = 3,
    top_k: Annotated[
        int, typer.Option("--top-k", "-k", min=1, help="Trials to narrow around.")
    ] = 5,
    min_improvement: Annotated[
        float, typer.Option(help="Stop when a round improves the best by less.")
    ] = MIN_IMPROVEMENT,
    trials: Trials = 100,
    epochs: Epochs = 50,
    train_size: TrainSize = "500",
    val_fraction: ValFraction = 0.2,
    lr: LrRange = (1e-6, 1e-2),
    weight_decay: DecayRange = (1e-8, 1e-4),
    hidden: Hidden = "6x100",
    activation: Activation = "relu",
    weight_init: WeightInit = "he",
    optimizer: Optimizer = "sgd",
    batch_size: BatchSize = 100,
    batchnorm: Batchnorm = False,
    dropout: Dropout = 0.0,
    dtype: Dtype = "float64",
    seed: Seed = 0,
    pruner: PrunerName = "none",
    workers: Workers = DEFAULT_WORKERS,
    db: Db = None,
    data_dir: DataDir = None,
    verify: Verify = True,
    quiet: Quiet = False,
) -> None:
    """STEP0-STEP3 by itself: start NAME, then narrow (past crowded edges) until it stops.

    Run again on an existing study to continue it: its unfinished round is resumed
    and the study's own settings are kept (the training options are then ignored).
    """
    plan = AutoPlan(
        rounds=rounds, top_k=top_k, trials=trials, pruner=pruner, min_improvement=min_improvement
    )
    options = _options(db, workers, data_dir, verify)
    factory = None
    with contextlib.suppress(StoreError):  # no store yet: start one below
        factory = open_store(db)
    if factory is not None and _exists(factory, name):
        console.print(f"Continuing study {name!r} with its own settings.")
        round_id, _ = search.prepare_resume(factory, name)
    else:
        data = DataSource(data_dir=data_dir, verify=verify)
        factory, round_id = _new_study(
            db, name, trials=trials, lr=lr, weight_decay=weight_decay, seed=seed,
            pruner=pruner, data=data, epochs=epochs, train_size=train_size,
            val_fraction=val_fraction, hidden=hidden, activation=activation,
            weight_init=weight_init, optimizer=optimizer, batch_size=batch_size,
            batchnorm=batchnorm, dropout=dropout, dtype=dtype,
        )  # fmt: skip
    try:
        _run(factory, name, round_id, options, quiet)
        reason = run_auto(
            factory,
            name,
            plan,
            lambda round_id: _run(factory, name, round_id, options, quiet),
            on_round=lambda message: console.print(f"[bold]Narrowing to {message}[/]"),
        )
    except Interrupted:
        raise Interrupted(
            f"interrupted: finished epochs are kept; continue with `hpsearch auto {name}`"
        ) from None
    console.print(f"[bold]Stopped:[/] {reason}.")
