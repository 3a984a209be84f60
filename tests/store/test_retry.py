"""Which store errors are passing faults, and how long they are retried."""

import sqlite3

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from hpsearch.errors import StoreUnavailable, UsageError
from hpsearch.store import retry
from hpsearch.store.retry import Retrying, is_transient


class ServerError(Exception):
    """A server driver's error with its SQLSTATE, as psycopg raises them."""

    def __init__(self, message, sqlstate):
        super().__init__(message)
        self.sqlstate = sqlstate


class OperationalErrorOfADriver(Exception):
    """Stands for a DB-API driver's OperationalError (by its name) without SQLSTATE."""


OperationalErrorOfADriver.__name__ = "OperationalError"


def wrapped(orig, invalidated=False):
    return OperationalError("SELECT 1", {}, orig, connection_invalidated=invalidated)


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (sqlite3.OperationalError("database is locked"), True),
        (wrapped(sqlite3.OperationalError("database is locked")), True),
        (wrapped(sqlite3.OperationalError("database table is locked")), True),
        (wrapped(sqlite3.OperationalError("no such table: trials")), False),
        (wrapped(sqlite3.OperationalError("disk I/O error")), False),
        (IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed")), False),
        (
            wrapped(ServerError("terminating connection due to administrator command", "57P01")),
            True,
        ),
        (wrapped(ServerError("the database system is starting up", "57P03")), True),
        (wrapped(ServerError("could not serialize access", "40001")), True),
        (wrapped(ServerError("deadlock detected", "40P01")), True),
        (wrapped(ServerError("connection failure", "08006")), True),
        (wrapped(ServerError("division by zero", "22012")), False),
        (wrapped(OperationalErrorOfADriver("connection refused")), True),
        (wrapped(ValueError("anything"), invalidated=True), True),
        (ValueError("a bug"), False),
    ],
)
def test_which_errors_are_transient(error, transient):
    assert is_transient(error) is transient


def test_a_transient_fault_is_retried_until_the_work_goes_through(monkeypatch):
    monkeypatch.setattr(retry.time, "sleep", lambda seconds: None)
    tries = []

    def work(retried):
        tries.append(retried)
        if len(tries) < 4:
            raise sqlite3.OperationalError("database is locked")
        return "done"

    retrying = Retrying("sqlite:///x.db", window=60)
    assert retrying(work) == "done"
    assert tries == [False, True, True, True] and retrying.retries == 3


def test_a_fault_past_the_window_raises_store_unavailable_and_others_at_once(monkeypatch):
    clock = iter(range(0, 1000, 10))  # every look at the clock is 10 s later
    monkeypatch.setattr(retry.time, "monotonic", lambda: next(clock))
    monkeypatch.setattr(retry.time, "sleep", lambda seconds: None)

    def locked(retried):
        raise sqlite3.OperationalError("database is locked")

    with pytest.raises(StoreUnavailable) as raised:
        Retrying("sqlite:///x.db", window=30)(locked)
    assert str(raised.value) == (
        "the store at sqlite:///x.db could not be written for 30 s (database is locked)"
    )

    def bug(retried):
        raise ValueError("a bug")

    with pytest.raises(ValueError, match="a bug"):
        Retrying("sqlite:///x.db", window=30)(bug)


@pytest.mark.parametrize("value", ["soon", "-1", "inf", "nan"])
def test_a_bad_retry_setting_is_a_usage_error(monkeypatch, value):
    monkeypatch.setenv("HPSEARCH_STORE_RETRY", value)
    with pytest.raises(UsageError, match="HPSEARCH_STORE_RETRY must be a number of seconds"):
        retry.retry_seconds()


def test_a_bad_retry_setting_is_one_line_before_anything_runs(cli, monkeypatch):
    monkeypatch.setenv("HPSEARCH_STORE_RETRY", "soon")
    result = cli("start", "s", "--trials", "2")
    assert result.exit_code != 0
    assert "Error: HPSEARCH_STORE_RETRY must be a number of seconds >= 0, got 'soon'" in (
        result.output
    )
