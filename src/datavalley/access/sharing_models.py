"""Sharing tables: requests and their steps, grants and their per-table rules, the audit log.

Who did a step is kept as a user name (text), so that the record survives the user; a request's
requester and a grant's grantee user are also linked by id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from datavalley.catalog.models import Dataset, Organization
from datavalley.db.base import Base, UTCDateTime, utcnow


class AccessRequest(Base):
    """A consumer's request for (part of) a conditional dataset, and where it stands."""

    __tablename__ = "requests"
    __table_args__ = (Index("ix_requests_state_submitted", "state", "submitted_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    #: the requesting organization
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    requester: Mapped[str] = mapped_column(String(63))
    #: who the grant goes to when approved: ``organization`` (the requesting one) or ``user``
    grantee_kind: Mapped[str] = mapped_column(String(20), default="organization")
    #: ``{table: [columns] | null}``; null: every table, whole
    tables: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    purpose: Mapped[str] = mapped_column(Text)
    #: how long the grant should last, in days from approval
    days: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default="submitted")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    review_due: Mapped[datetime] = mapped_column(UTCDateTime)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by: Mapped[str | None] = mapped_column(String(63))
    decision_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(63))
    #: why it was rejected or withdrawn
    reason: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    dataset: Mapped[Dataset] = relationship(lazy="joined")
    organization: Mapped[Organization] = relationship(lazy="joined")
    events: Mapped[list[RequestEvent]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="RequestEvent.id"
    )


class RequestEvent(Base):
    """One step of a request: who moved it from which state to which, when, and why."""

    __tablename__ = "request_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)


class Grant(Base):
    """Permission for one grantee to read (part of) a conditional dataset, on the grant's terms."""

    __tablename__ = "grants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    #: ``organization``, ``user`` or ``recipient`` (an external Delta Sharing recipient)
    grantee_kind: Mapped[str] = mapped_column(String(20))
    grantee_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    grantee_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    grantee_recipient: Mapped[str | None] = mapped_column(String(100), index=True)
    #: the grantee's name when the grant was made (organization, user or recipient)
    grantee_name: Mapped[str] = mapped_column(String(100))
    #: every table of the dataset, whole (with the default masks of column tags), besides ``rules``
    all_tables: Mapped[bool] = mapped_column(Boolean, default=False)
    purpose: Mapped[str] = mapped_column(Text)
    expires: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(63))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id", ondelete="SET NULL"), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(63))
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    #: salt of ``hash`` masks: stable within this grant, different from every other grant
    salt: Mapped[str] = mapped_column(String(64))

    dataset: Mapped[Dataset] = relationship(lazy="joined")
    rules: Mapped[list[GrantTable]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="GrantTable.table_name"
    )


class GrantTable(Base):
    """What a grant allows of one table: columns (null: all), a row filter, masks per column."""

    __tablename__ = "grant_tables"

    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"), primary_key=True)
    table_name: Mapped[str] = mapped_column(String(63), primary_key=True)
    columns: Mapped[list[str] | None] = mapped_column(JSON)
    row_filter: Mapped[str | None] = mapped_column(Text)
    #: ``{column: mask}``: ``null``, ``hash``, ``year``, ``redact:F:L``, or ``none`` (lift a tag's mask)
    masks: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)


class AuditEntry(Base):
    """One read or change. Append-only; ``hash`` covers the entry and the previous entry's hash."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_kind_at", "kind", "at"),
        Index("ix_audit_log_dataset_at", "dataset", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: position in the chain: 1, 2, 3 ... without gaps
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    #: ``read`` or ``change``
    kind: Mapped[str] = mapped_column(String(10))
    actor: Mapped[str] = mapped_column(String(100), index=True)
    #: the organization on whose behalf (the consumer organization of a read)
    organization: Mapped[str | None] = mapped_column(String(63))
    #: the read path (``rows``, ``sql``, ``download`` ...) or the change (``grant.create`` ...)
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(300))
    #: ``org/dataset`` the entry is about, when there is one
    dataset: Mapped[str | None] = mapped_column(String(130))
    grant_id: Mapped[int | None] = mapped_column(Integer)
    purpose: Mapped[str | None] = mapped_column(Text)
    rows: Mapped[int | None] = mapped_column(BigInteger)
    bytes: Mapped[int | None] = mapped_column(BigInteger)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's end: the last sequence number and hash. Its one row is the appenders' lock."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
