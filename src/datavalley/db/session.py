"""The engine and sessions of the metadata store (SQLite by default, PostgreSQL when configured)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from datavalley.errors import InvalidInput, StoreUnavailable


class Database:
    """One metadata store: an engine, a session factory, and the schema migrations.

    >>> db = Database("sqlite://")
    >>> db.dialect
    'sqlite'
    """

    def __init__(self, url: str) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise InvalidInput.for_field(
                "DATAVALLEY_DATABASE_URL", f"`{url}` is not a database URL ({exc})"
            ) from None
        self.url = parsed
        self.dialect = parsed.get_backend_name()
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        if self.dialect == "sqlite":
            if parsed.database:
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        elif self.dialect != "postgresql":
            raise InvalidInput.for_field(
                "DATAVALLEY_DATABASE_URL",
                f"`{self.dialect}` is not supported; use sqlite:///PATH or postgresql+psycopg://...",
            )
        self.engine: Engine = create_engine(parsed, **kwargs)
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back when it raises."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except OperationalError as exc:
            session.rollback()
            raise StoreUnavailable(
                f"the metadata store at {self.url.render_as_string(hide_password=True)} "
                f"cannot be used: {exc.orig}"
            ) from None
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def upgrade(self) -> str | None:
        """Bring the schema up to date; return the revision it is now at."""
        from datavalley.db.migrate import upgrade

        return upgrade(self)

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
