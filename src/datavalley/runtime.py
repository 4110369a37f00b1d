"""One running DataValley: its settings and its metadata store, shared by the API and the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from datavalley.config import Settings, get_settings
from datavalley.db.migrate import current_revision, head_revision, upgrade
from datavalley.db.session import Database
from datavalley.errors import StoreUnavailable


@dataclass
class Runtime:
    """Settings plus an open metadata store. Create one per process with :func:`open_runtime`."""

    settings: Settings
    db: Database = field(init=False)

    def __post_init__(self) -> None:
        self.db = Database(self.settings.database_url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.db.session() as session:
            yield session

    def initialise(self) -> str | None:
        """Create the home folder and bring the schema up to date (safe to run again)."""
        self.settings.home.mkdir(parents=True, exist_ok=True)
        self.settings.sites_dir.mkdir(parents=True, exist_ok=True)
        return upgrade(self.db)

    def ensure_ready(self) -> None:
        """Fail with a clear message if ``init`` never ran; apply pending migrations if it did."""
        revision = _revision_or_none(self.db)
        if revision is None:
            raise StoreUnavailable(
                f"no DataValley store at {self.settings.home} "
                f"({self.db.url.render_as_string(hide_password=True)}); run `datavalley init` first"
            )
        if revision != head_revision():
            self.initialise()

    def close(self) -> None:
        self.db.dispose()


def _revision_or_none(db: Database) -> str | None:
    if db.dialect == "sqlite" and db.url.database and not _exists(db.url.database):
        return None
    return current_revision(db)


def _exists(path: str) -> bool:
    return Path(path).exists()


def open_runtime(settings: Settings | None = None) -> Runtime:
    return Runtime(settings or get_settings())
