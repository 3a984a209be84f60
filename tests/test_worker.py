"""The worker on its own (in this process), and the pruner through the CLI."""

import sqlite3

from conftest import TINY_SEARCH
from hpsearch import store
from hpsearch.data import DataSource
from hpsearch.database import database_url
from hpsearch.settings import StudySettings
from hpsearch.space import make_space
from hpsearch.status import TrialStatus
from hpsearch.worker import Worker

SETTINGS = StudySettings(train_size=300, epochs=3, batch_size=20, hidden=(20, 20))


class ExplodingPruner:
    """Raises inside the second trial, as a bug or a full disk would."""

    def should_stop(self, session, trial_id, round_id, epoch):
        if trial_id == 2 and epoch == 2:
            raise RuntimeError("boom")
        return False


def test_an_exception_fails_one_trial_and_the_worker_goes_on(factory, db_path, tiny_mnist):
    with factory.begin() as session:
        study = store.create_study(session, "w", 0, SETTINGS)
        round_id = store.create_round(session, study, make_space((1e-2, 1e-1), (1e-8, 1e-6)), 3).id
    source = DataSource(data_dir=str(tiny_mnist), verify=False)
    worker = Worker(database_url(str(db_path)), round_id, source, pruner=ExplodingPruner())
    stats = worker.run()
    assert stats.trials == 2 and len(stats.errors) == 1
    with sqlite3.connect(db_path) as connection:
        rows = connection.execute(
            "SELECT id, status, error, epochs_run, (SELECT count(*) FROM epoch_metrics"
            " WHERE trial_id = trials.id) FROM trials ORDER BY id"
        ).fetchall()
    assert rows[0][1] == TrialStatus.COMPLETED and rows[2][1] == TrialStatus.COMPLETED
    # the failed trial keeps its message and the epoch it stored before failing
    assert rows[1][1:] == (TrialStatus.FAILED, "RuntimeError: boom", 1, 1)


def test_asha_prunes_through_the_cli_and_narrowing_still_works(cli, db_path):
    twenty_epochs = [a if a != "3" else "20" for a in TINY_SEARCH]
    result = cli("start", "p", "--trials", "8", "--workers", "2", "--pruner", "asha",
                 *twenty_epochs, "--lr", "1e-5", "1e-1")  # fmt: skip
    assert result.exit_code == 0, result.output
    with sqlite3.connect(db_path) as connection:
        rows = connection.execute(
            "SELECT status, epochs_run, (SELECT count(*) FROM epoch_metrics e"
            " WHERE e.trial_id = t.id) FROM trials t"
        ).fetchall()
        pruner = connection.execute("SELECT pruner FROM rounds").fetchone()[0]
    assert pruner == "asha"
    pruned = [r for r in rows if r[0] == TrialStatus.PRUNED]
    assert pruned, rows  # some trials were stopped at a rung (5 or 15) ...
    assert all(epochs in (5, 15) and stored == epochs for _, epochs, stored in pruned)
    # ... and every completed one ran all 20 epochs
    assert all(r[1:] == (20, 20) for r in rows if r[0] == TrialStatus.COMPLETED)
    assert len(rows) == 8
    result = cli("narrow", "p", "-k", "3", "--dry-run")
    assert result.exit_code == 0, result.output
