"""The command that runs the whole search by itself: auto."""

from __future__ import annotations

import contextlib
from typing import Annotated

import typer

from hpsearch import store
from hpsearch.cli.choices import word
from hpsearch.cli.console import for_people
from hpsearch.cli.options import (
    DEFAULT_RUNNING,
    DEFAULT_STUDY,
    AsJson,
    Name,
    NewStudy,
    Running,
    grouped,
)
from hpsearch.cli.rounds import DEFAULT_SAMPLED, SampledBy
from hpsearch.cli.run import _new_study, _options, _print_summary, _run
from hpsearch.cli.training import DEFAULT_TRAINED, TrainedBy
from hpsearch.errors import NoStore
from hpsearch.report.leaderboard import chosen_columns
from hpsearch.search import steps
from hpsearch.search.auto import (
    MIN_IMPROVEMENT,
    STORED_OPTIONS,
    AutoPlan,
    continued,
    remember,
    run_auto,
)
from hpsearch.store.schema import open_store

app = typer.Typer()


@app.command()
@grouped
def auto(
    ctx: typer.Context,
    name: Name,
    rounds: Annotated[int, typer.Option(min=0, help="Narrowed rounds at most.")] = 3,
    top_k: Annotated[
        int, typer.Option("--top-k", "-k", min=1, help="Trials to narrow around.")
    ] = 5,
    min_improvement: Annotated[
        float, typer.Option(help="Stop when a round improves the best by less.")
    ] = MIN_IMPROVEMENT,
    as_json: AsJson = False,
    study: NewStudy = DEFAULT_STUDY,
    run: Running = DEFAULT_RUNNING,
    trained: TrainedBy = DEFAULT_TRAINED,
    sampled: SampledBy = DEFAULT_SAMPLED,
) -> None:
    """STEP0-STEP3 by itself: start NAME, then narrow (past crowded edges) until it stops.

    Run again on an existing study to continue it: its unfinished round is resumed,
    the study's own settings are kept (the training options are then ignored), and
    so are --rounds, --top-k, --trials, --pruner and --min-improvement of the run
    that made it, unless given again. Each narrowed round samples as round 0 did
    (--sampler).
    """
    plan = AutoPlan(
        rounds=rounds,
        top_k=top_k,
        trials=study.trials,
        pruner=word(study.pruner),
        min_improvement=min_improvement,
    )
    options = _options(run, continue_with="auto")
    factory = None
    with contextlib.suppress(NoStore):  # no store yet: start one below (an old one: said)
        factory = open_store(run.db)
    if factory is not None and _exists(factory, name):
        given = {option for option in STORED_OPTIONS if _given(ctx, option)}
        with factory.begin() as session:
            stored = store.get_study(session, name)
            plan = continued(stored, plan, given)
            remember(stored, plan)
        for_people(as_json).print(
            f"Continuing study {name!r} with its own settings: {plan.rounds} narrowed rounds "
            f"at most, top-{plan.top_k}, {plan.trials} trials, pruner {plan.pruner}, "
            f"min improvement {plan.min_improvement}."
        )
        round_id, _ = steps.prepare_resume(factory, name)
    else:
        chosen_columns(run.columns, study.space(trained).names, trained.book)
        factory, round_id = _new_study(run.db, name, study, options.source, trained, sampled)
        with factory.begin() as session:
            remember(store.get_study(session, name), plan)
    _run(factory, name, round_id, options, run, as_json)
    reason = run_auto(
        factory,
        name,
        plan,
        lambda round_id: _run(factory, name, round_id, options, run, as_json),
        on_round=lambda message: for_people(as_json).print(f"[bold]Narrowing to {message}[/]"),
    )
    for_people(as_json).print(f"[bold]Stopped:[/] {reason}.")
    _print_summary(factory, name, as_json)


def _given(ctx: typer.Context, option: str) -> bool:
    """Whether the command line (or the environment) gave ``option`` a value."""
    source = ctx.get_parameter_source(option)
    return source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP")


def _exists(factory, name: str) -> bool:
    with factory() as session:
        return store.study_exists(session, name)
