"""``hpsearch evaluate``: the one look at the test set."""

from __future__ import annotations

from typing import Annotated

import typer

from hpsearch.cli.console import console
from hpsearch.cli.options import DataDir, Db, Name, Verify
from hpsearch.data.datasets import DataSource
from hpsearch.report.summaries import evaluation_rows
from hpsearch.report.tables import evaluations_table
from hpsearch.search.evaluation import RUNNING, evaluate_best
from hpsearch.store import get_study
from hpsearch.store.schema import open_store

app = typer.Typer()


@app.command()
def evaluate(
    name: Name,
    force: Annotated[
        bool, typer.Option(help="Evaluate again even though a result is stored.")
    ] = False,
    db: Db = None,
    data_dir: DataDir = None,
    verify: Verify = True,
) -> None:
    """Train the best trial's settings on train + validation and measure the test set once."""
    factory = open_store(db)
    with factory() as session:
        finished = [e for e in get_study(session, name).evaluations if e.status != RUNNING]
        stored = evaluation_rows(session, finished)
    if stored and not force:
        console.print(evaluations_table(stored))
        console.print(
            f"Stored result shown: the test set was already used for {name!r}. "
            "Run with --force to evaluate again (both results are kept)."
        )
        return
    console.print("Training the best trial's settings on train + validation ...")
    evaluate_best(factory, name, DataSource(data_dir=data_dir, verify=verify), force=force)
    with factory() as session:
        console.print(
            evaluations_table(evaluation_rows(session, get_study(session, name).evaluations))
        )
