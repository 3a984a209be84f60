"""The study page's leaderboard: every trial with a score, filtered, sorted and paged in
SQL, so a page of a study of 100,000 trials is two small queries and 50 rows of JSON.

    leaderboard_page(session, study, view)   the page ``view`` asks for

A trial is on the leaderboard when it has a score (its best epoch's accuracy, else its
last one's; a training function's metric so, see :mod:`.scoring`) and is not running;
unless asked otherwise, the best come first (a minimised metric's lowest). A column's
filter is the text typed under its header: a range ``0.001..0.01`` (either end may be
left out), a bound ``>0.9``, ``<=5``, or values ``adam, sgd`` (text compared without
case; a number column's values as numbers). A text column takes values only. The
parallel coordinates' brush adds, per column, the intervals kept (a range column's, in
its own units) or the values kept (a choice's); a trial passes when it lies in one of
each brushed column's. Ties sort by trial id; a missing value sorts last either way.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from hpsearch.dashboard.explore import described_columns, trial_columns
from hpsearch.dashboard.scoring import scoring
from hpsearch.store.models import Round, Study, Trial, TrialParam
from hpsearch.store.status import TrialStatus

#: Rows of a page unless asked for more or fewer, and the most a page holds.
PAGE_ROWS = 50
MOST_ROWS = 500

_RANGE = re.compile(r"^(\S*)\s*\.\.\s*(\S*)$")
_BOUND = re.compile(r"^([<>]=?)\s*(\S+)$")


@dataclass(frozen=True)
class BoardView:
    """What the page asks of the leaderboard: its page (from 0) of ``rows``, the column
    it sorts by, each column's filter text and the brush's intervals or values."""

    page: int = 0
    rows: int = PAGE_ROWS
    sort: str = "score"
    descending: bool | None = None  # None: the score's best first
    filters: dict[str, str] = field(default_factory=dict)
    brush: dict[str, list[Any]] = field(default_factory=dict)


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _filtered(column: Any, text: str, numeric: bool) -> ColumnElement[bool]:
    """Whether a trial's value of ``column`` passes the filter ``text``."""
    text = text.strip()
    if not text:
        return true()
    range_, bound = _RANGE.match(text), _BOUND.match(text)
    if numeric and range_:
        low, high = (_number(end) if end else -math.inf for end in range_.groups())
        if range_.group(2) == "":
            high = math.inf
        if low is None or high is None:
            return false()
        return column.between(low, high)
    if numeric and bound:
        limit = _number(bound.group(2))
        if limit is None:
            return false()
        sign = bound.group(1)
        return {"<": column < limit, "<=": column <= limit, ">": column > limit}.get(
            sign, column >= limit
        )
    wanted = [part.strip().lower() for part in text.split(",") if part.strip()]
    if numeric:
        numbers = [_number(part) for part in wanted]
        return column.in_(numbers) if None not in numbers else false()
    return func.lower(column).in_(wanted)


def _brushed(column: Any, kept: list[Any], numeric: bool) -> ColumnElement[bool]:
    """Whether a trial's value lies in one of the brushed intervals (or values)."""
    if numeric:
        intervals = [(float(lo), float(hi)) for lo, hi in kept]
        return or_(false(), *(column.between(lo, hi) for lo, hi in intervals))
    return column.in_([str(value) for value in kept])


def _columns(study: Study, described: dict[str, Any]) -> tuple[dict[str, Any], set[str], list]:
    """Each column's SQL expression, the numeric ones, and the outer joins they need."""
    columns: dict[str, Any] = {
        "trial": Trial.id, "round": Round.number, "number": Trial.number,
        "status": Trial.status, "epochs_run": Trial.epochs_run, "score": scoring(study).score(),
        "best_epoch": Trial.best_epoch, "seed": Trial.seed, "worker": Trial.worker,
    }  # fmt: skip
    if study.objective is None:
        columns |= {
            "val_accuracy": Trial.val_accuracy, "best_val_accuracy": Trial.best_val_accuracy,
            "train_accuracy": Trial.train_accuracy,
        }  # fmt: skip
    else:
        columns |= {"value": Trial.value, "best_value": Trial.best_value}
    numeric = set(columns) - {"status", "worker"}
    joins = []
    for name in described["parameters"]:
        value = aliased(TrialParam)
        joins.append((value, (value.trial_id == Trial.id) & (value.name == name)))
        if described["formats"][name] == "text":
            columns[name] = value.value_text
        else:
            columns[name] = value.value_num
            numeric.add(name)
    return columns, numeric, joins


def _status(text: str) -> ColumnElement[bool]:
    wanted = {part.strip().lower() for part in text.split(",") if part.strip()}
    if not wanted:
        return true()
    return Trial.status.in_([status for status in TrialStatus if status.value in wanted])


def leaderboard_page(session: Session, study: Study, view: BoardView) -> dict[str, Any]:
    """One page of the study's leaderboard as :func:`trial_columns` (those rows only),
    with ``total`` (the trials that pass the filters and the brush), ``page`` and
    ``pages``."""
    described = described_columns(session, study)
    columns, numeric, joins = _columns(study, described)
    score = columns["score"]
    conditions = [
        Round.study_id == study.id,
        score.is_not(None),
        Trial.status != TrialStatus.RUNNING,
    ]
    used = set()
    for key, text in view.filters.items():
        if key not in columns:
            continue
        used.add(key)
        if key == "status":
            conditions.append(_status(text))
        else:
            conditions.append(_filtered(columns[key], text, key in numeric))
    for key, kept in view.brush.items():
        if key in columns:
            used.add(key)
            conditions.append(_brushed(columns[key], kept, key in numeric))
    sort = view.sort if view.sort in columns else "score"
    used.add(sort)

    def joined(query: Select[Any]) -> Select[Any]:
        query = query.select_from(Trial).join(Round)
        for (value, on), name in zip(joins, described["parameters"], strict=True):
            if name in used:
                query = query.outerjoin(value, on)
        return query.where(*conditions)

    total = int(session.scalar(joined(select(func.count(Trial.id)))) or 0)
    rows = min(max(view.rows, 1), MOST_ROWS)
    pages = max(math.ceil(total / rows), 1)
    page = min(max(view.page, 0), pages - 1)
    expression = columns[sort]
    descending = view.descending
    if descending is None:
        descending = not scoring(study).minimize
    direction = expression.desc() if descending else expression.asc()
    ids = list(
        session.scalars(
            joined(select(Trial.id))
            .order_by(expression.is_(None), direction, Trial.id)
            .offset(page * rows)
            .limit(rows)
        )
    )
    result = trial_columns(session, study, ids, described)
    return {**result, "total": total, "page": page, "pages": pages, "rows_per_page": rows}
