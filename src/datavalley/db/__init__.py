"""The metadata store: SQLAlchemy models' base, the engine and sessions, Alembic migrations."""

from datavalley.db.base import Base
from datavalley.db.session import Database

__all__ = ["Base", "Database"]
