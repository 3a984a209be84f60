"""hpsearch: the book's chapter-6 hyperparameter search as a service with a results store.

The command line is :mod:`hpsearch.cli`; these are the pieces to use from Python.
"""

from hpsearch.data import DataSource
from hpsearch.database import open_store
from hpsearch.errors import (
    HpsearchError,
    Interrupted,
    RoundBusy,
    SchemaAhead,
    SchemaBehind,
    StoreError,
    StudyExists,
    StudyNotFound,
    UsageError,
)
from hpsearch.models import EpochMetric, Evaluation, Round, Study, Trial
from hpsearch.search import NarrowRule, RunOptions, create, create_narrowed_round, run, start
from hpsearch.settings import StudySettings
from hpsearch.space import BOOK_SPACE, LogRange, SearchSpace, make_space
from hpsearch.status import TrialStatus

__all__ = [
    "BOOK_SPACE",
    "DataSource",
    "EpochMetric",
    "Evaluation",
    "HpsearchError",
    "Interrupted",
    "LogRange",
    "NarrowRule",
    "Round",
    "RoundBusy",
    "RunOptions",
    "SchemaAhead",
    "SchemaBehind",
    "SearchSpace",
    "StoreError",
    "Study",
    "StudyExists",
    "StudyNotFound",
    "StudySettings",
    "Trial",
    "TrialStatus",
    "UsageError",
    "create",
    "create_narrowed_round",
    "make_space",
    "open_store",
    "run",
    "start",
]
