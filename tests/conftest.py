"""Fixtures shared by the whole suite.

Every test that asks for ``settings`` (or anything built on it) runs twice: against SQLite in its own
``tmp_path`` home, and against PostgreSQL at 127.0.0.1:5432 in a schema of its own. Where PostgreSQL is
not running, the PostgreSQL half is skipped with the reason.
"""

from __future__ import annotations

import os

# the CLI's rich console takes its width when first imported: wide, whatever terminal runs the suite
os.environ["COLUMNS"] = "200"
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from datavalley.config import Settings
from datavalley.runtime import Runtime, open_runtime

PG_HOST = os.environ.get("DATAVALLEY_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("DATAVALLEY_TEST_PG_PORT", "5432"))
PG_DB = os.environ.get("DATAVALLEY_TEST_PG_DB", "test")
PG_USER = os.environ.get("DATAVALLEY_TEST_PG_USER", "postgres")
_pg_problem: str | None = None
_pg_checked = False


def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used for tests here, or None if it can."""
    global _pg_checked, _pg_problem
    if not _pg_checked:
        _pg_checked = True
        try:
            import psycopg

            with psycopg.connect(
                host=PG_HOST, port=PG_PORT, dbname=PG_DB, user=PG_USER, connect_timeout=3
            ) as conn:
                conn.execute("SELECT 1")
        except Exception as exc:  # any failure means: skip, and say why
            _pg_problem = (
                f"PostgreSQL not reachable at {PG_USER}@{PG_HOST}:{PG_PORT}/{PG_DB} ({exc}); "
                "start it to run the PostgreSQL half of the suite"
            )
    return _pg_problem


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and (problem := postgres_problem()):
        pytest.skip(problem)
    return str(request.param)


@pytest.fixture
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty metadata store for this test."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'home' / 'datavalley.db'}"
        return
    import psycopg

    schema = f"dvtest_{uuid.uuid4().hex[:12]}"
    params = dict(host=PG_HOST, port=PG_PORT, dbname=PG_DB, user=PG_USER, autocommit=True)
    with psycopg.connect(**params) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield (f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{PG_DB}?options=-csearch_path%3D{schema}")
    finally:
        with psycopg.connect(**params) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def settings(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings for this test; the environment says the same, so the CLI sees them too."""
    home = tmp_path / "home"
    monkeypatch.setenv("DATAVALLEY_HOME", str(home))
    monkeypatch.setenv("DATAVALLEY_DATABASE_URL", database_url)
    return Settings(home=home, database_url=database_url)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    """An initialised runtime (home folder created, schema at head)."""
    rt = open_runtime(settings)
    rt.initialise()
    yield rt
    rt.close()


#: the platform admin the ``client`` fixture acts as
ADMIN = "admin"


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2, with the smallest cost: the suite hashes many passwords on 2 shared cores.

    The test of login timing puts the production cost back (``accounts._hasher``).
    """
    from argon2 import PasswordHasher

    from datavalley.access import accounts

    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(accounts, "_dummy_hash", None)


def bearer(app: Any, user: str, *, platform_admin: bool = False, **roles: str) -> dict[str, str]:
    """Headers that authenticate as ``user`` (made if missing, with ``roles`` such as ``stats="editor"``)."""
    from tests.factories import make_token, make_user

    with app.state.runtime.session() as session:
        make_user(session, user, platform_admin=platform_admin, **roles)
        return {"Authorization": f"Bearer {make_token(session, user)}"}


@pytest.fixture
def app(settings: Settings) -> Any:
    """The app of this test (started by the ``client`` fixture)."""
    from datavalley.api.app import create_app

    return create_app(settings)


#: text that gives away how the server runs a read; no answer may hold it (nor a server path or salt)
PRIVATE_MARKS = ("__dv_", "read_parquet(", "__dv_mask_")


def checked_client_class() -> type:
    """A TestClient that fails the test when an answer holds a secret: a grant's salt, the server's home
    folder (any server path under it) or the engine's private names. Every answer of every in-process
    server test goes through it (the ``client`` and ``client_as`` fixtures)."""
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from datavalley.access.sharing_models import Grant

    class CheckedClient(TestClient):
        def request(self, *args: Any, **kwargs: Any) -> Any:
            response = super().request(*args, **kwargs)
            runtime = self.app.state.runtime  # type: ignore[attr-defined]
            body = response.content
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                text = body.decode("latin-1")
            secrets = [str(runtime.settings.home), *PRIVATE_MARKS]
            with runtime.session() as session:
                secrets += [salt for salt in session.scalars(select(Grant.salt)) if salt]
            for secret in secrets:
                assert secret not in text, f"an answer of {args[:2]} holds `{secret}`: {text[:300]}"
            return response

    return CheckedClient


@pytest.fixture
def client(app: Any) -> Iterator[Any]:
    """An in-process HTTP client of a freshly started app, acting as a platform admin (an API token)."""
    TestClient = checked_client_class()

    with TestClient(app, raise_server_exceptions=False) as test_client:
        test_client.headers.update(bearer(app, ADMIN, platform_admin=True))
        yield test_client


@pytest.fixture
def client_as(client: Any, app: Any) -> Callable[..., Any]:
    """``client_as("li", stats="editor")``: a client of the same app acting as that user (made if missing).

    Organizations named in the roles are created if missing. ``client_as(None)`` is anonymous.
    """
    TestClient = checked_client_class()

    def make(user: str | None, *, platform_admin: bool = False, **roles: str) -> Any:
        headers = bearer(app, user, platform_admin=platform_admin, **roles) if user else {}
        return TestClient(app, raise_server_exceptions=False, headers=headers)

    return make


@pytest.fixture
def anonymous(client_as: Callable[..., Any]) -> Any:
    """A client without credentials."""
    return client_as(None)


@pytest.fixture
def outsider(client_as: Callable[..., Any]) -> Any:
    """A logged-in user who belongs to no organization."""
    return client_as("olga")


@pytest.fixture
def stats_member(client_as: Callable[..., Any]) -> Any:
    """A member (reader) of organization ``stats``."""
    return client_as("mei", stats="member")


@pytest.fixture
def stats_editor(client_as: Callable[..., Any]) -> Any:
    """An editor of organization ``stats``."""
    return client_as("eddie", stats="editor")


@pytest.fixture
def other_editor(client_as: Callable[..., Any]) -> Any:
    """An editor of organization ``other`` (and of nothing in ``stats``)."""
    return client_as("otto", other="editor")


class Cli:
    """Runs ``datavalley ...`` in-process and returns click's result."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None):
        from datavalley.cli.main import app

        return self.runner.invoke(
            app, list(args), input=input, catch_exceptions=False, env={"COLUMNS": "200"}
        )


@pytest.fixture
def cli(settings: Settings) -> Cli:
    return Cli()
