"""How a trial's values become the book network's settings and its optimizer's arguments."""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from hpsearch.settings import StudySettings, parse_hidden, parse_weight_init
from hpsearch.space.conditions import OPTIMIZER_SETTINGS, check_fixed_optimizer
from hpsearch.space.domains import Domain, Value
from hpsearch.space.parameters import check_book_names
from trainer import OPTIMIZERS


def check_book_space(optimizer: str, domains: Sequence[Domain]) -> None:
    """UsageError unless the book's network, with ``optimizer`` unless it is searched,
    takes every parameter of ``domains``."""
    check_book_names(domain.name for domain in domains)
    check_fixed_optimizer(optimizer, domains)


@dataclass(frozen=True)
class TrialSetup:
    """What one trial trains with: the study's settings with its values in place."""

    settings: StudySettings
    optimizer_params: dict[str, float]
    weight_decay: float = 0.0  # the network's L2 lambda


def trial_setup(settings: StudySettings, values: Mapping[str, Value]) -> TrialSetup:
    """The settings and optimizer parameters of a trial with ``values``."""
    fixed = {"lr", "weight_decay", "hidden", "hidden_size", "hidden_layers", *OPTIMIZER_SETTINGS}
    changes: dict[str, Any] = {k: v for k, v in values.items() if k not in fixed}
    if "weight_init" in changes:
        changes["weight_init"] = parse_weight_init(str(changes["weight_init"]))
    if "hidden" in values:
        changes["hidden"] = parse_hidden(str(values["hidden"]))
    elif "hidden_size" in values or "hidden_layers" in values:
        width = int(values.get("hidden_size", settings.hidden[0]))
        depth = int(values.get("hidden_layers", len(settings.hidden)))
        changes["hidden"] = (width,) * depth
    trial_settings = replace(settings, **changes) if changes else settings
    accepted = inspect.signature(OPTIMIZERS[trial_settings.optimizer]).parameters
    own = ("lr", *OPTIMIZER_SETTINGS)  # lr unsearched: the optimizer's own default
    params = {k: float(values[k]) for k in own if k in values and k in accepted}
    return TrialSetup(trial_settings, params, float(values.get("weight_decay", 0.0)))
