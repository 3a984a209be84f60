"""Bad input: a one-line error, a non-zero exit code, no traceback, nothing changed."""

import gc
import gzip
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hpsearch.cli import app
from hpsearch.cli import run as cli_run
from hpsearch.store import engine
from tests.support import TINY_SEARCH, make_tiny_mnist


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
        ([*START, "--search", "lr=1e-4:1e-1:log:extra"], "write LOW:HIGH or LOW:HIGH:log|linear"),
        ([*START, "--search", "dropout=0.1,abc"], "dropout: 'abc' is not a number"),
        ([*START, "--search", "batch_size=32.5,64"], "batch size: '32.5' is not an integer"),
        ([*START, "--search", "hidden_size=1:1e30"], "'1e30' is too large"),
        ([*START, "--space", "/dev/zero"], "/dev/zero is not a regular file"),
        ([*START, "--search", "dropout=0:0.5 if batchnorm=false"], "batchnorm is not searched"),
        ([*START, "--search", "momentum=0.5:0.99"], "not to the study's optimizer sgd"),
        (
            [
                *START,
                "--search",
                "batchnorm=true,false if activation=relu",
                "--search",
                "activation=relu,sigmoid if batchnorm=true",
            ],
            "the conditions form a cycle",
        ),  # fmt: skip
    ],
)
def test_bad_values_give_one_line_and_change_nothing(env, args, message):
    db, _ = env
    before = dump(db)
    check(run(*args), message)
    assert dump(db) == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lr = [1e-4\n", "is not valid TOML"),
        ('dropout = "0:0.5"\ndropout = "0:0.2"\n', "is not valid TOML"),
        ('optimizer = ["sgd", 1]\n', "the choices mix a number and a string"),
        ('batch_size = [32, "64"]\n', "the choices mix a number and a string"),
        ('optimizer = [["sgd"], ["adam"]]\n', "a choice must be a string, number or boolean"),
        ("[optimizer]\nchoices = 5\n", "choices must be an array, got a number"),
        ('[optimizer]\nchoices = "sgd"\n', "choices must be an array, got a string"),
        ("optimizer = {choices = {a = 1}}\n", "choices must be an array, got a table"),
        ('[dropout]\nlow = "0"\nhigh = 0.5\n', "low must be a number, got a string"),
        ("[dropout]\nlow = true\nhigh = 0.5\n", "low must be a number, got a boolean"),
        ("[dropout]\nlow = 0\n", "needs both low and high"),
        ("dropout = 1979-05-27\n", "not a date or time"),
        ("[hidden_layers]\nlow = 1\nhigh = 100000000000000000000\n", "is too large"),
        ('[dropout]\nlow = 0\nhigh = 0.5\nlog = "false"\n', "log must be true or false"),
        ("[dropout]\nlow = 0.1\nhigh = 0.5\nlog = 1\n", "log must be true or false"),
        ("[dropout]\nchoices = [0.1]\nlow = 0\nhigh = 1\n", "not both"),
    ],
)
@pytest.mark.fault("a space file of bad TOML or wrong types", check="store unchanged")
def test_space_files_of_wrong_types_give_one_line(env, tmp_path, text, message):
    db, _ = env
    space = tmp_path / "space.toml"
    space.write_text(text)
    before = dump(db)
    check(run(*START, "--space", space), message)
    assert dump(db) == before


@pytest.mark.fault("a space file endless, binary or too large", check="store unchanged")
def test_a_space_file_that_is_not_text_or_too_large(env, tmp_path):
    db, _ = env
    before = dump(db)
    check(run(*START, "--space", "/dev/zero"), "/dev/zero is not a regular file")  # endless
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\x00\xff\xfe")
    check(run(*START, "--space", binary), "it is not UTF-8 text")
    large = tmp_path / "large.toml"
    large.write_text("# " + "x" * (1 << 20) + "\n")
    check(run(*START, "--space", large), "is larger than 1048576 bytes")
    assert dump(db) == before


@pytest.mark.fault("a space file of bad TOML or wrong types", check="store unchanged")
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
        ("sqlite:///", "is in memory"),
    ],
)
@pytest.mark.fault(
    "database URLs and paths that cannot work (sqlite://, bad ports)", check="one line"
)
def test_unusable_database_locations(url, message):
    check(run("studies", "--db", url), message)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite://", "is in memory"),
        ("sqlite:///:memory:", "is in memory"),
        ("postgresql://u@h:notaport/db", "the port must be a number from 1 to 65535"),
        ("postgresql://u@::1/db", "write an IPv6 host in brackets"),
        ("postgresql://u@[::1/db", "write an IPv6 host in brackets"),
        ("postgresql://u:pw@h:99999/db", "port 99999 is not in 1-65535"),
    ],
)
@pytest.mark.fault(
    "database URLs and paths that cannot work (sqlite://, bad ports)", check="one line"
)
def test_database_urls_that_cannot_work_are_refused_by_every_command(url, message):
    for command in (["studies"], ["report", "s"], ["db", "upgrade"], ["resume", "s"]):
        result = run(*command, "--db", url)
        check(result, message)
        assert "pw" not in result.output


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


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm", "-journal"])
@pytest.mark.parametrize("how", ["same", "symlink", "hardlink"])
@pytest.mark.fault("export --out or a figure onto the store", check="store unchanged")
def test_export_never_writes_over_the_store(env, tmp_path, suffix, how):
    db, _ = env
    before = dump(db)
    gc.collect()  # dump's connection, closed, removes the -wal and -shm files: before they are made
    target = db.with_name(db.name + suffix)
    if not target.exists():
        target.write_bytes(b"")
    out = target
    if how == "symlink":
        out = tmp_path / "link.csv"
        out.symlink_to(target)
    elif how == "hardlink":
        out = tmp_path / "hard.csv"
        os.link(target, out)
    check(run("export", "s", "--db", db, "--out", out), "it is the database")
    assert dump(db) == before


@pytest.mark.fault("export --out or a figure onto the store", check="store unchanged")
def test_figures_never_write_over_the_store(env, tmp_path):
    db, _ = env
    store = tmp_path / "s-curves.png"  # the name `plot s` gives its first figure
    shutil.copy(db, store)
    before = dump(store)
    check(run("plot", "s", "--db", store, "--out", tmp_path), "it is the database")
    check(run("report", "s", "--db", store, "--importance-plot", store), "it is the database")
    check(run("report", "s", "--db", store, "--plot", "--plot-dir", tmp_path), "it is the database")
    assert dump(store) == before


@pytest.mark.fault("a full disk", check="store unchanged")
def test_a_full_disk_is_one_line_naming_it(env, monkeypatch):
    db, _ = env
    connect = engine._sqlite_connect

    def no_room_to_grow(busy_seconds, dbapi_connection, record):  # SQLite's own "disk full"
        connect(busy_seconds, dbapi_connection, record)
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    monkeypatch.setattr(engine, "_sqlite_connect", no_room_to_grow)
    before = dump(db)
    check(run(*START[:3], "200", *START[4:]), "database or disk is full")
    assert dump(db) == before


def test_a_worker_error_is_printed_by_its_cause_not_sqlalchemys_link():
    from hpsearch.cli.console import error_line

    error = (
        'Traceback (most recent call last):\n  File "x", line 1\n'
        "sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) database or disk is full\n"
        "[SQL: INSERT INTO epoch_metrics (a)\nVALUES (?)]\n[parameters: (1,)]\n"
        "(Background on this error at: https://sqlalche.me/e/20/e3q8)\n"
    )
    assert error_line(error).endswith("(sqlite3.OperationalError) database or disk is full")


@pytest.mark.fault("another program's SQLite file", check="store unchanged")
def test_db_upgrade_refuses_another_programs_sqlite_file(tmp_path):
    path = tmp_path / "notes.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE notes (body TEXT)")
    connection.close()
    before = dump(path)
    check(run("db", "upgrade", "--db", path), "holds tables but is not an hpsearch store")
    assert dump(path) == before


def _as_another_user():
    """The command prefix that runs a program without root's right to write anything."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("root ignores file modes, and setpriv is not installed")
    prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    imports = subprocess.run([*prefix, sys.executable, "-c", "import hpsearch"], cwd="/")
    if imports.returncode != 0:
        pytest.skip("another user cannot read this checkout (a folder above it is private)")
    return prefix


@pytest.mark.fault("a read-only copy of the store (file, folder)", check="store unchanged")
@pytest.mark.parametrize("folder_read_only", [False, True])
def test_a_read_only_copy_of_a_database_is_read(env, folder_read_only):
    db, _ = env
    folder = Path(tempfile.mkdtemp(prefix="hpsearch-read-only-"))  # outside pytest's 0700 folder
    copy = folder / "read-only.db"
    shutil.copy(db, copy)
    copy.chmod(0o444)
    folder.chmod(0o555 if folder_read_only else 0o777)
    before = copy.read_bytes()
    prefix = [*_as_another_user(), sys.executable, "-m", "hpsearch"]
    try:
        for command in (["report", "s"], ["export", "s"], ["studies"]):
            result = subprocess.run(
                [*prefix, *command, "--db", str(copy)], capture_output=True, text=True, cwd="/"
            )
            assert result.returncode == 0, result.stderr
            assert "Traceback" not in result.stderr
        assert "completed" in result.stdout
        assert copy.read_bytes() == before
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


@pytest.mark.fault("the database file deleted under a run", check="nothing reported")
def test_a_database_removed_under_a_run_fails_the_command(env, monkeypatch):
    db, _ = env
    real_run = cli_run.steps.run

    def run_then_remove(*args, **kwargs):
        summary = real_run(*args, **kwargs)
        db.unlink()  # as `rm hpsearch.db` from another terminal while the round ran
        return summary

    monkeypatch.setattr(cli_run.steps, "run", run_then_remove)
    result = run(*START)
    check(result, f"database {db} was removed or replaced while this command ran")
    assert "Best trials" not in result.stdout  # no leaderboard from the removed file


@pytest.mark.fault("a space too large for the memory", check="store unchanged")
def test_a_space_too_large_for_the_memory_is_refused_at_start(env):
    db, _ = env
    before = dump(db)
    check(run(*START, "--search", "hidden_size=1:100000000"), "the largest trial of this space")
    assert dump(db) == before


@pytest.mark.fault("a study named with mathtext", check="works")
def test_a_study_named_with_mathtext_is_plotted(env, tmp_path):
    name = r"$\frac$"
    assert run("start", name, "--trials", "2", "--workers", "1", *TINY_SEARCH).exit_code == 0
    result = run("plot", name, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.glob("*-curves.png")) == ["_frac_-curves.png"]
