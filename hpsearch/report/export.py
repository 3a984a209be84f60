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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from typing import Any, TextIO

from sqlalchemy.orm import Session

from hpsearch.report.number_text import row_texts
from hpsearch.settings import StudySettings
from hpsearch.space.domains import Value
from hpsearch.store import TRIAL_ROW, epoch_rows, searched_names, trial_rows, trial_values
from hpsearch.store.models import EpochMetric, Round, Study, Trial

TRIAL_COLUMNS = (
    "study", "round", "trial", "number", "seed", "status",
    "epochs_run", "val_accuracy", "best_val_accuracy", "best_epoch", "train_accuracy",
    "started_at", "finished_at", "seconds", "worker", "error",
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
#: Trials whose searched values are read at a time.
_TRIAL_BATCH = 500


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def study_record(study: Study) -> dict[str, Any]:
    """A study's name, seed and every setting its trials share."""
    return {
        "name": study.name,
        "seed": study.seed,
        "dataset": study.dataset,
        "created_at": _iso(study.created_at),
        **StudySettings.from_study(study).columns(),
    }


def columns(parameters: Sequence[str], *, epochs: bool = False) -> list[str]:
    """The CSV columns: the trial's, with the searched ``parameters`` after ``number``,
    then the epoch's."""
    at = TRIAL_COLUMNS.index("seed")
    trial = [*TRIAL_COLUMNS[:at], *parameters, *TRIAL_COLUMNS[at:]]
    return trial + list(EPOCH_COLUMNS) if epochs else trial


def trial_names(parameters: Sequence[str]) -> list[str]:
    """The names of :func:`_trial_values`: the CSV trial columns from ``trial`` on."""
    return columns(parameters)[2:]


def _trial_values(row: Sequence[Any], searched: Sequence[Value | None] = ()) -> tuple[Any, ...]:
    """A row of :func:`~hpsearch.store.trial_rows` (and the trial's values of the
    searched parameters) as the values of :func:`trial_names`."""
    trial_id, number, *values = row[2:]
    *values, started_at, finished_at, worker, error = values
    seconds = None
    if started_at is not None and finished_at is not None:
        seconds = (finished_at - started_at).total_seconds()
    return (
        trial_id, number, *searched, *values,
        _iso(started_at), _iso(finished_at), seconds, worker, error,
    )  # fmt: skip


def trial_record(trial: Trial, searched: Mapping[str, Value] | None = None) -> dict[str, Any]:
    """A trial's own values, without its study and round; ``searched``: its values of
    the searched parameters, put after its number."""
    searched = searched or {}
    row = (None, None, trial.id, *(getattr(trial, column.key) for column in TRIAL_ROW))
    names = trial_names(list(searched))
    return dict(zip(names, _trial_values(row, list(searched.values())), strict=True))


def epoch_record(metric: EpochMetric) -> dict[str, Any]:
    """An epoch's stored values, named as in :data:`EPOCH_VALUES`."""
    return {name: getattr(metric, name) for name in EPOCH_VALUES}


def searched_values(
    session: Session, study: Study, trials: Sequence[Trial]
) -> dict[int, dict[str, Value]]:
    """Each trial's values of the study's searched parameters, in the space's order."""
    names = searched_names(study)
    if not names:
        return {}
    values = trial_values(session, [trial.id for trial in trials])
    return {t.id: {n: values[t.id][n] for n in names if n in values[t.id]} for t in trials}


def _trials(session: Session, study: Study, names: Sequence[str]) -> Iterator[tuple[Any, ...]]:
    """Each trial's values (:func:`trial_names`), its round's number first and id second,
    read :data:`_TRIAL_BATCH` trials at a time with their searched values."""
    batch: list[Sequence[Any]] = []
    rows = trial_rows(session, study)
    while True:
        batch = [row for _, row in zip(range(_TRIAL_BATCH), rows, strict=False)]
        if not batch:
            return
        values = trial_values(session, [row[2] for row in batch]) if names else {}
        for row in batch:
            own = values.get(row[2], {})
            yield (row[0], row[1], *_trial_values(row, [own.get(n) for n in names]))


def trial_stream(
    session: Session, study: Study, names: Sequence[str], *, epochs: bool = False
) -> Iterator[tuple[tuple[Any, ...], Iterable[tuple[Any, ...]]]]:
    """Each trial's values (:func:`trial_names`), its round's number first and id second,
    with its epochs' rows (trial id first, then :data:`EPOCH_VALUES`; none without
    ``epochs``). Trials and epochs are read as two streams in one order, so memory holds
    a batch of each; a trial's epochs are to be read before the next trial is asked for."""
    if not epochs:
        for trial in _trials(session, study, names):
            yield trial, ()
        return
    by_trial = groupby(epoch_rows(session, study), key=itemgetter(0))
    pending = next(by_trial, None)
    for trial in _trials(session, study, names):
        if pending is None or pending[0] != trial[2]:
            yield trial, ()
            continue
        yield trial, pending[1]
        pending = next(by_trial, None)


def export_rows(
    session: Session, study: Study, *, epochs: bool = False
) -> Iterator[tuple[Any, ...]]:
    """Flat rows, values in the order of :func:`columns` (with :func:`searched_names`):
    one per trial, or with ``epochs`` one per trial and epoch. A stream."""
    names = searched_names(study)
    if not epochs:
        for trial in _trials(session, study, names):
            yield (study.name, trial[0], *trial[2:])
        return
    no_epoch = (None,) * len(EPOCH_COLUMNS)
    for trial, own in trial_stream(session, study, names, epochs=True):
        row = (study.name, trial[0], *trial[2:])
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
    names = searched_names(study)
    cells = io.StringIO()
    writer = csv.writer(cells, lineterminator="\n")
    writer.writerow(columns(names, epochs=epochs))
    if not epochs:
        writer.writerows(export_rows(session, study))
        stream.write(cells.getvalue())
        return
    stream.write(cells.getvalue())
    no_epoch = (None,) * len(EPOCH_COLUMNS)
    for trial, own in trial_stream(session, study, names, epochs=True):
        cells.seek(0)
        cells.truncate()
        writer.writerow((study.name, trial[0], *trial[2:], *no_epoch))
        line = cells.getvalue()
        # up to the comma before the epoch cells, then the cells: numbers, whose CSV is repr
        head = line[: -len(EPOCH_COLUMNS)]
        rows = list(own)  # one trial's
        if (texts := row_texts(rows)) is not None:
            stream.write("".join(f"{head}{text}\n" for text in texts) or line)
            continue
        template = head.replace("%", "%%") + _EPOCH_CELLS
        stream.write("".join(map(template.__mod__, rows)) or line)
