"""What each page of the dashboard shows, as plain data (served as JSON and CSV).

The numbers are those of ``hpsearch report`` and ``hpsearch studies``: the same
functions of :mod:`hpsearch.report.summaries` read them, and :mod:`hpsearch.store.progress`
adds the counts a running search needs (epochs stored, epochs left, an ETA).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.orm import Session

from hpsearch import store
from hpsearch.dashboard.curves import metric_curves
from hpsearch.dashboard.explore import described_columns
from hpsearch.dashboard.scoring import scoring
from hpsearch.report.export import epoch_record, trial_record
from hpsearch.report.summaries import study_report, study_summary, trial_row
from hpsearch.space.domains import format_value
from hpsearch.space.narrowing import changes
from hpsearch.store import FrozenTrial, progress
from hpsearch.store.metrics import trial_metrics
from hpsearch.store.models import Study
from hpsearch.store.status import STATUSES, TrialStatus

#: The leaderboard's columns: every stored value of a trial, its rank and round first;
#: the study's searched parameters go after its number (see :func:`leaderboard_columns`).
LEADERBOARD_COLUMNS = (
    "rank", "round", "trial", "number", "seed", "status", "epochs_run",
    "val_accuracy", "best_val_accuracy", "best_epoch", "train_accuracy", "started_at",
    "finished_at", "seconds", "worker", "error",
)  # fmt: skip
EPOCH_COLUMNS = ("epoch", "train_accuracy", "val_accuracy", "train_loss", "val_loss", "seconds")
#: Rows of the study page's leaderboard unless asked for more or fewer.
DEFAULT_ROWS = 100
#: Best trials of each study on the comparison page.
COMPARE_BEST = 5


#: A training function's: its metric's last and best value for the accuracies.
FUNCTION_LEADERBOARD_COLUMNS = (
    *LEADERBOARD_COLUMNS[: LEADERBOARD_COLUMNS.index("val_accuracy")], "value", "best_value",
    "best_epoch", *LEADERBOARD_COLUMNS[LEADERBOARD_COLUMNS.index("started_at") :],
)  # fmt: skip


def leaderboard_columns(study: Study) -> list[str]:
    """:data:`LEADERBOARD_COLUMNS` (a function's :data:`FUNCTION_LEADERBOARD_COLUMNS`)
    with the study's searched parameters after the trial's number, in the space's order,
    as ``export`` orders them."""
    own = LEADERBOARD_COLUMNS if study.objective is None else FUNCTION_LEADERBOARD_COLUMNS
    at = own.index("seed")
    return [*own[:at], *store.searched_names(study), *own[at:]]


def _statuses(session: Session, study: Study) -> dict[str, int]:
    counts = store.study_status_counts(session, study)
    return {status.value: counts.get(status, 0) for status in STATUSES}


def studies_rows(session: Session) -> list[dict[str, Any]]:
    """Every study: ``hpsearch studies``'s row, its trials by status and its evaluations."""
    return [
        {
            **study_summary(session, study),
            "statuses": _statuses(session, study),
            "evaluations": len(study.evaluations),
        }
        for study in store.list_studies(session)
    ]


def _record(trial: FrozenTrial, book: bool = True) -> dict[str, Any]:
    """A trial's round and stored values, its other searched parameters included."""
    return {"round": trial.round, **trial_record(trial, book)}


def running_record(trial: FrozenTrial) -> dict[str, Any]:
    """A running trial's record (read with its epochs) with where it stands: its last
    stored epoch, that epoch's accuracies (``-`` only before its first epoch) and its
    validation curve so far."""
    last = trial.epochs[-1] if trial.epochs else None
    return {
        **_record(trial),
        "last_epoch": last.epoch if last else None,
        "last_val_accuracy": last.val_accuracy if last else None,
        "last_train_accuracy": last.train_accuracy if last else None,
        "val_curve": list(trial.val_curve),
    }


def running_metric_record(trial: FrozenTrial, study: Study, curve: list[Any]) -> dict[str, Any]:
    """A training function's running trial: its record, its last reported epoch, the
    study's metric there (``last_value``) and that metric's ``curve`` so far."""
    return {
        **_record(trial, book=False),
        "last_epoch": len(curve) or None,
        "last_value": curve[-1] if curve else None,
        "curve": curve,
    }


def _running(session: Session, study: Study) -> list[dict[str, Any]]:
    running = store.frozen_trials(
        session,
        progress.running_trials(session, study),
        names=store.searched_names(study),
        epochs=study.objective is None,
    )
    if study.objective is None:
        return [running_record(trial) for trial in running]
    curves = metric_curves(session, study, [trial.id for trial in running])
    return [running_metric_record(t, study, curves[t.id]["values"]) for t in running]


def study_page(session: Session, study: Study, *, rows: int = DEFAULT_ROWS) -> dict[str, Any]:
    """``hpsearch report --json --top ROWS`` with the study's progress and running trials.

    ``version`` changes whenever an epoch is stored or a trial changes status: the
    page redraws its figures only then.
    """
    report = study_report(session, study, top=rows).document()
    so_far = progress.study_progress(session, study)
    statuses = _statuses(session, study)
    own = scoring(study)
    return {
        **report,
        "columns": leaderboard_columns(study),
        "statuses": statuses,
        "progress": {
            "done": sum(n for s, n in statuses.items() if s in _FINISHED_WORDS),
            "running": statuses[TrialStatus.RUNNING],
            "pending": statuses[TrialStatus.PENDING] + statuses[TrialStatus.INTERRUPTED],
            "epochs_stored": so_far.epochs_stored,
            "epochs_left": so_far.epochs_left,
            "epoch_seconds": so_far.epoch_seconds,
            "eta_seconds": so_far.eta_seconds,
        },
        "running": _running(session, study),
        "narrowed": narrowing_notes(study),
        "version": "-".join(str(n) for n in (so_far.epochs_stored, *statuses.values())),
    } | ({} if own.book else {"scoring": own.described()})


def narrowing_notes(study: Study) -> list[dict[str, Any]]:
    """What ``narrow`` said it left behind, for each narrowed round that left something:
    the choices it dropped and the parameters it kept out (with why), by label."""
    notes = []
    for round_ in study.rounds:
        if round_.parent is None:
            continue
        k = round_.top_k or 0
        dropped, kept_out = changes(store.round_space(round_.parent), store.round_space(round_), k)
        if dropped or kept_out:
            notes.append(
                {
                    "round": round_.number,
                    "narrowed_from": round_.parent.number,
                    "top_k": k,
                    "dropped": {n: [format_value(v) for v in vs] for n, vs in dropped.items()},
                    "kept_out": kept_out,
                }
            )
    return notes


_FINISHED_WORDS = {status.value for status in STATUSES if status.is_finished}


def trial_page(trial: FrozenTrial) -> dict[str, Any]:
    """A trial's stored values (read with the study's searched parameters), its last
    stored epoch and that epoch's accuracies (a running trial's so far), and every epoch
    it ran (read with its epochs)."""
    last = trial.epochs[-1] if trial.epochs else None
    record = _record(trial)
    keys = list(record)
    at = keys.index("epochs_run") + 1  # where it stands, beside its status
    return {
        **{key: record[key] for key in keys[:at]},
        "last_epoch": last.epoch if last else None,
        "last_val_accuracy": last.val_accuracy if last else None,
        "last_train_accuracy": last.train_accuracy if last else None,
        **{key: record[key] for key in keys[at:]},
        "epochs": [epoch_record(epoch) for epoch in trial.epochs],
    }


def metric_trial_page(session: Session, study: Study, trial: FrozenTrial) -> dict[str, Any]:
    """A training function's trial: its stored values, its last reported epoch, and every
    report (``epochs``: the epoch and each metric it reported, by name; ``metrics``:
    those names, the study's metric first)."""
    reports = trial_metrics(session, [trial.id])[trial.id]
    record = _record(trial, book=False)
    keys = list(record)
    at = keys.index("epochs_run") + 1
    names = sorted({name for report in reports for name in report})
    names.sort(key=lambda name: name != study.metric)
    return {
        **{key: record[key] for key in keys[:at]},
        "last_epoch": len(reports) or None,
        **{key: record[key] for key in keys[at:]},
        "metrics": names,
        "scoring": scoring(study).described(),
        "epochs": [{"epoch": epoch, **report} for epoch, report in enumerate(reports, 1)],
    }


def compare_page(session: Session, studies: Sequence[Study]) -> list[dict[str, Any]]:
    """Each study's summary, its searched parameters and its best trials, as ``report``
    ranks them."""
    result = []
    for study in studies:
        best = store.leaderboard(session, study, top=COMPARE_BEST)
        names = store.searched_names(study)
        book = study.objective is None
        rows = [
            trial_row(trial, rank, book)
            for rank, trial in enumerate(store.frozen_trials(session, best, names=names), start=1)
        ]
        formats = described_columns(session, study)["formats"]
        result.append(
            {**study_summary(session, study), "parameters": names, "formats": formats, "best": rows}
        )
    return result


def csv_text(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> str:
    """``rows`` as CSV with a header of ``columns`` (other keys left out)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
