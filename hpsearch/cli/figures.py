"""The commands that take a study out of the store: plot (figures) and export (CSV, JSON)."""

from __future__ import annotations

import sys
from enum import Enum
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session, sessionmaker

from hpsearch import export as exporting
from hpsearch import store
from hpsearch.cli.app import Db, Name, app
from hpsearch.database import open_store
from hpsearch.errors import UsageError


class ImageFormat(str, Enum):
    png = "png"
    svg = "svg"
    pdf = "pdf"


class DataFormat(str, Enum):
    csv = "csv"
    json = "json"


def write_figures(
    factory: sessionmaker[Session],
    name: str,
    out_dir: Path,
    fmt: str = "png",
    *,
    top: int = 20,
    round_number: int | None = None,
) -> list[Path]:
    """Draw the curves, narrowing and history figures of study ``name`` into ``out_dir``."""
    from hpsearch import figure_files, plots  # matplotlib takes most of a second to import

    with factory() as session:
        study = store.get_study(session, name)
        data = plots.figure_data(session, study, round_number=round_number, top=top)
    return figure_files.save_figures(data, out_dir, fmt)


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
    db: Db = None,
) -> None:
    """Draw the figures of NAME: curves of the best trials, the narrowing, the history.

    Writes NAME-curves (the book's grid of learning curves), NAME-narrowing (lr against
    weight decay with each round's range) and NAME-history (the best validation accuracy
    so far), NAME-roundR-... with --round, and prints their paths.
    """
    factory = open_store(db, read_only=True)
    paths = write_figures(factory, name, out, fmt.value, top=top, round_number=round_number)
    for path in paths:
        typer.echo(str(path))


@app.command()
def export(
    name: Name,
    fmt: Annotated[DataFormat, typer.Option("--format", help="Output format.")] = DataFormat.csv,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="File to write (default: standard output).")
    ] = None,
    epochs: Annotated[
        bool, typer.Option("--epochs", help="One row per trial and epoch (JSON: nested).")
    ] = False,
    db: Db = None,
) -> None:
    """Export NAME's trials: round, parameters, status, accuracies and timings.

    CSV has one row per trial (per trial and epoch with --epochs); JSON holds the
    same values nested by round.
    """
    factory = open_store(db, read_only=True)
    with factory() as session:  # rows stream from the store while they are written
        study = store.get_study(session, name)
        if fmt is DataFormat.csv:
            write = partial(exporting.write_csv, session, study, epochs=epochs)
        else:
            write = partial(
                exporting.write_json, exporting.export_json(session, study, epochs=epochs)
            )
        if out is None:
            write(sys.stdout)
            return
        try:
            with out.open("w", encoding="utf-8", newline="") as stream:
                write(stream)
        except OSError as exc:
            raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from None
    typer.echo(f"Wrote {out}")
