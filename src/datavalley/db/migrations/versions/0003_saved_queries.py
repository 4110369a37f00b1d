"""saved queries: parameterised SQL published as data APIs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from datavalley.db.base import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_queries",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("organization_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("sql", sa.Text, nullable=False),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.Column("published", sa.Boolean, nullable=False),
        sa.Column("created_by", sa.String(63), nullable=True),
        sa.Column("created", UTCDateTime, nullable=False),
        sa.Column("modified", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_saved_queries"),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name="fk_saved_queries_organization_id_organizations",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("organization_id", "name", name="uq_saved_queries_org_name"),
    )
    op.create_index("ix_saved_queries_organization_id", "saved_queries", ["organization_id"])


def downgrade() -> None:
    op.drop_table("saved_queries")
