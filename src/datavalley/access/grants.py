"""Grants: who may read which part of a conditional dataset, on which terms, until when.

A grant goes to one grantee (an organization: every member of it; a user; or an external Delta
Sharing recipient) and names, per table, the columns (all when not given), a row filter (a SQL
predicate over the table's columns, checked by the query parser) and masks per column. A grant made
for ``every table`` lets the grantee read each table whole, with the default masks of column tags.

Masks are written ``null``, ``hash``, ``year``, ``redact:F:L`` (keep the first F and last L
characters) or ``none``: a grant's mask replaces a column tag's default mask, and ``none`` lifts it
(e.g. ``id_number=none`` shows resident ID numbers in clear).

Which grant applies (:func:`plan_from_grants`): of the grants that cover the table and are neither
revoked nor expired, one is used per table read, the one that shows the most, ranked by

1. no row filter before a row filter,
2. more readable columns,
3. fewer masked columns,
4. the later expiry (a grant that never expires before any that does),
5. the newest grant (highest id).

Grants are never merged: two grants' row filters joined with OR would show each filter's rows under
the other grant's masks.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from datavalley.access.audit import record_change
from datavalley.access.models import User
from datavalley.access.policy import Caller, Mask, ReadPlan, _tag_masks
from datavalley.access.sharing_models import Grant, GrantTable
from datavalley.catalog.models import Dataset, Organization, Table
from datavalley.catalog.tables import TableLocation, locate, table_record
from datavalley.config import Settings
from datavalley.db.base import is_record_id, utcnow
from datavalley.errors import Conflict, ErrorDetail, Forbidden, InvalidInput, NotFound, Unauthorized

GranteeKind = Literal["organization", "user", "recipient"]
GrantState = Literal["active", "expired", "revoked"]
_MASK = re.compile(r"^(null|hash|year|none|redact(?::(\d{1,3}))?(?::(\d{1,3}))?)$")


def _has_nul(value: Any) -> bool:
    """Does any text in ``value`` (nested lists and objects included) hold a NUL character?"""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class StrictInput(BaseModel):
    """Base of the request and grant inputs: unknown fields refused, no NUL character in any text."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if _has_nul(value):
            raise ValueError("text must not contain a NUL character")
        return value


class TableRule(StrictInput):
    """What may be read of one table."""

    columns: list[str] | None = Field(default=None, description="readable columns; null: every column")
    row_filter: str | None = Field(
        default=None, max_length=4000, description="SQL predicate over the table's columns; null: all rows"
    )
    masks: dict[str, str] = Field(
        default_factory=dict,
        description="column → null | hash | year | redact:F:L | none (lift the column tag's default mask)",
    )


class GrantCreate(StrictInput):
    """A grant made directly by the provider. Exactly one of organization, user, recipient."""

    dataset: Annotated[str, StringConstraints(pattern=r"^[^/]+/[^/]+$")] = Field(description="`org/dataset`")
    organization: str | None = None
    user: str | None = None
    recipient: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{0,99}$")] | None = None
    tables: dict[str, TableRule] | None = Field(
        default=None, description="per table; null: every table of the dataset, whole"
    )
    purpose: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    expires: datetime | None = Field(default=None, description="when it ends; null: until revoked")
    days: int | None = Field(default=None, ge=1, le=3650, description="or: this many days from now")

    @model_validator(mode="after")
    def _one_grantee(self) -> GrantCreate:
        given = [k for k in ("organization", "user", "recipient") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("give exactly one grantee: organization, user or recipient")
        if self.expires is not None and self.days is not None:
            raise ValueError("give expires or days, not both")
        if self.expires is not None and self.expires.tzinfo is None:
            raise ValueError("expires needs a time zone, e.g. 2027-01-01T00:00:00+08:00")
        return self


class GrantRevoke(StrictInput):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class TableRulePublic(BaseModel):
    table: str
    columns: list[str] | None
    row_filter: str | None
    masks: dict[str, str]


class GrantPublic(BaseModel):
    id: int
    dataset: str
    grantee_kind: GranteeKind
    grantee: str
    all_tables: bool
    tables: list[TableRulePublic]
    purpose: str
    expires: datetime | None
    state: GrantState
    created: datetime
    created_by: str
    request_id: int | None
    revoked_at: datetime | None
    revoked_by: str | None
    revoke_reason: str | None


class GrantsPublic(BaseModel):
    data: list[GrantPublic]
    count: int


# --- masks ----------------------------------------------------------------------------------------


def parse_mask(text: str) -> Mask | None:
    """A mask from its written form; None for ``none`` (no mask).

    >>> parse_mask("redact:3:2")
    Mask(kind='redact', keep_first=3, keep_last=2)
    >>> parse_mask("none") is None
    True
    """
    m = _MASK.match(text.strip().lower())
    if m is None:
        raise ValueError(f"`{text}` is not a mask; use null, hash, year, redact:F:L or none")
    kind = m.group(1).split(":")[0]
    if kind == "none":
        return None
    if kind == "redact":
        return Mask("redact", keep_first=int(m.group(2) or 0), keep_last=int(m.group(3) or 0))
    return Mask(kind)  # type: ignore[arg-type]


# --- reading --------------------------------------------------------------------------------------


def grant_state(grant: Grant, now: datetime | None = None) -> GrantState:
    if grant.revoked_at is not None:
        return "revoked"
    if grant.expires is not None and grant.expires <= (now or utcnow()):
        return "expired"
    return "active"


def _public(grant: Grant, now: datetime | None = None) -> GrantPublic:
    ds = grant.dataset
    return GrantPublic(
        id=grant.id,
        dataset=f"{ds.organization.name}/{ds.name}",
        grantee_kind=grant.grantee_kind,  # type: ignore[arg-type]
        grantee=grant.grantee_name,
        all_tables=grant.all_tables,
        tables=[
            TableRulePublic(
                table=r.table_name, columns=r.columns, row_filter=r.row_filter, masks=r.masks or {}
            )
            for r in grant.rules
        ],
        purpose=grant.purpose,
        expires=grant.expires,
        state=grant_state(grant, now),
        created=grant.created,
        created_by=grant.created_by,
        request_id=grant.request_id,
        revoked_at=grant.revoked_at,
        revoked_by=grant.revoked_by,
        revoke_reason=grant.revoke_reason,
    )


def _may_see_grant(caller: Caller, grant: Grant) -> bool:
    if caller.platform_admin or caller.is_member(grant.dataset.organization.name):
        return True
    if grant.grantee_kind == "organization":
        return caller.is_member(grant.grantee_name)
    if grant.grantee_kind == "user":
        return caller.user_id is not None and grant.grantee_user_id == caller.user_id
    return False


def get_grant(session: Session, caller: Caller, grant_id: int, *, now: datetime | None = None) -> GrantPublic:
    """One grant, to the provider, the authority and the grantee; 404 to anyone else."""
    return _public(_grant_for(session, caller, grant_id), now)


def _grant_for(session: Session, caller: Caller, grant_id: int) -> Grant:
    grant = session.get(Grant, grant_id) if is_record_id(grant_id) else None
    if grant is None or not _may_see_grant(caller, grant):
        raise NotFound(f"grant {grant_id} does not exist")
    return grant


def _visible_grants(caller: Caller) -> ColumnElement[bool]:
    if caller.platform_admin:
        return Grant.id.is_not(None)
    conds: list[ColumnElement[bool]] = []
    if caller.roles:
        conds.append(
            Grant.dataset_id.in_(
                select(Dataset.id).join(Organization).where(Organization.name.in_(list(caller.roles)))
            )
        )
        conds.append(
            Grant.grantee_org_id.in_(select(Organization.id).where(Organization.name.in_(list(caller.roles))))
        )
    if caller.user_id is not None:
        conds.append(Grant.grantee_user_id == caller.user_id)
    return or_(*conds) if conds else Grant.id.is_(None)


def list_grants(
    session: Session,
    caller: Caller,
    *,
    dataset: str | None = None,
    grantee: str | None = None,
    state: GrantState | None = None,
    limit: int = 100,
    offset: int = 0,
    now: datetime | None = None,
) -> GrantsPublic:
    """The grants the caller may see (as provider, grantee or authority), newest first."""
    now = now or utcnow()
    query = select(Grant).where(_visible_grants(caller))
    if dataset is not None:
        org, _, name = dataset.partition("/")
        query = query.where(
            Grant.dataset_id.in_(
                select(Dataset.id).join(Organization).where(Organization.name == org, Dataset.name == name)
            )
        )
    if grantee is not None:
        query = query.where(Grant.grantee_name == grantee)
    if state == "revoked":
        query = query.where(Grant.revoked_at.is_not(None))
    elif state == "expired":
        query = query.where(Grant.revoked_at.is_(None), Grant.expires <= now)
    elif state == "active":
        query = query.where(Grant.revoked_at.is_(None), or_(Grant.expires.is_(None), Grant.expires > now))
    rows = session.scalars(query.order_by(Grant.id.desc())).all()
    return GrantsPublic(data=[_public(g, now) for g in rows[offset : offset + limit]], count=len(rows))


# --- making and revoking --------------------------------------------------------------------------


def check_may_grant(caller: Caller, owner: str, what: str) -> None:
    """Admins and editors of the owner organization (and the authority) grant and revoke."""
    if caller.may_edit(owner):
        return
    if caller.anonymous:
        raise Unauthorized(f"{what} needs the admin or editor role in organization `{owner}`; log in")
    raise Forbidden(
        f"{what} needs the admin or editor role in organization `{owner}`; `{caller.name}` has neither"
    )


def _column_types(settings: Settings, table: Table) -> dict[str, str]:
    from datavalley.storage import delta

    location = locate(settings, table)
    dt = delta.open_delta(location.uri, name=f"table `{location.ref}`")
    return {f.name: str(f.type).lower() for f in dt.schema().fields}


def check_rule(settings: Settings, table: Table, rule: TableRule, *, field: str) -> TableRule:
    """The rule, checked against the table: its columns exist, its row filter parses, its masks fit."""
    types = _column_types(settings, table)
    ref = f"{table.dataset.organization.name}/{table.dataset.name}/{table.name}"
    problems: list[ErrorDetail] = []
    columns = None
    if rule.columns is not None:
        columns = list(dict.fromkeys(rule.columns))
        if not columns:
            problems.append(
                ErrorDetail(f"{field}.columns", "name at least one column, or leave it out for all")
            )
        for col in columns:
            if col not in types:
                problems.append(ErrorDetail(f"{field}.columns", f"table `{ref}` has no column `{col}`"))
    masks: dict[str, str] = {}
    for col, text in rule.masks.items():
        if col not in types:
            problems.append(ErrorDetail(f"{field}.masks", f"table `{ref}` has no column `{col}`"))
            continue
        try:
            mask = parse_mask(text)
        except ValueError as exc:
            problems.append(ErrorDetail(f"{field}.masks.{col}", str(exc)))
            continue
        if (
            mask is not None
            and mask.kind == "year"
            and not any(t in types[col] for t in ("date", "timestamp", "string", "utf8"))
        ):
            problems.append(
                ErrorDetail(
                    f"{field}.masks.{col}",
                    f"column `{col}` ({types[col]}) is not a date: `year` does not fit",
                )
            )
            continue
        masks[col] = text.strip().lower()
    row_filter = rule.row_filter.strip() if rule.row_filter and rule.row_filter.strip() else None
    if row_filter is not None:
        from datavalley.query.sql import check_predicate

        try:
            check_predicate(row_filter, list(types), field_name=f"{field}.row_filter")
        except InvalidInput as exc:
            problems.extend(exc.details or [ErrorDetail(f"{field}.row_filter", exc.message)])
    if problems:
        raise InvalidInput("; ".join(f"`{p.field}`: {p.message}" for p in problems), details=problems)
    return TableRule(columns=columns, row_filter=row_filter, masks=masks)


def _grantee(
    session: Session, data: GrantCreate, owner: str
) -> tuple[GranteeKind, int | None, int | None, str]:
    if data.organization:
        org_id = session.scalar(select(Organization.id).where(Organization.name == data.organization))
        if org_id is None:
            raise InvalidInput.for_field("organization", f"organization `{data.organization}` does not exist")
        if data.organization == owner:
            raise InvalidInput.for_field(
                "organization", f"`{owner}` owns the dataset and reads it already; grant to another one"
            )
        return "organization", org_id, None, data.organization
    if data.user:
        user = session.scalar(select(User).where(User.name == data.user))
        if user is None:
            raise InvalidInput.for_field("user", f"user `{data.user}` does not exist")
        return "user", None, user.id, user.name
    assert data.recipient is not None
    return "recipient", None, None, data.recipient


def create_grant(
    session: Session,
    settings: Settings,
    caller: Caller,
    data: GrantCreate,
    *,
    request_id: int | None = None,
    now: datetime | None = None,
    check_caller: bool = True,
) -> GrantPublic:
    """Make a grant (directly, or on approving a request when ``request_id`` is given)."""
    now = now or utcnow()
    org, name = data.dataset.split("/")
    from datavalley.access.policy import check_dataset_visible

    ds = check_dataset_visible(session, caller, org, name)
    if check_caller:
        check_may_grant(caller, org, f"granting access to `{data.dataset}`")
    if ds.sharing != "conditional":
        hint = (
            "every member organization reads it without a grant"
            if ds.sharing == "unconditional"
            else "it is never shared outside its organization; change its sharing class first"
        )
        raise Conflict(f"dataset `{data.dataset}` is shared `{ds.sharing}`: {hint}")
    kind, org_id, user_id, grantee_name = _grantee(session, data, org)
    rules: list[GrantTable] = []
    if data.tables is not None:
        if not data.tables:
            raise InvalidInput.for_field("tables", "name at least one table, or leave it out for every table")
        for table_name, rule in data.tables.items():
            try:
                table = table_record(session, org, name, table_name)
            except NotFound:
                raise InvalidInput.for_field(
                    "tables", f"dataset `{data.dataset}` has no table `{table_name}`"
                ) from None
            checked = check_rule(settings, table, rule, field=f"tables.{table_name}")
            rules.append(
                GrantTable(
                    table_name=table_name,
                    columns=checked.columns,
                    row_filter=checked.row_filter,
                    masks=checked.masks,
                )
            )
    expires = data.expires
    if data.days is not None:
        expires = now + timedelta(days=data.days)
    if expires is not None and expires <= now:
        raise InvalidInput.for_field("expires", "is in the past; a grant must end in the future")
    grant = Grant(
        dataset_id=ds.id,
        grantee_kind=kind,
        grantee_org_id=org_id,
        grantee_user_id=user_id,
        grantee_recipient=data.recipient if kind == "recipient" else None,
        grantee_name=grantee_name,
        all_tables=data.tables is None,
        purpose=data.purpose,
        expires=expires,
        created=now,
        created_by=caller.name,
        request_id=request_id,
        salt=secrets.token_hex(16),
        rules=rules,
    )
    session.add(grant)
    session.flush()
    public = _public(grant, now)
    record_change(
        session,
        caller=caller,
        action="grant.create",
        target=f"grant:{grant.id}",
        dataset=data.dataset,
        details={
            "grantee": f"{kind}:{grantee_name}",
            "tables": None if data.tables is None else sorted(data.tables),
            "expires": expires.isoformat() if expires else None,
            "request_id": request_id,
        },
        now=now,
    )
    return public


def revoke_grant(
    session: Session, caller: Caller, grant_id: int, data: GrantRevoke, *, now: datetime | None = None
) -> GrantPublic:
    """End a grant now: the grantee's next read is refused (or falls back to another grant)."""
    now = now or utcnow()
    grant = _grant_for(session, caller, grant_id)
    check_may_grant(caller, grant.dataset.organization.name, f"revoking grant {grant_id}")
    if grant.revoked_at is not None:
        raise Conflict(f"grant {grant_id} was already revoked on {grant.revoked_at:%Y-%m-%d %H:%M} UTC")
    grant.revoked_at = now
    grant.revoked_by = caller.name
    grant.revoke_reason = data.reason or None
    session.flush()
    ds = grant.dataset
    record_change(
        session,
        caller=caller,
        action="grant.revoke",
        target=f"grant:{grant.id}",
        dataset=f"{ds.organization.name}/{ds.name}",
        details={"reason": data.reason},
        now=now,
    )
    return _public(grant, now)


# --- plan_read's answer for conditional datasets --------------------------------------------------


def _applicable(session: Session, caller: Caller, dataset_id: int, now: datetime) -> Sequence[Grant]:
    conds: list[ColumnElement[bool]] = []
    if caller.user_id is not None:
        conds.append(Grant.grantee_user_id == caller.user_id)
    elif caller.user is not None:
        conds.append(Grant.grantee_user_id.in_(select(User.id).where(User.name == caller.user)))
    if caller.roles:
        conds.append(
            Grant.grantee_org_id.in_(select(Organization.id).where(Organization.name.in_(list(caller.roles))))
        )
    if caller.recipient is not None:
        conds.append(Grant.grantee_recipient == caller.recipient)
    if not conds:
        return []
    return session.scalars(
        select(Grant).where(
            Grant.dataset_id == dataset_id,
            Grant.revoked_at.is_(None),
            or_(Grant.expires.is_(None), Grant.expires > now),
            or_(*conds),
        )
    ).all()


def _plan(
    grant: Grant, table: Table, location: TableLocation, all_columns: tuple[str, ...]
) -> ReadPlan | None:
    rule = next((r for r in grant.rules if r.table_name == table.name), None)
    if rule is None and not grant.all_tables:
        return None
    if rule is not None and rule.columns is not None:
        allowed = set(rule.columns)
        columns = tuple(c for c in all_columns if c in allowed)
        every_column = False
    else:
        columns, every_column = all_columns, True
    masks = _tag_masks(table, None if every_column else columns)
    for col, text in ((rule.masks or {}) if rule else {}).items():
        if not every_column and col not in columns:
            continue  # not readable at all; with every column, older versions may still hold it
        mask = parse_mask(text)
        if mask is None:
            masks.pop(col, None)
        else:
            masks[col] = mask
    return ReadPlan(
        location,
        all_columns,
        columns,
        row_filter=rule.row_filter if rule else None,
        masks=MappingProxyType(masks),
        basis="grant",
        grant_id=grant.id,
        salt=grant.salt,
        purpose=grant.purpose,
        every_column=every_column,
    )


def _rank(plan: ReadPlan, grant: Grant) -> tuple[bool, int, int, bool, datetime, int]:
    never = grant.expires is None
    until = grant.expires or datetime.max.replace(tzinfo=grant.created.tzinfo)
    return (plan.row_filter is None, len(plan.columns), -len(plan.masks), never, until, grant.id)


def plan_from_grants(
    session: Session,
    caller: Caller,
    dataset: Dataset,
    table: Table,
    location: TableLocation,
    all_columns: tuple[str, ...],
    *,
    now: datetime | None = None,
) -> ReadPlan | None:
    """The read plan of the one grant that applies (see the module docstring), or None if none does."""
    best: tuple[tuple[bool, int, int, bool, datetime, int], ReadPlan] | None = None
    for grant in _applicable(session, caller, dataset.id, now or utcnow()):
        plan = _plan(grant, table, location, all_columns)
        if plan is None or not plan.columns:
            continue
        key = _rank(plan, grant)
        if best is None or key > best[0]:
            best = (key, plan)
    return best[1] if best else None
