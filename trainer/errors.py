"""Errors raised by the trainer package.

    TrainerError
    ├── ConfigError        a setting that cannot work (unknown optimizer, bad size, ...)
    └── DataError          MNIST files missing, truncated, malformed or failing their checksum
        └── DownloadError  a download from every mirror failed

Callers catch ``TrainerError`` to report a user's mistake in one line.
"""

from __future__ import annotations


class TrainerError(Exception):
    """Base class of every error the trainer raises on purpose."""


class ConfigError(TrainerError, ValueError):
    """A setting that cannot work: an unknown name, a size or fraction out of range."""


class DataError(TrainerError):
    """Training data that cannot be found or read, or fails its checksum."""


class DownloadError(DataError):
    """Every mirror failed to deliver a file."""
