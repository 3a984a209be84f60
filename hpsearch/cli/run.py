"""The commands that run trials: start, narrow, resume, worker (auto: :mod:`hpsearch.cli.auto`)."""

from __future__ import annotations

import functools
import json
from dataclasses import replace
from typing import Annotated

import typer

from hpsearch import store
from hpsearch.cli.choices import word
from hpsearch.cli.console import console, error_line, errors, for_people
from hpsearch.cli.options import (
    DEFAULT_RUNNING,
    ONE_WORKER,
    AsJson,
    Name,
    NewStudy,
    Running,
    grouped,
)
from hpsearch.cli.rounds import DEFAULT_SAMPLED, NarrowPruner, SampledBy, learned_from
from hpsearch.cli.training import TrainedBy
from hpsearch.cli.view import check_columns, print_report, read_report
from hpsearch.data.datasets import DataSource
from hpsearch.errors import HpsearchError, StoreError
from hpsearch.report.leaderboard import chosen_columns
from hpsearch.report.live import live_progress
from hpsearch.report.tables import samples_table, space_table
from hpsearch.run import forkserver
from hpsearch.search import steps
from hpsearch.space.compute import largest_trial_line
from hpsearch.space.domains import described, format_value, label
from hpsearch.space.samplers import sampled_batch
from hpsearch.store.engine import check_still_there, database_url, file_identity
from hpsearch.store.models import Round
from hpsearch.store.observations import trials_before
from hpsearch.store.retry import retry_seconds
from hpsearch.store.schema import open_store

app = typer.Typer()


def _options(run: Running, continue_with: str = "resume") -> steps.RunOptions:
    """How the round will run; also starts the server its workers are forked from
    (:func:`hpsearch.run.forkserver.prepare`), to load while the round is made ready."""
    forkserver.prepare()
    retry_seconds()  # a bad HPSEARCH_STORE_RETRY is told here, not by every worker
    return steps.RunOptions(
        db_url=database_url(run.db),
        workers=run.workers,
        source=DataSource(data_dir=run.data_dir, verify=run.verify),
        continue_with=continue_with,
    )


def _run(
    factory, name: str, round_id: int, options: steps.RunOptions, run: Running, as_json: bool
) -> None:
    """Run the round with a live display, print the leaderboard (its ``--columns``; with
    --json the report once, at the end, see :func:`_print_summary`), and fail if it is
    unfinished or if the SQLite file was removed (or replaced) under the run."""
    check_columns(factory, name, run.columns)
    with factory() as session:
        number = session.get_one(Round, round_id).number
    identity = file_identity(options.db_url)
    if run.quiet:
        summary = steps.run(factory, name, round_id, options)
    else:
        with live_progress(for_people(as_json), f"{name} round {number}") as update:
            summary = steps.run(factory, name, round_id, replace(options, on_progress=update))
    check_still_there(options.db_url, identity)  # before a leaderboard read from a lost file
    for stats in summary.workers:
        for error in stats.errors:
            errors.print(f"worker {stats.worker}: {error_line(error)}", markup=False)
    if summary.store_fault:  # the store may still refuse to be read: no report
        left = f"{summary.unfinished} trial(s)" if summary.counted else "the unfinished trials"
        raise StoreError(
            f"{summary.store_fault}: {left} left for `hpsearch {options.continue_with} {name}`"
        )
    if not as_json:
        print_report(factory, name, columns=run.columns)
    trouble = summary.trouble()
    if trouble is not None:
        if summary.unfinished:
            raise HpsearchError(f"{trouble}: run `hpsearch resume {name}` to finish the round")
        raise HpsearchError(f"{trouble}; every trial of the round has finished")


def _print_summary(factory, name: str, as_json: bool) -> None:
    """With --json, the study's report (as ``report --json``) as the one document on stdout."""
    if as_json:
        typer.echo(json.dumps(read_report(factory, name).document(), indent=2))


def _new_study(
    db: str | None, name: str, study: NewStudy, source: DataSource, by: TrainedBy, s: SampledBy
):
    """Check everything, then open (or create) the store and create study NAME and its round
    0 (:func:`hpsearch.search.steps.start`): the store and the round's id; a mistake, no file."""
    opener = functools.cache(functools.partial(open_store, db, create=True))
    round_id = steps.start(
        opener, name, seed=study.seed, settings=study.settings(), space=study.space(by),
        n_trials=study.trials, source=source, pruner=word(study.pruner), training=by.training(),
        sampling=s.sampling(),
    )  # fmt: skip
    return opener(), round_id


@app.command()
@grouped
def start(
    name: Name,
    study: NewStudy,
    run: Running,
    trained: TrainedBy,
    sampled: SampledBy,
    dry_run: Annotated[
        bool, typer.Option(help="Print the search space and a few sampled trials; run nothing.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """STEP0-STEP2: create study NAME, sample its trials and train them all."""
    if dry_run:
        space, sampling = study.space(trained), sampled.sampling()
        settings = study.settings()  # checked, as a real start would
        console.print(space_table(space))
        if trained.book:  # a function's own cost hpsearch cannot tell
            console.print(largest_trial_line(settings, space), markup=False)
        params = sampled_batch(sampling, study.seed, 0, range(min(5, study.trials)), space)
        console.print(samples_table(space, params))
        if sampling.learns:
            console.print(learned_from(sampling), markup=False)
        return
    space = study.space(trained)  # and the columns refused before anything is written
    chosen_columns(run.columns, space.names, trained.book)
    options = _options(run)
    factory, round_id = _new_study(run.db, name, study, options.source, trained, sampled)
    _run(factory, name, round_id, options, run, as_json)
    _print_summary(factory, name, as_json)


@app.command()
@grouped
def narrow(
    name: Name,
    top_k: Annotated[int, typer.Option("--top-k", "-k", help="Best trials to narrow around.")],
    trials: Annotated[
        int | None,
        typer.Option(min=1, show_default="as the last round", help="Trials in the new round."),
    ] = None,
    margin: Annotated[float, typer.Option(help="Decades added beyond the top-k values.")] = 0.1,
    snap: Annotated[bool, typer.Option(help="Round the new ranges out to powers of ten.")] = False,
    expand: Annotated[
        bool, typer.Option(help="Let a range grow past an edge its top-k crowd.")
    ] = False,
    dry_run: Annotated[bool, typer.Option(help="Show old and new ranges, run nothing.")] = False,
    pruner: NarrowPruner = None,
    as_json: AsJson = False,
    run: Running = DEFAULT_RUNNING,
    sampled: SampledBy = DEFAULT_SAMPLED,
) -> None:
    """STEP3: narrow the ranges around the top-k trials of the last round and run a new one."""
    options = None if dry_run else _options(run)
    factory = open_store(run.db)
    check_columns(factory, name, run.columns)  # refused before the new round is written
    rule = steps.NarrowRule(margin=margin, snap=snap, expand=expand)
    plan = steps.create_narrowed_round(
        factory, name, top_k, trials, rule, pruner=pruner and word(pruner), dry_run=dry_run,
        sampler=sampled.sampler and word(sampled.sampler), sampler_batch=sampled.sampler_batch,
    )  # fmt: skip
    old, new = plan.old, plan.narrowing.space
    out = for_people(as_json)
    out.print(f"Round {plan.parent.number} top-{top_k}: trials {[t.id for t in plan.top]}")
    for before in old:
        after, shown = new.get(before.name), label(before.name)
        if after is None:
            why = plan.narrowing.removed.get(shown, "")
            out.print(f"  {shown:<13} {described(before)} -> kept out: {why}", markup=False)
            continue
        applied = plan.narrowing.applied.get(shown)
        used = f" (from the {applied} of the top-{top_k} it applied to)" if applied else ""
        out.print(f"  {shown:<13} {described(before)} -> {after}{used}", markup=False)
    for parameter, dropped in plan.narrowing.dropped.items():
        gone = ", ".join(format_value(value) for value in dropped)
        out.print(f"  {parameter}: dropped {gone} (not among the top-{top_k})", markup=False)
    for parameter, edges in plan.narrowing.crowded.items():
        hint = (
            "the range was extended past it" if expand else "rerun with --expand to search past it"
        )
        out.print(
            f"  [yellow]the top-{top_k} crowd the {' and '.join(edges)} edge of {parameter}: "
            f"better values may lie outside the range; {hint}[/]",
            soft_wrap=True,
        )
    if plan.sampling is not None and plan.sampling.learns:
        _learning(factory, plan, out, dry_run)
    if plan.round_id is None or options is None:  # a dry run
        return
    _run(factory, name, plan.round_id, options, run, as_json)
    _print_summary(factory, name, as_json)


def _learning(factory, plan: steps.NarrowPlan, out, dry_run: bool) -> None:
    """What a learning round's first batch learns from; in a dry run, its first trials."""
    assert plan.sampling is not None
    with factory() as session:  # the parent's trials and every earlier round's
        before = trials_before(session, plan.parent.id, plan.parent.n_trials)
        seed = plan.parent.study.seed
    out.print(learned_from(plan.sampling, before), markup=False)
    if dry_run:
        sampling, space = plan.sampling, plan.narrowing.space
        first = range(min(5, sampling.batch, plan.n_trials))  # of the first batch, learned now
        params = sampled_batch(sampling, seed, plan.number, first, space, before.learned)
        out.print(samples_table(space, params))


@app.command()
@grouped
def resume(name: Name, run: Running) -> None:
    """Finish the last round: re-run stale and interrupted trials from scratch, run the rest."""
    options = _options(run)
    factory = open_store(run.db)
    round_id, requeued = steps.prepare_resume(factory, name)
    if requeued:
        console.print(f"Re-queued {requeued} stale or interrupted trial(s).")
    _run(factory, name, round_id, options, run, as_json=False)


@app.command()
@grouped
def worker(name: Name, run: Running = ONE_WORKER) -> None:
    """Join the last round of NAME as extra workers (e.g. from another machine)."""
    options = _options(run)
    factory = open_store(run.db)
    with factory() as session:
        round_id = store.latest_round(session, store.get_study(session, name)).id
    _run(factory, name, round_id, options, run, as_json=False)
