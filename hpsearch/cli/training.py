"""The options that name what a new study trains: a training function and its metric."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated

import typer

from hpsearch.errors import UsageError
from hpsearch.search.training import Training
from hpsearch.settings import BOOK_METRIC, Goal

ObjectiveReference = Annotated[
    str | None,
    typer.Option(
        "--objective",
        show_default="the book's network",
        help="The training function, package.module:function (docs/objectives.md).",
    ),
]
FixedSettings = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="KEY=VALUE",
        show_default=False,
        help="A fixed setting of the training function (a JSON value, else text); repeat.",
    ),
]
Metric = Annotated[str, typer.Option(help="The reported metric trials are ranked by.")]
Direction = Annotated[str, typer.Option(help="maximize or minimize the metric.")]


def parse_setting(text: str) -> tuple[str, object]:
    """``KEY=VALUE``: the value as JSON reads it (``3``, ``0.5``, ``true``), else as text."""
    key, equals, value = text.partition("=")
    if not equals or not key.strip().isidentifier():
        raise UsageError(f"--set {text!r}: write it as KEY=VALUE (key a Python name)")
    try:
        return key.strip(), json.loads(value)
    except json.JSONDecodeError:
        return key.strip(), value


@dataclass(frozen=True)
class TrainedBy:
    """What a new study trains, as typed on the command line."""

    objective: ObjectiveReference = None
    set_: FixedSettings = None  # --set
    metric: Metric = BOOK_METRIC
    direction: Direction = "maximize"

    @property
    def book(self) -> bool:
        """Whether the study trains the book's network (no ``--objective``)."""
        return self.objective is None

    def training(self) -> Training:
        settings = dict(parse_setting(text) for text in self.set_ or [])
        return Training(self.objective, settings, Goal(self.metric, self.direction))


#: The book's network, trained when no --objective is given.
DEFAULT_TRAINED = TrainedBy()
