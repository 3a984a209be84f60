"""The ``hpsearch`` command line: the book's STEP0-STEP3 search, every result stored."""

from hpsearch.cli import (  # noqa: F401  (registers the commands)
    dashboard,
    db,
    evaluate,
    export,
    run,
    view,
)
from hpsearch.cli.app import app


def main() -> None:
    app(prog_name="hpsearch")


__all__ = ["app", "main"]
