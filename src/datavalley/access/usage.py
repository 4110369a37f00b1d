"""Usage statistics for the data authority, counted from the audit log's reads.

Calls (reads), rows and bytes per dataset, per consumer organization (the organization a read was
made for: the grant's, else the caller's), or per day (days of the platform's time zone).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from datavalley.access.sharing_models import AuditEntry
from datavalley.config import Settings

UsageBy = Literal["dataset", "organization", "day"]


class UsageRow(BaseModel):
    #: the dataset (``org/name``), consumer organization or day; null: anonymous / none
    key: str | None
    calls: int
    rows: int
    bytes: int


class UsagePublic(BaseModel):
    by: UsageBy
    since: datetime | None
    until: datetime | None
    data: list[UsageRow]
    total_calls: int


def _day(session: Session, settings: Settings) -> ColumnElement[str]:
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone(settings.timezone, AuditEntry.at), "YYYY-MM-DD")
    # SQLite keeps UTC text: shift by the zone's offset now (exact for zones without daylight saving)
    offset = ZoneInfo(settings.timezone).utcoffset(datetime.now(UTC).replace(tzinfo=None)) or None
    minutes = int(offset.total_seconds() // 60) if offset else 0
    return func.strftime("%Y-%m-%d", AuditEntry.at, f"{minutes:+d} minutes")


def usage(
    session: Session,
    settings: Settings,
    *,
    by: UsageBy,
    since: datetime | None = None,
    until: datetime | None = None,
    dataset: str | None = None,
    limit: int = 1000,
) -> UsagePublic:
    """Reads grouped ``by`` dataset, consumer organization or day; busiest first (days: in order)."""
    key: ColumnElement[str | None]
    if by == "dataset":
        key = AuditEntry.dataset
    elif by == "organization":
        key = AuditEntry.organization
    else:
        key = _day(session, settings)
    calls = func.count().label("calls")
    query = select(
        key.label("key"),
        calls,
        func.coalesce(func.sum(AuditEntry.rows), 0),
        func.coalesce(func.sum(AuditEntry.bytes), 0),
    ).where(AuditEntry.kind == "read")
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    if dataset is not None:
        query = query.where(AuditEntry.dataset == dataset)
    query = query.group_by(key)
    query = query.order_by(key) if by == "day" else query.order_by(calls.desc(), key)
    rows = [
        UsageRow(key=k, calls=int(c), rows=int(r or 0), bytes=int(b or 0))
        for k, c, r, b in session.execute(query.limit(limit))
    ]
    return UsagePublic(by=by, since=since, until=until, data=rows, total_calls=sum(r.calls for r in rows))
