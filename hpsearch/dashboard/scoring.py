"""What the dashboard scores a study's trials by, and which way is better.

    scoring(study)   the book network's validation accuracy (higher is better), or a
                     training function's metric in the study's direction

A trial's score is its best epoch's value, else its last one's: the book network's
``best_val_accuracy`` / ``val_accuracy``, a function's ``best_value`` / ``value`` (the
study's ``metric``, see docs/objectives.md). A book study's JSON says nothing of its
scoring (it reads as it always has); a function study's carries :meth:`Scoring.described`
under ``scoring``, from which the page heads, orders and colours its charts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func

from hpsearch.plots.data import Score
from hpsearch.space.domains import label
from hpsearch.store.models import Study, Trial


@dataclass(frozen=True)
class Scoring(Score):
    """The figures' score (:class:`~hpsearch.plots.data.Score`), as the dashboard reads it
    in SQL and hands it to the page."""

    @property
    def name(self) -> str:
        """What people read: ``val acc`` for the book network, else the metric's label."""
        return "val acc" if self.book else label(self.metric)

    def score(self) -> ColumnElement[Any]:
        """A trial's score in SQL: its best epoch's value, else its last one's."""
        if self.book:
            return func.coalesce(Trial.best_val_accuracy, Trial.val_accuracy)
        return func.coalesce(Trial.best_value, Trial.value)

    def best_first(self, column: Any) -> Any:
        """``column`` ordered best first."""
        return column.asc() if self.minimize else column.desc()

    def described(self) -> dict[str, Any]:
        """What the page needs to draw the score (a function study's JSON only)."""
        return {
            "metric": self.metric,
            "label": self.name,
            "direction": "minimize" if self.minimize else "maximize",
            "bounded": self.bounded,
        }


def scoring(study: Study) -> Scoring:
    """How ``study``'s trials are scored."""
    return Scoring.of(study)
