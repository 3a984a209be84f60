"""The dashboard on a large study: how long the study page's data, its charts' data and
the page itself in a browser take.

    python benchmarks/dashboard_load.py [--trials 10000] [--epochs 50] [--rounds 4]
                                        [--repeat 5] [--db PATH] [--browser] [--figures]

Builds (once; an existing --db is reused) a study of ``--trials`` trials in
``--rounds`` rounds, every trial completed with ``--epochs`` epoch rows, straight
into an SQLite store; then asks the dashboard (its Flask app, in process) for each
answer the study page loads and prints the first, median and longest time of
``--repeat`` requests and the answer's size (an importance report is kept after the
first): the study page's data (/api/study/NAME?rows=1, which the page polls every 2 s),
a page of the leaderboard (as it opens, sorted by a parameter with a filter, brushed),
the charts' trials (a sample of at most 5,000), the curves and the importance (random
forests on a sample of at most 1,000 trials).
``--figures`` times the matplotlib downloads (SVG, CSV) too: they draw or write every
trial, and are not what the page loads.

``--browser`` also opens the study page in headless Chromium (Playwright, as the
browser tests do) and prints, from the page's own clock (``performance.now()``): when
the leaderboard's first rows, the parallel coordinates and the importance were drawn,
how long a filter typed under a header takes to redraw the leaderboard, and the long
tasks (main-thread work over 50 ms, recorded by a ``PerformanceObserver`` of
``longtask`` entries from the page's start): how many, the longest, their sum.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

import numpy as np
from sqlalchemy import insert, update

from hpsearch import store
from hpsearch.dashboard import bind, create_app, server
from hpsearch.settings import StudySettings
from hpsearch.space.sampling import BOOK_SPACE
from hpsearch.store.models import EpochMetric, Trial
from hpsearch.store.schema import open_store
from hpsearch.store.status import TrialStatus

NAME = "large"
BRUSH = quote(json.dumps({"score": [[0.5, 0.9]], "lr": [[1e-3, 1e-2]]}))
PAGES = (
    "/study/large",
    "/api/study/large?rows=1",
    "/api/study/large/leaderboard",
    "/api/study/large/leaderboard?sort=lr&desc=0&page=3&f.lr=0.001..0.01",
    f"/api/study/large/leaderboard?brush={BRUSH}",
    "/api/study/large/trials",
    "/api/study/large/curves?top=10",
    "/api/study/large/importance",
    "/api/studies",
)
DOWNLOADS = (
    "/study/large/leaderboard.csv",
    "/study/large/figure/curves.svg",
    "/study/large/figure/history.svg",
    "/study/large/figure/narrowing.svg",
)
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
#: Run in the page before its scripts: record every long task (over 50 ms).
LONG_TASKS = """window.longTasks = [];
new PerformanceObserver((list) => { for (const e of list.getEntries())
  window.longTasks.push(e.duration); }).observe({ type: "longtask", buffered: true });"""


def build(db: Path, trials: int, epochs: int, rounds: int) -> None:
    """A study of ``trials`` completed trials, ``epochs`` epochs each."""
    factory = open_store(str(db), create=True)
    rng = np.random.default_rng(0)
    with factory.begin() as session:
        study = store.create_study(session, NAME, 0, StudySettings(epochs=epochs))
        parent = None
        for _ in range(rounds):
            parent = store.create_round(session, study, BOOK_SPACE, trials // rounds, parent=parent)
        ids = [trial.id for round_ in study.rounds for trial in round_.trials]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        final = rng.uniform(0.1, 0.95, len(chunk))
        curves = final[:, None] * np.linspace(0.3, 1.0, epochs)  # (trials, epochs)
        with factory.begin() as session:
            session.execute(
                insert(EpochMetric),
                [
                    {"trial_id": trial_id, "epoch": e + 1, "train_accuracy": min(v + 0.05, 1.0),
                     "val_accuracy": v, "train_loss": 1.0 - v, "val_loss": 1.1 - v,
                     "seconds": 0.02}
                    for trial_id, curve in zip(chunk, curves.tolist(), strict=True)
                    for e, v in enumerate(curve)
                ],
            )  # fmt: skip
            session.execute(
                update(Trial),
                [
                    {"id": trial_id, "status": TrialStatus.COMPLETED, "epochs_run": epochs,
                     "val_accuracy": curve[-1], "best_val_accuracy": curve[-1],
                     "best_epoch": epochs, "train_accuracy": min(curve[-1] + 0.05, 1.0)}
                    for trial_id, curve in zip(chunk, curves.tolist(), strict=True)
                ],
            )  # fmt: skip


def timed(client, urls: tuple[str, ...], repeat: int) -> None:
    print(f"{'answer':<72} {'first s':>7} {'median s':>8} {'max s':>6} {'KB':>7}")
    for url in urls:
        times = []
        for _ in range(repeat):
            began = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - began)
            assert response.status_code == 200, (url, response.status_code)
        shown = url if len(url) <= 72 else url[:69] + "..."
        size = len(response.data) / 1000
        median = statistics.median(times)
        print(f"{shown:<72} {times[0]:>7.3f} {median:>8.3f} {max(times):>6.3f} {size:>7.0f}")


def in_browser(app) -> None:
    """The study page in headless Chromium: its own clock's figures (see the module)."""
    from playwright.sync_api import sync_playwright

    sock = bind("127.0.0.1", 0)
    httpd = server(app, sock)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    try:
        with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
            browser = playwright.chromium.launch_persistent_context(
                profile, executable_path=chromium, args=CHROMIUM_FLAGS, headless=True,
                viewport={"width": 1400, "height": 900},
            )  # fmt: skip
            page = browser.new_page()
            page.add_init_script(LONG_TASKS)
            page.goto(f"http://127.0.0.1:{sock.getsockname()[1]}/study/large")
            page.wait_for_selector("#leaderboard tbody tr", timeout=120_000)
            rows = page.evaluate("performance.now()")
            page.wait_for_function("() => document.getElementById('study').dataset.charted")
            charted = page.evaluate("performance.now()")
            page.wait_for_function("() => document.getElementById('study').dataset.drawn")
            drawn = page.evaluate("performance.now()")
            tasks = page.evaluate("window.longTasks")
            board = "document.getElementById('leaderboard').dataset.drawn"
            before = page.evaluate(board)
            began = page.evaluate("performance.now()")
            page.fill("#leaderboard input.filter[data-key='score']", "0.5..0.6")
            page.press("#leaderboard input.filter[data-key='score']", "Enter")
            page.wait_for_function(f"() => {board} !== '{before}'")
            filtered = page.evaluate("performance.now()") - began
            browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    print("in Chromium (ms since the page's start):")
    print(f"  leaderboard's first rows  {rows:8.0f}")
    print(f"  charts drawn              {charted:8.0f}")
    print(f"  importance drawn          {drawn:8.0f}")
    print(f"  a filter redrawn in       {filtered:8.0f}")
    longest = max(tasks, default=0.0)
    print(f"  long tasks (> 50 ms)      {len(tasks):8d}, longest {longest:.0f} ms, "
          f"{sum(tasks):.0f} ms in all")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--browser", action="store_true", help="Time the page in Chromium.")
    parser.add_argument("--figures", action="store_true", help="Time the downloads too.")
    args = parser.parse_args()
    db = args.db or Path(tempfile.mkdtemp()) / "dashboard.db"
    if not db.exists():
        began = time.perf_counter()
        build(db, args.trials, args.epochs, args.rounds)
        print(f"built {args.trials} trials x {args.epochs} epochs in "
              f"{time.perf_counter() - began:.1f} s: {db}")  # fmt: skip
    app = create_app(open_store(str(db), read_only=True))
    timed(app.test_client(), PAGES + (DOWNLOADS if args.figures else ()), args.repeat)
    if args.browser:
        in_browser(app)


if __name__ == "__main__":
    main()
