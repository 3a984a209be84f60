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
from hpsearch.space.sampling import BOOK_SPACE
from hpsearch.store import queue
from hpsearch.store.schema import open_store
from hpsearch.store.status import TrialStatus
from tests.support import epoch_metrics, named_study, serving

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

WORKER = "browser-test:1"


def _run_trial(factory, round_id: int, epochs: int, final: float) -> int:
    """Claim the next pending trial and store ``epochs`` epochs, as a worker does;
    completed unless ``final`` is None. Returns its id."""
    with factory.begin() as session:
        trial = queue.claim_trial(session, round_id, WORKER)
        assert trial is not None
        trial_id, attempt = trial.id, trial.attempt
    _add_epochs(factory, trial_id, attempt, 1, epochs, final)
    return trial_id


def _add_epochs(factory, trial_id: int, attempt: int, first: int, last: int, final: float):
    for epoch in range(first, last + 1):
        with factory.begin() as session:
            metrics = epoch_metrics(epoch, final * epoch / last)
            assert queue.record_epoch(session, trial_id, metrics, attempt=attempt)


def _finish(factory, trial_id: int, epochs: int, final: float) -> None:
    with factory.begin() as session:
        outcome = queue.Outcome(TrialStatus.COMPLETED, epochs, final=epoch_metrics(epochs, final))
        assert queue.finish_trial(session, trial_id, outcome)


@pytest.fixture
def running_search(tmp_path: Path) -> Iterator[tuple[str, object, int]]:
    """A study of six trials: two completed, one running with one epoch, three pending;
    and the dashboard serving it. Yields (URL of the study page, factory, round id)."""
    factory = open_store(str(tmp_path / "live.db"), create=True)
    with factory.begin() as session:
        study = store.create_study(session, "live", 7, StudySettings(epochs=3))
        round_id = store.create_round(session, study, BOOK_SPACE, 6).id
    for final in (0.61, 0.72):
        trial_id = _run_trial(factory, round_id, 3, final)
        _finish(factory, trial_id, 3, final)
    _run_trial(factory, round_id, 1, 0.9)  # running: epoch 1 of 3
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
            page.wait_for_function("() => document.querySelector('img[alt=\"curves\"]').src")
            curves = page.evaluate("document.querySelector('img[alt=\"curves\"]').src")
            page.evaluate("window.notReloaded = true")

            # the worker writes two more epochs and finishes its trial; another starts
            _add_epochs(factory, running.id, running.attempt, 2, 3, 0.9)
            _finish(factory, running.id, 3, 0.9)
            _run_trial(factory, round_id, 1, 0.5)

            page.wait_for_function(
                """() => document.querySelector('#progress .card[data-key="epochs stored"] b')
                         .textContent === '10'""",
                timeout=20_000,
            )
            page.wait_for_selector(f'#leaderboard tbody tr[data-trial="{running.id}"]')
            first = page.eval_on_selector("#leaderboard tbody tr", "row => row.dataset.trial")
            assert int(first) == running.id  # 0.9: the new best
            assert _card(page, "done") == "3"
            page.wait_for_function(  # the figures follow, at most every 10 s
                f"""() => document.querySelector('img[alt="curves"]').src !== '{curves}'""",
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
INJECTED = "img[src='x'], svg, [onerror], [onload]"


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
            page.wait_for_function(  # every figure drawn
                """() => [...document.querySelectorAll('img.figure')]
                         .every((img) => img.complete && img.naturalWidth > 0)"""
            )
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
