"""Rich renderings for people: leaderboards, round summaries and the live progress."""

from __future__ import annotations

import shlex
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from hpsearch.space.domains import Value, format_value, label
from hpsearch.space.sampling import SearchSpace, TrialParams
from hpsearch.store.progress import RoundProgress
from hpsearch.store.status import TrialStatus

COMPLETED = TrialStatus.COMPLETED.value  # the word, as a column and a key

BLOCKS = "▁▂▃▄▅▆▇█"


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


def _acc(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def utc_time(stored: str | None) -> str:
    """A stored time (UTC, kept without its offset) as printed: with it, ``+00:00``."""
    if not stored:
        return "-"
    return stored if stored.endswith(("Z", "+00:00")) else f"{stored}+00:00"


def _range(bounds: Sequence[float]) -> str:
    return f"{bounds[0]:.3g} – {bounds[1]:.3g}"


def leaderboard_table(report: dict[str, Any]) -> Table:
    table = Table(title=f"Best trials of {report['study']['name']}", title_justify="left")
    searched = report["searched"]
    for header in ("rank", "trial", "round", *map(label, searched)):
        table.add_column(header, justify="right")
    table.add_column("val acc", justify="right", style="bold")
    table.add_column("best @epoch", justify="right")
    table.add_column("train acc", justify="right")
    table.add_column("validation curve")
    table.add_column("status")
    for row in report["leaderboard"]:
        table.add_row(
            str(row["rank"]),
            str(row["trial"]),
            str(row["round"]),
            *("" if row.get(name) is None else show_value(row[name]) for name in searched),
            _acc(row["val_accuracy"]),
            f"{_acc(row['best_val_accuracy'])} @{row['best_epoch']}",
            _acc(row["train_accuracy"]),
            sparkline(row["val_curve"]),
            row["status"],
        )
    return table


def rounds_table(report: dict[str, Any]) -> Table:
    table = Table(title="Rounds", title_justify="left")
    table.add_column("round", justify="right")
    table.add_column("lr range")
    table.add_column("decades", justify="right")
    table.add_column("weight decay range")
    table.add_column("decades", justify="right")
    others = any(row["domains"] for row in report["rounds"])
    if others:
        table.add_column("other domains")
    table.add_column("from (top-k)")
    table.add_column("trials")
    table.add_column("best val acc", justify="right", style="bold")
    for row in report["rounds"]:
        statuses = ", ".join(f"{n} {status}" for status, n in sorted(row["statuses"].items()))
        if row["stale"]:
            statuses += f" ({row['stale']} stale)"
        parent = "-" if row["narrowed_from"] is None else f"{row['narrowed_from']} ({row['top_k']})"
        table.add_row(
            str(row["round"]),
            _range(row["lr"]),
            f"{row['lr_decades']:.2f}",
            _range(row["weight_decay"]),
            f"{row['weight_decay_decades']:.2f}",
            *(["\n".join(f"{label(n)} {d}" for n, d in row["domains"].items())] if others else []),
            parent,
            f"{row['trials']}: {statuses}",
            _acc(row["best_val_accuracy"]),
        )
    return table


def evaluations_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="Test-set evaluations", title_justify="left")
    for header in ("trial", "lr", "weight decay"):
        table.add_column(header, justify="right")
    searched = any(row.get("searched") for row in rows)
    if searched:
        table.add_column("other settings")
    for header in ("epochs", "trained on", "train acc"):
        table.add_column(header, justify="right")
    table.add_column("test acc", justify="right", style="bold")
    table.add_column("seconds", justify="right")
    table.add_column("when (UTC)")
    for row in rows:
        table.add_row(
            str(row["trial"]),
            f"{row['lr']:.2e}",
            f"{row['weight_decay']:.2e}",
            *(
                [", ".join(f"{label(k)} {show_value(v)}" for k, v in row["searched"].items())]
                if searched
                else []
            ),
            str(row["epochs"]),
            str(row["train_samples"]),
            _acc(row["train_accuracy"]),
            _acc(row["test_accuracy"]) if row["status"] == COMPLETED else row["status"],
            f"{row['seconds']:.1f}",
            utc_time(row["created_at"]),
        )
    return table


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
        f"better values may lie outside the range (`{command}` searches past it)."
    )


def importance_table(importance: dict[str, Any]) -> Table:
    explained = importance["explained_r2"]
    table = Table(
        title=f"Parameter importance ({importance['trials']} trials)",
        caption=(
            f"{importance['method']}, over the completed and pruned trials; the parameters"
            f" explain R\u00b2 = {explained:.2f} of their best validation accuracy"
            + ("" if explained > 0.1 else ": too little to rank them")
        ),
    )
    table.add_column("parameter")
    table.add_column("importance", justify="right")
    table.add_column("")
    for name, score in importance["scores"].items():
        table.add_row(name, f"{score:.2f}", "\u2588" * round(score * 20))
    return table


def space_table(space: SearchSpace) -> Table:
    """Each searched parameter's domain."""
    table = Table(title="Search space")
    for header in ("parameter", "kind", "domain"):
        table.add_column(header)
    for domain in space:
        kind = f"{domain.kind}" + (" (log)" if getattr(domain, "log", False) else "")
        table.add_row(label(domain.name), kind, str(domain))
    return table


def samples_table(space: SearchSpace, sampled: Sequence[TrialParams]) -> Table:
    """The first trials a round of ``space`` would sample."""
    table = Table(title=f"The first {len(sampled)} trials")
    table.add_column("trial", justify="right")
    for name in space.names:
        table.add_column(label(name), justify="right")
    for trial in sampled:
        table.add_row(str(trial.number), *(show_value(trial.values[n]) for n in space.names))
    return table


def show_value(value: Value) -> str:
    """A value as tables print it: floats to 3 significant digits."""
    return f"{value:.3g}" if isinstance(value, float) else format_value(value)


def studies_table(studies: list[dict[str, Any]]) -> Table:
    table = Table(title="Studies", title_justify="left")
    table.add_column("name")
    table.add_column("created (UTC)")
    table.add_column("rounds", justify="right")
    table.add_column("trials", justify="right")
    table.add_column(COMPLETED, justify="right")
    table.add_column("best val acc", justify="right", style="bold")
    for row in studies:
        table.add_row(
            row["name"],
            utc_time(row["created_at"]),
            str(row["rounds"]),
            str(row["trials"]),
            str(row[COMPLETED]),
            _acc(row["best_val_accuracy"]),
        )
    return table


@contextmanager
def live_progress(console: Console, label: str) -> Iterator[Any]:
    """A progress bar fed with :class:`RoundProgress` snapshots."""
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("best val acc {task.fields[best]}"),
        TextColumn("{task.fields[running]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )
    task = progress.add_task(label, total=None, best="-", running="")

    def update(snapshot: RoundProgress) -> None:
        running = ", ".join(f"#{n}@{e}" for n, e in snapshot.running[:4])
        if len(snapshot.running) > 4:
            running += ", …"
        progress.update(
            task,
            total=snapshot.total,
            completed=snapshot.done,
            best=_acc(snapshot.best_val_accuracy),
            running=f"running {running}" if running else "",
        )

    with progress:
        yield update
