"""Bad input: a one-line error, a non-zero exit code, no traceback, nothing changed."""

import gzip
import os
import shutil
import sqlite3

import pytest
from typer.testing import CliRunner

from conftest import TINY_SEARCH, make_tiny_mnist
from hpsearch.cli import app


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A database holding study 's' (one finished round of 4 trials), and its data."""
    folder = tmp_path_factory.mktemp("template")
    data = make_tiny_mnist(folder / "mnist")
    db = folder / "template.db"
    result = CliRunner().invoke(
        app,
        ["start", "s", "--trials", "4", "--workers", "1", "--db", str(db),
         "--data-dir", str(data), *TINY_SEARCH],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with sqlite3.connect(db) as connection:  # move the WAL into the file, to copy the file
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db, data


@pytest.fixture
def env(template, tmp_path, monkeypatch):
    """A fresh copy of the template database and data, set as the defaults."""
    db, data = template
    copy = tmp_path / "hpsearch.db"
    shutil.copy(db, copy)
    data_copy = tmp_path / "mnist"
    shutil.copytree(data, data_copy)
    monkeypatch.setenv("HPSEARCH_DB", str(copy))
    monkeypatch.setenv("HPSEARCH_DATA_DIR", str(data_copy))
    return copy, data_copy


def dump(db):
    with sqlite3.connect(db) as connection:
        return list(connection.iterdump())


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def check(result, message, code=1):
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, result.stderr  # one line
    assert errors[0].startswith("Error: ")
    assert message in errors[0]


START = ["start", "new", "--trials", "2", *TINY_SEARCH]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "nope"], "no study named 'nope'"),
        (["narrow", "nope", "-k", "1"], "no study named 'nope'"),
        (["resume", "nope"], "no study named 'nope'"),
        (["evaluate", "nope"], "no study named 'nope'"),
        (["export", "nope"], "no study named 'nope'"),
        (["start", "s", "--trials", "2", *TINY_SEARCH], "a study named 's' already exists"),
        ([*START, "--lr", "1e-2", "1e-6"], "lr range [0.01, 1e-06]: low must be < high"),
        ([*START, "--weight-decay", "1e-4", "1e-4"], "low must be < high"),
        ([*START, "--lr", "0", "1e-2"], "both bounds must be > 0"),
        ([*START, "--weight-decay", "-1e-8", "1e-4"], "both bounds must be > 0"),
        (["narrow", "s", "-k", "5"], "top-k 5 is more than the 4 completed"),
        (["narrow", "s", "-k", "0"], "top-k must be >= 1"),
        ([*START, "--train-size", "50", "--batch-size", "100"], "fewer than the batch size 100"),
        ([*START, "--train-size", "1"], "train size must be >= 2"),
        ([*START, "--train-size", "many"], "train size must be a number or 'all'"),
        ([*START, "--train-size", "100000"], "larger than the 300 samples"),
        ([*START, "--val-fraction", "0"], "validation fraction must be in (0, 1)"),
        ([*START, "--val-fraction", "1"], "validation fraction must be in (0, 1)"),
        ([*START, "--val-fraction", "1.5"], "validation fraction must be in (0, 1)"),
        ([*START, "--hidden", "lots"], "write them as 6x100"),
        ([*START, "--hidden", "0"], "the network needs at least one hidden layer"),
        ([*START, "--hidden", "none"], "the network needs at least one hidden layer"),
        ([*START, "--hidden", "0x100"], "the network needs at least one hidden layer"),
        ([*START, "--hidden", "2x0"], "the network needs at least one hidden layer"),
        ([*START, "--seed", str(2**63)], "seed must be in [0, 9223372036854775807]"),
        ([*START, "--dropout", "1"], "dropout ratio must be in [0, 1)"),
        ([*START, "--search", "colour=red"], "unknown parameter 'colour'"),
        ([*START, "--search", "dropout=0:0.3", "--search", "dropout=0:0.2"], "given twice"),
        ([*START, "--search", "hidden_size=64:16"], "low must be <= high"),
        ([*START, "--search", "momentum=0.9:0.5"], "low must be < high"),
        ([*START, "--search", "lr=0:1e-2"], "both bounds must be > 0"),
        ([*START, "--search", "batch_size=0:64:log"], "both bounds must be >= 1"),
        ([*START, "--search", "optimizer="], "empty choice"),
        ([*START, "--search", "optimizer=sgd,adam,sgd"], "choice sgd is given twice"),
        ([*START, "--search", "hidden_layers=1:2.5"], "'2.5' is not an integer bound"),
        ([*START, "--search", "dropout=0.5:1"], "dropout must be in [0, 1), got 1"),
        ([*START, "--search", "batch_size=0,32"], "batch size must be >= 1, got 0"),
        ([*START, "--search", "batch_size=100,300"], "fewer than the batch size 300"),
        ([*START, "--space", "no-such-file.toml"], "cannot read no-such-file.toml"),
    ],
)
def test_bad_values_give_one_line_and_change_nothing(env, args, message):
    db, _ = env
    before = dump(db)
    check(run(*args), message)
    assert dump(db) == before


def test_a_malformed_space_file_gives_one_line_and_changes_nothing(env, tmp_path):
    db, _ = env
    space = tmp_path / "space.toml"
    space.write_text("[optimizer\nchoices = 1\n")
    before = dump(db)
    check(run(*START, "--space", space), f"{space} is not valid TOML")
    assert dump(db) == before


@pytest.mark.parametrize(
    "args",
    [
        [*START[:-1], "--trials", "0"],
        [*START[:-1], "--epochs", "0"],
        [*START[:-1], "--workers", "0"],
        [*START[:-1], "--batch-size", "0"],
        ["narrow", "s", "-k", "1", "--trials", "0"],
        ["report", "s", "--top", "0"],
    ],
)
def test_counts_below_one_are_refused_by_the_parser_in_one_line(env, args):
    db, _ = env
    before = dump(db)
    result = run(*args)
    check(result, "greater than or equal to 1", code=2)
    assert f" {args[0]} --help`)" in result.stderr  # the way to the usage
    assert dump(db) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["start"], "Missing argument"),
        (["start", "x", "--no-such-option"], "No such option: --no-such-option"),
        (["no-such-command"], "No such command 'no-such-command'"),
        (["plot", "s", "--format", "gif"], "Invalid value for '--format'"),
        ([*START, "--dataset", "cifar"], "Invalid value for '--dataset'"),
        ([*START, "--optimizer", "adamw"], "Invalid value for '--optimizer'"),
        ([*START, "--activation", "tanh"], "Invalid value for '--activation'"),
        (
            [*START, "--weight-init", "glorot"],
            "Invalid value for '--weight-init': unknown weight init 'glorot'",
        ),
        (
            [*START, "--weight-init", "-0.01"],
            "Invalid value for '--weight-init': weight init standard deviation must be > 0",
        ),
        ([*START, "--pruner", "magic"], "Invalid value for '--pruner'"),
        ([*START, "--dtype", "float16"], "Invalid value for '--dtype'"),
    ],
)
def test_other_parser_rejections_read_as_one_line(env, args, message):
    check(run(*args), message, code=2)


def test_a_figure_folder_that_cannot_be_written(env):
    # /proc exists and refuses new files even to root (a read-only folder would not stop root)
    check(run("plot", "s", "--out", "/proc"), "cannot write figures to /proc")


def test_reading_an_empty_file_leaves_it_as_it_is(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    for command in (["studies"], ["report", "s"], ["export", "s"], ["plot", "s"]):
        check(run(*command, "--db", path), "holds no hpsearch studies yet")
    assert path.stat().st_size == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"]  # no -wal, no -shm


def test_a_file_that_is_not_sqlite(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("not a database\n" * 20)
    check(run("report", "s", "--db", path), "is not an SQLite database")
    assert path.read_text() == "not a database\n" * 20


def test_a_truncated_database(env, tmp_path):
    db, _ = env
    cut = tmp_path / "cut.db"
    cut.write_bytes(db.read_bytes()[:6000])
    before = cut.read_bytes()
    check(run("report", "s", "--db", cut), "database")
    assert cut.read_bytes() == before


def test_a_database_from_a_newer_hpsearch(env):
    db, _ = env
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_future'")
    before = dump(db)
    check(run("report", "s"), "written by a newer hpsearch")
    check(run(*START), "written by a newer hpsearch")
    assert dump(db) == before


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/proc/hpsearch-cannot-write-here.db", "database"),
        ("/no/such/folder/hpsearch.db", "no database at /no/such/folder/hpsearch.db"),
        ("nosuchdriver://x", "invalid database URL"),
        ("sqlite:///", "database"),
    ],
)
def test_unusable_database_locations(url, message):
    check(run("studies", "--db", url), message)


def test_a_database_folder_that_does_not_exist_for_a_new_study(template):
    _, data = template
    result = run(*START, "--db", "/no/such/folder/new.db", "--data-dir", data)
    check(result, "folder /no/such/folder does not exist")


def test_database_passwords_are_never_printed():
    result = run("studies", "--db", "postgresql+nosuchdriver://alice:s3cret@127.0.0.1:1/hp")
    assert result.exit_code == 1
    assert "s3cret" not in result.output
    assert "***" in result.stderr


def truncate(data):
    path = data / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes())[:5000]))


def remove(data):
    (data / "t10k-labels-idx1-ubyte.gz").unlink()


@pytest.mark.parametrize(
    ("damage", "verify", "message"),
    [
        (remove, "--no-verify", "lacks t10k-labels-idx1-ubyte"),
        (truncate, "--no-verify", "train-images-idx3-ubyte.gz is truncated"),
        # the tiny files are not the real MNIST: checked, the first one fails
        (lambda data: None, "--verify", "train-images-idx3-ubyte.gz fails its checksum"),
    ],
)
def test_bad_mnist_files(env, damage, verify, message):
    db, data = env
    damage(data)
    before = dump(db)
    args = ["new", "--trials", "2", *[a for a in TINY_SEARCH if a != "--no-verify"], verify]
    check(run("start", *args), message)
    assert dump(db) == before


@pytest.mark.parametrize("command", [["studies"], ["report", "s"], ["db", "upgrade"]])
def test_reading_a_missing_database_creates_no_file(tmp_path, command):
    path = tmp_path / "typo.db"
    result = run(*command, "--db", path)
    if command[0] == "db":  # creating a database is what `db upgrade` is for
        assert result.exit_code == 0 and path.exists()
    else:
        check(result, f"no database at {path}")
        assert not path.exists()


@pytest.mark.parametrize(
    "bad",
    [
        ["--train-size", "100000"],
        ["--lr", "1", "0.1"],
        ["--optimizer", "adamw"],
        ["--seed", str(2**63)],
        ["--seed", str(2**64)],
        ["--hidden", "0"],
    ],
)
@pytest.mark.parametrize("command", ["start", "auto"])
def test_a_refused_new_study_leaves_no_database_file(template, tmp_path, command, bad):
    _, data = template
    path = tmp_path / "new.db"
    result = run(command, "new", *TINY_SEARCH, "--data-dir", data, "--db", path, *bad)
    assert result.exit_code in (1, 2) and result.stderr.startswith("Error: ")  # 2: the parser's
    assert not path.exists()


def test_a_database_folder_that_cannot_be_written(template):
    _, data = template
    # /proc refuses new files even to root; a read-only folder would not stop root
    result = run(*START, "--db", "/proc/hpsearch-test.db", "--data-dir", data)
    check(result, "unable to open database file")
    assert not os.path.exists("/proc/hpsearch-test.db")
