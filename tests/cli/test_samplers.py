"""The sampler on the command line: start and narrow take it, narrow keeps the parent's,
report shows it, --dry-run says what the first trials learn from."""

import json
import sqlite3

from tests.support import TINY_SEARCH


def rounds(db_path):
    with sqlite3.connect(db_path) as connection:
        return connection.execute(
            "SELECT number, sampler, sampler_batch FROM rounds ORDER BY number"
        ).fetchall()


def test_narrow_keeps_the_rounds_sampler_unless_given_another(cli, db_path):
    result = cli("start", "s", "--trials", "12", "--sampler", "tpe", "--sampler-batch", "6",
                 "--workers", "1", "--pruner", "none", *TINY_SEARCH)  # fmt: skip
    assert result.exit_code == 0, result.output
    narrowed = ["-k", "2", "--trials", "3", "-w", "1", "-q", "--no-verify"]
    assert cli("narrow", "s", *narrowed).exit_code == 0
    result = cli("narrow", "s", *narrowed, "--sampler-batch", "3")
    assert result.exit_code == 0, result.output
    assert cli("narrow", "s", *narrowed, "--sampler", "random").exit_code == 0
    assert rounds(db_path) == [(0, "tpe", 6), (1, "tpe", 6), (2, "tpe", 3), (3, "random", 3)]

    report = json.loads(cli("report", "s", "--json").stdout)["rounds"]
    assert [(r.get("sampler"), r.get("sampler_batch")) for r in report] == [
        ("tpe", 6),
        ("tpe", 6),
        ("tpe", 3),
        (None, None),
    ]  # a random round's JSON is as every release wrote it
    shown = cli("report", "s")
    assert shown.exit_code == 0 and "tpe 6" in shown.stdout


def test_dry_runs_say_what_a_tpe_rounds_first_trials_learn_from(cli, db_path):
    dry = cli("start", "d", "--trials", "12", "--sampler", "tpe", "--dry-run", *TINY_SEARCH)
    assert dry.exit_code == 0, dry.output
    assert "Sampler tpe (batch 10): trials 0-9 are sampled at random" in dry.stdout
    assert not db_path.exists()  # a dry run writes nothing

    result = cli("start", "d", "--trials", "12", "--sampler", "tpe", "--workers", "1",
                 "--pruner", "none", *TINY_SEARCH)  # fmt: skip
    assert result.exit_code == 0, result.output
    dry = cli("narrow", "d", "-k", "3", "--dry-run", "--no-verify")
    assert dry.exit_code == 0, dry.output
    line = " ".join(dry.output.split())
    assert "trials 0-9 learn from the 12 finished trials of round(s) 0, ranked at epoch 3" in line
    assert rounds(db_path) == [(0, "tpe", 10)]  # nothing written


def test_a_sampler_it_does_not_know_is_refused_in_one_line(cli, db_path):
    result = cli("start", "x", "--sampler", "gp", *TINY_SEARCH)
    assert result.exit_code == 2 and "gp" in result.output
    result = cli("start", "x", "--sampler-batch", "0", *TINY_SEARCH)
    assert result.exit_code == 2
    assert not db_path.exists()
