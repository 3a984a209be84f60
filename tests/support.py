"""Helpers the tests share, imported as ``from tests.support import ...``: paths, a tiny
learnable MNIST on disk, stored studies written without training, a local mirror."""

from __future__ import annotations

import gzip
import shutil
import socket
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from trainer.idx import IMAGES_MAGIC, LABELS_MAGIC
from trainer.mnist import MNIST_FILES

#: The tests folder, the project root, and the databases and outputs of earlier releases.
TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
RELEASES = TESTS / "releases"

# From the project root the shared data is ../shared/data/mnist (see its README).
REAL_MNIST = ROOT.parent / "shared" / "data" / "mnist"
REAL_FASHION_MNIST = REAL_MNIST.parent / "fashion-mnist"

TINY_TRAIN_SIZE = 300
TINY_TEST_SIZE = 100


def write_idx(path: Path, array: np.ndarray, magic: int) -> None:
    """Write ``array`` as an IDX file with the given magic number, gzipped if path ends in .gz."""
    header = magic.to_bytes(4, "big") + np.asarray(array.shape, dtype=">u4").tobytes()
    content = header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()
    path.write_bytes(gzip.compress(content, mtime=0) if path.suffix == ".gz" else content)


def _tiny_set(rng: np.random.Generator, prototypes: np.ndarray, n: int) -> tuple[np.ndarray, ...]:
    labels = rng.permutation(np.arange(n) % 10).astype(np.uint8)  # balanced classes
    noise = rng.normal(0.0, 40.0, size=(n, 28, 28))
    images = np.clip(prototypes[labels] + noise, 0, 255).astype(np.uint8)  # (N, 28, 28)
    return images, labels


def make_tiny_mnist(folder: Path) -> Path:
    """Write the four MNIST files, gzipped, into ``folder``: 300 train and 100 test images.

    Each class is a fixed random prototype image plus noise, so a short training run
    beats chance by far.
    """
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1234)
    prototypes = rng.uniform(0, 255, size=(10, 28, 28))
    train_images, train_labels = _tiny_set(rng, prototypes, TINY_TRAIN_SIZE)
    test_images, test_labels = _tiny_set(rng, prototypes, TINY_TEST_SIZE)
    arrays = {
        "train_images": (train_images, IMAGES_MAGIC),
        "train_labels": (train_labels, LABELS_MAGIC),
        "test_images": (test_images, IMAGES_MAGIC),
        "test_labels": (test_labels, LABELS_MAGIC),
    }
    for key, (array, magic) in arrays.items():
        write_idx(folder / f"{MNIST_FILES[key]}.gz", array, magic)
    return folder


def holds_mnist(folder: Path) -> bool:
    return all(
        (folder / name).is_file() or (folder / f"{name}.gz").is_file()
        for name in MNIST_FILES.values()
    )


# --- hpsearch: the CLI on tiny data, and stored rows ------------------------------------

#: Options that make a CLI search on the tiny data fast: 240 train / 60 validation samples.
TINY_SEARCH = [
    "--epochs", "3", "--train-size", "300", "--batch-size", "20",
    "--hidden", "2x20", "--lr", "1e-3", "1e-1", "--no-verify", "-q",
]  # fmt: skip


def epoch_metrics(number: int, val: float = 0.5):
    """The metrics of one epoch, validation accuracy ``val``."""
    from trainer import EpochMetrics

    return EpochMetrics(number, 1.0, 0.6, 1.1, val, 0.01)


def special_columns(dump: str) -> tuple[dict, dict]:
    """The columns a release before 0005 kept the learning rate and weight decay in:
    each trial's ``(lr, weight_decay)`` and each round's four range ends, by id."""
    with sqlite3.connect(":memory:") as connection:
        connection.executescript(dump)
        trials = connection.execute("SELECT id, lr, weight_decay FROM trials").fetchall()
        rounds = connection.execute(
            "SELECT id, lr_low, lr_high, weight_decay_low, weight_decay_high FROM rounds"
        ).fetchall()
    connection.close()
    return {i: tuple(v) for i, *v in trials}, {i: tuple(v) for i, *v in rounds}


def searched_rows(db: Path) -> tuple[dict, dict]:
    """The same values as :func:`special_columns` returns, read from the rows of ``db``."""
    with sqlite3.connect(db) as connection:
        trials = connection.execute(
            "SELECT t.id, lr.value_num, wd.value_num FROM trials t"
            " JOIN trial_params lr ON lr.trial_id = t.id AND lr.name = 'lr'"
            " JOIN trial_params wd ON wd.trial_id = t.id AND wd.name = 'weight_decay'"
        ).fetchall()
        rounds = connection.execute(
            "SELECT r.id, lr.low, lr.high, wd.low, wd.high FROM rounds r"
            " JOIN round_domains lr ON lr.round_id = r.id AND lr.name = 'lr'"
            " JOIN round_domains wd ON wd.round_id = r.id AND wd.name = 'weight_decay'"
            " WHERE lr.kind = 'float' AND lr.log AND wd.kind = 'float' AND wd.log"
        ).fetchall()
    connection.close()
    return {i: tuple(v) for i, *v in trials}, {i: tuple(v) for i, *v in rounds}


def set_value(trial, name: str, value) -> None:
    """Give ``trial`` (an ORM row, in a session) ``value`` for parameter ``name``."""
    from hpsearch.space.domains import format_value, value_number

    (row,) = [param for param in trial.params if param.name == name]
    row.value_num, row.value_text = value_number(value), format_value(value)


def stored_value(trial, name: str):
    """``trial``'s stored number for parameter ``name`` (an ORM row, in a session)."""
    (row,) = [param for param in trial.params if param.name == name]
    return row.value_num


def domain(round_, name: str):
    """The stored domain row of parameter ``name`` in ``round_`` (an ORM row)."""
    (row,) = [row for row in round_.domains if row.name == name]
    return row


# --- a small stored study, written without training (figures, export) --------------------


class StoredStudy:
    """Where the stored study lives: its database file, name and session factory."""

    def __init__(self, db: Path, name: str, factory) -> None:
        self.db, self.name, self.factory = db, name, factory


#: Round 0 of the stored study: 12 trials, of which these are not completed.
STORED_ROUND0_STATUSES = {9: "diverged", 10: "diverged", 11: "failed"}
#: Round 1, narrowed from round 0's top 3: 6 trials, the last one pruned after 3 epochs.
STORED_ROUND1_STATUSES = {5: "pruned"}
STORED_EPOCHS = 5


def _store_results(session, round_, statuses: dict[int, str], base: float) -> None:
    from datetime import datetime, timedelta

    from hpsearch.store.models import EpochMetric

    start = datetime(2024, 5, 1, 12, 0, 0) + timedelta(hours=round_.number)
    for trial in round_.trials:
        status = statuses.get(trial.number, "completed")
        epochs = {"completed": 5, "pruned": 3, "diverged": 2, "failed": 0}[status]
        final = base + 0.04 * ((7 * trial.number) % len(round_.trials))  # distinct, unsorted
        for epoch in range(1, epochs + 1):
            val = final * epoch / STORED_EPOCHS if status != "diverged" else 0.1
            trial.epochs.append(
                EpochMetric(
                    epoch=epoch, train_accuracy=min(1.0, val + 0.05), val_accuracy=val,
                    train_loss=2.3 / epoch, val_loss=2.4 / epoch, seconds=0.5 + epoch / 100,
                )
            )  # fmt: skip
        last = trial.epochs[-1] if trial.epochs else None
        trial.status = status
        trial.worker = "host:42"
        trial.started_at = start + timedelta(seconds=10 * trial.number)
        trial.finished_at = trial.started_at + timedelta(seconds=3.25 + trial.number)
        trial.epochs_run = epochs
        trial.val_accuracy = last.val_accuracy if last else None
        trial.train_accuracy = last.train_accuracy if last else None
        trial.best_val_accuracy = max((e.val_accuracy for e in trial.epochs), default=None)
        trial.best_epoch = last.epoch if last else None
        trial.error = {"failed": "RuntimeError: boom", "diverged": "loss became non-finite"}.get(
            status
        )


def make_stored_study(folder: Path) -> StoredStudy:
    """A study "small" with two finished rounds, written straight into a new store.

    Round 0: 12 trials from the book's ranges, 9 completed, 2 diverged, 1 failed.
    Round 1: 6 trials narrowed from round 0's top 3, 5 completed, 1 pruned.
    """
    from hpsearch import store
    from hpsearch.settings import StudySettings
    from hpsearch.space.narrowing import narrow
    from hpsearch.space.sampling import BOOK_SPACE
    from hpsearch.store.schema import open_store

    db = folder / "small.db"
    factory = open_store(str(db), create=True)
    with factory.begin() as session:
        settings = StudySettings(epochs=STORED_EPOCHS, hidden=(20, 20))
        study = store.create_study(session, "small", 7, settings)
        round0 = store.create_round(session, study, BOOK_SPACE, 12)
        _store_results(session, round0, STORED_ROUND0_STATUSES, base=0.3)
        session.flush()
        top = store.round_top(session, round0.id, 3, pruned=True)
        space = narrow(
            BOOK_SPACE, list(store.trial_values(session, [t.id for t in top]).values())
        ).space
        round1 = store.create_round(session, study, space, 6, parent=round0, top_k=3)
        _store_results(session, round1, STORED_ROUND1_STATUSES, base=0.7)
    return StoredStudy(db=db, name="small", factory=factory)


SEARCHED_SPACE = ("optimizer=sgd,momentum,adam", "dropout=0:0.5", "hidden_layers=1:4")


def make_searched_study(folder: Path) -> StoredStudy:
    """A study "wide" over lr, weight decay, optimizer, dropout and hidden layers.

    Round 0: 10 trials, 8 completed, 1 diverged, 1 failed; round 1: 4 trials narrowed
    from round 0's top 3, all completed. A completed trial's final validation accuracy
    is 0.9 - dropout: dropout drives it, the other parameters do not.
    """
    from hpsearch import store
    from hpsearch.settings import StudySettings
    from hpsearch.space.narrowing import narrow
    from hpsearch.space.parameters import parse_spec
    from hpsearch.space.sampling import make_space
    from hpsearch.store.schema import open_store

    db = folder / "wide.db"
    factory = open_store(str(db), create=True)
    domains = {d.name: d for d in map(parse_spec, SEARCHED_SPACE)}
    space = make_space((1e-4, 1e-1), (1e-8, 1e-4), domains)
    with factory.begin() as session:
        study = store.create_study(session, "wide", 11, StudySettings())
        round0 = store.create_round(session, study, space, 10)
        statuses = ["completed"] * 8 + ["diverged", "failed"]
        for trial, status in zip(round0.trials, statuses, strict=True):
            _finish_searched(session, trial, status)
        session.flush()
        top = store.round_top(session, round0.id, 3, pruned=True)
        values = store.trial_values(session, [t.id for t in top])
        narrowed = narrow(space, list(values.values())).space
        round1 = store.create_round(session, study, narrowed, 4, parent=round0, top_k=3)
        for trial in round1.trials:
            _finish_searched(session, trial, "completed")
    return StoredStudy(db=db, name="wide", factory=factory)


def make_narrowed_study(db: Path):
    """A study whose round 1 was narrowed from a top-3 that all used adam: the optimizer
    dropped sgd and momentum, and momentum (which applies to the momentum optimizer only)
    was kept out."""
    from hpsearch import store
    from hpsearch.settings import StudySettings
    from hpsearch.space.narrowing import narrow
    from hpsearch.space.parameters import parse_spec
    from hpsearch.space.sampling import make_space
    from hpsearch.store.schema import open_store

    factory = open_store(str(db), create=True)
    specs = ("optimizer=sgd,momentum,adam", "momentum=0.5:0.99 if optimizer=momentum")
    domains = {d.name: d for d in map(parse_spec, specs)}
    space = make_space((1e-4, 1e-1), (1e-8, 1e-4), domains)
    top = [{"lr": 10.0**-e, "weight_decay": 1e-6, "optimizer": "adam"} for e in (2, 3, 3.5)]
    narrowing = narrow(space, top)
    with factory.begin() as session:
        study = store.create_study(session, "narrowed", 3, StudySettings())
        round0 = store.create_round(session, study, space, 6)
        store.create_round(session, study, narrowing.space, 3, parent=round0, top_k=3)
    return narrowing


def _finish_searched(session, trial, status: str) -> None:
    from hpsearch import store

    session.flush()
    dropout = float(store.trial_values(session, [trial.id])[trial.id]["dropout"])
    trial.status = status
    trial.epochs_run = 1 if status == "completed" else 0
    trial.val_accuracy = 0.9 - dropout if status == "completed" else None


def other_study(db: Path, *, train_accuracy: float = 0.1, train_loss: float = 1.5):
    """A study "other" in a new store at ``db`` that searches dropout and the optimizer
    too: 5 trials, the first 3 completed with 2 epochs each. Returns the session factory."""
    from datetime import datetime

    from hpsearch import store
    from hpsearch.settings import StudySettings
    from hpsearch.space.parameters import parse_spec
    from hpsearch.space.sampling import BOOK_SPACE, SearchSpace
    from hpsearch.store.models import EpochMetric
    from hpsearch.store.schema import open_store

    factory = open_store(str(db), create=True)
    space = SearchSpace(
        (*BOOK_SPACE, parse_spec("dropout=0:0.3"), parse_spec("optimizer=sgd,adam"))
    )
    with factory.begin() as session:
        study = store.create_study(session, "other", 3, StudySettings(epochs=2))
        round0 = store.create_round(session, study, space, 5)
        for trial in round0.trials[:3]:
            trial.status, trial.epochs_run, trial.val_accuracy = "completed", 2, 0.25
            trial.started_at = trial.finished_at = datetime(2026, 1, 1)
            for epoch in (1, 2):
                trial.epochs.append(
                    EpochMetric(epoch=epoch, train_accuracy=train_accuracy * epoch,
                                val_accuracy=0.2, train_loss=train_loss, val_loss=1.0 / 3,
                                seconds=0.01)
                )  # fmt: skip
    return factory


# MNIST folders and a local mirror (no network), for test_mnist and test_data


def copy_mnist(source: Path, target: Path, *, compressed: bool = True) -> Path:
    """Copy the four .gz files of ``source`` into ``target``, gunzipped unless ``compressed``."""
    target.mkdir(parents=True, exist_ok=True)
    for name in MNIST_FILES.values():
        if compressed:
            shutil.copy(source / f"{name}.gz", target / f"{name}.gz")
        else:
            (target / name).write_bytes(gzip.decompress((source / f"{name}.gz").read_bytes()))
    return target


def rewrite_content(folder: Path, name: str, change: Callable[[bytes], bytes]) -> None:
    """Replace the uncompressed content of ``folder/name.gz`` by ``change(content)``."""
    path = folder / f"{name}.gz"
    path.write_bytes(gzip.compress(change(gzip.decompress(path.read_bytes())), mtime=0))


@dataclass
class MirrorServer:
    """An HTTP server on 127.0.0.1 serving ``root``; ``requests`` lists the paths asked for."""

    root: Path
    port: int
    requests: list[str] = field(default_factory=list)

    def mirror(self, folder: str) -> str:
        return f"http://127.0.0.1:{self.port}/{folder}/"

    def publish(self, folder: str, source: Path) -> Path:
        return copy_mnist(source, self.root / folder)


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def named_study(db: Path, study: str, parameter: str):
    """A study named ``study`` in a new store at ``db`` that searches ``parameter`` too,
    whatever that name holds: its rows are written straight into ``round_domains`` and
    ``trial_params`` (position 0: the first searched parameter, the first column).
    Three trials, all completed with two epochs. Returns the session factory."""
    from datetime import datetime

    from hpsearch import store
    from hpsearch.settings import StudySettings
    from hpsearch.space.sampling import BOOK_SPACE
    from hpsearch.store.models import EpochMetric, RoundDomain, TrialParam
    from hpsearch.store.schema import open_store

    factory = open_store(str(db), create=True)
    with factory.begin() as session:
        created = store.create_study(session, study, 5, StudySettings(epochs=2))
        round_ = store.create_round(session, created, BOOK_SPACE, 3)
        for row in round_.domains:
            row.position += 1
        round_.domains.append(
            RoundDomain(position=0, name=parameter, kind="float", log=False, low=0.0,
                        high=1.0, spec=f"{parameter}=0:1")
        )  # fmt: skip
        for trial in round_.trials:
            value = 0.25 * (trial.number + 1)
            trial.params.append(TrialParam(name=parameter, value_num=value, value_text=str(value)))
            for epoch in (1, 2):
                metrics = dict(train_accuracy=0.5, val_accuracy=0.3 * epoch + 0.1 * trial.number)
                trial.epochs.append(
                    EpochMetric(epoch=epoch, train_loss=1.0, val_loss=1.1, seconds=0.1, **metrics)
                )
            trial.status, trial.epochs_run = "completed", 2
            trial.val_accuracy = trial.best_val_accuracy = trial.epochs[-1].val_accuracy
            trial.train_accuracy, trial.best_epoch = 0.5, 2
            trial.started_at = trial.finished_at = datetime(2024, 5, 1, 12, 0, trial.number)
    return factory


@contextmanager
def serving(app) -> Iterator[str]:
    """``app`` served on a free port of 127.0.0.1 by the dashboard's own server, in a
    thread; yields its base URL (``http://127.0.0.1:PORT``)."""
    from hpsearch.dashboard import bind, server

    sock = bind("127.0.0.1", 0)
    httpd = server(app, sock)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        sock.close()
        thread.join(timeout=30)


def restored_release_0004(folder: Path) -> Path:
    """tests/releases/release-0004.sql in a new SQLite file in ``folder``, upgraded to the
    current schema: three finished studies (``mixed`` searches seven parameters)."""
    from typer.testing import CliRunner

    from hpsearch.cli import app

    db = folder / "release-0004.db"
    dump = RELEASES / "release-0004.sql"
    with sqlite3.connect(db) as connection:
        connection.executescript(dump.read_text())
    connection.close()
    upgraded = CliRunner().invoke(app, ["db", "upgrade", "--db", str(db)])
    assert upgraded.exit_code == 0, upgraded.output
    return db


LIVE_WORKER = "browser-test:1"


def run_trial(factory, round_id: int, epochs: int, final: float) -> int:
    """Claim the round's next pending trial and store ``epochs`` epochs (the last of
    validation accuracy ``final``), as a worker does; it stays running. Returns its id."""
    from hpsearch.store import queue

    with factory.begin() as session:
        trial = queue.claim_trial(session, round_id, LIVE_WORKER)
        assert trial is not None
        trial_id, attempt = trial.id, trial.attempt
    add_epochs(factory, trial_id, attempt, 1, epochs, final)
    return trial_id


def add_epochs(factory, trial_id: int, attempt: int, first: int, last: int, final: float):
    """Store epochs ``first`` to ``last`` of a running trial, rising to ``final``."""
    from hpsearch.store import queue

    for epoch in range(first, last + 1):
        with factory.begin() as session:
            metrics = epoch_metrics(epoch, final * epoch / last)
            assert queue.record_epoch(session, trial_id, metrics, attempt=attempt)


def finish_trial(factory, trial_id: int, epochs: int, final: float) -> None:
    """Complete a running trial after ``epochs`` epochs, at validation accuracy ``final``."""
    from hpsearch.store import queue
    from hpsearch.store.status import TrialStatus

    with factory.begin() as session:
        outcome = queue.Outcome(TrialStatus.COMPLETED, epochs, final=epoch_metrics(epochs, final))
        assert queue.finish_trial(session, trial_id, outcome)


def make_running_study(db: Path):
    """Study ``live`` of six trials of 3 epochs: two completed (0.61, 0.72), one running
    with 1 epoch stored (0.3 so far), three pending. Returns (factory, round id)."""
    from hpsearch import store
    from hpsearch.settings import StudySettings
    from hpsearch.space.sampling import BOOK_SPACE
    from hpsearch.store.schema import open_store

    factory = open_store(str(db), create=True)
    with factory.begin() as session:
        study = store.create_study(session, "live", 7, StudySettings(epochs=3))
        round_id = store.create_round(session, study, BOOK_SPACE, 6).id
    for final in (0.61, 0.72):
        trial_id = run_trial(factory, round_id, 3, final)
        finish_trial(factory, trial_id, 3, final)
    run_trial(factory, round_id, 1, 0.3)  # running: epoch 1 of 3
    return factory, round_id
