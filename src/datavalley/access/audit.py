"""The audit log: every read and every change, append-only and hash-chained.

Each entry carries ``prev_hash``, the hash of the entry before it, and ``hash``: SHA-256 over the
canonical JSON of the entry (its sequence number, time, who, what, ... and ``prev_hash``). Canonical
JSON here is ``json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` encoded as
UTF-8, over values that are only strings, integers, booleans and nulls (times as ISO 8601 strings), so
any language can recompute it. :func:`verify_chain` walks the chain and names the first entry that
was edited, removed or moved.

Appends are serialised through the one row of ``audit_head`` (the chain's last sequence number and
hash): an append first *updates* that row, which takes PostgreSQL's row lock or SQLite's write lock,
so concurrent appenders from any number of processes queue up and never fork the chain. The lock is
held until the caller's transaction ends: record at the end of a unit of work and commit promptly.

The chain shows tampering by anyone who edits rows without recomputing every later hash and the
head; someone who rewrites the whole tail consistently is caught only by comparing the head hash
(``datavalley audit verify`` prints it) with a copy kept elsewhere.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from datavalley.access.policy import Caller
from datavalley.access.sharing_models import AuditEntry, AuditHead, Grant
from datavalley.catalog.models import Organization
from datavalley.db.base import utcnow
from datavalley.errors import DataValleyError

GENESIS = "0" * 64
AuditKind = Literal["read", "change"]
#: the fields the hash covers, in the entry
HASHED_FIELDS = (
    "seq",
    "at",
    "kind",
    "actor",
    "organization",
    "action",
    "target",
    "dataset",
    "grant_id",
    "purpose",
    "rows",
    "bytes",
    "details",
    "prev_hash",
)


def canonical_json(value: Any) -> bytes:
    """The one byte string a value hashes as.

    >>> canonical_json({"b": 1, "a": "贵阳"})
    b'{"a":"\\xe8\\xb4\\xb5\\xe9\\x98\\xb3","b":1}'
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def entry_hash(fields: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of an entry's hashed fields; ``at`` may be a datetime or its ISO string."""
    payload = {name: fields.get(name) for name in HASHED_FIELDS}
    if isinstance(payload["at"], datetime):
        payload["at"] = payload["at"].isoformat()
    return hashlib.sha256(canonical_json(payload)).hexdigest()


def _clean(value: Any) -> Any:
    """Only JSON scalars, lists and string-keyed objects; no NUL characters (PostgreSQL refuses them)."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean(v) for v in value]
    if value is None or isinstance(value, bool | int):
        return value
    return str(value)


def append_entry(
    session: Session,
    *,
    kind: AuditKind,
    actor: str,
    action: str,
    target: str,
    organization: str | None = None,
    dataset: str | None = None,
    grant_id: int | None = None,
    purpose: str | None = None,
    rows: int | None = None,
    bytes: int | None = None,
    details: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """Append one entry at the end of the chain (in the caller's transaction)."""
    session.flush()  # what the caller changed is written before the head is locked, as it always was
    connection = session.connection()  # plain statements: the head row is never an ORM object here
    head = connection.execute(_NEXT_SEQ).first()
    if head is None:
        raise DataValleyError(
            "the audit log's head row is missing, so nothing can be recorded; "
            "run `datavalley audit verify` and restore the store from a backup"
        )
    seq, prev_hash = head
    fields: dict[str, Any] = _clean(
        {
            "seq": seq,
            "kind": kind,
            "actor": actor,
            "organization": organization,
            "action": action,
            "target": target,
            "dataset": dataset,
            "grant_id": grant_id,
            "purpose": purpose,
            "rows": rows,
            "bytes": bytes,
            "details": dict(details) if details is not None else None,
            "prev_hash": prev_hash,
        }
    )
    fields["at"] = (now or utcnow()).astimezone(UTC)
    fields["hash"] = entry_hash(fields)
    inserted = connection.execute(insert(AuditEntry.__table__).values(**fields))
    connection.execute(_SET_HASH, {"new_hash": fields["hash"]})
    # the entry as written; not added to the session (that would write it a second time)
    return AuditEntry(id=inserted.inserted_primary_key[0], **fields)


_head = AuditHead.__table__
#: take the next sequence number (this locks the head row until the transaction ends)
_NEXT_SEQ = (
    update(_head).where(_head.c.id == 1).values(seq=_head.c.seq + 1).returning(_head.c.seq, _head.c.hash)
)
_SET_HASH = update(_head).where(_head.c.id == 1).values(hash=bindparam("new_hash"))


def _consumer_org(session: Session, caller: Caller, owner: str | None, grant_id: int | None) -> str | None:
    """The organization a read is made for: the grant's, else the owner if the caller is in it,
    else the caller's first organization by name."""
    if grant_id is not None:
        name = session.scalar(
            select(Organization.name)
            .join(Grant, Grant.grantee_org_id == Organization.id)
            .where(Grant.id == grant_id)
        )
        if name is not None:
            return name
    if owner is not None and caller.is_member(owner):
        return owner
    return min(caller.roles) if caller.roles else None


def record_read(
    session: Session,
    *,
    caller: Caller,
    path: str,
    table_ref: str,
    grant_id: int | None = None,
    purpose: str | None = None,
    rows: int | None = None,
    bytes: int | None = None,
    organization: str | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """Record that ``caller`` read ``table_ref`` (``org/dataset/table``) through ``path``
    (``rows``, ``download``, ``sql``, ``delta_sharing``, ``ckan``, ``data_api`` ...)."""
    parts = table_ref.split("/")
    owner = parts[0] if len(parts) >= 2 else None
    dataset = "/".join(parts[:2]) if len(parts) >= 2 else None
    if organization is None:
        organization = _consumer_org(session, caller, owner, grant_id)
    return append_entry(
        session,
        kind="read",
        actor=caller.name,
        action=path,
        target=table_ref,
        organization=organization,
        dataset=dataset,
        grant_id=grant_id,
        purpose=purpose,
        rows=rows,
        bytes=bytes,
        details={"caller": caller.identity},
        now=now,
    )


def record_change(
    session: Session,
    *,
    caller: Caller,
    action: str,
    target: str,
    details: Mapping[str, Any] | None = None,
    dataset: str | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """Record that ``caller`` did ``action`` (``grant.create``, ``request.review`` ...) to ``target``."""
    return append_entry(
        session,
        kind="change",
        actor=caller.name,
        action=action,
        target=target,
        organization=min(caller.roles) if caller.roles else None,
        dataset=dataset,
        details={**(details or {}), "caller": caller.identity},
        now=now,
    )


# --- verifying --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainReport:
    """What :func:`verify_chain` found. ``first_bad`` is None when the chain is intact."""

    entries: int
    head_seq: int
    head_hash: str
    first_bad: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.first_bad is None


def _stored_fields(entry: AuditEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in HASHED_FIELDS}


def verify_chain(session: Session) -> ChainReport:
    """Walk the chain from its first entry; stop at the first one that does not hold."""
    head = session.get(AuditHead, 1)
    if head is None:
        return ChainReport(0, 0, "", first_bad=1, problem="the chain's head row is missing")
    expected, prev_hash, count = 1, GENESIS, 0
    query = select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=2000)
    for entry in session.scalars(query):
        count += 1
        if entry.seq != expected:
            if entry.seq > expected:
                problem = f"entry {expected} is missing (deleted); the chain jumps to entry {entry.seq}"
            else:
                problem = f"entry {entry.seq} is out of place: entry {expected} was expected"
            return _bad(head, count, expected, problem)
        if entry.prev_hash != prev_hash:
            problem = (
                f"entry {entry.seq} does not follow entry {entry.seq - 1}: its previous-entry hash "
                "differs, so an entry before it was changed, removed or moved"
            )
            return _bad(head, count, entry.seq, problem)
        if entry_hash(_stored_fields(entry)) != entry.hash:
            problem = f"entry {entry.seq} ({entry.action} by {entry.actor}) was changed after it was written"
            return _bad(head, count, entry.seq, problem)
        prev_hash = entry.hash
        expected += 1
    if head.seq != expected - 1:
        if head.seq > expected - 1:
            gone = f"entry {expected} is" if head.seq == expected else f"entries {expected}–{head.seq} are"
            problem = f"{gone} missing (deleted from the end of the log)"
        else:
            problem = f"the head says the log ends at entry {head.seq}, but it goes on to {expected - 1}"
        return _bad(head, count, expected, problem)
    if head.hash != prev_hash:
        return _bad(head, count, head.seq, f"entry {head.seq} differs from the hash the head recorded")
    return ChainReport(count, head.seq, head.hash)


def _bad(head: AuditHead, count: int, seq: int, problem: str) -> ChainReport:
    return ChainReport(count, head.seq, head.hash, first_bad=seq, problem=problem)


# --- listing ----------------------------------------------------------------------------------------


class AuditEntryPublic(BaseModel):
    seq: int
    at: datetime
    kind: str
    actor: str
    organization: str | None
    action: str
    target: str
    dataset: str | None
    grant_id: int | None
    purpose: str | None
    rows: int | None
    bytes: int | None
    details: dict[str, Any] | None
    hash: str


class AuditEntriesPublic(BaseModel):
    data: list[AuditEntryPublic]
    count: int


def list_entries(
    session: Session,
    *,
    kind: AuditKind | None = None,
    actor: str | None = None,
    dataset: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> AuditEntriesPublic:
    """Entries matching every filter given, newest first."""
    from sqlalchemy import func

    query = select(AuditEntry)
    if kind is not None:
        query = query.where(AuditEntry.kind == kind)
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    if dataset is not None:
        query = query.where(AuditEntry.dataset == dataset)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(AuditEntry.seq.desc()).limit(limit).offset(offset))
    return AuditEntriesPublic(
        data=[AuditEntryPublic.model_validate(r, from_attributes=True) for r in rows], count=count
    )
