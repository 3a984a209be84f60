"""Opening the store: the database URL, the engine, and the schema's revision.

The URL comes from ``--db`` or ``HPSEARCH_DB``, default ``sqlite:///hpsearch.db``;
a plain path is taken as an SQLite file. SQLite runs in WAL mode with a busy
timeout and foreign keys on, and every write transaction starts with
``BEGIN IMMEDIATE`` so concurrent writers queue for the lock instead of
failing with "database is locked". A new database gets the models' tables and is
stamped with the newest Alembic revision, in one transaction, as Alembic's cookbook
builds a database from scratch (``tests/test_database.py`` checks that this schema is
the one the migrations build); an older one must be upgraded with
``hpsearch db upgrade``; a newer one is refused.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Column, Engine, MetaData, String, Table, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from hpsearch.errors import SchemaAhead, SchemaBehind, StoreError

if TYPE_CHECKING:
    from alembic.config import Config

DB_ENV = "HPSEARCH_DB"
DEFAULT_URL = "sqlite:///hpsearch.db"
BUSY_TIMEOUT_SECONDS = 60
READ_ONLY = "hpsearch_read_only"
#: The newest revision in ``hpsearch.migrations`` (``tests/test_database.py`` checks it
#: against Alembic's scripts). A store at this revision is opened without importing
#: Alembic, which would add a quarter of a second to every command and worker.
HEAD_REVISION = "0005"
#: Alembic's own table of the revision a database is at.
VERSION_TABLE = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), primary_key=True),
)


def database_url(db: str | None = None) -> str:
    """The URL to use: ``db``, else ``$HPSEARCH_DB``, else ``hpsearch.db`` here."""
    value = db or os.environ.get(DB_ENV) or DEFAULT_URL
    if "://" not in value:
        value = f"sqlite:///{value}"
    return value


def masked(url: str | URL) -> str:
    """The URL with its password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid database URL>"


def _sqlite_connect(dbapi_connection, _record) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_connect_reader(dbapi_connection, _record) -> None:
    # A reader changes nothing in the file: no journal mode switch (hpsearch's writers
    # made the database WAL; a reader of any other file must not convert it).
    dbapi_connection.isolation_level = None
    dbapi_connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")


def _sqlite_begin(connection) -> None:
    # Straight to the driver: this runs before every write, several times a second.
    read_only = connection.get_execution_options().get(READ_ONLY)
    connection.connection.driver_connection.execute("BEGIN" if read_only else "BEGIN IMMEDIATE")


#: The engines this process made and has not disposed of (see :func:`dispose_engines`).
_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def dispose_engines() -> None:
    """Close the pooled connections of every engine this process made.

    A command calls it when it ends: a connection left in a pool would otherwise be
    closed whenever the garbage collector gets to it, and an SQLite connection that
    closes while later ones of the same process use the file (the next command, in
    the same process) can make their reads fail with "disk I/O error".
    """
    for engine in list(_ENGINES):
        engine.dispose()
    _ENGINES.clear()


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    """An engine for ``url``; raises StoreError for a URL that cannot be used.

    A ``read_only`` engine's transactions take no write lock and change nothing
    in an SQLite file (not even its journal mode).
    """
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                _check_sqlite_file(Path(parsed.database))
            engine = create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_SECONDS})
            connect = _sqlite_connect_reader if read_only else _sqlite_connect
            event.listen(engine, "connect", connect)
            event.listen(engine, "begin", _sqlite_begin)
        else:
            engine = create_engine(parsed, pool_pre_ping=True)
        _ENGINES.add(engine)
        if read_only:
            engine = engine.execution_options(**{READ_ONLY: True})
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise StoreError(f"invalid database URL {masked(url)!r}: {exc}") from None
    except ImportError as exc:
        raise StoreError(f"no driver for {masked(url)}: {exc}") from None
    return engine


def _check_sqlite_file(path: Path) -> None:
    """Refuse a file that is not SQLite, and a folder that cannot hold the database."""
    if path.is_dir():
        raise StoreError(f"database path {path} is a folder, not a file")
    if path.exists():
        with path.open("rb") as handle:
            header = handle.read(16)
        if path.stat().st_size and header != b"SQLite format 3\x00":
            raise StoreError(f"{path} is not an SQLite database")
        return
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise StoreError(f"cannot create database {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise StoreError(f"cannot create database {path}: folder {folder} is not writable")


def _require_sqlite_file(url: str) -> None:
    """A command that only uses a store must not leave an empty database file behind."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return  # make_engine reports it
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database)
        if not path.exists():
            raise StoreError(f"no database at {path}: start a study first (`hpsearch start NAME`)")


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
    """Upgrade the database to the newest revision; returns (before, after)."""
    with translated(engine):
        before = current_revision(engine)
        if before is not None and not _known(before):
            raise _ahead(engine, before)
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
            raise StoreError(f"database {masked(engine.url)} holds no hpsearch studies yet")
        head = head_revision()
        if revision == head:
            return
        if not _known(revision):
            raise _ahead(engine, revision)
        raise SchemaBehind(
            f"database {masked(engine.url)} has an older schema ({revision}, this hpsearch "
            f"needs {head}): run `hpsearch db upgrade --db {masked(engine.url)}`"
        )


@contextmanager
def translated(engine: Engine) -> Iterator[None]:
    """Turn driver errors (not a database, disk I/O, locked, ...) into StoreError."""
    try:
        yield
    except StoreError:
        raise
    except (SQLAlchemyError, sqlite3.Error) as exc:
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())  # one line
        raise StoreError(f"database {masked(engine.url)}: {reason}") from exc


def open_store(
    db: str | None = None, *, create: bool = False, read_only: bool = False
) -> sessionmaker[Session]:
    """Open the store at ``db`` (see :func:`database_url`) and check its schema.

    Returns a session factory; use ``with factory.begin() as session:``. A
    ``read_only`` factory's transactions take no write lock on SQLite.
    """
    url = database_url(db)
    if not create:
        _require_sqlite_file(url)
    engine = make_engine(url, read_only=read_only and not create)
    check_schema(engine, create=create)
    return sessionmaker(engine, expire_on_commit=False)


def reader(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """A factory on the same engine whose transactions only read."""
    engine = factory.kw["bind"].execution_options(**{READ_ONLY: True})
    return sessionmaker(engine, expire_on_commit=False)
