"""The SQL examples of the README and of docs/*.md run against a real store and return rows.

Each runs twice: on the store as it is, and on a copy without the columns the learning
rate and weight decay once had of their own (``trials.lr``, ``rounds.lr_low``, ...),
which the examples read from ``trial_params`` and ``round_domains`` like every other
searched parameter.
"""

import re
import sqlite3
from pathlib import Path

import pytest

from conftest import TINY_SEARCH

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
STORE_PAGE = ROOT / "docs" / "store.md"


def sql_examples(page: Path) -> list[str]:
    return re.findall(r"```sql\n(.*?)```", page.read_text(), flags=re.DOTALL)


QUERIES = [(page, query) for page in PAGES for query in sql_examples(page)]

#: Columns the examples must not need: lr and weight decay are read as parameters.
PARAMETER_COLUMNS = {
    "trials": ("lr", "weight_decay"),
    "rounds": ("lr_low", "lr_high", "weight_decay_low", "weight_decay_high"),
    "evaluations": ("lr", "weight_decay"),
}


@pytest.fixture
def book_db(cli, db_path):
    """Studies named 'book' (two rounds), 'opt' (three rounds, searching the optimizer
    and the hidden layers) and 'fashion' (optimizer and batch norm), as in the examples."""
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


def without_parameter_columns(db_path: Path, copy: Path) -> Path:
    """A copy of the store without the lr and weight-decay columns (those it still has)."""
    source, connection = sqlite3.connect(db_path), sqlite3.connect(copy)
    try:
        source.backup(connection)
        for table, columns in PARAMETER_COLUMNS.items():
            present = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
            for column in columns:
                if column in present:
                    connection.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        connection.commit()
    finally:
        source.close()
        connection.close()
    return copy


def test_the_store_page_has_sql_examples():
    assert len(sql_examples(STORE_PAGE)) >= 3


@pytest.mark.parametrize(
    "query",
    [query for _, query in QUERIES],
    ids=[f"{page.relative_to(ROOT)}: {query.splitlines()[0]}" for page, query in QUERIES],
)
def test_docs_query_runs_and_returns_rows(book_db, tmp_path, query):
    with sqlite3.connect(book_db) as connection:
        rows = connection.execute(query).fetchall()
    assert rows
    trimmed = without_parameter_columns(book_db, tmp_path / "trimmed.db")
    with sqlite3.connect(trimmed) as connection:
        assert connection.execute(query).fetchall() == rows
