"""hpsearch: the book's chapter-6 hyperparameter search as a service with a results store.

The command line is :mod:`hpsearch.cli`; these are the pieces to use from Python. Each
is imported when it is first used (``hpsearch.start``, ``from hpsearch import start``),
so that importing one module of the package does not import them all: a process that
exports or reports does not load the trainer, and the ``hpsearch`` program can start
its workers' server before it imports the command line. ``hpsearch.__version__`` is
the installed version (:func:`hpsearch.version.package_version`), read when first asked.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names, for type checkers (``X as X``: re-exported)
    from hpsearch.data.datasets import DataSource as DataSource
    from hpsearch.errors import HpsearchError as HpsearchError
    from hpsearch.errors import Interrupted as Interrupted
    from hpsearch.errors import ObjectiveError as ObjectiveError
    from hpsearch.errors import RoundBusy as RoundBusy
    from hpsearch.errors import SchemaAhead as SchemaAhead
    from hpsearch.errors import SchemaBehind as SchemaBehind
    from hpsearch.errors import StoreError as StoreError
    from hpsearch.errors import StudyExists as StudyExists
    from hpsearch.errors import StudyNotFound as StudyNotFound
    from hpsearch.errors import UsageError as UsageError
    from hpsearch.run.objective import TrialContext as TrialContext
    from hpsearch.run.objective import TrialDiverged as TrialDiverged
    from hpsearch.run.objective import TrialPruned as TrialPruned
    from hpsearch.search.steps import NarrowRule as NarrowRule
    from hpsearch.search.steps import RunOptions as RunOptions
    from hpsearch.search.steps import create as create
    from hpsearch.search.steps import create_narrowed_round as create_narrowed_round
    from hpsearch.search.steps import run as run
    from hpsearch.search.steps import start as start
    from hpsearch.search.tuning import Tuning as Tuning
    from hpsearch.settings import Goal as Goal
    from hpsearch.settings import StudySettings as StudySettings
    from hpsearch.space.samplers import Sampling as Sampling
    from hpsearch.space.sampling import BOOK_SPACE as BOOK_SPACE
    from hpsearch.space.sampling import LogRange as LogRange
    from hpsearch.space.sampling import SearchSpace as SearchSpace
    from hpsearch.space.sampling import make_space as make_space
    from hpsearch.store.models import EpochMetric as EpochMetric
    from hpsearch.store.models import Evaluation as Evaluation
    from hpsearch.store.models import Round as Round
    from hpsearch.store.models import Study as Study
    from hpsearch.store.models import Trial as Trial
    from hpsearch.store.schema import open_store as open_store
    from hpsearch.store.status import TrialStatus as TrialStatus

    __version__: str

#: Where each public name is defined.
_HOMES = {
    "hpsearch.data.datasets": ("DataSource",),
    "hpsearch.errors": (
        "HpsearchError", "Interrupted", "RoundBusy", "SchemaAhead", "SchemaBehind",
        "StoreError", "StudyExists", "StudyNotFound", "UsageError", "ObjectiveError",
    ),
    "hpsearch.run.objective": ("TrialContext", "TrialDiverged", "TrialPruned"),
    "hpsearch.search.tuning": ("Tuning",),
    "hpsearch.store.models": ("EpochMetric", "Evaluation", "Round", "Study", "Trial"),
    "hpsearch.search.steps": (
        "NarrowRule", "RunOptions", "create", "create_narrowed_round", "run", "start",
    ),
    "hpsearch.settings": ("Goal", "StudySettings"),
    "hpsearch.space.samplers": ("Sampling",),
    "hpsearch.space.sampling": ("BOOK_SPACE", "LogRange", "SearchSpace", "make_space"),
    "hpsearch.store.schema": ("open_store",),
    "hpsearch.store.status": ("TrialStatus",),
}  # fmt: skip
_HOME = {name: module for module, names in _HOMES.items() for name in names}

__all__ = sorted(_HOME, key=str.casefold)


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from hpsearch.version import package_version

        globals()[name] = package_version()
        return globals()[name]
    if name not in _HOME:
        raise AttributeError(f"module 'hpsearch' has no attribute {name!r}")
    value = getattr(import_module(_HOME[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, "__version__"})
