"""``auto`` over optimizer x lr x momentum x beta1 on tiny data: momentum is stored only
for the momentum and Nesterov trials and narrowed only from them, beta1 only for Adam's,
and every reader shows the others blank."""

import csv
import io
import json
import sqlite3

from hpsearch import store
from hpsearch.space.narrowing import narrow_range
from hpsearch.store.schema import open_store
from tests.support import TINY_SEARCH

SPACE = [
    "--search", "optimizer=sgd,momentum,nesterov,adam",
    "--search", "momentum=0.5:0.99", "--search", "beta1=0.8:0.99",
]  # fmt: skip
OWN = {"sgd": set(), "momentum": {"momentum"}, "nesterov": {"momentum"}, "adam": {"beta1"}}


def _params(db_path, round_number: int) -> dict[int, dict[str, str]]:
    with sqlite3.connect(db_path) as connection:
        rows = connection.execute(
            "SELECT t.id, p.name, p.value_text FROM trials t JOIN rounds r ON r.id = t.round_id"
            " JOIN trial_params p ON p.trial_id = t.id WHERE r.number = ?",
            (round_number,),
        ).fetchall()
    connection.close()
    params: dict[int, dict[str, str]] = {}
    for trial_id, name, text in rows:
        params.setdefault(trial_id, {})[name] = text
    return params


def test_auto_stores_and_narrows_each_optimizer_setting_only_where_it_applies(cli, db_path):
    result = cli("auto", "c", "--rounds", "1", "--top-k", "4", "--trials", "12",
                 "--min-improvement", "-1", "--pruner", "none", "--workers", "2",
                 "--epochs", "2", *SPACE, *TINY_SEARCH)  # fmt: skip
    assert result.exit_code == 0, result.output

    for number in (0, 1):  # stored only where it applied
        for values in _params(db_path, number).values():
            own = set(values) - {"lr", "weight_decay", "optimizer"}
            assert own == OWN[values["optimizer"]]

    factory = open_store(str(db_path))
    with factory() as session:
        study = store.get_study(session, "c")
        first, second = study.rounds
        parent = store.round_space(first)
        assert parent["momentum"].when.parent == "optimizer"
        top = store.round_top(session, first.id, 4, pruned=True)
        values = store.trial_values(session, [t.id for t in top])
        used = [float(values[t.id]["momentum"]) for t in top if "momentum" in values[t.id]]
        narrowed = store.round_space(second)
    if used:  # narrowed from the top-4 trials that used it, and those only
        expected, _ = narrow_range(used, parent["momentum"], expand=True)
        assert narrowed["momentum"] == expected
        assert narrowed["momentum"].when == parent["momentum"].when
    else:  # its branch was dropped: kept out of the new round, and said so
        assert "momentum" not in narrowed
        assert "momentum kept out" in result.stdout

    exported = cli("export", "c", "--format", "csv")
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert len(rows) == 24
    for row in rows:  # a blank where a setting did not apply
        assert bool(row["momentum"]) == (row["optimizer"] in ("momentum", "nesterov"))
        assert bool(row["beta1"]) == (row["optimizer"] == "adam")

    report = cli("report", "c", "--json", "--importance")
    assert report.exit_code == 0, report.output
    importance = json.loads(report.stdout)["importance"]
    counts = {name: sum(name in t for t in _all_values(db_path)) for name in ("momentum", "beta1")}
    assert {n: importance["applied"][n] for n in counts} == counts  # judged on these alone
    assert importance["applied"]["lr"] == importance["trials"]

    evaluated = cli("evaluate", "c", "--no-verify")
    assert evaluated.exit_code == 0, evaluated.output
    (evaluation,) = json.loads(cli("report", "c", "--json").stdout)["evaluations"]
    with factory() as session:
        best = store.best_trial(session, store.get_study(session, "c"))
        applied = store.trial_values(session, [best.id])[best.id]
    listed = {"lr", "weight_decay", *evaluation["searched"]}
    assert listed == set(applied)  # only what applied to the best trial
    assert set(applied) - {"lr", "weight_decay", "optimizer"} == OWN[applied["optimizer"]]

    shown = cli("report", "c")
    assert shown.exit_code == 0, shown.output
    plotted = cli("plot", "c", "--out", str(db_path.parent / "figures"))
    assert plotted.exit_code == 0, plotted.output


def test_the_dashboard_leaves_a_setting_blank_where_it_did_not_apply(cli, db_path):
    from hpsearch.dashboard import create_app

    result = cli("start", "d", "--trials", "6", "--epochs", "1", "--workers", "1",
                 "--pruner", "none", *SPACE, *TINY_SEARCH)  # fmt: skip
    assert result.exit_code == 0, result.output
    client = create_app(open_store(str(db_path), read_only=True)).test_client()
    assert client.get("/study/d").status_code == 200
    rows = list(csv.DictReader(io.StringIO(client.get("/study/d/leaderboard.csv").text)))
    assert rows
    for row in rows:
        assert bool(row["momentum"]) == (row["optimizer"] in ("momentum", "nesterov"))
        assert bool(row["beta1"]) == (row["optimizer"] == "adam")
    for trial_id in _params(db_path, 0):
        assert client.get(f"/study/d/trial/{trial_id}").status_code == 200
        shown = client.get(f"/api/study/d/trial/{trial_id}").get_json()
        assert shown is not None
    for kind in ("parameters", "slices", "narrowing"):
        assert client.get(f"/study/d/figure/{kind}.svg").status_code == 200


def test_narrow_runs_a_conditional_round_and_says_what_it_narrowed_from(cli, db_path):
    result = cli("start", "n", "--trials", "6", "--epochs", "1", "--workers", "1",
                 "--pruner", "none", *SPACE, *TINY_SEARCH)  # fmt: skip
    assert result.exit_code == 0, result.output
    narrowed = cli("narrow", "n", "--top-k", "3", "--workers", "1", "-q", "--no-verify")
    assert narrowed.exit_code == 0, narrowed.output
    lines = [line for line in narrowed.stdout.splitlines() if line.strip().startswith("momentum")]
    (line,) = lines
    assert "if optimizer=momentum,nesterov ->" in line
    assert "kept out: " in line or "of the top-3 it applied to)" in line
    for values in _params(db_path, 1).values():
        assert set(values) - {"lr", "weight_decay", "optimizer"} == OWN[values["optimizer"]]


def _all_values(db_path) -> list[dict[str, str]]:
    return [*_params(db_path, 0).values(), *_params(db_path, 1).values()]
