"""Screenshots of a running dashboard, taken with headless Chromium (Playwright).

    python docs/screenshots.py URL STUDY [OTHER ...] [--live STUDY] [--out docs]

Writes into ``--out``, once each page's tables and charts are drawn:

    dashboard-studies.png     the studies page
    dashboard-study.png       the top of the page of ``--live`` (else of STUDY): progress,
                              warnings, rounds, the running trials, the leaderboard
    dashboard-parallel.png    its parallel coordinates, the score axis brushed
    dashboard-history.png     its best accuracy so far, rounds shaded
    dashboard-curves.png      its validation curves
    dashboard-slices.png      a slice per parameter
    dashboard-scatter.png     two parameters and each round's domain
    dashboard-importance.png  the parameters' importance
    dashboard-trial.png       the page of the first running trial of ``--live`` (else of
                              STUDY's best trial), and its curves (dashboard-trial-curve.png)
    dashboard-compare.png     STUDY and the OTHER studies compared (when named)

Start the dashboard first: ``hpsearch dashboard --db DB``. Each PNG is shrunk to a
palette of 256 colours (Pillow, which matplotlib brings) and saved optimised.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path
from urllib.parse import quote, urlencode

from PIL import Image
from playwright.sync_api import Page, sync_playwright

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
VIEWPORT = {"width": 1400, "height": 900}
#: The study page's charts drawn, its importance too (the root's data-drawn).
DRAWN = "() => document.getElementById('study').dataset.drawn"
CHARTS = {
    "parallel": "#chart-parallel",
    "history": "#chart-history",
    "curves": "#chart-curves",
    "slices": "#slices",
    "scatter": "#chart-scatter",
    "importance": "#chart-importance",
}
#: Drag along the parallel coordinates' score axis from 1 down to 0.6.
BRUSH = """() => { const chart = echarts.getInstanceByDom(document.getElementById(
  'chart-parallel')); const dim = window.hpsearchCharts.parallelNames.length - 1;
  chart.dispatchAction({ type: 'axisAreaSelect', parallelAxisId: `axis-${dim}`,
  intervals: [[0.6, 1]] }); chart.resize(); }"""


def segment(name: str) -> str:
    """A study's name as its URLs carry it (hpsearch.dashboard.urls)."""
    if name.strip(".") == "":
        return "%252E" * len(name)
    return quote(name.replace("%", "%25").replace("/", "%2F"), safe="")


def saved(path: Path) -> None:
    """Shrink the screenshot at ``path`` to 256 colours, optimised, and say so."""
    with Image.open(path) as shot:
        small = shot.convert("RGB").quantize(
            256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
        )
    small.save(path, optimize=True)
    print(f"{path} ({path.stat().st_size // 1000} KB)")


def drawn(page: Page, base: str, study: str) -> None:
    page.goto(f"{base}/study/{segment(study)}?top=10")
    page.wait_for_selector("#leaderboard tbody tr")
    page.wait_for_function(DRAWN, timeout=120_000)


def shoot_study(page: Page, base: str, study: str, live: str | None, out: Path) -> None:
    drawn(page, base, live or study)
    page.screenshot(path=out / "dashboard-study.png")
    saved(out / "dashboard-study.png")
    if live:
        drawn(page, base, study)
    page.evaluate(BRUSH)
    page.wait_for_function("() => document.getElementById('pager-note').textContent"
                           ".includes('brushed')")  # fmt: skip
    for name, selector in CHARTS.items():
        path = out / f"dashboard-{name}.png"
        page.locator(selector).scroll_into_view_if_needed()
        page.locator(selector).screenshot(path=path)
        saved(path)


def trial_address(page: Page, base: str, study: str, live: bool) -> str:
    """The page of the study's first running trial (``live``), else of its best one."""
    page.goto(f"{base}/study/{segment(study)}")
    rows = "#running tbody tr" if live else "#leaderboard tbody tr"
    page.wait_for_selector(rows, timeout=120_000)
    trial = page.eval_on_selector(rows, "row => row.dataset.trial")
    return f"{base}/study/{segment(study)}/trial/{trial}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("studies", nargs="+")
    parser.add_argument("--live", help="A study with a running trial, for the trial page.")
    parser.add_argument("--out", type=Path, default=Path("docs"))
    args = parser.parse_args()
    base, out = args.url.rstrip("/"), args.out
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            profile, executable_path=chromium, args=FLAGS, headless=True, viewport=VIEWPORT
        )
        try:
            page = browser.new_page()
            page.goto(f"{base}/")
            page.wait_for_selector("#studies tbody tr")
            page.screenshot(path=out / "dashboard-studies.png")
            saved(out / "dashboard-studies.png")
            shoot_study(page, base, args.studies[0], args.live, out)
            page.goto(trial_address(page, base, args.live or args.studies[0], bool(args.live)))
            page.wait_for_selector("#curve canvas")
            page.locator("#epochs").scroll_into_view_if_needed()  # the curve, then its epochs
            page.locator("#curve").screenshot(path=out / "dashboard-trial-curve.png")
            saved(out / "dashboard-trial-curve.png")
            page.evaluate("window.scrollTo(0, 0)")
            top = page.locator("#curve").bounding_box()["y"]  # the page down to its curves
            clip = {"x": 0, "y": 0, "width": VIEWPORT["width"], "height": min(top, 900)}
            page.screenshot(path=out / "dashboard-trial.png", clip=clip)
            saved(out / "dashboard-trial.png")
            if len(args.studies) > 1:
                page.goto(f"{base}/compare?{urlencode([('study', s) for s in args.studies])}")
                page.wait_for_function("() => document.getElementById('compare').dataset.drawn")
                page.screenshot(path=out / "dashboard-compare.png", full_page=True)
                saved(out / "dashboard-compare.png")
        finally:
            browser.close()


if __name__ == "__main__":
    main()
