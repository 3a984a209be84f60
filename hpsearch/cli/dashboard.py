"""The command that serves the study database in a browser: dashboard."""

from __future__ import annotations

import secrets
from typing import Annotated

import typer

from hpsearch.cli.console import errors
from hpsearch.cli.options import Db
from hpsearch.errors import UsageError
from hpsearch.store.engine import masked
from hpsearch.store.schema import open_store

LOCAL = "127.0.0.1"

app = typer.Typer()


@app.command()
def dashboard(
    db: Db = None,
    host: Annotated[
        str, typer.Option(help="Address to listen on; another than 127.0.0.1 opens it to others.")
    ] = LOCAL,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8080,
    allow_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-host",
            metavar="NAME",
            help="Another name the dashboard is reached by (a proxy's, a DNS name); repeatable.",
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="HPSEARCH_DASHBOARD_TOKEN",
            help="Ask every browser for this token (default: a new one, off loopback).",
        ),
    ] = None,
) -> None:
    """A local web app over the study database, read only, updated live.

    Shows every study (rounds, trials by status, best validation accuracy,
    evaluations); a study's rounds and ranges, its sortable leaderboard, the curves
    of its best trials, the narrowing and history figures, and each trial's epochs,
    all redrawn while workers run; several studies side by side; CSV downloads of
    what is shown. It never writes to the database nor takes its write lock. It
    listens on 127.0.0.1 unless --host says otherwise; on any other address it asks
    for a token, in the address it prints. It answers only requests for its own
    host names (and --allow-host's). Stop it with Ctrl-C.
    """
    # Flask and its friends load only for this command, not for every other one.
    from hpsearch.dashboard import bind, create_app, serve
    from hpsearch.dashboard.access import access, is_loopback

    if token is not None and not token.strip():
        raise UsageError("--token: give a token of some characters, or leave the option out")
    local = is_loopback(host)
    if token is None and not local:
        token = secrets.token_urlsafe(16)
    factory = open_store(db, read_only=True)
    sock = bind(host, port)
    url_host = f"[{host}]" if ":" in host else host
    query = f"?token={token}" if token else ""
    where = "this machine only" if local else "other machines too"
    typer.echo(
        f"Serving {masked(factory.kw['bind'].url)} read-only at http://{url_host}:{port}/{query}"
    )
    typer.echo(f"Listening on {host} ({where}); Ctrl-C stops it.")
    if not local:
        errors.print(
            f"Warning: {host} opens the dashboard to other machines: anyone who has the "
            "address above (its token) reads every study, over plain HTTP.",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    try:
        serve(create_app(factory, access(host, allow_host or (), token)), sock)
    except KeyboardInterrupt:
        errors.print("stopped", markup=False, highlight=False)
    finally:
        sock.close()
