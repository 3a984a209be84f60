"""The store's schema: which Alembic revision a database is at, and opening it there.

A new database gets the models' tables and is stamped with the newest Alembic
revision, in one transaction, as Alembic's cookbook builds a database from scratch
(``tests/store/test_database.py`` checks that this schema is the one the migrations build);
an older one must be upgraded with ``hpsearch db upgrade``; a newer one is refused.
"""

from __future__ import annotations

import sys
from importlib.resources import files
from typing import TYPE_CHECKING

from sqlalchemy import Column, Engine, MetaData, String, Table, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from hpsearch.errors import NoStore, SchemaAhead, SchemaBehind, StoreError
from hpsearch.store.engine import (
    database_url,
    make_engine,
    masked,
    require_sqlite_file,
    translated,
)

if TYPE_CHECKING:
    from alembic.config import Config

#: The newest revision in ``hpsearch.migrations`` (``tests/store/test_database.py`` checks it
#: against Alembic's scripts). A store at this revision is opened without importing
#: Alembic, which would add a quarter of a second to every command and worker.
HEAD_REVISION = "0008"
#: Alembic's own table of the revision a database is at.
VERSION_TABLE = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), primary_key=True),
)


def alembic_config(engine: Engine | None = None) -> Config:
    """Alembic's configuration for the migrations shipped in ``hpsearch.migrations``."""
    from alembic.config import Config

    # stdout now: Config's default is sys.stdout as it was when Alembic was imported
    config = Config(stdout=sys.stdout)
    config.set_main_option("script_location", str(files("hpsearch.migrations")))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "hpsearch.migrations ships at least one revision"
    return head


def _foreign(engine: Engine) -> StoreError:
    return StoreError(f"database {masked(engine.url)} holds tables but is not an hpsearch store")


def create_at_head(engine: Engine) -> None:
    """Create the models' tables in an empty database and stamp it with
    :data:`HEAD_REVISION`, in one transaction (no Alembic import: a new study starts
    faster). On SQLite the transaction holds the write lock from its start, so of two
    commands creating one store together, the second finds the first's."""
    from hpsearch.store.models import Base

    with engine.begin() as connection:
        seen = inspect(connection)
        if seen.has_table(VERSION_TABLE.name):
            return  # another command created it meanwhile
        if seen.get_table_names():
            raise _foreign(engine)
        Base.metadata.create_all(connection)
        VERSION_TABLE.create(connection)
        connection.execute(VERSION_TABLE.insert().values(version_num=HEAD_REVISION))


def current_revision(engine: Engine) -> str | None:
    """The revision stored in the database's ``alembic_version`` table (None: no table)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        version = text("SELECT version_num FROM alembic_version")
        return connection.execute(version).scalar()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Upgrade the database to the newest revision; returns (before, after). A database
    without Alembic's table but with tables of its own is another program's: refused."""
    with translated(engine):
        before = current_revision(engine)
        if before is not None and not _known(before):
            raise _ahead(engine, before)
        if before is None and inspect(engine).get_table_names():
            raise _foreign(engine)  # another program's tables: hpsearch's go elsewhere
        from alembic import command

        command.upgrade(alembic_config(engine), "head")
        return before, head_revision()


def _known(revision: str) -> bool:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return any(r.revision == revision for r in script.walk_revisions())


def _ahead(engine: Engine, revision: str) -> SchemaAhead:
    return SchemaAhead(
        f"database {masked(engine.url)} has schema revision {revision}, which this "
        "hpsearch does not know: it was written by a newer hpsearch; upgrade hpsearch"
    )


def check_schema(engine: Engine, *, create: bool) -> None:
    """Make sure the schema is the one this code expects.

    An empty database is created at head when ``create`` is true; an older schema
    raises SchemaBehind with the command to run; a newer one raises SchemaAhead.
    """
    with translated(engine):
        revision = current_revision(engine)
        if revision == HEAD_REVISION:
            return
        if revision is None:
            if create:
                create_at_head(engine)
                return
            if inspect(engine).get_table_names():
                raise _foreign(engine)
            raise NoStore(f"database {masked(engine.url)} holds no hpsearch studies yet")
        head = head_revision()
        if revision == head:
            return
        if not _known(revision):
            raise _ahead(engine, revision)
        raise SchemaBehind(
            f"database {masked(engine.url)} has an older schema ({revision}, this hpsearch "
            f"needs {head}): run `hpsearch db upgrade --db {masked(engine.url)}`"
        )


def open_store(
    db: str | None = None, *, create: bool = False, read_only: bool = False
) -> sessionmaker[Session]:
    """Open the store at ``db`` and check its schema (``db`` as
    :func:`~hpsearch.store.engine.database_url` takes it).

    Returns a session factory; use ``with factory.begin() as session:``. A
    ``read_only`` factory's transactions take no write lock on SQLite.
    """
    url = database_url(db)
    if not create:
        require_sqlite_file(url)
    engine = make_engine(url, read_only=read_only and not create)
    check_schema(engine, create=create)
    return sessionmaker(engine, expire_on_commit=False)
