"""Rich renderings for people: round summaries, evaluations, studies, importance and
a dry run's space (the leaderboard's is :mod:`hpsearch.report.leaderboard`).

Every table is a :class:`~hpsearch.report.fitting.FittedTable`: laid out for the
terminal it is printed on, numbers never cut (the rule is in
:mod:`hpsearch.report.fitting`), numbers written as :mod:`hpsearch.report.numbers`
writes them.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hpsearch.report import numbers
from hpsearch.report.fitting import Column, FittedTable
from hpsearch.report.importance import MIN_TRIALS
from hpsearch.report.leaderboard import COMPLETED, SHORT_LABELS, show_value
from hpsearch.space.domains import label
from hpsearch.space.sampling import SearchSpace, TrialParams

if TYPE_CHECKING:
    from hpsearch.report.summaries import StudyReport


def utc_time(stored: str | None) -> str:
    """A stored time (UTC, kept without its offset) as printed: with it, ``+00:00``."""
    if not stored:
        return "-"
    return stored if stored.endswith(("Z", "+00:00")) else f"{stored}+00:00"


def _range(bounds: Sequence[float], name: str) -> str:
    return f"{show_value(float(bounds[0]), name)} – {show_value(float(bounds[1]), name)}"


def rounds_table(report: StudyReport) -> FittedTable:
    rows = report.rounds
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

    if any("sampler" in row for row in rows):
        sampled = [f"{row.get('sampler', 'random')} {row.get('sampler_batch', '')}" for row in rows]
        columns.append(
            Column("sampler (batch)", sampled, number=False, keep=6, short_header="sampler")
        )
    columns += [
        Column("from (top-k)", [parent(row) for row in rows], keep=4, short_header="from"),
        Column("trials", [trials(row) for row in rows], number=False, keep=6),
        Column(*_best(rows, report.study.get("metric")), keep=7, short_header="best",
               style="bold"),
    ]  # fmt: skip
    return FittedTable("Rounds", columns)


def _best(rows: list[dict[str, Any]], metric: str | None) -> tuple[str, list[str]]:
    """The header and cells of a best column: the best validation accuracy, or for a
    training function's study (``metric``) the best value of its metric."""
    if metric is None:
        return "best val acc", [numbers.accuracy(row["best_val_accuracy"]) for row in rows]
    return f"best {label(metric)}", [numbers.metric(row["best_value"], metric) for row in rows]


def evaluations_table(rows: list[dict[str, Any]]) -> FittedTable:
    def test(row: dict[str, Any]) -> str:
        completed = row["status"] == COMPLETED
        return numbers.accuracy(row["test_accuracy"]) if completed else row["status"]

    def settings(row: dict[str, Any]) -> str:
        return ", ".join(f"{label(k)} {show_value(v, k)}" for k, v in row["searched"].items())

    if any("test" in row for row in rows):
        return _function_evaluations(rows)
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
        Column("when (UTC)", [utc_time(row["created_at"]) for row in rows], keep=4,
               short_header="when", short_cells=[str(row["created_at"])[:10] for row in rows]),
    ]  # fmt: skip
    return FittedTable("Test-set evaluations", columns)


def _function_evaluations(rows: list[dict[str, Any]]) -> FittedTable:
    """A training function's test evaluations: the trial, its values, what its test measured."""

    def values(row: dict[str, Any]) -> str:
        searched = {**{k: row[k] for k in ("lr", "weight_decay") if k in row}, **row["searched"]}
        return ", ".join(f"{label(k)} {show_value(v, k)}" for k, v in searched.items())

    def measured(row: dict[str, Any]) -> str:
        test = row.get("test") or {}
        return ", ".join(f"{label(k)} {numbers.metric(v, k)}" for k, v in test.items())

    return FittedTable(
        "Test-set evaluations",
        [
            Column("trial", [str(row["trial"]) for row in rows], keep=9),
            Column("settings", [values(row) for row in rows], number=False, keep=5),
            Column("test", [measured(row) for row in rows], number=False, keep=10),
            Column(
                "seconds",
                [numbers.seconds(row["seconds"]) for row in rows],
                keep=3,
                short_header="s",
            ),
            Column(
                "when (UTC)",
                [utc_time(row["created_at"]) for row in rows],
                keep=4,
                short_header="when",
            ),
        ],  # fmt: skip
    )


def crowding_note(crowded: dict[str, Any] | None, name: str = "NAME") -> str | None:
    """The note under study ``name``'s report when its top trials crowd a range's edge,
    with the command that narrows past that edge."""
    if not crowded:
        return None
    command = f"hpsearch narrow {shlex.quote(name)} --top-k {crowded['top_k']} --expand"
    where = "; ".join(
        f"the {' and '.join(sides)} edge of {name}" for name, sides in crowded["edges"].items()
    )
    return (
        f"The top-{crowded['top_k']} trials of round {crowded['round']} crowd {where}: "
        f"better values may lie outside the range. To search past it:\n    {command}"
    )


def importance_table(importance: dict[str, Any]) -> FittedTable:
    explained = importance["explained_r2"]
    scores = importance["scores"]
    applied = importance.get("applied", {})
    unscored = [name for name in applied if name not in scores]
    names = [*scores, *unscored]
    columns = [
        Column("parameter", names, number=False, keep=9),
        Column("importance", [f"{scores[n]:.2f}" if n in scores else "" for n in names], keep=8),
    ]
    if applied:
        columns.append(Column("on trials", [str(applied[n]) for n in names], keep=7))
    columns.append(
        Column("", ["\u2588" * round(scores.get(n, 0) * 20) for n in names], keep=1, justify="left")
    )
    every, judged = importance.get("of_trials", importance["trials"]), importance["trials"]
    over = "the completed and pruned trials"
    if judged < every:  # a sample (summaries.IMPORTANCE_TRIALS)
        over = f"a sample of {judged} of the {every} completed and pruned trials"
    caption = (
        f"{importance['method']}, over {over}; the parameters"
        f" explain R\u00b2 = {explained:.2f} of their best "
        + label(importance.get("metric", "validation accuracy"))
        + ("" if explained > 0.1 else ": too little to rank them")
    )
    if applied:
        caption += (
            "; a parameter that applied to only some trials is judged on those alone (its "
            f"score a share of theirs), with at least {MIN_TRIALS} of them"
        )
    return FittedTable(f"Parameter importance ({importance['trials']} trials)", columns,
                       caption=caption)  # fmt: skip


def space_table(space: SearchSpace) -> FittedTable:
    """Each searched parameter's domain."""
    kinds = [f"{d.kind}" + (" (log)" if getattr(d, "log", False) else "") for d in space]
    return FittedTable(
        "Search space",
        [
            Column("parameter", [label(d.name) for d in space], number=False, keep=9),
            Column("kind", kinds, number=False, keep=5),
            Column("domain", [str(d) for d in space], number=False, keep=8),
            *(
                [Column("applies", [str(d.when or "always") for d in space], number=False, keep=7)]
                if space.conditional
                else []
            ),
        ],
    )


def samples_table(space: SearchSpace, sampled: Sequence[TrialParams]) -> FittedTable:
    """The first trials a round of ``space`` would sample; a parameter that does not apply
    to a trial is blank (it has no value there)."""
    columns = [Column("number", [str(trial.number) for trial in sampled], keep=9)]
    columns += [
        Column(
            label(name),
            [show_value(trial.values.get(name), name) for trial in sampled],
            keep=6,
            short_header=SHORT_LABELS.get(name),
        )
        for name in space.names
    ]
    return FittedTable(f"The first {len(sampled)} trials", columns)


def studies_table(studies: list[dict[str, Any]]) -> FittedTable:
    created = [utc_time(row["created_at"]) for row in studies]
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
                "best" if any("metric" in row for row in studies) else "best val acc",
                [_study_best(row) for row in studies],
                keep=8,
                short_header="best",
                style="bold",
            ),
        ],  # fmt: skip
    )


def _study_best(row: dict[str, Any]) -> str:
    """A study's best: its validation accuracy, or a training function's metric, named."""
    if "metric" not in row:
        return numbers.accuracy(row["best_val_accuracy"])
    return f"{numbers.metric(row['best_value'], row['metric'])} {label(row['metric'])}"
