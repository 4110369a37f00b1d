"""What harvesting remembers: per source, each remote dataset taken, into which local dataset, as what."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from datavalley.db.base import Base, UTCDateTime, utcnow


class HarvestRecord(Base):
    """One remote dataset harvested from ``source`` (a CKAN site or a DCAT catalog URL).

    ``fingerprint`` is a hash of the remote metadata and its downloads as last taken: a run that finds
    the same fingerprint changes nothing. ``tables`` maps each local table to the remote download it was
    loaded from and that download's modified time, so only changed downloads are loaded again.
    """

    __tablename__ = "harvest_records"
    __table_args__ = (UniqueConstraint("source", "remote_id", name="uq_harvest_records_source_remote"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(10))
    remote_id: Mapped[str] = mapped_column(String(500))
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    remote_modified: Mapped[str | None] = mapped_column(String(100))
    fingerprint: Mapped[str] = mapped_column(String(64))
    tables: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    harvested: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
