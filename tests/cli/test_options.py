import inspect
from enum import Enum

import pytest
from typer.testing import CliRunner

from hpsearch.cli import auto as auto_command
from hpsearch.cli import run
from hpsearch.cli.options import DEFAULT_STUDY, NewStudy, Running
from hpsearch.errors import UsageError
from hpsearch.settings import StudySettings


def test_start_and_auto_take_the_same_study_options():
    start = list(inspect.signature(run.start).parameters)
    auto = list(inspect.signature(auto_command.auto).parameters)
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


# --- what --help shows, and what the parser refuses ------------------------------------


def commands() -> dict[str, object]:
    """Each command of ``hpsearch`` ('start', 'db upgrade') as Typer builds it."""
    import typer.main

    from hpsearch.cli import app

    found = {}

    def walk(command, path):
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(sub, [*path, name])
        else:
            found[" ".join(path)] = command

    walk(typer.main.get_command(app), [])
    return found


COMMANDS = commands()


def shown_help(command: str) -> str:
    """``hpsearch COMMAND --help`` on a terminal wide enough that no line wraps."""
    from hpsearch.cli import app

    result = CliRunner().invoke(app, [*command.split(), "--help"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    return result.output


def default_text(option) -> str | None:
    """The ``[default: ...]`` an option's --help line should end with, None if it has none."""
    if isinstance(option.show_default, str):
        return f"[default: ({option.show_default})]"
    if option.default is None or option.show_default is False or option.is_bool_flag:
        return None
    value = option.default
    if isinstance(value, Enum):
        value = value.value
    elif isinstance(value, tuple):
        value = ", ".join(map(str, value))
    return f"[default: {value}]"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_options_help_and_default_appear_intact_in_help(command):
    """Rich reads square brackets as markup: a help text or default it ate would be missing."""
    rows = {}
    for line in shown_help(command).splitlines():
        words = line.strip().strip("│").split()
        if words and words[0] == "*":  # a required option
            words = words[1:]
        if words and words[0].startswith("-"):
            rows[words[0]] = " ".join(words)
    for option in COMMANDS[command].params:
        if option.param_type_name != "option" or option.hidden:
            continue
        (row,) = [rows[name] for name in option.opts if name in rows]
        assert " ".join(option.help.split()) in row, (option.opts, row)
        if (default := default_text(option)) is not None:
            assert row.endswith(default) or f"{default} [required]" in row, (default, row)


CHOICES = [
    ("start", "--dataset", "mnist|fashion-mnist"),
    ("start", "--activation", "relu|sigmoid"),
    ("start", "--weight-init", "he|xavier|STD"),
    ("start", "--optimizer", "sgd|momentum|nesterov|adagrad|rmsprop|adam"),
    ("start", "--dtype", "float32|float64"),
    ("start", "--pruner", "none|median|asha"),
    ("auto", "--optimizer", "sgd|momentum|nesterov|adagrad|rmsprop|adam"),
    ("narrow", "--pruner", "none|median|asha"),
    ("export", "--format", "csv|json"),
    ("plot", "--format", "png|svg|pdf"),
]


@pytest.mark.parametrize(("command", "option", "words"), CHOICES)
def test_an_option_of_a_closed_set_lists_its_words_in_help(command, option, words):
    (line,) = [line for line in shown_help(command).splitlines() if f" {option} " in line]
    assert f"<{words}>" in line
    assert "<str>" not in line


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["start", "s", "--optimizer", "adamw"], "--optimizer"),
        (["start", "s", "--dataset", "cifar"], "--dataset"),
        (["auto", "s", "--dtype", "float16"], "--dtype"),
        (["start", "s", "--activation", "tanh"], "--activation"),
        (["start", "s", "--weight-init", "lecun"], "--weight-init"),
        (["start", "s", "--weight-init", "-0.1"], "--weight-init"),
        (["narrow", "s", "-k", "3", "--pruner", "hyperband"], "--pruner"),
        (["export", "s", "--format", "xml"], "--format"),
    ],
)
def test_a_word_outside_its_set_is_refused_by_the_option(tmp_path, args, option):
    from hpsearch.cli import app

    db = tmp_path / "never.db"
    result = CliRunner().invoke(app, [*args, "--db", str(db)])
    assert result.exit_code == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: Invalid value for '{option}'")
    assert not db.exists()


def test_the_sets_of_words_are_the_librarys():
    from hpsearch.cli import choices
    from hpsearch.run.pruning import PRUNERS
    from trainer import ACTIVATIONS, OPTIMIZERS
    from trainer.mnist import DATASETS

    def words(enum):
        return [member.value for member in enum]

    assert words(choices.Dataset) == list(DATASETS)
    assert words(choices.Activation) == list(ACTIVATIONS)
    assert words(choices.Optimizer) == list(OPTIMIZERS)
    assert words(choices.Pruner) == list(PRUNERS)
    assert set(words(choices.Dtype)) == {"float32", "float64"}


def test_a_chosen_word_is_read_case_blind_and_kept_as_a_plain_string(monkeypatch):
    from hpsearch.cli import app, run

    seen = []
    monkeypatch.setattr(run, "_options", lambda *a, **k: pytest.fail("would run"))
    monkeypatch.setattr(run, "space_table", lambda space: seen.append(space) or "")
    monkeypatch.setattr(run, "samples_table", lambda *a: "")
    original = NewStudy.settings

    def settings(self):
        seen.append(original(self))
        return seen[-1]

    monkeypatch.setattr(NewStudy, "settings", settings)
    args = ["start", "s", "--dry-run", "--optimizer", "Adam", "--dataset", "FASHION-MNIST"]
    result = CliRunner().invoke(app, [*args, "--dtype", "float64", "--activation", "sigmoid"])
    assert result.exit_code == 0, result.output
    made = [value for value in seen if isinstance(value, StudySettings)][0]
    values = (made.optimizer, made.dataset, made.dtype, made.activation)
    assert values == ("adam", "fashion-mnist", "float64", "sigmoid")
    assert all(type(value) is str for value in values)


# --- options read from the environment: the option first, then the variable, then the default


@pytest.mark.parametrize(
    ("command", "variables"),
    [
        ("start", ["HPSEARCH_DB", "HPSEARCH_DATA_DIR, HPSEARCH_FASHION_DATA_DIR"]),
        ("evaluate", ["HPSEARCH_DB", "HPSEARCH_DATA_DIR, HPSEARCH_FASHION_DATA_DIR"]),
        ("report", ["HPSEARCH_DB"]),
        ("db upgrade", ["HPSEARCH_DB"]),
    ],
)
def test_help_names_the_variables_an_option_is_read_from(command, variables):
    shown = " ".join(shown_help(command).split())
    for variable in variables:
        assert f"[env var: {variable}]" in shown


@pytest.mark.parametrize(
    ("option", "variable", "used"),
    [("option.db", "env.db", "option.db"), (None, "env.db", "env.db"), (None, None, "hpsearch.db")],
)
def test_the_database_is_the_options_then_the_variables_then_the_default(
    tmp_path, monkeypatch, option, variable, used
):
    from hpsearch.cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HPSEARCH_DB", raising=False)
    env = {"HPSEARCH_DB": variable} if variable else {}
    args = ["db", "upgrade", *(["--db", option] if option else [])]
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert f"sqlite:///{used} from revision empty" in result.stdout
    assert sorted(p.name for p in tmp_path.glob("*.db")) == [used]


def test_the_data_folder_is_the_options_before_the_variables(cli, tmp_path, monkeypatch):
    (tmp_path / "named").mkdir()
    (tmp_path / "given").mkdir()
    monkeypatch.setenv("HPSEARCH_DATA_DIR", str(tmp_path / "named"))
    result = cli("start", "s", "--trials", "1", "--data-dir", tmp_path / "given")
    assert result.exit_code == 1
    assert f"files missing in {tmp_path / 'given'}:" in result.stderr


def test_a_folder_the_variable_names_falls_back_to_the_cache_as_before(
    cli, tiny_mnist, tmp_path, monkeypatch
):
    """The variable is the data layer's: a folder it names that lacks the files is passed
    over for the cache (``--data-dir`` is not), and each data set has its own variable."""
    import shutil

    cache = tmp_path / "cache"
    shutil.copytree(tiny_mnist, cache / "hpsearch" / "mnist")
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.setenv("HPSEARCH_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("HPSEARCH_FASHION_DATA_DIR", str(tmp_path / "empty"))
    tiny = ["--epochs", "1", "--train-size", "100", "--hidden", "1x10", "--batch-size", "20"]
    result = cli("start", "s", "--trials", "1", *tiny, "-w", "1", "-q", "--no-verify")
    assert result.exit_code == 0, result.output


def test_space_dash_reads_the_toml_from_standard_input(tmp_path):
    from hpsearch.cli import app

    toml = '[optimizer]\nchoices = ["sgd", "adam"]\n'
    args = ["start", "s", "--space", "-", "--dry-run", "--db", str(tmp_path / "x.db")]
    result = CliRunner().invoke(app, args, input=toml)
    assert result.exit_code == 0, result.output
    assert "{sgd, adam}" in result.stdout
    bad = CliRunner().invoke(app, args, input="[optimizer\n")
    assert bad.exit_code == 1
    assert bad.stderr.startswith("Error: standard input is not valid TOML")
