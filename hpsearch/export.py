"""A study's trials as flat rows (CSV) or nested records (JSON), for other tools.

Rows: one per trial, by round and number, with :data:`TRIAL_COLUMNS` and a column
per searched parameter other than lr and weight decay (after them); with
``epochs``, one per trial and epoch, with :data:`EPOCH_COLUMNS` added (a trial
that ran no epoch keeps one row, its epoch columns empty). JSON holds the same
values nested: ``{"study": {...}, "rounds": [{..., "trials": [{..., "epochs": [...]}]}]}``.
Times are UTC in ISO 8601; ``seconds`` is the trial's wall time, finished minus started.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy.orm import Session

from hpsearch.domains import Value
from hpsearch.models import EpochMetric, Round, Study, Trial
from hpsearch.settings import StudySettings
from hpsearch.store import searched_names
from hpsearch.store_trials import study_epochs, study_trials, trial_values

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


def columns(parameters: Sequence[str], *, epochs: bool = False) -> list[str]:
    """The CSV columns: the trial's, with the other searched ``parameters`` after
    ``weight_decay``, then the epoch's."""
    at = TRIAL_COLUMNS.index("seed")
    trial = [*TRIAL_COLUMNS[:at], *parameters, *TRIAL_COLUMNS[at:]]
    return trial + list(EPOCH_COLUMNS) if epochs else trial


def trial_record(trial: Trial, searched: Mapping[str, Value] | None = None) -> dict[str, Any]:
    """A trial's own values, without its study and round; ``searched``: its values of
    the searched parameters other than lr and weight decay, put after them."""
    seconds = None
    if trial.started_at is not None and trial.finished_at is not None:
        seconds = (trial.finished_at - trial.started_at).total_seconds()
    values = {name: getattr(trial, name) for name in _TRIAL_VALUES}
    at = list(values).index("seed")
    items = list(values.items())
    values = dict(items[:at] + list((searched or {}).items()) + items[at:])
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


def other_values(
    session: Session, study: Study, trials: Sequence[Trial]
) -> dict[int, dict[str, Value]]:
    """Each trial's values of the searched parameters other than lr and weight decay."""
    names = searched_names(study)
    if not names:
        return {}
    values = trial_values(session, [trial.id for trial in trials])
    return {t.id: {n: values[t.id][n] for n in names if n in values[t.id]} for t in trials}


def export_rows(session: Session, study: Study, *, epochs: bool = False) -> list[dict[str, Any]]:
    """Flat rows: one per trial, or with ``epochs`` one per trial and epoch."""
    per_trial = study_epochs(session, study) if epochs else {}
    rows: list[dict[str, Any]] = []
    trials = study_trials(session, study)
    searched = other_values(session, study, trials)
    for trial in trials:
        record = trial_record(trial, searched.get(trial.id))
        row = {"study": study.name, "round": trial.round.number, **record}
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
    trials = study_trials(session, study)
    searched = other_values(session, study, trials)
    for trial in trials:
        record = trial_record(trial, searched.get(trial.id))
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
                "domains": domain_records(r),
                "n_trials": r.n_trials,
                "narrowed_from": r.parent.number if r.parent else None,
                "top_k": r.top_k,
                "created_at": _iso(r.created_at),
                "trials": by_round[r.id],
            }
            for r in study.rounds
        ],
    }


def domain_records(round_: Round) -> dict[str, dict[str, Any]]:
    """Each searched parameter's domain in a round, as ``round_domains`` holds it."""
    return {
        d.name: {"kind": d.kind, "log": d.log, "low": d.low, "high": d.high, "spec": d.spec}
        | ({"choices": json.loads(d.choices)} if d.choices is not None else {})
        for d in round_.domains
    }


def write_csv(
    rows: list[dict[str, Any]],
    stream: TextIO,
    *,
    epochs: bool = False,
    parameters: Sequence[str] = (),
) -> None:
    """Rows as CSV with a header; empty cells for missing values."""
    fieldnames = columns(parameters, epochs=epochs)
    writer = csv.DictWriter(stream, fieldnames=fieldnames, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


def write_json(data: dict[str, Any], stream: TextIO) -> None:
    json.dump(data, stream, indent=2)
    stream.write("\n")
