"""``hpsearch db``: the database schema."""

from __future__ import annotations

import typer

from hpsearch.cli.console import console
from hpsearch.cli.options import Db
from hpsearch.store.engine import database_url, make_engine, masked
from hpsearch.store.schema import upgrade

app = typer.Typer(no_args_is_help=True, help="Manage the database schema.")


@app.command("upgrade")
def db_upgrade(db: Db = None) -> None:
    """Create the database, or upgrade it to this hpsearch's schema."""
    engine = make_engine(database_url(db))
    before, after = upgrade(engine)
    where = masked(engine.url)
    if before == after:
        console.print(f"{where} is up to date (revision {after}).")
    else:
        console.print(f"Upgraded {where} from revision {before or 'empty'} to {after}.")
