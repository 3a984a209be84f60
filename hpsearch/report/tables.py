"""Rich renderings for people: leaderboards, round summaries, evaluations and studies.

Every table is a :class:`~hpsearch.report.fitting.FittedTable`: laid out for the
terminal it is printed on, numbers never cut (the rule is in
:mod:`hpsearch.report.fitting`), numbers written as :mod:`hpsearch.report.numbers`
writes them. The leaderboard's columns can be chosen (:func:`leaderboard_keys`,
:func:`chosen_columns`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hpsearch.errors import UsageError
from hpsearch.report import numbers
from hpsearch.report.fitting import Column, FittedTable
from hpsearch.space.domains import Value, format_value, label
from hpsearch.space.parameters import PARAMETERS
from hpsearch.space.sampling import SearchSpace, TrialParams
from hpsearch.store.status import TrialStatus

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


def _range(bounds: Sequence[float], name: str) -> str:
    return f"{show_value(float(bounds[0]), name)} – {show_value(float(bounds[1]), name)}"


def leaderboard_keys(searched: Sequence[str]) -> list[str]:
    """Every column the leaderboard has, in its order: what ``--columns`` may name."""
    return [*BEFORE, *searched, *AFTER]


def chosen_columns(text: str | None, searched: Sequence[str]) -> list[str] | None:
    """The columns of a comma list (``--columns``), in its order; None for every column.
    A name the leaderboard has not is refused, with the names it has."""
    if text is None:
        return None
    known = leaderboard_keys(searched)
    chosen = [part.strip().replace("-", "_") for part in text.split(",") if part.strip()]
    unknown = [name for name in chosen if name not in known]
    if unknown or not chosen:
        raise UsageError(
            f"unknown column {', '.join(map(repr, unknown)) or 'list'} for the leaderboard: "
            f"choose from {', '.join(known)}"
        )
    return list(dict.fromkeys(chosen))


def leaderboard_table(report: dict[str, Any], columns: Sequence[str] | None = None) -> FittedTable:
    """The best trials: every column, or ``columns`` (keys of :func:`leaderboard_keys`)."""
    rows, searched = report["leaderboard"], report["searched"]

    def cells(key: str) -> list[str]:
        return [str(row[key]) for row in rows]

    def best(row: dict[str, Any]) -> str:
        return f"{numbers.accuracy(row['best_val_accuracy'])} @{row['best_epoch']}"

    made = {
        "rank": Column("rank", cells("rank"), keep=9, short_header="#"),
        "trial": Column("trial", cells("trial"), keep=9),
        "round": Column("round", cells("round"), keep=2, short_header="rnd"),
        **{
            name: Column(
                label(name),
                [show_value(row.get(name), name) for row in rows],
                keep=6,
                short_header=SHORT_LABELS.get(name),
            )
            for name in searched
        },
        "val_accuracy": Column(
            "val acc",
            [numbers.accuracy(row["val_accuracy"]) for row in rows],
            keep=8,
            short_header="val",
            style="bold",
        ),
        "best_val_accuracy": Column(
            "best @epoch", [best(row) for row in rows], keep=4, short_header="best"
        ),
        "train_accuracy": Column(
            "train acc",
            [numbers.accuracy(row["train_accuracy"]) for row in rows],
            keep=3,
            short_header="train",
        ),
        "val_curve": Column(
            "validation curve",
            [sparkline(row["val_curve"]) for row in rows],
            keep=1,
            short_header="curve",
            short_cells=[sparkline(row["val_curve"], width=8) for row in rows],
            justify="left",
        ),
        "status": Column(
            "status",
            cells("status"),
            keep=7,
            short_cells=[SHORT_STATUS.get(row["status"], row["status"]) for row in rows],
            justify="left",
        ),
    }
    keys = leaderboard_keys(searched) if columns is None else columns
    pruned = any(row["status"] == PRUNED for row in rows)
    return FittedTable(
        f"Best trials of {report['study']['name']}",
        [made[key] for key in keys],
        caption=PRUNED_NOTE if pruned else None,
        hint="; --columns chooses them",
    )


def rounds_table(report: dict[str, Any]) -> FittedTable:
    rows = report["rounds"]
    columns = [Column("round", [str(row["round"]) for row in rows], keep=9)]
    for name in ("lr", "weight_decay"):
        if all(name in row for row in rows):
            short = SHORT_LABELS.get(name, name)
            columns += [
                Column(f"{label(name)} range", [_range(row[name], name) for row in rows],
                       keep=8, short_header=short),
                Column("decades", [numbers.decades(row[f"{name}_decades"]) for row in rows],
                       keep=3, short_header=f"{short} dec"),
            ]  # fmt: skip
    if any(row["domains"] for row in rows):
        other = ["\n".join(f"{label(n)} {d}" for n, d in row["domains"].items()) for row in rows]
        columns.append(Column("other domains", other, number=False, keep=5, short_header="other"))

    def parent(row: dict[str, Any]) -> str:
        return "-" if row["narrowed_from"] is None else f"{row['narrowed_from']} ({row['top_k']})"

    def trials(row: dict[str, Any]) -> str:
        statuses = ", ".join(f"{n} {status}" for status, n in sorted(row["statuses"].items()))
        return f"{row['trials']}: {statuses}" + (f" ({row['stale']} stale)" if row["stale"] else "")

    columns += [
        Column("from (top-k)", [parent(row) for row in rows], keep=4, short_header="from"),
        Column("trials", [trials(row) for row in rows], number=False, keep=6),
        Column("best val acc", [numbers.accuracy(row["best_val_accuracy"]) for row in rows],
               keep=7, short_header="best", style="bold"),
    ]  # fmt: skip
    return FittedTable("Rounds", columns)


def evaluations_table(rows: list[dict[str, Any]]) -> FittedTable:
    def test(row: dict[str, Any]) -> str:
        completed = row["status"] == COMPLETED
        return numbers.accuracy(row["test_accuracy"]) if completed else row["status"]

    def settings(row: dict[str, Any]) -> str:
        return ", ".join(f"{label(k)} {show_value(v, k)}" for k, v in row["searched"].items())

    columns = [
        Column("trial", [str(row["trial"]) for row in rows], keep=9),
        Column("lr", [show_value(row["lr"], "lr") for row in rows], keep=8),
        Column("weight decay", [show_value(row["weight_decay"], "weight_decay") for row in rows],
               keep=8, short_header="wd"),
    ]  # fmt: skip
    if any(row.get("searched") for row in rows):
        columns.append(
            Column("other settings", [settings(row) for row in rows], number=False, keep=5)
        )
    columns += [
        Column("epochs", [str(row["epochs"]) for row in rows], keep=1),
        Column("trained on", [str(row["train_samples"]) for row in rows], keep=2,
               short_header="samples"),
        Column("train acc", [numbers.accuracy(row["train_accuracy"]) for row in rows], keep=6,
               short_header="train"),
        Column("test acc", [test(row) for row in rows], keep=10, short_header="test",
               style="bold"),
        Column("seconds", [numbers.seconds(row["seconds"]) for row in rows], keep=3,
               short_header="s"),
        Column("when (UTC)", [str(row["created_at"]) for row in rows], keep=4,
               short_header="when", short_cells=[str(row["created_at"])[:10] for row in rows]),
    ]  # fmt: skip
    return FittedTable("Test-set evaluations", columns)


def crowding_note(crowded: dict[str, Any] | None) -> str | None:
    if not crowded:
        return None
    where = "; ".join(
        f"the {' and '.join(sides)} edge of {name}" for name, sides in crowded["edges"].items()
    )
    return (
        f"The top-{crowded['top_k']} trials of round {crowded['round']} crowd {where}: "
        "better values may lie outside the range (`hpsearch narrow --expand` searches past it)."
    )


def importance_table(importance: dict[str, Any]) -> FittedTable:
    explained = importance["explained_r2"]
    scores = importance["scores"]
    return FittedTable(
        f"Parameter importance ({importance['trials']} trials)",
        [
            Column("parameter", list(scores), number=False, keep=9),
            Column("importance", [f"{score:.2f}" for score in scores.values()], keep=8),
            Column(
                "",
                ["\u2588" * round(score * 20) for score in scores.values()],
                keep=1,
                justify="left",
            ),
        ],  # fmt: skip
        caption=(
            f"{importance['method']}, over the completed and pruned trials; the parameters"
            f" explain R\u00b2 = {explained:.2f} of their best validation accuracy"
            + ("" if explained > 0.1 else ": too little to rank them")
        ),
    )


def space_table(space: SearchSpace) -> FittedTable:
    """Each searched parameter's domain."""
    kinds = [f"{d.kind}" + (" (log)" if getattr(d, "log", False) else "") for d in space]
    return FittedTable(
        "Search space",
        [
            Column("parameter", [label(d.name) for d in space], number=False, keep=9),
            Column("kind", kinds, number=False, keep=5),
            Column("domain", [str(d) for d in space], number=False, keep=8),
        ],
    )


def samples_table(space: SearchSpace, sampled: Sequence[TrialParams]) -> FittedTable:
    """The first trials a round of ``space`` would sample."""
    columns = [Column("number", [str(trial.number) for trial in sampled], keep=9)]
    columns += [
        Column(
            label(name),
            [show_value(trial.values[name], name) for trial in sampled],
            keep=6,
            short_header=SHORT_LABELS.get(name),
        )
        for name in space.names
    ]
    return FittedTable(f"The first {len(sampled)} trials", columns)


def studies_table(studies: list[dict[str, Any]]) -> FittedTable:
    created = [str(row["created_at"]) for row in studies]
    return FittedTable(
        "Studies",
        [
            Column("name", [row["name"] for row in studies], number=False, keep=9),
            Column(
                "created (UTC)",
                created,
                keep=3,
                short_header="created",
                short_cells=[text[:10] for text in created],
            ),
            Column("rounds", [str(row["rounds"]) for row in studies], keep=5),
            Column("trials", [str(row["trials"]) for row in studies], keep=6),
            Column(
                COMPLETED, [str(row[COMPLETED]) for row in studies], keep=7, short_header="done"
            ),
            Column(
                "best val acc",
                [numbers.accuracy(row["best_val_accuracy"]) for row in studies],
                keep=8,
                short_header="best",
                style="bold",
            ),
        ],  # fmt: skip
    )
