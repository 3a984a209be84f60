from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from hpsearch.data.datasets import (
    DATA_DIR_ENV,
    DATA_DIR_ENVS,
    DataSource,
    data_folder,
    default_cache_dir,
    load_split,
    normalized,
    read_dataset,
    study_split,
)
from hpsearch.errors import UsageError
from hpsearch.settings import StudySettings
from tests.support import closed_port, copy_mnist, rewrite_content
from trainer import load_mnist
from trainer.errors import DataError, DownloadError
from trainer.mnist import DATASETS, FASHION_MNIST, MNIST_FILES

NAMES = list(MNIST_FILES.values())
TRAIN_IMAGES, TRAIN_LABELS = MNIST_FILES["train_images"], MNIST_FILES["train_labels"]


FASHION_ENV = DATA_DIR_ENVS[FASHION_MNIST.name]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No data set variables, and an empty cache under tmp_path; returns MNIST's cache folder."""
    for env in DATA_DIR_ENVS.values():
        monkeypatch.delenv(env, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    return tmp_path / "xdg-cache" / "hpsearch" / "mnist"


# Where the files are looked for


def test_default_cache_dir_follows_xdg_cache_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))

    assert default_cache_dir() == tmp_path / "hpsearch" / "mnist"


def test_default_cache_dir_falls_back_to_home(monkeypatch, tmp_path):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))

    assert default_cache_dir() == tmp_path / ".cache" / "hpsearch" / "mnist"


def test_every_dataset_has_its_own_variable_and_cache_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))

    assert sorted(DATA_DIR_ENVS) == sorted(DATASETS)
    assert len(set(DATA_DIR_ENVS.values())) == len(DATASETS)
    assert default_cache_dir("fashion-mnist") == tmp_path / "hpsearch" / "fashion-mnist"


def test_fashion_mnist_is_found_through_its_own_variable(tiny_mnist, clean_env, monkeypatch):
    monkeypatch.setenv(FASHION_ENV, str(tiny_mnist))

    assert data_folder(dataset=FASHION_MNIST, download=False) == tiny_mnist
    with pytest.raises(DataError, match="MNIST files not found"):
        data_folder(download=False)  # MNIST's variable is unset and its cache empty


def test_fashion_mnist_is_found_in_its_own_cache_folder(tiny_mnist, clean_env):
    fashion_cache = clean_env.parent / "fashion-mnist"
    copy_mnist(tiny_mnist, fashion_cache)

    assert data_folder(dataset=FASHION_MNIST, download=False) == fashion_cache
    with pytest.raises(DataError, match=re.escape(str(clean_env))):
        data_folder(download=False)


def test_fashion_mnist_nothing_found_names_its_variable(clean_env):
    with pytest.raises(DataError) as excinfo:
        data_folder(dataset=FASHION_MNIST, download=False)

    message = str(excinfo.value)
    assert message.startswith("Fashion-MNIST files not found") and FASHION_ENV in message
    assert str(clean_env.parent / "fashion-mnist") in message


def test_fashion_mnist_downloads_are_checked_against_its_own_checksums(
    tiny_mnist, clean_env, mirror_server
):
    mirror_server.publish("fashion", tiny_mnist)

    with pytest.raises(DownloadError, match="fails its checksum"):
        data_folder(
            dataset=FASHION_MNIST, mirrors=(mirror_server.mirror("fashion"),), progress=False
        )

    assert not (clean_env.parent / "fashion-mnist").exists() or not list(
        (clean_env.parent / "fashion-mnist").iterdir()
    )


def test_explicit_dir_wins(tiny_mnist, clean_env, monkeypatch, tmp_path):
    monkeypatch.setenv(DATA_DIR_ENV, str(copy_mnist(tiny_mnist, tmp_path / "from-env")))
    copy_mnist(tiny_mnist, clean_env)

    assert data_folder(tiny_mnist, download=False) == tiny_mnist


def test_env_var_comes_before_the_cache(tiny_mnist, clean_env, monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, str(tiny_mnist))
    copy_mnist(tiny_mnist, clean_env)

    assert data_folder(download=False) == tiny_mnist


def test_cache_dir_is_used(tiny_mnist, clean_env):
    copy_mnist(tiny_mnist, clean_env)

    assert data_folder(download=False) == clean_env


def test_incomplete_env_dir_falls_back_to_the_cache(tiny_mnist, clean_env, monkeypatch, tmp_path):
    incomplete = copy_mnist(tiny_mnist, tmp_path / "incomplete")
    (incomplete / f"{TRAIN_IMAGES}.gz").unlink()
    monkeypatch.setenv(DATA_DIR_ENV, str(incomplete))
    copy_mnist(tiny_mnist, clean_env)

    assert data_folder(download=False) == clean_env


@pytest.mark.parametrize("remove", [NAMES, [TRAIN_LABELS]], ids=["empty", "one-missing"])
def test_explicit_dir_missing_files_is_an_error_without_fallback(
    tiny_mnist, clean_env, monkeypatch, tmp_path, remove
):
    explicit = copy_mnist(tiny_mnist, tmp_path / "explicit")
    for name in remove:
        (explicit / f"{name}.gz").unlink()
    monkeypatch.setenv(DATA_DIR_ENV, str(tiny_mnist))  # complete, yet not used

    with pytest.raises(DataError, match=re.escape(f"missing in {explicit}: {remove[0]}")):
        data_folder(explicit, download=False)


def test_nothing_found_names_every_place_looked(clean_env, monkeypatch, tmp_path):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "empty"))

    with pytest.raises(DataError) as excinfo:
        data_folder(download=False)

    message = str(excinfo.value)
    assert str(tmp_path / "empty") in message and str(clean_env) in message
    assert "--data-dir" in message and DATA_DIR_ENV in message and "\n" not in message


# Downloading into the cache, from a local HTTP server only


@pytest.mark.parametrize("progress", [False, True])
def test_download_fills_the_cache_with_verified_files(
    tiny_mnist, tiny_mnist_checksums, clean_env, mirror_server, progress
):
    mirror_server.publish("good", tiny_mnist)

    folder = data_folder(
        mirrors=(mirror_server.mirror("good"),), checksums=tiny_mnist_checksums, progress=progress
    )

    assert folder == clean_env
    for name in NAMES:
        assert (folder / f"{name}.gz").read_bytes() == (tiny_mnist / f"{name}.gz").read_bytes()
    assert sorted(path.name for path in folder.iterdir()) == sorted(f"{n}.gz" for n in NAMES)
    data = load_mnist(folder, checksums=tiny_mnist_checksums)
    assert data.x_train.shape == (300, 784)


def test_download_fetches_only_the_missing_files(
    tiny_mnist, tiny_mnist_checksums, clean_env, mirror_server
):
    mirror_server.publish("good", tiny_mnist)
    copy_mnist(tiny_mnist, clean_env)
    for name in (TRAIN_IMAGES, TRAIN_LABELS):
        (clean_env / f"{name}.gz").unlink()

    data_folder(mirrors=(mirror_server.mirror("good"),), checksums=tiny_mnist_checksums)

    assert sorted(mirror_server.requests) == [
        f"/good/{TRAIN_IMAGES}.gz",
        f"/good/{TRAIN_LABELS}.gz",
    ]


def _wrong_content(folder: Path) -> None:
    for name in NAMES:
        rewrite_content(folder, name, lambda content: content[:-1] + bytes([content[-1] ^ 1]))


def _not_gzip(folder: Path) -> None:
    for name in NAMES:
        (folder / f"{name}.gz").write_bytes(b"<html>Not Found</html>")


def _empty(folder: Path) -> None:
    for name in NAMES:
        (folder / f"{name}.gz").unlink()


@pytest.mark.parametrize(
    "spoil", [_wrong_content, _not_gzip, _empty], ids=["wrong-content", "not-gzip", "404"]
)
def test_a_bad_mirror_is_skipped_for_the_next(
    tiny_mnist, tiny_mnist_checksums, clean_env, mirror_server, spoil
):
    spoil(mirror_server.publish("bad", tiny_mnist))
    mirror_server.publish("good", tiny_mnist)
    mirrors = (mirror_server.mirror("bad"), mirror_server.mirror("good"))

    data_folder(mirrors=mirrors, checksums=tiny_mnist_checksums, progress=False)

    for name in NAMES:
        assert (clean_env / f"{name}.gz").read_bytes() == (tiny_mnist / f"{name}.gz").read_bytes()
    assert mirror_server.requests[:2] == [f"/bad/{TRAIN_IMAGES}.gz", f"/good/{TRAIN_IMAGES}.gz"]


@pytest.mark.parametrize(
    ("last_spoil", "reason"),
    [(_wrong_content, "fails its checksum"), (_not_gzip, "not a valid gzip"), (_empty, "404")],
    ids=["wrong-content", "not-gzip", "404"],
)
def test_all_mirrors_failing_raises_download_error(
    tiny_mnist, tiny_mnist_checksums, clean_env, mirror_server, last_spoil, reason
):
    last_spoil(mirror_server.publish("bad", tiny_mnist))
    mirrors = (f"http://127.0.0.1:{closed_port()}/", mirror_server.mirror("bad"))

    with pytest.raises(DownloadError, match=rf"{TRAIN_IMAGES}\.gz .*{reason}"):
        data_folder(mirrors=mirrors, checksums=tiny_mnist_checksums, progress=False)

    assert not clean_env.exists() or list(clean_env.iterdir()) == []


# The study's split


def test_a_study_split_is_normalised_in_the_study_dtype_and_seeded(tiny_mnist):
    source = DataSource(str(tiny_mnist), verify=False)
    settings = StudySettings(train_size=100, val_fraction=0.2, batch_size=20, dtype="float32")
    split = load_split(settings, 5, source)
    again = study_split(read_dataset(source), settings, 5)
    other = load_split(settings, 6, source)

    assert (len(split.x_train), len(split.x_val)) == (80, 20)
    assert split.x_train.dtype == np.float32 and 0.0 <= split.x_train.min() <= 1.0
    assert np.array_equal(split.x_train, again.x_train)
    assert not np.array_equal(split.t_train, other.t_train)


def test_read_dataset_keeps_the_stored_pixels(tiny_mnist):
    mnist = read_dataset(DataSource(str(tiny_mnist), verify=False))
    assert mnist.x_train.dtype == np.uint8
    assert np.allclose(normalized(mnist.x_train[:3], "float64"), mnist.x_train[:3] / 255.0)


@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_a_source_that_verifies_refuses_files_that_are_not_the_dataset(tiny_mnist, dataset):
    expected = DATASETS[dataset].checksums[TRAIN_IMAGES]
    with pytest.raises(DataError, match=f"checksum.*expected {expected}"):
        read_dataset(DataSource(str(tiny_mnist), verify=True), dataset)


def test_a_study_split_reads_the_study_dataset(tiny_mnist, clean_env, monkeypatch):
    monkeypatch.setenv(FASHION_ENV, str(tiny_mnist))  # only Fashion-MNIST can be found
    settings = StudySettings(dataset="fashion-mnist", train_size=100, batch_size=20)

    split = load_split(settings, 5, DataSource(verify=False, download=False))

    assert (len(split.x_train), len(split.x_val)) == (80, 20)
    with pytest.raises(DataError, match="^MNIST files not found"):
        load_split(StudySettings(train_size=100, batch_size=20), 5, DataSource(download=False))


def forbid_whole_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on, reading the whole data set fails the test."""

    def whole_read(*args, **kwargs):
        raise AssertionError("the whole data set was read")

    monkeypatch.setattr("hpsearch.data.datasets.load_mnist", whole_read)


def assert_same_split(split, other) -> None:
    for part in ("x_train", "t_train", "x_val", "t_val"):
        np.testing.assert_array_equal(getattr(split, part), getattr(other, part))


def test_a_split_of_files_not_verified_reads_only_the_samples_it_takes(tiny_mnist, monkeypatch):
    """With verification off, a worker reads the head of the training set, never the
    whole data set, and draws the split it would draw from the whole."""
    source = DataSource(str(tiny_mnist), verify=False)
    settings = StudySettings(train_size=100, val_fraction=0.2, batch_size=20)
    whole = study_split(read_dataset(source), settings, 5)
    forbid_whole_reads(monkeypatch)

    assert_same_split(load_split(settings, 5, source), whole)
    with pytest.raises(UsageError, match="train size 400 is larger than the 300 samples"):
        load_split(StudySettings(train_size=400, batch_size=20), 5, source)


def test_real_mnist_once_verified_is_read_only_as_far_as_the_split_goes(
    real_mnist, monkeypatch, tmp_path
):
    """The first read verifies the whole data set; after that a worker reads the head
    of the training set, and draws the same split as from the whole."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    source = DataSource(str(real_mnist))
    settings = StudySettings()  # the book's 500 samples
    first = load_split(settings, 3, source)  # reads everything, verifies, remembers
    forbid_whole_reads(monkeypatch)

    again = load_split(settings, 3, source)

    assert_same_split(again, first)
    assert (len(again.x_train), len(again.x_val)) == (400, 100)


def test_a_missing_fashion_mnist_folder_is_named_as_fashion_mnist(clean_env, tmp_path):
    settings = StudySettings(dataset="fashion-mnist")
    with pytest.raises(DataError, match=r"^Fashion-MNIST files missing in .*empty"):
        load_split(settings, 0, DataSource(data_dir=str(tmp_path / "empty")))


def test_mnist_files_given_for_fashion_mnist_are_said_to_be_mnists(
    tiny_mnist, tiny_mnist_checksums, clean_env, monkeypatch
):
    """Files that fail Fashion-MNIST's sums but have MNIST's are MNIST's, and said so."""
    from dataclasses import replace

    mnist = replace(DATASETS["mnist"], checksums=tiny_mnist_checksums)  # the tiny files' sums
    monkeypatch.setitem(DATASETS, "mnist", mnist)
    with pytest.raises(DataError) as raised:
        read_dataset(DataSource(data_dir=str(tiny_mnist)), "fashion-mnist")
    assert str(raised.value) == (
        f"the files in {tiny_mnist} are MNIST's, not Fashion-MNIST's: "
        "use --dataset mnist for them, or give Fashion-MNIST's folder"
    )
    # files of neither data set still fail their checksum as before
    monkeypatch.setitem(DATASETS, "mnist", replace(mnist, checksums=dict.fromkeys(NAMES, "0")))
    with pytest.raises(DataError, match="fails its checksum"):
        read_dataset(DataSource(data_dir=str(tiny_mnist)), "fashion-mnist")
