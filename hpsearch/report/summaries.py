"""What ``hpsearch report`` and ``hpsearch studies`` show, as plain data.

The same dictionaries are printed as rich tables for people and as JSON for scripts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from hpsearch import store
from hpsearch.report.export import RANGE_KEYS, searched_values, study_record, trial_record
from hpsearch.space.domains import Choice, FloatRange, label
from hpsearch.space.narrowing import crowded_edges
from hpsearch.store import liveness, queue
from hpsearch.store.models import Evaluation, Round, Study, Trial
from hpsearch.store.status import TrialStatus

#: How many of the best trials ``report`` checks for crowding an edge of the ranges.
CROWD_TOP_K = 5


def _iso(value) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def study_summary(session: Session, study: Study) -> dict[str, Any]:
    best = store.best_trial(session, study)
    counts = store.study_status_counts(session, study)
    return {
        "name": study.name,
        "created_at": _iso(study.created_at),
        "rounds": len(study.rounds),
        "trials": sum(counts.values()),
        TrialStatus.COMPLETED.value: counts.get(TrialStatus.COMPLETED, 0),
        "best_val_accuracy": best.val_accuracy if best else None,
    }


def round_summary(session: Session, round_: Round) -> dict[str, Any]:
    counts = dict(store.status_counts(session, round_.id))
    best = store.round_best(session, round_.id)
    space = store.round_space(round_)
    ranges = {name: d for name in RANGE_KEYS if isinstance(d := space.get(name), FloatRange)}
    running = queue.running_trials(session, round_.id)
    return {
        "round": round_.number,
        **{name: [d.low, d.high] for name, d in ranges.items()},
        **{f"{name}_decades": d.decades for name, d in ranges.items()},
        "domains": {d.name: str(d) for d in space if d.name not in ranges},
        "trials": round_.n_trials,
        "statuses": counts,
        "stale": sum(liveness.is_stale(trial) for trial in running),
        "narrowed_from": round_.parent.number if round_.parent else None,
        "top_k": round_.top_k,
        "best_val_accuracy": best.val_accuracy if best else None,
        "best_trial": best.id if best else None,
        "created_at": _iso(round_.created_at),
    }


def trial_row(
    trial: Trial, rank: int, curve: list[float], searched: dict[str, Any] | None = None
) -> dict[str, Any]:
    record = trial_record(trial, searched)
    return {"rank": rank, "round": trial.round.number, **record, "val_curve": curve}


def evaluation_rows(session: Session, evaluations: Sequence[Evaluation]) -> list[dict[str, Any]]:
    """The evaluations, each with its trial's searched values (its full settings)."""
    values = store.trial_values(session, [e.trial_id for e in evaluations])
    return [evaluation_row(e, values[e.trial_id]) for e in evaluations]


def evaluation_row(evaluation: Evaluation, values: dict[str, Any]) -> dict[str, Any]:
    """An evaluation with the values it trained with: lr and weight decay under their own
    keys (as the report has always shown them), the other searched values in ``searched``."""
    return {
        "trial": evaluation.trial_id,
        **{name: values[name] for name in RANGE_KEYS if name in values},
        "searched": {k: v for k, v in values.items() if k not in RANGE_KEYS},
        "epochs": evaluation.epochs,
        "train_samples": evaluation.train_samples,
        "test_samples": evaluation.test_samples,
        "train_accuracy": evaluation.train_accuracy,
        "test_accuracy": evaluation.test_accuracy,
        "status": evaluation.status,
        "seconds": evaluation.seconds,
        "created_at": _iso(evaluation.created_at),
    }


def crowding(session: Session, study: Study, k: int = CROWD_TOP_K) -> dict[str, Any] | None:
    """The edges of the last finished round's ranges that its top-k crowd, if any; the
    top-k as narrowing takes them (completed trials, then pruned ones)."""
    for round_ in reversed(study.rounds):
        top = store.round_top(session, round_.id, k, pruned=True)
        if top:
            values = store.trial_values(session, [t.id for t in top])
            edges = {
                label(domain.name): crowded_edges(
                    [float(values[t.id][domain.name]) for t in top], domain
                )
                for domain in store.round_space(round_)
                if not isinstance(domain, Choice)
            }
            edges = {name: sides for name, sides in edges.items() if sides}
            return {"round": round_.number, "top_k": len(top), "edges": edges} if edges else None
    return None


def importance_report(
    session: Session, study: Study, *, round_number: int | None = None
) -> dict[str, Any]:
    """Each searched parameter's importance (see :mod:`hpsearch.report.importance`) over the
    completed and pruned trials, each by the best validation accuracy it reached (a
    pruned trial's is what it showed before it was stopped: searches that prune keep
    few trials to the end), with how much of that accuracy they explain."""
    from hpsearch.report.importance import parameter_importance  # scikit-learn: only when asked

    trials = store.searched_trials(session, study, round_number=round_number)
    scored = [(t.values, t.best_val_accuracy) for t in trials if t.best_val_accuracy is not None]
    result = parameter_importance(
        [values for values, _ in scored], [score for _, score in scored], seed=study.seed
    )
    return {
        "method": "held-out permutation importance of a random forest",
        "trials": result.n_trials,
        "explained_r2": result.explained,
        "scores": result.scores,
        "spread": result.spread,
    }


def study_report(
    session: Session,
    study: Study,
    *,
    round_number: int | None = None,
    top: int = 10,
    importance: bool = False,
) -> dict[str, Any]:
    trials = store.leaderboard(session, study, round_number=round_number, top=top)
    curves = store.epoch_curves(session, [trial.id for trial in trials])
    searched = searched_values(session, study, trials)
    rounds = study.rounds
    if round_number is not None:
        rounds = [store.get_round(session, study, round_number)]
    return {
        "study": study_record(study),
        "searched": store.searched_names(study),
        "rounds": [round_summary(session, round_) for round_ in rounds],
        "leaderboard": [
            trial_row(
                trial, rank, [row.val_accuracy for row in curves[trial.id]], searched.get(trial.id)
            )
            for rank, trial in enumerate(trials, start=1)
        ],
        "crowded": crowding(session, study),
        "evaluations": evaluation_rows(session, study.evaluations),
    } | (
        {"importance": importance_report(session, study, round_number=round_number)}
        if importance
        else {}
    )
