"""The arguments and options shared by commands: single ones, and groups of options
each defined once as a dataclass.

:class:`NewStudy` holds the options of a new study (``start``, ``auto``);
:class:`Running` those of every command that runs trials. :func:`grouped` gives a
command each option of a group in place of a parameter annotated with the group
(its default, if any, gives the options' defaults), and hands the command one
instance of the group.
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Annotated, Any

import typer

from hpsearch.errors import UsageError
from hpsearch.settings import StudySettings, parse_hidden, parse_weight_init
from hpsearch.space.conditions import check_fixed_optimizer
from hpsearch.space.domains import Domain
from hpsearch.space.parameters import parse_spec
from hpsearch.space.sampling import SearchSpace, make_space
from hpsearch.space.space_file import read_space_file

Name = Annotated[str, typer.Argument(help="The study's name.")]
Db = Annotated[
    str | None,
    typer.Option("--db", help="Database URL or SQLite file [default: $HPSEARCH_DB or hpsearch.db]"),
]
DataDir = Annotated[
    str | None,
    typer.Option(
        "--data-dir", help="Folder of the four MNIST files [default: $HPSEARCH_DATA_DIR, cache]"
    ),
]
Verify = Annotated[
    bool,
    typer.Option(
        "--verify/--no-verify", help="Check the MNIST files' MD5 (off for other IDX data)."
    ),
]
Workers = Annotated[
    int,
    typer.Option("--workers", "-w", min=1, help="Worker processes [default: CPU count]."),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No live progress display.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
Columns = Annotated[
    str | None,
    typer.Option(
        metavar="A,B,...",
        help="The leaderboard's columns, in this order (e.g. lr,weight_decay,val_accuracy) "
        "[default: all that fit the terminal]",
        show_default=False,
    ),
]

DEFAULT_WORKERS = os.cpu_count() or 1

DatasetName = Annotated[
    str, typer.Option("--dataset", help="mnist or fashion-mnist (same format, harder).")
]
Trials = Annotated[int, typer.Option(min=1, help="Trials to sample per round (STEP1).")]
Epochs = Annotated[int, typer.Option(min=1, help="Epochs per trial (STEP2).")]
TrainSize = Annotated[str, typer.Option(help="Training samples before the split, or 'all'.")]
ValFraction = Annotated[
    float, typer.Option(help="Share of them held out for validation, in (0, 1).")
]
LrRange = Annotated[
    tuple[float, float], typer.Option("--lr", help="Learning rate range LOW HIGH (log-uniform).")
]
DecayRange = Annotated[
    tuple[float, float], typer.Option(help="Weight decay range LOW HIGH (log-uniform).")
]
Hidden = Annotated[str, typer.Option(help="Hidden layers: 6x100 or 100,100,50.")]
Activation = Annotated[str, typer.Option(help="relu or sigmoid.")]
WeightInit = Annotated[str, typer.Option(help="he, xavier, or a standard deviation.")]
Optimizer = Annotated[str, typer.Option(help="sgd, momentum, nesterov, adagrad, rmsprop or adam.")]
BatchSize = Annotated[int, typer.Option(min=1, help="Mini-batch size.")]
Batchnorm = Annotated[bool, typer.Option(help="Batch normalisation after each affine layer.")]
Dropout = Annotated[float, typer.Option(help="Dropout ratio after each activation.")]
Dtype = Annotated[str, typer.Option(help="float32 or float64 (the book's).")]
Seed = Annotated[int, typer.Option(min=0, help="Study seed: same seed, same trials.")]
SearchSpecs = Annotated[
    list[str] | None,
    typer.Option(
        "--search",
        help="Also search NAME=LOW:HIGH[:log|linear] or NAME=A,B,C (repeatable; see README).",
    ),
]
SpaceFile = Annotated[
    Path | None, typer.Option("--space", help="A TOML file of parameters to search (see README).")
]
PrunerName = Annotated[
    str, typer.Option("--pruner", help="Stop hopeless trials early: none, median or asha.")
]
NarrowPruner = Annotated[
    str | None,
    typer.Option(
        "--pruner",
        help="Stop hopeless trials early: none, median or asha [default: as the last round]",
        show_default=False,
    ),
]


@dataclass(frozen=True)
class NewStudy:
    """A new study's options as typed on the command line, in ``--help``'s order."""

    dataset: DatasetName = "mnist"
    trials: Trials = 100
    epochs: Epochs = 50
    train_size: TrainSize = "500"
    val_fraction: ValFraction = 0.2
    lr: LrRange = (1e-6, 1e-2)
    weight_decay: DecayRange = (1e-8, 1e-4)
    search: SearchSpecs = None
    space_file: SpaceFile = None
    hidden: Hidden = "6x100"
    activation: Activation = "relu"
    weight_init: WeightInit = "he"
    optimizer: Optimizer = "sgd"
    batch_size: BatchSize = 100
    batchnorm: Batchnorm = False
    dropout: Dropout = 0.0
    dtype: Dtype = "float32"  # the book's choices within noise, twice as fast (README)
    seed: Seed = 0
    pruner: PrunerName = "asha"  # a seventh of the compute, the same choice (README)

    def settings(self) -> StudySettings:
        return StudySettings(
            dataset=self.dataset.lower(),
            train_size=_train_size(self.train_size),
            val_fraction=self.val_fraction,
            epochs=self.epochs,
            batch_size=self.batch_size,
            hidden=parse_hidden(self.hidden),
            activation=self.activation,
            weight_init=parse_weight_init(self.weight_init),
            optimizer=self.optimizer.lower(),
            batchnorm=self.batchnorm,
            dropout=self.dropout,
            dtype=self.dtype,
        )

    def space(self) -> SearchSpace:
        domains = [parse_spec(spec) for spec in self.search or []]
        if self.space_file is not None:
            domains += read_space_file(self.space_file)
        searched: dict[str, Domain] = {}
        for domain in domains:
            if domain.name in searched:
                raise UsageError(f"parameter {domain.name!r} is given twice")
            searched[domain.name] = domain
        space = make_space(self.lr, self.weight_decay, searched)
        check_fixed_optimizer(self.optimizer.lower(), space.domains)
        return space


def _train_size(value: str) -> int | None:
    if value.lower() == "all":
        return None
    try:
        return int(value)
    except ValueError:
        raise UsageError(f"train size must be a number or 'all', got {value!r}") from None


@dataclass(frozen=True)
class Running:
    """How a command runs trials: how many workers, on which store and data; how it
    shows them (``quiet``, the leaderboard's ``columns``)."""

    workers: Workers = DEFAULT_WORKERS
    db: Db = None
    data_dir: DataDir = None
    verify: Verify = True
    quiet: Quiet = False
    columns: Columns = None


GROUPS = (NewStudy, Running)


def _expanded(parameter: inspect.Parameter) -> list[inspect.Parameter]:
    group = parameter.annotation
    if group not in GROUPS:
        return [parameter]
    default = parameter.default if isinstance(parameter.default, group) else group()
    hints = inspect.get_annotations(group, eval_str=True)
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    return [
        inspect.Parameter(f.name, kind, default=getattr(default, f.name), annotation=hints[f.name])
        for f in fields(group)
    ]


def grouped(command: Callable[..., None]) -> Callable[..., None]:
    """``command`` with the options of each group where its parameter of the group was."""
    signature = inspect.signature(command, eval_str=True)
    groups = {p.name: p.annotation for p in signature.parameters.values() if p.annotation in GROUPS}
    parameters = [new for p in signature.parameters.values() for new in _expanded(p)]

    @functools.wraps(command)
    def wrapper(**values: Any) -> None:
        for name, group in groups.items():
            values[name] = group(**{f.name: values.pop(f.name) for f in fields(group)})
        command(**values)

    wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
    return wrapper


#: The new study options' defaults: the book's setting, its rounds pruned with asha.
DEFAULT_STUDY = NewStudy()
#: Running with every default (a worker per CPU), and with one worker (``hpsearch worker``).
DEFAULT_RUNNING = Running()
ONE_WORKER = Running(workers=1)
