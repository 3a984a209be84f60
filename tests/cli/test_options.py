import inspect

import pytest

from hpsearch.cli import run
from hpsearch.cli.options import DEFAULT_STUDY, NewStudy, Running
from hpsearch.errors import UsageError
from hpsearch.settings import StudySettings


def test_start_and_auto_take_the_same_study_options():
    start = list(inspect.signature(run.start).parameters)
    auto = list(inspect.signature(run.auto).parameters)
    study = [name for name in start if name in NewStudy.__dataclass_fields__]
    assert study == list(NewStudy.__dataclass_fields__)
    assert [name for name in auto if name in NewStudy.__dataclass_fields__] == study


def test_the_worker_command_defaults_to_one_worker():
    assert inspect.signature(run.worker).parameters["workers"].default == 1
    assert inspect.signature(run.resume).parameters["workers"].default == Running().workers


def test_the_default_study_is_the_books_setting_in_float32():
    assert DEFAULT_STUDY.settings() == StudySettings(dtype="float32")
    assert StudySettings().dtype == "float64"  # the library keeps the book's dtype


def test_new_study_options_are_read_without_changing_them():
    study = NewStudy(train_size="all", hidden="2x20", optimizer="Adam")
    settings = study.settings()
    assert (settings.train_size, settings.hidden, settings.optimizer) == (None, (20, 20), "adam")
    assert (study.train_size, study.hidden, study.optimizer) == ("all", "2x20", "Adam")
    with pytest.raises(UsageError, match="train size must be a number or 'all'"):
        NewStudy(train_size="many").settings()
