"""The dashboard's endpoints on a stored study: status codes, and the numbers served
against the store's own."""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.error
import urllib.request
from html import escape
from html.parser import HTMLParser
from urllib.parse import unquote
from xml.etree import ElementTree

import pytest
from flask import url_for

from hpsearch import store
from hpsearch.dashboard import create_app
from hpsearch.dashboard.routes import attachment
from hpsearch.report.summaries import study_report
from hpsearch.settings import StudySettings
from hpsearch.store.schema import open_store
from tests.support import TINY_SEARCH, epoch_metrics, make_running_study, named_study, serving


@pytest.fixture
def client(stored_study):
    app = create_app(open_store(str(stored_study.db), read_only=True))
    return app.test_client()


def _csv_rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_studies_page_and_json_count_trials_by_status(client, stored_study):
    page = client.get("/")
    rows = client.get("/api/studies").get_json()
    with stored_study.factory() as session:
        study = store.get_study(session, "small")
        counts = store.study_status_counts(session, study)
        best = store.best_trial(session, study)
    assert page.status_code == 200 and "small" in page.get_data(as_text=True)
    (row,) = rows
    assert row["name"] == "small" and row["rounds"] == 2 and row["trials"] == 18
    assert {s: n for s, n in row["statuses"].items() if n} == dict(counts)
    assert row["best_val_accuracy"] == best.val_accuracy
    assert row["evaluations"] == 0


def test_study_json_is_the_report_with_progress(client, stored_study):
    data = client.get("/api/study/small?rows=7").get_json()
    with stored_study.factory() as session:
        study = store.get_study(session, "small")
        report = study_report(session, study, top=7).document()
        epochs = sum(len(c) for c in store.study_epochs(session, study).values())
    assert data["leaderboard"] == report["leaderboard"]
    assert data["rounds"] == report["rounds"]
    assert [r["narrowed_from"] for r in data["rounds"]] == [None, 0]
    assert data["progress"]["epochs_stored"] == epochs
    assert data["progress"]["done"] == 18
    assert (data["progress"]["running"], data["progress"]["pending"]) == (0, 0)
    assert data["progress"]["eta_seconds"] is None  # nothing runs
    assert data["running"] == []


def test_study_page_and_unknown_names_answer_404(client):
    assert client.get("/study/small").status_code == 200
    for url in (
        "/study/nope",
        "/api/study/nope",
        "/study/nope/leaderboard.csv",
        "/study/small/figure/nope.svg",
        "/study/small/trial/999999",
        "/api/study/small/trial/999999",
        "/compare?study=small&study=nope",
        "/no/such/page",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Not found" in response.get_data(as_text=True), url


def test_leaderboard_csv_holds_the_rows_shown(client, stored_study):
    rows = _csv_rows(client.get("/study/small/leaderboard.csv?rows=5"))
    with stored_study.factory() as session:
        best = store.leaderboard(session, store.get_study(session, "small"), top=5)
    assert [int(r["trial"]) for r in rows] == [t.id for t in best]
    assert [float(r["val_accuracy"]) for r in rows] == [t.val_accuracy for t in best]
    assert {"lr", "weight_decay", "seed", "status", "best_epoch", "worker"} <= set(rows[0])


@pytest.mark.parametrize("kind", ["curves", "narrowing", "history"])
def test_study_figures_are_svg(client, kind):
    response = client.get(f"/study/small/figure/{kind}.svg?top=3")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.get_data(as_text=True).lstrip().startswith("<?xml")


def test_trial_page_json_and_csv_hold_its_epochs(client, stored_study):
    with stored_study.factory() as session:
        trial = store.best_trial(session, store.get_study(session, "small"))
        epochs = [(m.epoch, m.val_accuracy) for m in trial.epochs]
        values = {p.name: p.value_num for p in trial.params}
    page = client.get(f"/study/small/trial/{trial.id}")
    data = client.get(f"/api/study/small/trial/{trial.id}").get_json()
    rows = _csv_rows(client.get(f"/study/small/trial/{trial.id}/epochs.csv"))
    curve = client.get(f"/study/small/trial/{trial.id}/curve.svg")
    assert page.status_code == 200 and f"trial {trial.id}" in page.get_data(as_text=True)
    assert [(e["epoch"], e["val_accuracy"]) for e in data["epochs"]] == epochs
    assert [(int(r["epoch"]), float(r["val_accuracy"])) for r in rows] == epochs
    assert {name: data[name] for name in values} == values and sorted(values) == [
        "lr",
        "weight_decay",
    ]
    assert curve.status_code == 200 and curve.mimetype == "image/svg+xml"


def test_compare_shows_each_studys_best_trials(client, stored_study):
    with stored_study.factory.begin() as session:
        store.create_study(session, "other", 5, StudySettings())  # no trials yet
    page = client.get("/compare?study=small&study=other")
    rows = _csv_rows(client.get("/compare.csv?study=small&study=other"))
    data = client.get("/api/compare?study=small&study=other").get_json()
    with stored_study.factory() as session:
        best = store.leaderboard(session, store.get_study(session, "small"), top=5)
    assert page.status_code == 200 and "other" in page.get_data(as_text=True)
    assert [(r["study"], int(r["trial"])) for r in rows] == [("small", t.id) for t in best]
    assert [s["name"] for s in data] == ["small", "other"]
    assert data[0]["history"]["best"][-1][1] == best[0].val_accuracy
    assert data[1]["history"] == {"best": [], "rounds": [], "trials": 0}
    assert client.get("/compare").status_code == 404


def test_other_searched_parameters_are_columns_of_the_leaderboard(cli, db_path):
    started = cli("start", "wide", "--trials", "3", "--workers", "1",
                  "--search", "batch_size=20,30", *TINY_SEARCH)  # fmt: skip
    assert started.exit_code == 0, started.output
    client = create_app(open_store(str(db_path), read_only=True)).test_client()
    data = client.get("/api/study/wide").get_json()
    rows = _csv_rows(client.get("/study/wide/leaderboard.csv"))
    with open_store(str(db_path)).begin() as session:
        ids = [row["trial"] for row in data["leaderboard"]]
        values = store.trial_values(session, ids)
    columns = data["columns"]
    assert columns.index("batch_size") == columns.index("weight_decay") + 1
    assert list(rows[0])[: len(columns)] == columns
    assert [int(r["batch_size"]) for r in rows] == [values[i]["batch_size"] for i in ids]
    trial = client.get(f"/api/study/wide/trial/{ids[0]}").get_json()
    assert trial["batch_size"] == values[ids[0]]["batch_size"]


# --- stored names, whatever they hold ----------------------------------------------------

#: A parameter's name and a study's that are markup: each must show as its text.
INJECTED_PARAMETER = "<img src=x onerror=alert(1)>"
INJECTED_STUDY = "<svg onload=alert(2)>"


class _Markup(HTMLParser):
    """The tags and attributes of a page, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append((tag, dict(attrs)))


def _injected(html: str) -> list[tuple[str, dict]]:
    """The elements of ``html`` that only a stored name could have made."""
    parser = _Markup()
    parser.feed(html)
    return [
        (tag, attrs)
        for tag, attrs in parser.tags
        if tag == "svg" or "onerror" in attrs or "onload" in attrs or attrs.get("src") == "x"
    ]


@pytest.fixture
def injected(tmp_path):
    db = tmp_path / "names.db"
    named_study(db, INJECTED_STUDY, INJECTED_PARAMETER)
    app = create_app(open_store(str(db), read_only=True))
    with app.test_request_context():
        urls = {
            "study": url_for("pages.study", name=INJECTED_STUDY),
            "trial": url_for("pages.trial", name=INJECTED_STUDY, trial_id=1),
            "compare": url_for("pages.compare", study=[INJECTED_STUDY]),
        }
    return app.test_client(), urls


@pytest.mark.fault("markup and script in stored names (dashboard)", check="text only")
@pytest.mark.parametrize("page", ["/", "study", "trial", "compare"])
def test_stored_names_are_text_in_every_page(injected, page):
    client, urls = injected
    response = client.get(urls.get(page, page))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert escape(INJECTED_STUDY) in html
    if page == "trial":  # the settings table names every parameter
        assert f"<th>{escape(INJECTED_PARAMETER)}</th>" in html
    assert _injected(html) == []


def test_the_study_data_holds_the_names_as_they_are_for_the_script(injected):
    client, urls = injected
    data = client.get(f"/api{urls['study']}").get_json()
    assert data["columns"][data["columns"].index("number") + 1] == INJECTED_PARAMETER
    assert data["leaderboard"][0][INJECTED_PARAMETER] == 0.75  # read as the number written


@pytest.mark.fault("markup and script in stored names (dashboard)", check="text only")
@pytest.mark.parametrize("kind", ["curves", "narrowing", "history", "parameters", "slices"])
def test_stored_names_are_text_in_every_figure(injected, kind):
    client, urls = injected
    response = client.get(f"{urls['study']}/figure/{kind}.svg")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert escape(INJECTED_STUDY) in text  # in the title (matplotlib keeps it as a comment)
    if kind in ("parameters", "slices"):  # each searched parameter by name
        assert escape(INJECTED_PARAMETER) in text
    elements = ElementTree.fromstring(response.get_data())  # well-formed, with no such element
    names = {element.tag.rpartition("}")[2] for element in elements.iter()}
    assert not names & {"img", "script", "foreignObject"}
    assert not [e for e in elements.iter() if {"onerror", "onload"} & set(e.attrib)]


#: Study names a path cannot hold as they are.
AWKWARD_NAMES = ["a/b", "..", ".", "%2F", "a%b", "my study", "学習率", "é✓", "../x", "?#&+", "a\\b"]


@pytest.fixture(scope="module")
def awkward(tmp_path_factory):
    """Every name of :data:`AWKWARD_NAMES` a study in one store, served over HTTP."""
    db = tmp_path_factory.mktemp("awkward") / "names.db"
    for name in AWKWARD_NAMES:
        named_study(db, name, "momentum")
    app = create_app(open_store(str(db), read_only=True))
    with serving(app) as base:
        yield app, base


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.parametrize("name", AWKWARD_NAMES)
def test_every_study_name_reaches_its_pages(awkward, name):
    app, base = awkward
    with app.test_request_context():
        page = url_for("pages.study", name=name)
    # no segment a browser would drop or resolve: '.' or '..', even percent-encoded
    assert not {unquote(s).lower() for s in page.split("/")} & {".", ".."}
    status, html = _get(base + page)
    assert status == 200 and escape(name) in html.decode()
    status, data = _get(base + "/api" + page)
    assert status == 200 and json.loads(data)["study"]["name"] == name
    trial = json.loads(data)["leaderboard"][0]["trial"]
    status, data = _get(f"{base}/api{page}/trial/{trial}")
    assert status == 200 and json.loads(data)["trial"] == trial
    for more in ("/leaderboard.csv", "/figure/history.svg", f"/trial/{trial}",
                 f"/trial/{trial}/epochs.csv"):  # fmt: skip
        assert _get(base + page + more)[0] == 200, more
    _, studies = _get(base + "/")
    assert f'href="{page}"'.encode() in studies  # the studies page links to it


def test_a_name_with_a_slash_is_not_another_route(awkward):
    _, base = awkward  # "a/b" is a study; "a" is none, so /study/a/b is no page of it
    assert _get(base + "/study/a/b")[0] == 404


# --- downloads: UTF-8, and a file name in any script --------------------------------------


def _filename(disposition: str) -> tuple[str, str]:
    """The ASCII ``filename`` and the decoded ``filename*`` of a Content-Disposition."""
    plain = re.search(r'filename="([^"]*)"', disposition)
    encoded = re.search(r"filename\*=UTF-8''(\S+)", disposition)
    assert plain is not None and encoded is not None, disposition
    return plain.group(1), unquote(encoded.group(1), errors="strict")


def test_csv_downloads_of_names_outside_latin_1_complete(tmp_path):
    db = tmp_path / "unicode.db"
    named_study(db, "学習率", "é✓")
    app = create_app(open_store(str(db), read_only=True))
    with app.test_request_context():
        board = url_for("pages.leaderboard_csv", name="学習率")
        epochs = url_for("pages.trial_csv", name="学習率", trial_id=1)
        compare = url_for("pages.compare_csv", study=["学習率"])
    with serving(app) as base:
        expected = json.loads(_get(base + url_for_api(board))[1])
        replies = {}
        for url in (board, epochs, compare):
            with urllib.request.urlopen(base + url, timeout=60) as reply:  # no hang
                replies[url] = (reply.headers, reply.read())
    for url, filename in ((board, "学習率-leaderboard.csv"), (epochs, "学習率-trial1-epochs.csv")):
        headers, body = replies[url]
        plain, decoded = _filename(headers["Content-Disposition"])
        assert decoded == filename and plain.isascii() and plain.endswith(".csv")
        assert headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(replies[board][1].decode("utf-8"))))
    assert [r["é✓"] for r in rows] == [str(r["é✓"]) for r in expected["leaderboard"]]
    compared = list(csv.DictReader(io.StringIO(replies[compare][1].decode("utf-8"))))
    assert {r["study"] for r in compared} == {"学習率"} and "é✓" in compared[0]


def url_for_api(url: str) -> str:
    """The JSON of a study page's download: /study/NAME/... -> /api/study/NAME."""
    return "/api" + url.rpartition("/")[0]


@pytest.mark.parametrize(
    ("filename", "header"),
    [
        ("small-leaderboard.csv", 'attachment; filename="small-leaderboard.csv"'),
        ("a b.csv", "attachment; filename=\"a_b.csv\"; filename*=UTF-8''a%20b.csv"),
        ('a"b/c.csv', "attachment; filename=\"a_b_c.csv\"; filename*=UTF-8''a%22b_c.csv"),
        ("é.csv", "attachment; filename=\"e.csv\"; filename*=UTF-8''%C3%A9.csv"),
    ],
)
def test_a_download_names_its_file_in_ascii_and_in_utf_8(filename, header):
    assert attachment(filename) == header


def test_a_running_trial_shows_its_last_epochs_accuracies(tmp_path):
    factory, round_id = make_running_study(tmp_path / "live.db")
    client = create_app(open_store(str(tmp_path / "live.db"), read_only=True)).test_client()
    (running,) = client.get("/api/study/live").get_json()["running"]
    trial = client.get(f"/api/study/live/trial/{running['trial']}").get_json()
    assert running["status"] == "running" and running["val_accuracy"] is None  # not final
    assert (running["last_epoch"], running["last_val_accuracy"]) == (1, 0.3)
    assert running["last_train_accuracy"] == epoch_metrics(1).train_accuracy
    assert running["val_curve"] == [0.3]
    assert [e["val_accuracy"] for e in trial["epochs"]] == [0.3]


def test_studies_json_links_each_study_to_its_page(client):
    (row,) = client.get("/api/studies").get_json()
    assert row["url"] == "/study/small"


def test_trials_json_holds_every_trial_as_columns(client, stored_study):
    data = client.get("/api/study/small/trials").get_json()
    with stored_study.factory() as session:
        study = store.get_study(session, "small")
        trials = [t for r in study.rounds for t in sorted(r.trials, key=lambda t: t.number)]
        values = {t.id: {p.name: p.value_num for p in t.params} for t in trials}
        lows = [{d.name: d.low for d in r.domains} for r in study.rounds]
    columns = data["columns"]
    assert columns["trial"] == [t.id for t in trials] and data["trials"] == 18
    assert columns["status"] == [t.status.value for t in trials]
    assert columns["score"] == [
        t.best_val_accuracy if t.best_val_accuracy is not None else t.val_accuracy for t in trials
    ]
    assert data["parameters"] == ["lr", "weight_decay"]
    for name in data["parameters"]:
        assert columns[name] == [values[t.id].get(name) for t in trials]
    assert data["headers"]["weight_decay"] == "weight decay"
    assert data["formats"] == {**data["formats"], "lr": "scientific", "score": "accuracy"}
    assert [{n: d["low"] for n, d in r["domains"].items()} for r in data["rounds"]] == lows


def test_curves_json_holds_the_best_trials_curves(client, stored_study):
    data = client.get("/api/study/small/curves?top=3").get_json()
    with stored_study.factory() as session:
        best = store.best_trial(session, store.get_study(session, "small"))
        curve = [m.val_accuracy for m in best.epochs]
    assert len(data["curves"]) == 3 and data["curves"][0]["trial"] == best.id
    assert data["curves"][0]["val_accuracy"] == curve


def test_importance_json_scores_each_parameter_or_says_why_not(client, stored_study):
    data = client.get("/api/study/small/importance").get_json()
    assert set(data["scores"]) == {"lr", "weight_decay"}
    with stored_study.factory.begin() as session:
        store.create_study(session, "empty", 5, StudySettings())
    assert "error" in client.get("/api/study/empty/importance").get_json()
    assert client.get("/api/study/nope/importance").status_code == 404
