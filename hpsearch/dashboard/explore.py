"""The data the dashboard's interactive charts draw, read in a few SQL queries.

    trial_columns      trials of a study as columns (one list per value: id, round,
                       status, accuracies, each searched parameter): three queries
                       whatever the number of trials, no ORM object per row
    chart_columns      what the charts draw: every trial's columns, or a sample of
                       CHART_TRIALS of a larger study, and the best score so far of all
    described_columns  the columns' order, headers and formats, each round's domains

A trial's ``score`` is what its values are judged by (its best epoch's, else its last
one's: the book network's validation accuracy, or a training function's metric, see
:mod:`hpsearch.dashboard.scoring`); a parameter's column holds its number (a choice's
stored text), None where a trial has none.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hpsearch import store
from hpsearch.dashboard.scoring import scoring
from hpsearch.space.domains import format_value, label
from hpsearch.store.models import Round, RoundDomain, Study, Trial, TrialParam
from hpsearch.store.status import TrialStatus

#: The most trials the study page's charts draw (parallel coordinates, slices, scatter,
#: the points of the history): a larger study's are a sample (:func:`chart_columns`); the
#: leaderboard and the brush's filter still go over every trial (:mod:`.board`).
CHART_TRIALS = 5000

_TRIAL_COLUMNS = (
    "trial", "round", "number", "status", "epochs_run", "score", "val_accuracy",
    "best_val_accuracy", "best_epoch", "train_accuracy", "seed", "worker",
)  # fmt: skip
#: A training function's trials' columns: its metric's last and best value for the
#: accuracies (``score`` is the best, else the last, as the book network's).
_FUNCTION_COLUMNS = (
    "trial", "round", "number", "status", "epochs_run", "score", "value", "best_value",
    "best_epoch", "seed", "worker",
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


def _trial_columns(study: Study) -> tuple[str, ...]:
    return _TRIAL_COLUMNS if study.objective is None else _FUNCTION_COLUMNS


def _rows(session: Session, study: Study, ids: Sequence[int] | None) -> list[Any]:
    """The trials' rows of :func:`_trial_columns` (of ``ids`` only, in that order, when
    given; else every trial in round and trial order): plain rows, no ORM object each."""
    own = scoring(study)
    scores: tuple[Any, ...]
    if own.book:
        scores = (
            Trial.val_accuracy,
            Trial.best_val_accuracy,
            Trial.best_epoch,
            Trial.train_accuracy,
        )
    else:
        scores = (Trial.value, Trial.best_value, Trial.best_epoch)
    query = select(
        Trial.id, Round.number, Trial.number, Trial.status, Trial.epochs_run, own.score(),
        *scores, Trial.seed, Trial.worker,
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
    own, columns = scoring(study), _trial_columns(study)
    headers, numbers = HEADERS, FORMATS
    if not own.book:  # a function's metric: headed by its name, written as report does
        headers = {key: HEADERS[key] for key in columns if key in HEADERS}
        headers |= {
            "score": own.name,
            "value": f"last {own.name}",
            "best_value": f"best {own.name}",
        }
        numbers = dict.fromkeys(("score", "value", "best_value"), "metric")
    return {
        "parameters": names,
        "order": [*columns[:4], *names, *columns[4:]],
        "headers": {**headers, **{name: label(name) for name in names}},
        "formats": {**numbers, **formats},
        "rounds": rounds,
    } | ({} if own.book else {"scoring": own.described()})


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
    own = _trial_columns(study)
    transposed = list(zip(*rows, strict=True)) or [()] * len(own)
    columns: dict[str, list[Any]] = {
        name: list(column) for name, column in zip(own, transposed, strict=True)
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
        own = scoring(study)
        score = own.score()
        best = session.scalars(
            in_study.where(score.is_not(None))
            .order_by(own.best_first(score), Trial.id)
            .limit(most // 5)
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
    it improves (``best``: [1-based place, score]; the lowest so far of a minimised
    metric), each round's first and last place (``rounds``: [round, first, last]) and the
    number of trials, in two queries."""
    own = scoring(study)
    score = own.score()
    order = (Round.number, Trial.number)
    so_far = func.min if own.minimize else func.max
    ranked = (
        select(
            func.row_number().over(order_by=order).label("place"),
            score.label("score"),
            so_far(score).over(order_by=order, rows=(None, -1)).label("before"),
        )
        .join(Round)
        .where(Round.study_id == study.id)
        .subquery()
    )
    rises = session.execute(
        select(ranked.c.place, ranked.c.score)
        .where(ranked.c.score.is_not(None))
        .where(
            (ranked.c.before.is_(None))
            | (
                (ranked.c.score < ranked.c.before)
                if own.minimize
                else (ranked.c.score > ranked.c.before)
            )
        )
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
