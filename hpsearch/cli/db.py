"""``hpsearch db``: the database schema."""

from __future__ import annotations

from hpsearch.cli.app import Db, console, db_app
from hpsearch.store.engine import database_url, make_engine, masked
from hpsearch.store.schema import upgrade


@db_app.command("upgrade")
def db_upgrade(db: Db = None) -> None:
    """Create the database, or upgrade it to this hpsearch's schema."""
    engine = make_engine(database_url(db))
    before, after = upgrade(engine)
    where = masked(engine.url)
    if before == after:
        console.print(f"{where} is up to date (revision {after}).")
    else:
        console.print(f"Upgraded {where} from revision {before or 'empty'} to {after}.")
