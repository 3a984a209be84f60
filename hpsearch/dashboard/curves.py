"""The curves the study page draws: the best trials' and the running ones', by epoch.

    study_curves   the ``top`` best trials' curves (by score, best first) and every
                   running trial's (last)

The book network's curve is its validation accuracy per epoch (``val_accuracy``); a
training function's is its metric per epoch (``values``) with the ``train_``
counterpart (``train``: ``train_loss`` beside ``val_loss``) where it reported one, as
:func:`hpsearch.plots.data._curves` draws them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hpsearch.dashboard.scoring import scoring
from hpsearch.store.metrics import trial_metrics
from hpsearch.store.models import EpochMetric, Round, Study, Trial
from hpsearch.store.status import TrialStatus

#: Trials whose curves the study page draws unless asked for more or fewer.
DEFAULT_CURVES = 50
#: The most curves one answer holds (each up to the study's epochs).
MOST_CURVES = 1000


def _accuracies(session: Session, ids: list[int]) -> dict[int, dict[str, list[float]]]:
    curves: dict[int, dict[str, list[float]]] = {i: {"val_accuracy": []} for i in ids}
    for start in range(0, len(ids), 500):  # bounded IN lists
        epochs = session.execute(
            select(EpochMetric.trial_id, EpochMetric.val_accuracy)
            .where(EpochMetric.trial_id.in_(ids[start : start + 500]))
            .order_by(EpochMetric.trial_id, EpochMetric.epoch)
        )
        for trial_id, accuracy in epochs:
            curves[trial_id]["val_accuracy"].append(accuracy)
    return curves


def metric_curves(session: Session, study: Study, ids: list[int]) -> dict[int, dict[str, list]]:
    """Each trial's metric per epoch (``values``) and its ``train_`` counterpart's
    (``train``, empty when it reported none)."""
    train = "train_" + study.metric.removeprefix("val_")
    curves: dict[int, dict[str, list]] = {}
    for trial_id, reports in trial_metrics(session, ids).items():
        curves[trial_id] = {
            "values": [report.get(study.metric) for report in reports],
            "train": [r[train] for r in reports if train in r and train != study.metric],
        }
    return curves


def study_curves(session: Session, study: Study, top: int = DEFAULT_CURVES) -> dict[str, Any]:
    """The curve of the ``top`` best trials (by score) and of every running trial:
    ``curves`` holds each trial's id, round, status, score and its values by epoch, best
    first, the running ones last."""
    own = scoring(study)
    score = own.score()
    base = select(Trial.id, Round.number, Trial.status, score).join(Round)
    base = base.where(Round.study_id == study.id)
    best = session.execute(
        base.where(score.is_not(None), Trial.status != TrialStatus.RUNNING)
        .order_by(own.best_first(score), Trial.id)
        .limit(min(max(top, 0), MOST_CURVES))
    ).all()
    running = session.execute(
        base.where(Trial.status == TrialStatus.RUNNING).order_by(Round.number, Trial.number)
    ).all()
    trials = [*best, *running]
    ids = [row[0] for row in trials]
    curves = _accuracies(session, ids) if own.book else metric_curves(session, study, ids)
    return {
        "epochs": study.epochs,
        "curves": [
            {
                "trial": trial_id,
                "round": number,
                "status": status.value,
                "score": value,
                **curves[trial_id],
            }
            for trial_id, number, status, value in trials
        ],
    } | ({} if own.book else {"scoring": own.described()})
