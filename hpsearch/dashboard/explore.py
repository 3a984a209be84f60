"""The data the dashboard's interactive charts draw, read in a few SQL queries.

    trial_columns      trials of a study as columns (one list per value: id, round,
                       status, accuracies, each searched parameter): three queries
                       whatever the number of trials, no ORM object per row
    chart_columns      what the charts draw: every trial's columns, or a sample of
                       CHART_TRIALS of a larger study, and the best score so far of all
    described_columns  the columns' order, headers and formats, each round's domains
    study_curves       the validation curves of the best trials and of the running ones

A trial's ``score`` is the accuracy its values are judged by (its best epoch's, else its
last one's: :attr:`hpsearch.store.FrozenTrial.best_or_final_accuracy`); a parameter's
column holds its number (a choice's stored text), None where a trial has none.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
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
#: The most trials the study page's charts draw (parallel coordinates, slices, scatter,
#: the points of the history): a larger study's are a sample (:func:`chart_columns`); the
#: leaderboard and the brush's filter still go over every trial (:mod:`.board`).
CHART_TRIALS = 5000

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


def _rows(session: Session, study: Study, ids: Sequence[int] | None) -> list[Any]:
    """The trials' rows of :data:`_TRIAL_COLUMNS` (of ``ids`` only, in that order, when
    given; else every trial in round and trial order): plain rows, no ORM object each."""
    score = func.coalesce(Trial.best_val_accuracy, Trial.val_accuracy)
    query = select(
        Trial.id, Round.number, Trial.number, Trial.status, Trial.epochs_run, score,
        Trial.val_accuracy, Trial.best_val_accuracy, Trial.best_epoch, Trial.train_accuracy,
        Trial.seed, Trial.worker,
    ).join(Round)  # fmt: skip
    if ids is None:
        query = query.where(Round.study_id == study.id).order_by(Round.number, Trial.number)
        return list(session.connection().execute(query).all())
    found: dict[int, Any] = {}
    for start in range(0, len(ids), 500):  # bounded IN lists
        chunk = query.where(Trial.id.in_(ids[start : start + 500]))
        found.update((row[0], row) for row in session.connection().execute(chunk))
    return [found[trial_id] for trial_id in ids if trial_id in found]


def _values(
    session: Session, study: Study, ids: Sequence[int] | None, formats: dict[str, str]
) -> dict[int, dict[str, Any]]:
    """Each trial's searched values (of ``ids``, else of every trial): a parameter's
    number, a choice's stored text."""
    query = select(
        TrialParam.trial_id, TrialParam.name, TrialParam.value_num, TrialParam.value_text
    )
    if ids is None:
        chunks = [query.join(Trial).join(Round).where(Round.study_id == study.id)]
    else:
        chunks = [
            query.where(TrialParam.trial_id.in_(ids[start : start + 500]))
            for start in range(0, len(ids), 500)
        ]
    values: dict[int, dict[str, Any]] = {}
    for chunk in chunks:
        for trial_id, name, number, text in session.connection().execute(chunk):
            if name in formats:
                values.setdefault(trial_id, {})[name] = text if formats[name] == "text" else number
    return values


def described_columns(session: Session, study: Study) -> dict[str, Any]:
    """What the page needs to show a study's trial columns: the searched ``parameters``
    (in the space's order), every column's ``order``, ``headers`` and ``formats``, and
    each round's domains (``rounds``)."""
    names = store.searched_names(study)
    rounds = round_domains(session, study)
    first = rounds[0]["domains"] if rounds else {}
    formats = {name: _format(first.get(name)) for name in names}
    return {
        "parameters": names,
        "order": [*_TRIAL_COLUMNS[:4], *names, *_TRIAL_COLUMNS[4:]],
        "headers": {**HEADERS, **{name: label(name) for name in names}},
        "formats": {**FORMATS, **formats},
        "rounds": rounds,
    }


def trial_columns(
    session: Session,
    study: Study,
    ids: Sequence[int] | None = None,
    described: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Trials of ``study`` as columns: ``columns[name][i]`` is trial i's value, the trials
    those of ``ids`` in that order (by default every trial, in round and trial order),
    with :func:`described_columns` (``described`` when the caller has it)."""
    described = described or described_columns(session, study)
    names = described["parameters"]
    rows = _rows(session, study, ids)
    transposed = list(zip(*rows, strict=True)) or [()] * len(_TRIAL_COLUMNS)
    columns: dict[str, list[Any]] = {
        name: list(column) for name, column in zip(_TRIAL_COLUMNS, transposed, strict=True)
    }
    columns["status"] = [TrialStatus(status).value for status in columns["status"]]
    formats = {name: described["formats"][name] for name in names}
    values = _values(session, study, ids, formats)
    for name in names:
        columns[name] = [values.get(trial_id, {}).get(name) for trial_id in columns["trial"]]
    return {"trials": len(rows), **described, "columns": columns}


def chart_columns(session: Session, study: Study, most: int = CHART_TRIALS) -> dict[str, Any]:
    """What the study page's charts draw: :func:`trial_columns` of every trial, or of a
    sample of ``most`` when the study has more (the best fifth of them by score and a
    uniform sample of the others, drawn with the study's seed: the same every time), in
    round and trial order, each with its 1-based place in that order (``index``); and
    the ``history`` of every trial, sampled or not (:func:`history`)."""
    order = (Round.number, Trial.number)
    in_study = select(Trial.id).join(Round).where(Round.study_id == study.id)
    ids = list(session.scalars(in_study.order_by(*order)))
    picked = None
    if len(ids) > most:
        score = func.coalesce(Trial.best_val_accuracy, Trial.val_accuracy)
        best = session.scalars(
            in_study.where(score.is_not(None)).order_by(score.desc(), Trial.id).limit(most // 5)
        )
        place = {trial_id: i for i, trial_id in enumerate(ids)}
        top = np.array([place[trial_id] for trial_id in best], dtype=int)
        others = np.setdiff1d(np.arange(len(ids)), top)
        rng = np.random.default_rng(study.seed)
        rest = rng.choice(others, size=most - len(top), replace=False)
        picked = np.sort(np.concatenate([top, rest])).tolist()
    result = trial_columns(session, study, None if picked is None else [ids[i] for i in picked])
    places = range(len(ids)) if picked is None else picked
    result["columns"]["index"] = [i + 1 for i in places]
    return {
        **result,
        "trials": len(ids),
        "shown": result["trials"],
        "history": history(session, study),
    }


def history(session: Session, study: Study) -> dict[str, Any]:
    """The best score so far of every trial of ``study`` in round and trial order, where
    it rises (``best``: [1-based place, score]), each round's first and last place
    (``rounds``: [round, first, last]) and the number of trials, in two queries."""
    score = func.coalesce(Trial.best_val_accuracy, Trial.val_accuracy)
    order = (Round.number, Trial.number)
    ranked = (
        select(
            func.row_number().over(order_by=order).label("place"),
            score.label("score"),
            func.max(score).over(order_by=order, rows=(None, -1)).label("before"),
        )
        .join(Round)
        .where(Round.study_id == study.id)
        .subquery()
    )
    rises = session.execute(
        select(ranked.c.place, ranked.c.score)
        .where(ranked.c.score.is_not(None))
        .where((ranked.c.before.is_(None)) | (ranked.c.score > ranked.c.before))
        .order_by(ranked.c.place)
    )
    counts = session.execute(
        select(Round.number, func.count(Trial.id))
        .join(Trial, Trial.round_id == Round.id)
        .where(Round.study_id == study.id)
        .group_by(Round.number)
        .order_by(Round.number)
    )
    rounds, last = [], 0
    for number, count in counts:
        rounds.append([number, last + 1, last + count])
        last += count
    return {"best": [[place, value] for place, value in rises], "rounds": rounds, "trials": last}


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
