"""harvest: what was taken from which CKAN site or DCAT catalog, to harvest only what changed

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from datavalley.db.base import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "harvest_records",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("remote_id", sa.String(500), nullable=False),
        sa.Column("dataset_id", sa.Integer, nullable=False),
        sa.Column("remote_modified", sa.String(100), nullable=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("tables", sa.JSON, nullable=False),
        sa.Column("harvested", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_harvest_records"),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["datasets.id"], name="fk_harvest_records_dataset_id_datasets", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("source", "remote_id", name="uq_harvest_records_source_remote"),
    )
    op.create_index("ix_harvest_records_dataset_id", "harvest_records", ["dataset_id"])


def downgrade() -> None:
    op.drop_table("harvest_records")
