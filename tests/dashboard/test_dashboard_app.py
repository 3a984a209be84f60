"""The dashboard's server: read only (no write lock, nothing changed), errors at start in
one line, the address it binds, and the same pages on PostgreSQL."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import threading
import urllib.request

import pytest
from sqlalchemy.orm import sessionmaker

from hpsearch import store
from hpsearch.dashboard import bind, create_app
from hpsearch.dashboard.access import is_loopback
from hpsearch.settings import StudySettings
from hpsearch.space.sampling import BOOK_SPACE
from hpsearch.store.engine import make_engine
from hpsearch.store.schema import open_store
from hpsearch.store.status import TrialStatus
from postgres_server import server_programs, temporary_server

ENDPOINTS = (
    "/", "/api/studies", "/study/small", "/api/study/small", "/study/small/leaderboard.csv",
    "/study/small/figure/history.svg", "/compare?study=small", "/compare.csv?study=small",
)  # fmt: skip


def _dump(path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def test_pages_answer_while_a_writer_holds_the_lock(stored_study):
    client = create_app(open_store(str(stored_study.db), read_only=True)).test_client()
    writer = sqlite3.connect(stored_study.db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # the write lock every worker queues for
    writer.execute("UPDATE trials SET val_accuracy = 0.0")  # not committed: never seen
    answers: dict[str, tuple[int, bytes]] = {}

    def read() -> None:
        for url in ENDPOINTS:
            response = client.get(url)
            answers[url] = (response.status_code, response.get_data())

    reader = threading.Thread(target=read)
    reader.start()
    reader.join(timeout=30)  # a request that wanted the lock would wait 60 s for it
    writer.rollback()
    writer.close()
    assert not reader.is_alive(), "a page waited for the write lock"
    assert {url: code for url, (code, _) in answers.items()} == dict.fromkeys(ENDPOINTS, 200)
    with stored_study.factory() as session:
        best = store.best_trial(session, store.get_study(session, "small"))
    assert f"{best.val_accuracy}".encode() in answers["/api/study/small"][1]


def test_every_route_only_reads(tmp_path):
    app = create_app(open_store(str(tmp_path / "routes.db"), create=True))
    methods = {rule.rule: rule.methods for rule in app.url_map.iter_rules()}
    assert len(methods) > 10
    assert {rule: m - {"GET", "HEAD", "OPTIONS"} for rule, m in methods.items()} == dict.fromkeys(
        methods, set()
    )


def test_no_request_changes_the_database(stored_study):
    before = _dump(stored_study.db)
    client = create_app(open_store(str(stored_study.db), read_only=True)).test_client()
    for url in ENDPOINTS:
        assert client.get(url).status_code == 200
        assert client.post(url).status_code == 405  # only GET is routed
    assert _dump(stored_study.db) == before


@pytest.mark.parametrize(
    ("db", "message"),
    [
        ("missing.db", "Error: no database at"),
        ("nosuch://x/y", "Error: invalid database URL"),
        ("postgresql+psycopg://hp:s3cret@127.0.0.1:1/none", "Error: database"),
    ],
)
def test_a_store_that_cannot_be_read_is_one_line_at_start(cli, tmp_path, db, message):
    if db == "missing.db":
        db = str(tmp_path / db)
    result = cli("dashboard", "--db", db, "--port", "1")
    assert result.exit_code == 1
    assert result.output.startswith(message)
    assert len(result.output.strip().splitlines()) == 1
    assert "s3cret" not in result.output


def test_a_port_in_use_is_one_line_at_start(cli, stored_study):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("dashboard", "--db", str(stored_study.db), "--port", str(port))
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: cannot listen on 127.0.0.1:{port}: port in use"


def test_bind_listens_on_the_loopback_address_by_default():
    sock = bind("127.0.0.1", 0)
    try:
        assert sock.getsockname()[0] == "127.0.0.1"
    finally:
        sock.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_command_serves_on_127_0_0_1_and_says_so(stored_study):
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "hpsearch", "dashboard", "--db", str(stored_study.db),
         "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        first, second = server.stdout.readline(), server.stdout.readline()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies", timeout=30) as reply:
            names = reply.read().decode()
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert f"read-only at http://127.0.0.1:{port}/" in first
    assert "Listening on 127.0.0.1 (this machine only)" in second
    assert '"name":"small"' in names.replace(" ", "")


@pytest.fixture(scope="module")
def postgres_url():
    if server_programs() is None and not os.environ.get("HPSEARCH_REQUIRE_POSTGRES"):
        pytest.skip("PostgreSQL server programs not installed")
    pytest.importorskip("psycopg")
    with temporary_server() as url:
        yield url


def test_the_pages_on_postgresql(postgres_url):
    with open_store(postgres_url, create=True).begin() as session:
        study = store.create_study(session, "pg", 1, StudySettings())
        trial = store.create_round(session, study, BOOK_SPACE, 2).trials[0]
        trial.status, trial.val_accuracy = TrialStatus.COMPLETED, 0.75
    client = create_app(open_store(postgres_url, read_only=True)).test_client()
    data = client.get("/api/study/pg").get_json()
    assert [row["val_accuracy"] for row in data["leaderboard"]] == [0.75]
    assert data["statuses"]["pending"] == 1
    assert client.get("/study/pg").status_code == 200
    assert client.get("/study/nope").status_code == 404


def test_an_error_page_hides_the_database_password():
    url = "postgresql+psycopg://hp:s3cret@127.0.0.1:1/none"  # nothing listens on port 1
    client = create_app(sessionmaker(make_engine(url, read_only=True))).test_client()
    page = client.get("/")
    text = page.get_data(as_text=True)
    assert page.status_code == 500
    assert "hp:***@127.0.0.1:1/none" in text and "s3cret" not in text


@pytest.mark.parametrize(
    ("host", "local"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("0.0.0.0", False),
     ("example.org", False)],
)  # fmt: skip
def test_the_command_says_whether_others_can_reach_it(host, local):
    assert is_loopback(host) is local
