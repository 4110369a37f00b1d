"""rotate every grant's salt: hash masks used to put the salt into SQL text that EXPLAIN and column names
could show; from now on it keys an HMAC that stays server-side, and any salt that may have been seen is
replaced (every hashed value of an existing grant changes once)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_grants = sa.table("grants", sa.column("id", sa.Integer), sa.column("salt", sa.String(64)))


def upgrade() -> None:
    connection = op.get_bind()
    ids = [row.id for row in connection.execute(sa.select(_grants.c.id))]
    for grant_id in ids:
        connection.execute(
            sa.update(_grants).where(_grants.c.id == grant_id).values(salt=secrets.token_hex(16))
        )


def downgrade() -> None:
    """Nothing to undo: the old salts are gone on purpose, and new ones work with the old code too."""
