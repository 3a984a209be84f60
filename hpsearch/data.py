"""Where the service finds MNIST, and the study's train/validation split of it.

The four IDX files are looked for, in this order, as ``NAME`` or ``NAME.gz``:

1. the ``--data-dir`` folder (when given, nothing else is tried);
2. the folder named by the ``HPSEARCH_DATA_DIR`` environment variable;
3. the cache folder ``$XDG_CACHE_HOME/hpsearch/mnist`` (``~/.cache/hpsearch/mnist``);
4. with downloads on, the missing files are fetched from the mirrors into the cache,
   with a progress bar on stderr.

:mod:`trainer.mnist` reads (and downloads into) a folder it is given; this module
decides which folder and how progress looks. A study's split is drawn from the
training set with the study's seed and normalised once, in the study's dtype.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hpsearch.settings import StudySettings
from hpsearch.space import split_seed
from trainer import DataError, DownloadError, Mnist, Split, find_mnist, load_mnist, validation_split
from trainer.mnist import MIRRORS, MNIST_MD5, missing_files

DATA_DIR_ENV = "HPSEARCH_DATA_DIR"

Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class DataSource:
    """Where a process finds MNIST (see the module docstring for the order)."""

    data_dir: str | None = None
    verify: bool = True
    download: bool = True


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/hpsearch/mnist``, or ``~/.cache/hpsearch/mnist`` when it is unset."""
    xdg_cache = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg_cache) if xdg_cache else Path.home() / ".cache"
    return base / "hpsearch" / "mnist"


@contextmanager
def download_bar(show: bool = True) -> Iterator[Progress]:
    """A rich progress bar on stderr, as the callback :func:`trainer.find_mnist` calls."""
    from rich.console import Console  # only a process that downloads needs rich here
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    columns = TextColumn("{task.description}"), BarColumn(), DownloadColumn()
    bar = Progress(*columns, TransferSpeedColumn(), console=Console(stderr=True), disable=not show)
    tasks: dict[str, object] = {}

    def update(description: str, done: int, total: int | None) -> None:
        if description not in tasks:
            tasks[description] = bar.add_task(description, total=total)
        bar.update(tasks[description], completed=done)  # type: ignore[arg-type]

    with bar:
        yield update


def mnist_folder(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    download: bool = True,
    mirrors: tuple[str, ...] = MIRRORS,
    checksums: Mapping[str, str] | None = MNIST_MD5,
    progress: bool = True,
) -> Path:
    """The folder holding all four MNIST files; see the module docstring for the order."""
    if data_dir is not None:
        return find_mnist(data_dir, download=False)
    looked = []
    if env_dir := os.environ.get(DATA_DIR_ENV):
        folder = Path(env_dir).expanduser()
        if not (missing := missing_files(folder)):
            return folder
        looked.append(f"{folder} (${DATA_DIR_ENV}, lacks {', '.join(missing)})")
    cache_dir = default_cache_dir()
    if not missing_files(cache_dir):
        return cache_dir
    looked.append(f"{cache_dir} (cache)")
    how = (
        f"Pass --data-dir or set {DATA_DIR_ENV}, or put the four files (.gz or not) in {cache_dir}"
    )
    if download and mirrors:
        try:
            with download_bar(progress) as bar:
                return find_mnist(
                    cache_dir, download=True, mirrors=mirrors, checksums=checksums, progress=bar
                )
        except DownloadError as exc:
            raise DownloadError(
                f"MNIST files not found in {' or '.join(looked)}, and {exc}. {how}"
            ) from None
    no_download = "download is off" if not download else "no mirror to download from"
    raise DataError(f"MNIST files not found in {' or '.join(looked)}, and {no_download}. {how}")


def read_mnist(source: DataSource) -> Mnist:
    """MNIST as stored: uint8 images (normalised later, once split), int64 labels."""
    checksums = MNIST_MD5 if source.verify else None
    folder = mnist_folder(
        source.data_dir, download=source.download, checksums=checksums, progress=False
    )
    return load_mnist(folder, normalize=False, checksums=checksums)


def normalized(images: np.ndarray, dtype: str) -> np.ndarray:
    return np.divide(images, 255.0, dtype=np.dtype(dtype))


def study_split(mnist: Mnist, settings: StudySettings, study_seed: int) -> Split:
    """The study's train/validation split, normalised to [0, 1] in the study's dtype."""
    settings.split_sizes(len(mnist.x_train))
    split = validation_split(
        mnist.x_train,
        mnist.t_train,
        val_fraction=settings.val_fraction,
        train_size=settings.train_size,
        seed=split_seed(study_seed),
    )
    return Split(
        normalized(split.x_train, settings.dtype),
        split.t_train,
        normalized(split.x_val, settings.dtype),
        split.t_val,
    )


def load_split(settings: StudySettings, study_seed: int, source: DataSource) -> Split:
    """Read MNIST and draw the study's split: what every worker does once."""
    return study_split(read_mnist(source), settings, study_seed)
