from __future__ import annotations

import gzip
import re
from pathlib import Path

import numpy as np
import pytest

from tests.support import MirrorServer, copy_mnist, rewrite_content
from trainer.errors import DataError
from trainer.idx import LABELS_MAGIC
from trainer.mnist import (
    FASHION_MNIST_MD5,
    MNIST_FILES,
    MNIST_MD5,
    find_mnist,
    load_mnist,
    load_training_head,
)

NAMES = list(MNIST_FILES.values())
TRAIN_IMAGES, TRAIN_LABELS = MNIST_FILES["train_images"], MNIST_FILES["train_labels"]


def idx_payload(folder: Path, name: str, header_size: int) -> np.ndarray:
    """The raw uint8 values of an IDX file, read independently of the loader."""
    return np.frombuffer(gzip.decompress((folder / f"{name}.gz").read_bytes()), np.uint8)[
        header_size:
    ]


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


# The head of the training set, read no further than it goes


@pytest.mark.parametrize("compressed", [True, False], ids=["gz", "raw"])
@pytest.mark.parametrize("count", [0, 1, 123, 300, 301, None])
def test_the_training_head_is_the_first_samples_of_the_whole_set(
    tiny_mnist, tiny_mnist_checksums, tmp_path, compressed, count
):
    folder = copy_mnist(tiny_mnist, tmp_path / "copy", compressed=compressed)
    whole = load_mnist(folder, normalize=False, checksums=tiny_mnist_checksums)

    head = load_training_head(folder, count)

    n = 300 if count is None else min(count, 300)
    assert head.available == 300
    assert (head.x.dtype, head.x.shape, head.t.dtype) == (np.uint8, (n, 784), np.int64)
    np.testing.assert_array_equal(head.x, whole.x_train[:n])
    np.testing.assert_array_equal(head.t, whole.t_train[:n])


def test_the_training_head_reads_no_further_than_it_goes(tiny_mnist):
    """A gzipped file cut after 10 images (its header still says 300) gives its first 10:
    the rest is never read. Asking for 11 finds the cut."""
    rewrite_content(tiny_mnist, TRAIN_IMAGES, lambda content: content[: 16 + 10 * 784])

    assert len(load_training_head(tiny_mnist, 10).x) == 10
    with pytest.raises(DataError, match=rf"{TRAIN_IMAGES}\.gz is truncated: it ends within"):
        load_training_head(tiny_mnist, 11)


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        (TRAIN_IMAGES, lambda c: b"\0\0\x08\x02" + c[4:], "has magic number 0x00000802"),
        (TRAIN_LABELS, lambda c: c[:6], "is truncated: its header is 6 bytes"),
        (
            TRAIN_LABELS,
            lambda c: LABELS_MAGIC.to_bytes(4, "big") + (299).to_bytes(4, "big") + c[8:-1],
            "train set has 300 images but 299 labels",
        ),
        (TRAIN_LABELS, lambda c: b"\x0a".join([c[:8], c[9:]]), "labels hold a class >= 10"),
    ],
    ids=["magic", "header", "counts", "class"],
)
def test_the_training_head_checks_the_headers_and_labels(tiny_mnist, name, change, message):
    rewrite_content(tiny_mnist, name, change)

    with pytest.raises(DataError, match=message):
        load_training_head(tiny_mnist, 5)


def test_the_training_head_of_a_raw_file_checks_its_size(tiny_mnist, tmp_path):
    folder = copy_mnist(tiny_mnist, tmp_path / "raw", compressed=False)
    with (folder / TRAIN_LABELS).open("ab") as stream:
        stream.write(b"\0")

    with pytest.raises(DataError, match=rf"{TRAIN_LABELS} is malformed: expected 308 bytes"):
        load_training_head(folder, 5)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda path: path.write_bytes(b"not gzip at all"), rf"{TRAIN_IMAGES}\.gz is not a valid"),
        (lambda path: path.unlink(), rf"cannot read \S*{TRAIN_IMAGES}\.gz: "),
    ],
    ids=["not-gzip", "missing"],
)
def test_the_training_head_of_an_unreadable_file_is_a_data_error(tiny_mnist, change, message):
    change(tiny_mnist / f"{TRAIN_IMAGES}.gz")

    with pytest.raises(DataError, match=message):
        load_training_head(tiny_mnist, 5)


# Downloading, from a local HTTP server only


# Downloading into the given folder, from a local HTTP server only


def test_find_mnist_downloads_the_missing_files_into_its_folder_and_reports_progress(
    tiny_mnist, tiny_mnist_checksums, mirror_server: MirrorServer, tmp_path
):
    mirror_server.publish("good", tiny_mnist)
    calls: list[tuple[str, int, int | None]] = []

    folder = find_mnist(
        tmp_path / "data",
        download=True,
        mirrors=(mirror_server.mirror("good"),),
        checksums=tiny_mnist_checksums,
        progress=lambda name, done, total: calls.append((name, done, total)),
    )

    assert folder == tmp_path / "data"
    assert sorted(path.name for path in folder.iterdir()) == sorted(f"{n}.gz" for n in NAMES)
    for name in NAMES:
        size = (tiny_mnist / f"{name}.gz").stat().st_size
        assert (f"{name}.gz", size, size) in calls  # the last report of each file: all of it


def test_find_mnist_without_download_names_the_missing_files(tiny_mnist, tmp_path):
    folder = copy_mnist(tiny_mnist, tmp_path / "partial")
    (folder / f"{TRAIN_LABELS}.gz").unlink()

    with pytest.raises(DataError, match=re.escape(f"missing in {folder}: {TRAIN_LABELS}")):
        find_mnist(folder)


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


@pytest.mark.realdata
def test_real_fashion_mnist_matches_its_published_checksums_and_counts(real_fashion_mnist):
    data = load_mnist(
        real_fashion_mnist, normalize=False, checksums=FASHION_MNIST_MD5, download=False
    )

    assert data.x_train.shape == (60000, 784) and data.x_test.shape == (10000, 784)
    assert np.bincount(data.t_train).tolist() == [6000] * 10
    assert np.bincount(data.t_test).tolist() == [1000] * 10
    assert data.t_train[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]


@pytest.mark.realdata
def test_real_fashion_mnist_is_not_mnist(real_fashion_mnist):
    with pytest.raises(DataError, match="fails its checksum"):
        load_mnist(real_fashion_mnist, normalize=False, checksums=MNIST_MD5, download=False)
