"""Screenshots of a running dashboard, taken with headless Chromium (Playwright).

    python docs/screenshots.py URL STUDY [OTHER ...] [--out docs]

Writes ``dashboard-study.png`` (the study page of STUDY, once its tables,
figures and charts have loaded) and, when OTHER studies are named, ``dashboard-compare.png``
(STUDY and the others side by side) into ``--out``. Start the dashboard first:
``hpsearch dashboard --db DB``.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlencode

from playwright.sync_api import Page, sync_playwright

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
LOADED = "() => [...document.images].every(img => img.complete && img.naturalWidth > 0)"
#: The page's charts drawn (study page, comparison page: their root's data-drawn).
DRAWN = "() => [...document.querySelectorAll('#study, #compare')].every(r => r.dataset.drawn)"


def shoot(page: Page, url: str, path: Path, ready: str) -> None:
    page.goto(url)
    page.wait_for_selector(ready)
    page.wait_for_function(LOADED, timeout=60_000)
    page.wait_for_function(DRAWN, timeout=60_000)
    page.screenshot(path=path, full_page=True)
    print(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("studies", nargs="+")
    parser.add_argument("--out", type=Path, default=Path("docs"))
    args = parser.parse_args()
    base = args.url.rstrip("/")
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            profile, executable_path=chromium, args=FLAGS, headless=True,
            viewport={"width": 1400, "height": 900},
        )  # fmt: skip
        try:
            page = browser.new_page()
            study = f"{base}/study/{args.studies[0]}?top=10&rows=15"
            shoot(page, study, args.out / "dashboard-study.png", "#leaderboard tbody tr")
            if len(args.studies) > 1:
                compare = f"{base}/compare?{urlencode([('study', s) for s in args.studies])}"
                shoot(page, compare, args.out / "dashboard-compare.png", "table.best")
        finally:
            browser.close()


if __name__ == "__main__":
    main()
