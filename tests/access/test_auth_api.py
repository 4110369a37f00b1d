"""Logging in, sessions and CSRF, API tokens, the failed-login limit, and what the store keeps of secrets."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import text, update

from datavalley.access import accounts
from datavalley.access.models import ApiToken, LoginFailure
from datavalley.api.app import create_app
from datavalley.config import AuthSettings
from datavalley.db.base import utcnow
from tests.api.expect import API, error_of, json_of
from tests.conftest import bearer
from tests.factories import make_user

PASSWORD = "correct horse battery"


@pytest.fixture
def li(app, client):
    """User ``li``, editor of ``stats``, with a password."""
    with app.state.runtime.session() as session:
        make_user(session, "li", password=PASSWORD, stats="editor")
    return "li"


def browser(app) -> TestClient:
    """A client over HTTPS (the session cookie is Secure), without credentials."""
    return TestClient(app, base_url="https://testserver", raise_server_exceptions=False)


def login(c: TestClient, user: str = "li", password: str = PASSWORD, **kwargs):
    return c.post(f"{API}/auth/login", json={"user": user, "password": password}, **kwargs)


def test_login_sets_a_safe_cookie_and_the_session_knows_who_and_which_roles(app, li):
    c = browser(app)
    body = json_of(login(c))
    assert body["user"] == "li" and len(body["csrf_token"]) >= 32
    cookie = login(c).headers["set-cookie"].lower()
    for attribute in ("httponly", "secure", "samesite=lax", "path=/", "max-age="):
        assert attribute in cookie, cookie
    me = json_of(c.get(f"{API}/users/me"))
    assert (me["name"], me["roles"], me["platform_admin"]) == ("li", {"stats": "editor"}, False)
    assert me["authenticated_by"] == "session" and me["csrf_token"]

    form = browser(app).post(f"{API}/auth/login", data={"user": "li", "password": PASSWORD})
    assert json_of(form)["user"] == "li"  # the portal's HTML form works the same

    bad = [
        {"json": {"user": "li"}},
        {"json": ["li", PASSWORD]},
        {"content": b'{"user": ', "headers": {"content-type": "application/json"}},
        {"json": {"user": "li\x00", "password": PASSWORD}},
        {"json": {"user": "li", "password": "x" * 2000}},
    ]
    for kwargs in bad:
        error_of(browser(app).post(f"{API}/auth/login", **kwargs), 422)


def test_cookie_writes_need_the_csrf_token_and_token_writes_do_not(app, li):
    c = browser(app)
    csrf = json_of(login(c))["csrf_token"]
    new = {"organization": "stats", "name": "gdp"}
    for headers in ({}, {"X-CSRF-Token": "0" * 64}, {"X-CSRF-Token": ""}):
        error = error_of(c.post(f"{API}/datasets", json=new, headers=headers), 403)
        assert "X-CSRF-Token" in error["message"]
    error_of(c.post(f"{API}/auth/logout"), 403)  # logging someone out is a change too
    json_of(c.get(f"{API}/users/me"))  # reading needs no CSRF token
    json_of(c.post(f"{API}/datasets", json=new, headers={"X-CSRF-Token": csrf}), 201)

    other = browser(app)  # another session of the same user: its own CSRF token
    other_csrf = json_of(login(other))["csrf_token"]
    assert other_csrf != csrf
    error_of(c.delete(f"{API}/datasets/stats/gdp", headers={"X-CSRF-Token": other_csrf}), 403)

    token = bearer(app, "li")  # a bearer token is not sent by browsers on their own: no CSRF needed
    tok = TestClient(app, raise_server_exceptions=False, headers=token)
    assert tok.delete(f"{API}/datasets/stats/gdp").status_code == 204


def test_logout_ends_the_session_everywhere(app, li):
    c = browser(app)
    csrf = json_of(login(c))["csrf_token"]
    cookie = c.cookies.get("dv_session")
    assert c.post(f"{API}/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    stolen = browser(app)
    stolen.cookies.set("dv_session", cookie)
    error_of(stolen.get(f"{API}/users/me"), 401)  # the old cookie is anonymous now
    error_of(stolen.post(f"{API}/datasets", json={"organization": "stats", "name": "x"}), 401)


def test_wrong_password_and_unknown_user_get_the_same_answer(app, client, monkeypatch):
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher())  # the production cost, for the timing
    with app.state.runtime.session() as session:
        make_user(session, "li", password=PASSWORD)
    json_of(client.patch(f"{API}/users/li", json={}))  # li exists
    with app.state.runtime.session() as session:
        make_user(session, "gone", password=PASSWORD)
    json_of(client.patch(f"{API}/users/gone", json={"active": False}))
    c = browser(app)
    answers, times = [], {}
    for user, password in [
        ("li", "wrong password"),
        ("nobody", "wrong password"),
        ("nobody", PASSWORD),
        ("gone", PASSWORD),  # deactivated, right password
        ("a" * 200, "x"),
    ]:
        start = time.perf_counter()
        response = login(c, user, password)
        times.setdefault(user, time.perf_counter() - start)
        answers.append((response.status_code, response.json(), "set-cookie" in response.headers))
    assert all(a == answers[0] for a in answers), answers
    assert answers[0][0] == 401 and answers[0][1]["error"]["message"] == "wrong user name or password"
    # an unknown user costs a password check too (a dummy hash), so timing does not tell them apart
    assert times["nobody"] > times["li"] / 4, times


def test_repeated_failures_are_limited_per_user_name_then_per_address(settings, li, app):
    auth = AuthSettings(login_max_failures_per_user=3, login_max_failures_per_address=5)
    limited = settings.model_copy(update={"auth": auth})
    first, second = create_app(limited), create_app(limited)  # two API processes sharing the store
    a = TestClient(first, base_url="https://testserver", raise_server_exceptions=False)
    b = TestClient(second, base_url="https://testserver", raise_server_exceptions=False)
    for c in (a, b, a):
        error_of(login(c, password="guess"), 401)
    for c in (a, b):
        response = login(c)  # even the right password: the limit holds across processes
        message = error_of(response, 429)["message"]
        prefix = "Too many failed logins; try again in "
        assert message.startswith(prefix) and message.endswith(" s"), message
        wait = int(message.removeprefix(prefix).removesuffix(" s"))
        assert 0 < wait <= 900 and response.headers["retry-after"] == str(wait)
    with app.state.runtime.session() as session:
        make_user(session, "mei", password=PASSWORD)
    error_of(login(b, "mei", "guess"), 401)
    error_of(login(b, "mei", "guess"), 401)  # five failures from this address now
    error_of(login(b, "mei"), 429)  # another user name, same address: limited too

    with first.state.runtime.session() as session:  # once the failures leave the window, logins work
        session.execute(update(LoginFailure).values(at=utcnow() - timedelta(hours=1)))
    assert json_of(login(a))["user"] == "li"
    assert json_of(login(b, "mei"))["user"] == "mei"


def test_bad_tokens_get_401_naming_the_problem(app, li, client):
    created = json_of(client.post(f"{API}/tokens", json={"name": "ci", "expires_days": 1}), 201)
    expired = bearer(app, "li")["Authorization"]
    with app.state.runtime.session() as session:
        session.execute(
            update(ApiToken)
            .where(ApiToken.name.like("test-%"), ApiToken.user.has(name="li"))
            .values(expires=utcnow() - timedelta(seconds=1))
        )
    c = TestClient(app, raise_server_exceptions=False)
    cases = [
        (expired, "expired"),
        ("Bearer dv_" + "A" * 43, "unknown"),
        ("Bearer dv_short", "malformed"),
        ("Bearer " + created["token"] + "x", "malformed"),
        ("Basic bGk6cGFzcw==", "Bearer"),
        ("Bearer", "Bearer"),
    ]
    for header, words in cases:
        response = c.get(f"{API}/datasets", headers={"Authorization": header})
        assert words in error_of(response, 401)["message"], header
        assert response.headers["www-authenticate"].startswith("Bearer")

    assert client.delete(f"{API}/tokens/{created['id']}").status_code == 204
    states = {t["name"]: t["state"] for t in json_of(client.get(f"{API}/tokens"))["data"]}
    assert states.pop("ci") == "revoked" and set(states.values()) == {"active"}  # the others still work
    revoked = c.get(f"{API}/datasets", headers={"Authorization": f"Bearer {created['token']}"})
    assert "revoked" in error_of(revoked, 401)["message"]


def test_tokens_belong_to_their_user_and_show_their_secret_once(app, li, client_as):
    li_client = client_as("li")
    created = json_of(li_client.post(f"{API}/tokens", json={"name": "laptop"}), 201)
    secret = created["token"]
    assert secret.startswith("dv_") and len(secret) == 46 and created["prefix"] == secret[:9]
    assert created["state"] == "active"
    listed = li_client.get(f"{API}/tokens")
    assert secret not in listed.text and secret[9:] not in listed.text
    assert "laptop" in [t["name"] for t in json_of(listed)["data"]]
    error_of(li_client.post(f"{API}/tokens", json={"name": "laptop"}), 409)  # an active one has the name
    error_of(li_client.post(f"{API}/tokens", json={"name": "x", "expires_days": 0}), 422)

    mine = TestClient(app, raise_server_exceptions=False, headers={"Authorization": f"Bearer {secret}"})
    assert json_of(mine.get(f"{API}/users/me"))["authenticated_by"] == "token"
    error_of(client_as("mei").delete(f"{API}/tokens/{created['id']}"), 404)  # not theirs
    error_of(client_as(None).get(f"{API}/tokens"), 401)
    assert li_client.delete(f"{API}/tokens/{created['id']}").status_code == 204
    error_of(mine.get(f"{API}/users/me"), 401)


def test_deactivated_users_lose_their_tokens_and_sessions(app, li, client):
    c = browser(app)
    json_of(login(c))
    tok = TestClient(app, raise_server_exceptions=False, headers=bearer(app, "li"))
    json_of(tok.get(f"{API}/users/me"))
    json_of(client.patch(f"{API}/users/li", json={"active": False}))
    assert "deactivated" in error_of(tok.get(f"{API}/users/me"), 401)["message"]
    error_of(c.get(f"{API}/users/me"), 401)
    error_of(login(c), 401)


def test_the_store_keeps_no_secret_in_plain_text(app, li, client):
    c = browser(app)
    session = json_of(login(c))
    cookie = c.cookies.get("dv_session")
    token = json_of(client.post(f"{API}/tokens", json={"name": "t"}), 201)["token"]
    with app.state.runtime.session() as s:
        dump = "\n".join(
            repr(tuple(row))
            for table in ("users", "api_tokens", "portal_sessions", "login_failures")
            for row in s.execute(text(f"SELECT * FROM {table}"))
        )
        hashes = [h for (h,) in s.execute(text("SELECT password_hash FROM users WHERE name = 'li'"))]
    for secret in (PASSWORD, cookie, token, token[9:], session["csrf_token"]):
        assert secret and secret not in dump
    assert hashes[0].startswith("$argon2id$")


def test_users_and_members_are_managed_by_the_right_people(app, li, client, client_as):
    anonymous, li_client = client_as(None), client_as("li")
    error_of(anonymous.get(f"{API}/users"), 401)
    error_of(li_client.get(f"{API}/users"), 403)
    error_of(li_client.post(f"{API}/users", json={"name": "sneaky", "platform_admin": True}), 403)
    made = json_of(client.post(f"{API}/users", json={"name": "wu", "display_name": "吴"}), 201)
    assert made["roles"] == {} and made["platform_admin"] is False
    error_of(client.post(f"{API}/users", json={"name": "wu"}), 409)
    error_of(client.post(f"{API}/users", json={"name": "Wu Li"}), 422)
    error_of(client.post(f"{API}/users", json={"name": "short", "password": "1234"}), 422)

    members = f"{API}/organizations/stats/members"
    error_of(li_client.put(f"{members}/wu", json={"role": "member"}), 403)  # editors are not admins
    ada = client_as("ada", stats="admin")
    assert json_of(ada.put(f"{members}/wu", json={"role": "member"}))["role"] == "member"
    json_of(ada.put(f"{members}/wu", json={"role": "editor"}))
    error_of(ada.put(f"{members}/wu", json={"role": "owner"}), 422)
    error_of(ada.put(f"{members}/nobody", json={"role": "member"}), 404)
    error_of(ada.put(f"{API}/organizations/other/members/wu", json={"role": "member"}), 403)
    assert {m["user"]: m["role"] for m in json_of(li_client.get(members))["data"]} == {
        "ada": "admin",
        "li": "editor",
        "wu": "editor",
    }
    error_of(client_as("olga").get(members), 403)  # members are shown to members
    assert ada.delete(f"{members}/wu").status_code == 204
    error_of(ada.delete(f"{members}/wu"), 404)

    assert json_of(li_client.patch(f"{API}/users/li", json={"display_name": "李"}))["display_name"] == "李"
    error_of(li_client.patch(f"{API}/users/li", json={"platform_admin": True}), 403)
    error_of(li_client.patch(f"{API}/users/wu", json={"display_name": "x"}), 403)
    error_of(li_client.get(f"{API}/users/wu"), 403)
    password = f"{API}/users/li/password"
    error_of(li_client.put(password, json={"password": "new password 1"}), 422)
    for _ in range(5):  # wrong current passwords count as failed logins
        error_of(li_client.put(password, json={"password": "new password 1", "current_password": "no"}), 401)
    error_of(li_client.put(password, json={"password": "new pw 12", "current_password": PASSWORD}), 429)
    with app.state.runtime.session() as session:
        session.execute(update(LoginFailure).values(at=utcnow() - timedelta(hours=1)))
    assert (
        li_client.put(password, json={"password": "new pw 12", "current_password": PASSWORD}).status_code
        == 204
    )
    error_of(login(browser(app)), 401)
    assert json_of(login(browser(app), password="new pw 12"))["user"] == "li"

    error_of(client.patch(f"{API}/users/admin", json={"platform_admin": False}), 409)  # the last one
