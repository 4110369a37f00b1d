"""The portal's accounts, SQL console, request workflow and dashboard in a real browser: headless Chromium
(Debian's) driven by Playwright against a real uvicorn server over the demo store (see conftest.py)."""

from __future__ import annotations

import csv
import io
import os
import re
from typing import Any

import pytest

from datavalley.access import accounts
from datavalley.access.accounts import UserCreate
from tests.web.browser import browser_problem
from tests.web.conftest import open_tab

pytestmark = pytest.mark.slow

if problem := browser_problem():
    if os.environ.get("CI"):
        pytest.fail(problem, pytrace=False)
    pytest.skip(problem, allow_module_level=True)

HEALTH = "/datasets/health_commission/hospital_visits"
INDICATORS = "stats_bureau.county_indicators.indicators"


def log_in(tab: Any, url: str, user: str, password: str, *, next_path: str = "/") -> None:
    tab.goto(f"{url}/login?next={next_path}")
    tab.get_by_label("User name").fill(user)
    tab.get_by_label("Password").fill(password)
    tab.get_by_role("button", name="Log in").click()
    tab.wait_for_selector("#whoami")


def run_sql(tab: Any, sql: str) -> None:
    editor = tab.locator("#sql-editor")  # labelled "SQL query" (in English)
    editor.fill(sql)
    editor.press("Control+Enter")


def test_login_logout_and_the_header(server: Any, browser: Any) -> None:
    with open_tab(browser) as tab:
        tab.goto(server.url + "/tokens")  # a page for logged-in users sends the visitor to log in first
        tab.wait_for_url("**/login?next=%2Ftokens")
        tab.get_by_label("User name").fill("consumer")
        tab.get_by_label("Password").fill("not the password")
        tab.get_by_role("button", name="Log in").click()
        assert tab.locator("#login-error").inner_text() == "Wrong user name or password."
        tab.get_by_label("Password").fill("consumer-demo")
        tab.get_by_role("button", name="Log in").click()
        tab.wait_for_url("**/tokens?done=logged_in")
        assert tab.locator("#whoami").inner_text() == "consumer"
        # the session cookie is Secure, HttpOnly, SameSite=Lax: Chromium keeps it on http://127.0.0.1
        cookie = next(c for c in tab.context.cookies() if c["name"] == "dv_session")
        assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        # make a token: the secret is shown once, and it works as a bearer token
        tab.get_by_label("Name", exact=True).fill("laptop")
        tab.get_by_role("button", name="Create token").click()
        secret = tab.locator("#token-secret").input_value()
        assert re.fullmatch(r"dv_[A-Za-z0-9_-]{43}", secret)
        me = tab.request.get(server.url + "/api/v1/users/me", headers={"Authorization": f"Bearer {secret}"})
        assert me.json()["name"] == "consumer"
        tab.goto(server.url + "/tokens")
        assert secret not in tab.content()  # never shown again
        tab.get_by_role("button", name="Revoke token laptop").click()
        tab.wait_for_url("**/tokens?done=token_revoked")
        assert tab.locator("tr[data-token='laptop'] .badge").inner_text() == "revoked"
        gone = tab.request.get(server.url + "/api/v1/users/me", headers={"Authorization": f"Bearer {secret}"})
        assert gone.status == 401
        # log out: the header offers to log in again and the session no longer works
        tab.get_by_role("button", name="Log out").click()
        tab.wait_for_url("**/?done=logged_out")
        assert tab.locator("#login-link").is_visible() and tab.locator("#whoami").count() == 0
        assert tab.request.get(server.url + "/api/v1/users/me").status == 401


def test_sql_console_pages_to_the_end_and_points_at_errors(server: Any, browser: Any) -> None:
    with open_tab(browser) as tab:
        tab.goto(server.url + "/sql")
        run_sql(tab, f"SELECT county, year, population\nFROM {INDICATORS}\nORDER BY county_code, year")
        tab.wait_for_selector("#sql-grid[data-page='1']")
        status = tab.locator("#sql-status")
        assert status.inner_text().startswith("Rows 1–100 of 192 · ")
        assert tab.locator("#sql-grid thead th").all_inner_texts() == ["county", "year", "population"]
        tab.get_by_role("button", name="Next →").click()
        tab.wait_for_selector("#sql-grid[data-page='2']")
        assert status.inner_text().startswith("Rows 101–192 of 192")
        assert tab.get_by_role("button", name="Next →").is_disabled()
        assert tab.locator("#sql-grid tbody tr").count() == 92
        tab.get_by_role("button", name="← Previous").click()
        tab.wait_for_selector("#sql-grid[data-page='1']")
        assert tab.locator("#sql-grid tbody tr td").first.inner_text() == "青山县 Qingshan"

        # the downloads carry the SQL and hold every row
        href = tab.locator("a[data-format='csv']").get_attribute("href")
        assert "format=csv" in href and "ORDER+BY" in href
        rows = list(csv.reader(io.StringIO(tab.request.get(server.url + href).text())))
        assert rows[0] == ["county", "year", "population"] and len(rows) == 193

        # an error says where it is and marks the place in the editor
        run_sql(tab, "SELECT county,\n  year FROMM x")
        error = tab.locator("#sql-error-text")
        error.wait_for()
        assert error.inner_text().startswith("Line 2, column ")
        column = int(re.search(r"column (\d+)", error.inner_text()).group(1))
        editor = tab.get_by_label("SQL query")
        assert editor.get_attribute("aria-invalid") == "true"
        start = tab.evaluate("() => document.getElementById('sql-editor').selectionStart")
        assert start == len("SELECT county,\n") + column - 1
        assert tab.locator("#sql-error-context").inner_text().endswith(" " * (column - 1) + "^")

        # an unknown column has no position from the engine: the console finds the name in the editor
        run_sql(tab, f"SELECT county\nFROM {INDICATORS}\nWHERE yaer > 2020")
        tab.wait_for_selector("#sql-error-text:has-text('Line 3, column 7')")
        assert "yaer" in error.inner_text() and tab.locator("#sql-grid tbody tr").count() == 0
        assert (
            tab.evaluate(
                "() => { const e = document.getElementById('sql-editor'); return e.value.slice(e.selectionStart, e.selectionEnd); }"
            )
            == "yaer"
        )

        # the table list puts a name into the editor
        editor.fill("SELECT count(*) FROM ")
        editor.press("End")
        tab.locator(f"button.insert[data-insert='{INDICATORS}']").click()
        assert editor.input_value() == f"SELECT count(*) FROM {INDICATORS}"
        tab.get_by_role("button", name="Run").click()
        tab.wait_for_selector("#sql-grid tbody td:text('192')")
        assert tab.locator("#sql-error").is_hidden()


def test_dataset_page_opens_the_console(server: Any, page: Any) -> None:
    page.goto(server.url + "/datasets/stats_bureau/county_indicators")
    page.get_by_role("link", name="Open in the SQL console").click()
    page.wait_for_selector("#sql-grid[data-page='1']")
    assert page.get_by_label("SQL query").input_value() == f"SELECT * FROM {INDICATORS} LIMIT 100"
    assert page.locator("#sql-status").inner_text().startswith("Rows 1–100 of 100")


def test_request_review_approve_then_the_consumer_reads_masked_rows(server: Any, browser: Any) -> None:
    with server.runtime.session() as session:
        accounts.create_user(session, UserCreate(name="wu", display_name="吴", password="wu-password"))
        accounts.set_membership(session, "valley_ecommerce", "wu", "member")

    with open_tab(browser) as consumer:
        log_in(consumer, server.url, "wu", "wu-password", next_path=HEALTH)
        assert consumer.locator("#no-access").is_visible() and consumer.locator("#grid").count() == 0
        consumer.get_by_role("link", name="Request access").click()
        consumer.get_by_label("Purpose").fill("Seasonal demand for medicines in rural shops")
        consumer.get_by_label("Days of access").fill("60")
        consumer.get_by_role("button", name="Send the request").click()
        consumer.wait_for_url(re.compile(r".*/requests/\d+\?done=request_opened"))
        number = int(re.search(r"/requests/(\d+)", consumer.url).group(1))
        assert "awaiting review" in consumer.locator("h1").inner_text()

        with open_tab(browser) as authority:
            log_in(authority, server.url, "authority", "authority-demo", next_path="/review")
            row = authority.locator(f"tr[data-request='{number}']")
            assert "awaiting review" in row.inner_text() and "hospital_visits" in row.inner_text()
            row.get_by_role("link", name=f"#{number}").click()
            authority.get_by_role("button", name="Pass to the provider").click()
            authority.wait_for_url("**?done=request_reviewed")
            assert "awaiting the provider" in authority.locator("h1").inner_text()

        with open_tab(browser) as provider:
            log_in(provider, server.url, "provider", "provider-demo", next_path="/inbox")
            provider.locator(f"tr[data-request='{number}']").get_by_role("link").first.click()
            provider.get_by_role("button", name="Approve").click()
            provider.wait_for_url("**?done=request_approved")
            assert "approved" in provider.locator("h1").inner_text()

        # the consumer now reads the rows: the ID numbers masked (the first 6 characters kept)
        consumer.goto(server.url + HEALTH)
        consumer.wait_for_selector("#grid[data-page='1']")
        assert consumer.locator("#grid-status").inner_text() == "Rows 1–25 of 3,000"
        ids = consumer.locator("#grid tbody tr td:nth-child(1)").all_inner_texts()
        assert len(ids) == 25 and all(re.fullmatch(r"52\d{4}\*{12}", v) for v in ids), ids[:3]
        header = consumer.locator("#grid thead th").first.inner_text()
        assert "masked" in header
        # the chart posts to the SQL service with the session's CSRF token
        consumer.wait_for_selector("#chart[data-drawn]")
        assert "Chart of 3,000 rows" in consumer.locator("#chart-status").inner_text()
        # and the SQL console sees exactly the same
        consumer.goto(server.url + "/sql")
        run_sql(
            consumer, "SELECT shen_fen_zheng_hao_ma FROM health_commission.hospital_visits.visits LIMIT 5"
        )
        consumer.wait_for_selector("#sql-grid[data-page='1']")
        cells = consumer.locator("#sql-grid tbody td").all_inner_texts()
        assert len(cells) == 5 and all(v.endswith("*" * 12) for v in cells)


def test_chart_counts_every_row_beyond_one_page(server: Any, page: Any) -> None:
    """The chart builder's GROUP BY runs over the whole table (12,345 rows), not a first page of rows."""
    from datavalley.catalog import service
    from datavalley.catalog.schemas import DatasetCreate
    from datavalley.ingest.load import IngestRequest, ingest

    rt = server.runtime
    with rt.session() as session:
        service.create_dataset(
            session,
            "stats_bureau",
            DatasetCreate(name="big", title="Big", sharing="unconditional", public=True, state="published"),
        )
    source = rt.settings.home / "big.csv"
    source.write_text("n,kind\n" + "".join(f"{i},{'ab'[i % 2]}\n" for i in range(12_345)), encoding="utf-8")
    ingest(rt, IngestRequest(source=str(source), dataset="stats_bureau/big", table="rows", user="test"))
    page.goto(server.url + "/datasets/stats_bureau/big")
    page.wait_for_selector("#chart[data-drawn]")
    page.get_by_label("Chart type").select_option("bar")
    page.get_by_label("Group by (x)").select_option("kind")
    page.get_by_label("Value (y)").select_option("")
    page.get_by_role("button", name="Draw chart").click()
    page.wait_for_selector("#chart-status:has-text('12,345 rows')")
    values = page.evaluate("() => window.dvChart.getOption().series[0].data")
    assert values == [6173, 6172]


def test_dashboard_draws_its_charts(server: Any, browser: Any) -> None:
    with open_tab(browser) as tab:
        log_in(tab, server.url, "authority", "authority-demo", next_path="/dashboard")
        tab.wait_for_selector("[data-chart='requests'][data-drawn]")
        assert tab.locator("[data-chart][data-drawn] canvas").count() == 5
        reads = int(tab.locator("[data-stat='reads']").inner_text().replace(",", ""))
        assert reads > 100  # the demo's synthetic month of reads, and the tests' own
        assert tab.locator("#dash-requests-title").is_visible()


def test_language_switch_and_phone_width_on_the_new_pages(server: Any, browser: Any) -> None:
    with open_tab(browser, width=390, height=844, locale="en-US") as tab:
        log_in(tab, server.url, "consumer", "consumer-demo", next_path="/sql")
        tab.get_by_role("link", name="简体中文").click()
        tab.wait_for_selector("html[lang='zh-Hans']")
        assert tab.locator("h1").inner_text() == "SQL 查询控制台"
        assert tab.evaluate("() => document.documentElement.scrollWidth") <= 390
        run_sql(tab, f"SELECT * FROM {INDICATORS}")
        tab.wait_for_selector("#sql-grid[data-page='1']")
        assert tab.locator("#sql-status").inner_text().startswith("第 1–100 行，共 192 行")
        tab.get_by_role("link", name="我的申请").click()  # the choice holds on the next page
        tab.wait_for_url("**/requests")
        assert tab.locator("h1").inner_text() == "我的申请"
        assert "待审核" in tab.locator("#request-list").inner_text()  # the demo's pending request
        assert tab.evaluate("() => document.documentElement.scrollWidth") <= 390
        tab.goto(server.url + "/tokens")
        assert tab.locator("h1").inner_text() == "API 令牌"
        tab.get_by_role("link", name="English").click()
        tab.wait_for_selector("html[lang='en']")
        assert tab.locator("h1").inner_text() == "API tokens"
