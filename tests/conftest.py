"""Shared fixtures: a tiny learnable MNIST on disk, the real MNIST when it is present, a
throwaway PostgreSQL server, a migrated store, the CLI on tiny data, stored studies and a
local mirror. The helpers they
are built from live in ``support``."""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import signal
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support import (
    REAL_FASHION_MNIST,
    REAL_MNIST,
    MirrorServer,
    StoredStudy,
    holds_mnist,
    make_searched_study,
    make_stored_study,
    make_tiny_mnist,
)
from trainer.mnist import MNIST_FILES


def pytest_configure(config: pytest.Config) -> None:
    """Let Ctrl-C reach the commands the tests start, however the suite was started: a
    shell starts a background job with SIGINT ignored, an ignored signal stays ignored
    across ``exec``, and Python then installs no handler for it (the tests that send
    SIGINT would see the command run on to its end)."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def tiny_mnist(tmp_path: Path) -> Path:
    """A folder with the tiny MNIST files (see :func:`make_tiny_mnist`)."""
    return make_tiny_mnist(tmp_path / "mnist")


@pytest.fixture
def tiny_mnist_checksums(tiny_mnist: Path) -> dict[str, str]:
    """MD5 of the uncompressed content of each tiny MNIST file, keyed by file name."""
    return {
        name: hashlib.md5(gzip.decompress((tiny_mnist / f"{name}.gz").read_bytes())).hexdigest()
        for name in MNIST_FILES.values()
    }


def _real_data(title: str, shared: Path, env: str) -> Path:
    """The shared folder of a real data set, else the one its variable names; skip if neither."""
    candidates = [shared]
    if env_dir := os.environ.get(env):
        candidates.append(Path(env_dir))
    for folder in candidates:
        if holds_mnist(folder):
            return folder
    pytest.skip(f"real {title} not found in {' or '.join(map(str, candidates))}")


@pytest.fixture(scope="session")
def real_mnist() -> Path:
    return _real_data("MNIST", REAL_MNIST, "HPSEARCH_DATA_DIR")


@pytest.fixture(scope="session")
def real_fashion_mnist() -> Path:
    return _real_data("Fashion-MNIST", REAL_FASHION_MNIST, "HPSEARCH_FASHION_DATA_DIR")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a database on a throwaway PostgreSQL server, one for the whole run
    (benchmarks/postgres_server.py). Skipped without PostgreSQL's server programs or the
    psycopg driver, unless HPSEARCH_REQUIRE_POSTGRES is set: then it fails."""
    from postgres_server import server_programs, temporary_server

    if not os.environ.get("HPSEARCH_REQUIRE_POSTGRES"):
        pytest.importorskip("psycopg")
        if server_programs() is None:
            pytest.skip("PostgreSQL server programs not installed")
    with temporary_server(max_connections=200) as url:
        yield url


# --- hpsearch: a migrated store and the CLI on tiny data ---------------------------------


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "hpsearch.db"


@pytest.fixture
def factory(db_path: Path):
    """A session factory on a new database upgraded to the newest revision."""
    from hpsearch.store.schema import open_store

    return open_store(str(db_path), create=True)


@pytest.fixture
def round0(factory) -> int:
    """The id of round 0 (six pending trials) of a new study "s" of seed 3."""
    from hpsearch import store
    from hpsearch.settings import StudySettings
    from hpsearch.space.sampling import BOOK_SPACE

    with factory.begin() as session:
        study = store.create_study(session, "s", 3, StudySettings())
        return store.create_round(session, study, BOOK_SPACE, 6).id


@pytest.fixture
def cli(db_path: Path, tiny_mnist: Path, monkeypatch):
    """Run ``hpsearch ARGS`` in-process against the test database and the tiny data."""
    from typer.testing import CliRunner

    from hpsearch.cli import app

    monkeypatch.setenv("HPSEARCH_DB", str(db_path))
    monkeypatch.setenv("HPSEARCH_DATA_DIR", str(tiny_mnist))
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, [str(a) for a in args])

    return invoke


@pytest.fixture
def stored_study(tmp_path: Path) -> StoredStudy:
    """A study "small" with two finished rounds (see :func:`support.make_stored_study`)."""
    return make_stored_study(tmp_path)


@pytest.fixture
def searched_study(tmp_path: Path) -> StoredStudy:
    """A study "wide" over five parameters (see :func:`support.make_searched_study`)."""
    return make_searched_study(tmp_path)


@pytest.fixture
def mirror_server(tmp_path, monkeypatch) -> Iterator[MirrorServer]:
    for proxy in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(proxy, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    root = tmp_path / "www"
    root.mkdir()
    requests: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def log_request(self, code="-", size="-"):
            requests.append(self.path)

        def log_message(self, *args):  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=root))
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield MirrorServer(root, server.server_address[1], requests)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
