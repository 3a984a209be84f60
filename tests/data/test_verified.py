import os
from dataclasses import replace

import pytest

from hpsearch.data import verified
from hpsearch.data.datasets import DataSource, check_split, read_dataset
from hpsearch.errors import UsageError
from hpsearch.settings import StudySettings
from trainer import DataError
from trainer.mnist import DATASETS, MNIST_FILES


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def test_remembered_files_count_as_verified_until_one_changes(tiny_mnist, tiny_mnist_checksums):
    assert not verified.is_verified(tiny_mnist, tiny_mnist_checksums)
    verified.remember(tiny_mnist, tiny_mnist_checksums)
    assert verified.cache_path().is_file()
    assert verified.is_verified(tiny_mnist, tiny_mnist_checksums)
    wrong = dict(tiny_mnist_checksums, **{MNIST_FILES["test_labels"]: "0" * 32})
    assert not verified.is_verified(tiny_mnist, wrong)  # checked against other MD5s
    labels = next(tiny_mnist.glob(f"{MNIST_FILES['test_labels']}*"))
    stat = labels.stat()
    os.utime(labels, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    assert not verified.is_verified(tiny_mnist, tiny_mnist_checksums)


def test_an_unreadable_record_is_an_empty_one(tiny_mnist, tiny_mnist_checksums):
    verified.cache_path().parent.mkdir(parents=True)
    verified.cache_path().write_text("not json")
    assert not verified.is_verified(tiny_mnist, tiny_mnist_checksums)
    verified.remember(tiny_mnist, tiny_mnist_checksums)
    assert verified.is_verified(tiny_mnist, tiny_mnist_checksums)


def test_train_count_reads_the_header(tiny_mnist):
    from tests.support import TINY_TRAIN_SIZE

    assert verified.train_count(tiny_mnist) == TINY_TRAIN_SIZE


def test_real_mnist_is_verified_once_then_only_its_header_is_read(real_mnist, monkeypatch):
    source = DataSource(data_dir=str(real_mnist))
    checksums = DATASETS["mnist"].checksums
    assert not verified.is_verified(real_mnist, checksums)
    check_split(StudySettings(), source)  # reads and verifies the whole data set
    assert verified.is_verified(real_mnist, checksums)

    def no_reading(*args, **kwargs):
        raise AssertionError("the data was read again")

    monkeypatch.setattr("hpsearch.data.datasets.load_mnist", no_reading)
    check_split(StudySettings(), source)  # the header alone
    with pytest.raises(UsageError):
        check_split(replace(StudySettings(), train_size=70_000), source)


def test_a_changed_file_is_checked_again_and_fails(real_mnist, tmp_path):
    from tests.support import copy_mnist, rewrite_content

    folder = copy_mnist(real_mnist, tmp_path / "mnist")
    source = DataSource(data_dir=str(folder))
    read_dataset(source)
    assert verified.is_verified(folder, DATASETS["mnist"].checksums)
    rewrite_content(folder, MNIST_FILES["test_labels"], lambda content: content[:-1] + b"\x01")
    with pytest.raises(DataError, match="fails its checksum"):
        read_dataset(source)
