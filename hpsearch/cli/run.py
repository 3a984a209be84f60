"""The commands that run trials: start, narrow, resume, worker."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer

from hpsearch import search, store
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
from hpsearch.errors import HpsearchError, UsageError
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


def _options(db: str | None, workers: int, data_dir: str | None, verify: bool, pruner=None):
    return search.RunOptions(
        db_url=database_url(db),
        workers=workers,
        source=DataSource(data_dir=data_dir, verify=verify),
        pruner=pruner,
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


@app.command()
def start(
    name: Name,
    trials: Annotated[int, typer.Option(min=1, help="Trials to sample (STEP1).")] = 100,
    epochs: Annotated[int, typer.Option(min=1, help="Epochs per trial (STEP2).")] = 50,
    train_size: Annotated[
        str, typer.Option(help="Training samples before the split, or 'all'.")
    ] = "500",
    val_fraction: Annotated[
        float, typer.Option(help="Share of them held out for validation, in (0, 1).")
    ] = 0.2,
    lr: Annotated[
        tuple[float, float], typer.Option(help="Learning rate range LOW HIGH (log-uniform).")
    ] = (1e-6, 1e-2),
    weight_decay: Annotated[
        tuple[float, float], typer.Option(help="Weight decay range LOW HIGH (log-uniform).")
    ] = (1e-8, 1e-4),
    hidden: Annotated[str, typer.Option(help="Hidden layers: 6x100 or 100,100,50.")] = "6x100",
    activation: Annotated[str, typer.Option(help="relu or sigmoid.")] = "relu",
    weight_init: Annotated[str, typer.Option(help="he, xavier, or a standard deviation.")] = "he",
    optimizer: Annotated[
        str, typer.Option(help="sgd, momentum, nesterov, adagrad, rmsprop or adam.")
    ] = "sgd",
    batch_size: Annotated[int, typer.Option(min=1, help="Mini-batch size.")] = 100,
    batchnorm: Annotated[bool, typer.Option(help="Batch normalisation after each affine.")] = False,
    dropout: Annotated[float, typer.Option(help="Dropout ratio after each activation.")] = 0.0,
    dtype: Annotated[str, typer.Option(help="float64 or float32.")] = "float64",
    seed: Annotated[int, typer.Option(min=0, help="Study seed: same seed, same trials.")] = 0,
    workers: Workers = DEFAULT_WORKERS,
    db: Db = None,
    data_dir: DataDir = None,
    verify: Verify = True,
    quiet: Quiet = False,
) -> None:
    """STEP0-STEP2: create study NAME, sample its trials and train them all."""
    settings = StudySettings(
        train_size=_train_size(train_size),
        val_fraction=val_fraction,
        epochs=epochs,
        batch_size=batch_size,
        hidden=parse_hidden(hidden),
        activation=activation,
        weight_init=weight_init,
        optimizer=optimizer.lower(),
        batchnorm=batchnorm,
        dropout=dropout,
        dtype=dtype,
    )
    space = make_space(lr, weight_decay)
    factory = open_store(db, create=True)
    round_id = search.start(
        factory,
        name,
        seed=seed,
        settings=settings,
        space=space,
        n_trials=trials,
        source=DataSource(data_dir=data_dir, verify=verify),
    )
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
            f"better values may lie outside the range; {hint}[/]"
        )
    if dry_run:
        return
    round_id = search.create_narrowed_round(
        factory, name, top_k, n_trials, margin=margin, snap=snap, expand=expand
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
