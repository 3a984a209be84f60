import pytest

from hpsearch.errors import UsageError
from hpsearch.settings import StudySettings
from hpsearch.space.domains import Choice, FloatRange, IntRange
from hpsearch.space.parameters import PARAMETERS, check_book_names, parse_spec
from hpsearch.space.setup import trial_setup
from hpsearch.space.space_file import read_space_file, toml_domain


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("lr=1e-4:1e-1", FloatRange(1e-4, 1e-1, "lr", log=True)),
        ("dropout=0:0.5", FloatRange(0.0, 0.5, "dropout", log=False)),
        ("weight_decay=0:1e-4:linear", FloatRange(0.0, 1e-4, "weight_decay", log=False)),
        ("hidden_layers=2:6", IntRange(2, 6, "hidden_layers")),
        ("batch_size=16:256:log", IntRange(16, 256, "batch_size", log=True)),
        ("batch_size=32,64,128", Choice((32, 64, 128), "batch_size")),
        ("optimizer=SGD, adam", Choice(("sgd", "adam"), "optimizer")),
        ("batchnorm=true,false", Choice((True, False), "batchnorm")),
        ("weight_init=he,0.01", Choice(("he", 0.01), "weight_init")),
        ("hidden=6x100;100,50", Choice(("100,100,100,100,100,100", "100,50"), "hidden")),
        ("momentum=0.5:0.99", FloatRange(0.5, 0.99, "momentum", log=False)),
    ],
)
def test_specs_parse_to_domains(spec, expected):
    assert parse_spec(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("col-our=red,blue", "parameter name 'col-our'"),
        ("lr=1e-2:1e-6", "low must be < high"),
        ("lr=0:1e-2", "both bounds must be > 0"),
        ("dropout=0:1", "dropout must be in [0, 1), got 1"),
        ("batch_size=0:64", "batch size must be >= 1, got 0"),
        ("hidden_layers=1.5:4", "not an integer bound"),
        ("hidden_layers=3:3", "low must be < high"),
        ("optimizer=", "empty choice"),
        ("optimizer=sgd,,adam", "empty choice"),
        ("optimizer=sgd,sgd", "given twice"),
        ("optimizer=sgd,lion", "unknown value 'lion'"),
        ("optimizer=1:2", "unknown value"),
        ("batchnorm=maybe", "not a boolean"),
        ("lr", "write NAME=LOW:HIGH"),
        ("dropout=0:0.5:cubic", "log or linear"),
    ],
)
def test_bad_specs_are_refused_in_one_line(spec, message):
    with pytest.raises(UsageError) as excinfo:
        parse_spec(spec)
    assert message in str(excinfo.value) and "\n" not in str(excinfo.value)


def test_a_space_file_takes_strings_lists_and_tables(tmp_path):
    path = tmp_path / "space.toml"
    path.write_text(
        'optimizer = ["sgd", "adam"]\n'
        'dropout = "0:0.5"\n'
        "[lr]\nlow = 1e-4\nhigh = 1e-1\n"
        "[batchnorm]\nchoices = [true, false]\n"
        "[hidden_size]\nlow = 16\nhigh = 256\nlog = true\n"
    )

    assert read_space_file(path) == [
        Choice(("sgd", "adam"), "optimizer"),
        FloatRange(0.0, 0.5, "dropout", log=False),
        FloatRange(1e-4, 1e-1, "lr"),
        Choice((True, False), "batchnorm"),
        IntRange(16, 256, "hidden_size", log=True),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lr = [1\n", "is not valid TOML"),
        ("lr = 3\n", "write LOW:HIGH, a list of choices"),
        ("[lr]\nlow = 1\nhigh = 2\nstep = 1\n", "unknown key 'step'"),
        ("lr = '1:2'\nlr = '2:3'\n", "is not valid TOML"),  # a name twice
    ],
)
def test_bad_space_files_are_refused(tmp_path, text, message):
    path = tmp_path / "space.toml"
    path.write_text(text)
    with pytest.raises(UsageError, match=message):
        read_space_file(path)


def test_a_missing_space_file_is_one_line(tmp_path):
    with pytest.raises(UsageError, match="cannot read"):
        read_space_file(tmp_path / "none.toml")


def test_toml_booleans_and_numbers_as_choices():
    assert toml_domain("batch_size", [32, 64]) == Choice((32, 64), "batch_size")


def test_a_trial_setup_puts_its_values_into_the_settings():
    settings = StudySettings(hidden=(100,) * 6)
    values = {
        "lr": 0.01, "weight_decay": 1e-6, "optimizer": "momentum", "momentum": 0.8,
        "beta1": 0.5, "hidden_layers": 3, "batch_size": 32, "batchnorm": True,
        "weight_init": 0.02, "dropout": 0.25,
    }  # fmt: skip

    setup = trial_setup(settings, values)

    assert setup.settings.optimizer == "momentum" and setup.settings.hidden == (100, 100, 100)
    assert (setup.settings.batch_size, setup.settings.batchnorm) == (32, True)
    assert (setup.settings.weight_init, setup.settings.dropout) == ("0.02", 0.25)
    # momentum goes to the momentum optimizer; Adam's beta1 does not
    assert setup.optimizer_params == {"lr": 0.01, "momentum": 0.8}


def test_a_hidden_shape_choice_replaces_the_study_layers():
    setup = trial_setup(StudySettings(), {"lr": 0.1, "weight_decay": 0.0, "hidden": "50,20"})
    assert setup.settings.hidden == (50, 20)


def test_every_parameter_the_chapter_names_can_be_searched():
    assert {
        "lr", "weight_decay", "optimizer", "batch_size", "hidden_size", "hidden_layers",
        "hidden", "activation", "weight_init", "batchnorm", "dropout", "momentum",
        "beta1", "beta2", "decay_rate",
    } <= set(PARAMETERS)  # fmt: skip


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("C=1e-2:1e3:log", FloatRange(1e-2, 1e3, "C", log=True)),
        ("gamma=0.1:0.9", FloatRange(0.1, 0.9, "gamma", log=False)),
        ("filters=16:64", IntRange(16, 64, "filters")),
        ("filters=16:256:log", IntRange(16, 256, "filters", log=True)),
        ("width=16.0:64", FloatRange(16.0, 64.0, "width", log=False)),
        ("kernel=rbf,poly", Choice(("rbf", "poly"), "kernel")),
        ("n_layers=1,2,4", Choice((1, 2, 4), "n_layers")),
        ("shrink=true,false", Choice((True, False), "shrink")),
        ("tol=1e-3,0.5,auto", Choice((1e-3, 0.5, "auto"), "tol")),
        ("lr=1e-4:1e-1", FloatRange(1e-4, 1e-1, "lr", log=True)),  # a known name's rules
    ],
)
def test_a_parameter_of_ones_own_name_is_read_from_how_it_is_written(spec, expected):
    domain = parse_spec(spec)
    assert domain == expected
    assert type(domain) is type(expected)


def test_an_own_parameter_in_a_space_file_takes_its_kind_from_its_bounds(tmp_path):
    path = tmp_path / "space.toml"
    path.write_text(
        "C = { low = 0.01, high = 1000, log = true }\n"
        "filters = { low = 8, high = 32 }\n"
        'kernel = ["rbf", "poly"]\n'
    )
    assert read_space_file(path) == [
        FloatRange(0.01, 1000.0, "C", log=True),
        IntRange(8, 32, "filters"),
        Choice(("rbf", "poly"), "kernel"),
    ]


def test_the_book_network_refuses_a_name_it_does_not_take():
    check_book_names(["lr", "dropout"])
    with pytest.raises(UsageError, match="unknown parameter 'C'.*--objective"):
        check_book_names(["lr", "C"])
