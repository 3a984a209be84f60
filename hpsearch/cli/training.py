"""The options of a new study, defined once for ``start`` and ``auto``.

:func:`study_options` gives a command every option of :class:`NewStudy` in place
of its ``study: NewStudy`` parameter, and hands the command one ``NewStudy``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Annotated, Any

import typer

from hpsearch.errors import UsageError
from hpsearch.settings import StudySettings, parse_hidden
from hpsearch.space import SearchSpace, make_space

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
Dtype = Annotated[str, typer.Option(help="float64 or float32.")]
Seed = Annotated[int, typer.Option(min=0, help="Study seed: same seed, same trials.")]
PrunerName = Annotated[
    str, typer.Option("--pruner", help="Stop hopeless trials early: none, median or asha.")
]


@dataclass(frozen=True)
class NewStudy:
    """A new study's options as typed on the command line, in ``--help``'s order."""

    trials: Trials = 100
    epochs: Epochs = 50
    train_size: TrainSize = "500"
    val_fraction: ValFraction = 0.2
    lr: LrRange = (1e-6, 1e-2)
    weight_decay: DecayRange = (1e-8, 1e-4)
    hidden: Hidden = "6x100"
    activation: Activation = "relu"
    weight_init: WeightInit = "he"
    optimizer: Optimizer = "sgd"
    batch_size: BatchSize = 100
    batchnorm: Batchnorm = False
    dropout: Dropout = 0.0
    dtype: Dtype = "float64"
    seed: Seed = 0
    pruner: PrunerName = "none"

    def settings(self) -> StudySettings:
        return StudySettings(
            train_size=_train_size(self.train_size),
            val_fraction=self.val_fraction,
            epochs=self.epochs,
            batch_size=self.batch_size,
            hidden=parse_hidden(self.hidden),
            activation=self.activation,
            weight_init=self.weight_init,
            optimizer=self.optimizer.lower(),
            batchnorm=self.batchnorm,
            dropout=self.dropout,
            dtype=self.dtype,
        )

    def space(self) -> SearchSpace:
        return make_space(self.lr, self.weight_decay)


def _train_size(value: str) -> int | None:
    if value.lower() == "all":
        return None
    try:
        return int(value)
    except ValueError:
        raise UsageError(f"train size must be a number or 'all', got {value!r}") from None


def _parameters() -> list[inspect.Parameter]:
    hints = inspect.get_annotations(NewStudy, eval_str=True)
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    return [
        inspect.Parameter(field.name, kind, default=field.default, annotation=hints[field.name])
        for field in fields(NewStudy)
    ]


def study_options(command: Callable[..., None]) -> Callable[..., None]:
    """``command`` with the options of :class:`NewStudy` where its ``study`` parameter was."""
    signature = inspect.signature(command, eval_str=True)
    parameters: list[inspect.Parameter] = []
    for parameter in signature.parameters.values():
        parameters.extend(_parameters() if parameter.name == "study" else [parameter])
    names = [field.name for field in fields(NewStudy)]

    @functools.wraps(command)
    def wrapper(**values: Any) -> None:
        study = NewStudy(**{name: values.pop(name) for name in names})
        command(study=study, **values)

    wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
    return wrapper


#: The options' defaults: the book's setting.
DEFAULT_STUDY = NewStudy()
