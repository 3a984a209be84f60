"""The IDX format MNIST's files are in: a file read whole, or only its first items.

An IDX file is a big-endian header (a magic number whose last byte is the number of
dimensions, then each dimension's size) followed by the unsigned bytes themselves.
A file whose name ends in ``.gz`` is gunzipped as it is read. Every read checks the
header and the length against each other; :func:`verify_checksum` checks the MD5 of
the uncompressed content.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import zlib
from pathlib import Path

import numpy as np

from trainer.errors import DataError

IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions (N, rows, cols)
LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension (N,)


def read_content(path: Path) -> bytes:
    """The uncompressed bytes of an IDX file, gunzipped when its name ends in .gz."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc}") from exc
    return gunzip(data, path) if path.suffix == ".gz" else data


def gunzip(data: bytes, source: str | Path) -> bytes:
    """``data`` gunzipped; DataError, naming ``source``, when it is not gzip."""
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{source} is not a valid gzip file: {exc}") from exc


def parse_idx(content: bytes, path: Path, magic: int) -> np.ndarray:
    """The uint8 array of an IDX file, after checking its magic number and length."""
    ndim = magic & 0xFF
    header_size = 4 + 4 * ndim
    if len(content) < header_size:
        raise DataError(
            f"{path} is truncated: expected at least {header_size} bytes, got {len(content)}"
        )
    found_magic = int.from_bytes(content[:4], "big")
    if found_magic != magic:
        raise DataError(f"{path} has magic number 0x{found_magic:08x}, expected 0x{magic:08x}")
    shape = tuple(int(d) for d in np.frombuffer(content, ">u4", count=ndim, offset=4))
    expected = header_size + int(np.prod(shape))
    if len(content) != expected:
        problem = "truncated" if len(content) < expected else "malformed"
        raise DataError(f"{path} is {problem}: expected {expected} bytes, got {len(content)}")
    return np.frombuffer(content, np.uint8, offset=header_size).reshape(shape)  # read-only


def verify_checksum(content: bytes, source: str | Path, expected_md5: str) -> None:
    actual_md5 = hashlib.md5(content, usedforsecurity=False).hexdigest()
    if actual_md5 != expected_md5:
        raise DataError(
            f"{source} fails its checksum: MD5 of its content is {actual_md5}, "
            f"expected {expected_md5}"
        )


def read_head(path: Path, magic: int, count: int | None) -> tuple[np.ndarray, int]:
    """The first ``count`` items (all when None or when it holds fewer) of an IDX file as a
    uint8 array, and how many items the file holds; no more of the file is read."""
    ndim = magic & 0xFF
    header_size = 4 + 4 * ndim
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as stream:
            header = stream.read(header_size)
            if len(header) < header_size:
                raise DataError(f"{path} is truncated: its header is {len(header)} bytes")
            found_magic = int.from_bytes(header[:4], "big")
            if found_magic != magic:
                raise DataError(
                    f"{path} has magic number 0x{found_magic:08x}, expected 0x{magic:08x}"
                )
            shape = [int.from_bytes(header[at : at + 4], "big") for at in range(4, header_size, 4)]
            available, item_size = shape[0], math.prod(shape[1:])
            count = available if count is None else min(count, available)
            body = stream.read(count * item_size)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise DataError(f"{path} is not a valid gzip file: {exc}") from exc
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc}") from exc
    if len(body) < count * item_size:
        raise DataError(f"{path} is truncated: it ends within its first {count} items")
    expected = header_size + available * item_size
    if path.suffix != ".gz" and (size := path.stat().st_size) != expected:
        problem = "truncated" if size < expected else "malformed"
        raise DataError(f"{path} is {problem}: expected {expected} bytes, got {size}")
    return np.frombuffer(body, np.uint8).reshape(count, *shape[1:]), available
