"""Connecting to the store: the database URL, its engines, and read-only sessions.

The URL comes from ``--db`` or ``HPSEARCH_DB``, default ``sqlite:///hpsearch.db``;
a plain path is taken as an SQLite file. SQLite runs in WAL mode with a busy timeout
(``HPSEARCH_BUSY_TIMEOUT``, see :mod:`hpsearch.store.retry`) and foreign keys on, and
every write transaction starts with ``BEGIN IMMEDIATE`` so concurrent writers queue
for the lock instead of failing with "database is locked"; a reader's transactions
take no lock. The store is opened, its schema checked, by
:func:`hpsearch.store.schema.open_store`.
"""

from __future__ import annotations

import os
import re
import sqlite3
import urllib.parse
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from hpsearch.errors import NoStore, StoreError, UsageError
from hpsearch.store.retry import busy_timeout_seconds

DB_ENV = "HPSEARCH_DB"
DEFAULT_URL = "sqlite:///hpsearch.db"
READ_ONLY = "hpsearch_read_only"


def database_url(db: str | None = None) -> str:
    """The URL to use: ``db``, else ``$HPSEARCH_DB``, else ``hpsearch.db`` here."""
    value = db or os.environ.get(DB_ENV) or DEFAULT_URL
    if "://" not in value:
        value = f"sqlite:///{value}"
    return value


_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")
MAX_PORT = 65535


def masked(url: str | URL) -> str:
    """The URL with its password hidden, for messages (also a URL that does not parse)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return _PASSWORD.sub(r"\1***@", str(url))


def parse_url(url: str) -> URL:
    """``url`` parsed; raises StoreError for one that cannot name a database: a port that
    is not a number in 1-65535 (an IPv6 host unbracketed reads as one), an SQLite
    database in memory (it would be gone when the command ends)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"invalid database URL {masked(url)!r}: {exc}") from None
    except ValueError:  # int() of the port
        raise StoreError(
            f"invalid database URL {masked(url)!r}: the port must be a number from 1 to "
            f"{MAX_PORT} (write an IPv6 host in brackets: postgresql://user@[::1]/db)"
        ) from None
    if parsed.port is not None and not 1 <= parsed.port <= MAX_PORT:
        raise StoreError(
            f"invalid database URL {masked(url)!r}: port {parsed.port} is not in 1-{MAX_PORT}"
        )
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise StoreError(
            f"database {masked(url)!r} is in memory and would be lost when the command ends: "
            "give an SQLite file (--db hpsearch.db) or a PostgreSQL URL"
        )
    return parsed


def _sqlite_connect(busy_seconds: float, dbapi_connection, _record) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {round(busy_seconds * 1000)}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_connect_reader(busy_seconds: float, dbapi_connection, _record) -> None:
    # A reader changes nothing in the file: no journal mode switch (hpsearch's writers
    # made the database WAL; a reader of any other file must not convert it).
    dbapi_connection.isolation_level = None
    dbapi_connection.execute(f"PRAGMA busy_timeout = {round(busy_seconds * 1000)}")


def _read_only_connection(path: Path, busy_seconds: float) -> sqlite3.Connection:
    """A connection that cannot write ``path``: SQLite's ``mode=ro``, so a file or folder
    this user may not write is still read. A WAL database whose folder cannot hold the
    ``-shm`` file SQLite reads it with is opened ``immutable`` when no ``-wal`` file
    exists (no writer is at work: a writer keeps one)."""
    uri = f"file:{urllib.parse.quote(str(path.resolve()))}"
    connection = sqlite3.connect(
        f"{uri}?mode=ro", uri=True, timeout=busy_seconds, check_same_thread=False
    )
    try:
        connection.execute("PRAGMA schema_version").fetchone()
    except sqlite3.OperationalError:
        if path.with_name(path.name + "-wal").exists():
            raise
        connection.close()
        connection = sqlite3.connect(
            f"{uri}?immutable=1", uri=True, timeout=busy_seconds, check_same_thread=False
        )
    return connection


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
    busy = busy_timeout_seconds()  # UsageError for a bad value, before the URL's errors
    parsed = parse_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            path = Path(parsed.database or "")
            _check_sqlite_file(path)
            options: dict = {"connect_args": {"timeout": busy}}
            if read_only:
                options["creator"] = partial(_read_only_connection, path, busy)
            engine = create_engine(parsed, **options)
            connect = _sqlite_connect_reader if read_only else _sqlite_connect
            event.listen(engine, "connect", partial(connect, busy))
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


def require_sqlite_file(url: str) -> None:
    """A command that only uses a store must not leave an empty database file behind."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return  # make_engine reports it
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database)
        if not path.exists():
            raise NoStore(f"no database at {path}: start a study first (`hpsearch start NAME`)")


#: The files SQLite keeps beside a database file ``X``: ``X-wal``, ``X-shm``, ``X-journal``.
SIDE_FILES = ("", "-wal", "-shm", "-journal")


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite URL (None: not SQLite, or not a file)."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def file_identity(url: str) -> tuple[int, int] | None:
    """The (device, inode) of an SQLite URL's file, to tell later that it is still the
    same file (None: not an SQLite file, or none there)."""
    path = sqlite_path(url)
    try:
        found = path.stat() if path is not None else None
    except OSError:
        return None
    return None if found is None else (found.st_dev, found.st_ino)


def check_still_there(url: str, identity: tuple[int, int] | None) -> None:
    """Raise StoreError if the SQLite file of ``url`` that had ``identity`` was removed
    or replaced since: what was written to it after that went with it."""
    if identity is None:
        return
    if file_identity(url) != identity:
        raise StoreError(
            f"database {sqlite_path(url)} was removed or replaced while this command ran: "
            "what it wrote there is gone with the removed file"
        )


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        first, second = a.stat(), b.stat()
    except OSError:
        return False
    return (first.st_dev, first.st_ino) == (second.st_dev, second.st_ino)  # a hard link


def refuse_store_file(url: str, path: Path) -> None:
    """Raise UsageError if writing ``path`` would overwrite the store at ``url``: its
    SQLite file or one of SQLite's files beside it, by resolved path (symbolic links
    followed) or by device and inode (hard links)."""
    database = sqlite_path(url)
    if database is None:
        return
    for suffix in SIDE_FILES:
        store_file = database.with_name(database.name + suffix)
        if _same_file(path, store_file):
            raise UsageError(
                f"refusing to write {path}: it is the database {store_file} itself; "
                "choose another file"
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


def reader(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """A factory on the same engine whose transactions only read."""
    engine = factory.kw["bind"].execution_options(**{READ_ONLY: True})
    return sessionmaker(engine, expire_on_commit=False)
