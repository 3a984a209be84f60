"""``hpsearch evaluate``: the one look at the test set."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from hpsearch.cli.console import console, errors
from hpsearch.cli.options import AsJson, DataDir, Db, Name, Verify
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
    as_json: AsJson = False,
) -> None:
    """Train the best trial's settings on train + validation and measure the test set once.

    With --json, prints the study's evaluations (the rows of the table) as a JSON list,
    its messages on stderr.
    """
    out = errors if as_json else console
    factory = open_store(db)
    with factory() as session:
        finished = [e for e in get_study(session, name).evaluations if e.status != RUNNING]
        stored = evaluation_rows(session, finished)
    if stored and not force:
        _show(stored, as_json)
        out.print(
            f"Stored result shown: the test set was already used for {name!r}. "
            "Run with --force to evaluate again (both results are kept)."
        )
        return
    out.print("Training the best trial's settings on train + validation ...")
    evaluate_best(factory, name, DataSource(data_dir=data_dir, verify=verify), force=force)
    with factory() as session:
        _show(evaluation_rows(session, get_study(session, name).evaluations), as_json)


def _show(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
    else:
        console.print(evaluations_table(rows))
