"""delta sharing: shares, their tables, recipients (token digests) and which shares each recipient gets

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from datavalley.db.base import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "shares",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("organization_id", sa.Integer, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("created", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_shares"),
        sa.UniqueConstraint("name", name="uq_shares_name"),
        sa.UniqueConstraint("uuid", name="uq_shares_uuid"),
        _fk("shares", "organization_id", "organizations"),
    )
    op.create_index("ix_shares_organization_id", "shares", ["organization_id"])
    op.create_table(
        "share_tables",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("share_id", sa.Integer, nullable=False),
        sa.Column("table_id", sa.Integer, nullable=False),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("added", UTCDateTime, nullable=False),
        sa.Column("added_by", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_share_tables"),
        sa.UniqueConstraint("share_id", "table_id", name="uq_share_tables_share_table"),
        _fk("share_tables", "share_id", "shares"),
        _fk("share_tables", "table_id", "tables"),
    )
    op.create_index("ix_share_tables_share_id", "share_tables", ["share_id"])
    op.create_index("ix_share_tables_table_id", "share_tables", ["table_id"])
    op.create_table(
        "recipients",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("organization_id", sa.Integer, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("created", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=True),
        sa.Column("token_prefix", sa.String(16), nullable=True),
        sa.Column("token_created", UTCDateTime, nullable=True),
        sa.Column("token_expires", UTCDateTime, nullable=True),
        sa.Column("revoked_at", UTCDateTime, nullable=True),
        sa.Column("revoked_by", sa.String(100), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_recipients"),
        sa.UniqueConstraint("name", name="uq_recipients_name"),
        sa.UniqueConstraint("token_hash", name="uq_recipients_token_hash"),
        _fk("recipients", "organization_id", "organizations"),
    )
    op.create_index("ix_recipients_organization_id", "recipients", ["organization_id"])
    op.create_table(
        "share_recipients",
        sa.Column("share_id", sa.Integer, nullable=False),
        sa.Column("recipient_id", sa.Integer, nullable=False),
        sa.Column("added", UTCDateTime, nullable=False),
        sa.Column("added_by", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("share_id", "recipient_id", name="pk_share_recipients"),
        _fk("share_recipients", "share_id", "shares"),
        _fk("share_recipients", "recipient_id", "recipients"),
    )
    op.create_index("ix_share_recipients_recipient_id", "share_recipients", ["recipient_id"])


def downgrade() -> None:
    op.drop_table("share_recipients")
    op.drop_table("recipients")
    op.drop_table("share_tables")
    op.drop_table("shares")
