"""The study page in a real browser while a search runs: headless Chromium (Debian's
``chromium`` package) driven by Playwright, which uses that browser and downloads none.

Skipped on a machine without Chromium or Playwright, with the reason; under CI
(``CI=true`` or ``HPSEARCH_REQUIRE_CHROMIUM`` set, as .ci/run does) it fails instead.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from hpsearch import store
from hpsearch.dashboard import bind, create_app, server
from hpsearch.settings import StudySettings
from hpsearch.space.sampling import BOOK_SPACE
from hpsearch.store import queue
from hpsearch.store.schema import open_store
from hpsearch.store.status import TrialStatus
from tests.support import epoch_metrics

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
    sock = bind("127.0.0.1", 0)
    httpd = server(create_app(open_store(str(tmp_path / "live.db"), read_only=True)), sock)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/study/live", factory, round_id
    finally:
        httpd.shutdown()
        httpd.server_close()
        sock.close()
        thread.join(timeout=10)


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
            page = browser.new_page()
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
        finally:
            browser.close()
