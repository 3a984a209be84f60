"""The version of the installed hpsearch, as its package metadata gives it.

A source tree run without being installed (``PYTHONPATH=.``) has no metadata: its
version is :data:`UNKNOWN`. Imports nothing of hpsearch, so that ``hpsearch
--version`` answers before the command line is imported.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

#: The version of a source tree that is not installed.
UNKNOWN = "0+unknown"


def package_version() -> str:
    """The installed distribution's version (``0.1.0``), else :data:`UNKNOWN`."""
    try:
        return version("hpsearch")
    except PackageNotFoundError:
        return UNKNOWN


def version_line() -> str:
    """What ``hpsearch --version`` prints: ``hpsearch 0.1.0``."""
    return f"hpsearch {package_version()}"
