"""Errors raised by hpsearch on purpose; the CLI prints them as one line.

    HpsearchError
    ├── UsageError          an option value that cannot work (a range, top-k, a size)
    ├── StudyNotFound       no study of that name
    ├── StudyExists         a study of that name already exists
    ├── RoundBusy           another process is running that round
    ├── TestSetUsed         another evaluate has claimed the study's test set
    ├── Interrupted         Ctrl-C stopped a run; finished epochs are kept
    ├── ObjectiveError      a training function that cannot be used (its reference, its
    │                       signature, a report of an unknown metric or of a non-number)
    └── StoreError          the database cannot be opened, read or written
        ├── NoStore         no database there yet: ``hpsearch start`` makes one
        ├── SchemaBehind    written by an older hpsearch: ``hpsearch db upgrade``
        ├── SchemaAhead     written by a newer hpsearch
        └── StoreUnavailable  a passing fault outlasted the retry window

The trainer's own ``trainer.TrainerError`` (unknown optimizer, MNIST missing) is
reported the same way by the CLI.
"""

from __future__ import annotations


class HpsearchError(Exception):
    """Base class of every error hpsearch raises on purpose."""


class UsageError(HpsearchError, ValueError):
    """An option value that cannot work."""


class StudyNotFound(HpsearchError, LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no study named {name!r} (see `hpsearch studies`)")
        self.name = name


class StudyExists(HpsearchError):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"a study named {name!r} already exists: choose another name, "
            f"or continue it with `hpsearch narrow {name}` or `hpsearch resume {name}`"
        )
        self.name = name


class RoundBusy(HpsearchError):
    """Another live process is running trials of the round."""


class TestSetUsed(HpsearchError):
    """The study's test set is claimed by another evaluation (running or stored)."""

    __test__ = False  # not a test class, for pytest


class Interrupted(HpsearchError):
    """The user stopped a run; the running trials were marked interrupted.

    Given the study's ``name``, the message tells how to go on: ``hpsearch
    {command} {name}``.
    """

    def __init__(self, name: str | None = None, command: str = "resume") -> None:
        message = "interrupted"
        if name is not None:
            message += f": finished epochs are kept; continue with `hpsearch {command} {name}`"
        super().__init__(message)
        self.name = name
        self.command = command


class ObjectiveError(HpsearchError):
    """A study's training function cannot be imported or called, or reported what the
    study cannot store."""


class StoreError(HpsearchError):
    """The database cannot be opened, read or written."""


class NoStore(StoreError):
    """No database at the path given (or the default one): nothing was started there."""


class SchemaBehind(StoreError):
    """The database schema is older than this hpsearch."""


class SchemaAhead(StoreError):
    """The database schema is newer than this hpsearch."""


class StoreUnavailable(StoreError):
    """A store fault that retrying could not get past within the retry window
    (``HPSEARCH_STORE_RETRY``): the store's fault, not a trial's."""

    def __init__(self, url: str, seconds: float, reason: str) -> None:
        super().__init__(f"the store at {url} could not be written for {seconds:.0f} s ({reason})")
        self.url = url
        self.seconds = seconds
        self.reason = reason
