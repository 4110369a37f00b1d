"""CKAN write actions: POST only (as CKAN: a GET is a 400 "Please use POST"), and a write authenticated
only by the portal session cookie needs the session's CSRF token; an API token needs none."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from datavalley.interop.ckan_actions import ACTIONS
from tests.factories import make_user
from tests.interop.catalog import build_catalog

A = "/api/3/action"
PASSWORD = "correct horse battery"
#: CKAN's side-effect-free actions that we implement: the only ones a GET may call
READS = {
    "package_list",
    "package_search",
    "package_show",
    "resource_show",
    "organization_list",
    "organization_show",
    "tag_list",
    "group_list",
    "status_show",
    "help_show",
    "datastore_search",
    "datastore_search_sql",
}
#: what CKAN answers a GET of a write action, word for word
POST_ONLY = "Bad request - JSON Error: Invalid request. Please use POST method for your request"


@pytest.fixture
def editor(app, client, runtime, tmp_path):
    """A browser logged in to the portal as ``li``, editor of ``stats``: (client, its CSRF token)."""
    build_catalog(runtime, tmp_path, tables=False)
    with runtime.session() as session:
        make_user(session, "li", password=PASSWORD, stats="editor")
    browser = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    login = browser.post("/api/v1/auth/login", json={"user": "li", "password": PASSWORD})
    assert login.status_code == 200, login.text
    return browser, login.json()["csrf_token"]


def title(client, ref: str = "stats--county_gdp") -> str:
    return client.get(f"{A}/package_show", params={"id": ref}).json()["result"]["title"]


def refused(response, status: int, kind: str) -> str:
    body = response.json()
    assert response.status_code == status, response.text
    assert body["success"] is False and body["error"]["__type"] == kind, body
    return body["error"]["message"]


def test_every_action_but_the_side_effect_free_ones_refuses_get(editor, anonymous):
    browser, _csrf = editor
    writes = set(ACTIONS) - READS
    assert writes >= {"package_create", "package_update", "package_patch"}
    for name in sorted(writes):
        for who in (browser, anonymous):
            for prefix in (A, "/api/action"):
                message = refused(who.get(f"{prefix}/{name}", params={"id": "x"}), 400, "Bad request")
                assert message.startswith(POST_ONLY) and f"`{name}`" in message
    for name in sorted(READS):
        response = anonymous.get(f"{A}/{name}", params={"id": "stats", "name": "package_show"})
        assert "POST" not in response.text, (name, response.text)


def test_a_get_write_with_the_session_cookie_changes_nothing(editor, anonymous):
    browser, _csrf = editor
    before = title(anonymous)
    refused(
        browser.get(f"{A}/package_update", params={"id": "stats--county_gdp", "title": "pwned"}),
        400,
        "Bad request",
    )
    refused(
        browser.get(f"{A}/package_patch", params={"id": "stats--county_gdp", "title": "pwned"}),
        400,
        "Bad request",
    )
    refused(
        browser.get(f"{A}/package_create", params={"name": "evil", "owner_org": "stats"}), 400, "Bad request"
    )
    assert title(anonymous) == before
    assert browser.get(f"{A}/package_show", params={"id": "stats--evil"}).status_code == 404


def test_a_cookie_only_post_needs_the_csrf_token(editor, anonymous):
    browser, csrf = editor
    before = title(anonymous)
    change = {"id": "stats--county_gdp", "title": "changed"}
    for headers in ({}, {"X-CSRF-Token": "0" * 64}):
        message = refused(
            browser.post(f"{A}/package_update", json=change, headers=headers), 403, "Authorization Error"
        )
        assert "X-CSRF-Token" in message
    # a cross-site HTML form: a form body, the cookie, no header
    form = browser.post(f"{A}/package_update", data=change)
    assert "X-CSRF-Token" in refused(form, 403, "Authorization Error")
    create = {"name": "evil", "owner_org": "stats"}
    refused(browser.post(f"{A}/package_create", json=create), 403, "Authorization Error")
    assert title(anonymous) == before
    assert anonymous.get(f"{A}/package_show", params={"id": "stats--evil"}).status_code == 404

    done = browser.post(f"{A}/package_update", json=change, headers={"X-CSRF-Token": csrf})
    assert done.status_code == 200, done.text
    assert title(anonymous) == "changed"


def test_a_token_post_needs_no_csrf_token_but_a_token_get_is_refused(app, client, runtime, tmp_path):
    from tests.conftest import bearer

    build_catalog(runtime, tmp_path, tables=False)
    token = bearer(app, "eddie", stats="editor")["Authorization"].removeprefix("Bearer ")
    ways = ({"Authorization": token}, {"X-CKAN-API-Key": token}, {"Authorization": f"Bearer {token}"})
    for number, headers in enumerate(ways):
        with_token = TestClient(app, headers=headers, raise_server_exceptions=False)
        refused(
            with_token.get(f"{A}/package_update", params={"id": "stats--county_gdp", "title": "x"}),
            400,
            "Bad request",
        )
        new = f"Changed by token {number}"
        done = with_token.post(f"{A}/package_update", json={"id": "stats--county_gdp", "title": new})
        assert done.status_code == 200, done.text
        assert title(with_token) == new
