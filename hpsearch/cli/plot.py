"""``hpsearch plot``: a study's figures, drawn into image files."""

from __future__ import annotations

from enum import Enum
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session, sessionmaker

from hpsearch import store
from hpsearch.cli.options import Db, Name
from hpsearch.errors import UsageError
from hpsearch.store.engine import database_url, refuse_store_file
from hpsearch.store.schema import open_store

app = typer.Typer()


class ImageFormat(str, Enum):
    png = "png"
    svg = "svg"
    pdf = "pdf"


def write_figures(
    factory: sessionmaker[Session],
    name: str,
    out_dir: Path,
    fmt: str = "png",
    *,
    top: int = 20,
    round_number: int | None = None,
    axes: tuple[str, str] | None = None,
    db_url: str | None = None,
) -> list[Path]:
    """Draw the figures of study ``name`` into ``out_dir``, the importance bars too when
    the study has enough completed trials (else one line on stderr says why not). No figure
    overwrites the store at ``db_url`` (:func:`~hpsearch.store.engine.refuse_store_file`)."""
    from hpsearch.plots import files  # matplotlib takes most of a second to import
    from hpsearch.plots.data import figure_data
    from hpsearch.report.summaries import importance_report

    files.check_format(fmt)  # before anything is read or computed
    with factory() as session:
        study = store.get_study(session, name)
        data = figure_data(session, study, round_number=round_number, top=top, axes=axes)
        importance, skipped = None, None
        if data.space is None or len(data.space.names) < 2:
            skipped = "it needs more than one searched parameter"
        else:
            try:
                importance = importance_report(session, study, round_number=round_number)
            except UsageError as exc:  # too few completed trials, or all alike
                skipped = str(exc)
    check = None if db_url is None else partial(refuse_store_file, db_url)
    paths = files.save_figures(data, out_dir, fmt, importance, check=check)
    if skipped:
        typer.echo(f"No {files.figure_name(data, 'importance')}: {skipped}", err=True)
    return paths


@app.command()
def plot(
    name: Name,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the figures (created if missing).")
    ] = Path("."),
    fmt: Annotated[ImageFormat, typer.Option("--format", help="Image format.")] = ImageFormat.png,
    top: Annotated[int, typer.Option(min=1, help="Trials in the curves grid.")] = 20,
    round_number: Annotated[
        int | None, typer.Option("--round", min=0, help="Only this round.")
    ] = None,
    x: Annotated[
        str | None,
        typer.Option(
            "--x",
            show_default="weight_decay, or the second numeric parameter",
            help="Numeric searched parameter across the narrowing figure.",
        ),
    ] = None,
    y: Annotated[
        str | None,
        typer.Option(
            "--y",
            show_default="lr, or the first numeric parameter",
            help="Numeric searched parameter up the narrowing figure.",
        ),
    ] = None,
    db: Db = None,
) -> None:
    """Draw the figures of NAME: curves of the best trials, the narrowing, the history,
    the searched parameters and their importance.

    Writes NAME-curves (the book's grid of learning curves), NAME-narrowing (--y against
    --x, by default lr against weight decay, with each round's range; NAME-narrowing-X-Y
    for other parameters), NAME-history (the best validation accuracy so far),
    NAME-parameters, NAME-slices and, with at least 10 completed or pruned trials, NAME-importance
    (the scores of `report --importance`); NAME-roundR-... with --round. Prints their paths.
    """
    factory = open_store(db, read_only=True)
    paths = write_figures(
        factory,
        name,
        out,
        fmt.value,
        top=top,
        round_number=round_number,
        axes=None if x is None and y is None else (x or "weight_decay", y or "lr"),
        db_url=database_url(db),
    )
    for path in paths:
        typer.echo(str(path))
