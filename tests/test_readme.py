"""The README's SQL examples run against a real store and return rows."""

import re
import sqlite3
from pathlib import Path

import pytest

from conftest import TINY_SEARCH

README = Path(__file__).resolve().parents[1] / "README.md"
QUERIES = re.findall(r"```sql\n(.*?)```", README.read_text(), flags=re.DOTALL)


@pytest.fixture
def book_db(cli, db_path):
    """Studies named 'book' (two rounds), 'opt' (three rounds, searching the optimizer
    and the hidden layers) and 'fashion' (optimizer and batch norm), as in the README."""
    assert cli("start", "book", "--trials", "5", "--workers", "1", *TINY_SEARCH).exit_code == 0
    narrowed = cli("narrow", "book", "-k", "2", "--trials", "3", "--workers", "1", "-q",
                   "--no-verify")  # fmt: skip
    assert narrowed.exit_code == 0, narrowed.output
    searched = cli("start", "opt", "--trials", "8", "--workers", "1", "--search",
                   "optimizer=sgd,momentum,adam", "--search", "hidden_layers=1:3",
                   *TINY_SEARCH)  # fmt: skip
    assert searched.exit_code == 0, searched.output
    for _ in range(2):
        narrowed = cli("narrow", "opt", "-k", "4", "--trials", "4", "--workers", "1", "-q",
                       "--no-verify")  # fmt: skip
        assert narrowed.exit_code == 0, narrowed.output
    searched = cli("start", "fashion", "--trials", "8", "--workers", "1", "--search",
                   "optimizer=sgd,momentum,adam", "--search", "batchnorm=true,false",
                   *TINY_SEARCH)  # fmt: skip
    assert searched.exit_code == 0, searched.output
    return db_path


def test_the_readme_has_sql_examples():
    assert len(QUERIES) >= 3


@pytest.mark.parametrize("query", QUERIES, ids=[q.splitlines()[0] for q in QUERIES])
def test_readme_query_runs_and_returns_rows(book_db, query):
    with sqlite3.connect(book_db) as connection:
        rows = connection.execute(query).fetchall()
    assert rows
