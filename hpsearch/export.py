"""A study's trials as flat rows (CSV) or nested records (JSON), for other tools.

Rows: one per trial, by round and number, with :data:`TRIAL_COLUMNS`; with
``epochs``, one per trial and epoch, with :data:`EPOCH_COLUMNS` added (a trial
that ran no epoch keeps one row, its epoch columns empty). JSON holds the same
values nested: ``{"study": {...}, "rounds": [{..., "trials": [{..., "epochs": [...]}]}]}``.
Times are UTC in ISO 8601; ``seconds`` is the trial's wall time, finished minus started.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy.orm import Session

from hpsearch.models import EpochMetric, Study, Trial
from hpsearch.settings import StudySettings
from hpsearch.store_trials import study_epochs, study_trials

TRIAL_COLUMNS = (
    "study", "round", "trial", "number", "lr", "weight_decay", "seed", "status",
    "epochs_run", "val_accuracy", "best_val_accuracy", "best_epoch", "train_accuracy",
    "started_at", "finished_at", "seconds", "worker", "error",
)  # fmt: skip
EPOCH_COLUMNS = (
    "epoch", "epoch_train_accuracy", "epoch_val_accuracy", "epoch_train_loss",
    "epoch_val_loss", "epoch_seconds",
)  # fmt: skip


#: An epoch's stored values, named as in :class:`~hpsearch.models.EpochMetric`.
_EPOCH_VALUES = ("epoch", *(column.removeprefix("epoch_") for column in EPOCH_COLUMNS[1:]))
#: A trial's stored values as they are, in the order of :data:`TRIAL_COLUMNS`.
_TRIAL_VALUES = TRIAL_COLUMNS[TRIAL_COLUMNS.index("number") : TRIAL_COLUMNS.index("started_at")]


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


def trial_record(trial: Trial) -> dict[str, Any]:
    """A trial's own values, without its study and round."""
    seconds = None
    if trial.started_at is not None and trial.finished_at is not None:
        seconds = (trial.finished_at - trial.started_at).total_seconds()
    values = {name: getattr(trial, name) for name in _TRIAL_VALUES}
    return {
        "trial": trial.id,
        **values,
        "started_at": _iso(trial.started_at),
        "finished_at": _iso(trial.finished_at),
        "seconds": seconds,
        "worker": trial.worker,
        "error": trial.error,
    }


def epoch_record(metric: EpochMetric) -> dict[str, Any]:
    return {name: getattr(metric, name) for name in _EPOCH_VALUES}


def _epoch_columns(metric: EpochMetric | None) -> dict[str, Any]:
    if metric is None:
        return dict.fromkeys(EPOCH_COLUMNS)
    values = epoch_record(metric)
    return {"epoch": values.pop("epoch"), **{f"epoch_{k}": v for k, v in values.items()}}


def export_rows(session: Session, study: Study, *, epochs: bool = False) -> list[dict[str, Any]]:
    """Flat rows: one per trial, or with ``epochs`` one per trial and epoch."""
    per_trial = study_epochs(session, study) if epochs else {}
    rows: list[dict[str, Any]] = []
    for trial in study_trials(session, study):
        row = {"study": study.name, "round": trial.round.number, **trial_record(trial)}
        if epochs:
            metrics: Sequence[EpochMetric | None] = per_trial.get(trial.id) or [None]
            rows.extend(row | _epoch_columns(m) for m in metrics)
        else:
            rows.append(row)
    return rows


def export_json(session: Session, study: Study, *, epochs: bool = False) -> dict[str, Any]:
    """The study's settings and its rounds, each with its trials (and their epochs)."""
    per_trial = study_epochs(session, study) if epochs else {}
    by_round: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for trial in study_trials(session, study):
        record = trial_record(trial)
        if epochs:
            record["epochs"] = [epoch_record(m) for m in per_trial.get(trial.id, [])]
        by_round[trial.round_id].append(record)
    return {
        "study": study_record(study),
        "rounds": [
            {
                "round": r.number,
                "lr": [r.lr_low, r.lr_high],
                "weight_decay": [r.weight_decay_low, r.weight_decay_high],
                "n_trials": r.n_trials,
                "narrowed_from": r.parent.number if r.parent else None,
                "top_k": r.top_k,
                "created_at": _iso(r.created_at),
                "trials": by_round[r.id],
            }
            for r in study.rounds
        ],
    }


def write_csv(rows: list[dict[str, Any]], stream: TextIO, *, epochs: bool = False) -> None:
    """Rows as CSV with a header; empty cells for missing values."""
    columns = TRIAL_COLUMNS + EPOCH_COLUMNS if epochs else TRIAL_COLUMNS
    writer = csv.DictWriter(stream, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


def write_json(data: dict[str, Any], stream: TextIO) -> None:
    json.dump(data, stream, indent=2)
    stream.write("\n")
