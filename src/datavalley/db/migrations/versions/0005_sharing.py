"""sharing: requests and their steps, grants and their per-table rules, the hash-chained audit log

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from datavalley.db.base import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "requests",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("dataset_id", sa.Integer, nullable=False),
        sa.Column("organization_id", sa.Integer, nullable=False),
        sa.Column("requester_id", sa.Integer, nullable=True),
        sa.Column("requester", sa.String(63), nullable=False),
        sa.Column("grantee_kind", sa.String(20), nullable=False),
        sa.Column("tables", sa.JSON, nullable=True),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("days", sa.Integer, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("submitted_at", UTCDateTime, nullable=False),
        sa.Column("review_due", UTCDateTime, nullable=False),
        sa.Column("reviewed_at", UTCDateTime, nullable=True),
        sa.Column("reviewed_by", sa.String(63), nullable=True),
        sa.Column("decision_due", UTCDateTime, nullable=True),
        sa.Column("decided_at", UTCDateTime, nullable=True),
        sa.Column("decided_by", sa.String(63), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("closed_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_requests"),
        _fk("requests", "dataset_id", "datasets", "CASCADE"),
        _fk("requests", "organization_id", "organizations", "CASCADE"),
        _fk("requests", "requester_id", "users", "SET NULL"),
    )
    op.create_index("ix_requests_dataset_id", "requests", ["dataset_id"])
    op.create_index("ix_requests_organization_id", "requests", ["organization_id"])
    op.create_index("ix_requests_requester_id", "requests", ["requester_id"])
    op.create_index("ix_requests_state_submitted", "requests", ["state", "submitted_at"])

    op.create_table(
        "request_events",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("request_id", sa.Integer, nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("from_state", sa.String(20), nullable=True),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_request_events"),
        _fk("request_events", "request_id", "requests", "CASCADE"),
    )
    op.create_index("ix_request_events_request_id", "request_events", ["request_id"])

    op.create_table(
        "grants",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("dataset_id", sa.Integer, nullable=False),
        sa.Column("grantee_kind", sa.String(20), nullable=False),
        sa.Column("grantee_org_id", sa.Integer, nullable=True),
        sa.Column("grantee_user_id", sa.Integer, nullable=True),
        sa.Column("grantee_recipient", sa.String(100), nullable=True),
        sa.Column("grantee_name", sa.String(100), nullable=False),
        sa.Column("all_tables", sa.Boolean, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("expires", UTCDateTime, nullable=True),
        sa.Column("created", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.String(63), nullable=False),
        sa.Column("request_id", sa.Integer, nullable=True),
        sa.Column("revoked_at", UTCDateTime, nullable=True),
        sa.Column("revoked_by", sa.String(63), nullable=True),
        sa.Column("revoke_reason", sa.Text, nullable=True),
        sa.Column("salt", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_grants"),
        _fk("grants", "dataset_id", "datasets", "CASCADE"),
        _fk("grants", "grantee_org_id", "organizations", "CASCADE"),
        _fk("grants", "grantee_user_id", "users", "CASCADE"),
        _fk("grants", "request_id", "requests", "SET NULL"),
    )
    for column in ("dataset_id", "grantee_org_id", "grantee_user_id", "grantee_recipient", "request_id"):
        op.create_index(f"ix_grants_{column}", "grants", [column])

    op.create_table(
        "grant_tables",
        sa.Column("grant_id", sa.Integer, nullable=False),
        sa.Column("table_name", sa.String(63), nullable=False),
        sa.Column("columns", sa.JSON, nullable=True),
        sa.Column("row_filter", sa.Text, nullable=True),
        sa.Column("masks", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("grant_id", "table_name", name="pk_grant_tables"),
        _fk("grant_tables", "grant_id", "grants", "CASCADE"),
    )

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("organization", sa.String(63), nullable=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target", sa.String(300), nullable=False),
        sa.Column("dataset", sa.String(130), nullable=True),
        sa.Column("grant_id", sa.Integer, nullable=True),
        sa.Column("purpose", sa.Text, nullable=True),
        sa.Column("rows", sa.BigInteger, nullable=True),
        sa.Column("bytes", sa.BigInteger, nullable=True),
        sa.Column("details", sa.JSON, nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
        sa.UniqueConstraint("seq", name="uq_audit_log_seq"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_actor", "audit_log", ["actor"])
    op.create_index("ix_audit_log_kind_at", "audit_log", ["kind", "at"])
    op.create_index("ix_audit_log_dataset_at", "audit_log", ["dataset", "at"])

    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_head"),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS}])


def downgrade() -> None:
    op.drop_table("audit_head")
    op.drop_table("audit_log")
    op.drop_table("grant_tables")
    op.drop_table("grants")
    op.drop_table("request_events")
    op.drop_table("requests")
