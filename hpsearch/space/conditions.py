"""Conditional parameters: which searched parameters apply to a trial, and the rules a
space's conditions follow.

A parameter with a condition (a domain's ``when``, written ``momentum=0.5:0.99 if
optimizer=momentum,nesterov``) applies to a trial only when its parent applies and took
one of the condition's values. A parameter that does not apply has no value in that
trial: it is not drawn into the trial's values, not stored, not narrowed, not judged.

The rules a space's conditions follow (each broken one a UsageError):

- the parent is searched, over choices, and is not the parameter itself;
- at least one of the condition's values is among the parent's choices;
- no cycle: following the parents from a parameter never comes back to it.

The optimizers' own settings are conditional by default (:func:`with_default_conditions`):
each applies only to the optimizers that take it (momentum: ``momentum`` and
``nesterov``; decay_rate: ``rmsprop``; beta1 and beta2: ``adam``), read from the
optimizers' signatures. A condition written for one of them may only narrow that set.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from dataclasses import replace

from hpsearch.errors import UsageError
from hpsearch.space.domains import Choice, Condition, Domain, Value, format_value, label
from trainer import OPTIMIZERS

#: The optimizers' own settings: each goes to the optimizers that take it.
OPTIMIZER_SETTINGS = ("momentum", "decay_rate", "beta1", "beta2")


def optimizers_taking(setting: str) -> tuple[str, ...]:
    """The optimizers whose constructor takes ``setting`` (``momentum``: momentum, nesterov)."""
    return tuple(
        name for name, cls in OPTIMIZERS.items() if setting in inspect.signature(cls).parameters
    )


def check_conditions(domains: Sequence[Domain]) -> None:
    """Raise UsageError unless every condition among ``domains`` follows the rules."""
    by_name = {domain.name: domain for domain in domains}
    for domain in domains:
        when = domain.when
        if when is None:
            continue
        what = f"{label(domain.name)} {when}"
        if when.parent == domain.name:
            raise UsageError(f"{what}: a parameter cannot depend on itself")
        parent = by_name.get(when.parent)
        if parent is None:
            raise UsageError(f"{what}: {label(when.parent)} is not searched (search it too)")
        if not isinstance(parent, Choice):
            raise UsageError(f"{what}: a condition names a parameter searched over choices")
        if not when.texts & {format_value(c) for c in parent.choices}:
            raise UsageError(
                f"{what} never applies: {label(parent.name)} is searched over {parent}"
            )
    for domain in domains:
        chain, name = [domain.name], domain.name
        while (when := by_name[name].when) is not None:
            name = when.parent
            chain.append(name)
            if name == domain.name:
                raise UsageError(f"the conditions form a cycle: {' -> '.join(chain)}")


def dependency_order(domains: Sequence[Domain]) -> list[Domain]:
    """``domains`` with every parent before the parameters that depend on it, otherwise
    in their order (the conditions checked: no cycle)."""
    placed: dict[str, Domain] = {}
    waiting = list(domains)
    while waiting:
        ready = [d for d in waiting if d.when is None or d.when.parent in placed]
        if not ready:  # pragma: no cover  check_conditions refuses cycles first
            raise UsageError("the conditions form a cycle")
        placed |= {d.name: d for d in ready}
        waiting = [d for d in waiting if d.name not in placed]
    return list(placed.values())


def applied_names(domains: Sequence[Domain], values: Mapping[str, Value]) -> list[str]:
    """The parameters that apply to a trial with ``values`` (in the order of
    ``domains``): those without a condition, and those whose parent applied and took one
    of the condition's values."""
    applied: dict[str, Value] = {}
    for domain in dependency_order(domains):
        if domain.name in values and (domain.when is None or domain.when.holds(applied)):
            applied[domain.name] = values[domain.name]
    return [domain.name for domain in domains if domain.name in applied]


def with_default_conditions(domains: Sequence[Domain]) -> list[Domain]:
    """``domains`` with each optimizer setting made conditional on the optimizers that
    take it, when the optimizer is searched; a condition given for a setting must be on
    the optimizer and name only optimizers that take it."""
    searched = {domain.name for domain in domains}
    out = []
    for domain in domains:
        if domain.name in OPTIMIZER_SETTINGS:
            users = optimizers_taking(domain.name)
            if domain.when is not None:
                _check_setting_condition(domain.name, domain.when, users)
            elif "optimizer" in searched:
                domain = replace(domain, when=Condition("optimizer", users))
        out.append(domain)
    return out


def _check_setting_condition(name: str, when: Condition, users: tuple[str, ...]) -> None:
    owners = ", ".join(users)
    if when.parent != "optimizer":
        raise UsageError(
            f"{label(name)} applies only to the optimizers {owners}: its condition can "
            f"name only the optimizer, not {label(when.parent)}"
        )
    others = sorted(when.texts - set(users))
    if others:
        raise UsageError(
            f"{label(name)} {when}: {others[0]} takes no {label(name)} (only {owners} do)"
        )


def check_fixed_optimizer(optimizer: str, domains: Sequence[Domain]) -> None:
    """Raise UsageError if an optimizer setting is searched while the optimizer is not,
    and the study's ``optimizer`` does not take it (it would never apply)."""
    if any(domain.name == "optimizer" for domain in domains):
        return
    for domain in domains:
        if domain.name in OPTIMIZER_SETTINGS and optimizer not in optimizers_taking(domain.name):
            owners = ", ".join(optimizers_taking(domain.name))
            raise UsageError(
                f"{label(domain.name)} applies only to the optimizers {owners}, not to the "
                f"study's optimizer {optimizer}: set --optimizer or search optimizer too"
            )
