"""Workers forked from a server that imported their modules once; the program that
starts that server before it imports the command line; a package that imports a
module only when one of its names is used."""

import os
import shutil
import subprocess
import sys
from multiprocessing.context import ForkServerContext

import pytest

import hpsearch
from hpsearch import launch, store
from hpsearch.data.datasets import DataSource
from hpsearch.run import forkserver
from hpsearch.search import steps
from hpsearch.settings import StudySettings
from hpsearch.space.sampling import BOOK_SPACE
from hpsearch.store.schema import open_store
from hpsearch.store.status import TrialStatus

SETTINGS = StudySettings(train_size=100, epochs=2, batch_size=20, hidden=(8,))


@pytest.mark.skipif(sys.platform == "win32", reason="no forkserver on Windows")
def test_workers_take_the_folder_and_environment_of_the_run_not_of_their_server(
    tmp_path, tiny_mnist, monkeypatch
):
    """The server starts (or already runs) before the run's folder and data variable
    exist; the run then uses a store path relative to its folder, and finds its data
    only through the variable. Each worker reads the data and opens the store before
    the start line, so two workers ending without an error both found them."""
    monkeypatch.delenv("HPSEARCH_DATA_DIR", raising=False)
    forkserver.prepare()
    assert isinstance(forkserver.context(), ForkServerContext)
    data = shutil.copytree(tiny_mnist, tmp_path / "data-set-after-the-server")
    monkeypatch.setenv("HPSEARCH_DATA_DIR", str(data))
    (tmp_path / "run").mkdir()
    monkeypatch.chdir(tmp_path / "run")
    factory = open_store("relative.db", create=True)
    source = DataSource(verify=False, download=False)  # the variable, or nothing
    round_id = steps.start(
        factory, "s", seed=1, settings=SETTINGS, space=BOOK_SPACE, n_trials=6, source=source
    )
    options = steps.RunOptions("sqlite:///relative.db", workers=2, source=source)

    summary = steps.run(factory, "s", round_id, options)

    assert summary.failed_workers == 0, summary.workers
    assert len(summary.workers) == 2 and not any(stats.errors for stats in summary.workers)
    assert sum(stats.trials for stats in summary.workers) == 6
    with factory() as session:
        counts = store.status_counts(session, round_id)
    assert counts == {TrialStatus.COMPLETED: 6}
    assert (tmp_path / "run" / "relative.db").is_file()


@pytest.mark.parametrize(
    ("args", "prepared"),
    [
        (["start", "book", "--trials", "3"], True),
        (["auto", "book"], True),
        (["narrow", "book", "-k", "2"], True),
        (["resume", "book"], True),
        (["worker", "book"], True),
        (["start", "book", "--dry-run"], False),
        (["narrow", "book", "-k", "2", "--dry-run"], False),
        (["start", "--help"], False),
        (["report", "book"], False),
        (["export", "book"], False),
        ([], False),
    ],
)
def test_the_program_starts_the_server_first_for_commands_that_run_trials(
    monkeypatch, args, prepared
):
    calls: list[str] = []
    monkeypatch.setattr(sys, "argv", ["hpsearch", *args])
    monkeypatch.setattr(forkserver, "prepare", lambda: calls.append("server"))
    monkeypatch.setattr("hpsearch.cli.main", lambda: calls.append("command line"))

    launch.main()

    assert calls == (["server"] if prepared else []) + ["command line"]


def test_every_public_name_is_the_object_of_its_module():
    from hpsearch import errors
    from hpsearch.space import sampling
    from hpsearch.store import models, status

    assert len(hpsearch.__all__) == 35
    assert all(getattr(hpsearch, name) is not None for name in hpsearch.__all__)
    assert set(hpsearch.__all__) <= set(dir(hpsearch))
    assert hpsearch.start is steps.start and hpsearch.BOOK_SPACE is sampling.BOOK_SPACE
    assert hpsearch.Trial is models.Trial and hpsearch.UsageError is errors.UsageError
    assert hpsearch.TrialStatus is status.TrialStatus
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = hpsearch.nothing  # type: ignore[attr-defined]


def test_importing_the_package_imports_neither_numpy_nor_sqlalchemy_until_a_name_is_used():
    """A fresh interpreter: `import hpsearch` loads neither NumPy nor SQLAlchemy; a name
    of the package loads its module when first used."""
    code = (
        "import sys, hpsearch; print('numpy' in sys.modules, 'sqlalchemy' in sys.modules);"
        "hpsearch.open_store; print('sqlalchemy' in sys.modules)"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert result.stdout.split() == ["False", "False", "True"]
