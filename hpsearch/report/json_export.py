"""The JSON export, written piece by piece as the store streams its rows.

The text is exactly what ``json.dump(document, stream, indent=2)`` writes of the
whole document (``{"study": {...}, "rounds": [{..., "trials": [{..., "epochs":
[...]}]}]}``, see :mod:`hpsearch.report.export`), but memory holds one trial at a time: each
part is dumped on its own and indented to its depth in the document, and an epoch,
the bulk of the document, is written from a template with its numbers' text from
:mod:`hpsearch.report.number_text` (what json writes of ints and finite floats; a trial with
a number it leaves alone, such as an infinite loss or a float with an exponent, goes
through json instead).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any, TextIO

from sqlalchemy.orm import Session

from hpsearch.report.export import (
    EPOCH_VALUES,
    round_record,
    study_record,
    trial_cells,
    trial_names,
    trial_stream,
)
from hpsearch.report.number_text import row_texts
from hpsearch.store import searched_names
from hpsearch.store.metrics import study_metric_names
from hpsearch.store.models import Round, Study

_INDENT = "  "


#: One epoch's object, six levels deep, from the text of its six values.
_EPOCH = (
    "{\n" + ",\n".join(f'{_INDENT * 7}"{name}": %s' for name in EPOCH_VALUES) + f"\n{_INDENT * 6}}}"
)


@lru_cache(maxsize=16)
def _epochs_template(count: int) -> str:
    """The objects of ``count`` epochs, from their values already written as text."""
    inner = _INDENT * 6
    return f"[\n{inner}" + f",\n{inner}".join([_EPOCH] * count) + f"\n{_INDENT * 5}]"


def _dumps(value: Any, level: int) -> str:
    """``value`` as json.dump writes it ``level`` levels deep in an indented document."""
    return json.dumps(value, indent=2).replace("\n", "\n" + _INDENT * level)


def _array(items: Iterable[Iterable[str]], level: int) -> Iterator[str]:
    """The pieces of a JSON array ``level`` levels deep, each item given as the pieces
    of its text one level deeper; ``[]`` when there is none."""
    separator = "[\n" + _INDENT * (level + 1)
    for item in items:
        yield separator
        yield from item
        separator = ",\n" + _INDENT * (level + 1)
    yield "[]" if separator.startswith("[") else "\n" + _INDENT * level + "]"


def _epochs(rows: Iterable[tuple[Any, ...]]) -> str:
    """A trial's epochs as the array of its ``"epochs"`` key, five levels deep."""
    rows = list(rows)  # one trial's
    if not rows:
        return "[]"
    if (texts := row_texts(rows)) is not None:
        return _epochs_template(len(rows)) % tuple(",".join(texts).split(","))
    # a number written otherwise than by repr (Infinity, 1e-07): as json writes it
    return _dumps([dict(zip(EPOCH_VALUES, row[1:], strict=True)) for row in rows], 5)


def _metric_epochs(rows: Iterable[tuple[Any, ...]], names: Sequence[str]) -> str:
    """A training function's epochs: each with the metrics it reported, by name."""
    epochs = [
        {name: value for name, value in zip(names, row[1:], strict=True) if value is not None}
        for row in rows
    ]
    return _dumps(epochs, 5)


def _opened(record: dict[str, Any], level: int, key: str) -> tuple[str, str]:
    """The text of ``record`` (``level`` deep) cut where a last ``key`` goes: the part up
    to that key's value, and the closing brace."""
    closing = "\n" + _INDENT * level + "}"
    text = _dumps(record, level)
    return f'{text[: -len(closing)]},\n{_INDENT * (level + 1)}"{key}": ', closing


def _value(value: Any) -> str:
    """A trial's value as json.dumps writes it; ints and finite floats as ``repr``."""
    kind = type(value)
    if kind is int or (kind is float and math.isfinite(value)):
        return repr(value)
    return "null" if value is None else json.dumps(value)


def document_pieces(session: Session, study: Study, *, epochs: bool = False) -> Iterator[str]:
    """The export's text in pieces, a trial (with its epochs) at a time."""
    names, book = searched_names(study), study.objective is None
    keys = [f"{_INDENT * 5}{json.dumps(key)}: " for key in trial_names(names, book)]
    metrics = study_metric_names(session, study) if epochs and not book else []
    epoch_keys = ["epoch", *metrics]  # a training function's epoch objects
    closing = "\n" + _INDENT * 4 + "}"
    trials = trial_stream(session, study, epochs=epochs, metrics=metrics)
    pending = next(trials, None)

    def round_trials(number: int) -> Iterator[tuple[str, ...]]:
        """Each trial's object, four levels deep, written key by key as json.dumps would."""
        nonlocal pending
        while pending is not None and pending[0].round == number:
            trial, own = pending
            cells = map(_value, trial_cells(trial, names, book))
            text = "{\n" + ",\n".join(map(str.__add__, keys, cells))
            if epochs:
                own_epochs = _epochs(own) if book else _metric_epochs(own, epoch_keys)
                yield (text, f',\n{_INDENT * 5}"epochs": ', own_epochs, closing)
            else:
                yield (text, closing)
            pending = next(trials, None)

    def round_pieces(round_: Round) -> Iterator[str]:
        head, closing = _opened(round_record(round_), 2, "trials")
        yield head
        yield from _array(round_trials(round_.number), 3)
        yield closing

    yield '{\n  "study": ' + _dumps(study_record(study), 1) + ',\n  "rounds": '
    yield from _array(map(round_pieces, study.rounds), 1)
    yield "\n}\n"


def write_json(session: Session, study: Study, stream: TextIO, *, epochs: bool = False) -> None:
    """Write the JSON export of ``study`` (with each trial's ``epochs``) to ``stream``."""
    for piece in document_pieces(session, study, epochs=epochs):
        stream.write(piece)
