"""``make screenshots``: the portal's pages as PNG files in docs/screenshots/.

Starts a server on loopback over a fresh demo store (synthetic data), opens each page in headless
Chromium at desktop and phone width — anonymously, then as the demo consumer, the authority and the
provider, walking the demo's pending request through review and approval — and saves what it shows.
Run: ``python -m tests.web.screenshots``.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datavalley.demo import DEMO_USERS
from tests.web.browser import browser_problem, chromium, demo_runtime, serve

#: the demo users' demo-only passwords
PASSWORDS = {u.name: u.password for u in DEMO_USERS}
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
DATASET = "/datasets/stats_bureau/county_indicators"
HEALTH = "/datasets/health_commission/hospital_visits"
#: what each kind of page is drawn when: the selector to wait for
READY = {
    "explorer": ["#chart[data-drawn]", "#grid[data-page]"],
    "sql": ["#sql-grid[data-page]"],
    "dashboard": ["[data-chart='requests'][data-drawn]"],
}


@dataclass
class Shots:
    url: str
    out: Path
    saved: list[Path] = field(default_factory=list)

    def take(
        self, tab: Any, name: str, path: str, *, lang: str = "en", ready: str = "", full: bool = True
    ) -> None:
        sep = "&" if "?" in path else "?"
        tab.goto(f"{self.url}{path}{sep}lang={lang}")
        self.snap(tab, name, ready=ready, full=full)

    def snap(self, tab: Any, name: str, *, ready: str = "", full: bool = True) -> None:
        for selector in READY.get(ready, []):
            tab.wait_for_selector(selector)
        if ready:
            tab.wait_for_timeout(300)
        tab.screenshot(path=str(self.out / name), full_page=full)
        self.saved.append(self.out / name)


@contextlib.contextmanager
def tab_of(
    browser: Any, url: str, user: str | None = None, *, viewport: dict[str, int] = DESKTOP
) -> Iterator[Any]:
    context = browser.new_context(viewport=viewport, locale="en-US")
    tab = context.new_page()
    tab.on("response", lambda r: r.status >= 500 and print("failed:", r.status, r.url, file=sys.stderr))
    if user:
        tab.goto(f"{url}/login?lang=en")
        tab.get_by_label("User name").fill(user)
        tab.get_by_label("Password").fill(PASSWORDS[user])
        tab.get_by_role("button", name="Log in").click()
        tab.wait_for_selector("#whoami")
    try:
        yield tab
    finally:
        context.close()


def take(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as home,
        serve(demo_runtime(Path(home))) as server,
        chromium() as browser,
    ):
        shots = Shots(server.url, out)
        url = server.url
        with tab_of(browser, url) as tab:  # anonymous visitors
            shots.take(tab, "home.png", "/")
            shots.take(tab, "home-zh.png", "/", lang="zh")
            shots.take(tab, "search.png", "/search?q=county")
            shots.take(tab, "search-zh.png", "/search", lang="zh")
            shots.take(tab, "organization.png", "/organizations/stats_bureau")
            shots.take(tab, "dataset.png", DATASET, ready="explorer")
            shots.take(
                tab,
                "dataset-zh.png",
                "/datasets/health_commission/vaccination_points",
                lang="zh",
                ready="explorer",
            )
            shots.take(tab, "not-found.png", "/datasets/stats_bureau/nothing_here", full=False)
            shots.take(tab, "login.png", "/login", full=False)
        with tab_of(browser, url, viewport=PHONE) as tab:
            shots.take(tab, "dataset-phone.png", DATASET, ready="explorer", full=False)

        with tab_of(browser, url, "consumer") as tab:
            sql = "SELECT county, year, gdp_million_yuan, population\nFROM stats_bureau.county_indicators.indicators\nWHERE year >= 2020\nORDER BY gdp_million_yuan DESC"
            shots.take(tab, "sql.png", "/sql?run=1&sql=" + _quote(sql), ready="sql", full=False)
            tab.locator("#sql-editor").fill(
                "SELECT county, year\nFROM stats_bureau.county_indicators.indicators\nWHERE year > 2020\nORDER BY year DESC LIMT 5"
            )
            tab.locator("#sql-editor").press("Control+Enter")
            tab.wait_for_selector("#sql-error:not([hidden])")
            shots.snap(tab, "sql-error.png", full=False)
            shots.take(tab, "request-new.png", HEALTH + "/request")
            shots.take(tab, "requests.png", "/requests")
            shots.take(tab, "tokens.png", "/tokens")
            shots.take(tab, "sql-zh.png", "/sql?run=1&sql=" + _quote(sql), lang="zh", ready="sql", full=False)

        with tab_of(browser, url, "authority") as tab:
            shots.take(tab, "dashboard.png", "/dashboard", ready="dashboard")
            shots.take(tab, "dashboard-zh.png", "/dashboard", lang="zh", ready="dashboard")
            shots.take(tab, "review.png", "/review")
            shots.take(tab, "request-review.png", "/requests/1")
            tab.get_by_role("button", name="Pass to the provider").click()
            tab.wait_for_url("**done=request_reviewed")

        with tab_of(browser, url, "provider") as tab:
            shots.take(tab, "inbox.png", "/inbox")
            shots.take(tab, "request-decide.png", "/requests/1")
            tab.get_by_role("button", name="Approve").click()
            tab.wait_for_url("**done=request_approved")
            shots.take(tab, "grants.png", "/grants")

        with tab_of(browser, url, "consumer") as tab:
            shots.take(tab, "dataset-masked.png", HEALTH, ready="explorer")
        with tab_of(browser, url, "consumer", viewport=PHONE) as tab:
            shots.take(tab, "requests-phone.png", "/requests/1", lang="zh", full=False)
        return shots.saved


def _quote(text: str) -> str:
    import urllib.parse

    return urllib.parse.quote(text)


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
