"""catalog: organizations, datasets, tags, themes, full-text search

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from datavalley.db.base import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("created", UTCDateTime, nullable=False),
        sa.Column("modified", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_organizations"),
        sa.UniqueConstraint("name", name="uq_organizations_name"),
    )
    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("organization_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("license", sa.String(100)),
        sa.Column("update_frequency", sa.String(20), nullable=False),
        sa.Column("contact_name", sa.String(200)),
        sa.Column("contact_email", sa.String(254)),
        sa.Column("spatial", sa.String(200)),
        sa.Column("temporal_start", sa.Date),
        sa.Column("temporal_end", sa.Date),
        sa.Column("sharing", sa.String(20), nullable=False),
        sa.Column("public", sa.Boolean, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("created", UTCDateTime, nullable=False),
        sa.Column("modified", UTCDateTime, nullable=False),
        sa.Column("search_text", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_datasets"),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name="fk_datasets_organization_id_organizations",
            ondelete="RESTRICT",
        ),
        sa.UniqueConstraint("organization_id", "name", name="uq_datasets_org_name"),
    )
    op.create_index("ix_datasets_organization_id", "datasets", ["organization_id"])
    op.create_index("ix_datasets_sharing", "datasets", ["sharing"])
    op.create_index("ix_datasets_public", "datasets", ["public"])
    op.create_index("ix_datasets_state", "datasets", ["state"])
    op.create_index("ix_datasets_modified", "datasets", ["modified"])
    op.create_table(
        "dataset_tags",
        sa.Column("dataset_id", sa.Integer, nullable=False),
        sa.Column("tag", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("dataset_id", "tag", name="pk_dataset_tags"),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name="fk_dataset_tags_dataset_id_datasets",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_dataset_tags_tag", "dataset_tags", ["tag"])
    op.create_table(
        "dataset_themes",
        sa.Column("dataset_id", sa.Integer, nullable=False),
        sa.Column("theme", sa.String(20), nullable=False),
        sa.PrimaryKeyConstraint("dataset_id", "theme", name="pk_dataset_themes"),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name="fk_dataset_themes_dataset_id_datasets",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_dataset_themes_theme", "dataset_themes", ["theme"])

    if op.get_bind().dialect.name == "sqlite":
        # rowid = datasets.id; kept in step by datavalley.catalog.search_index
        op.execute(
            "CREATE VIRTUAL TABLE dataset_search USING fts5("
            "search_text, tokenize = 'porter unicode61 remove_diacritics 2')"
        )
    else:
        op.execute(
            "CREATE INDEX ix_datasets_search ON datasets "
            "USING gin (to_tsvector('english'::regconfig, search_text))"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS dataset_search")
    op.drop_table("dataset_themes")
    op.drop_table("dataset_tags")
    op.drop_table("datasets")
    op.drop_table("organizations")
