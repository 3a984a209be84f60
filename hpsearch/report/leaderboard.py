"""The leaderboard as a table for people: its columns, which of them ``--columns`` may
choose, and how a searched value is written in it.

Trials are ranked by the store (:func:`hpsearch.store.trials.leaderboard`: the best
final validation accuracy first, completed and pruned trials together); the table
marks each with its status and, when one was pruned, says what a pruned trial's
accuracy is and how ``narrow`` takes its top-k instead. Laid out for the terminal as
:mod:`hpsearch.report.fitting` lays out every table: numbers never cut, the columns
that matter least left out first (the curve, the round, train and best accuracy, then
the searched parameters, rightmost first).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from hpsearch.errors import UsageError
from hpsearch.report import numbers
from hpsearch.report.fitting import Column, FittedTable
from hpsearch.space.domains import Value, format_value, label
from hpsearch.space.parameters import PARAMETERS
from hpsearch.store import FrozenTrial
from hpsearch.store.status import TrialStatus

if TYPE_CHECKING:
    from hpsearch.report.summaries import StudyReport

COMPLETED = TrialStatus.COMPLETED.value  # the word, as a column and a key
PRUNED = TrialStatus.PRUNED.value

BLOCKS = "▁▂▃▄▅▆▇█"

#: Parameters' headers on a narrow terminal.
SHORT_LABELS = {
    "weight_decay": "wd", "batch_size": "batch", "batchnorm": "bn", "hidden_layers": "layers",
    "optimizer": "opt", "dropout": "drop", "activation": "act", "weight_init": "init",
}  # fmt: skip
#: Statuses on a narrow terminal.
SHORT_STATUS = {COMPLETED: "done"}

#: The leaderboard's columns (keys of the report's rows) around the searched parameters,
#: which go after ``round``.
BEFORE = ("rank", "trial", "round")
AFTER = ("val_accuracy", "best_val_accuracy", "train_accuracy", "val_curve", "status")
#: A training function's: the study's metric at the last epoch and at the best.
FUNCTION_AFTER = ("value", "best_value", "status")

PRUNED_NOTE = (
    "pruned: stopped early by the pruner, its accuracies are of the epochs it ran; "
    "narrow takes a round's best completed trials (pruned ones only to make up the top-k)."
)


def sparkline(values: Sequence[float], width: int = 16, low: float = 0.0, high: float = 1.0) -> str:
    """A curve of values in [low, high] as block characters, at most ``width`` wide."""
    if not values:
        return ""
    if len(values) > width:  # sample evenly, keeping the first and the last
        step = (len(values) - 1) / (width - 1)
        values = [values[round(i * step)] for i in range(width)]
    span = high - low
    levels = len(BLOCKS) - 1
    return "".join(BLOCKS[min(levels, max(0, round((v - low) / span * levels)))] for v in values)


def show_value(value: Value | None, name: str = "") -> str:
    """A searched value as tables print it: a log-scale parameter's float in compact
    scientific form (``2.47e-3``), another float to 3 significant digits."""
    if value is None:
        return ""
    if isinstance(value, float):
        known = PARAMETERS.get(name)
        return numbers.scientific(value) if known and known.log else numbers.significant(value)
    return format_value(value)


def leaderboard_keys(searched: Sequence[str], book: bool = True) -> list[str]:
    """Every column the leaderboard has (of a training function's study, unless ``book``),
    in its order: what ``--columns`` may name."""
    return [*BEFORE, *searched, *(AFTER if book else FUNCTION_AFTER)]


def chosen_columns(
    text: str | None, searched: Sequence[str], book: bool = True
) -> list[str] | None:
    """The columns of a comma list (``--columns``), in its order; None for every column.
    A name the leaderboard has not is refused, with the names it has."""
    if text is None:
        return None
    known = leaderboard_keys(searched, book)
    chosen = [part.strip().replace("-", "_") for part in text.split(",") if part.strip()]
    unknown = [name for name in chosen if name not in known]
    if unknown or not chosen:
        raise UsageError(
            f"unknown column {', '.join(map(repr, unknown)) or 'list'} for the leaderboard: "
            f"choose from {', '.join(known)}"
        )
    return list(dict.fromkeys(chosen))


def leaderboard_table(report: StudyReport, columns: Sequence[str] | None = None) -> FittedTable:
    """The best trials: every column, or ``columns`` (keys of :func:`leaderboard_keys`)."""
    trials, searched = report.leaderboard, report.searched
    statuses = [trial.status.value for trial in trials]

    def best(trial: FrozenTrial) -> str:
        return f"{numbers.accuracy(trial.best_val_accuracy)} @{trial.best_epoch}"

    made = {
        "rank": Column(
            "rank", [str(rank) for rank in range(1, len(trials) + 1)], keep=9, short_header="#"
        ),
        "trial": Column("trial", [str(trial.id) for trial in trials], keep=9),
        "round": Column(
            "round", [str(trial.round) for trial in trials], keep=2, short_header="rnd"
        ),
        **{
            name: Column(
                label(name),
                [show_value(trial.values.get(name), name) for trial in trials],
                keep=6,
                short_header=SHORT_LABELS.get(name),
            )
            for name in searched
        },
        "val_accuracy": Column(
            "val acc",
            [numbers.accuracy(trial.val_accuracy) for trial in trials],
            keep=8,
            short_header="val",
            style="bold",
        ),
        "best_val_accuracy": Column(
            "best @epoch", [best(trial) for trial in trials], keep=4, short_header="best"
        ),
        "train_accuracy": Column(
            "train acc",
            [numbers.accuracy(trial.train_accuracy) for trial in trials],
            keep=3,
            short_header="train",
        ),
        "val_curve": Column(
            "validation curve",
            [sparkline(trial.val_curve) for trial in trials],
            keep=1,
            short_header="curve",
            short_cells=[sparkline(trial.val_curve, width=8) for trial in trials],
            justify="left",
        ),
        "status": Column(
            "status",
            statuses,
            keep=7,
            short_cells=[SHORT_STATUS.get(status, status) for status in statuses],
            justify="left",
        ),
    }
    metric = report.study.get("metric", "val_accuracy")
    made |= {
        "value": Column(
            label(metric),
            [numbers.metric(trial.value, metric) for trial in trials],
            keep=8,
            style="bold",
        ),
        "best_value": Column(
            "best @epoch",
            [f"{numbers.metric(t.best_value, metric)} @{t.best_epoch}" for t in trials],
            keep=4,
            short_header="best",
        ),
    }
    keys = leaderboard_keys(searched, report.book) if columns is None else columns
    pruned = PRUNED in statuses
    return FittedTable(
        f"Best trials of {report.study['name']}",
        [made[key] for key in keys],
        caption=PRUNED_NOTE if pruned else None,
        hint="; --columns chooses them",
    )
