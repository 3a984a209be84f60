"""The JSON export, written piece by piece as the store streams its rows.

The text is exactly what ``json.dump(document, stream, indent=2)`` writes of the
whole document (``{"study": {...}, "rounds": [{..., "trials": [{..., "epochs":
[...]}]}]}``, see :mod:`hpsearch.export`), but memory holds one trial at a time: each
part is dumped on its own and indented to its depth in the document, and an epoch,
the bulk of the document, is written from a template (its floats as ``repr`` gives
them, as json does for finite floats; a trial with a value that is not a finite number
goes through json instead).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from functools import lru_cache
from itertools import chain
from typing import Any, TextIO

from sqlalchemy.orm import Session

from hpsearch.export import EPOCH_VALUES, round_record, study_record, trial_names, trial_stream
from hpsearch.models import Round, Study
from hpsearch.number_text import row_texts
from hpsearch.store import searched_names

_INDENT = "  "


def _epoch_template(epoch: str, number: str) -> str:
    """One epoch's object, six levels deep, with the conversion ``epoch`` for its epoch
    and ``number`` for each of its five floats."""
    lines = (
        f'{_INDENT * 7}"{name}": {epoch if name == "epoch" else number}' for name in EPOCH_VALUES
    )
    return "{\n" + ",\n".join(lines) + f"\n{_INDENT * 6}}}"


#: An epoch's object from a row of trial id (written as nothing), epoch and five floats.
_EPOCH = "%.0s" + _epoch_template("%d", "%r")


@lru_cache(maxsize=16)
def _epochs_template(count: int) -> str:
    """The objects of ``count`` epochs, from their values already written as text."""
    inner = _INDENT * 6
    return (
        f"[\n{inner}"
        + f",\n{inner}".join([_epoch_template("%s", "%s")] * count)
        + f"\n{_INDENT * 5}]"
    )


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
    if not _finite(rows):  # json writes Infinity and NaN where repr writes inf and nan
        return _dumps([dict(zip(EPOCH_VALUES, row[1:], strict=True)) for row in rows], 5)
    inner = _INDENT * 6
    return f"[\n{inner}" + f",\n{inner}".join(map(_EPOCH.__mod__, rows)) + f"\n{_INDENT * 5}]"


def _finite(rows: list[tuple[Any, ...]]) -> bool:
    """Whether every value of ``rows`` is a finite number (a sum overflowing to infinity
    says no too, which only sends the rows the slower way)."""
    try:
        return math.isfinite(sum(chain.from_iterable(rows)))
    except TypeError:  # a value that is not a number
        return False


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
    names = searched_names(study)
    keys = [f"{_INDENT * 5}{json.dumps(key)}: " for key in trial_names(names)]
    closing = "\n" + _INDENT * 4 + "}"
    trials = trial_stream(session, study, names, epochs=epochs)
    pending = next(trials, None)

    def round_trials(round_id: int) -> Iterator[tuple[str, ...]]:
        """Each trial's object, four levels deep, written key by key as json.dumps would."""
        nonlocal pending
        while pending is not None and pending[0][1] == round_id:
            trial, own = pending
            text = "{\n" + ",\n".join(map(str.__add__, keys, map(_value, trial[2:])))
            if epochs:
                yield (text, f',\n{_INDENT * 5}"epochs": ', _epochs(own), closing)
            else:
                yield (text, closing)
            pending = next(trials, None)

    def round_pieces(round_: Round) -> Iterator[str]:
        head, closing = _opened(round_record(round_), 2, "trials")
        yield head
        yield from _array(round_trials(round_.id), 3)
        yield closing

    yield '{\n  "study": ' + _dumps(study_record(study), 1) + ',\n  "rounds": '
    yield from _array(map(round_pieces, study.rounds), 1)
    yield "\n}\n"


def write_json(session: Session, study: Study, stream: TextIO, *, epochs: bool = False) -> None:
    """Write the JSON export of ``study`` (with each trial's ``epochs``) to ``stream``."""
    for piece in document_pieces(session, study, epochs=epochs):
        stream.write(piece)
