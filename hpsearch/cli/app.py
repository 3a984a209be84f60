"""The Typer application: every command module's commands, and the one place errors are
translated.

Each module of :mod:`hpsearch.cli` defines its commands on a ``typer.Typer()`` of its own;
the application merges them (``db``'s under its name) and lists them in the book's order.
The library raises; here every ``HpsearchError`` (and the trainer's ``TrainerError``)
becomes one line on stderr and a non-zero exit code. A reader that closes the output
early (``hpsearch export NAME | head -1``) ends the command quietly, with exit code 0.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer
from sqlalchemy.exc import SQLAlchemyError

from hpsearch.cli import auto, dashboard, db, evaluate, export, plot, run, view
from hpsearch.cli.console import errors
from hpsearch.errors import HpsearchError, Interrupted
from hpsearch.store.engine import dispose_engines
from hpsearch.version import version_line
from trainer import TrainerError

if TYPE_CHECKING:
    # The context type TyperGroup's methods declare: Typer's vendored click (typer.Context
    # is a subclass, so an override taking it would be narrower than the base).
    from typer._click import Context

EXIT_ERROR = 1
EXIT_USAGE = 2  # an option or argument the parser rejects
EXIT_INTERRUPTED = 130
_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")


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
        except BrokenPipeError:
            # The reader left (``| head -1``): it has all it wanted. What is still buffered
            # goes nowhere, so that Python's flush at exit finds no pipe to complain about.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None
        finally:
            dispose_engines()


app = typer.Typer(
    cls=Commands,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Hyperparameter search for the NumPy network of Deep Learning from Scratch, ch. 6.",
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(version_line())
        raise typer.Exit()


@app.callback()
def _hpsearch(
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """The options of ``hpsearch`` itself: --version, and the shell completion's."""


for commands in (run.app, auto.app, view.app, plot.app, export.app, evaluate.app, dashboard.app):
    app.add_typer(commands)
app.add_typer(db.app, name="db")
