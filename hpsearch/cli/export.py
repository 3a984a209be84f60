"""``hpsearch export``: a study's trials as CSV or JSON."""

from __future__ import annotations

import sys
from enum import Enum
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from hpsearch import store
from hpsearch.cli.options import Db, Name
from hpsearch.errors import UsageError
from hpsearch.report import export as exporting
from hpsearch.report import json_export
from hpsearch.store.engine import database_url, refuse_store_file
from hpsearch.store.schema import open_store

app = typer.Typer()


class DataFormat(str, Enum):
    csv = "csv"
    json = "json"


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
    if out is not None:
        refuse_store_file(database_url(db), out)
    factory = open_store(db, read_only=True)
    with factory() as session:  # rows stream from the store while they are written
        study = store.get_study(session, name)
        writer = exporting.write_csv if fmt is DataFormat.csv else json_export.write_json
        write = partial(writer, session, study, epochs=epochs)
        if out is None:
            write(sys.stdout)
            return
        try:
            with out.open("w", encoding="utf-8", newline="") as stream:
                write(stream)
        except OSError as exc:
            raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from None
    typer.echo(f"Wrote {out}")
