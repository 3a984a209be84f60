"""Helpers the tests share, imported as ``from support import ...``."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


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
