"""A study's trials as flat rows (CSV) or nested records (JSON), for other tools.

Rows: one per trial, by round and number, with :data:`TRIAL_COLUMNS` and a column
per searched parameter (after ``number``, in the space's order: lr and weight decay
first); with
``epochs``, one per trial and epoch, with :data:`EPOCH_COLUMNS` added (a trial
that ran no epoch keeps one row, its epoch columns empty). JSON holds the same
values nested: ``{"study": {...}, "rounds": [{..., "trials": [{..., "epochs": [...]}]}]}``.
Times are UTC in ISO 8601; ``seconds`` is the trial's wall time, finished minus started.
Both stream from the store in batches (the JSON document is written by
:mod:`hpsearch.report.json_export`): memory stays bounded, whatever the size.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from typing import Any, TextIO

from sqlalchemy.orm import Session

from hpsearch.report.number_text import row_texts
from hpsearch.settings import StudySettings
from hpsearch.store import FrozenEpoch, FrozenTrial, epoch_rows, searched_names, streamed_trials
from hpsearch.store.metrics import metric_epoch_rows, study_metric_names
from hpsearch.store.models import Round, Study

TRIAL_COLUMNS = (
    "study", "round", "trial", "number", "seed", "status",
    "epochs_run", "val_accuracy", "best_val_accuracy", "best_epoch", "train_accuracy",
    "started_at", "finished_at", "seconds", "worker", "error",
)  # fmt: skip
#: A training function's trials have, in place of the book network's accuracies, the
#: study's metric at their last epoch and at their best (``trials.value``, ``best_value``).
FUNCTION_COLUMNS = (
    *TRIAL_COLUMNS[: TRIAL_COLUMNS.index("val_accuracy")], "value", "best_value", "best_epoch",
    *TRIAL_COLUMNS[TRIAL_COLUMNS.index("started_at") :],
)  # fmt: skip
EPOCH_COLUMNS = (
    "epoch", "epoch_train_accuracy", "epoch_val_accuracy", "epoch_train_loss",
    "epoch_val_loss", "epoch_seconds",
)  # fmt: skip


#: An epoch's stored values, named as in :class:`~hpsearch.store.models.EpochMetric`.
EPOCH_VALUES = ("epoch", *(column.removeprefix("epoch_") for column in EPOCH_COLUMNS[1:]))
#: An epoch's CSV cells from a row of :func:`~hpsearch.store.epoch_rows` (its
#: trial id is written as nothing): an int and five floats, as csv.writer writes them.
_EPOCH_CELLS = "%.0s%d,%r,%r,%r,%r,%r\n"
#: The round's ranges written under their own keys too (beside ``domains``), as the
#: exports of every release have written them.
RANGE_KEYS = ("lr", "weight_decay")


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def study_record(study: Study) -> dict[str, Any]:
    """A study's name, seed and every setting its trials share: the book network's, or a
    training function's (its reference, fixed settings, epochs, metric and direction)."""
    if study.objective is not None:
        return {
            "name": study.name,
            "seed": study.seed,
            "created_at": _iso(study.created_at),
            "objective": study.objective,
            "settings": json.loads(study.objective_settings or "{}"),
            "epochs": study.epochs,
            "metric": study.metric,
            "direction": study.direction,
        }
    return {
        "name": study.name,
        "seed": study.seed,
        "dataset": study.dataset,
        "created_at": _iso(study.created_at),
        **StudySettings.from_study(study).columns(),
    }


def columns(
    parameters: Sequence[str], *, epochs: bool = False, book: bool = True, metrics=()
) -> list[str]:
    """The CSV columns: the trial's (a training function's, unless ``book``), with the
    searched ``parameters`` after ``number``, then the epoch's (a function's: its
    ``metrics``, each as ``epoch_NAME``)."""
    own = TRIAL_COLUMNS if book else FUNCTION_COLUMNS
    at = own.index("seed")
    trial = [*own[:at], *parameters, *own[at:]]
    if not epochs:
        return trial
    return trial + (list(EPOCH_COLUMNS) if book else ["epoch", *(f"epoch_{n}" for n in metrics)])


def trial_names(parameters: Sequence[str], book: bool = True) -> list[str]:
    """The names of :func:`trial_cells`: the CSV trial columns from ``trial`` on."""
    return columns(parameters, book=book)[2:]


def trial_cells(
    trial: FrozenTrial, parameters: Sequence[str], book: bool = True
) -> tuple[Any, ...]:
    """A trial's values in the order of :func:`trial_names` (its value of each of the
    searched ``parameters``, None if it has none), times as text."""
    measures = (
        (trial.val_accuracy, trial.best_val_accuracy, trial.best_epoch, trial.train_accuracy)
        if book
        else (trial.value, trial.best_value, trial.best_epoch)
    )
    return (
        trial.id, trial.number, *[trial.values.get(name) for name in parameters],
        trial.seed, trial.status, trial.epochs_run, *measures,
        _iso(trial.started_at), _iso(trial.finished_at), trial.seconds, trial.worker,
        trial.error,
    )  # fmt: skip


def trial_record(trial: FrozenTrial, book: bool = True) -> dict[str, Any]:
    """A trial's own values, without its study and round; its searched values after its
    number."""
    names = list(trial.values)
    return dict(zip(trial_names(names, book), trial_cells(trial, names, book), strict=True))


def epoch_record(epoch: FrozenEpoch) -> dict[str, Any]:
    """An epoch's stored values, named as in :data:`EPOCH_VALUES`."""
    return {name: getattr(epoch, name) for name in EPOCH_VALUES}


def trial_stream(
    session: Session, study: Study, *, epochs: bool = False, metrics: Sequence[str] = ()
) -> Iterator[tuple[FrozenTrial, Iterable[tuple[Any, ...]]]]:
    """Each trial (by round and number, with its searched values) with its epochs' rows
    (trial id first, then :data:`EPOCH_VALUES`, or a training function's ``metrics`` by
    name; none without ``epochs``). Trials and epochs are read as two streams in one
    order, so memory holds a batch of each; a trial's epochs are to be read before the
    next trial is asked for."""
    if not epochs:
        for trial in streamed_trials(session, study):
            yield trial, ()
        return
    rows = (
        epoch_rows(session, study)
        if study.objective is None
        else metric_epoch_rows(session, study, metrics)
    )
    by_trial = groupby(rows, key=itemgetter(0))
    pending = next(by_trial, None)
    for trial in streamed_trials(session, study):
        if pending is None or pending[0] != trial.id:
            yield trial, ()
            continue
        yield trial, pending[1]
        pending = next(by_trial, None)


def export_rows(
    session: Session, study: Study, *, epochs: bool = False
) -> Iterator[tuple[Any, ...]]:
    """Flat rows, values in the order of :func:`columns` (with :func:`searched_names`):
    one per trial, or with ``epochs`` one per trial and epoch. A stream."""
    names, book = searched_names(study), study.objective is None
    if not epochs:
        for trial, _ in trial_stream(session, study):
            yield (study.name, trial.round, *trial_cells(trial, names, book))
        return
    metrics = () if book else study_metric_names(session, study)  # read once
    no_epoch = (None,) * (len(EPOCH_COLUMNS) if book else 1 + len(metrics))
    for trial, own in trial_stream(session, study, epochs=True, metrics=metrics):
        row = (study.name, trial.round, *trial_cells(trial, names, book))
        yield from [row + values[1:] for values in own] or [row + no_epoch]


def round_record(round_: Round) -> dict[str, Any]:
    """A round's number, ranges, domains, size, parent and creation time."""
    return {
        "round": round_.number,
        **{d.name: [d.low, d.high] for d in round_.domains if d.name in RANGE_KEYS},
        "domains": domain_records(round_),
        "n_trials": round_.n_trials,
        "narrowed_from": round_.parent.number if round_.parent else None,
        "top_k": round_.top_k,
        "created_at": _iso(round_.created_at),
    }


def domain_records(round_: Round) -> dict[str, dict[str, Any]]:
    """Each searched parameter's domain in a round, as ``round_domains`` holds it."""
    return {
        d.name: {"kind": d.kind, "log": d.log, "low": d.low, "high": d.high, "spec": d.spec}
        | ({"choices": json.loads(d.choices)} if d.choices is not None else {})
        for d in round_.domains
    }


def write_csv(session: Session, study: Study, stream: TextIO, *, epochs: bool = False) -> None:
    """The rows of :func:`export_rows` as CSV with a header; empty cells for missing
    values. A trial's own cells are formatted once for all its epochs."""
    names, book = searched_names(study), study.objective is None
    cells = io.StringIO()
    writer = csv.writer(cells, lineterminator="\n")
    metrics = () if book or not epochs else study_metric_names(session, study)
    writer.writerow(columns(names, epochs=epochs, book=book, metrics=metrics))
    if not epochs:
        writer.writerows(export_rows(session, study))
        stream.write(cells.getvalue())
        return
    if not book:  # a function's epochs: as csv writes them, no fast path
        for row in export_rows(session, study, epochs=True):
            writer.writerow(row)
            stream.write(cells.getvalue())
            cells.seek(0)
            cells.truncate()
        return
    stream.write(cells.getvalue())
    no_epoch = (None,) * len(EPOCH_COLUMNS)
    for trial, own in trial_stream(session, study, epochs=True):
        cells.seek(0)
        cells.truncate()
        writer.writerow((study.name, trial.round, *trial_cells(trial, names, book), *no_epoch))
        line = cells.getvalue()
        # up to the comma before the epoch cells, then the cells: numbers, whose CSV is repr
        head = line[: -len(EPOCH_COLUMNS)]
        rows = list(own)  # one trial's
        if (texts := row_texts(rows)) is not None:
            stream.write("".join(f"{head}{text}\n" for text in texts) or line)
            continue
        template = head.replace("%", "%%") + _EPOCH_CELLS
        stream.write("".join(map(template.__mod__, rows)) or line)
