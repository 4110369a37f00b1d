"""``make screenshots``: the portal's main pages as PNG files in docs/screenshots/.

Starts a server on loopback over a fresh demo store (synthetic data), opens each page in headless
Chromium at desktop and phone width, and saves what it shows. Run: ``python -m tests.web.screenshots``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tests.web.browser import browser_problem, chromium, demo_runtime, serve

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
DATASET = "/datasets/stats_bureau/county_indicators"

#: file name, path, viewport, language, whether to wait for the chart, full page
SHOTS = [
    ("home.png", "/", DESKTOP, "en", False, True),
    ("home-zh.png", "/", DESKTOP, "zh", False, True),
    ("search.png", "/search?q=county", DESKTOP, "en", False, True),
    ("search-zh.png", "/search", DESKTOP, "zh", False, True),
    ("organization.png", "/organizations/stats_bureau", DESKTOP, "en", False, True),
    ("dataset.png", DATASET, DESKTOP, "en", True, True),
    ("dataset-zh.png", "/datasets/health_commission/vaccination_points", DESKTOP, "zh", True, True),
    ("dataset-phone.png", DATASET, PHONE, "en", True, False),
    ("not-found.png", "/datasets/stats_bureau/nothing_here", DESKTOP, "en", False, False),
]


def take(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    saved = []
    with (
        tempfile.TemporaryDirectory() as home,
        serve(demo_runtime(Path(home))) as server,
        chromium() as browser,
    ):
        for name, path, viewport, lang, chart, full in SHOTS:
            page = browser.new_page(viewport=viewport, locale="zh-CN" if lang == "zh" else "en-US")  # type: ignore[attr-defined]
            page.on(
                "response", lambda r: r.status >= 400 and print("failed:", r.status, r.url, file=sys.stderr)
            )
            sep = "&" if "?" in path else "?"
            page.goto(f"{server.url}{path}{sep}lang={lang}")
            if chart:
                page.wait_for_selector("#chart[data-drawn]")
                page.wait_for_selector("#grid[data-page]")
                page.wait_for_timeout(300)
            page.screenshot(path=str(out / name), full_page=full)
            page.close()
            saved.append(out / name)
    return saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args(argv)
    if problem := browser_problem():
        print(problem, file=sys.stderr)
        return 1
    for path in take(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
