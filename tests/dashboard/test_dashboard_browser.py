"""The study page in a real browser while a search runs: headless Chromium (Debian's
``chromium`` package) driven by Playwright, which uses that browser and downloads none.

Skipped on a machine without Chromium or Playwright, with the reason; under CI
(``CI=true`` or ``HPSEARCH_REQUIRE_CHROMIUM`` set, as .ci/run does) it fails instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from hpsearch import store
from hpsearch.dashboard import create_app
from hpsearch.settings import StudySettings
from hpsearch.store import queue
from hpsearch.store.schema import open_store
from hpsearch.store.status import TrialStatus
from tests.support import (
    add_epochs,
    finish_trial,
    make_narrowed_study,
    make_running_study,
    make_searched_study,
    make_stored_study,
    named_study,
    run_trial,
    serving,
)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
REQUIRED = os.environ.get("CI") == "true" or bool(os.environ.get("HPSEARCH_REQUIRE_CHROMIUM"))


def _missing() -> str | None:
    if not Path(CHROMIUM).is_file():
        return "Chromium not installed (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright not installed (pip install -e '.[test]')"
    return None


if (reason := _missing()) is not None:
    if REQUIRED:
        pytest.fail(f"CI runs the browser test: {reason}", pytrace=False)
    pytestmark = pytest.mark.skip(reason=reason)


@pytest.fixture
def running_search(tmp_path: Path) -> Iterator[tuple[str, object, int]]:
    """:func:`make_running_study` (two completed, one running with one epoch, three
    pending) and the dashboard serving it. Yields (URL of the study page, factory,
    round id)."""
    factory, round_id = make_running_study(tmp_path / "live.db")
    with serving(create_app(open_store(str(tmp_path / "live.db"), read_only=True))) as base:
        yield f"{base}/study/live", factory, round_id


#: Records, in the page, each Content-Security-Policy violation it reports.
VIOLATIONS = """window.violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.violations.push(`${e.violatedDirective} ${e.blockedURI}`));"""


def _watched(browser):
    """A new page that records its dialogs (an alert would be one), CSP violations and
    console messages about the policy; returns (page, dialogs, console)."""
    page = browser.new_page()
    dialogs: list[str] = []
    console: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(VIOLATIONS)
    return page, dialogs, console


def _policy_messages(console: list[str]) -> list[str]:
    return [text for text in console if "Content Security Policy" in text]


def _card(page, key: str) -> str:
    return page.inner_text(f'#progress .card[data-key="{key}"] b')


def test_the_study_page_updates_live_while_a_search_runs(running_search, tmp_path):
    from playwright.sync_api import sync_playwright

    url, factory, round_id = running_search
    with factory() as session:
        running = queue.running_trials(session, round_id)[0]
        completed = [
            t.id
            for t in store.get_round(session, store.get_study(session, "live"), 0).trials
            if t.status == TrialStatus.COMPLETED
        ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            tmp_path / "profile", executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True
        )  # a fresh profile of its own
        try:
            page, dialogs, console = _watched(browser)
            page.goto(url)
            page.wait_for_selector("#leaderboard tbody tr")
            shown = [
                int(t)
                for t in page.eval_on_selector_all(
                    "#leaderboard tbody tr", "rows => rows.map(r => r.dataset.trial)"
                )
            ]
            assert shown == sorted(completed, reverse=True)  # 0.72 ranks before 0.61
            assert _card(page, "epochs stored") == "7"  # 3 + 3 + 1
            assert _card(page, "running") == "1"
            page.wait_for_function("() => document.getElementById('study').dataset.drawn")
            drawn = page.evaluate("document.getElementById('study').dataset.drawn")
            page.evaluate("window.notReloaded = true")

            # the worker writes two more epochs and finishes its trial; another starts
            add_epochs(factory, running.id, running.attempt, 2, 3, 0.9)
            finish_trial(factory, running.id, 3, 0.9)
            run_trial(factory, round_id, 1, 0.5)

            page.wait_for_function(
                """() => document.querySelector('#progress .card[data-key="epochs stored"] b')
                         .textContent === '10'""",
                timeout=20_000,
            )
            page.wait_for_selector(f'#leaderboard tbody tr[data-trial="{running.id}"]')
            first = page.eval_on_selector("#leaderboard tbody tr", "row => row.dataset.trial")
            assert int(first) == running.id  # 0.9: the new best
            assert _card(page, "done") == "3"
            page.wait_for_function(  # the charts follow
                f"() => document.getElementById('study').dataset.drawn !== '{drawn}'",
                timeout=30_000,
            )
            assert page.evaluate("window.notReloaded") is True
            assert page.evaluate("window.violations") == []
            assert _policy_messages(console) == [] and dialogs == []
        finally:
            browser.close()


INJECTED_PARAMETER = "<img src=x onerror=alert(1)>"
INJECTED_STUDY = "<svg onload=alert(2)>"
#: Elements only a stored name written as markup could have made.
INJECTED = "img[src='x'], svg:not(.sparkline), [onerror], [onload]"


def test_stored_names_show_as_text_and_run_nothing(tmp_path):
    from playwright.sync_api import sync_playwright

    db = tmp_path / "names.db"
    named_study(db, INJECTED_STUDY, INJECTED_PARAMETER)
    app = create_app(open_store(str(db), read_only=True))
    with app.test_request_context():
        from flask import url_for

        study = url_for("pages.study", name=INJECTED_STUDY)
        compare = url_for("pages.compare", study=[INJECTED_STUDY])
    with serving(app) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            tmp_path / "profile", executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True
        )
        try:
            page, dialogs, console = _watched(browser)
            page.goto(base + study)
            page.wait_for_selector("#leaderboard tbody tr")
            page.wait_for_function("() => document.getElementById('study').dataset.drawn")
            heads = page.eval_on_selector_all(
                "#leaderboard th", "ths => ths.map(t => t.textContent)"
            )
            assert INJECTED_PARAMETER in heads
            assert page.inner_text("h1") == INJECTED_STUDY
            assert page.eval_on_selector_all(INJECTED, "found => found.length") == 0
            violations = page.evaluate("window.violations")
            trial = page.eval_on_selector("#leaderboard tbody tr", "row => row.dataset.trial")
            for url in ("/", f"{study}/trial/{trial}", compare):
                page.goto(base + url)
                page.wait_for_load_state("load")
                assert page.eval_on_selector_all(INJECTED, "found => found.length") == 0, url
                violations += page.evaluate("window.violations")
            assert violations == [] and _policy_messages(console) == [] and dialogs == []
        finally:
            browser.close()


def _running_cell(page, key: str) -> str:
    column = page.eval_on_selector_all(
        "#running thead th", f"ths => ths.findIndex(t => t.dataset.key === '{key}')"
    )
    return page.inner_text(f"#running tbody tr td:nth-child({column + 1})")


def test_a_running_trial_updates_its_accuracies_and_curves_without_a_reload(
    running_search, tmp_path
):
    from playwright.sync_api import sync_playwright

    url, factory, round_id = running_search
    with factory() as session:
        running = queue.running_trials(session, round_id)[0]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            tmp_path / "profile", executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True
        )
        try:
            page, dialogs, console = _watched(browser)
            trial_page, _, trial_console = _watched(browser)
            studies, _, studies_console = _watched(browser)
            page.goto(url)
            trial_page.goto(f"{url}/trial/{running.id}")
            studies.goto(url.rsplit("/study/", 1)[0] + "/")
            page.wait_for_selector("#running tbody tr")
            assert _running_cell(page, "last_val_accuracy") == "0.3000"  # epoch 1 of 3
            assert page.get_attribute("#running td[data-epochs]", "data-epochs") == "1"
            trial_page.wait_for_selector("#curve[data-epochs='1'] canvas")
            for p in (page, trial_page, studies):
                p.evaluate("window.notReloaded = true")

            add_epochs(factory, running.id, running.attempt, 2, 2, 0.8)  # 0.8 * 2 / 2
            with factory.begin() as session:
                store.create_study(session, "appeared", 1, StudySettings())

            page.wait_for_selector("#running td[data-epochs='2']", timeout=20_000)
            assert _running_cell(page, "last_val_accuracy") == "0.8000"
            assert _running_cell(page, "last_epoch") == "2"
            trial_page.wait_for_selector("#curve[data-epochs='2'] canvas", timeout=20_000)
            assert trial_page.inner_text("#settings td[data-key='last_val_accuracy']") == "0.8000"
            assert trial_page.eval_on_selector_all("#epochs tbody tr", "r => r.length") == 2
            studies.wait_for_selector("#studies tr[data-study='appeared']", timeout=20_000)
            for p in (page, trial_page, studies):
                assert p.evaluate("window.notReloaded") is True
                assert p.evaluate("window.violations") == []
            for messages in (console, trial_console, studies_console):
                assert _policy_messages(messages) == []
            assert dialogs == []
        finally:
            browser.close()


@pytest.fixture
def explored(tmp_path: Path):
    """The study page of the stored study (two rounds, 18 trials), its charts drawn, in
    headless Chromium; yields (page, console messages, the study's factory)."""
    from playwright.sync_api import sync_playwright

    stored = make_stored_study(tmp_path)
    app = create_app(open_store(str(stored.db), read_only=True))
    with serving(app) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            tmp_path / "profile", executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True
        )
        try:
            page, dialogs, console = _watched(browser)
            page.set_viewport_size({"width": 1400, "height": 900})
            page.goto(f"{base}/study/small")
            page.wait_for_function("() => document.getElementById('study').dataset.drawn")
            yield page, console, stored.factory
            assert page.evaluate("window.violations") == []
            assert _policy_messages(console) == [] and dialogs == []
        finally:
            browser.close()


def _leaderboard_trials(page) -> list[int]:
    rows = page.eval_on_selector_all("#leaderboard tbody tr", "rs => rs.map(r => r.dataset.trial)")
    return [int(t) for t in rows]


def _at(page, chart: str, finder: str, point: str) -> tuple[float, float]:
    """The page coordinates of a point of an ECharts chart (``point``: a JS array)."""
    page.locator(f"#{chart}").scroll_into_view_if_needed()
    x, y = page.evaluate(
        f"""() => {{ const node = document.getElementById('{chart}');
            const chart = echarts.getInstanceByDom(node);
            return chart.convertToPixel({finder}, {point}); }}"""
    )
    box = page.locator(f"#{chart}").bounding_box()
    return box["x"] + x, box["y"] + y


def test_hovering_a_curve_names_its_trial(explored):
    page, _, factory = explored
    with factory() as session:
        best = store.best_trial(session, store.get_study(session, "small"))
        last = [m.val_accuracy for m in best.epochs][-1]
    x, y = _at(page, "chart-curves", "{seriesIndex: 0}", f"[5, {last}]")
    page.mouse.move(x, y)
    page.wait_for_function(
        f"() => document.getElementById('curves-hover').dataset.trial === '{best.id}'"
    )
    assert f"val acc {last:.4f}" in page.inner_text("#curves-hover")


#: The brush's low end on the score axis: between two trials' scores (0.66 and 0.70), so
#: a pixel's rounding cannot move a trial across it.
LOW = 0.68


def _brush_score(page, low: float) -> None:
    """Drag along the parallel coordinates' score axis from 1 down to ``low``; returns
    once the leaderboard shows what the brush keeps."""
    score_axis = page.evaluate("window.hpsearchCharts.parallelNames.length - 1")
    chart = "chart-parallel"
    page.locator(f"#{chart}").scroll_into_view_if_needed()
    coordinates = "getModel().getComponent('parallel').coordinateSystem"
    top, bottom = (
        page.evaluate(
            f"""() => echarts.getInstanceByDom(document.getElementById('{chart}'))
                .{coordinates}.dataToPoint({value}, 'dim{score_axis}')"""
        )
        for value in (1.0, low)
    )
    box = page.locator(f"#{chart}").bounding_box()
    page.mouse.move(box["x"] + top[0], box["y"] + top[1] - 5)
    page.mouse.down()
    page.mouse.move(box["x"] + bottom[0], box["y"] + bottom[1], steps=8)
    page.mouse.up()
    page.wait_for_function("() => document.getElementById('brush-note').textContent !== ''")


def test_brushing_an_axis_of_the_parallel_coordinates_filters_the_leaderboard(explored):
    page, _, factory = explored
    everyone = _leaderboard_trials(page)
    _brush_score(page, LOW)
    kept = _leaderboard_trials(page)
    with factory() as session:
        trials = store.get_study(session, "small").rounds
        score = {
            t.id: t.best_val_accuracy if t.best_val_accuracy is not None else t.val_accuracy
            for r in trials
            for t in r.trials
        }
    assert kept and len(kept) < len(everyone)
    assert all(score[t] >= LOW for t in kept)
    assert set(kept) == {t for t in everyone if score[t] >= LOW}


def test_a_column_filter_and_a_column_choice_work(explored):
    page, _, _ = explored
    page.fill("#leaderboard input.filter[data-key='status']", "pruned, diverged")
    page.press("#leaderboard input.filter[data-key='status']", "Enter")
    page.wait_for_function(
        "() => document.getElementById('pager-note').textContent.includes(' 3 ')"
    )
    statuses = page.eval_on_selector_all(
        "#leaderboard tbody tr td:nth-child(3)", "tds => tds.map(t => t.textContent)"
    )
    assert sorted(set(statuses)) == ["diverged", "pruned"]
    page.click("text=Columns")
    page.uncheck("#columns input[data-key='lr']")
    heads = page.eval_on_selector_all("#leaderboard thead th", "ths => ths.map(t => t.dataset.key)")
    assert "lr" not in heads and "weight_decay" in heads
    page.check("#columns input[data-key='seed']")
    heads = page.eval_on_selector_all("#leaderboard thead th", "ths => ths.map(t => t.dataset.key)")
    assert "seed" in heads


NUMBERS = [0.0, 1e-6, 2.4712e-3, 0.1324, 64.0, 1234.5, 1.5e-5, 0.00012, 12.0, 1e1, 0.99995]


def test_the_page_writes_numbers_as_the_command_line_does(explored):
    from hpsearch.report import numbers

    page, _, _ = explored
    shown = page.evaluate(
        f"""() => {NUMBERS}.map((v) => ['accuracy', 'scientific', 'significant']
            .map((kind) => hpsearchNumbers.formatNumber(v, kind)))"""
    )
    assert shown == [
        [numbers.accuracy(v), numbers.scientific(v), numbers.significant(v)] for v in NUMBERS
    ]


def test_the_comparison_charts_every_parameter_searched_and_each_history(tmp_path):
    from playwright.sync_api import sync_playwright

    stored = make_searched_study(tmp_path)  # five searched parameters
    app = create_app(open_store(str(stored.db), read_only=True))
    with stored.factory() as session:
        study = store.list_studies(session)[0]
        searched, name = store.searched_names(study), study.name
        trials = [t for r in study.rounds for t in sorted(r.trials, key=lambda t: t.number)]
    best, top = [], None
    for i, t in enumerate(trials, start=1):
        score = t.best_val_accuracy if t.best_val_accuracy is not None else t.val_accuracy
        if score is not None and (top is None or score > top):
            top = score
            best.append((i, score))
    if best[-1][0] < len(trials):
        best.append((len(trials), top))
    with serving(app) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            tmp_path / "profile", executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True
        )
        try:
            page, dialogs, console = _watched(browser)
            page.goto(f"{base}/compare?study={name}")
            page.wait_for_function("() => document.getElementById('compare').dataset.drawn")
            axes = page.evaluate(
                """() => echarts.getInstanceByDom(document.getElementById('chart-compare'))
                    .getOption().parallelAxis.map((a) => a.name)"""
            )
            assert axes == [*(n.replace("_", " ") for n in searched), "score"]
            assert len(searched) > 2
            history = page.evaluate(
                """() => echarts.getInstanceByDom(document.getElementById(
                    'chart-compare-history')).getOption().series.map((s) => [s.name, s.data])"""
            )
            assert [name for name, _ in history] == [name]
            assert history[0][1] == [[i, v] for i, v in best]  # the rises, then the last trial
            assert page.eval_on_selector_all("img", "found => found.length") == 0  # no SVG
            assert page.evaluate("window.violations") == [] and dialogs == []
            assert _policy_messages(console) == []
        finally:
            browser.close()


def _browser(playwright, tmp_path: Path):
    return playwright.chromium.launch_persistent_context(
        tmp_path / "profile", executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True
    )


def _narrowed(tmp_path: Path) -> tuple[Path, str]:
    make_narrowed_study(tmp_path / "narrowed.db")
    return tmp_path / "narrowed.db", "narrowed"


def _stored(tmp_path: Path) -> tuple[Path, str]:
    return make_stored_study(tmp_path).db, "small"


def _running(tmp_path: Path) -> tuple[Path, str]:
    make_running_study(tmp_path / "live.db")
    return tmp_path / "live.db", "live"


@pytest.mark.parametrize(
    ("build", "kind", "text"),
    [
        (
            _narrowed,
            "dropped",
            "Round 1 (narrowed from round 0, top 3): optimizer: dropped sgd, momentum "
            "(not among the top-3).",
        ),
        (
            _narrowed,
            "kept-out",
            "Round 1 (narrowed from round 0, top 3): momentum kept out: optimizer kept none "
            "of momentum (top-3).",
        ),
        (_stored, "pruned", "1 trial pruned."),
        (_stored, "diverged", "2 trials diverged."),
        (_stored, "failed", "1 trial failed."),
        (
            _running,
            "crowded",
            "The top 2 of round 0 crowd an edge of weight decay (high): the best values may "
            "lie outside the range searched.",
        ),
    ],
    ids=["dropped", "kept-out", "pruned", "diverged", "failed", "crowded"],
)
def test_the_study_page_shows_each_warning_the_command_line_gives(tmp_path, build, kind, text):
    from playwright.sync_api import sync_playwright

    db, name = build(tmp_path)
    app = create_app(open_store(str(db), read_only=True))
    with serving(app) as base, sync_playwright() as playwright:
        browser = _browser(playwright, tmp_path)
        try:
            page, dialogs, _ = _watched(browser)
            page.goto(f"{base}/study/{name}")
            note = page.wait_for_selector(f"#warnings p.warning[data-kind='{kind}']")
            assert note.text_content() == text
            assert dialogs == []
        finally:
            browser.close()


def test_a_brush_keeps_filtering_the_leaderboard_across_a_live_refresh(running_search, tmp_path):
    from playwright.sync_api import sync_playwright

    url, factory, round_id = running_search
    with factory() as session:
        running = queue.running_trials(session, round_id)[0]
        study = store.get_study(session, "live")
        scores = {t.id: t.val_accuracy for t in study.rounds[0].trials}
    best = max((t for t, v in scores.items() if v is not None), key=lambda t: scores[t])
    with sync_playwright() as playwright:
        browser = _browser(playwright, tmp_path)
        try:
            page, dialogs, console = _watched(browser)
            page.set_viewport_size({"width": 1400, "height": 900})
            page.goto(url)
            page.wait_for_function("() => document.getElementById('study').dataset.charted")
            assert len(_leaderboard_trials(page)) == 2  # 0.61 and 0.72
            _brush_score(page, 0.65)
            assert _leaderboard_trials(page) == [best]  # 0.72 only
            charted = page.evaluate("document.getElementById('study').dataset.charted")

            # the running trial finishes at 0.9 (inside the brush), another starts at 0.5
            add_epochs(factory, running.id, running.attempt, 2, 3, 0.9)
            finish_trial(factory, running.id, 3, 0.9)
            run_trial(factory, round_id, 3, 0.5)
            with factory() as session:
                finished = queue.running_trials(session, round_id)[0]
            finish_trial(factory, finished.id, 3, 0.5)

            page.wait_for_function(  # the page's refresh: the charts redrawn from new data
                f"() => document.getElementById('study').dataset.charted !== '{charted}'",
                timeout=60_000,
            )
            page.wait_for_function(
                "() => document.getElementById('pager-note').textContent.includes(' 2 trials')"
            )
            assert _leaderboard_trials(page) == [running.id, best]  # 0.9, 0.72: not 0.61, 0.5
            assert "(brushed)" in page.inner_text("#pager-note")
            intervals = page.evaluate(
                """() => { const chart = echarts.getInstanceByDom(
                    document.getElementById('chart-parallel'));
                    const dim = window.hpsearchCharts.parallelNames.length - 1;
                    return chart.getModel().getComponent('parallelAxis', dim).activeIntervals; }"""
            )
            assert len(intervals) == 1 and intervals[0][0] < 0.72 and intervals[0][1] >= 0.9
            assert page.evaluate("window.violations") == []
            assert _policy_messages(console) == [] and dialogs == []
        finally:
            browser.close()


def _option(page, chart: str, path: str):
    return page.evaluate(
        f"""() => echarts.getInstanceByDom(document.getElementById('{chart}'))
            .getOption(){path}"""
    )


def test_the_study_charts_are_drawn_from_the_json_api(explored):
    import json
    import urllib.request

    page, _, _ = explored
    base = page.url.split("/study/")[0]
    data = json.load(urllib.request.urlopen(f"{base}/api/study/small/trials"))
    page.wait_for_function("() => document.getElementById('importance-note').textContent !== ''")
    history = data["history"]
    best = _option(page, "chart-history", ".series[1].data")
    assert best == [*history["best"], [history["trials"], history["best"][-1][1]]]
    areas = _option(page, "chart-history", ".series[1].markArea.data")
    assert [a[0]["name"] for a in areas] == [f"round {r[0]}" for r in history["rounds"]]
    slices = page.eval_on_selector_all("#slices .slice", "s => s.map((n) => n.dataset.key)")
    assert slices == data["parameters"] == ["lr", "weight_decay"]
    rounds = _option(page, "chart-scatter", ".series.map((s) => [s.name, s.markArea.data])")
    assert [name for name, _ in rounds] == ["round 0", "round 1"]
    for (_, box), r in zip(rounds, data["rounds"], strict=True):
        lr, wd = r["domains"]["lr"], r["domains"]["weight_decay"]
        assert box[0][0]["coord"] == [lr["low"], wd["low"]]
        assert box[0][1]["coord"] == [lr["high"], wd["high"]]
    bars = _option(page, "chart-importance", ".yAxis[0].data")
    assert sorted(bars) == ["lr", "weight decay"]
    assert "over 15 trials" in page.inner_text("#importance-note")


def test_a_function_study_page_draws_its_metric(cli, db_path, tmp_path):
    """A training function's study (minimising val_loss, a train_loss beside it): the
    leaderboard heads and ranks by the metric, lowest first; every chart is drawn, the
    history falls, the curves are the metric's and the colour scale is reversed."""
    import json
    import urllib.request

    from playwright.sync_api import sync_playwright

    from tests.dashboard.test_dashboard_metric import OWN

    started = cli("start", "own", "--trials", "12", "--workers", "1", *OWN)
    assert started.exit_code == 0, started.output
    app = create_app(open_store(str(db_path), read_only=True))
    with serving(app) as base, sync_playwright() as playwright:
        browser = _browser(playwright, tmp_path)
        try:
            page, dialogs, console = _watched(browser)
            page.set_viewport_size({"width": 1400, "height": 900})
            page.goto(f"{base}/study/own")
            page.wait_for_function("() => document.getElementById('study').dataset.drawn")
            page.wait_for_function("() => document.getElementById('study').dataset.charted")
            page.wait_for_function(
                "() => document.getElementById('importance-note').textContent !== ''"
            )
            data = json.load(urllib.request.urlopen(f"{base}/api/study/own/trials"))
            headers = page.eval_on_selector_all(
                "#leaderboard thead tr:first-child th", "hs => hs.map((h) => h.textContent)"
            )
            assert "val loss" in headers and "best epoch" in headers
            assert "val acc" not in headers
            at = headers.index("val loss")
            cells = page.eval_on_selector_all(
                f"#leaderboard tbody tr td:nth-child({at + 1})",
                "cs => cs.map((c) => Number(c.textContent))",
            )
            assert len(cells) == 12 and cells == sorted(cells)  # lowest first
            best = _option(page, "chart-history", ".series[1].data")
            assert [v for _, v in best] == sorted((v for _, v in best), reverse=True)
            assert best[: len(data["history"]["best"])] == data["history"]["best"]
            assert _option(page, "chart-history", ".yAxis[0].name") == "val loss"
            lines = _option(page, "chart-curves", ".series.length")
            assert lines == 2 * 10  # the best 10 trials: val_loss and train_loss each
            colours = _option(page, "chart-parallel", ".visualMap[0].inRange.color")
            assert colours == ["#08306b", "#d0e0f0"]  # the lowest loss the darkest
            slices = page.eval_on_selector_all(
                "#slices .slice",
                "s => s.map((n) => echarts.getInstanceByDom(n).getOption()"
                ".visualMap[0].inRange.color)",
            )
            assert slices == [["#08306b", "#d0e0f0"]] * 3  # coloured as the parallel axes
            assert "scored on val loss" in page.inner_text("#importance-note")
            assert page.evaluate("window.violations") == [] and dialogs == []
            assert _policy_messages(console) == []
        finally:
            browser.close()
