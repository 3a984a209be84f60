"""The MNIST loader: read the four IDX files of a folder, downloading missing ones.

Fashion-MNIST has MNIST's format and file names: the same functions read it, given
its checksums (:data:`FASHION_MNIST_MD5`) and mirrors (:data:`FASHION_MNIST_MIRRORS`).

The files are looked for in the given folder as ``NAME`` or ``NAME.gz``; with
``download=True``, the missing ones are fetched from the mirrors into that folder,
reporting each download to an optional ``progress(description, done, total)``
callback. Where the folder is, and how progress looks, is the caller's choice.

Every file is read by :mod:`trainer.idx`, which checks its header and length, and,
unless ``checksums=None``, checked against the MD5 of its uncompressed content.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import DTypeLike

from trainer.errors import DataError, DownloadError
from trainer.idx import (
    IMAGES_MAGIC,
    LABELS_MAGIC,
    gunzip,
    parse_idx,
    read_content,
    read_head,
    verify_checksum,
)

MNIST_FILES: dict[str, str] = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

MNIST_MD5: dict[str, str] = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}

MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

#: Fashion-MNIST (Zalando, MIT licence): MNIST's format and file names, clothing for digits.
FASHION_MNIST_MD5: dict[str, str] = {
    "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
    "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
    "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
    "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
}

FASHION_MNIST_MIRRORS: tuple[str, ...] = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",  # the publisher's own
)


@dataclass(frozen=True)
class IdxDataset:
    """A data set in MNIST's format: its name, the MD5 of each file's content, its mirrors."""

    name: str
    title: str
    checksums: Mapping[str, str]
    mirrors: tuple[str, ...]


MNIST = IdxDataset("mnist", "MNIST", MNIST_MD5, MIRRORS)
FASHION_MNIST = IdxDataset(
    "fashion-mnist", "Fashion-MNIST", FASHION_MNIST_MD5, FASHION_MNIST_MIRRORS
)
DATASETS: dict[str, IdxDataset] = {dataset.name: dataset for dataset in (MNIST, FASHION_MNIST)}

NUM_CLASSES = 10
DOWNLOAD_TIMEOUT = 30.0  # seconds without an answer before a mirror is given up
_CHUNK_SIZE = 1 << 16

#: ``progress(description, bytes done, bytes in all or None)``, called as a download goes.
Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True, eq=False)
class Mnist:
    """The MNIST training and test sets (eq=False: numpy arrays do not compare to a bool)."""

    x_train: np.ndarray
    t_train: np.ndarray
    x_test: np.ndarray
    t_test: np.ndarray


def find_mnist(
    folder: str | os.PathLike[str],
    *,
    download: bool = False,
    mirrors: Sequence[str] = MIRRORS,
    checksums: Mapping[str, str] | None = MNIST_MD5,
    progress: Progress | None = None,
    title: str = "MNIST",
) -> Path:
    """``folder``, once it holds all four MNIST files (downloaded there if allowed);
    ``title`` names the data set in MNIST's format that the message says is missing."""
    folder = Path(folder).expanduser()
    missing = missing_files(folder)
    if missing and download and mirrors:
        for name in missing:
            checksum = None if checksums is None else checksums[name]
            _download(name, folder, mirrors, checksum, progress)
    elif missing:
        raise DataError(f"{title} files missing in {folder}: {', '.join(missing)} (.gz or not)")
    return folder


def load_mnist(
    folder: str | os.PathLike[str],
    *,
    normalize: bool = True,
    flatten: bool = True,
    one_hot_label: bool = False,
    dtype: DTypeLike = np.float64,
    checksums: Mapping[str, str] | None = MNIST_MD5,
    download: bool = False,
    progress: Progress | None = None,
) -> Mnist:
    """Load MNIST as the book does: images scaled to [0, 1] and flattened, labels as indices.

    ``normalize=False`` keeps the uint8 pixels; ``flatten=False`` gives (N, 1, 28, 28);
    ``one_hot_label=True`` gives (N, 10) labels of ``dtype`` instead of int64 indices.
    """
    folder = find_mnist(folder, download=download, checksums=checksums, progress=progress)
    arrays = {}
    for key, name in MNIST_FILES.items():
        path = _locate(folder, name)
        content = read_content(path)
        arrays[key] = parse_idx(content, path, IMAGES_MAGIC if "images" in key else LABELS_MAGIC)
        if checksums is not None:
            verify_checksum(content, path, checksums[name])

    for part in ("train", "test"):
        images, labels = arrays[f"{part}_images"], arrays[f"{part}_labels"]
        if len(images) != len(labels):
            raise DataError(f"MNIST {part} set has {len(images)} images but {len(labels)} labels")
        if labels.max(initial=0) >= NUM_CLASSES:
            raise DataError(f"MNIST {part} labels hold a class >= {NUM_CLASSES}")
    x_train, x_test = (
        _prepare_images(arrays[f"{part}_images"], normalize, flatten, dtype)
        for part in ("train", "test")
    )
    t_train, t_test = (arrays[f"{part}_labels"].astype(np.int64) for part in ("train", "test"))
    if one_hot_label:
        t_train, t_test = (np.eye(NUM_CLASSES, dtype=dtype)[t] for t in (t_train, t_test))
    return Mnist(x_train, t_train, x_test, t_test)


@dataclass(frozen=True, eq=False)
class TrainingHead:
    """The first images of the training set as stored (uint8, flattened to (N, 784)),
    their int64 labels, and how many images the training files hold in all."""

    x: np.ndarray
    t: np.ndarray
    available: int


def load_training_head(folder: str | os.PathLike[str], count: int | None = None) -> TrainingHead:
    """The first ``count`` training images and labels (all of them when None or when the
    files hold fewer), reading and gunzipping no more of the two files than they take:
    what a search needs of files it has verified before. Headers and lengths are
    checked, checksums are not."""
    folder = Path(folder).expanduser()
    images, available = read_head(_locate(folder, MNIST_FILES["train_images"]), IMAGES_MAGIC, count)
    labels, labelled = read_head(_locate(folder, MNIST_FILES["train_labels"]), LABELS_MAGIC, count)
    if labelled != available:
        raise DataError(f"MNIST train set has {available} images but {labelled} labels")
    if labels.max(initial=0) >= NUM_CLASSES:
        raise DataError(f"MNIST train labels hold a class >= {NUM_CLASSES}")
    n, rows, cols = images.shape
    return TrainingHead(images.reshape(n, rows * cols), labels.astype(np.int64), available)


def _locate(folder: Path, name: str) -> Path:
    """``folder / name`` if it exists, else ``folder / name.gz`` (which may not exist)."""
    path = folder / name
    return path if path.is_file() else folder / f"{name}.gz"


def missing_files(folder: Path) -> list[str]:
    return [name for name in MNIST_FILES.values() if not _locate(folder, name).is_file()]


def _prepare_images(
    images: np.ndarray, normalize: bool, flatten: bool, dtype: DTypeLike
) -> np.ndarray:
    n, rows, cols = images.shape
    x = np.divide(images, 255.0, dtype=dtype) if normalize else images.copy()  # writable copy
    # (N, 784) or (N, 1, 28, 28)
    return x.reshape(n, rows * cols) if flatten else x.reshape(n, 1, rows, cols)


def _download(
    name: str,
    folder: Path,
    mirrors: Sequence[str],
    expected_md5: str | None,
    progress: Progress | None,
) -> None:
    """Fetch ``name.gz`` into ``folder`` from the first mirror whose copy checks out."""
    from http.client import HTTPException  # with urllib: loaded only to download

    reason = "no mirror given"
    for mirror in mirrors:
        url = f"{mirror}{name}.gz"
        try:
            compressed = _fetch(url, f"{name}.gz", progress)
            content = gunzip(compressed, url)
            if expected_md5 is not None:
                verify_checksum(content, url, expected_md5)
        except (OSError, HTTPException, ValueError) as exc:  # URLError, timeouts, bad URLs
            reason = f"{url}: {exc}"
        except DataError as exc:  # its message names the URL already
            reason = str(exc)
        else:
            _write_atomically(folder / f"{name}.gz", compressed)
            return
    raise DownloadError(f"could not download {name}.gz from any mirror; last error: {reason}")


def _fetch(url: str, description: str, progress: Progress | None) -> bytes:
    import urllib.request

    with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as response:
        total = int(response.headers.get("Content-Length") or 0) or None
        chunks, done = [], 0
        while chunk := response.read(_CHUNK_SIZE):
            chunks.append(chunk)
            done += len(chunk)
            if progress is not None:
                progress(description, done, total)
    return b"".join(chunks)


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path``, then rename it: no half-written file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(temp_name, path)
        finally:
            Path(temp_name).unlink(missing_ok=True)
    except OSError as exc:
        raise DataError(f"cannot write {path}: {exc}") from exc
