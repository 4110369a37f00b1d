"""Alembic, run from code: ``init`` and ``serve`` call :func:`upgrade` before anything else."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import OperationalError

from datavalley.errors import StoreUnavailable

if TYPE_CHECKING:
    from datavalley.db.session import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(db: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = db.engine
    return config


def current_revision(db: Database) -> str | None:
    try:
        with db.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except OperationalError as exc:
        raise StoreUnavailable(
            f"cannot reach the metadata store at {db.url.render_as_string(hide_password=True)}: {exc.orig}"
        ) from None


def upgrade(db: Database, revision: str = "head") -> str | None:
    try:
        command.upgrade(alembic_config(db), revision)
        return current_revision(db)
    except OperationalError as exc:
        raise StoreUnavailable(
            f"cannot migrate the metadata store at {db.url.render_as_string(hide_password=True)}: {exc.orig}"
        ) from None


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()
