"""The data the dashboard's interactive charts draw, read in a few SQL queries.

    trial_columns   every trial of a study as columns (one list per value: id, round,
                    status, accuracies, each searched parameter), in round and trial
                    order: three queries whatever the number of trials, no ORM object
                    per row, so 100,000 trials are one answer of plain lists
    round_domains   each round's domains, as the scatter draws their rectangles
    study_curves    the validation curves of the best trials and of the running ones

A trial's ``score`` is the accuracy its values are judged by (its best epoch's, else its
last one's: :attr:`hpsearch.store.FrozenTrial.best_or_final_accuracy`); a parameter's
column holds its number (a choice's stored text), None where a trial has none.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hpsearch import store
from hpsearch.space.domains import format_value, label
from hpsearch.store.models import EpochMetric, Round, RoundDomain, Study, Trial, TrialParam
from hpsearch.store.status import TrialStatus

#: Trials whose curves the study page draws unless asked for more or fewer.
DEFAULT_CURVES = 50
#: The most curves one answer holds (each up to the study's epochs).
MOST_CURVES = 1000

_TRIAL_COLUMNS = (
    "trial", "round", "number", "status", "epochs_run", "score", "val_accuracy",
    "best_val_accuracy", "best_epoch", "train_accuracy", "seed", "worker",
)  # fmt: skip
#: How the page writes each column, by :mod:`hpsearch.report.numbers`' rules: an
#: accuracy to 4 decimals, a log-scale parameter in compact scientific form, another
#: float to 3 significant digits; counts and text as they are.
FORMATS = {
    "score": "accuracy", "val_accuracy": "accuracy", "best_val_accuracy": "accuracy",
    "train_accuracy": "accuracy",
}  # fmt: skip
#: The headers people read, for the columns that are not parameters (whose header is
#: their label: ``weight decay``).
HEADERS = {
    "trial": "trial", "round": "round", "number": "#", "status": "status",
    "epochs_run": "epochs", "score": "score", "val_accuracy": "val acc",
    "best_val_accuracy": "best val acc", "best_epoch": "best epoch",
    "train_accuracy": "train acc", "seed": "seed", "worker": "worker",
}  # fmt: skip


def trial_columns(session: Session, study: Study) -> dict[str, Any]:
    """Every trial of ``study`` as columns: ``columns[name][i]`` is trial i's value, the
    trials in round and trial order; ``parameters`` names the searched ones (their
    labels in ``labels``) in the space's order."""
    score = func.coalesce(Trial.best_val_accuracy, Trial.val_accuracy)
    query = (
        select(
            Trial.id,
            Round.number,
            Trial.number,
            Trial.status,
            Trial.epochs_run,
            score,
            Trial.val_accuracy,
            Trial.best_val_accuracy,
            Trial.best_epoch,
            Trial.train_accuracy,
            Trial.seed,
            Trial.worker,
        )
        .join(Round)
        .where(Round.study_id == study.id)
        .order_by(Round.number, Trial.number)
    )
    rows = session.connection().execute(query).all()  # plain rows: no ORM per row
    transposed = list(zip(*rows, strict=True)) or [()] * len(_TRIAL_COLUMNS)
    columns: dict[str, list[Any]] = {
        name: list(column) for name, column in zip(_TRIAL_COLUMNS, transposed, strict=True)
    }
    columns["status"] = [TrialStatus(status).value for status in columns["status"]]
    names = store.searched_names(study)
    rounds = round_domains(session, study)
    first = rounds[0]["domains"] if rounds else {}
    formats = {name: _format(first.get(name)) for name in names}
    at = {trial_id: i for i, trial_id in enumerate(columns["trial"])}
    values: dict[str, list[Any]] = {name: [None] * len(at) for name in names}
    params = session.connection().execute(
        select(TrialParam.trial_id, TrialParam.name, TrialParam.value_num, TrialParam.value_text)
        .join(Trial)
        .join(Round)
        .where(Round.study_id == study.id)
    )
    for trial_id, name, number, text in params:
        if name in values:
            values[name][at[trial_id]] = text if formats[name] == "text" else number
    return {
        "trials": len(at),
        "parameters": names,
        "order": [*_TRIAL_COLUMNS[:4], *names, *_TRIAL_COLUMNS[4:]],
        "headers": {**HEADERS, **{name: label(name) for name in names}},
        "formats": {**FORMATS, **formats},
        "columns": {**columns, **values},
        "rounds": rounds,
    }


def _format(domain: dict[str, Any] | None) -> str:
    if domain is None or domain["kind"] not in ("float", "int"):
        return "text"
    if domain["log"]:
        return "scientific"
    return "significant" if domain["kind"] == "float" else "integer"


def round_domains(session: Session, study: Study) -> list[dict[str, Any]]:
    """Each round's number and domains: a range's ``low``, ``high`` and ``log``, a
    choice's ``choices`` (as text), keyed by parameter."""
    rows = session.execute(
        select(Round.number, RoundDomain)
        .join(RoundDomain, RoundDomain.round_id == Round.id)
        .where(Round.study_id == study.id)
        .order_by(Round.number, RoundDomain.position)
    )
    rounds: dict[int, dict[str, Any]] = {r.number: {} for r in study.rounds}
    for number, domain in rows:
        rounds[number][domain.name] = {
            "kind": domain.kind,
            "low": domain.low,
            "high": domain.high,
            "log": bool(domain.log),
            "choices": [format_value(c) for c in json.loads(domain.choices)]
            if domain.choices
            else None,
            "spec": domain.spec,
        }
    return [{"round": number, "domains": domains} for number, domains in rounds.items()]


def study_curves(session: Session, study: Study, top: int = DEFAULT_CURVES) -> dict[str, Any]:
    """The validation curve of the ``top`` best trials (by score) and of every running
    trial: ``curves`` holds each trial's id, round, status, score and accuracies by
    epoch, best first, the running ones last."""
    score = func.coalesce(Trial.best_val_accuracy, Trial.val_accuracy)
    base = select(Trial.id, Round.number, Trial.status, score).join(Round)
    base = base.where(Round.study_id == study.id)
    best = session.execute(
        base.where(score.is_not(None), Trial.status != TrialStatus.RUNNING)
        .order_by(score.desc(), Trial.id)
        .limit(min(max(top, 0), MOST_CURVES))
    ).all()
    running = session.execute(
        base.where(Trial.status == TrialStatus.RUNNING).order_by(Round.number, Trial.number)
    ).all()
    trials = [*best, *running]
    curves: dict[int, list[float]] = {row[0]: [] for row in trials}
    ids = list(curves)
    for start in range(0, len(ids), 500):  # bounded IN lists
        epochs = session.execute(
            select(EpochMetric.trial_id, EpochMetric.val_accuracy)
            .where(EpochMetric.trial_id.in_(ids[start : start + 500]))
            .order_by(EpochMetric.trial_id, EpochMetric.epoch)
        )
        for trial_id, accuracy in epochs:
            curves[trial_id].append(accuracy)
    return {
        "epochs": study.epochs,
        "curves": [
            {
                "trial": trial_id,
                "round": number,
                "status": status.value,
                "score": value,
                "val_accuracy": curves[trial_id],
            }
            for trial_id, number, status, value in trials
        ],
    }
