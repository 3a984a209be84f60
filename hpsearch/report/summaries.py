"""What ``hpsearch report`` and ``hpsearch studies`` show, as plain data.

A study's report is a :class:`StudyReport`: its leaderboard a tuple of
:class:`~hpsearch.store.FrozenTrial` records, the rest plain dictionaries. It is printed
as rich tables for people, and its :meth:`~StudyReport.document` is the JSON for scripts
and the dashboard.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from hpsearch import store
from hpsearch.report.export import RANGE_KEYS, study_record, trial_record
from hpsearch.space.domains import Choice, FloatRange, Value, described, label
from hpsearch.space.narrowing import crowded_edges
from hpsearch.store import FrozenTrial, liveness, queue
from hpsearch.store.models import Evaluation, Round, Study
from hpsearch.store.status import TrialStatus

#: How many of the best trials ``report`` checks for crowding an edge of the ranges.
CROWD_TOP_K = 5
#: The most trials the importance's random forests learn from: a larger study's are a
#: uniform sample of this many, drawn with the study's seed (the same every time), so
#: the importance of 100,000 trials takes what that of 1,000 takes.
IMPORTANCE_TRIALS = 1000


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
    } | _best_value(study, best)


def _best_value(study: Study, best) -> dict[str, Any]:
    """A training function's study: the metric its best trial is ranked by, and its value."""
    if study.objective is None:
        return {}
    return {"metric": study.metric, "best_value": best.value if best else None}


def round_summary(session: Session, round_: Round) -> dict[str, Any]:
    counts = dict(store.status_counts(session, round_.id))
    best = store.round_best(session, round_.id)
    space = store.round_space(round_)
    ranges = {name: d for name in RANGE_KEYS if isinstance(d := space.get(name), FloatRange)}
    sampling = store.round_sampling(round_)
    # a learning round says how it samples; a random one (every round of older releases)
    # prints as it always did
    learns = {"sampler": sampling.sampler, "sampler_batch": sampling.batch}
    return {
        "round": round_.number,
        **(learns if sampling.learns else {}),
        **{name: [d.low, d.high] for name, d in ranges.items()},
        **{f"{name}_decades": d.decades for name, d in ranges.items()},
        "domains": {d.name: described(d) for d in space if d.name not in ranges},
        "trials": round_.n_trials,
        "statuses": counts,
        "stale": len(liveness.stale_trials(session, queue.running_trials(session, round_.id))),
        "narrowed_from": round_.parent.number if round_.parent else None,
        "top_k": round_.top_k,
        "best_val_accuracy": best.val_accuracy if best else None,
        "best_trial": best.id if best else None,
        "created_at": _iso(round_.created_at),
    } | _best_value(round_.study, best)


def trial_row(trial: FrozenTrial, rank: int, book: bool = True) -> dict[str, Any]:
    """A leaderboard's row: the trial's rank, round and values, and the book network's
    validation curve (empty unless it was read with its epochs)."""
    record = {"rank": rank, "round": trial.round, **trial_record(trial, book)}
    return record | {"val_curve": list(trial.val_curve)} if book else record


def evaluation_rows(session: Session, evaluations: Sequence[Evaluation]) -> list[dict[str, Any]]:
    """The evaluations, each with its trial's searched values (its full settings)."""
    values = store.trial_values(session, [e.trial_id for e in evaluations])
    return [evaluation_row(e, values[e.trial_id]) for e in evaluations]


def evaluation_row(evaluation: Evaluation, values: Mapping[str, Value]) -> dict[str, Any]:
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
    } | (  # a training function's test: what it measured
        {} if evaluation.test_metrics is None else {"test": json.loads(evaluation.test_metrics)}
    )


def crowding(session: Session, study: Study, k: int = CROWD_TOP_K) -> dict[str, Any] | None:
    """The edges of the last finished round's ranges that its top-k crowd, if any; the
    top-k as narrowing takes them (completed trials, then pruned ones)."""
    for round_ in reversed(study.rounds):
        top = store.frozen_trials(session, store.round_top(session, round_.id, k, pruned=True))
        if top:
            edges = {  # a conditional range: of the top-k trials it applied to
                label(domain.name): crowded_edges(used, domain)
                for domain in store.round_space(round_)
                if not isinstance(domain, Choice)
                and (used := [float(t.values[domain.name]) for t in top if domain.name in t.values])
            }
            edges = {name: sides for name, sides in edges.items() if sides}
            return {"round": round_.number, "top_k": len(top), "edges": edges} if edges else None
    return None


#: The dashboard's importance, a first answer in well under a second on the sample of
#: IMPORTANCE_TRIALS: fewer trees, folds and shuffles than ``report --importance``'s 200,
#: 5 and 10 (tests/report/test_importance_forest.py: within the scores' spread).
QUICK_FOREST = {"trees": 30, "folds": 3, "repeats": 5}


def importance_report(
    session: Session,
    study: Study,
    *,
    round_number: int | None = None,
    forest: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Each searched parameter's importance (see :mod:`hpsearch.report.importance`) over the
    completed and pruned trials, each by the best validation accuracy it reached (a
    pruned trial's is what it showed before it was stopped: searches that prune keep
    few trials to the end), with how much of that accuracy they explain. When a parameter
    applied to only some trials, ``applied`` says on how many each was judged (one below
    the minimum has no score). Of more than :data:`IMPORTANCE_TRIALS` trials, a sample of
    that many is judged: ``trials`` says how many, ``of_trials`` of how many. With
    ``forest`` (its ``trees``, ``folds`` and ``repeats``, as :data:`QUICK_FOREST`), the
    forests are so and ``forest`` says it; else they are the method's defaults."""
    from hpsearch.report.importance import parameter_importance  # scikit-learn: only when asked

    every = store.count_searched_trials(session, study, round_number=round_number)
    trials = store.searched_trials(
        session, study, round_number=round_number, most=IMPORTANCE_TRIALS, seed=study.seed
    )
    if study.objective is None:
        scored = [(t.values, s) for t in trials if (s := t.best_or_final_accuracy) is not None]
    else:  # a training function's metric, at its best epoch (a pruned trial's so far)
        scored = [(t.values, s) for t in trials if (s := t.best_or_final_value) is not None]
    result = parameter_importance(
        [values for values, _ in scored],
        [score for _, score in scored],
        seed=study.seed,
        **(forest or {}),
    )
    return (
        {
            "method": "held-out permutation importance of a random forest",
            "trials": result.n_trials,
            "of_trials": every,
            "explained_r2": result.explained,
            "scores": result.scores,
            "spread": result.spread,
        }
        | ({} if study.objective is None else {"metric": study.metric})
        | ({} if forest is None else {"forest": dict(forest)})
        | (
            # a conditional parameter: judged only on the trials it applied to
            {"applied": result.applied}
            if any(n < result.n_trials for n in result.applied.values())
            else {}
        )
    )


@dataclass(frozen=True)
class StudyReport:
    """What ``report`` shows of a study (or of one of its rounds)."""

    study: dict[str, Any]  # its name, seed and settings (export's study record)
    searched: list[str]  # the searched parameters, in the space's order
    rounds: list[dict[str, Any]]  # each round's summary
    leaderboard: tuple[FrozenTrial, ...]  # best first, with searched values and epochs
    crowded: dict[str, Any] | None  # the range edges the best crowd, if any
    evaluations: list[dict[str, Any]]
    importance: dict[str, Any] | None = None  # only when asked for

    @property
    def book(self) -> bool:
        """Whether the study trains the book's network (else a training function)."""
        return "objective" not in self.study

    def document(self) -> dict[str, Any]:
        """The report as ``report --json`` writes it: the leaderboard's rows ranked from 1."""
        return {
            "study": self.study,
            "searched": self.searched,
            "rounds": self.rounds,
            "leaderboard": [
                trial_row(trial, rank, self.book)
                for rank, trial in enumerate(self.leaderboard, start=1)
            ],
            "crowded": self.crowded,
            "evaluations": self.evaluations,
        } | ({"importance": self.importance} if self.importance is not None else {})


def study_report(
    session: Session,
    study: Study,
    *,
    round_number: int | None = None,
    top: int = 10,
    importance: bool = False,
) -> StudyReport:
    """The study's report: its ``top`` best trials (of one round) and its rounds'
    summaries; with ``importance``, its parameters' importance too."""
    trials = store.leaderboard(session, study, round_number=round_number, top=top)
    names = store.searched_names(study)
    rounds = study.rounds
    if round_number is not None:
        rounds = [store.get_round(session, study, round_number)]
    return StudyReport(
        study=study_record(study),
        searched=names,
        rounds=[round_summary(session, round_) for round_ in rounds],
        leaderboard=tuple(store.frozen_trials(session, trials, names=names, epochs=True)),
        crowded=crowding(session, study),
        evaluations=evaluation_rows(session, study.evaluations),
        importance=(
            importance_report(session, study, round_number=round_number) if importance else None
        ),
    )
