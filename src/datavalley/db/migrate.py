"""Alembic, run from code: ``init`` and ``serve`` call :func:`upgrade` before anything else.

Alembic is imported only to migrate. Every CLI command checks that the schema is current first, so
that check stays cheap: the stored revision is read with plain SQLAlchemy from ``alembic_version``, and
the head is found by reading the ``revision`` / ``down_revision`` lines of the migration files (with
Alembic's own reading as the fallback for anything unusual, such as several heads).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.exc import OperationalError

from datavalley.errors import StoreUnavailable

if TYPE_CHECKING:
    from alembic.config import Config

    from datavalley.db.session import Database

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"

_REVISION = re.compile(r"^revision(?:\s*:\s*[^=]+)?\s*=\s*(.+)$", re.MULTILINE)
_DOWN = re.compile(r"^down_revision(?:\s*:\s*[^=]+)?\s*=\s*(.+)$", re.MULTILINE)
_QUOTED = re.compile(r"""["']([^"']+)["']""")


def alembic_config(db: Database) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = db.engine
    return config


def current_revision(db: Database) -> str | None:
    """The schema revision stored in the database, or None before the first migration."""
    try:
        with db.engine.connect() as connection:
            if not inspect(connection).has_table(VERSION_TABLE):
                return None
            rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    except OperationalError as exc:
        raise StoreUnavailable(
            f"cannot reach the metadata store at {db.url.render_as_string(hide_password=True)}: {exc.orig}"
        ) from None
    if len(rows) > 1:  # several branches applied: let Alembic say which is current
        return _alembic_current_revision(db)
    return rows[0] if rows else None


def _alembic_current_revision(db: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(db: Database, revision: str = "head") -> str | None:
    from alembic import command

    try:
        command.upgrade(alembic_config(db), revision)
        return current_revision(db)
    except OperationalError as exc:
        raise StoreUnavailable(
            f"cannot migrate the metadata store at {db.url.render_as_string(hide_password=True)}: {exc.orig}"
        ) from None


def head_revision() -> str | None:
    """The newest migration: the one no other migration builds on."""
    revisions: set[str] = set()
    built_on: set[str] = set()
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION.search(source), _DOWN.search(source)
        names = _QUOTED.findall(revision.group(1)) if revision else []
        if len(names) != 1 or down is None:
            return _alembic_head_revision()
        revisions.add(names[0])
        built_on.update(_QUOTED.findall(down.group(1)))
    heads = revisions - built_on
    if len(heads) != 1 or not built_on <= revisions:
        return _alembic_head_revision()
    return heads.pop()


def _alembic_head_revision() -> str | None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()
