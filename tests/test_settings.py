import pytest

from hpsearch.errors import UsageError
from hpsearch.settings import StudySettings, parse_hidden, parse_weight_init, weight_init_value
from trainer.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "sizes"),
    [("6x100", (100,) * 6), ("100, 50,50", (100, 50, 50)), ("1x7", (7,))],
)
def test_hidden_layers_are_parsed(text, sizes):
    assert parse_hidden(text) == sizes


@pytest.mark.parametrize("text", ["0", "", "none", "0x100", "3x0", "100,0"])
def test_a_network_without_a_hidden_layer_is_refused(text):
    with pytest.raises(UsageError, match="at least one hidden layer"):
        parse_hidden(text)
    with pytest.raises(UsageError, match="at least one"):
        StudySettings(hidden=())


@pytest.mark.parametrize(
    ("text", "stored", "value"),
    [("He", "he", "he"), ("xavier", "xavier", "xavier"), ("0.01", "0.01", 0.01),
     ("1e-2", "0.01", 0.01)],
)  # fmt: skip
def test_weight_init_is_a_name_or_a_standard_deviation(text, stored, value):
    assert parse_weight_init(text) == stored
    assert weight_init_value(stored) == value


@pytest.mark.parametrize("text", ["glorot", "0", "-1", "nan", "inf"])
def test_a_weight_init_that_cannot_work_is_refused(text):
    with pytest.raises(ConfigError):
        parse_weight_init(text)
    with pytest.raises(UsageError):
        StudySettings(weight_init=text)


@pytest.mark.parametrize(
    "values",
    [{"epochs": 0}, {"batch_size": 0}, {"val_fraction": 1.0}, {"dtype": "float16"}],
)
def test_settings_refuse_values_that_cannot_work(values):
    with pytest.raises(UsageError):
        StudySettings(**values)


def test_split_sizes_follow_the_fraction_and_need_a_batch():
    assert StudySettings(train_size=500, val_fraction=0.2).split_sizes(60000) == (400, 100)
    with pytest.raises(UsageError, match="fewer than the batch size"):
        StudySettings(train_size=100, batch_size=100).split_sizes(60000)


def test_settings_round_trip_through_the_study_columns(stored_study):
    from hpsearch import store

    with stored_study.factory() as session:
        study = store.get_study(session, "small")
        settings = StudySettings.from_study(study)
        assert settings.columns() == {k: getattr(study, k) for k in settings.columns()}
