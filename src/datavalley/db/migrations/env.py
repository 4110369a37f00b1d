"""Alembic environment: the engine comes from :func:`datavalley.db.migrate.alembic_config`."""

from __future__ import annotations

from alembic import context

from datavalley.db.base import Base
from datavalley.db.models import import_all_models

import_all_models()
engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
