"""The Typer application, its shared options, and the one place errors are translated.

The library raises; here every ``HpsearchError`` (and the trainer's
``TrainerError``) becomes one line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from sqlalchemy.exc import SQLAlchemyError

from hpsearch import store
from hpsearch.errors import HpsearchError, Interrupted
from hpsearch.report.summaries import study_report
from hpsearch.report.tables import (
    crowding_note,
    evaluations_table,
    importance_table,
    leaderboard_table,
    rounds_table,
)
from hpsearch.store.engine import dispose_engines, reader
from trainer import TrainerError

if TYPE_CHECKING:
    # The context type TyperGroup's methods declare: Typer's vendored click (typer.Context
    # is a subclass, so an override taking it would be narrower than the base).
    from typer._click import Context

EXIT_ERROR = 1
EXIT_USAGE = 2  # an option or argument the parser rejects
EXIT_INTERRUPTED = 130
_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")

# Tables are wide: when output is not a terminal (a pipe, a file), do not fold them at 80.
console = Console(width=None if sys.stdout.isatty() else 140)
errors = Console(stderr=True, width=None if sys.stderr.isatty() else 200)


def fail(message: str, code: int = EXIT_ERROR) -> typer.Exit:
    message = _PASSWORD.sub(r"\1***@", message)
    errors.print(f"Error: {message}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code)


#: The order of ``hpsearch --help``: the book's procedure first.
COMMAND_ORDER = (
    "start", "narrow", "resume", "auto", "worker", "report", "studies",
    "plot", "export", "evaluate", "dashboard", "db",
)  # fmt: skip


class Commands(typer.core.TyperGroup):
    """Translates the errors a user can cause into one line and an exit code."""

    def list_commands(self, ctx: Context) -> list[str]:
        rank = {name: i for i, name in enumerate(COMMAND_ORDER)}
        return sorted(super().list_commands(ctx), key=lambda name: rank.get(name, len(rank)))

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Print the parser's rejections (``--trials 0``) as one ``Error:`` line too."""
        options = (args, prog_name, complete_var, False, windows_expand_args)
        if not standalone_mode:
            return super().main(*options, **extra)
        try:
            result = super().main(*options, **extra)
        except typer.TyperException as exc:  # typer's (vendored click's) usage errors
            if type(exc).__name__ != "NoArgsIsHelpError":  # that one printed the help
                message = exc.format_message().rstrip(".")
                context = getattr(exc, "ctx", None)
                if context is not None:
                    message += f" (see `{context.command_path} --help`)"
                errors.print(f"Error: {message}", markup=False, highlight=False, soft_wrap=True)
            sys.exit(getattr(exc, "exit_code", EXIT_USAGE))
        except typer.Abort:
            errors.print("Error: aborted", markup=False, highlight=False)
            sys.exit(EXIT_ERROR)
        sys.exit(result if isinstance(result, int) else 0)

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except Interrupted as exc:
            raise fail(str(exc), EXIT_INTERRUPTED) from None
        except (HpsearchError, TrainerError) as exc:
            raise fail(str(exc)) from None
        except SQLAlchemyError as exc:
            raise fail(f"database: {getattr(exc, 'orig', None) or exc}") from None
        except KeyboardInterrupt:
            raise fail(str(Interrupted()), EXIT_INTERRUPTED) from None
        finally:
            dispose_engines()


app = typer.Typer(
    cls=Commands,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Hyperparameter search for the NumPy network of Deep Learning from Scratch, ch. 6.",
)
db_app = typer.Typer(no_args_is_help=True, help="Manage the database schema.")
app.add_typer(db_app, name="db")

Name = Annotated[str, typer.Argument(help="The study's name.")]
Db = Annotated[
    str | None,
    typer.Option("--db", help="Database URL or SQLite file [default: $HPSEARCH_DB or hpsearch.db]"),
]
DataDir = Annotated[
    str | None,
    typer.Option(
        "--data-dir", help="Folder of the four MNIST files [default: $HPSEARCH_DATA_DIR, cache]"
    ),
]
Verify = Annotated[
    bool,
    typer.Option(
        "--verify/--no-verify", help="Check the MNIST files' MD5 (off for other IDX data)."
    ),
]
Workers = Annotated[
    int,
    typer.Option("--workers", "-w", min=1, help="Worker processes [default: CPU count]."),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No live progress display.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]

DEFAULT_WORKERS = os.cpu_count() or 1


def read_report(factory, name: str, **options: Any) -> dict[str, Any]:
    """Study NAME's report (see :func:`hpsearch.report.summaries.study_report` for the options)."""
    with reader(factory)() as session:
        return study_report(session, store.get_study(session, name), **options)


def print_report(
    factory, name: str, *, top: int = 10, round_number: int | None = None, importance: bool = False
) -> dict[str, Any]:
    """Print study NAME's report for people; returns what it printed."""
    report = read_report(factory, name, top=top, round_number=round_number, importance=importance)
    console.print(leaderboard_table(report))
    console.print(rounds_table(report))
    if note := crowding_note(report["crowded"]):
        console.print(note, style="yellow", markup=False, soft_wrap=True)
    if report["evaluations"]:
        console.print(evaluations_table(report["evaluations"]))
    if importance:
        console.print(importance_table(report["importance"]))
    return report
