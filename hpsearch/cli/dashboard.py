"""The command that serves the study database in a browser: dashboard."""

from __future__ import annotations

import ipaddress
from typing import Annotated

import typer

from hpsearch.cli.console import errors
from hpsearch.cli.options import Db
from hpsearch.store.engine import masked
from hpsearch.store.schema import open_store

LOCAL = "127.0.0.1"

app = typer.Typer()


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name
        return False


@app.command()
def dashboard(
    db: Db = None,
    host: Annotated[
        str, typer.Option(help="Address to listen on; another than 127.0.0.1 opens it to others.")
    ] = LOCAL,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8080,
) -> None:
    """A local web app over the study database, read only, updated live.

    Shows every study (rounds, trials by status, best validation accuracy,
    evaluations); a study's rounds and ranges, its sortable leaderboard, the curves
    of its best trials, the narrowing and history figures, and each trial's epochs,
    all redrawn while workers run; several studies side by side; CSV downloads of
    what is shown. It never writes to the database nor takes its write lock. It
    listens on 127.0.0.1 unless --host says otherwise. Stop it with Ctrl-C.
    """
    # Flask and its friends load only for this command, not for every other one.
    from hpsearch.dashboard import bind, create_app, serve

    factory = open_store(db, read_only=True)
    sock = bind(host, port)
    url_host = f"[{host}]" if ":" in host else host
    where = "this machine only" if _loopback(host) else "other machines too"
    typer.echo(f"Serving {masked(factory.kw['bind'].url)} read-only at http://{url_host}:{port}/")
    typer.echo(f"Listening on {host} ({where}); Ctrl-C stops it.")
    try:
        serve(create_app(factory), sock)
    except KeyboardInterrupt:
        errors.print("stopped", markup=False, highlight=False)
    finally:
        sock.close()
