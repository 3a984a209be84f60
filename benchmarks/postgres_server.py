"""A throwaway PostgreSQL server on 127.0.0.1, for the tests and the benchmarks.

``temporary_server()`` runs initdb into a new folder, starts the server on a free
port (as the ``postgres`` user when run as root: the server refuses root), yields
its URL, and stops it and removes the folder afterwards; ``restart(url)`` restarts it
meanwhile (its sessions cut, as a server's restart does), ``stop(url)`` stops it and
leaves it down until ``start(url)``. ``server_programs()``
finds the server programs (Debian's /usr/lib/postgresql/N/bin, else ``initdb``
on the PATH); None when PostgreSQL is not installed.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: The folder of each temporary server and its ``-o`` options, by port.
_FOLDERS: dict[int, Path] = {}
_OPTIONS: dict[int, str] = {}


def server_programs() -> Path | None:
    """The folder of initdb and pg_ctl, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found and (initdb := shutil.which("initdb")):
        found = [os.path.realpath(initdb)]
    return Path(found[-1]).parent if found else None


def _as_postgres(*command: str) -> list[str]:
    """Run as the postgres user when root (the server refuses to run as root)."""
    if os.geteuid() != 0:
        return list(command)
    return ["runuser", "-u", "postgres", "--", *command]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def create_database(url: str, name: str) -> str:
    """Create database ``name`` on the server of ``url``; returns its URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    server = make_url(url)
    with psycopg.connect(
        host=server.host, port=server.port, user=server.username, dbname="postgres",
        autocommit=True,
    ) as connection:  # fmt: skip
        connection.execute(f'CREATE DATABASE "{name}"')
    return server.set(database=name).render_as_string(hide_password=False)


@contextmanager
def temporary_server(max_connections: int = 100) -> Iterator[str]:
    """Start a server; yields the URL of its database ``hpsearch`` (user ``hp``)."""
    bindir = server_programs()
    if bindir is None:
        raise RuntimeError("PostgreSQL's server programs are not installed")
    # not under a private temporary folder of root's: the postgres user must enter it
    folder = Path(tempfile.mkdtemp(prefix="hpsearch-postgres-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    data, port = folder / "data", _free_port()
    subprocess.run(
        _as_postgres(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "hp"),
        check=True, capture_output=True,
    )  # fmt: skip
    options = (
        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections={max_connections}"
    )
    subprocess.run(
        _as_postgres(str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l",
                     str(folder / "log"), "-w", "start"),
        check=True, capture_output=True,
    )  # fmt: skip
    _FOLDERS[port], _OPTIONS[port] = folder, options
    try:
        url = f"postgresql+psycopg://hp:secret@127.0.0.1:{port}/postgres"
        yield create_database(url, "hpsearch")
    finally:
        del _FOLDERS[port], _OPTIONS[port]
        subprocess.run(
            _as_postgres(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"),
            capture_output=True,
        )  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)


def restart(url: str) -> None:
    """Restart the temporary server of ``url`` ("fast": every session is cut at once) and
    return once it accepts connections again."""
    _pg_ctl(url, "-m", "fast", "-w", "restart")


def _pg_ctl(url: str, *arguments: str) -> None:
    from sqlalchemy.engine import make_url

    bindir, folder = server_programs(), _FOLDERS[make_url(url).port]
    assert bindir is not None
    subprocess.run(
        _as_postgres(str(bindir / "pg_ctl"), "-D", str(folder / "data"), "-l",
                     str(folder / "log"), *arguments),
        check=True, capture_output=True,
    )  # fmt: skip


def stop(url: str) -> None:
    """Stop the temporary server of ``url`` ("fast": every session is cut at once) and
    return once it is down; it stays down until :func:`start`."""
    _pg_ctl(url, "-m", "fast", "-w", "stop")


def start(url: str) -> None:
    """Start again the temporary server of ``url`` that :func:`stop` stopped, with its
    options; return once it accepts connections."""
    from sqlalchemy.engine import make_url

    _pg_ctl(url, "-o", _OPTIONS[make_url(url).port], "-w", "start")
