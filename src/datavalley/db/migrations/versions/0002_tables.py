"""tables: versioned Delta tables of datasets, and what providers say about their columns

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from datavalley.db.base import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tables",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("dataset_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("site", sa.String(63), nullable=False),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("created", UTCDateTime, nullable=False),
        sa.Column("modified", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tables"),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["datasets.id"], name="fk_tables_dataset_id_datasets", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("dataset_id", "name", name="uq_tables_dataset_name"),
    )
    op.create_index("ix_tables_dataset_id", "tables", ["dataset_id"])
    op.create_table(
        "table_columns",
        sa.Column("table_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("label", sa.String(500), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("table_id", "name", name="pk_table_columns"),
        sa.ForeignKeyConstraint(
            ["table_id"], ["tables.id"], name="fk_table_columns_table_id_tables", ondelete="CASCADE"
        ),
    )


def downgrade() -> None:
    op.drop_table("table_columns")
    op.drop_table("tables")
