"""Delta Sharing tables: shares, the tables in them, recipients and which shares each recipient gets.

A share belongs to one organization and holds tables of that organization's datasets; a recipient (an
external party with a bearer token) also belongs to one organization and may be given that
organization's shares. What a recipient reads of a table is never decided here: every read asks
``access.policy.plan_read`` with the recipient as caller, so grants to the recipient (their columns,
row filter, masks and expiry) apply, and a table it may not read is not shown to it (:mod:`.readable`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from datavalley.catalog.models import Organization, Table
from datavalley.db.base import Base, UTCDateTime, utcnow


class Share(Base):
    """A named set of tables of one organization, given to recipients."""

    __tablename__ = "shares"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    #: the protocol's immutable share id (a UUID)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    description: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))

    organization: Mapped[Organization] = relationship(lazy="joined")
    tables: Mapped[list[ShareTable]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ShareTable.id"
    )
    recipients: Mapped[list[ShareRecipient]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ShareRecipient.recipient_id"
    )


class ShareTable(Base):
    """One table in a share; the protocol shows it as schema ``<dataset>``, table ``<table>``."""

    __tablename__ = "share_tables"
    __table_args__ = (UniqueConstraint("share_id", "table_id", name="uq_share_tables_share_table"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    share_id: Mapped[int] = mapped_column(ForeignKey("shares.id", ondelete="CASCADE"), index=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("tables.id", ondelete="CASCADE"), index=True)
    #: the protocol's immutable table id within the share (a UUID)
    uuid: Mapped[str] = mapped_column(String(36))
    added: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    added_by: Mapped[str] = mapped_column(String(100))

    table: Mapped[Table] = relationship(lazy="joined")


class Recipient(Base):
    """An external party reading shares with a bearer token (stored as its SHA-256 digest only)."""

    __tablename__ = "recipients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: unique across the platform: grants name their recipient by it
    name: Mapped[str] = mapped_column(String(100), unique=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    description: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))
    #: the current token: digest, first characters, when made and until when it works
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_prefix: Mapped[str | None] = mapped_column(String(16))
    token_created: Mapped[datetime | None] = mapped_column(UTCDateTime)
    token_expires: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(100))

    organization: Mapped[Organization] = relationship(lazy="joined")


class ShareRecipient(Base):
    """A recipient may read a share."""

    __tablename__ = "share_recipients"

    share_id: Mapped[int] = mapped_column(ForeignKey("shares.id", ondelete="CASCADE"), primary_key=True)
    recipient_id: Mapped[int] = mapped_column(
        ForeignKey("recipients.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    added_by: Mapped[str] = mapped_column(String(100))

    recipient: Mapped[Recipient] = relationship(lazy="joined")
    share: Mapped[Share] = relationship(lazy="joined", viewonly=True)
