"""``datavalley init`` (the first admin), ``user``, ``member``, ``token`` and the global ``--as USER``."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from datavalley.api.app import create_app
from tests.cli.expect import error_line, json_of, ok, refs

PASSWORD = "a long enough password"


def test_init_makes_the_first_admin_once_and_its_password_works(cli, settings):
    first = ok(cli("init"))
    found = re.search(r"created platform admin admin with password (\S+)", first)
    assert found, first
    again = ok(cli("init"))
    assert "platform admin" not in again and found.group(1) not in again  # never twice
    users = json_of(cli("user", "list", "--json"))["data"]
    assert [(u["name"], u["platform_admin"]) for u in users] == [("admin", True)]
    with TestClient(create_app(settings), base_url="https://testserver") as c:
        r = c.post("/api/v1/auth/login", json={"user": "admin", "password": found.group(1)})
        assert r.status_code == 200, r.text
        assert c.get("/api/v1/users/me").json()["platform_admin"] is True


def test_init_takes_the_admin_from_the_settings(cli, monkeypatch):
    monkeypatch.setenv("DATAVALLEY_ADMIN_USER", "root")
    monkeypatch.setenv("DATAVALLEY_ADMIN_PASSWORD", PASSWORD)
    shown = ok(cli("init"))
    assert "created platform admin root" in shown and PASSWORD not in shown
    assert json_of(cli("user", "show", "root", "--json"))["platform_admin"] is True


def test_users_members_and_acting_as_them(initialised):
    cli = initialised
    ok(cli("org", "create", "stats"))
    ok(cli("org", "create", "other"))
    ok(cli("user", "create", "li", "--display-name", "李", "--password-stdin", input=f"{PASSWORD}\n"))
    ok(cli("user", "create", "mei", "--no-password"))
    ok(cli("user", "create", "olga", "--no-password"))
    assert "at least 8" in error_line(cli("user", "create", "wu", "--password-stdin", input="short\n"))
    assert "already exists" in error_line(cli("user", "create", "li", "--no-password"))
    assert "must match" in error_line(cli("user", "create", "Li Wei", "--no-password"))
    ok(cli("member", "add", "stats", "li", "--role", "editor"))
    ok(cli("member", "add", "stats", "mei"))
    assert "`owner` is not a role" in error_line(cli("member", "add", "stats", "olga", "--role", "owner"))
    members = json_of(cli("member", "list", "stats", "--json"))["data"]
    assert {m["user"]: m["role"] for m in members} == {"li": "editor", "mei": "member"}
    assert json_of(cli("user", "show", "li", "--json"))["roles"] == {"stats": "editor"}

    ok(cli("--as", "li", "dataset", "create", "stats/gdp", "--state", "draft"))
    ok(cli("--as", "li", "dataset", "update", "stats/gdp", "--title", "GDP"))
    line = error_line(cli("--as", "mei", "dataset", "update", "stats/gdp", "--title", "x"))
    assert "editor role in organization `stats`" in line and "`mei`" in line
    assert "does not exist" in error_line(cli("--as", "olga", "dataset", "show", "stats/gdp"))
    assert refs(cli("--as", "olga", "dataset", "list", "--json")) == []  # a draft: hidden from others
    assert refs(cli("--as", "mei", "search", "gdp", "--json")) == ["stats/gdp"]
    assert refs(cli("dataset", "list", "--json")) == ["stats/gdp"]  # the authority sees everything
    assert "platform admin" in error_line(cli("--as", "li", "org", "create", "water"))
    assert "admin role" in error_line(cli("--as", "li", "member", "add", "stats", "olga"))
    assert "platform admin" in error_line(cli("--as", "li", "user", "list"))
    assert "does not exist" in error_line(cli("--as", "nobody", "org", "list"))

    ok(cli("member", "remove", "stats", "mei"))
    assert "does not exist" in error_line(cli("--as", "mei", "dataset", "show", "stats/gdp"))
    assert "not a member" in error_line(cli("member", "remove", "stats", "mei"))
    ok(cli("user", "update", "li", "--inactive"))
    assert "deactivated" in error_line(cli("--as", "li", "dataset", "list"))


def test_tokens_from_the_cli(initialised, settings):
    cli = initialised
    ok(cli("user", "create", "li", "--no-password"))
    assert "--user" in error_line(cli("token", "create", "laptop"))  # the authority has no tokens itself
    result = cli("token", "create", "laptop", "--user", "li", "--days", "7")
    secret = ok(result).splitlines()[0].strip()
    assert secret.startswith("dv_") and "not shown again" in result.stderr
    listed = ok(cli("token", "list", "--user", "li"))
    assert "laptop" in listed and secret not in listed and secret[:9] in listed
    assert json_of(cli("--as", "li", "token", "list", "--json"))["data"][0]["state"] == "active"
    ok(cli("user", "create", "mei", "--no-password"))
    assert "platform admin" in error_line(cli("--as", "mei", "token", "list", "--user", "li"))

    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        me = c.get("/api/v1/users/me", headers={"Authorization": f"Bearer {secret}"})
        assert me.status_code == 200 and me.json()["name"] == "li"
        ok(cli("--as", "li", "token", "revoke", "laptop"))
        gone = c.get("/api/v1/users/me", headers={"Authorization": f"Bearer {secret}"})
        assert gone.status_code == 401 and "revoked" in gone.json()["error"]["message"]
    assert "no token" in error_line(cli("token", "revoke", "laptop", "--user", "li"))
    assert json_of(cli("token", "list", "--user", "li", "--json"))["data"][0]["state"] == "revoked"


def test_passwd(initialised, settings):
    cli = initialised
    ok(cli("user", "create", "li", "--password-stdin", input=f"{PASSWORD}\n"))
    ok(cli("user", "passwd", "li", input="new password 1\nnew password 1\n"))  # asked twice, hidden
    mismatch = cli("user", "passwd", "li", input="new password 2\nother password\n" * 3)
    assert mismatch.exit_code != 0
    changed = cli("--as", "li", "user", "passwd", "li", "--password-stdin", input="wrong\nnew password 3\n")
    assert "current password is wrong" in error_line(changed)
    ok(
        cli(
            "--as", "li", "user", "passwd", "li", "--password-stdin", input="new password 1\nnew password 3\n"
        )
    )
    with TestClient(create_app(settings), base_url="https://testserver") as c:
        assert (
            c.post("/api/v1/auth/login", json={"user": "li", "password": "new password 3"}).status_code == 200
        )
