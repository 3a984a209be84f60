"""Where the service finds its data set, and the study's train/validation split of it.

Two data sets in MNIST's IDX format are known (:data:`DATASETS`): ``mnist`` and
``fashion-mnist``. The four files of a study's data set are looked for, in this
order, as ``NAME`` or ``NAME.gz``:

1. the ``--data-dir`` folder (when given, nothing else is tried);
2. the folder named by the data set's environment variable (``HPSEARCH_DATA_DIR``
   for MNIST, ``HPSEARCH_FASHION_DATA_DIR`` for Fashion-MNIST);
3. the data set's cache folder ``$XDG_CACHE_HOME/hpsearch/<name>``
   (``~/.cache/hpsearch/mnist``, ``~/.cache/hpsearch/fashion-mnist``);
4. with downloads on, the missing files are fetched from the data set's mirrors into
   the cache, each checked against the MD5 of its content before it is kept.

:mod:`trainer.mnist` reads (and downloads into) a folder it is given; this module
decides which folder and how progress looks. A study's split is drawn from the
training set with the study's seed and normalised once, in the study's dtype.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hpsearch.data import verified
from hpsearch.settings import StudySettings
from hpsearch.space.sampling import split_seed
from trainer import DataError, DownloadError, Mnist, Split, find_mnist, load_mnist, validation_split
from trainer.idx import read_content
from trainer.mnist import (
    DATASETS,
    FASHION_MNIST,
    MNIST,
    IdxDataset,
    load_training_head,
    missing_files,
)

DATA_DIR_ENV = "HPSEARCH_DATA_DIR"

Progress = Callable[[str, int, int | None], None]


#: The environment variable that names each data set's folder.
DATA_DIR_ENVS = {MNIST.name: DATA_DIR_ENV, FASHION_MNIST.name: "HPSEARCH_FASHION_DATA_DIR"}


@dataclass(frozen=True)
class DataSource:
    """Where a process finds its data set (see the module docstring for the order)."""

    data_dir: str | None = None
    verify: bool = True
    download: bool = True


def default_cache_dir(name: str = "mnist") -> Path:
    """``$XDG_CACHE_HOME/hpsearch/<name>``, or ``~/.cache/hpsearch/<name>`` when it is unset."""
    xdg_cache = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg_cache) if xdg_cache else Path.home() / ".cache"
    return base / "hpsearch" / name


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


def data_folder(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    dataset: IdxDataset = MNIST,
    download: bool = True,
    mirrors: tuple[str, ...] | None = None,
    checksums: Mapping[str, str] | None = None,
    progress: bool = True,
) -> Path:
    """The folder holding the data set's four files; see the module docstring for the order.

    ``mirrors`` and ``checksums`` default to the data set's own.
    """
    if data_dir is not None:
        return find_mnist(data_dir, download=False, title=dataset.title)
    mirrors = dataset.mirrors if mirrors is None else mirrors
    checksums = dataset.checksums if checksums is None else checksums
    looked = []
    env = DATA_DIR_ENVS[dataset.name]
    if env_dir := os.environ.get(env):
        folder = Path(env_dir).expanduser()
        if not (missing := missing_files(folder)):
            return folder
        looked.append(f"{folder} (${env}, lacks {', '.join(missing)})")
    cache_dir = default_cache_dir(dataset.name)
    if not missing_files(cache_dir):
        return cache_dir
    looked.append(f"{cache_dir} (cache)")
    how = f"Pass --data-dir or set {env}, or put the four files (.gz or not) in {cache_dir}"
    if download and mirrors:
        try:
            with download_bar(progress) as bar:
                return find_mnist(
                    cache_dir, download=True, mirrors=mirrors, checksums=checksums, progress=bar
                )
        except DownloadError as exc:
            raise DownloadError(
                f"{dataset.title} files not found in {' or '.join(looked)}, and {exc}. {how}"
            ) from None
    no_download = "download is off" if not download else "no mirror to download from"
    raise DataError(
        f"{dataset.title} files not found in {' or '.join(looked)}, and {no_download}. {how}"
    )


def read_dataset(source: DataSource, name: str = "mnist") -> Mnist:
    """A data set as stored: uint8 images (normalised later, once split), int64 labels.

    The MD5 check is skipped for files this machine already verified, unchanged since
    (see :mod:`hpsearch.data.verified`); a check that passes is remembered."""
    dataset = DATASETS[name]  # StudySettings checked the name
    folder = data_folder(source.data_dir, dataset=dataset, download=source.download, progress=False)
    if not source.verify or verified.is_verified(folder, dataset.checksums):
        return load_mnist(folder, normalize=False, checksums=None)
    try:
        data = load_mnist(folder, normalize=False, checksums=dataset.checksums)
    except DataError:
        if (other := _other_dataset(folder, dataset)) is not None:
            raise DataError(
                f"the files in {folder} are {other.title}'s, not {dataset.title}'s: "
                f"use --dataset {other.name} for them, or give {dataset.title}'s folder"
            ) from None
        raise
    verified.remember(folder, dataset.checksums)
    return data


def _other_dataset(folder: Path, dataset: IdxDataset) -> IdxDataset | None:
    """The other known data set whose published MD5 sums ``folder``'s four files have."""
    for other in DATASETS.values():
        if other.name == dataset.name:
            continue
        try:
            sums = {name: hashlib.md5(read_content(_located(folder, name))).hexdigest()
                    for name in other.checksums}  # fmt: skip
        except DataError:
            return None
        if sums == dict(other.checksums):
            return other
    return None


def _located(folder: Path, name: str) -> Path:
    path = folder / name
    return path if path.is_file() else folder / f"{name}.gz"


def check_split(settings: StudySettings, source: DataSource) -> None:
    """The data set exists, verifies and holds enough training images for the split.

    When its files were verified before and are unchanged, only the training images'
    header is read (the count), not the data."""
    dataset = DATASETS[settings.dataset]
    folder = data_folder(source.data_dir, dataset=dataset, download=source.download, progress=False)
    if source.verify and verified.is_verified(folder, dataset.checksums):
        settings.split_sizes(verified.train_count(folder))
        return
    mnist = read_dataset(source, settings.dataset)
    settings.split_sizes(len(mnist.x_train))


def normalized(images: np.ndarray, dtype: str) -> np.ndarray:
    return np.divide(images, 255.0, dtype=np.dtype(dtype))


def study_split(mnist: Mnist, settings: StudySettings, study_seed: int) -> Split:
    """The study's train/validation split, normalised to [0, 1] in the study's dtype."""
    return _drawn_split(mnist.x_train, mnist.t_train, len(mnist.x_train), settings, study_seed)


def _drawn_split(
    x: np.ndarray, t: np.ndarray, available: int, settings: StudySettings, study_seed: int
) -> Split:
    """The split of ``x`` and ``t``, the first (or all) of ``available`` training samples."""
    settings.split_sizes(available)
    split = validation_split(
        x,
        t,
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
    """Read the study's data set and draw its split: what every worker does once.

    The split takes the first ``train_size`` training samples (see
    :func:`trainer.validation_split`): of files verified before, or with verification
    off, only those are read, not the test set (a fraction of a second a worker, for the
    book's 500 samples). Files not verified yet are read whole and verified first."""
    dataset = DATASETS[settings.dataset]
    folder = data_folder(source.data_dir, dataset=dataset, download=source.download, progress=False)
    if source.verify and not verified.is_verified(folder, dataset.checksums):
        return study_split(read_dataset(source, settings.dataset), settings, study_seed)
    head = load_training_head(folder, settings.train_size)
    return _drawn_split(head.x, head.t, head.available, settings, study_seed)
