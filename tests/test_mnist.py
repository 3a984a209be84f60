from __future__ import annotations

import functools
import gzip
import re
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from trainer.errors import DataError, DownloadError
from trainer.mnist import (
    DATA_DIR_ENV,
    LABELS_MAGIC,
    MNIST_FILES,
    MNIST_MD5,
    default_cache_dir,
    find_mnist,
    load_mnist,
)

NAMES = list(MNIST_FILES.values())
TRAIN_IMAGES, TRAIN_LABELS = MNIST_FILES["train_images"], MNIST_FILES["train_labels"]


def copy_mnist(source: Path, target: Path, *, compressed: bool = True) -> Path:
    """Copy the four .gz files of ``source`` into ``target``, gunzipped unless ``compressed``."""
    target.mkdir(parents=True, exist_ok=True)
    for name in NAMES:
        if compressed:
            shutil.copy(source / f"{name}.gz", target / f"{name}.gz")
        else:
            (target / name).write_bytes(gzip.decompress((source / f"{name}.gz").read_bytes()))
    return target


def rewrite_content(folder: Path, name: str, change: Callable[[bytes], bytes]) -> None:
    """Replace the uncompressed content of ``folder/name.gz`` by ``change(content)``."""
    path = folder / f"{name}.gz"
    path.write_bytes(gzip.compress(change(gzip.decompress(path.read_bytes())), mtime=0))


def idx_payload(folder: Path, name: str, header_size: int) -> np.ndarray:
    """The raw uint8 values of an IDX file, read independently of the loader."""
    return np.frombuffer(gzip.decompress((folder / f"{name}.gz").read_bytes()), np.uint8)[
        header_size:
    ]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No $HPSEARCH_DATA_DIR, and an empty cache under tmp_path; returns the cache folder."""
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    return tmp_path / "xdg-cache" / "hpsearch" / "mnist"


# Loading


def test_load_gives_the_books_shapes_and_dtypes(tiny_mnist, tiny_mnist_checksums):
    data = load_mnist(tiny_mnist, checksums=tiny_mnist_checksums)

    assert data.x_train.shape == (300, 784) and data.x_train.dtype == np.float64
    assert data.x_test.shape == (100, 784) and data.x_test.dtype == np.float64
    assert data.t_train.shape == (300,) and data.t_train.dtype == np.int64
    assert data.t_test.shape == (100,) and data.t_test.dtype == np.int64
    assert np.bincount(data.t_train).tolist() == [30] * 10


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normalize_scales_pixels_to_unit_interval(tiny_mnist, tiny_mnist_checksums, dtype):
    scaled = load_mnist(tiny_mnist, checksums=tiny_mnist_checksums, dtype=dtype)
    raw = load_mnist(tiny_mnist, checksums=tiny_mnist_checksums, normalize=False)

    assert scaled.x_train.dtype == dtype
    assert scaled.x_train.min() >= 0.0 and scaled.x_train.max() <= 1.0
    np.testing.assert_allclose(scaled.x_train * 255, raw.x_train, rtol=1e-6)


def test_normalize_false_keeps_the_uint8_pixels(tiny_mnist, tiny_mnist_checksums):
    data = load_mnist(tiny_mnist, checksums=tiny_mnist_checksums, normalize=False)

    assert data.x_train.dtype == np.uint8
    np.testing.assert_array_equal(data.x_train.ravel(), idx_payload(tiny_mnist, TRAIN_IMAGES, 16))
    assert data.x_train.flags.writeable


def test_flatten_false_gives_one_channel_images(tiny_mnist, tiny_mnist_checksums):
    flat = load_mnist(tiny_mnist, checksums=tiny_mnist_checksums)
    images = load_mnist(tiny_mnist, checksums=tiny_mnist_checksums, flatten=False)

    assert images.x_train.shape == (300, 1, 28, 28)
    assert images.x_test.shape == (100, 1, 28, 28)
    np.testing.assert_array_equal(images.x_train.reshape(300, 784), flat.x_train)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_one_hot_labels_mark_the_class_index(tiny_mnist, tiny_mnist_checksums, dtype):
    indices = load_mnist(tiny_mnist, checksums=tiny_mnist_checksums)
    one_hot = load_mnist(
        tiny_mnist, checksums=tiny_mnist_checksums, one_hot_label=True, dtype=dtype
    )

    assert one_hot.t_train.shape == (300, 10) and one_hot.t_train.dtype == dtype
    assert one_hot.t_test.shape == (100, 10)
    np.testing.assert_array_equal(one_hot.t_train.sum(axis=1), 1)
    np.testing.assert_array_equal(one_hot.t_train.argmax(axis=1), indices.t_train)


@pytest.mark.parametrize("compressed", [True, False], ids=["gz", "uncompressed"])
def test_reads_gzipped_and_uncompressed_files(
    tiny_mnist, tiny_mnist_checksums, tmp_path, compressed
):
    folder = copy_mnist(tiny_mnist, tmp_path / "copy", compressed=compressed)

    data = load_mnist(folder, checksums=tiny_mnist_checksums)

    np.testing.assert_array_equal(data.t_train, idx_payload(tiny_mnist, TRAIN_LABELS, 8))
    np.testing.assert_array_equal(
        data.x_train, idx_payload(tiny_mnist, TRAIN_IMAGES, 16).reshape(300, 784) / 255
    )


# Rejecting bad files


@pytest.mark.parametrize("name", NAMES)
def test_checksum_mismatch_names_the_file(tiny_mnist, tiny_mnist_checksums, name):
    checksums = {**tiny_mnist_checksums, name: "0" * 32}

    with pytest.raises(DataError, match=rf"{name}\.gz fails its checksum"):
        load_mnist(tiny_mnist, checksums=checksums)


def test_default_checksums_reject_files_that_are_not_the_real_mnist(tiny_mnist):
    with pytest.raises(DataError, match=rf"{TRAIN_IMAGES}\.gz fails its checksum"):
        load_mnist(tiny_mnist)


@pytest.mark.parametrize("name", NAMES)
def test_truncated_file_is_rejected_naming_it(tiny_mnist, name):
    full_size = len(gzip.decompress((tiny_mnist / f"{name}.gz").read_bytes()))
    rewrite_content(tiny_mnist, name, lambda content: content[:-5])

    expected = rf"{name}\.gz is truncated: expected {full_size} bytes, got {full_size - 5}"
    with pytest.raises(DataError, match=expected):
        load_mnist(tiny_mnist, checksums=None)


def test_truncated_header_is_rejected(tiny_mnist):
    rewrite_content(tiny_mnist, TRAIN_IMAGES, lambda content: content[:6])

    with pytest.raises(DataError, match=rf"{TRAIN_IMAGES}\.gz is truncated"):
        load_mnist(tiny_mnist, checksums=None)


def test_trailing_bytes_are_rejected(tiny_mnist):
    rewrite_content(tiny_mnist, TRAIN_LABELS, lambda content: content + b"\0")

    with pytest.raises(DataError, match=rf"{TRAIN_LABELS}\.gz is malformed: expected 308 bytes"):
        load_mnist(tiny_mnist, checksums=None)


@pytest.mark.parametrize("name", NAMES)
def test_bad_magic_number_is_rejected(tiny_mnist, name):
    rewrite_content(tiny_mnist, name, lambda content: b"\0\0\x08\x02" + content[4:])

    with pytest.raises(DataError, match=rf"{name}\.gz has magic number 0x00000802"):
        load_mnist(tiny_mnist, checksums=None)


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda data: b"not gzip at all",
        lambda data: data[: len(data) // 2],
        lambda data: data[:20] + bytes(b ^ 0xFF for b in data[20:40]) + data[40:],
    ],
    ids=["not-gzip", "cut-short", "flipped-bytes"],
)
def test_corrupt_gzip_is_rejected_naming_the_file(tiny_mnist, corrupt):
    path = tiny_mnist / f"{TRAIN_IMAGES}.gz"
    path.write_bytes(corrupt(path.read_bytes()))

    with pytest.raises(DataError, match=rf"{TRAIN_IMAGES}\.gz is not a valid gzip file"):
        load_mnist(tiny_mnist, checksums=None)


def test_image_and_label_counts_must_agree(tiny_mnist):
    rewrite_content(
        tiny_mnist,
        TRAIN_LABELS,
        lambda content: LABELS_MAGIC.to_bytes(4, "big") + (299).to_bytes(4, "big") + content[8:-1],
    )

    with pytest.raises(DataError, match="train set has 300 images but 299 labels"):
        load_mnist(tiny_mnist, checksums=None)


def test_labels_outside_the_ten_classes_are_rejected(tiny_mnist):
    rewrite_content(tiny_mnist, TRAIN_LABELS, lambda content: content[:-1] + b"\x0a")

    with pytest.raises(DataError, match="train labels hold a class >= 10"):
        load_mnist(tiny_mnist, checksums=None)


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

    assert find_mnist(tiny_mnist, download=False) == tiny_mnist


def test_env_var_comes_before_the_cache(tiny_mnist, clean_env, monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, str(tiny_mnist))
    copy_mnist(tiny_mnist, clean_env)

    assert find_mnist(download=False) == tiny_mnist


def test_cache_dir_is_used(tiny_mnist, clean_env):
    copy_mnist(tiny_mnist, clean_env)

    assert find_mnist(download=False) == clean_env


def test_incomplete_env_dir_falls_back_to_the_cache(tiny_mnist, clean_env, monkeypatch, tmp_path):
    incomplete = copy_mnist(tiny_mnist, tmp_path / "incomplete")
    (incomplete / f"{TRAIN_IMAGES}.gz").unlink()
    monkeypatch.setenv(DATA_DIR_ENV, str(incomplete))
    copy_mnist(tiny_mnist, clean_env)

    assert find_mnist(download=False) == clean_env


@pytest.mark.parametrize("remove", [NAMES, [TRAIN_LABELS]], ids=["empty", "one-missing"])
def test_explicit_dir_missing_files_is_an_error_without_fallback(
    tiny_mnist, clean_env, monkeypatch, tmp_path, remove
):
    explicit = copy_mnist(tiny_mnist, tmp_path / "explicit")
    for name in remove:
        (explicit / f"{name}.gz").unlink()
    monkeypatch.setenv(DATA_DIR_ENV, str(tiny_mnist))  # complete, yet not used

    with pytest.raises(DataError, match=re.escape(f"missing in {explicit}: {remove[0]}")):
        find_mnist(explicit, download=False)


def test_nothing_found_names_every_place_looked(clean_env, monkeypatch, tmp_path):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "empty"))

    with pytest.raises(DataError) as excinfo:
        load_mnist(download=False)

    message = str(excinfo.value)
    assert str(tmp_path / "empty") in message and str(clean_env) in message
    assert "--data-dir" in message and DATA_DIR_ENV in message and "\n" not in message


# Downloading, from a local HTTP server only


@dataclass
class MirrorServer:
    """An HTTP server on 127.0.0.1 serving ``root``; ``requests`` lists the paths asked for."""

    root: Path
    port: int
    requests: list[str] = field(default_factory=list)

    def mirror(self, folder: str) -> str:
        return f"http://127.0.0.1:{self.port}/{folder}/"

    def publish(self, folder: str, source: Path) -> Path:
        return copy_mnist(source, self.root / folder)


@pytest.fixture
def mirror_server(tmp_path, monkeypatch) -> Iterator[MirrorServer]:
    for proxy in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(proxy, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    root = tmp_path / "www"
    root.mkdir()
    requests: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def log_request(self, code="-", size="-"):
            requests.append(self.path)

        def log_message(self, *args):  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=root))
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield MirrorServer(root, server.server_address[1], requests)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("progress", [False, True])
def test_download_fills_the_cache_with_verified_files(
    tiny_mnist, tiny_mnist_checksums, clean_env, mirror_server, progress
):
    mirror_server.publish("good", tiny_mnist)

    folder = find_mnist(
        mirrors=(mirror_server.mirror("good"),), checksums=tiny_mnist_checksums, progress=progress
    )

    assert folder == clean_env
    for name in NAMES:
        assert (folder / f"{name}.gz").read_bytes() == (tiny_mnist / f"{name}.gz").read_bytes()
    assert sorted(path.name for path in folder.iterdir()) == sorted(f"{n}.gz" for n in NAMES)
    data = load_mnist(download=False, checksums=tiny_mnist_checksums)
    assert data.x_train.shape == (300, 784)


def test_download_fetches_only_the_missing_files(
    tiny_mnist, tiny_mnist_checksums, clean_env, mirror_server
):
    mirror_server.publish("good", tiny_mnist)
    copy_mnist(tiny_mnist, clean_env)
    for name in (TRAIN_IMAGES, TRAIN_LABELS):
        (clean_env / f"{name}.gz").unlink()

    find_mnist(mirrors=(mirror_server.mirror("good"),), checksums=tiny_mnist_checksums)

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

    find_mnist(mirrors=mirrors, checksums=tiny_mnist_checksums, progress=False)

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
        find_mnist(mirrors=mirrors, checksums=tiny_mnist_checksums, progress=False)

    assert not clean_env.exists() or list(clean_env.iterdir()) == []


# The real MNIST (skipped when its files are absent)


@pytest.mark.realdata
def test_real_mnist_matches_the_published_counts(real_mnist):
    data = load_mnist(real_mnist, normalize=False, checksums=MNIST_MD5, download=False)

    assert data.x_train.shape == (60000, 784) and data.x_test.shape == (10000, 784)
    assert np.bincount(data.t_train).tolist() == [
        5923,
        6742,
        5958,
        6131,
        5842,
        5421,
        5918,
        6265,
        5851,
        5949,
    ]
    assert np.bincount(data.t_test).tolist() == [
        980,
        1135,
        1032,
        1010,
        982,
        892,
        958,
        1028,
        974,
        1009,
    ]
    assert data.t_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
