"""Tables that fit the terminal they are printed on, and never cut a number.

A :class:`FittedTable` is laid out when it is printed, for the width it is given:

1. a number column (``number=True``) is at least as wide as its widest cell: it is never
   wrapped, folded or cut with ``…``; its header wraps at its spaces when room is short;
2. a text column wraps at its spaces, never narrower than its longest word;
3. on a terminal too narrow for every column, each column's short header and short
   cells (an abbreviated status, a shorter date) are taken; if that is still too wide,
   the columns that matter least (lowest ``keep``, the rightmost first) are left out, and
   the caption says which;
4. printed anywhere but on a terminal (a pipe, a file), the table is whole: every
   column, in full, whatever the width.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

#: A table's own width beyond its cells, per column (the padding each side, a border),
#: and once (the outer border).
PER_COLUMN, PER_TABLE = 3, 1
#: What the note of left-out columns adds.
HINT = "; a wider terminal, or a pipe, shows them"


@dataclass(frozen=True)
class Column:
    """One column: its header and cells in full, and the short forms narrow widths take."""

    header: str
    cells: Sequence[str]
    number: bool = True
    keep: int = 0  # the higher, the longer it stays when columns must go
    short_header: str | None = None
    short_cells: Sequence[str] | None = None
    style: str | None = None
    justify: str | None = None  # default: right for a number, left for text

    def text(self, short: bool) -> tuple[str, Sequence[str]]:
        """The header and cells, short or in full."""
        if not short:
            return self.header, self.cells
        return self.short_header or self.header, self.short_cells or self.cells


def _longest_word(text: str) -> int:
    return max((cell_len(word) for word in text.split()), default=0)


def _longest_line(text: str) -> int:
    return max((cell_len(line) for line in text.splitlines()), default=0)


def widths(column: Column, short: bool) -> tuple[int, int]:
    """The narrowest and the widest a column's cells may be laid out in."""
    header, cells = column.text(short)
    widest = max([_longest_line(header), *map(_longest_line, cells)], default=1)
    if column.number:  # its cells on one line; its header too, given the room
        width = max([_longest_word(header), *map(_longest_line, cells)], default=1)
        return width, max(width, widest)
    narrowest = max([_longest_word(header), *map(_longest_word, cells)], default=1)
    return narrowest, widest


def needed(columns: Sequence[Column], short: bool) -> int:
    """The narrowest the table can be printed in, borders included."""
    return sum(widths(c, short)[0] + PER_COLUMN for c in columns) + PER_TABLE


def fit(columns: Sequence[Column], width: int | None) -> tuple[list[Column], bool]:
    """The columns to print at ``width`` (None: all) and whether in their short forms."""
    kept = list(columns)
    if width is None or needed(kept, False) <= width:
        return kept, False
    order = sorted(reversed(kept), key=lambda c: c.keep)  # least kept, rightmost first
    for column in order:
        if needed(kept, True) <= width or len(kept) == 1:
            break
        kept.remove(column)
    return kept, True


def spread(bounds: Sequence[tuple[int, int]], room: int) -> list[int]:
    """Widths between each (narrowest, widest) pair summing to at most ``room``: each
    column its narrowest, then the rest shared out one at a time to those below their
    widest."""
    sizes = [low for low, _ in bounds]
    left = room - sum(sizes)
    growing = [i for i, (low, high) in enumerate(bounds) if high > low]
    while left > 0 and growing:
        for i in list(growing):
            if left == 0:
                break
            sizes[i] += 1
            left -= 1
            if sizes[i] >= bounds[i][1]:
                growing.remove(i)
    return sizes


class FittedTable:
    """A rich renderable: the table laid out (see the module's rule) when printed."""

    def __init__(
        self,
        title: str | None,
        columns: Sequence[Column],
        *,
        caption: str | None = None,
        hint: str = HINT,
    ) -> None:
        self.title, self.columns, self.caption, self.hint = title, list(columns), caption, hint

    def table(self, width: int | None) -> Table:
        """The rich table laid out for ``width`` (None: whole)."""
        kept, short = fit(self.columns, width)
        bounds = [widths(c, short) for c in kept]
        if width is None:
            sizes = [high for _, high in bounds]
        else:
            sizes = spread(bounds, width - PER_TABLE - PER_COLUMN * len(kept))
        left_out = [c.short_header or c.header for c in self.columns if c not in kept]
        notes = [self.caption] if self.caption else []
        if left_out:
            notes.append(f"Left out at {width} columns: {', '.join(left_out)}{self.hint}.")
        table = Table(
            title=self.title,
            title_justify="left",
            caption="\n".join(notes) or None,
            caption_justify="left",
        )
        for column, size in zip(kept, sizes, strict=True):
            header, _ = column.text(short)
            table.add_column(
                Text(header, no_wrap=False),
                justify=column.justify or ("right" if column.number else "left"),  # type: ignore[arg-type]
                style=column.style,
                no_wrap=column.number,
                overflow="fold",
                width=size,
            )
        for row in zip(*(c.text(short)[1] for c in kept), strict=True):
            table.add_row(*map(Text, row))
        return table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width if console.is_terminal else None
        yield self.table(width)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.table(options.max_width))
