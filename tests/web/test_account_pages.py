"""Login, logout, API tokens and the SQL console page, in-process on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from datavalley.catalog.tables import ColumnUpdate, update_column
from tests.factories import make_dataset, make_org, make_user
from tests.query.tables import PEOPLE_CSV, csv_text, load_table

EVIL = '<script>alert("x")</script>'


def _field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"the page has a `{name}` field"
    return found.group(1)


@pytest.fixture
def browser(app, client):
    """A cookie-keeping client over HTTPS (the session cookie is Secure), with user `li` (password known)."""
    with app.state.runtime.session() as session:
        make_user(session, "li", password="li-password", stats="editor")
    return TestClient(app, raise_server_exceptions=False, base_url="https://testserver")


def _log_in(browser, user="li", password="li-password", next_path="/"):
    nonce = _field(browser.get("/login").text, "nonce")
    return browser.post(
        "/login",
        data={"user": user, "password": password, "nonce": nonce, "next": next_path},
        follow_redirects=False,
    )


def test_login_and_logout(browser):
    form = browser.get("/login", params={"next": "/grants"})
    assert form.status_code == 200 and 'autocomplete="current-password"' in form.text
    assert form.headers["cache-control"] == "no-store" and "dv_login" in form.headers["set-cookie"]
    assert _field(form.text, "next") == "/grants"

    # a form without the login cookie's value (another site posting it) is refused
    stale = browser.post("/login", data={"user": "li", "password": "li-password", "nonce": "x"})
    assert stale.status_code == 403 and "out of date" in stale.text and "dv_session" not in browser.cookies

    wrong = _log_in(browser, password="nope-nope")
    assert wrong.status_code == 401 and "Wrong user name or password." in wrong.text
    assert "dv_session" not in browser.cookies and 'value="li"' in wrong.text  # the name is kept

    done = _log_in(browser, next_path="/grants")
    assert done.status_code == 303 and done.headers["location"] == "/grants?done=logged_in"
    cookie = done.headers["set-cookie"]
    assert (
        "dv_session=" in cookie and "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie
    )
    home = browser.get("/")
    assert 'id="whoami"' in home.text and ">li</a>" in home.text and "Log out" in home.text
    assert home.headers["cache-control"] == "no-store"  # a page for one person
    assert browser.get("/login", follow_redirects=False).status_code == 303  # logged in already

    # logging out is a form with the session's CSRF token: without it, nothing happens
    assert browser.post("/logout", data={}).status_code == 403
    assert browser.get("/api/v1/users/me").status_code == 200
    out = browser.post(
        "/logout", data={"csrf_token": _field(home.text, "csrf_token")}, follow_redirects=False
    )
    assert out.status_code == 303 and out.headers["location"] == "/?done=logged_out"
    assert browser.get("/api/v1/users/me").status_code == 401
    assert "You are logged out." in browser.get("/?done=logged_out").text


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"]
)
def test_login_goes_nowhere_but_this_site(browser, target):
    assert _log_in(browser, next_path=target).headers["location"] == "/?done=logged_in"


def test_pages_for_logged_in_users_ask_to_log_in(anonymous):
    for path in [
        "/tokens",
        "/requests",
        "/requests/1",
        "/inbox",
        "/review",
        "/grants",
        "/grants/new",
        "/dashboard",
    ]:
        answer = anonymous.get(path, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/login?next=" + path.replace("/", "%2F")), path


def test_roles_decide_who_sees_the_inbox_review_and_dashboard(stats_member, stats_editor):
    for path in ["/inbox", "/review", "/dashboard"]:
        refused = stats_member.get(path)
        assert refused.status_code == 403 and "You may not see this page" in refused.text, path
    assert stats_editor.get("/inbox").status_code == 200
    assert stats_editor.get("/review").status_code == 403
    assert 'href="/inbox"' in stats_editor.get("/").text
    member_nav = stats_member.get("/").text
    assert 'href="/requests"' in member_nav and 'href="/inbox"' not in member_nav
    assert 'href="/review"' not in member_nav and 'href="/dashboard"' not in member_nav


def test_tokens_page(browser, app):
    _log_in(browser)
    page = browser.get("/tokens")
    csrf = _field(page.text, "csrf_token")
    assert "You have no API tokens." in page.text

    # every form of a cookie session needs the session's CSRF token
    assert browser.post("/tokens", data={"name": "laptop"}).status_code == 403
    assert browser.post("/tokens", data={"name": "laptop", "csrf_token": "0" * 64}).status_code == 403

    made = browser.post("/tokens", data={"name": f"laptop {EVIL}", "days": "7", "csrf_token": csrf})
    assert made.status_code == 201 and made.headers["cache-control"] == "no-store"
    secret = re.search(r'id="token-secret"[^>]*value="(dv_[A-Za-z0-9_-]{43})"', made.text).group(1)
    assert EVIL not in made.text and "laptop &lt;script&gt;" in made.text
    assert (
        browser.get("/api/v1/users/me", headers={"Authorization": f"Bearer {secret}"}).json()["name"] == "li"
    )
    listing = browser.get("/tokens").text
    assert secret not in listing and secret[:9] in listing  # shown once; recognised by its start

    taken = browser.post("/tokens", data={"name": f"laptop {EVIL}", "csrf_token": csrf})
    assert taken.status_code == 409 and "already have an active token" in taken.text
    bad = browser.post("/tokens", data={"name": "x", "days": "forever", "csrf_token": csrf})
    assert bad.status_code == 422

    token_id = re.search(r'action="/tokens/(\d+)/revoke"', listing).group(1)
    with app.state.runtime.session() as session:  # somebody else's token is not found, not revoked
        make_user(session, "zhao")
    other = TestClient(app, raise_server_exceptions=False, headers={"Authorization": f"Bearer {secret}"})
    assert other.post(f"/tokens/{int(token_id) + 1000}/revoke").status_code == 404
    gone = browser.post(f"/tokens/{token_id}/revoke", data={"csrf_token": csrf}, follow_redirects=False)
    assert gone.headers["location"] == "/tokens?done=token_revoked"
    assert browser.get("/api/v1/users/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_forms_refuse_what_they_cannot_read(client):
    assert (
        client.post(
            "/tokens", content=b"name=a\x00b", headers={"content-type": "application/x-www-form-urlencoded"}
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/tokens", content=b"x" * 300_000, headers={"content-type": "application/x-www-form-urlencoded"}
        ).status_code
        == 400
    )
    assert client.post("/tokens", json={"name": "x"}).status_code == 400
    assert (
        client.post(
            "/tokens", content=b"\xff\xfe", headers={"content-type": "application/x-www-form-urlencoded"}
        ).status_code
        == 400
    )
    assert client.get("/").status_code == 200


def test_sql_console_lists_what_the_caller_may_query(app, client, anonymous, outsider, tmp_path):
    rt = app.state.runtime
    with rt.session() as session:
        make_org(session, "stats")
        make_dataset(session, "stats/people", sharing="unconditional", public=True, state="published")
        make_dataset(session, "stats/incomes", sharing="conditional", state="published")
    load_table(rt, tmp_path, "residents", PEOPLE_CSV, dataset="stats/people")
    load_table(rt, tmp_path, "households", csv_text(["id", "income"], [(1, 10)]), dataset="stats/incomes")
    with rt.session() as session:
        update_column(
            session, rt.settings, "stats", "people", "residents", "name", ColumnUpdate(tags=["name"])
        )

    def listed(who):
        return re.findall(r'data-insert="(stats\.[a-z]+\.[a-z]+)"', who.get("/sql").text)

    assert listed(client) == ["stats.incomes.households", "stats.people.residents"]
    assert listed(outsider) == ["stats.people.residents"]  # sees incomes, may not read it without a grant
    public = anonymous.get("/sql")
    assert listed(anonymous) == ["stats.people.residents"]
    assert re.search(
        r'data-insert="name"[^>]*><code>name</code></button> <span class="badge sensitive">masked',
        public.text,
    )
    assert "SELECT *\nFROM stats.people.residents\nLIMIT 1000</textarea>" in public.text
    given = anonymous.get("/sql", params={"sql": f"SELECT 1 -- {EVIL}"})
    assert EVIL not in given.text and "SELECT 1 -- &lt;script&gt;" in given.text
    assert "format=csv&amp;sql=SELECT%201%20--" in given.text
