from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from conftest import closed_port, copy_mnist, rewrite_content
from hpsearch.data import (
    DATA_DIR_ENV,
    DataSource,
    default_cache_dir,
    load_split,
    mnist_folder,
    normalized,
    read_mnist,
    study_split,
)
from hpsearch.settings import StudySettings
from trainer import load_mnist
from trainer.errors import DataError, DownloadError
from trainer.mnist import MNIST_FILES

NAMES = list(MNIST_FILES.values())
TRAIN_IMAGES, TRAIN_LABELS = MNIST_FILES["train_images"], MNIST_FILES["train_labels"]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No $HPSEARCH_DATA_DIR, and an empty cache under tmp_path; returns the cache folder."""
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
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


def test_explicit_dir_wins(tiny_mnist, clean_env, monkeypatch, tmp_path):
    monkeypatch.setenv(DATA_DIR_ENV, str(copy_mnist(tiny_mnist, tmp_path / "from-env")))
    copy_mnist(tiny_mnist, clean_env)

    assert mnist_folder(tiny_mnist, download=False) == tiny_mnist


def test_env_var_comes_before_the_cache(tiny_mnist, clean_env, monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, str(tiny_mnist))
    copy_mnist(tiny_mnist, clean_env)

    assert mnist_folder(download=False) == tiny_mnist


def test_cache_dir_is_used(tiny_mnist, clean_env):
    copy_mnist(tiny_mnist, clean_env)

    assert mnist_folder(download=False) == clean_env


def test_incomplete_env_dir_falls_back_to_the_cache(tiny_mnist, clean_env, monkeypatch, tmp_path):
    incomplete = copy_mnist(tiny_mnist, tmp_path / "incomplete")
    (incomplete / f"{TRAIN_IMAGES}.gz").unlink()
    monkeypatch.setenv(DATA_DIR_ENV, str(incomplete))
    copy_mnist(tiny_mnist, clean_env)

    assert mnist_folder(download=False) == clean_env


@pytest.mark.parametrize("remove", [NAMES, [TRAIN_LABELS]], ids=["empty", "one-missing"])
def test_explicit_dir_missing_files_is_an_error_without_fallback(
    tiny_mnist, clean_env, monkeypatch, tmp_path, remove
):
    explicit = copy_mnist(tiny_mnist, tmp_path / "explicit")
    for name in remove:
        (explicit / f"{name}.gz").unlink()
    monkeypatch.setenv(DATA_DIR_ENV, str(tiny_mnist))  # complete, yet not used

    with pytest.raises(DataError, match=re.escape(f"missing in {explicit}: {remove[0]}")):
        mnist_folder(explicit, download=False)


def test_nothing_found_names_every_place_looked(clean_env, monkeypatch, tmp_path):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "empty"))

    with pytest.raises(DataError) as excinfo:
        mnist_folder(download=False)

    message = str(excinfo.value)
    assert str(tmp_path / "empty") in message and str(clean_env) in message
    assert "--data-dir" in message and DATA_DIR_ENV in message and "\n" not in message


# Downloading into the cache, from a local HTTP server only


@pytest.mark.parametrize("progress", [False, True])
def test_download_fills_the_cache_with_verified_files(
    tiny_mnist, tiny_mnist_checksums, clean_env, mirror_server, progress
):
    mirror_server.publish("good", tiny_mnist)

    folder = mnist_folder(
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

    mnist_folder(mirrors=(mirror_server.mirror("good"),), checksums=tiny_mnist_checksums)

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

    mnist_folder(mirrors=mirrors, checksums=tiny_mnist_checksums, progress=False)

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
        mnist_folder(mirrors=mirrors, checksums=tiny_mnist_checksums, progress=False)

    assert not clean_env.exists() or list(clean_env.iterdir()) == []


# The study's split


def test_a_study_split_is_normalised_in_the_study_dtype_and_seeded(tiny_mnist):
    source = DataSource(str(tiny_mnist), verify=False)
    settings = StudySettings(train_size=100, val_fraction=0.2, batch_size=20, dtype="float32")
    split = load_split(settings, 5, source)
    again = study_split(read_mnist(source), settings, 5)
    other = load_split(settings, 6, source)

    assert (len(split.x_train), len(split.x_val)) == (80, 20)
    assert split.x_train.dtype == np.float32 and 0.0 <= split.x_train.min() <= 1.0
    assert np.array_equal(split.x_train, again.x_train)
    assert not np.array_equal(split.t_train, other.t_train)


def test_read_mnist_keeps_the_stored_pixels(tiny_mnist):
    mnist = read_mnist(DataSource(str(tiny_mnist), verify=False))
    assert mnist.x_train.dtype == np.uint8
    assert np.allclose(normalized(mnist.x_train[:3], "float64"), mnist.x_train[:3] / 255.0)


def test_a_source_that_verifies_refuses_files_that_are_not_mnist(tiny_mnist):
    with pytest.raises(DataError, match="checksum"):
        read_mnist(DataSource(str(tiny_mnist), verify=True))
