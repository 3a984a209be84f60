"""Data files this machine has verified: their MD5 checked, and unchanged since.

Reading MNIST costs a process about a third of a second, a tenth of it for the MD5
of the content; every worker reads it once, and ``start`` checks it first. A file
whose MD5 matched is remembered by its resolved path, size and modification time
(nanoseconds) with the MD5 it matched, in ``$XDG_CACHE_HOME/hpsearch/verified.json``
(``~/.cache/hpsearch/verified.json``); a file that changed in any of these is checked
again. The record is a cache: when it cannot be read or written, files are checked
as if it were empty.
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from trainer.mnist import MNIST_FILES

CACHE_NAME = "verified.json"


def cache_path() -> Path:
    xdg_cache = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg_cache) if xdg_cache else Path.home() / ".cache"
    return base / "hpsearch" / CACHE_NAME


def _files(folder: Path) -> dict[str, Path]:
    """Each of the four files by its name, as ``NAME`` or else ``NAME.gz``."""
    located = {}
    for name in MNIST_FILES.values():
        path = folder / name
        located[name] = path if path.is_file() else folder / f"{name}.gz"
    return located


def _key(path: Path) -> str | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"


def _records() -> dict[str, str]:
    try:
        records = json.loads(cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return records if isinstance(records, dict) else {}


def is_verified(folder: Path, checksums: Mapping[str, str]) -> bool:
    """Whether each of the folder's four files matched its MD5 and has not changed since."""
    records = _records()
    for name, path in _files(folder).items():
        key = _key(path)
        if key is None or records.get(key) != checksums[name]:
            return False
    return True


def remember(folder: Path, checksums: Mapping[str, str]) -> None:
    """Record that the folder's four files matched ``checksums`` (just checked)."""
    records = _records()
    for name, path in _files(folder).items():
        if (key := _key(path)) is not None:
            records[key] = checksums[name]
    target = cache_path()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", dir=target.parent, suffix=".tmp", delete=False, encoding="utf-8"
        ) as stream:
            json.dump(records, stream, indent=0, sort_keys=True)
        os.replace(stream.name, target)  # whole or not at all, whoever else writes it
    except OSError:
        return


def train_count(folder: Path) -> int:
    """The number of training images, from the header of their file (8 bytes)."""
    path = _files(folder)[MNIST_FILES["train_images"]]
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as stream:
        header = stream.read(8)
    return int.from_bytes(header[4:8], "big")
