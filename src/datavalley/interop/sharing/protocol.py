"""The Delta Sharing protocol's answers, for one authenticated recipient (see delta-io's PROTOCOL.md).

Names are matched case-insensitively. A share the recipient was not given is 404. Of a share's tables
the recipient sees only those it may read now (:mod:`.readable`: ``plan_read``'s answer for
``Caller(recipient=name)``), in every listing and on every table endpoint; any other table answers
the same 404 as one not in the share. What it reads is the files of :mod:`.snapshot` under that plan.

Time: ``timestamp`` and ``startingTimestamp`` are read as ``yyyy-[m]m-[d]d hh:mm:ss[.f...]`` or ISO 8601,
in UTC unless they carry an offset. A query ``timestamp`` reads the last version committed at or before
it; ``startingTimestamp`` of the version call answers the first version committed at or after it.

Change data feed: DataValley tables do not record one, so ``changes`` (and a query's
``startingVersion``) answer 400 saying so, as the protocol's reference server does for such tables.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, NoReturn

from deltalake import DeltaTable
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from datavalley.access import audit
from datavalley.access.policy import ReadPlan
from datavalley.config import Settings
from datavalley.errors import BadRequest, Forbidden, NotFound, Unauthorized
from datavalley.interop.sharing import signing
from datavalley.interop.sharing.models import Recipient, Share, ShareTable
from datavalley.interop.sharing.readable import readable_table, readable_tables, table_plan
from datavalley.interop.sharing.recipients import as_caller
from datavalley.interop.sharing.shares import shares_of_recipient
from datavalley.interop.sharing.snapshot import Snapshot, snapshot
from datavalley.storage import delta

MAX_PAGE = 1000
PROTOCOL_LINE = {"protocol": {"minReaderVersion": 1}}
_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d{1,9})?\s*(Z|[+-]\d{2}:?\d{2})?"
)


class QueryBody(BaseModel):
    """The body of ``POST .../query``; unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore")

    predicateHints: list[str] | None = None
    jsonPredicateHints: str | dict[str, Any] | None = None
    limitHint: int | None = Field(default=None, ge=0)
    version: int | None = Field(default=None, ge=0)
    timestamp: str | None = Field(default=None, max_length=100)
    startingVersion: int | None = Field(default=None, ge=0)
    endingVersion: int | None = Field(default=None, ge=0)


# --- paging ---------------------------------------------------------------------------------------


def _position(item: dict[str, Any]) -> list[str]:
    """Where an item sorts in its listing: shares and schemas by name, tables by schema and name."""
    return [item.get("schema", ""), item["name"]]


def _token_position(page_token: str) -> list[str]:
    wrong = BadRequest(f"pageToken `{page_token[:50]}` is not one this server gave")
    try:
        position = json.loads(base64.urlsafe_b64decode(page_token + "=" * (-len(page_token) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise wrong from None
    if not (isinstance(position, list) and len(position) == 2 and all(isinstance(p, str) for p in position)):
        raise wrong
    return position


def page(items: Sequence[dict[str, Any]], max_results: int | None, page_token: str | None) -> dict[str, Any]:
    """``{"items": [...], "nextPageToken": ...}`` for one page of ``items`` (sorted by :func:`_position`).

    ``items`` are what the recipient may see, filtered before paging, so a page is never short of
    what exists. A token names the last item given (not an offset), so a table hidden or shown
    between two pages neither skips nor repeats another, and a token says nothing of hidden tables.
    """
    if max_results is not None and max_results < 0:
        raise BadRequest("maxResults must be non-negative")
    start = 0
    if page_token:
        after = _token_position(page_token)
        start = next((i for i, item in enumerate(items) if _position(item) > after), len(items))
    size = MAX_PAGE if max_results is None else min(max_results, MAX_PAGE)
    chosen = list(items[start : start + size])
    body: dict[str, Any] = {"items": chosen}
    if chosen and start + size < len(items):
        last = json.dumps(_position(chosen[-1]), separators=(",", ":")).encode()
        body["nextPageToken"] = base64.urlsafe_b64encode(last).decode().rstrip("=")
    return body


# --- shares, schemas, tables ------------------------------------------------------------------------


def _share(session: Session, recipient: Recipient, name: str) -> Share:
    for share in shares_of_recipient(session, recipient):
        if share.name == name.lower():
            return share
    raise NotFound(f"share `{name}` does not exist")


def list_shares(session: Session, recipient: Recipient) -> list[dict[str, Any]]:
    return [{"name": s.name, "id": s.uuid} for s in shares_of_recipient(session, recipient)]


def get_share(session: Session, recipient: Recipient, name: str) -> dict[str, Any]:
    share = _share(session, recipient, name)
    return {"share": {"name": share.name, "id": share.uuid}}


def _table_item(share: Share, entry: ShareTable) -> dict[str, Any]:
    return {
        "name": entry.table.name,
        "schema": entry.table.dataset.name,
        "share": share.name,
        "shareId": share.uuid,
        "id": entry.uuid,
    }


def list_schemas(
    session: Session, settings: Settings, recipient: Recipient, name: str
) -> list[dict[str, Any]]:
    """The schemas with a table the recipient may read now."""
    share = _share(session, recipient, name)
    schemas = sorted(
        {entry.table.dataset.name for entry in readable_tables(session, settings, recipient, share)}
    )
    return [{"name": s, "share": share.name} for s in schemas]


def list_tables(
    session: Session, settings: Settings, recipient: Recipient, name: str, schema: str | None = None
) -> list[dict[str, Any]]:
    """The tables (of one schema) the recipient may read now; a schema with none is 404."""
    share = _share(session, recipient, name)
    entries = readable_tables(session, settings, recipient, share)
    if schema is not None:
        entries = [t for t in entries if t.table.dataset.name == schema.lower()]
        if not entries:
            raise NotFound(f"share `{share.name}` has no schema `{schema}`")
    return [_table_item(share, t) for t in entries]


# --- one table ------------------------------------------------------------------------------------


@dataclass
class Resolved:
    share: Share
    entry: ShareTable
    plan: ReadPlan

    @property
    def display(self) -> str:
        return f"{self.share.name}.{self.entry.table.dataset.name}.{self.entry.table.name}"


def resolve(
    session: Session, settings: Settings, recipient: Recipient, share: str, schema: str, table: str
) -> Resolved:
    """The share's table and what the recipient may read of it; a table it may not read now is 404,
    the same answer as one not in the share."""
    found = _share(session, recipient, share)
    entry, plan = readable_table(session, settings, recipient, found, schema, table)
    return Resolved(found, entry, plan)


def parse_timestamp(text: str, field: str) -> datetime:
    m = _TIMESTAMP.fullmatch(text.strip())
    if m is None:
        raise BadRequest(f"{field} `{text[:60]}` is not a timestamp; write it as 2026-01-31 12:00:00 (UTC)")
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    fraction = int(((m.group(7) or ".0")[1:] + "000000")[:6])
    try:
        moment = datetime(year, month, day, hour, minute, second, fraction, tzinfo=UTC)
    except ValueError as exc:
        raise BadRequest(f"{field} `{text[:60]}` is not a timestamp: {exc}") from None
    if (zone := m.group(8)) and zone != "Z":
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        moment = moment.replace(tzinfo=timezone(offset if zone[0] == "+" else -offset)).astimezone(UTC)
    return moment


def _open(plan: ReadPlan, display: str) -> DeltaTable:
    return delta.open_delta(plan.location.uri, name=f"table `{display}`")


def _commits(table: DeltaTable) -> list[tuple[int, datetime]]:
    return sorted((v.version, v.timestamp) for v in delta.history(table))


def table_version(
    session: Session,
    settings: Settings,
    recipient: Recipient,
    share: str,
    schema: str,
    table: str,
    *,
    starting_timestamp: str | None = None,
) -> int:
    found = resolve(session, settings, recipient, share, schema, table)
    dt = _open(found.plan, found.display)
    if starting_timestamp is None:
        return dt.version()
    moment = parse_timestamp(starting_timestamp, "startingTimestamp")
    later = [v for v, at in _commits(dt) if at >= moment]
    if not later:
        raise BadRequest(
            f"startingTimestamp {moment.isoformat()} is after the latest version of `{found.display}`"
        )
    return later[0]


def _at(found: Resolved, body: QueryBody) -> tuple[DeltaTable, bool]:
    """The table opened at the version the body asks for; and whether it asked for one."""
    if body.version is not None and body.timestamp is not None:
        raise BadRequest("give version or timestamp, not both")
    dt = _open(found.plan, found.display)
    if body.version is not None:
        if body.version > dt.version():
            raise BadRequest(f"`{found.display}` has no version {body.version}; its latest is {dt.version()}")
        try:
            dt = delta.open_delta(found.plan.location.uri, version=body.version, name=found.display)
        except NotFound as exc:
            raise BadRequest(exc.message) from None
        return dt, True
    if body.timestamp is not None:
        moment = parse_timestamp(body.timestamp, "timestamp")
        earlier = [v for v, at in _commits(dt) if at <= moment]
        if not earlier:
            raise BadRequest(f"`{found.display}` did not exist yet at {moment.isoformat()}")
        if earlier[-1] != dt.version():
            dt = delta.open_delta(found.plan.location.uri, version=earlier[-1], name=found.display)
        return dt, True
    return dt, False


def _metadata(found: Resolved, snap: Snapshot, *, with_version: bool) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "id": snap.table_id,
        "name": found.entry.table.name,
        "format": {"provider": "parquet"},
        "schemaString": snap.schema_string,
        "partitionColumns": snap.partition_columns,
        "configuration": {},
        "size": snap.size,
        "numFiles": len(snap.files),
    }
    if found.entry.table.description:
        meta["description"] = found.entry.table.description
    if with_version:
        meta["version"] = snap.version
    return {"metaData": meta}


def table_metadata(
    session: Session, settings: Settings, recipient: Recipient, share: str, schema: str, table: str
) -> tuple[int, list[dict[str, Any]]]:
    found = resolve(session, settings, recipient, share, schema, table)
    dt = _open(found.plan, found.display)
    snap = snapshot(settings, found.plan, dt, display=found.display)
    return snap.version, [PROTOCOL_LINE, _metadata(found, snap, with_version=False)]


def query_table(
    session: Session,
    settings: Settings,
    recipient: Recipient,
    share: str,
    schema: str,
    table: str,
    body: QueryBody,
    *,
    base_url: str,
) -> tuple[int, list[dict[str, Any]]]:
    """The protocol and metadata lines, then one line per file with its signed URL; audited."""
    found = resolve(session, settings, recipient, share, schema, table)
    if body.startingVersion is not None:
        raise no_change_feed(found.display)
    dt, travelled = _at(found, body)
    snap = snapshot(settings, found.plan, dt, display=found.display)
    files = snap.files
    if body.limitHint is not None:
        chosen, rows = [], 0
        for f in files:
            if rows >= body.limitHint:
                break
            chosen.append(f)
            rows += f.rows or 0
        files = chosen
    committed = dict(_commits(dt)).get(snap.version) if travelled else None
    secret = signing.url_secret(settings)
    expires = int(time.time()) + signing.sharing_settings().url_seconds
    lines: list[dict[str, Any]] = [PROTOCOL_LINE, _metadata(found, snap, with_version=travelled)]
    for f in files:
        payload: dict[str, Any] = {
            "t": found.entry.table_id,
            "v": snap.version,
            "r": recipient.id,
            "f": f.name,
        }
        if snap.cache_key is not None:
            payload["c"] = snap.cache_key
        file_id, query = signing.sign(secret, payload, expires=expires)
        item: dict[str, Any] = {
            "url": f"{base_url}/delta-sharing/files/{file_id}?{query}",
            "id": f.id,
            "partitionValues": f.partition_values,
            "size": f.size,
        }
        if f.rows is not None:
            item["stats"] = json.dumps({"numRecords": f.rows})
        if committed is not None:
            item["version"] = snap.version
            item["timestamp"] = int(committed.timestamp() * 1000)
        lines.append({"file": item})
    audit.record_read(
        session,
        caller=as_caller(recipient),
        path="delta_sharing",
        table_ref=found.plan.location.ref,
        grant_id=found.plan.grant_id,
        purpose=found.plan.purpose,
        rows=sum(f.rows or 0 for f in files),
        bytes=sum(f.size for f in files),
    )
    return snap.version, lines


def no_change_feed(display: str) -> BadRequest:
    return BadRequest(
        f"cdf is not enabled on table `{display}`: DataValley tables do not record a change data feed; "
        "read versions with `version` instead"
    )


def table_changes(
    session: Session, settings: Settings, recipient: Recipient, share: str, schema: str, table: str
) -> NoReturn:
    """``changes``: always the protocol's error, as no DataValley table records a change data feed."""
    found = resolve(session, settings, recipient, share, schema, table)
    raise no_change_feed(found.display)


# --- the signed file URLs ---------------------------------------------------------------------------


def signed_file(session: Session, settings: Settings, payload: dict[str, Any]) -> Path:
    """The file a verified URL payload names, if its recipient may still read it as then.

    The recipient must still be active, the table still in one of its shares and readable to it
    (:func:`.readable.table_plan`), under the same terms: a revoked grant or recipient, or changed terms, end the URL at once.
    """
    from sqlalchemy import select

    from datavalley.interop.sharing.models import ShareRecipient
    from datavalley.interop.sharing.recipients import check_active
    from datavalley.interop.sharing.snapshot import cache_key, copy_file, raw_allowed, raw_file

    try:
        table_id, version, recipient_id, name = (payload[k] for k in ("t", "v", "r", "f"))
        key = payload.get("c")
        if not all(isinstance(v, int) for v in (table_id, version, recipient_id)) or not isinstance(
            name, str
        ):
            raise KeyError
    except KeyError:
        raise Forbidden("this file URL names no file") from None
    recipient = session.get(Recipient, recipient_id)
    if recipient is None:
        raise Forbidden("this file URL's recipient no longer exists")
    try:
        check_active(recipient)
    except Unauthorized as exc:
        raise Forbidden(exc.message) from None
    entry = session.scalar(
        select(ShareTable)
        .join(ShareRecipient, ShareRecipient.share_id == ShareTable.share_id)
        .where(ShareTable.table_id == table_id, ShareRecipient.recipient_id == recipient.id)
        .limit(1)
    )
    plan = table_plan(session, settings, recipient, entry) if entry is not None else None
    if entry is None or plan is None:
        raise Forbidden("the table of this file URL is no longer shared with you")
    table = entry.table
    dataset = table.dataset
    display = f"{dataset.organization.name}/{dataset.name}/{table.name}"
    try:
        dt = delta.open_delta(plan.location.uri, version=version, name=f"table `{display}`")
    except NotFound:
        raise Forbidden("the table version of this file URL is gone") from None
    if key is None:
        path = raw_file(plan, dt, name) if raw_allowed(plan, dt) else None
    elif key == cache_key(plan, dt):
        path = copy_file(settings, key, name)
        if path is None:  # pruned meanwhile: make it again
            snapshot(settings, plan, dt, display=display)
            path = copy_file(settings, key, name)
    else:
        raise Forbidden("the terms you read this table under have changed; query the table again")
    if path is None:
        raise Forbidden("this file URL names no file of the table")
    return path
