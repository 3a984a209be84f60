"""The arguments and options shared by commands: single ones, and groups of options
each defined once as a dataclass.

:class:`NewStudy` holds the options of a new study (``start``, ``auto``), :class:`Running`
those of every command that runs trials (:class:`~hpsearch.cli.training.TrainedBy`, what a
new study trains). :func:`grouped` gives a command each option of a group in place of a
parameter annotated with the group (its default gives the options' defaults), and hands
the command one instance of the group."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from hpsearch.cli.choices import Activation, Dataset, Dtype, Optimizer, Pruner, word
from hpsearch.cli.groups import grouping
from hpsearch.cli.training import DEFAULT_TRAINED, TrainedBy
from hpsearch.data.datasets import DATA_DIR_ENVS
from hpsearch.errors import UsageError
from hpsearch.settings import StudySettings, parse_hidden, parse_weight_init
from hpsearch.space.domains import Domain
from hpsearch.space.parameters import parse_spec
from hpsearch.space.sampling import (
    BOOK_LR,
    BOOK_WEIGHT_DECAY,
    SearchSpace,
    make_space,
    own_space,
)
from hpsearch.space.setup import check_book_space
from hpsearch.space.space_file import read_space_file, read_space_text
from hpsearch.store.engine import DB_ENV
from trainer import TrainerError

Name = Annotated[str, typer.Argument(help="The study's name.")]
Db = Annotated[
    str | None,
    typer.Option(
        "--db", envvar=DB_ENV, show_default="hpsearch.db", help="Database URL or SQLite file."
    ),
]


def _data_dir(ctx: typer.Context, param: typer.CallbackParam, value: str | None) -> str | None:
    """A folder named by the environment is left to the data layer, which reads the variable
    of the study's data set and falls back to the cache when the folder lacks files."""
    source = ctx.get_parameter_source(param.name or "")
    return None if source is not None and source.name == "ENVIRONMENT" else value


DataDir = Annotated[
    str | None,
    typer.Option(
        "--data-dir",
        envvar=list(DATA_DIR_ENVS.values()),
        callback=_data_dir,
        show_default="the cache",
        help="Folder of the data set's four files.",
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
    typer.Option("--workers", "-w", min=1, show_default="CPU count", help="Worker processes."),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No live progress display.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
Columns = Annotated[
    str | None,
    typer.Option(
        metavar="A,B,...",
        help="The leaderboard's columns, in this order (e.g. lr,weight_decay,val_accuracy).",
        show_default="all that fit the terminal",
    ),
]

DEFAULT_WORKERS = os.cpu_count() or 1

DatasetName = Annotated[
    Dataset,
    typer.Option(
        "--dataset", case_sensitive=False, help="The data set (same format; Fashion-MNIST harder)."
    ),
]
Trials = Annotated[int, typer.Option(min=1, help="Trials to sample per round (STEP1).")]
Epochs = Annotated[int, typer.Option(min=1, help="Epochs per trial (STEP2).")]
TrainSize = Annotated[str, typer.Option(help="Training samples before the split, or 'all'.")]
ValFraction = Annotated[
    float, typer.Option(help="Share of them held out for validation, in (0, 1).")
]
LrRange = Annotated[
    tuple[float, float] | None,
    typer.Option(
        "--lr",
        show_default="1e-6 1e-2; a training function's: not searched",
        help="Learning rate range LOW HIGH (log-uniform).",
    ),
]
DecayRange = Annotated[
    tuple[float, float] | None,
    typer.Option(
        "--weight-decay",
        show_default="1e-8 1e-4; a training function's: not searched",
        help="Weight decay range LOW HIGH (log-uniform).",
    ),
]
Hidden = Annotated[str, typer.Option(help="Hidden layers: 6x100 or 100,100,50.")]


def _weight_init(value: str) -> str:
    """Refuse, as the parser does a wrong choice, what is neither a name nor a deviation."""
    try:
        parse_weight_init(value)
    except TrainerError as exc:
        raise typer.BadParameter(str(exc)) from None
    return value


ActivationName = Annotated[
    Activation, typer.Option(case_sensitive=False, help="Activation after each affine layer.")
]
WeightInit = Annotated[
    str,
    typer.Option(
        metavar="<he|xavier|STD>",
        callback=_weight_init,
        help="Initial weights' scale: He's, Xavier's, or a standard deviation.",
    ),
]
OptimizerName = Annotated[
    Optimizer, typer.Option("--optimizer", case_sensitive=False, help="The update rule.")
]
BatchSize = Annotated[int, typer.Option(min=1, help="Mini-batch size.")]
Batchnorm = Annotated[bool, typer.Option(help="Batch normalisation after each affine layer.")]
Dropout = Annotated[float, typer.Option(help="Dropout ratio after each activation.")]
DtypeName = Annotated[
    Dtype,
    typer.Option("--dtype", case_sensitive=False, help="Float precision (float64: the book's)."),
]
Seed = Annotated[int, typer.Option(min=0, help="Study seed: same seed, same trials.")]
SearchSpecs = Annotated[
    list[str] | None,
    typer.Option(
        "--search",
        help="Also search NAME=LOW:HIGH[:log|linear] or NAME=A,B,C "
        "(repeatable; see docs/commands.md).",
    ),
]
SpaceFile = Annotated[
    Path | None,
    typer.Option(
        "--space",
        help="A TOML file of parameters to search, - for standard input (see docs/commands.md).",
    ),
]
PrunerName = Annotated[
    Pruner, typer.Option("--pruner", case_sensitive=False, help="Stop hopeless trials early.")
]
NarrowPruner = Annotated[
    Pruner | None,
    typer.Option(
        "--pruner",
        case_sensitive=False,
        show_default="as the last round",
        help="Stop hopeless trials early.",
    ),
]


@dataclass(frozen=True)
class NewStudy:
    """A new study's options as typed on the command line, in ``--help``'s order."""

    dataset: DatasetName = Dataset.mnist
    trials: Trials = 100
    epochs: Epochs = 50
    train_size: TrainSize = "500"
    val_fraction: ValFraction = 0.2
    lr_range: LrRange = None  # --lr: the book's range, BOOK_SPACE's
    weight_decay_range: DecayRange = None  # --weight-decay
    search: SearchSpecs = None
    space_file: SpaceFile = None
    hidden: Hidden = "6x100"
    activation: ActivationName = Activation.relu
    weight_init: WeightInit = "he"
    optimizer: OptimizerName = Optimizer.sgd
    batch_size: BatchSize = 100
    batchnorm: Batchnorm = False
    dropout: Dropout = 0.0
    dtype: DtypeName = Dtype.float32  # the book's choices within noise, twice as fast (README)
    seed: Seed = 0
    pruner: PrunerName = Pruner.asha  # a seventh of the compute, the same choice (README)

    def settings(self) -> StudySettings:
        return StudySettings(
            dataset=word(self.dataset),
            train_size=_train_size(self.train_size),
            val_fraction=self.val_fraction,
            epochs=self.epochs,
            batch_size=self.batch_size,
            hidden=parse_hidden(self.hidden),
            activation=word(self.activation),
            weight_init=parse_weight_init(self.weight_init),
            optimizer=word(self.optimizer),
            batchnorm=self.batchnorm,
            dropout=self.dropout,
            dtype=word(self.dtype),
        )

    def space(self, by: TrainedBy = DEFAULT_TRAINED) -> SearchSpace:
        """The study's space: for the book's network, ``--lr`` and ``--weight-decay`` (the
        book's ranges unless given) and every ``--search``, of the names it takes; for a
        training function of one's own, what is given, of any names."""
        domains = [parse_spec(spec) for spec in self.search or []]
        if self.space_file is not None and str(self.space_file) == "-":  # once a command
            domains += read_space_text(sys.stdin.read())
        elif self.space_file is not None:
            domains += read_space_file(self.space_file)
        searched: dict[str, Domain] = {}
        for domain in domains:
            if domain.name in searched:
                raise UsageError(f"parameter {domain.name!r} is given twice")
            searched[domain.name] = domain
        if not by.book:
            by.training().check()  # a reference that does not import first
            return own_space(self.lr_range, self.weight_decay_range, searched)
        check_book_space(word(self.optimizer), list(searched.values()))
        lr, weight_decay = self.lr_range or BOOK_LR, self.weight_decay_range or BOOK_WEIGHT_DECAY
        return make_space(lr, weight_decay, searched)


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


#: Each command's groups of options, expanded in place (:func:`~hpsearch.cli.groups.grouping`).
grouped = grouping(NewStudy, Running, TrainedBy)


#: The defaults: the book's study with its rounds pruned by asha; running with a worker per
#: CPU, and with one worker (``hpsearch worker``).
DEFAULT_STUDY = NewStudy()
DEFAULT_RUNNING = Running()
ONE_WORKER = Running(workers=1)
