"""What a study trains, as ``start`` and ``auto`` are given it: the book network, or a
training function of the user's (:mod:`hpsearch.run.objective`), checked before
anything is stored."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from hpsearch.errors import UsageError
from hpsearch.run.objective import resolve
from hpsearch.settings import Goal


@dataclass(frozen=True)
class Training:
    """What a study trains: the book network (``objective`` None), or the training
    function ``objective`` names (``module:function``) with its fixed ``settings``; and
    the metric it ranks trials by (:class:`~hpsearch.settings.Goal`)."""

    objective: str | None = None
    settings: dict[str, object] = field(default_factory=dict)
    goal: Goal = field(default_factory=Goal)

    def check(self) -> None:
        """UsageError or ObjectiveError unless a worker can run it as stored."""
        if self.objective is None:
            if self.settings:
                raise UsageError("--set gives a training function's settings: add --objective")
            if self.goal != Goal():
                raise UsageError(
                    "the book network ranks by val_accuracy, maximised: "
                    "--metric and --direction need --objective"
                )
            return
        resolve(self.objective)
        try:
            json.dumps(self.settings, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise UsageError(f"fixed settings are plain JSON values: {exc}") from None


BOOK = Training()
