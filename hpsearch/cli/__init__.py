"""The ``hpsearch`` command line: the book's STEP0-STEP3 search, every result stored.

    app        the application: every module's commands merged, errors translated
    console    where the commands print (standard output, standard error)
    options    the arguments and options shared by commands, and their groups
    run        start, narrow, resume, worker
    auto       auto
    rounds     the options of how a round prunes and samples its trials
    view       report, studies (and the report printed after a run)
    plot       plot
    export     export
    evaluate   evaluate
    dashboard  dashboard (Flask is imported when it runs)
    db         db upgrade

Each command module defines its commands on a ``typer.Typer()`` of its own, which
:mod:`hpsearch.cli.app` merges into the ``hpsearch`` application.

May import: everything in :mod:`hpsearch` (the dashboard, matplotlib's figures and
scikit-learn only inside the commands that use them, so that every other command
starts without them) and :mod:`trainer`.
"""

from hpsearch.cli.app import app


def main() -> None:
    app(prog_name="hpsearch")


__all__ = ["app", "main"]
