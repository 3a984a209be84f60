"""The live display of a running round: two labelled lines, redrawn as it goes.

    book round 0 ━━━━━━━━━━━━━━━━━━━━  12/100 trials  0:01:02 elapsed  0:07:34 left
    best val acc 0.8250  pruned 7  diverged 1  running 581 (epoch 4), +3 more

(at 80 columns). Every field says what it is. Trials are named by their stored id,
as every table and message names them. The bar takes the room the fields leave (up to
:data:`BAR_WIDTH`), and the running trials as many as fit, the others counted; the
counts and times are never cut. Time left is the mean time per finished trial so far
times the trials left.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.live import Live
from rich.text import Text

from hpsearch.report import numbers
from hpsearch.store.progress import RoundProgress
from hpsearch.store.status import TrialStatus

BAR_WIDTH = 40
#: Statuses the second line always counts, and those it counts when there are any.
ALWAYS = (TrialStatus.PRUNED, TrialStatus.DIVERGED)
WHEN_ANY = (TrialStatus.FAILED, TrialStatus.INTERRUPTED)
GAP = "  "


def clock_text(seconds: float | None) -> str:
    """``H:MM:SS``; ``-:--:--`` when not known."""
    if seconds is None:
        return "-:--:--"
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def _bar(done: int, total: int, width: int) -> Text:
    filled = round(width * done / total) if total else 0
    return Text.assemble(("━" * filled, "bar.finished"), ("━" * (width - filled), "bar.back"))


class LiveLine:
    """A round's progress as :func:`live_progress` shows it; ``update`` gives it a new
    :class:`RoundProgress`. ``clock`` (seconds, monotonic) is for tests."""

    def __init__(self, label: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.label, self.clock = label, clock
        self.started = clock()
        self.snapshot: RoundProgress | None = None

    def update(self, snapshot: RoundProgress) -> None:
        self.snapshot = snapshot

    def first_line(self, width: int) -> Text:
        snapshot, elapsed = self.snapshot, self.clock() - self.started
        done, total = (snapshot.done, snapshot.total) if snapshot else (0, 0)
        left = elapsed / done * (total - done) if done > 0 else None
        fields = [
            f"{done}/{total} trials",
            f"{clock_text(elapsed)} elapsed",
            f"{clock_text(left)} left",
        ]
        line = Text(self.label, style="bold")
        rest = GAP + GAP.join(fields)
        room = min(BAR_WIDTH, width - cell_len(self.label) - cell_len(rest) - len(GAP))
        if room >= 5:
            line.append(" ")
            line.append_text(_bar(done, total, room))
        line.append(rest)
        return line

    def second_line(self, width: int) -> Text:
        snapshot = self.snapshot
        counts = snapshot.counts if snapshot else {}
        best = snapshot.best_val_accuracy if snapshot else None
        fields = [f"best val acc {numbers.accuracy(best)}"]
        fields += [f"{status.value} {counts.get(status, 0)}" for status in ALWAYS]
        fields += [f"{s.value} {counts[s]}" for s in WHEN_ANY if counts.get(s, 0)]
        line = GAP.join(fields)
        running = snapshot.running if snapshot else []
        shown: list[str] = []
        for i, trial in enumerate(running):
            more = len(running) - i - 1
            item = f"{trial.id} (epoch {trial.epochs_run})"
            tail = f", +{more} more" if more else ""
            if cell_len(_running(line, [*shown, item]) + tail) > width:
                break
            shown.append(item)
        if running:
            hidden = len(running) - len(shown)
            text = _running(line, shown) if shown else f"{line}{GAP}running {len(running)}"
            line = text + (f", +{hidden} more" if shown and hidden else "")
        return Text(line)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.first_line(options.max_width)
        yield self.second_line(options.max_width)


def _running(line: str, items: list[str]) -> str:
    return f"{line}{GAP}running {', '.join(items)}"


@contextmanager
def live_progress(console: Console, label: str) -> Iterator[Callable[[RoundProgress], None]]:
    """The live display on ``console``, fed with :class:`RoundProgress` snapshots."""
    line = LiveLine(label)
    with Live(line, console=console, refresh_per_second=4, transient=False):
        yield line.update
