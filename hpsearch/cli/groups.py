"""Groups of options defined once, as dataclasses, and given to every command that
takes them: :func:`grouping` makes the decorator that expands a parameter annotated
with a group into the group's options, and hands the command one instance of it."""

from __future__ import annotations

import copy
import functools
import inspect
from collections.abc import Callable
from dataclasses import fields
from typing import Annotated, Any, get_args

Command = Callable[..., None]


def _expanded(parameter: inspect.Parameter, groups: tuple[type, ...]) -> list[inspect.Parameter]:
    group = parameter.annotation
    if group not in groups:
        return [parameter]
    default = parameter.default if isinstance(parameter.default, group) else group()
    hints = inspect.get_annotations(group, eval_str=True)
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    return [
        inspect.Parameter(
            f.name,
            kind,
            default=getattr(default, f.name),
            annotation=_shown(hints[f.name], getattr(default, f.name) != f.default),
        )
        for f in fields(group)
    ]


def _shown(annotation: Any, own_default: bool) -> Any:
    """The option's annotation; for a command with a default of its own (``worker``'s one
    worker), one whose ``--help`` shows that value instead of the group's default text."""
    if not own_default:
        return annotation
    kind, *infos = get_args(annotation)
    infos = [copy.copy(info) for info in infos]
    for info in infos:
        info.show_default = True
    return Annotated.__class_getitem__((kind, *infos))  # type: ignore[attr-defined]


def grouping(*groups: type) -> Callable[[Command], Command]:
    """The decorator that gives a command each option of ``groups`` in place of a
    parameter annotated with the group (its default gives the options' defaults)."""

    def grouped(command: Command) -> Command:
        signature = inspect.signature(command, eval_str=True)
        found = {
            p.name: p.annotation for p in signature.parameters.values() if p.annotation in groups
        }
        parameters = [new for p in signature.parameters.values() for new in _expanded(p, groups)]

        @functools.wraps(command)
        def wrapper(**values: Any) -> None:
            for name, group in found.items():
                values[name] = group(**{f.name: values.pop(f.name) for f in fields(group)})
            command(**values)

        wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
        return wrapper

    return grouped
