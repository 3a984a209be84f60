"""The commands that read the store: report, studies; the report printed after a run too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from hpsearch import store
from hpsearch.cli.console import console
from hpsearch.cli.options import AsJson, Columns, Db, Name
from hpsearch.cli.plot import write_figures
from hpsearch.report.leaderboard import chosen_columns, leaderboard_table
from hpsearch.report.summaries import StudyReport, study_report, study_summary
from hpsearch.report.tables import (
    crowding_note,
    evaluations_table,
    importance_table,
    rounds_table,
    studies_table,
)
from hpsearch.store.engine import database_url, reader, refuse_store_file
from hpsearch.store.schema import open_store

app = typer.Typer()


def read_report(factory, name: str, **options: Any) -> StudyReport:
    """Study NAME's report (see :func:`hpsearch.report.summaries.study_report` for the options)."""
    with reader(factory)() as session:
        return study_report(session, store.get_study(session, name), **options)


def check_columns(factory, name: str, columns: str | None) -> list[str] | None:
    """The leaderboard's ``--columns`` for study NAME (see
    :func:`hpsearch.report.tables.chosen_columns`), refused before anything runs."""
    if columns is None:
        return None
    with reader(factory)() as session:
        study = store.get_study(session, name)
        searched, book = store.searched_names(study), study.objective is None
    return chosen_columns(columns, searched, book)


def print_report(
    factory,
    name: str,
    *,
    top: int = 10,
    round_number: int | None = None,
    importance: bool = False,
    columns: str | None = None,
) -> StudyReport:
    """Print study NAME's report for people (the leaderboard's ``columns`` only, if
    given); returns what it printed."""
    report = read_report(factory, name, top=top, round_number=round_number, importance=importance)
    console.print(leaderboard_table(report, chosen_columns(columns, report.searched, report.book)))
    console.print(rounds_table(report))
    if note := crowding_note(report.crowded, name):
        console.print(note, style="yellow", markup=False)  # wrapped at words
    if report.evaluations:
        console.print(evaluations_table(report.evaluations))
    if report.importance is not None:
        console.print(importance_table(report.importance))
    return report


@app.command()
def report(
    name: Name,
    top: Annotated[int, typer.Option(min=1, help="Trials in the leaderboard.")] = 10,
    round_number: Annotated[
        int | None, typer.Option("--round", min=0, help="Only this round.")
    ] = None,
    as_json: AsJson = False,
    importance: Annotated[
        bool,
        typer.Option(
            "--importance",
            help="Also rank the searched parameters by importance (see docs/commands.md).",
        ),
    ] = False,
    plot: Annotated[
        bool, typer.Option("--plot", help="Also write the figures of `hpsearch plot` (PNG).")
    ] = False,
    plot_dir: Annotated[Path, typer.Option(help="Folder for the --plot figures.")] = Path("."),
    importance_plot: Annotated[
        Path | None,
        typer.Option(
            "--importance-plot",
            metavar="FILE",
            help="Also draw the importance scores as bars into FILE (.png, .svg or .pdf); "
            "implies --importance.",
        ),
    ] = None,
    columns: Columns = None,
    db: Db = None,
) -> None:
    """Leaderboard of the best trials and a summary of each round.

    With --importance, also ranks the searched parameters by how much they drive the
    best validation accuracy of the completed and pruned trials (of --round, if given).
    With --importance-plot FILE, also draws those scores as a bar chart into FILE.
    With --plot, also draws the figures of the same trials (see `hpsearch plot`) and
    prints their paths (on stderr with --json).
    """
    fmt = None
    if importance_plot is not None:  # matplotlib takes most of a second to import
        from hpsearch.plots.files import file_format, save_figure
        from hpsearch.plots.parameters import importance_figure

        fmt = file_format(importance_plot)  # refused before anything is read or drawn
        refuse_store_file(database_url(db), importance_plot)
        importance = True
    factory = open_store(db, read_only=True)
    check_columns(factory, name, columns)
    if as_json:
        data = read_report(factory, name, top=top, round_number=round_number, importance=importance)
        typer.echo(json.dumps(data.document(), indent=2))
    else:
        data = print_report(
            factory,
            name,
            top=top,
            round_number=round_number,
            importance=importance,
            columns=columns,
        )
    if importance_plot is not None and fmt is not None and data.importance is not None:
        fig = importance_figure(name, data.importance, round_number)
        typer.echo(str(save_figure(fig, importance_plot, fmt)), err=as_json)
    if plot:
        figures = write_figures(
            factory, name, plot_dir, top=top, round_number=round_number, db_url=database_url(db)
        )
        for path in figures:
            typer.echo(str(path), err=as_json)


@app.command()
def studies(as_json: AsJson = False, db: Db = None) -> None:
    """Every study with its rounds, trials and best validation accuracy."""
    factory = open_store(db, read_only=True)
    with factory() as session:
        rows = [study_summary(session, study) for study in store.list_studies(session)]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
    else:
        console.print(studies_table(rows))
