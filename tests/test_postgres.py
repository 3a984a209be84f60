"""The same search on PostgreSQL, with a second worker process joining the round.

Runs when PostgreSQL's server programs and the psycopg driver are installed
(`pip install -e ".[test,postgres]"`); the server is started on 127.0.0.1 for
the test and stopped after it. Skipped otherwise.
"""

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import TINY_SEARCH

pytest.importorskip("psycopg")
INITDB = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
pytestmark = pytest.mark.skipif(not INITDB, reason="PostgreSQL server programs not installed")


def as_postgres(*command: str) -> list[str]:
    """Run as the postgres user when root (the server refuses to run as root)."""
    if os.geteuid() != 0:
        return list(command)
    return ["runuser", "-u", "postgres", "--", *command]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    bindir = os.path.dirname(INITDB[-1])
    # not under pytest's folder: the postgres user cannot enter root's private one
    folder = Path(tempfile.mkdtemp(prefix="hpsearch-postgres-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    data, port = folder / "data", free_port()
    subprocess.run(
        as_postgres(f"{bindir}/initdb", "-D", str(data), "-A", "trust", "-U", "hp"),
        check=True, capture_output=True,
    )  # fmt: skip
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
    subprocess.run(
        as_postgres(f"{bindir}/pg_ctl", "-D", str(data), "-o", options, "-l",
                    str(folder / "log"), "-w", "start"),
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        subprocess.run(
            as_postgres(f"{bindir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "hp",
                        "hpsearch"),
            check=True, capture_output=True,
        )  # fmt: skip
        yield f"postgresql+psycopg://hp:secret@127.0.0.1:{port}/hpsearch"
    finally:
        subprocess.run(
            as_postgres(f"{bindir}/pg_ctl", "-D", str(data), "-m", "fast", "stop"),
            capture_output=True,
        )  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)


def hpsearch(*args, db, data):
    return subprocess.Popen(
        [sys.executable, "-m", "hpsearch", *map(str, args), "--db", db, "--data-dir", str(data)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_a_search_on_postgresql_with_a_joining_worker(postgres_url, tiny_mnist):
    from alembic import command
    from sqlalchemy import text

    from hpsearch.database import alembic_config, make_engine, open_store

    slow = [a if a != "2x20" else "2x100" for a in TINY_SEARCH]
    slow = [a if a != "3" else "15" for a in slow]
    start = hpsearch("start", "pg", "--trials", "10", "--workers", "1", *slow,
                     db=postgres_url, data=tiny_mnist)  # fmt: skip
    factory = None
    deadline = time.monotonic() + 60
    while factory is None and time.monotonic() < deadline:  # wait for the round to exist
        try:
            factory = open_store(postgres_url)
            with factory() as session:
                if not session.execute(text("SELECT count(*) FROM trials")).scalar():
                    factory = None
        except Exception:
            factory = None
        time.sleep(0.2)
    assert factory is not None, start.communicate()
    joiner = hpsearch("worker", "pg", "--workers", "1", "-q", "--no-verify",
                      db=postgres_url, data=tiny_mnist)  # fmt: skip
    for process in (start, joiner):
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        assert "secret" not in out + err
    with factory() as session:
        statuses = session.execute(text("SELECT status, count(*) FROM trials GROUP BY status"))
        assert dict(statuses.all()) == {"completed": 10}
        workers = session.execute(text("SELECT count(DISTINCT worker) FROM trials")).scalar()
        epochs = session.execute(text("SELECT count(*) FROM epoch_metrics")).scalar()
    assert epochs == 10 * 15  # every epoch once: no trial ran twice
    assert workers in (1, 2)
    command.check(alembic_config(make_engine(postgres_url)))  # models match migrations
