"""The SQL examples of the README and of docs/*.md run against a real store and return rows;
the README's test command is the one CI runs, and it works as a program.

The learning rate and weight decay are read from ``trial_params`` and ``round_domains``
like every other searched parameter: the store has no columns of their own.
"""

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT, TINY_SEARCH

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
STORE_PAGE = ROOT / "docs" / "store.md"
README = ROOT / "README.md"


def sql_examples(page: Path) -> list[str]:
    return re.findall(r"```sql\n(.*?)```", page.read_text(), flags=re.DOTALL)


QUERIES = [(page, query) for page in PAGES for query in sql_examples(page)]


@pytest.fixture
def book_db(cli, db_path):
    """Studies named 'book' (two rounds), 'opt' (three rounds, searching the optimizer
    and the hidden layers), 'fashion' (optimizer and batch norm) and 'svc' (a training
    function's, minimising its val_loss), as in the examples."""
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
    tuned = cli("start", "svc", "--objective", "tests.run.objectives:quadratic", "--metric",
                "val_loss", "--direction", "minimize", "--trials", "2", "--epochs", "2",
                "--workers", "1", "--pruner", "none", "--lr", "1e-3", "1e-1", "-q")  # fmt: skip
    assert tuned.exit_code == 0, tuned.output
    return db_path


def test_the_store_page_has_sql_examples():
    assert len(sql_examples(STORE_PAGE)) >= 3


@pytest.mark.parametrize(
    "query",
    [query for _, query in QUERIES],
    ids=[f"{page.relative_to(ROOT)}: {query.splitlines()[0]}" for page, query in QUERIES],
)
def test_docs_query_runs_and_returns_rows(book_db, query):
    with sqlite3.connect(book_db) as connection:
        assert connection.execute(query).fetchall()


def test_ci_runs_the_readmes_test_command_and_the_command_imports_the_tests():
    quick_start = re.search(r'pip install -e "\.\[test\]" && (.+?)\s+#', README.read_text())
    assert quick_start is not None
    command = quick_start.group(1)
    steps = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]  # fmt: skip
    assert steps[-1] == command == "pytest"  # letter for letter: not `python -m pytest`
    # The command as a program (not `python -m`, which puts the folder on sys.path):
    # the tests still import the shared helpers of tests/support.py.
    program = Path(sys.executable).parent / command
    collected = subprocess.run(
        [str(program), "--collect-only", "-q", "-p", "no:cacheprovider", __file__],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert collected.returncode == 0, collected.stdout + collected.stderr
    assert "test_ci_runs_the_readmes_test_command" in collected.stdout
