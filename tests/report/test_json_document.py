"""The JSON export is written piece by piece; its text is what ``json.dump(..., indent=2)``
of the whole document, built in memory from the ORM objects, writes."""

import io
import json
import math
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hpsearch import store
from hpsearch.cli import app
from hpsearch.report import export, json_export
from hpsearch.settings import StudySettings
from hpsearch.space.sampling import BOOK_SPACE
from hpsearch.store import study_epochs, study_trials
from hpsearch.store.schema import open_store
from tests.support import RELEASES, STORED_EPOCHS, domain, other_study

runner = CliRunner()
DATA = RELEASES


def whole_document(factory, name: str, *, epochs: bool) -> str:
    """The export as json.dump wrote it when the whole document was built first."""
    with factory() as session:
        study = store.get_study(session, name)
        trials = study_trials(session, study)
        names = store.searched_names(study)
        per_trial = study_epochs(session, study) if epochs else {}
        rounds = []
        for r in study.rounds:
            records = []
            for trial in (t for t in trials if t.round_id == r.id):
                own = store.trial_values(session, [trial.id])[trial.id]
                searched = {n: own[n] for n in names if n in own}
                frozen = store.frozen_trial(trial, searched, per_trial.get(trial.id, []))
                record = export.trial_record(frozen)
                if epochs:
                    record["epochs"] = [export.epoch_record(e) for e in frozen.epochs]
                records.append(record)
            rounds.append(
                {
                    "round": r.number,
                    "lr": [domain(r, "lr").low, domain(r, "lr").high],
                    "weight_decay": [domain(r, "weight_decay").low, domain(r, "weight_decay").high],
                    "domains": export.domain_records(r),
                    "n_trials": r.n_trials,
                    "narrowed_from": r.parent.number if r.parent else None,
                    "top_k": r.top_k,
                    "created_at": r.created_at.isoformat(),
                    "trials": records,
                }
            )
        document = {"study": export.study_record(study), "rounds": rounds}
    return json.dumps(document, indent=2) + "\n"


def exported(db: Path, name: str, *args: str) -> str:
    result = runner.invoke(app, ["export", name, "--db", str(db), "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("epochs", [False, True])
def test_json_export_is_the_whole_document_as_json_dump_wrote_it(stored_study, epochs):
    """Diverged, failed (no epoch) and pruned trials, two rounds, one narrowed."""
    flag = ["--epochs"] if epochs else []
    text = exported(stored_study.db, "small", *flag)
    assert text == whole_document(stored_study.factory, "small", epochs=epochs)
    statuses = [t["status"] for r in json.loads(text)["rounds"] for t in r["trials"]]
    assert {"pruned", "failed", "diverged", "completed"} <= set(statuses)


@pytest.mark.parametrize("study", ["book", "other"])
@pytest.mark.parametrize("fmt", ["csv", "json"])
@pytest.mark.parametrize("epochs", [False, True])
def test_exports_are_byte_equal_to_those_written_before_streaming(tmp_path, study, fmt, epochs):
    """tests/releases/exports/ holds the exports of the previous release's database, written
    by hpsearch before the JSON export streamed (the CSV export already did)."""
    db = tmp_path / "release.db"
    with sqlite3.connect(db) as connection:
        connection.executescript((DATA / "release-0003.sql").read_text())
    assert runner.invoke(app, ["db", "upgrade", "--db", str(db)]).exit_code == 0
    args = ["export", study, "--db", str(db), "--format", fmt, *(["--epochs"] if epochs else [])]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    golden = DATA / "exports" / f"{study}{'-epochs' if epochs else ''}.{fmt}"
    assert result.stdout == golden.read_text()


@pytest.mark.parametrize("epochs", [False, True])
def test_json_export_with_other_searched_parameters_is_the_whole_document(tmp_path, epochs):
    factory = other_study(tmp_path / "other.db")
    text = exported(tmp_path / "other.db", "other", *(["--epochs"] if epochs else []))
    assert text == whole_document(factory, "other", epochs=epochs)
    assert json.loads(text)["rounds"][0]["trials"][0]["optimizer"] in ("sgd", "adam")


@pytest.mark.parametrize(
    ("train_loss", "written"),
    [(math.inf, "Infinity"), (-math.inf, "-Infinity"), (5e-05, "5e-05"), (1e-07, "1e-07"),
     (1e16, "1e+16"), (2.5e-4, "0.00025")],
)  # fmt: skip
def test_epochs_that_json_writes_apart_are_written_as_json_dump_writes_them(
    tmp_path, train_loss, written
):
    """An infinite loss is written `Infinity` as json.dump writes it, not Python's `inf`;
    a loss written with an exponent has repr's exponent (`1e-07`, not `1e-7`)."""
    factory = other_study(tmp_path / "other.db", train_accuracy=0.5, train_loss=train_loss)
    text = exported(tmp_path / "other.db", "other", "--epochs")
    assert f'"train_loss": {written},' in text
    assert text == whole_document(factory, "other", epochs=True)


@pytest.mark.parametrize("epochs", [False, True])
def test_a_study_without_rounds_or_with_trials_not_run_exports_as_before(tmp_path, epochs):
    factory = open_store(str(tmp_path / "empty.db"), create=True)
    with factory.begin() as session:
        store.create_study(session, "bare", 1, StudySettings(epochs=2))
        other = store.create_study(session, "waiting", 2, StudySettings(epochs=2))
        store.create_round(session, other, BOOK_SPACE, 3)
    flag = ["--epochs"] if epochs else []
    bare = exported(tmp_path / "empty.db", "bare", *flag)
    assert bare == whole_document(factory, "bare", epochs=epochs)
    assert json.loads(bare)["rounds"] == []
    waiting = exported(tmp_path / "empty.db", "waiting", *flag)
    assert waiting == whole_document(factory, "waiting", epochs=epochs)
    assert len(json.loads(waiting)["rounds"][0]["trials"]) == 3


@pytest.mark.parametrize(
    ("write", "written_epochs"),
    [
        (json_export.write_json, lambda text: text.count('"epoch": ')),
        (export.write_csv, lambda text: max(text.count("\n") - 1, 0)),  # less the header
    ],
    ids=["json", "csv"],
)
def test_exports_write_each_trial_before_reading_the_next(
    stored_study, monkeypatch, write, written_epochs
):
    """Memory holds one trial's epochs, not the study's: whenever the export writes,
    the epoch rows read from the store and not written yet are at most one trial's
    (and the one row read ahead to see where that trial ends)."""
    read: list[int] = []
    stored_rows = export.epoch_rows

    def counted(session, study):
        for row in stored_rows(session, study):
            read.append(row[0])
            yield row

    monkeypatch.setattr(export, "epoch_rows", counted)
    text = io.StringIO()
    ahead: list[int] = []

    class Stream:
        def write(self, piece: str) -> None:
            text.write(piece)
            ahead.append(len(read) - written_epochs(text.getvalue()))

    with stored_study.factory() as session:
        write(session, store.get_study(session, "small"), Stream(), epochs=True)
    assert len(read) == 9 * 5 + 2 * 2 + 5 * 5 + 3  # every stored epoch was read once
    assert len(ahead) > 18  # written in pieces, at least one per trial
    assert max(ahead) <= STORED_EPOCHS + 1
